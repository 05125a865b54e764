"""The built-in model's fast runtime: e5 exported to ONNX and run by onnxruntime, no torch.

Why this route and not sentence-transformers' own ``backend="onnx"``: in sentence-transformers
6.2 that backend imports ``optimum.onnxruntime``, and the newest ``optimum-onnx`` (0.1.0)
requires ``transformers<4.58``, so installing it would downgrade the stack (DESIGN.md). Here the
sentence-transformers model stays the source of truth: it is converted and checked as before,
then exported once with ``torch.onnx.export`` and fused by onnxruntime's BERT optimizer. At run
time only onnxruntime, ``tokenizers`` and numpy are imported: a cold ``assistant ask`` skips the
~4.4 s that importing torch and sentence-transformers takes.

Two graphs are written (measured on this 2-core machine, 88 ja/en/ko questions on the seed):

* ``fp32`` (the default): cosine 1.0000 to sentence-transformers, the same hit@1 on every
  question set, a query in 6.1 ms on two threads (torch: 15-29 ms).
* ``int8`` (``quantize_dynamic``, one scale per output channel; opt-in): a query in 3.6 ms and
  builds 2.2x faster, but cosine 0.993-0.996, which flipped near ties: hit@1 0.95 on the dev
  set and 0.957 on the extra set against 1.0 and 1.0 for fp32.

The exported graph includes mean pooling and L2 normalisation, so its one output is the
sentence embedding sentence-transformers would return. The model is exported with eager
attention: transformers' SDPA attention exports as a pattern the BERT optimizer cannot fuse.

``OnnxEncoder`` offers the calls of ``SentenceTransformer`` the assistant makes
(``encode``, ``encode_query``, ``encode_document``, ``get_embedding_dimension``), so
``assistant.encoder.ModelEncoder`` wraps either the same way.
"""

from __future__ import annotations

import logging
import os
import shutil
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ONNX_FILES = {"fp32": "onnx/model.onnx", "int8": "onnx/model-int8.onnx"}
"""Where each graph lives inside the converted model's folder."""

TOKEN_BUDGET = 256
"""Padded tokens per batch. Measured on 400 benchmark passages (174 tokens on average) with the
int8 graph: one passage per run gave 59 passages/s, 4 per run 54/s, 8 per run 45/s, 32 per run
38/s; padding and attention cost more than the per-run overhead saves. Short sentences are still
grouped, up to this many padded tokens."""


def export_onnx(model_dir: Path) -> dict[str, Path]:
    """Export the sentence-transformers folder ``model_dir`` to the graphs of ONNX_FILES,
    inside it. Needs torch, transformers and the ``onnx`` package (at export time only).
    Returns the path of each graph. Takes about 35 s here. The caller checks each graph against
    the recorded probe embeddings before the folder is used.
    """
    targets = {kind: model_dir / name for kind, name in ONNX_FILES.items()}
    import torch
    from transformers import AutoModel

    work = model_dir / ".export"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    bert = AutoModel.from_pretrained(
        str(model_dir), dtype=torch.float32, attn_implementation="eager"
    ).eval()
    _export_graph(bert, work / "model.onnx")
    import onnx

    targets["fp32"].parent.mkdir(parents=True, exist_ok=True)
    _fuse_and_quantise(work, bert.config)
    for kind, graph in (("fp32", work / "fused.onnx"), ("int8", work / "int8.onnx")):
        _save_with_external_weights(onnx.load(str(graph)), targets[kind])
    shutil.rmtree(work, ignore_errors=True)
    return targets


