"""The server's background job check: finds threads whose job was left running, and posts the result.

A user of Agent Chat UI or Studio may close the page right after submitting; a Vertex AI job
then runs for hours with nobody watching. This check, run every few minutes, looks at each
thread on the LangGraph server (through its HTTP API, with `langgraph_sdk`), polls the job
of every idle thread whose saved job has not ended (one `get_job` call, `tools.monitoring`),
and when the job has ended posts the final message (outcome and loss figures) to that thread,
with the job record updated, so the next page load shows the result. It also writes each
thread's title (purpose · dataset, `tools.titles`) into the thread's metadata as `title`.

It never interrupts a run in progress or an open card: busy and interrupted threads are left
to the conversation itself (their next step reports the job). It is idempotent: once the job
record says `ended`, the thread is skipped.

Run it next to the server (same `TUNING_AGENT_PLATFORM` and credentials, since it polls the
platform itself):

    python -m agent.background --url http://127.0.0.1:2024            # one check
    python -m agent.background --url http://127.0.0.1:2024 --every 300 # every 5 minutes

Posting a result writes the thread's state, which the server allows only to the job checker:
start the server and this check with the same `TUNING_AGENT_CHECKER_KEY` (16+ characters; sent
as `x-api-key`, or give `--api-key`). The in-server `job_checker` below needs nothing: it runs
in the server's process, which makes up a key when none is set.

Or let the server run it as a LangGraph cron: `langgraph.json` also serves `graph` below as the
assistant `job_checker` (one node that runs the same check in-process), and

    python -m agent.background --url http://127.0.0.1:2024 --install-cron "*/5 * * * *"

creates a cron (`client.crons.create`) that runs it every 5 minutes (cron times are UTC).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from typing import Any, TypedDict

#: Threads read per page of `threads.search`.
PAGE = 100
#: The assistant (graph id in langgraph.json) that runs the check inside the server.
CHECKER = "job_checker"


@dataclass
class Posted:
    """One thread whose job result was posted."""

    thread_id: str
    job: str
    state: str
    owner: str | None = None


def check_once(client: Any, platform_for: Any, limit: int = 1000) -> list[Posted]:
    """One pass over the server's idle threads; returns the results posted (`client`: a sync SDK client).

    `platform_for(name, owner)` gives the platform a thread runs on (`local` or `vertex`) for the
    thread's owner (each user's local jobs live in their own folder).
    """
    posted: list[Posted] = []
    for thread in _idle_threads(client, limit):
        title = _new_title(thread)
        if title:
            client.threads.update(thread["thread_id"], metadata={"title": title})
        found = _job_result(thread, platform_for)
        if found is not None:
            client.threads.update_state(thread["thread_id"], found[0])
            posted.append(found[1])
    return posted


async def acheck_once(client: Any, platform_for: Any, limit: int = 1000) -> list[Posted]:
    """`check_once` with the async SDK client (what the in-server cron graph uses)."""
    import asyncio

    posted: list[Posted] = []
    offset = 0
    while offset < limit:
        page = list(await client.threads.search(status="idle", limit=min(PAGE, limit - offset), offset=offset))
        for thread in page:
            title = _new_title(thread)
            if title:
                await client.threads.update(thread["thread_id"], metadata={"title": title})
            found = await asyncio.to_thread(_job_result, thread, platform_for)  # get_job blocks
            if found is not None:
                await client.threads.update_state(thread["thread_id"], found[0])
                posted.append(found[1])
        if len(page) < PAGE:
            break
        offset += len(page)
    return posted


def _new_title(thread: dict[str, Any]) -> str | None:
    """The thread's title (purpose · dataset) when its metadata lacks it or it changed; else None.

    Written to metadata `title` for clients that list threads by metadata (the server's
    thread search, Studio). The graph writes it there itself as soon as it changes
    (agent/thread_titles.py); this catches threads from before that. No purpose yet: no title.
    """
    from tools.titles import conversation_title

    values = thread.get("values") or {}
    purpose = (values.get("facts") or {}).get("purpose") or _first_human_text(values)
    if not values.get("title") and not purpose:
        return None
    title = values.get("title") or conversation_title(purpose, (values.get("dataset") or {}).get("source"))
    return None if (thread.get("metadata") or {}).get("title") == title else title


def _first_human_text(values: dict[str, Any]) -> str:
    for message in values.get("messages") or []:
        if isinstance(message, dict) and message.get("type") == "human":
            content = message.get("content")
            if isinstance(content, list):  # Agent Chat UI sends content blocks
                return " ".join(str(b.get("text", "")) for b in content if isinstance(b, dict)).strip()
            return str(content or "").strip()
    return ""


def _job_result(thread: dict[str, Any], platform_for: Any) -> tuple[dict[str, Any], Posted] | None:
    """The state update that reports the thread's job, when its saved job was running and has ended."""
    from tools.errors import ToolError
    from tools.monitoring import ended_while_away, final_message, short_name

    values = thread.get("values") or {}
    job = values.get("job") or {}
    if not job.get("name") or job.get("ended"):
        return None
    try:
        owner = (thread.get("metadata") or {}).get("owner")
        info = platform_for(str(values.get("platform") or "local"), owner).get_job(str(job["name"]))
    except ToolError as err:
        print(f"{thread['thread_id']}: could not read job {job['name']}: {err.message}", file=sys.stderr)
        return None
    if not ended_while_away(job, info):
        return None
    message = {"type": "ai", "content": final_message(info), "id": f"job-result-{short_name(info.name)}"}
    record = {"name": info.name, "state": info.state, "ended": True, "succeeded": info.succeeded,
              "error_message": info.error_message, "advice": info.advice}
    return ({"messages": [message], "job": record},
            Posted(thread_id=str(thread["thread_id"]), job=info.name, state=info.state, owner=owner))


