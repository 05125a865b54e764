"""Benchmark of the assistant: warm search, query encoding, model load, cold ``assistant ask``,
index build throughput and memory, and search at 1k / 10k / 100k passages.

Run from the repository root with the project's interpreter::

    .venv/bin/python benchmarks/run.py                      # everything, default sizes
    .venv/bin/python benchmarks/run.py --sizes 1000         # smaller
    .venv/bin/python benchmarks/run.py --routes torch       # skip the ONNX prototype

It prints a table and writes ``benchmarks/results/latest.json``. Every figure that depends on
memory or on what a process has imported is measured in a fresh child process, so one
measurement does not inherit another's heap or warm caches. Large corpora and their vectors are
cached under ``benchmarks/results/cache`` keyed by content hash (see ``corpus.py`` for how they
are made and which vectors are approximated).

The machine has 2 cores shared with other work: the load average before and after is recorded,
and every route is measured in the same run so that ratios stay meaningful when absolute
numbers are noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
CACHE = RESULTS / "cache"
PYTHON = sys.executable
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

QUESTIONS: list[tuple[str, str, int]] = [
    ("ja", "三か国の外相はいつどこで会談したか", 1),
    ("ja", "韓国と日本の山火事の犠牲者への哀悼", 1),
    ("ja", "NATOとインド太平洋のパートナーとの協力", 1),
    ("ja", "日本と韓国の防衛に対する拡大抑止の約束", 2),
    ("ja", "核リスクを減らすための中国やロシアとの関与", 2),
    ("ja", "南シナ海での力による現状変更への反対", 3),
    ("ja", "航行と上空飛行の自由の確保", 3),
    ("ja", "台湾周辺での軍事演習への懸念", 4),
    ("ja", "国際機関への台湾の参加", 4),
    ("ja", "ロシアとウクライナの停戦に向けた協議", 5),
    ("ja", "北朝鮮の完全な非核化", 6),
    ("ja", "北朝鮮とロシアの軍事協力の拡大", 6),
    ("ja", "北朝鮮のハッカーによる暗号資産の窃取", 7),
    ("ja", "盗まれた仮想通貨の現金化を防ぐ行動", 7),
    ("ja", "拉致問題や離散家族の問題の解決", 8),
    ("ja", "米国産LNGによるエネルギー協力", 9),
    ("ja", "造船産業と海上艦隊による海洋の安全保障", 9),
    ("ja", "重要鉱物のサプライチェーンの多角化", 9),
    ("ja", "韓国が主催するAPEC", 9),
    ("ja", "若者のリーダーシップ・サミットはどこで開かれるか", 10),
    ("en", "When and where did the three foreign ministers meet?", 1),
    ("en", "What did they say about North Korean hackers stealing cryptocurrency?", 7),
    ("en", "Which American energy resources such as LNG were mentioned?", 9),
    ("en", "What concerns were raised about military drills around Taiwan?", 4),
    ("en", "What about the shipbuilding industry and maritime security?", 9),
    ("en", "Did the ministers address the abduction issue?", 8),
    ("ko", "북한의 암호화폐 탈취에 대한 우려", 7),
    ("ko", "한국과 일본의 산불 피해에 대한 애도", 1),
    ("ko", "대만 해협의 평화와 안정", 4),
    ("ko", "한미일 글로벌 리더십 청년 서밋", 10),
]
"""Paraphrases about the seed (not the wording of the paragraphs), with the paragraph that
answers each; used for latency and for hit@k at every corpus size."""

TARGETS = {
    "search_p50_seed_ms": 8.0,
    "search_p50_100k_ms": 25.0,
    "cold_ask_s": 3.0,
    "build_passages_per_s": 50.0,
    "serve_100k_rss_mb": 2048.0,
}
"""The issue's targets."""

K = 5


# ------------------------------------------------------------------------------------------
# helpers


