"""Grid-search the fusion constants of assistant.search on question sets (not a test).

Usage (from the repo root; the Sudachi comparison needs ``pip install -e '.[tuning]'``)::

    .venv/bin/python eval/tune_fusion.py ../shared/eval/dev_questions.jsonl \
        eval/extra_questions.jsonl

Prints hit@1/hit@3 per language for the dense variants, each lexical tokenisation alone and
hybrid settings, so the constants in assistant/search.py are chosen by measurement.
"""

from __future__ import annotations

import itertools
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable

import numpy as np

from assistant import Assistant, build_index
from assistant.evaluate import read_questions
from assistant.indexing.indexer import passage_embedding_text
from assistant.indexing.lexical import TOKENIZERS, LexicalIndex


def _features(qa: Assistant, rows: list[dict]) -> list[dict]:
    """Per question: dense passage and best-sentence scores, and BM25 + coverage per analyzer."""
    retriever = qa.retriever
    texts = [passage_embedding_text(p) for p in retriever.stored.passages]
    lexical = {name: LexicalIndex(texts, name) for name in TOKENIZERS}
    features = []
    for row in rows:
        passage, sentence, _ = retriever.dense_scores(retriever.encode_query(row["question"]))
        entry = {"row": row, "passage": passage, "sentence": sentence}
        for name, index in lexical.items():
            tokens = index.query_tokens(row["question"])
            entry[name] = (index.scores(tokens), index.coverage(tokens))
        features.append(entry)
    return features


def _report(features: list[dict], passages: list[dict], score: Callable[[dict], np.ndarray]) -> str:
    stats: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for entry in features:
        row = entry["row"]
        if row.get("expect") is None:
            continue
        order = list(np.argsort(-score(entry), kind="stable"))
        wanted = next(
            i
            for i, p in enumerate(passages)
            if p["paragraph"] == row["paragraph"] and row["expect"] in p["text"]
        )
        rank = order.index(wanted) + 1
        for bucket in (row["lang"], "all"):
            stats[bucket][0] += rank == 1
            stats[bucket][1] += rank <= 3
            stats[bucket][2] += 1
    return " ".join(f"{b}:{v[0] / v[2]:.3f}/{v[1] / v[2]:.3f}" for b, v in sorted(stats.items()))


def main(paths: list[str]) -> None:
    rows = [row for path in paths for row in read_questions(path)]
    with tempfile.TemporaryDirectory() as tmp:
        build_index(["corpus"], index_dir=tmp)
        qa = Assistant.load(tmp)
        passages = qa.retriever.stored.passages
        features = _features(qa, rows)

    def show(label: str, score: Callable[[dict], np.ndarray]) -> None:
        print(f"{label:34}", _report(features, passages, score))

    show("dense passage", lambda f: f["passage"])
    show("dense max(passage, sentence)", lambda f: np.maximum(f["passage"], f["sentence"]))
    for name in TOKENIZERS:
        show(f"lexical {name}", lambda f, n=name: f[n][0])
    for name, weight, power in itertools.product(TOKENIZERS, (0.03, 0.05, 0.1, 0.2), (1, 2)):

        def hybrid(f: dict, n: str = name, w: float = weight, p: int = power) -> np.ndarray:
            scores, coverage = f[n]
            norm = scores / scores.max() if scores.max() > 0 else scores
            return np.maximum(f["passage"], f["sentence"]) + w * coverage**p * norm

        show(f"hybrid {name} w={weight} coverage^{power}", hybrid)


if __name__ == "__main__":
    main(sys.argv[1:])