def _idle_threads(client: Any, limit: int) -> list[dict[str, Any]]:
    """Idle threads (no run going, no card open), newest first, with their values."""
    threads: list[dict[str, Any]] = []
    offset = 0
    while len(threads) < limit:
        page = client.threads.search(status="idle", limit=min(PAGE, limit - len(threads)), offset=offset)
        threads += list(page)
        if len(page) < PAGE:
            break
        offset += len(page)
    return threads


class CheckState(TypedDict, total=False):
    """What one run of the in-server check reports: the threads of the run's user it posted to."""

    posted: list[dict[str, str]]


async def _check_jobs(state: CheckState) -> CheckState:
    """The cron's one step: the same check, through the in-process API (`get_client()` with no URL).

    The check posts to every user's threads, but the run's result lists only those of the user who
    started it: anyone may run the check (a cron is its user's), and it must not tell them about others'
    threads, jobs or outcomes."""
    from graph.server_user import server_user

    posted = await acheck_once(_checker_client(), platform_for)
    me = server_user()
    return {"posted": [{"thread_id": p.thread_id, "job": p.job, "state": p.state} for p in posted
                       if p.owner is not None and p.owner == me]}


def _checker_client() -> Any:
    """An in-process API client that authenticates as the job checker.

    `get_client()` with no URL talks to the server in-process, but under `/noauth`: its requests
    skip authentication and act as the run's own user (whoever started the cron), who may not
    write a thread's state. This client goes through the ordinary, authenticated routes with
    the checker's key instead (`agent/auth.py`), still without leaving the process. (It uses
    two langgraph_api internals, the in-process transport and the auth context variable;
    tests/test_server_background.py pins that it works.)
    """
    import httpx
    from langgraph_sdk.client import LangGraphClient

    from agent.auth import checker_key

    try:
        from langgraph_api.asgi_transport import ASGITransport as Transport
        from langgraph_api.server import app
        from langgraph_api.utils import AuthContext
    except ImportError as err:  # not inside a LangGraph server
        raise RuntimeError("the in-server job check runs only inside the LangGraph server") from err
    # The server lets a request made inside a run act as that run's user, overriding what the
    # request authenticated as: clear it (in this node's own context only) so the key counts.
    AuthContext.set(None)
    http = httpx.AsyncClient(base_url="http://api", transport=Transport(app, root_path=""),
                             headers={"x-api-key": checker_key()}, timeout=httpx.Timeout(60.0))
    return LangGraphClient(http)