def rss_mb() -> float:
    """Current resident memory of this process (VmRSS), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def ms(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(pct(values, 0.5) * 1000, 2),
        "p95": round(pct(values, 0.95) * 1000, 2),
        "n": len(values),
    }


def child(args: list[str], timeout: float = 1800) -> dict[str, Any]:
    """Run this script as a child (``_child ...``) and parse the JSON it prints last."""
    proc = subprocess.run(
        [PYTHON, str(Path(__file__).resolve()), "_child", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"child {args[0]} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def is_seed_hit(passage: Any, paragraph: int) -> bool:
    """The seed file keeps its name in every corpus; distractor files are ``docNNNNNN.txt``."""
    from corpus import SEED_FILE

    return passage.paragraph == paragraph and passage.source.endswith(SEED_FILE.name)


def onnx_export_dir() -> Path | None:
    """The exported ONNX model, when ``encoders.export_onnx`` has been run (it needs the
    ``onnx`` package, which the project does not install)."""
    from encoders import ROUTE_FILES, default_model_dir, model_key

    folder = CACHE / "onnx" / model_key(default_model_dir())
    ok = all((folder / name).is_file() for name in ROUTE_FILES.values())
    return folder if ok and (folder / "export.json").is_file() else None


# ------------------------------------------------------------------------------------------
# child processes


def child_build(paths: list[str], index_dir: str, route: str = "torch") -> dict[str, Any]:
    """Load the model (torch, or an ONNX route on its default 2 threads: builds are batch
    work) and build an index for real, every vector computed."""
    started = time.perf_counter()
    from assistant import indexer
    from assistant.model import ModelInfo, embed_probe, load_model, probe_checksum

    base, _ = split_route(route)
    if base == "torch":
        st, info = load_model()
    else:
        from encoders import load_route

        export = onnx_export_dir()
        assert export is not None
        st = load_route(base, export)
        info = ModelInfo("multilingual-e5-small", 384, probe_checksum(embed_probe(st)))
    loaded = time.perf_counter()
    report = indexer.build(paths, Path(index_dir), st, info)
    built = time.perf_counter()
    from assistant.store import load_index

    stored = load_index(Path(index_dir))
    return {
        "load_s": round(loaded - started, 2),
        "build_s": round(built - loaded, 2),
        "passages": report.passages,
        "documents": report.documents,
        "sentences": len(stored.sentence_vectors),
        "unique_sentences": len({s for p in stored.passages for s in indexer.sentence_texts(p)}),
        "passages_per_s": round(report.passages / (built - loaded), 1),
        "maxrss_mb": round(maxrss_mb(), 1),
    }


def split_route(route: str) -> tuple[str, bool]:
    """``onnx-int8-pc+1t`` -> (``onnx-int8-pc``, True): ``+1t`` runs the encoder and FAISS on
    one thread each (see the study: on 2 shared cores a second thread made torch 2-30x slower
    and FAISS's exact search 3x slower)."""
    base, _, suffix = route.partition("+")
    return base, suffix == "1t"


def _open(index_dir: Path, route: str) -> tuple[Any, float, float]:
    """An Assistant on ``index_dir`` with the torch model (the real ``Assistant.load``) or an
    ONNX route; returns it with model-load and total-load seconds."""
    started = time.perf_counter()
    route, one_thread = split_route(route)
    if one_thread:
        import faiss

        faiss.omp_set_num_threads(1)
        if route == "torch":
            import torch

            torch.set_num_threads(1)
    if route == "torch":
        from assistant import Assistant
        from assistant.model import load_model

        load_model()  # timed alone once; Assistant.load loads it again (warm file cache)
        model_s = time.perf_counter() - started
        started = time.perf_counter()
        qa = Assistant.load(index_dir, build_missing=False)
        return qa, model_s, time.perf_counter() - started
    from encoders import load_route

    from assistant.api import Assistant
    from assistant.model import ModelInfo, embed_probe, probe_checksum
    from assistant.store import read_manifest

    export = onnx_export_dir()
    assert export is not None
    encoder = load_route(route, export, threads=1 if one_thread else None)
    model_s = time.perf_counter() - started
    recorded = read_manifest(index_dir)["model"]
    info = ModelInfo(recorded["name"], recorded["dimension"], probe_checksum(embed_probe(encoder)))
    qa = Assistant._open(index_dir, encoder, info)
    return qa, model_s, time.perf_counter() - started


def child_serve(index_dir: str, route: str, reps: int) -> dict[str, Any]:
    """Hold an index as a server would and time searches; report memory and hit@k."""
    qa, model_s, load_s = _open(Path(index_dir), route)
    questions = [q for _, q, _ in QUESTIONS]
    retriever = qa._retriever
    for q in questions[:5]:  # warm-up
        qa.search(q, k=K)
    encode = []
    for i in range(50):
        t = time.perf_counter()
        retriever.encode_query(questions[i % len(questions)])
        encode.append(time.perf_counter() - t)
    hybrid: list[float] = []
    dense: list[float] = []
    hits: dict[str, dict[str, list[int]]] = {"hybrid": {}, "dense": {}}
    for _ in range(reps):
        for lang, q, paragraph in QUESTIONS:
            t = time.perf_counter()
            found_h = qa.search(q, k=K)
            hybrid.append(time.perf_counter() - t)
            t = time.perf_counter()
            found_d = qa.ask(q, k=K, mode="dense").passages
            dense.append(time.perf_counter() - t)
            for mode, found in (("hybrid", found_h), ("dense", found_d)):
                ranks = [r for r, p in enumerate(found, 1) if is_seed_hit(p, paragraph)]
                hits[mode].setdefault(f"{lang}:{q}", []).append(ranks[0] if ranks else 0)
    hit = {}
    for mode, per_q in hits.items():
        firsts = [ranks[0] for ranks in per_q.values()]
        hit[mode] = {
            "hit@1": round(sum(r == 1 for r in firsts) / len(firsts), 3),
            "hit@3": round(sum(1 <= r <= 3 for r in firsts) / len(firsts), 3),
            "misses": [q for q, r in per_q.items() if not 1 <= r[0] <= 3],
        }
    stored = qa._retriever.stored
    return {
        "route": route,
        "load_average": load_average(),
        "passages": len(stored.passages),
        "sentences": len(stored.sentence_vectors),
        "model_load_s": round(model_s, 2),
        "open_s": round(load_s, 2),
        "encode_query_ms": round(statistics.median(encode) * 1000, 2),
        "search_hybrid_ms": ms(hybrid),
        "search_dense_ms": ms(dense),
        "hit": hit,
        "rss_mb": round(rss_mb(), 1),
        "maxrss_mb": round(maxrss_mb(), 1),
    }


def child_cold_onnx(index_dir: str, route: str, question: str) -> dict[str, Any]:
    """What ``assistant ask`` would cost on an ONNX route: import, load, answer, exit (torch
    is never imported). Timed from the parent, from process start to exit."""
    qa, _, _ = _open(Path(index_dir), route)
    answer = qa.ask(question, k=3)
    return {"citation": answer.passages[0].citation, "torch_imported": "torch" in sys.modules}


def run_child(argv: list[str]) -> None:
    kind, *rest = argv
    if kind == "build":
        out = child_build(json.loads(rest[0]), rest[1], *rest[2:])
    elif kind == "serve":
        out = child_serve(rest[0], rest[1], int(rest[2]))
    elif kind == "cold-onnx":
        out = child_cold_onnx(rest[0], rest[1], rest[2])
    else:
        raise SystemExit(f"unknown child {kind}")
    print(json.dumps(out, ensure_ascii=False))


# ------------------------------------------------------------------------------------------
# preparing indexes


def build_seed_indexes(tmp: Path, routes: list[str]) -> dict[str, Path]:
    """The seed index for real with ``assistant.build_index`` (in a child, timed), plus one
    built with each ONNX route's own vectors so its hit@k is not mixed."""
    out = {}
    for route in routes:
        if split_route(route)[0] == "torch":
            out[route] = tmp / "seed-torch"
            continue
        from encoders import load_route

        from assistant.indexer import build as build_with
        from assistant.model import ModelInfo, embed_probe, probe_checksum

        export = onnx_export_dir()
        assert export is not None
        encoder = load_route(split_route(route)[0], export)
        info = ModelInfo(
            "multilingual-e5-small",
            encoder.get_embedding_dimension(),
            probe_checksum(embed_probe(encoder)),
        )
        out[route] = tmp / f"seed-{route}"
        build_with([str(REPO / "corpus")], out[route], encoder, info)
    return out


def large_index(size: int, log: Any) -> tuple[Path, dict[str, Any]]:
    """A cached index of ``size`` passages (seed + distractors), built with the real indexer
    from precomputed vectors (see corpus.py); returns its folder and how it was made."""
    import numpy as np

    import corpus as bench_corpus
    from assistant import indexer
    from assistant.documents import load_documents
    from assistant.store import read_manifest

    pool = bench_corpus.sentence_pool()
    made = bench_corpus.make_corpus(size, CACHE, pool)
    index_dir = CACHE / f"index-{size}-{made.digest}-a{bench_corpus.APPROXIMATION_VERSION}"
    info_file = index_dir / "bench.json"
    if info_file.is_file():
        try:
            read_manifest(index_dir)
            return index_dir, json.loads(info_file.read_text())
        except Exception:
            pass
    from assistant.model import load_model

    started = time.perf_counter()
    st, info = load_model()
    pool_key = (
        f"pool-{info.probe_checksum}-{bench_corpus.POOL_SIZE}-{bench_corpus.GENERATOR_VERSION}"
    )
    fresh = not (CACHE / f"{pool_key}.npy").is_file()
    if fresh:
        log(f"  embedding the {len(pool)}-sentence pool with torch fp32 (once, cached) ...")
    t = time.perf_counter()
    pool_vectors = bench_corpus.embed_cached(
        pool,
        lambda texts: st.encode_document(
            texts,
            batch_size=32,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        ),
        CACHE / f"{pool_key}.npy",
    )
    pool_s = time.perf_counter() - t
    documents = load_documents([str(made.root)])
    passages = indexer.passages_from(documents)
    vectors: dict[str, np.ndarray] = dict(zip(pool, pool_vectors, strict=True))
    seed_texts = [
        t
        for p in passages
        if p["source"].endswith(bench_corpus.SEED_FILE.name)
        for t in (indexer.passage_embedding_text(p), *indexer.sentence_texts(p))
    ]
    headings = sorted({p["section"] for p in passages if p["section"]})
    extra = [t for t in dict.fromkeys(seed_texts + headings) if t not in vectors]
    for text, vector in zip(
        extra,
        st.encode_document(
            extra, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        ),
        strict=True,
    ):
        vectors[text] = vector
    approximated = 0
    common = np.mean(pool_vectors, axis=0)
    for p in passages:
        key = indexer.passage_embedding_text(p)
        if key in vectors:
            continue
        parts = [vectors[s] for s in indexer.sentence_texts(p)]
        vectors[key] = bench_corpus.approximate_passage(parts, common)
        approximated += 1
    encoder = bench_corpus.LookupEncoder(vectors, info.dimension)
    t = time.perf_counter()
    indexer.build_from_documents(documents, index_dir, encoder, info, [str(made.root)])
    meta = {
        "size": size,
        "corpus": str(made.root),
        "digest": made.digest,
        "passages": len(passages),
        "documents": len(documents),
        "approximated_passage_vectors": approximated,
        "real_vectors": len(pool) + len(extra),
        "pool_embed_s": round(pool_s, 1),
        "pool_embedded_now": fresh,
        "index_write_s": round(time.perf_counter() - t, 1),
        "total_s": round(time.perf_counter() - started, 1),
        "vectors": "sentences, headings and seed passages: torch fp32; distractor passages: "
        f"normalised mean of sentence vectors - {bench_corpus.COMMON_SHRINK} x their mean",
    }
    info_file.write_text(json.dumps(meta, indent=1))
    return index_dir, meta


def calibrate(real_index: Path, approx_index: Path) -> dict[str, Any]:
    """How close the approximated passage vectors are to real ones (same corpus)."""
    import numpy as np

    from assistant.store import load_index

    real, approx = load_index(real_index), load_index(approx_index)
    by_hash = {p["hash"]: v for p, v in zip(real.passages, real.passage_vectors, strict=True)}
    cos = [
        float(v @ by_hash[p["hash"]])
        for p, v in zip(approx.passages, approx.passage_vectors, strict=True)
        if "seed/" not in p["source"] and p["hash"] in by_hash
    ]
    return {
        "passages_compared": len(cos),
        "cosine_median": round(float(np.median(cos)), 4),
        "cosine_p05": round(float(np.percentile(cos, 5)), 4),
        "cosine_min": round(float(np.min(cos)), 4),
    }


# ------------------------------------------------------------------------------------------
# main


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def cold_ask(cmd: list[str], runs: int = 3) -> dict[str, Any]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=300)
        times.append(time.perf_counter() - t)
        if proc.returncode != 0:
            raise RuntimeError(f"{cmd[0]} failed: {proc.stderr[-2000:]}")
    out = {"median_s": round(statistics.median(times), 2), "runs_s": [round(x, 2) for x in times]}
    lines = proc.stdout.strip().splitlines()
    if lines and lines[-1].startswith("{"):  # the ONNX prototype reports what it imported
        out.update(json.loads(lines[-1]))
    else:
        out["first_line"] = lines[0] if lines else ""
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default="1000,10000,100000",
        help="corpus sizes in passages (comma-separated; empty for none)",
    )
    parser.add_argument(
        "--routes",
        default="torch,torch+1t,onnx-int8-pc+1t",
        help="embedding routes to serve with: torch (as shipped), onnx-fp32, onnx-int8, "
        "onnx-int8-pc; '+1t' = encoder and FAISS on one thread (ONNX routes need "
        "encoders.export_onnx run once)",
    )
    parser.add_argument(
        "--reps", type=int, default=2, help="passes over the 30 questions for latency (default 2)"
    )
    parser.add_argument(
        "--build-size",
        type=int,
        default=1000,
        help="corpus size whose real build measures throughput (0: seed only)",
    )
    parser.add_argument("--no-cold", action="store_true", help="skip the cold-ask runs")
    parser.add_argument("--out", default=str(RESULTS / "latest.json"))
    args = parser.parse_args()

    started = time.perf_counter()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    routes = [r.strip() for r in args.routes.split(",") if r.strip()]
    if any(r.startswith("onnx") for r in routes) and onnx_export_dir() is None:
        print(
            "no ONNX export in benchmarks/results/cache/onnx: measuring torch only "
            "(run encoders.export_onnx once; see benchmarks/README.md)",
            file=sys.stderr,
        )
        routes = [r for r in routes if not r.startswith("onnx")] or ["torch"]
    RESULTS.mkdir(parents=True, exist_ok=True)
    CACHE.mkdir(parents=True, exist_ok=True)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    result: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_before": load_average(),
        "routes": routes,
        "reps": args.reps,
        "k": K,
        "questions": len(QUESTIONS),
        "targets": TARGETS,
    }
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp_name:
        tmp = Path(tmp_name)
        log("building the seed index (child process, torch) ...")
        result["build_seed"] = child(
            ["build", json.dumps([str(REPO / "corpus")]), str(tmp / "seed-torch")]
        )
        seeds = build_seed_indexes(tmp, routes)
        result["seed"] = {}
        for route in routes:
            log(f"serving the seed index: {route} ...")
            result["seed"][route] = child(["serve", str(seeds[route]), route, str(args.reps)])
        if not args.no_cold:
            question = "北朝鮮の暗号資産窃取について"
            log("cold `assistant ask` x3 ...")
            result["cold_ask"] = {
                "torch": cold_ask(
                    [
                        str(Path(PYTHON).parent / "assistant"),
                        "ask",
                        question,
                        "--index",
                        str(tmp / "seed-torch"),
                    ]
                )
            }
            for route in routes:
                if route.startswith("onnx"):
                    log(f"cold ask on {route} (prototype script) x3 ...")
                    result["cold_ask"][route] = cold_ask(
                        [
                            PYTHON,
                            str(Path(__file__).resolve()),
                            "_child",
                            "cold-onnx",
                            str(seeds[route]),
                            route,
                            question,
                        ]
                    )
        if args.build_size:
            log(f"real build of the {args.build_size}-passage corpus (child, torch) ...")
            import corpus as bench_corpus

            made = bench_corpus.make_corpus(args.build_size, CACHE, bench_corpus.sentence_pool())
            real_dir = CACHE / f"real-{args.build_size}-{made.digest}"
            shutil.rmtree(real_dir, ignore_errors=True)  # kept after the run for calibration
            result["build_large"] = child(["build", json.dumps([str(made.root)]), str(real_dir)])
            result["build_large_onnx"] = {}
            for route in routes:
                if route.startswith("onnx"):
                    log(f"real build of the {args.build_size}-passage corpus ({route}) ...")
                    result["build_large_onnx"][route] = child(
                        ["build", json.dumps([str(made.root)]), str(tmp / f"build-{route}"), route]
                    )
        result["sizes"] = {}
        for size in sizes:
            log(f"{size} passages: preparing the index (cached) ...")
            index_dir, meta = large_index(size, log)
            entry: dict[str, Any] = {"index": meta}
            if size == args.build_size:
                entry["calibration"] = calibrate(real_dir, index_dir)
                log(f"{size} passages: serving the index built for real ...")
                entry["real_vectors_torch"] = child(
                    ["serve", str(real_dir), "torch+1t", str(args.reps)]
                )
            for route in routes:
                log(f"{size} passages: serving ({route}) ...")
                entry[route] = child(["serve", str(index_dir), route, str(args.reps)])
            result["sizes"][str(size)] = entry
            Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=1))
    result["load_average_after"] = load_average()
    result["total_s"] = round(time.perf_counter() - started, 1)
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=1))
    print(render(result))
    log(f"wrote {args.out} in {result['total_s']:.0f} s")


