"""monitor: watch the job in short, checkpointed polls; report the result with its loss figures.

Real Vertex AI jobs run for hours, so watching is never one long step. Each monitor step
makes ONE poll (`tools.monitoring.poll`), waiting `next_poll_s` before it, and rewrites
ONE progress message in place (a fixed message id, so `add_messages` replaces it): Studio,
Agent Chat UI and the terminal all see the same line move. After each poll the graph is
checkpointed and routes back to this step, so a cancelled run or a closed page loses
nothing: the job runs on, and the next message (or reconnect) polls again at once and
goes on watching.

A run watches for at most `deps.watch_timeout_s` seconds or `MAX_POLLS_PER_RUN` polls
(each poll is a graph step, and a run's steps are limited); then it ends saying it is
still watching, and any message continues. On the server, the background check
(`agent/background.py`) posts the result to an idle thread whose job ended meanwhile;
it uses the same result message id, so a result is never shown twice.
"""

from __future__ import annotations

import time
from typing import Any

from langchain_core.messages import AIMessage
from pydantic import BaseModel

from graph.approvals import ask, await_decision, propose, run_created_at
from graph.common import combine, platform_of, progress, rec, say
from graph.deps import Deps
from graph.nodes.submit import job_record
from graph.state import TuningState

NAME = "monitor"

ACTION = "monitor_job"

#: Polls one run may make (each is a graph step; a run's steps are bounded by RECURSION_LIMIT).
MAX_POLLS_PER_RUN = 36
#: The longest wait between polls, as a multiple of `deps.poll_s` (5 s → once a minute).
MAX_INTERVAL_FACTOR = 12

STILL_WATCHING = ("Still watching: the job keeps running whether or not this page is open. "
                  "Say anything to see the latest and go on watching, or **stop watching**.")
NOT_WATCHING = "Not watching. The job keeps running; ask me for the **status** any time."


class WatchArgs(BaseModel):
    watch: bool = True


def progress_id(job_name: str) -> str:
    """The id of the job's one progress message (rewritten in place by every poll)."""
    from tools.monitoring import short_name

    return f"job-progress-{short_name(job_name)}"


def result_id(job_name: str) -> str:
    """The id of the job's one result message (the background check posts under the same id)."""
    from tools.monitoring import short_name

    return f"job-result-{short_name(job_name)}"


def _progress_message(info: Any) -> AIMessage:
    from tools.monitoring import progress_line

    return AIMessage(content=progress_line(info), id=progress_id(info.name),
                     additional_kwargs={"status": True, "progress": True})


def _ended(info: Any) -> dict[str, Any]:
    """The job ended: record it, set the progress line to its last state, post the result once."""
    from tools.monitoring import final_message

    result = AIMessage(content=final_message(info), id=result_id(info.name))
    return {"job": job_record(info), "messages": [_progress_message(info), result]}


def _turn_key(state: TuningState) -> str:
    """What identifies the current run: its creation time on the server, else the last human message."""
    created = run_created_at()
    if created is not None:
        return f"run:{created}"
    for message in reversed(state.get("messages") or []):
        if getattr(message, "type", "") == "human":
            return f"msg:{message.id}"
    return "none"


def _poll(state: TuningState, deps: Deps, fresh: bool = False) -> dict[str, Any]:
    """One poll (after the wait the schedule asks for), one progress message, and where to go next."""
    from tools.monitoring import next_poll_s, progress_of

    job = rec(state, "job")
    key = _turn_key(state)
    now = time.time()
    polls, since = int(job.get("polls") or 0), float(job.get("watch_since") or now)
    if fresh or job.get("watch_turn") != key or polls >= MAX_POLLS_PER_RUN or now - since >= deps.watch_timeout_s:
        # A new run (the last one ended, having used its budget): poll at once, with a fresh budget.
        polls, since = 0, now
    else:
        wait = next_poll_s(polls, base_s=deps.poll_s, max_s=deps.poll_s * MAX_INTERVAL_FACTOR)
        time.sleep(max(0.0, min(wait, since + deps.watch_timeout_s - now)))
    info = platform_of(state, deps).get_job(str(job["name"]))
    seen = progress_of(info)
    progress("monitor", state=info.state, step=seen.step, total=seen.total, loss=seen.loss, eta_s=seen.eta_s)
    if info.ended:
        return _ended(info)
    polls += 1
    watching = {"job": {**job_record(info), "watch": True, "watch_turn": key, "watch_since": since,
                        "polls": polls}, "messages": [_progress_message(info)]}
    if polls < MAX_POLLS_PER_RUN and time.time() - since < deps.watch_timeout_s:
        return {**watching, "turn_steps": []}  # a poll is progress: the loop guard lets the next one run
    return combine(watching, say(STILL_WATCHING, status=True), ask("monitor", STILL_WATCHING))


def _status(state: TuningState, deps: Deps) -> dict[str, Any]:
    """Not watching: one look, reported in the progress message, then wait for the human."""
    job = rec(state, "job")
    info = platform_of(state, deps).get_job(str(job["name"]))
    if info.ended:
        return _ended(info)
    return combine({"job": job_record(info), "messages": [_progress_message(info)]},
                   say("Say **watch** to follow it here, or ask for the **status** any time.", status=True),
                   ask("monitor", "Ask for the status any time."))


def done(state: TuningState) -> bool:
    """The job ended."""
    return bool((state.get("job") or {}).get("ended"))


def _wants(state: TuningState, *words: str) -> bool:
    text = str((state.get("facts") or {}).get("last_text") or "").lower()
    return any(word in text for word in words)


def _asks_to_watch(text: str | None) -> bool:
    """Words typed at the watch card that mean yes ("keep watching", "go on") — not a decline."""
    said = (text or "").lower()
    if any(no in said for no in ("stop", "don't", "do not", "unwatch", "no ")) or said.strip() in {"no", "n"}:
        return False
    return any(yes in said for yes in ("watch", "continue", "go on", "keep going", "follow"))


def run(state: TuningState, deps: Deps) -> dict[str, Any]:
    job = rec(state, "job")
    pending = state.get("pending") or {}
    if pending.get("action") == ACTION:
        outcome = await_decision(state, WatchArgs)
        watch = bool(outcome.args.get("watch")) if outcome.approved else _asks_to_watch(outcome.message)
        if watch:
            return combine(outcome.updates, {"job": {"watch": True}}, _poll(state, deps, fresh=True))
        info = platform_of(state, deps).get_job(str(job["name"]))
        if info.ended:  # ended while the card waited: its result, not "keeps running"
            return combine(outcome.updates, {"job": {"watch": False}}, _ended(info))
        return combine(outcome.updates, {"job": {"watch": False}}, say(NOT_WATCHING), ask("monitor", NOT_WATCHING))
    if job.get("watch") is None:
        return propose("monitor", ACTION, {"watch": True},
                       "The job is running. Watch it here until it finishes? Progress (step, loss, time left) "
                       "is shown in one message that updates as it goes; you can close the page at any time "
                       "and the job runs on. Reject to leave it running and check back later.")
    if _wants(state, "stop watching", "don't watch", "do not watch", "unwatch"):
        return combine({"job": {"watch": False}}, say(NOT_WATCHING), ask("monitor", NOT_WATCHING))
    if not job.get("watch") and _wants(state, "watch"):
        return combine({"job": {"watch": True}}, _poll(state, deps, fresh=True))
    if job.get("watch"):
        return _poll(state, deps)
    return _status(state, deps)
