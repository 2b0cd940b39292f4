"""`tuning-agent threads`: the saved chat conversations, where each one stands, and when it last moved."""

from __future__ import annotations

import argparse
from typing import Any

from agent.commands.common import print_json


def register(subparsers: Any) -> None:
    """Add `threads`."""
    threads = subparsers.add_parser(
        "threads", help="list saved chat conversations",
        description="List the conversations saved in $TUNING_AGENT_HOME/threads.sqlite, most recent first, "
        "with its title (purpose and dataset), the step it waits at and its job's state as last saved. "
        "Resume one with `tuning-agent chat --thread ID`.")
    threads.add_argument("--limit", type=int, default=20, help="show at most this many (default 20)")
    threads.add_argument("--json", action="store_true", help="print one JSON object")
    threads.set_defaults(handler=_threads)


def _threads(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from agent.cli import UsageError
    from agent.sessions import db_path, thread_ids

    if args.limit < 1:
        raise UsageError(f"--limit must be at least 1 (got {args.limit})")
    path = db_path()
    ids = thread_ids(path)[: args.limit]
    if not ids:
        if args.json:
            print_json({"threads": [], "db": str(path)})
        else:
            print(f"No saved conversations in {path}. Start one with `tuning-agent chat`.")
        return 0
    rows = _summaries(path, ids)
    if args.json:
        print_json({"threads": [asdict(r) for r in rows], "db": str(path)})
        return 0
    _print_table(rows, str(path))
    print("Resume with: tuning-agent chat --thread ID")
    return 0


def _print_table(rows: list[Any], path: str) -> None:
    """A rich table on a terminal; plain aligned columns (one thread per line) otherwise."""
    import sys

    columns = ("thread", "step", "job", "last activity", "platform", "title")
    cells = [(r.thread_id, r.step, r.job, r.last_activity, r.platform, r.title) for r in rows]
    if not sys.stdout.isatty():
        widths = [max(len(columns[i]), *(len(c[i]) for c in cells)) for i in range(len(columns) - 1)]
        print(f"Saved conversations ({path})")
        for line in [columns, *cells]:
            print("  ".join(v.ljust(w) for v, w in zip(line[:-1], widths, strict=True)) + "  " + line[-1])
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Saved conversations ({path})", title_justify="left")
    for column in columns:
        table.add_column(column, no_wrap=column == "thread", overflow="fold")
    for cell in cells:
        table.add_row(*cell)
    Console(highlight=False).print(table)


def _summaries(path: Any, ids: list[str]) -> list[Any]:
    """Each thread's summary, read through the compiled graph (no LLM, no platform calls)."""
    from agent.sessions import open_saver, summarize
    from graph.builder import build_graph
    from graph.deps import Deps

    saver = open_saver(path)
    try:
        graph = build_graph(Deps(platform_name="local"), checkpointer=saver)
        return [summarize(graph, thread_id) for thread_id in ids]
    finally:
        saver.conn.close()
