"""How fast the MCP tools answer: warm p50 of ``search_documents`` against ``Assistant.search``,
and the seconds from starting ``assistant mcp`` to its first answer. Run on demand::

    .venv/bin/python benchmarks/mcp_latency.py [--index DIR] [--reps 30]

Targets (issue 16): a tool call answers in <= 50 ms p50 warm on the seed and adds <= 5 ms to
``search``; server start to first answer <= 3 s. Prints JSON and writes
``benchmarks/results/mcp_latency.json``. The machine's load average is recorded beside the
figures, since the two cores are shared.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

QUESTIONS = (
    "北朝鮮による暗号資産の窃取について",
    "What did the ministers say about the wildfires?",
    "청년 리더십 서밋은 언제 열립니까?",
    "南シナ海での力による現状変更への反対",
    "Taiwan's participation in international organizations",
)
K = 5


def _p50_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


async def _tool_p50(client: Any, reps: int) -> float:
    for question in QUESTIONS:  # warm-up
        await client.call_tool("search_documents", {"question": question, "k": K})
    samples = []
    for _ in range(reps):
        for question in QUESTIONS:
            started = time.perf_counter()
            result = await client.call_tool("search_documents", {"question": question, "k": K})
            samples.append(time.perf_counter() - started)
            assert not result.is_error, result.content
    return _p50_ms(samples)


async def _stdio(index_dir: Path, reps: int) -> dict[str, float]:
    from mcp import Client, StdioServerParameters

    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "assistant", "mcp", "--index", str(index_dir)],
        cwd=str(REPO),
        env={"HF_HUB_OFFLINE": "1"},
    )
    started = time.perf_counter()
    async with Client(params) as client:
        await client.call_tool("search_documents", {"question": QUESTIONS[0], "k": K})
        first = time.perf_counter() - started
        return {"start_to_first_answer_s": round(first, 2), "p50_ms": await _tool_p50(client, reps)}


def measure(index_dir: Path, reps: int = 30) -> dict[str, Any]:
    """Warm p50 of ``Assistant.search``, of the tool's own work (``CitedSearch.search``), of a
    tool call through the SDK in-process (no transport) and over stdio to ``assistant mcp``;
    and start to first answer of ``assistant mcp``."""
    from mcp import Client

    from assistant import Assistant
    from assistant.interfaces.mcp_server import CitedSearch, create_server

    assistant = Assistant.load(index_dir)
    tools = CitedSearch(assistant)
    library, tool_logic = [], []
    for question in QUESTIONS:  # warm-up
        assistant.search(question, k=K)
    for _ in range(reps):
        for question in QUESTIONS:
            started = time.perf_counter()
            assistant.search(question, k=K)
            library.append(time.perf_counter() - started)
            started = time.perf_counter()
            tools.search(question, K)
            tool_logic.append(time.perf_counter() - started)

    async def in_process() -> float:
        async with Client(create_server(assistant)) as client:
            return await _tool_p50(client, reps)

    figures: dict[str, Any] = {
        "load_average_before": os.getloadavg()[0],
        "search_p50_ms": _p50_ms(library),
        "tool_logic_p50_ms": _p50_ms(tool_logic),
        "tool_call_in_process_p50_ms": asyncio.run(in_process()),
    }
    stdio = asyncio.run(_stdio(index_dir, reps))
    figures["tool_call_stdio_p50_ms"] = stdio["p50_ms"]
    figures["stdio_start_to_first_answer_s"] = stdio["start_to_first_answer_s"]
    figures["tool_adds_ms_stdio"] = round(stdio["p50_ms"] - figures["search_p50_ms"], 2)
    figures["load_average_after"] = os.getloadavg()[0]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--index", type=Path, help="index of the seed (default: built in a tmp dir)"
    )
    parser.add_argument("--reps", type=int, default=30, help="rounds of the questions")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        index_dir = args.index
        if index_dir is None:
            from assistant import build_index

            index_dir = Path(tmp) / "index"
            build_index([REPO / "corpus"], index_dir=index_dir)
        figures = measure(index_dir, args.reps)
    print(json.dumps(figures, indent=2))
    out = HERE / "results" / "mcp_latency.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
