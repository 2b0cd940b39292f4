"""monitor: watch the job until it ends (or not, as the user chooses); explain failures.

Watching polls with backoff and streams progress; it stops after the graph's watch
timeout and says how to check again, so a long cloud job never holds a turn forever.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from graph.approvals import ask, await_decision, propose
from graph.common import combine, md_table, platform_of, rec, say
from graph.deps import Deps
from graph.nodes.submit import job_record
from graph.state import TuningState

NAME = "monitor"

ACTION = "monitor_job"


class WatchArgs(BaseModel):
    watch: bool = True


def _describe(info: Any) -> str:
    parts = [f"Job `{info.name}`: **{info.state.removeprefix('JOB_STATE_').lower()}**"]
    if info.step is not None and info.total_steps:
        parts.append(f"step {info.step}/{info.total_steps}")
    if info.train_loss:
        parts.append(f"loss {info.train_loss[-1].loss:.3f}")
    if info.eta_s:
        parts.append(f"about {info.eta_s / 60:.0f} min left" if info.eta_s >= 60 else f"{info.eta_s:.0f} s left")
    return ", ".join(parts) + "."


def _ended(info: Any) -> dict[str, Any]:
    record = job_record(info)
    if info.succeeded:
        shown = {k: v for k, v in info.data_stats.items() if isinstance(v, (int, float, str)) and k != "log_path"}
        stats = "\n\n" + md_table(["statistic", "value"], [[k, v] for k, v in shown.items()]) if shown else ""
        return combine({"job": record}, say(f"✅ The job succeeded.{stats}"))
    advice = f"\n\nWhat to do: {info.advice}" if info.advice else ""
    return combine({"job": record}, say(f"❌ The job ended as **{info.state}**: {info.error_message or 'no message'}"
                                        f"{advice}"))


def _watch(state: TuningState, deps: Deps) -> dict[str, Any]:
    from graph.common import progress

    platform = platform_of(state, deps)
    name = rec(state, "job")["name"]
    last = platform.get_job(name)
    for info in platform.watch_job(name, poll_s=deps.poll_s, timeout_s=deps.watch_timeout_s):
        last = info
        progress("monitor", state=info.state, step=info.step, total=info.total_steps,
                 loss=info.train_loss[-1].loss if info.train_loss else None, eta_s=info.eta_s)
    if last.ended:
        return _ended(last)
    return combine({"job": job_record(last)}, say(_describe(last), "I stopped watching; ask for the **status** "
                                                  "any time."), ask("monitor", "Ask for the status any time."))


def done(state: TuningState) -> bool:
    """The job ended."""
    return bool((state.get("job") or {}).get("ended"))


def run(state: TuningState, deps: Deps) -> dict[str, Any]:
    job = rec(state, "job")
    pending = state.get("pending") or {}
    if pending.get("action") == ACTION:
        outcome = await_decision(state, WatchArgs)
        watch = bool(outcome.args.get("watch")) if outcome.approved else False
        if watch:
            return combine(outcome.updates, {"job": {"watch": True}}, _watch(state, deps))
        return combine(outcome.updates, {"job": {"watch": False}},
                       say("Not watching. The job keeps running; ask me for the **status** any time."),
                       ask("monitor", "Ask for the status any time."))
    if job.get("watch") is None:
        return propose("monitor", ACTION, {"watch": True},
                       "Watch the job here until it finishes (progress and loss as it goes)? "
                       "Reject to leave it running and check back later.")
    info = platform_of(state, deps).get_job(job["name"])
    if info.ended:
        return _ended(info)
    if job.get("watch"):
        return _watch(state, deps)
    return combine({"job": job_record(info)}, say(_describe(info)), ask("monitor", "Ask for the status any time."))