_deps: Any = None


def _server_deps() -> Any:
    """The platforms the server's threads run on (from `TUNING_AGENT_PLATFORM`, as agent/server.py)."""
    global _deps
    if _deps is None:
        from graph.deps import Deps

        _deps = Deps(platform_name=os.environ.get("TUNING_AGENT_PLATFORM", "auto"))
    return _deps


def platform_for(name: str, owner: str | None = None) -> Any:
    """The platform of a thread owned by `owner`: on `local`, that user's own workspace (as the
    server's `ServerDeps` gives it), so the check finds the jobs the user started."""
    deps = _server_deps()
    if name != "local" or not owner:
        return deps.platform(name)
    key = (f"local:{owner}", None, None)
    if key not in deps.platform_instances:
        from tools.platforms.local import LocalPlatform
        from tools.workspace import user_home

        deps.platform_instances[key] = LocalPlatform(user_home(owner))
    return deps.platform_instances[key]


def _build_checker() -> Any:
    from langgraph.graph import START, StateGraph

    builder = StateGraph(CheckState)
    builder.add_node("check_jobs", _check_jobs)
    builder.add_edge(START, "check_jobs")
    return builder.compile(name=CHECKER)


#: What langgraph.json serves as the `job_checker` assistant (run by the cron).
graph = _build_checker()


def install_cron(client: Any, schedule: str) -> dict[str, Any]:
    """Create the cron that runs `job_checker` on `schedule`, unless one with that schedule exists."""
    # The cron API filters by assistant UUID; the graph id names the default assistant.
    ids = {a["assistant_id"] for a in client.assistants.search(graph_id=CHECKER, limit=100)}
    for cron in client.crons.search(limit=100):
        if cron.get("assistant_id") in ids and cron.get("schedule") == schedule:
            return dict(cron)
    return dict(client.crons.create(CHECKER, schedule=schedule, input={}))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agent.background", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("LANGGRAPH_URL", "http://127.0.0.1:2024"),
                        help="the LangGraph server (default http://127.0.0.1:2024, or $LANGGRAPH_URL)")
    parser.add_argument("--api-key",
                        help="sent as x-api-key: for a check, the server's job-checker key (default "
                             "$TUNING_AGENT_CHECKER_KEY, the same value the server has); for --install-cron, "
                             "your own API key (default $TUNING_AGENT_API_KEY)")
    parser.add_argument("--install-cron", metavar="SCHEDULE",
                        help='create a server cron that runs the check on SCHEDULE (UTC), e.g. "*/5 * * * *"')
    parser.add_argument("--every", type=float, metavar="SECONDS",
                        help="check again every SECONDS until stopped (default: check once)")
    args = parser.parse_args(argv)
    if args.every is not None and args.every < 10:
        parser.error("--every must be at least 10 seconds")

    from langgraph_sdk import get_sync_client

    key = args.api_key or os.environ.get("TUNING_AGENT_API_KEY" if args.install_cron else "TUNING_AGENT_CHECKER_KEY")
    client = get_sync_client(url=args.url, api_key=key or None)
    if args.install_cron:
        cron = install_cron(client, args.install_cron)
        print(f"Cron {cron['cron_id']} runs {CHECKER} on {cron['schedule']!r} (UTC).")
        return 0
    while True:
        for item in check_once(client, platform_for):
            print(f"{item.thread_id}: job {item.job} ended as {item.state}; result posted", flush=True)
        if args.every is None:
            return 0
        time.sleep(args.every)


if __name__ == "__main__":
    sys.exit(main())
