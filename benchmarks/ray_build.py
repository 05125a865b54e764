"""Build speed on Ray against a local build, run on demand (not in tests):

    .venv/bin/python benchmarks/ray_build.py [--paragraphs 1000] [--json out.json]

Three full builds of the same corpus with the real command (each into a fresh index, so every
text is embedded): local; Ray on one node (a local instance with this machine's CPUs); Ray on
two nodes (a head and a worker node on 127.0.0.1 splitting the same CPUs). Reports wall time,
passages/s and texts/s (passages + sentences embedded), the Ray/local ratio (target <= 1.3),
and the projected time for 1M paragraphs on N single-core workers from the measured rate per
actor. The corpus is the benchmarks' standard one (``corpus.make_corpus``: the seed plus
distractor documents built from the seed's real clauses).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CACHE = HERE / "results" / "cache"
sys.path.insert(0, str(HERE))
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # keep every node on loopback
SCRIPT = Path(sys.executable).parent / "assistant"
PROJECTED_PARAGRAPHS = 1_000_000
PROJECTED_WORKERS = (1, 8, 32, 128)


def timed_build(corpus: Path, index: Path, *ray_args: str) -> dict[str, float]:
    """Run ``assistant build`` and return its wall time and what it embedded."""
    shutil.rmtree(index, ignore_errors=True)
    started = time.perf_counter()
    result = subprocess.run(
        [str(SCRIPT), "build", str(corpus), "--index", str(index), *ray_args],
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        check=False,
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"build failed: {result.stderr.strip().splitlines()[-1:]}")
    manifest = json.loads((index / "current" / "manifest.json").read_text())
    counts = manifest["counts"]
    return {
        "seconds": round(seconds, 1),
        "passages": counts["passages"],
        "texts": counts["passages"] + counts["sentences"],
        "passages_per_s": round(counts["passages"] / seconds, 2),
        "texts_per_s": round((counts["passages"] + counts["sentences"]) / seconds, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paragraphs", type=int, default=1000)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    from ray.cluster_utils import Cluster

    import corpus as bench_corpus

    made = bench_corpus.make_corpus(args.paragraphs, CACHE, bench_corpus.sentence_pool())
    cpus = os.cpu_count() or 1
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="ray-bench-") as tmp:
        work = Path(tmp)
        results["local"] = timed_build(made.root, work / "local")
        print("local", results["local"], flush=True)
        results["ray_1_node"] = timed_build(
            made.root, work / "ray1", "--ray", "--ray-actors", str(cpus)
        )
        print("ray, 1 node", results["ray_1_node"], flush=True)
        node = {"num_cpus": max(1, cpus // 2), "node_ip_address": "127.0.0.1"}
        cluster = Cluster(initialize_head=True, head_node_args={**node, "include_dashboard": False})
        try:
            cluster.add_node(**node)
            cluster.wait_for_nodes()
            results["ray_2_nodes"] = timed_build(
                made.root, work / "ray2", "--ray", cluster.address, "--ray-actors", str(cpus)
            )
        finally:
            cluster.shutdown()
        print("ray, 2 nodes", results["ray_2_nodes"], flush=True)

    local = results["local"]["seconds"]
    ratios = {name: round(r["seconds"] / local, 2) for name, r in results.items()}
    # Per actor (one core): the 2-node build's text rate shared by its actors; a paragraph of
    # this corpus costs texts/passages embeddings (its passage and its unique sentences).
    per_actor = results["ray_2_nodes"]["texts_per_s"] / cpus
    texts_per_paragraph = results["local"]["texts"] / results["local"]["passages"]
    projected = {
        str(n): round(PROJECTED_PARAGRAPHS * texts_per_paragraph / (per_actor * n) / 3600, 1)
        for n in PROJECTED_WORKERS
    }
    summary = {
        "paragraphs": args.paragraphs,
        "cpus": cpus,
        "builds": results,
        "ratio_to_local": ratios,
        "texts_per_s_per_actor": round(per_actor, 2),
        "texts_per_paragraph": round(texts_per_paragraph, 2),
        "projected_hours_1M_paragraphs_by_workers": projected,
    }
    print(json.dumps(summary, indent=2))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
