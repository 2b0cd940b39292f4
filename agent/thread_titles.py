"""Thread titles into the LangGraph server's thread metadata, written from inside the run.

The graph keeps each thread's title in state (graph/title.py) and tells `Deps.on_title`
when it changes. On the server that is `publish_title`: it sets the thread's metadata
`title` through the SDK's in-process client (`langgraph_sdk.get_client()` with no URL,
which calls the server's own app, past authentication), so a thread search (Studio, any
SDK client, the background check) names the thread while its first turn is still running.

Graph nodes run in a worker thread, while the server's app and storage live on its event
loop: the update is scheduled there and waited for briefly (a second at most, so a busy
server never holds a person's reply for a title); it usually lands before the run ends, and
otherwise moments after. Outside a server run
(no thread id, no server loop) it does nothing; a failure is logged, never raised: a
missing title must not break a step.
"""

from __future__ import annotations

import asyncio
import logging

log = logging.getLogger(__name__)

#: Longest wait for the metadata write, in seconds (the write goes on after it).
WAIT_S = 1.0


def publish_title(title: str) -> None:
    """Write `title` into the metadata of the thread whose run is calling (a no-op outside a server run)."""
    thread_id = _thread_id()
    if thread_id is None:
        return
    try:
        from langgraph_api.asyncio import run_coroutine_threadsafe  # the server's own loop
    except ImportError:
        return
    try:
        future = run_coroutine_threadsafe(_update(thread_id, title))
    except RuntimeError:  # not inside a running server
        return
    if _on_loop():  # called on the server's loop itself: waiting here would block it
        return
    try:
        future.result(timeout=WAIT_S)
    except TimeoutError:
        log.info("the title of thread %s is still being written", thread_id)
    except Exception as err:  # a title is never worth a failed step
        log.warning("could not write the title of thread %s: %s", thread_id, err)


async def _update(thread_id: str, title: str) -> None:
    from langgraph_sdk import get_client

    async with get_client(api_key=None) as client:  # no URL: the in-process app
        await client.threads.update(thread_id, metadata={"title": title})


def _thread_id() -> str | None:
    try:
        from langgraph.config import get_config

        thread_id = (get_config().get("configurable") or {}).get("thread_id")
    except RuntimeError:  # not inside a graph run
        return None
    return str(thread_id) if thread_id else None


def _on_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