# ------------------------------------------------------------------------------------------
# the table


def render(r: dict[str, Any]) -> str:
    """A plain-text table of the results, with targets and ratios to torch-fp32 dense."""
    lines = [
        f"benchmark {r['started']}  cpus={r['cpus']}  load avg before "
        f"{r['load_average_before']} after {r.get('load_average_after')}  "
        f"total {r.get('total_s')} s",
        "",
    ]
    head = (
        f"{'corpus':>8} {'route':<18} {'mode':<6} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'x dense':>8} {'x torch':>8} {'hit@1':>6} {'hit@3':>6} {'enc ms':>7} "
        f"{'RSS MB':>7} {'load s':>6}"
    )
    lines.append(head)
    lines.append("-" * len(head))

    def rows(label: str, entry: dict[str, Any]) -> None:
        base = entry.get("torch", {}).get("search_dense_ms", {}).get("p50")
        for route in [k for k in entry if k not in ("index", "calibration")]:
            e = entry[route]
            for mode in ("hybrid", "dense"):
                p50 = e[f"search_{mode}_ms"]["p50"]
                own = e["search_dense_ms"]["p50"]
                lines.append(
                    f"{label:>8} {route[:18]:<18} {mode:<6} {p50:>8.2f} "
                    f"{e[f'search_{mode}_ms']['p95']:>8.2f} {p50 / own:>8.2f} "
                    f"{(p50 / base if base else float('nan')):>8.2f} "
                    f"{e['hit'][mode]['hit@1']:>6.2f} {e['hit'][mode]['hit@3']:>6.2f} "
                    f"{e['encode_query_ms']:>7.2f} {e['rss_mb']:>7.0f} "
                    f"{e['model_load_s']:>6.2f}"
                )

    rows("seed", r["seed"])
    for size, entry in r.get("sizes", {}).items():
        rows(size, entry)
    lines.append("")
    b = r["build_seed"]
    lines.append(
        f"build seed: {b['passages']} passages + {b['unique_sentences']} sentences in "
        f"{b['build_s']} s = {b['passages_per_s']} passages/s; peak RSS "
        f"{b['maxrss_mb']:.0f} MB (child, torch)"
    )
    builds = {"torch": r["build_large"]} if "build_large" in r else {}
    builds.update(r.get("build_large_onnx", {}))
    for route, b in builds.items():
        lines.append(
            f"build {b['passages']} ({route}): {b['passages']} passages + "
            f"{b['unique_sentences']} unique sentences in {b['build_s']} s = "
            f"{b['passages_per_s']} passages/s; model load {b['load_s']} s; "
            f"peak RSS {b['maxrss_mb']:.0f} MB"
        )
    for route, c in r.get("cold_ask", {}).items():
        lines.append(f"cold ask ({route}): median {c['median_s']} s of {c['runs_s']}")
    for size, entry in r.get("sizes", {}).items():
        if "calibration" in entry:
            lines.append(
                f"approximated passage vectors at {size}: cosine to real {entry['calibration']}"
            )
        m = entry["index"]
        lines.append(
            f"index {size}: {m['approximated_passage_vectors']} approximated passage "
            f"vectors, {m['real_vectors']} real; {m['vectors']}"
        )
    lines += ["", "targets (torch route unless named):"]
    lines += targets_table(r)
    return "\n".join(lines)


