"""Graph overhead per turn with the SQLite checkpointer (no LLM, no cloud calls).

Drives the first turns of a local session — category card, dataset question, mapping
card, split card — many times and reports the median wall time of a turn. Those turns
do only graph work (intake, routing, state merge, checkpoint writes) plus a small CSV
inspection. Target: under 50 ms median.
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import tempfile
import time
import uuid
from pathlib import Path


def run(rounds: int = 20) -> bool:
    from langchain_core.messages import HumanMessage
    from langgraph.checkpoint.sqlite import SqliteSaver
    from langgraph.types import Command

    from graph.builder import build_graph
    from graph.deps import Deps

    folder = Path(tempfile.mkdtemp(prefix="bench-graph-"))
    os.environ["TUNING_AGENT_HOME"] = str(folder / "home")
    csv = folder / "data.csv"
    csv.write_text("question,answer\n" + "".join(f"q{i}?,a{i}\n" for i in range(50)), encoding="utf-8")
    saver = SqliteSaver(sqlite3.connect(folder / "threads.sqlite", check_same_thread=False))
    graph = build_graph(Deps(platform_name="local"), checkpointer=saver)
    approve = Command(resume={"decisions": [{"type": "approve"}]})
    times: list[float] = []
    for _ in range(rounds):
        config = {"configurable": {"thread_id": uuid.uuid4().hex}}
        turns = [{"messages": [HumanMessage("I want to tune a model to answer trivia questions", id=uuid.uuid4().hex)]},
                 approve, {"messages": [HumanMessage(f"use {csv}", id=uuid.uuid4().hex)]}, approve]
        for value in turns:
            started = time.perf_counter()
            graph.invoke(value, config)
            times.append((time.perf_counter() - started) * 1000)
    median = statistics.median(times)
    p90 = sorted(times)[int(len(times) * 0.9)]
    print(f"graph turn overhead (SQLite checkpointer): median {median:.1f} ms, p90 {p90:.1f} ms "
          f"over {len(times)} turns")
    return median < 50


if __name__ == "__main__":
    run()