def _export_graph(bert: Any, path: Path) -> None:
    """Export ``bert`` with attention-masked mean pooling and L2 normalisation (the
    sentence-transformers pipeline) as one ONNX graph at ``path``."""
    import torch

    class _Embed(torch.nn.Module):
        """BertModel, attention-masked mean pooling, L2 normalisation (the ST pipeline)."""

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
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's notes on opset details; checked below
        torch.onnx.export(
            _Embed(bert).eval(),
            (dummy, dummy),
            str(path),
            input_names=["input_ids", "attention_mask"],
            output_names=["embedding"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )


def _fuse_and_quantise(work: Path, config: Any) -> None:
    """``work/model.onnx`` fused for BERT (``fused.onnx``) and quantised to int8 per channel
    (``int8.onnx``)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model

    # The optimizer and the quantiser log every fusion and tensor (and general advice) through
    # the root logger; the export is checked by its probe, so only errors are worth showing.
    root = logging.getLogger()
    level = root.level
    root.setLevel(max(level, logging.ERROR))
    try:
        fused = optimize_model(
            str(work / "model.onnx"),
            model_type="bert",
            num_heads=config.num_attention_heads,
            hidden_size=config.hidden_size,
        )
        fused.save_model_to_file(str(work / "fused.onnx"))
        quantize_dynamic(
            str(work / "fused.onnx"),
            str(work / "int8.onnx"),
            weight_type=QuantType.QInt8,
            per_channel=True,  # one scale per output channel: cosine >= 0.995 to fp32
            # fused nodes live in the com.microsoft domain, where shape inference gives no types
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    finally:
        root.setLevel(level)


def _save_with_external_weights(model: Any, target: Path) -> None:
    """Write the graph to ``target`` and its weights beside it (``<name>.data``).

    onnxruntime memory-maps external weights instead of copying them. Measured with the fp32
    graph: the session opens in 0.10 s instead of 1.0 s and holds 388 MB of private memory
    instead of 755 MB; of the 384 MB word-embedding table only the rows of tokens actually seen
    are ever read from disk.
    """
    import onnx

    onnx.save_model(
        model,
        str(target),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location=external_weights(target).name,
        size_threshold=1024,
    )


def external_weights(graph: Path) -> Path:
    """Where the weights of the graph at ``graph`` live."""
    return graph.with_name(graph.name + ".data")


THREADS_ENV = "ASSISTANT_THREADS"
"""Threads an encoder may use when set: a Ray actor sets it to the CPUs Ray gave it, so two
actors on one node do not each run a thread per core."""


def core_count() -> int:
    """Cores this process may use: ``$ASSISTANT_THREADS`` when set, else its CPU affinity."""
    if os.environ.get(THREADS_ENV, "").isdigit() and int(os.environ[THREADS_ENV]) > 0:
        return int(os.environ[THREADS_ENV])
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class OnnxEncoder:
    """The sentence-transformers calls the assistant makes, on onnxruntime.

    One session whose operators use every core: measured with the fp32 graph, a question
    encodes in 6.1 ms on two threads against 11.3 ms on one, and a build ran at 13.5 passages/s,
    within 10% of two single-threaded sessions side by side (which would hold the 470 MB graph
    twice). Texts are sorted by length so a batch pads little; results come back in input order.

    >>> encoder = OnnxEncoder(folder / ONNX_FILES["fp32"], folder / "tokenizer.json", E5_PROMPTS)
    >>> encoder.encode_query(["暗号資産の窃取"]).shape
    (1, 384)
    """

    def __init__(
        self,
        onnx_path: Path,
        tokenizer_path: Path,
        prompts: dict[str, str],
        max_length: int = 512,
        threads: int | None = None,
    ):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = threads or core_count()
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(
            str(onnx_path), options, providers=["CPUExecutionProvider"]
        )
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.enable_truncation(max_length)
        self.tokenizer.no_padding()
        self.prompts = dict(prompts)
        self.pad_id = self.tokenizer.token_to_id("<pad>") or 0
        self._dimension = int(self.session.get_outputs()[0].shape[-1])

    def get_embedding_dimension(self) -> int:
        return self._dimension

    def _run(self, encodings: list[Any]) -> np.ndarray:
        length = max(len(e.ids) for e in encodings)
        ids = np.full((len(encodings), length), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(encodings), length), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        return self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]

    @staticmethod
    def _batches(lengths: list[int], order: np.ndarray, batch_size: int) -> list[np.ndarray]:
        """Consecutive runs of ``order`` (longest first) of at most ``batch_size`` texts and
        TOKEN_BUDGET padded tokens (a text longer than the budget goes alone)."""
        batches, start = [], 0
        while start < len(order):
            width = lengths[order[start]]  # the longest of the batch: it sets the padding
            size = max(1, min(batch_size, TOKEN_BUDGET // max(width, 1)))
            batches.append(order[start : start + size])
            start += size
        return batches

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
        """Embeddings of ``sentences``, normalised (the graph normalises; the flag is accepted
        for sentence-transformers compatibility)."""
        single = isinstance(sentences, str)
        prefix = prompt if prompt is not None else self.prompts.get(prompt_name or "", "")
        texts = [prefix + t for t in ([sentences] if single else list(sentences))]
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        encodings = self.tokenizer.encode_batch(texts)
        lengths = [len(e.ids) for e in encodings]
        order = np.argsort([-n for n in lengths], kind="stable")
        out = np.empty((len(texts), self._dimension), dtype=np.float32)
        for batch in self._batches(lengths, order, batch_size):
            out[batch] = self._run([encodings[i] for i in batch])
        return out[0] if single else out

    def encode_query(self, sentences: str | Sequence[str], **kwargs: Any) -> np.ndarray:
        return self.encode(sentences, prompt_name=kwargs.pop("prompt_name", "query"), **kwargs)

    def encode_document(self, sentences: str | Sequence[str], **kwargs: Any) -> np.ndarray:
        return self.encode(sentences, prompt_name=kwargs.pop("prompt_name", "document"), **kwargs)
