"""Distributed embedding on Ray (``assistant build --ray``).

Fast tests check the pure logic (addresses, settings, the in-order reassembly of batches). The
slow ones run a real two-node Ray cluster on loopback (head + one worker node, both
127.0.0.1, one shared by the module) and the real command against it: a Ray build equals a
local build, a worker node killed mid-build is survived or fails in one line with the previous
index still answering. The "Ray not installed" case is simulated (a sitecustomize that makes
``import ray`` fail in a subprocess), because the test environment has the extra installed.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from commands import assert_one_line_error

os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # before Ray is imported

from assistant.encoding.cluster import RaySettings, _in_order, parse_address
from assistant.errors import ClusterError, InputError
from assistant.indexing.store import load_index

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus" / "000_2daad77d3c406492.txt"
SCRIPT = Path(sys.executable).parent / "assistant"
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "assistant"]
PARAGRAPHS = 1000
LOOPBACK = "127.0.0.1"
KILL_DOCS = range(15)
"""Documents (20 paragraphs each) the node-failure build embeds."""


# -- pure logic -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, None),
        ("", None),
        ("auto", "auto"),
        ("127.0.0.1:6379", "127.0.0.1:6379"),
        ("ray://head.example:10001", "ray://head.example:10001"),
    ],
)
def test_parse_address_accepts(given, expected):
    assert parse_address(given) == expected


@pytest.mark.parametrize("given", ["head", "head:", ":6379", "head:port", "ray://head", "h:70000"])
def test_parse_address_rejects_and_lists_allowed_forms(given):
    with pytest.raises(InputError) as error:
        parse_address(given)
    message = str(error.value)
    assert "\n" not in message
    for form in ("auto", "ray://HOST:PORT", "HOST:PORT"):
        assert form in message


@pytest.mark.parametrize("field", ["actors", "batch_size", "cpus_per_actor"])
def test_settings_reject_zero(field):
    with pytest.raises(InputError):
        RaySettings(**{field: 0})


def _batch(rows: list[int]) -> dict[str, np.ndarray]:
    return {"row": np.array(rows), "vector": np.array([[r, -r] for r in rows], dtype=np.float32)}


def test_in_order_reassembles_batches_that_arrive_out_of_order():
    pieces = list(_in_order(6, 2, iter([_batch([2, 3]), _batch([0, 1]), _batch([5, 4])])))
    assert [len(p) for p in pieces] == [4, 2]  # nothing until row 0 arrived, then each prefix
    vectors = np.concatenate(pieces)
    assert vectors[:, 0].tolist() == [0, 1, 2, 3, 4, 5]


@pytest.mark.parametrize(
    "batches", [[_batch([0, 1])], [_batch([0, 1]), _batch([1, 2])]], ids=["missing", "twice"]
)
def test_in_order_refuses_missing_or_duplicated_rows(batches):
    with pytest.raises(ClusterError):
        list(_in_order(3, 2, iter(batches)))


def test_ray_encoder_is_an_encoder_without_touching_ray(embedding_model):
    """It stands where the local encoder stands, with its identity and its query vectors;
    Ray is reached only when documents are embedded."""
    from assistant.encoding.cluster import RayEncoder
    from assistant.encoding.encoder import Encoder

    local, info = embedding_model
    encoder = RayEncoder(local, RaySettings(address="127.0.0.1:1"))
    assert isinstance(encoder, Encoder)
    assert encoder.info is info and encoder.dimension == 384
    question = ["北朝鮮による暗号資産の窃取"]
    np.testing.assert_array_equal(encoder.encode_queries(question), local.encode_queries(question))
    assert encoder.encode_documents([]).shape == (0, 384)  # nothing to embed: no connection


# -- the command ------------------------------------------------------------------------------


def run(*args: str, env: dict[str, str] | None = None, timeout: float = 300):
    return subprocess.run(
        [*COMMAND, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1", **(env or {})},
        cwd=ROOT,
        check=False,
    )


def test_ray_options_need_ray(tmp_path):
    result = run("build", str(SEED), "--index", str(tmp_path / "i"), "--ray-actors", "2")
    assert_one_line_error(result, "--ray")


def test_bad_ray_address_is_one_line(tmp_path):
    result = run("build", str(SEED), "--index", str(tmp_path / "i"), "--ray", "nohost")
    assert_one_line_error(result, "auto", "HOST:PORT")


@pytest.mark.slow
def test_ray_not_installed_says_how_to_install(tmp_path):
    """Simulated: the extra is installed here, so a sitecustomize makes ``import ray`` fail in
    the subprocess as it would where the extra is missing."""
    blocker = tmp_path / "no-ray"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(
        "import sys\n"
        "class _NoRay:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'ray' or name.startswith('ray.'):\n"
        "            raise ModuleNotFoundError(\"No module named 'ray'\", name='ray')\n"
        "sys.meta_path.insert(0, _NoRay())\n"
    )
    started = time.perf_counter()
    result = run(
        "build",
        str(SEED),
        "--index",
        str(tmp_path / "i"),
        "--ray",
        env={"PYTHONPATH": str(blocker)},
    )
    assert_one_line_error(result, "pip install -e '.[cluster]'")
    assert not (tmp_path / "i" / "current").exists()
    assert time.perf_counter() - started < 30  # refused before the model loads


# -- a real two-node cluster on loopback -------------------------------------------------------


def write_paragraph_corpus(root: Path, paragraphs: int) -> Path:
    """The seed plus ``paragraphs`` one-sentence paragraphs of real text (the seed's clauses
    recombined, as the benchmarks' corpora are), 20 to a document under a few headings."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from corpus import HEADINGS, TITLES, sentence_pool
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    # The shortest third of a larger pool: real sentences still, but each embeds in about half
    # the time of an average one, which keeps the three builds of this module near 3 minutes.
    pool = sorted(sentence_pool(3 * paragraphs, seed=17), key=len)[:paragraphs]
    random.Random(3).shuffle(pool)
    rng = random.Random(5)
    (root / "seed").mkdir(parents=True)
    shutil.copy(SEED, root / "seed" / SEED.name)
    for number, start in enumerate(range(0, paragraphs, 20), start=1):
        lines = [f"{rng.choice(TITLES)}（第{number}号）", ""]
        for offset, sentence in enumerate(pool[start : start + 20]):
            if offset % 5 == 0:
                lines += [rng.choice(HEADINGS), ""]
            lines += [sentence, ""]
        (root / f"doc{number:03d}.txt").write_text("\n".join(lines), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def ray_cluster():
    """A head and a second node, one CPU each, both on 127.0.0.1; shut down after the module."""
    from ray.cluster_utils import Cluster

    node = {"num_cpus": 1, "node_ip_address": LOOPBACK, "include_dashboard": False}
    cluster = Cluster(initialize_head=True, head_node_args=node)
    try:
        cluster.add_node(**node)
        cluster.wait_for_nodes()
        yield cluster
    finally:
        cluster.shutdown()


@pytest.fixture(scope="module")
def paragraph_corpus(tmp_path_factory) -> Path:
    return write_paragraph_corpus(tmp_path_factory.mktemp("ray-corpus"), PARAGRAPHS)


@pytest.fixture(scope="module")
def local_index(paragraph_corpus, tmp_path_factory) -> Path:
    index = tmp_path_factory.mktemp("local") / "index"
    result = run("build", str(paragraph_corpus), "--index", str(index))
    assert result.returncode == 0, result.stderr
    return index


def progress_counts(stderr: str, stage: str) -> list[tuple[int, int]]:
    """(done, total) of each ``embedding STAGE: done/total`` line a build printed."""
    counts = []
    for line in stderr.splitlines():
        if line.strip().startswith(f"embedding {stage}:"):
            done, total = line.rsplit(" ", 1)[1].split("/")
            counts.append((int(done), int(total)))
    return counts


def top_citations(index: Path, questions: list[str]) -> list[list[str]]:
    from assistant import Assistant

    qa = Assistant.load(index)
    return [[p.citation for p in qa.ask(q, k=3).passages] for q in questions]


QUESTIONS = [
    "北朝鮮の暗号資産窃取について閣僚は何と言ったか",
    "What did the ministers say about the wildfires?",
    "경제적 강압에 대한 입장은?",
    "海洋安全保障の強化",
]


@pytest.mark.slow
def test_ray_build_equals_local_build(ray_cluster, paragraph_corpus, local_index, tmp_path):
    index = tmp_path / "ray-index"
    result = run(
        "build", str(paragraph_corpus), "--index", str(index),
        "--ray", ray_cluster.address, "--ray-actors", "2", "--ray-batch-size", "32",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    # Progress shows as on a local build: from 0 up to every text, in steps.
    passages = progress_counts(result.stderr, "passages")
    assert passages[0] == (0, PARAGRAPHS + 10) and passages[-1] == (PARAGRAPHS + 10,) * 2
    assert len(passages) >= 3

    local, remote = load_index(local_index), load_index(index)
    assert [p["citation"] for p in remote.passages] == [p["citation"] for p in local.passages]
    assert [p["text"] for p in remote.passages] == [p["text"] for p in local.passages]
    assert remote.manifest["model"] == local.manifest["model"]
    assert remote.manifest["counts"] == local.manifest["counts"]
    for mine, theirs in (
        (remote.passage_vectors, local.passage_vectors),
        (remote.sentence_vectors, local.sentence_vectors),
    ):
        assert mine.shape == theirs.shape
        cosines = np.sum(np.asarray(mine) * np.asarray(theirs), axis=1)
        assert cosines.min() >= 1 - 1e-5, cosines.min()
    assert top_citations(index, QUESTIONS) == top_citations(local_index, QUESTIONS)


@pytest.mark.slow
def test_worker_node_killed_mid_build(ray_cluster, paragraph_corpus, seed_index, tmp_path):
    """The worker node is killed once vectors start coming back: the build completes through
    Ray's retries, or fails in one line; either way the index answers afterwards. A third of
    the corpus is enough to be killed mid-way."""
    docs = sorted(paragraph_corpus.glob("doc*.txt"))[: len(KILL_DOCS)]
    inputs = [str(paragraph_corpus / "seed"), *map(str, docs)]
    expected = 10 + 20 * len(docs)
    index = tmp_path / "index"
    shutil.copytree(seed_index, index, symlinks=True)  # "current" is a symlink to a generation
    before = top_citations(index, QUESTIONS[:1])[0][0]  # the seed's ¶7
    worker = next(iter(ray_cluster.worker_nodes))
    build = subprocess.Popen(
        [*COMMAND, "build", *inputs, "--index", str(index),
         "--ray", ray_cluster.address, "--ray-actors", "2", "--ray-batch-size", "16"],
        stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    lines: list[str] = []
    killed = threading.Event()

    def read_progress() -> None:
        for line in build.stderr:
            lines.append(line)
            done = progress_counts(line, "passages")
            if done and 0 < done[0][0] < done[0][1] and not killed.is_set():
                ray_cluster.remove_node(worker, allow_graceful=False)
                killed.set()

    reader = threading.Thread(target=read_progress, daemon=True)
    reader.start()
    try:
        build.wait(timeout=420)
    finally:
        if build.poll() is None:
            build.kill()
    reader.join(timeout=10)
    stderr = "".join(lines)
    assert killed.is_set(), f"the build finished before the node could be killed:\n{stderr}"
    assert "Traceback" not in stderr
    if build.returncode == 0:
        assert len(load_index(index).passages) == expected
        print("worker node killed: the build completed through Ray's retries")
        assert top_citations(index, QUESTIONS[:1])[0][0] == before  # the seed still answers
    else:
        assert build.returncode == 2, stderr
        assert stderr.strip().splitlines()[-1].startswith("assistant: error: "), stderr
        assert len(load_index(index).passages) == 10  # the previous index, untouched
        assert top_citations(index, QUESTIONS[:1])[0][0] == before  # and answering
        print("worker node killed: the build failed in one line:", stderr.splitlines()[-1])
    ray_cluster.add_node(num_cpus=1, node_ip_address=LOOPBACK)  # leave the module's cluster whole