def targets_table(r: dict[str, Any]) -> list[str]:
    out = []
    t = r["targets"]

    def line(
        name: str, value: float | None, target: float, better: str, base: float | None, unit: str
    ) -> None:
        if value is None:
            out.append(f"  {name:<44} not measured")
            return
        ok = value <= target if better == "low" else value >= target
        ratio = f"{value / base:.2f}x baseline" if base else ""
        out.append(
            f"  {name:<44} {value:>9.2f} {unit:<4} target {'≤' if better == 'low' else '≥'}"
            f" {target:<7} {'MET ' if ok else 'MISS'}  {ratio}"
        )

    seed = r["seed"]
    base_seed = seed["torch"]["search_dense_ms"]["p50"]
    for route, e in seed.items():
        line(
            f"search p50 seed hybrid [{route}]",
            e["search_hybrid_ms"]["p50"],
            t["search_p50_seed_ms"],
            "low",
            base_seed,
            "ms",
        )
    big = r.get("sizes", {}).get("100000")
    if big:
        base_big = big["torch"]["search_dense_ms"]["p50"]
        for route in [k for k in big if k not in ("index", "calibration", "real_vectors_torch")]:
            line(
                f"search p50 100k hybrid [{route}]",
                big[route]["search_hybrid_ms"]["p50"],
                t["search_p50_100k_ms"],
                "low",
                base_big,
                "ms",
            )
            line(
                f"serving RSS 100k [{route}]",
                big[route]["rss_mb"],
                t["serve_100k_rss_mb"],
                "low",
                big["torch"]["rss_mb"],
                "MB",
            )
    cold = r.get("cold_ask", {})
    for route, c in cold.items():
        line(
            f"cold ask [{route}]",
            c["median_s"],
            t["cold_ask_s"],
            "low",
            cold["torch"]["median_s"],
            "s",
        )
    for route, b in r.get("build_large_onnx", {}).items():
        line(
            f"build {b['passages']} passages [{route}]",
            b["passages_per_s"],
            t["build_passages_per_s"],
            "high",
            r["build_large"]["passages_per_s"],
            "/s",
        )
    build = r.get("build_large") or r["build_seed"]
    line(
        f"build {build['passages']} passages [torch]",
        build["passages_per_s"],
        t["build_passages_per_s"],
        "high",
        None,
        "/s",
    )
    return out


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_child":
        run_child(sys.argv[2:])
    else:
        main()
