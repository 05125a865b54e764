"""What an index of N passages costs on disk and in memory, by part, run on demand:

    .venv/bin/python benchmarks/index_memory.py [--passages 50000]

The corpus is the benchmarks' standard one (``corpus.make_corpus``: real recombined text), so
passages.json and the BM25 indexes have their real sizes. The vectors are random unit vectors:
their values do not change a single byte of any file or of memory, and embedding 50k passages
for real would take an hour here. Reports bytes per passage of each part and the total scaled
to one million passages (every part grows linearly in the passage count; FAISS HNSW is used
from 50k passages, as in a real build).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from assistant.encoding.encoder import ModelInfo

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CACHE = HERE / "results" / "cache"
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))


class RandomEncoder:
    """Unit vectors of the model's dimension, at no cost: sizes do not depend on their values."""

    def __init__(self, info: ModelInfo):
        self.info = info
        self.dimension = info.dimension
        self.rng = np.random.default_rng(0)

    def encode_documents(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        vectors = self.rng.standard_normal((len(texts), self.dimension)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode_documents(texts)  # the build's confidence calibration asks too


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=50_000)
    args = parser.parse_args()

    import corpus as bench_corpus
    from assistant.encoding.models import ModelInfo
    from assistant.indexing import indexer
    from assistant.indexing.store import load_index

    made = bench_corpus.make_corpus(args.passages, CACHE, bench_corpus.sentence_pool())
    info = ModelInfo("random-unit-vectors", 384, "none")
    with tempfile.TemporaryDirectory(prefix="index-memory-") as tmp:
        os.environ["ASSISTANT_MODEL_CACHE"] = tmp  # random calibration vectors stay out of it
        index = Path(tmp) / "index"
        started = time.perf_counter()
        indexer.build([made.root], index, RandomEncoder(info), info)
        build_s = time.perf_counter() - started
        generation = (index / "current").resolve()
        files = {
            str(p.relative_to(generation)): p.stat().st_size
            for p in sorted(generation.rglob("*"))
            if p.is_file()
        }
        before = rss_mb()
        stored = load_index(index)
        opened = rss_mb()
        counts = stored.manifest["counts"]
    n = counts["passages"]
    per_passage = {name: round(size / n, 1) for name, size in files.items()}
    total = sum(files.values())
    summary = {
        "passages": n,
        "sentences": counts["sentences"],
        "faiss": type(stored.faiss_index).__name__,
        "build_s_without_embedding": round(build_s, 1),
        "bytes_per_passage_on_disk": per_passage,
        "disk_gb_per_million_passages": round(total / n * 1e6 / 1e9, 2),
        "rss_after_open_mb": round(opened - before, 1),
        "rss_gb_per_million_passages_after_open": round((opened - before) / n * 1e6 / 1024, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
