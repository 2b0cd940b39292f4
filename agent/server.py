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

Every user's conversation is one server thread, and one compiled graph serves them all
(per-thread facts live in the checkpointed state). A job is watched in short polls, one
graph step each (`TUNING_AGENT_POLL_S`, default 5 s, growing to a minute), and one run
watches at most `TUNING_AGENT_WATCH_S` (default 300 s) before it ends "still watching":
no run holds a worker for long, and the background check (agent/background.py) posts
the result of a job nobody is watching. Who may call the server, and which
threads each caller sees, is `agent/auth.py` (the `"auth"` entry of both configs). What is
per user here is the local platform: `ServerDeps` gives each authenticated user their own
`LocalPlatform` under `$TUNING_AGENT_HOME/users/<user>/` (buckets, jobs), so one user's
bucket search or `local://` path never reaches another's files (see `tools.workspace`).
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
from graph.server_user import server_user
from tools.data.limits import SERVER_MODE_ENV
from tools.platforms.base import Platform

#: Where the hook keeps checkpoints: a SQLite file path, or a `postgresql://` URI.
SERVER_DB_ENV = "TUNING_AGENT_SERVER_DB"
SQLITE_NAME = "server-threads.sqlite"
#: The first interval between job polls (later ones grow to 12× it), and how long one run
#: watches before it ends saying it is still watching (graph/nodes/monitor.py).
POLL_ENV = "TUNING_AGENT_POLL_S"
WATCH_ENV = "TUNING_AGENT_WATCH_S"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


class ServerDeps(Deps):
    """`Deps` whose local platform is the calling user's own (their folder under `users/`)."""

    def platform(self, name: str) -> Platform:
        user = server_user()
        if name != "local" or user is None:
            return super().platform(name)
        key = (f"local:{user}", None, None)
        if key not in self.platform_instances:
            from tools.platforms.local import LocalPlatform
            from tools.workspace import user_home

            self.platform_instances[key] = LocalPlatform(user_home(user))
        return self.platform_instances[key]


def server_deps() -> Deps:
    """The defaults every server thread shares (platform and LLM from the environment).

    An assistant or a run may choose otherwise through its context (graph/context.py:
    `{"platform": "local", "llm": "none", "project": …, "region": …}`); an LLM spec named
    there is built once by `make_llm` and reused. The local platform is the calling user's own,
    and each new thread title goes into the thread's metadata (agent/thread_titles.py)."""
    from agent.thread_titles import publish_title

    return ServerDeps(platform_name=os.environ.get("TUNING_AGENT_PLATFORM", "auto"), llm=make_llm(),
                      llm_factory=make_llm, on_title=publish_title, poll_s=_seconds(POLL_ENV, 5.0),
                      watch_timeout_s=_seconds(WATCH_ENV, 300.0))


def _seconds(name: str, default: float) -> float:
    """A positive number of seconds from the environment (a bad value stops the server with the reason)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise SystemExit(f"tuning-agent: {name}={raw!r} is not a positive number of seconds.")
    return value


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

    from tools.settings import private_dir, private_file

    private_dir(Path(target).parent)
    async with AsyncSqliteSaver.from_conn_string(target) as saver:
        await saver.setup()
        private_file(Path(target))
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


# Server limits (e.g. the smaller JSON-file limit) apply in this process and its worker processes.
os.environ.setdefault(SERVER_MODE_ENV, "1")
# Files the server writes from now on are its own: `langgraph dev` keeps every user's threads and store
# in `./.langgraph_api/*.pckl`, which were readable by every account on the machine (0644).
os.umask(0o077)
graph = build_graph(server_deps())
