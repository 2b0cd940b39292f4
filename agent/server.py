"""What the LangGraph server (`langgraph dev`, `langgraph up`, LangGraph Studio, Agent Chat UI) loads.

- `graph`: the tuning graph compiled WITHOUT a checkpointer: the server owns persistence
  (`langgraph dev`: files under `./.langgraph_api/`, or the hook below; `langgraph up`:
  its PostgreSQL). Platform from `TUNING_AGENT_PLATFORM` (auto|local|vertex), LLM from
  `TUNING_AGENT_LLM` (see `agent.llm`); both are read once, when the server imports this.
- `make_checkpointer`: the custom-checkpointer hook that `langgraph.dev.json` names
  (`"checkpointer": {"path": "./agent/server.py:make_checkpointer"}`). It keeps every
  checkpoint in SQLite (`$TUNING_AGENT_HOME/server-threads.sqlite`, written at each step,
  not every 10 s like the dev server's own files), or in PostgreSQL when
  `TUNING_AGENT_SERVER_DB` is a `postgresql://` URI.

Every user's conversation is one server thread; nothing here is per-user, so one
compiled graph serves them all (per-thread facts live in the checkpointed state).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from agent.llm import make_llm
from graph.builder import build_graph
from graph.deps import Deps

#: Where the hook keeps checkpoints: a SQLite file path, or a `postgresql://` URI.
SERVER_DB_ENV = "TUNING_AGENT_SERVER_DB"
SQLITE_NAME = "server-threads.sqlite"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def server_deps() -> Deps:
    """The defaults every server thread shares (platform and LLM from the environment).

    An assistant or a run may choose otherwise through its context (graph/context.py:
    `{"platform": "local", "llm": "none", "project": …, "region": …, "user": …}`); an LLM
    spec named there is built once by `make_llm` and reused."""
    return Deps(platform_name=os.environ.get("TUNING_AGENT_PLATFORM", "auto"), llm=make_llm(), llm_factory=make_llm)


def server_db() -> str:
    """The checkpoint store the hook opens: `$TUNING_AGENT_SERVER_DB`, else the SQLite default."""
    configured = os.environ.get(SERVER_DB_ENV, "").strip()
    if configured:
        return configured if configured.startswith(POSTGRES_SCHEMES) else str(Path(configured).expanduser())
    from tools.settings import tuning_agent_home

    return str(tuning_agent_home() / SQLITE_NAME)


@asynccontextmanager
async def make_checkpointer() -> AsyncIterator[Any]:
    """Open the checkpoint store for the server's lifetime (the server enters it once per event loop)."""
    target = server_db()
    if target.startswith(POSTGRES_SCHEMES):
        async with _postgres(target) as saver:
            yield saver
        return
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    Path(target).parent.mkdir(parents=True, exist_ok=True)
    async with AsyncSqliteSaver.from_conn_string(target) as saver:
        await saver.setup()
        yield saver


@asynccontextmanager
async def _postgres(uri: str) -> AsyncIterator[Any]:
    """An AsyncPostgresSaver over a small connection pool (concurrent runs don't queue on one connection)."""
    try:
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
        from psycopg import AsyncConnection
        from psycopg.rows import DictRow, dict_row
        from psycopg_pool import AsyncConnectionPool
    except ImportError as err:
        raise RuntimeError(f"{SERVER_DB_ENV} is a PostgreSQL URI but the driver is missing: "
                           "pip install 'tuning-agent[postgres]' (langgraph-checkpoint-postgres, "
                           "psycopg[binary])") from err
    size = int(os.environ.get("TUNING_AGENT_SERVER_DB_POOL", "10"))
    pool = AsyncConnectionPool(uri, min_size=1, max_size=size, open=False,
                               connection_class=AsyncConnection[DictRow],
                               kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row})
    await pool.open(wait=True)
    try:
        saver = AsyncPostgresSaver(pool)
        await saver.setup()
        yield saver
    finally:
        await pool.close()


graph = build_graph(server_deps())
