"""done: summarise the session, then answer test prompts against the tuned model."""

from __future__ import annotations

from typing import Any

from graph.approvals import ask
from graph.common import combine, facts, md_table, platform_of, rec, say
from graph.deps import Deps
from graph.state import TuningState
from tools.errors import ToolError

NAME = "done"

QUESTION = "Type a prompt to try the tuned model, or ask me anything."
NO_ENDPOINT = ("Ask me anything. Nothing is deployed: say **deploy** to deploy the tuned model, or start a new "
               "conversation to tune another.")


def summary(state: TuningState) -> str:
    """The session so far as a small table (also what "Mark as Resolved" posts); unknown rows are left out."""
    ds, hp, job, dep = rec(state, "dataset"), rec(state, "hparams"), rec(state, "job"), rec(state, "deployment")
    rows: list[list[Any]] = [["purpose", facts(state).get("purpose")], ["platform", state.get("platform")],
                             ["model", hp.get("base_model")], ["training data", ds.get("train_uri")],
                             ["validation data", ds.get("validation_uri")], ["job", job.get("name")],
                             ["state", job.get("state")], ["endpoint", dep.get("endpoint")],
                             ["cost", rec(state, "cost").get("label")], ["time", _job_time(state)]]
    return "Summary:\n\n" + md_table(["", ""], [r for r in rows if r[1] not in (None, "")], max_cell=120)


def _job_time(state: TuningState) -> str | None:
    """How long the job took against what was estimated ("2 min 10 s (estimated 1 min 40 s)")."""
    from tools.local.estimate import format_duration

    job, cost = rec(state, "job"), rec(state, "cost")
    elapsed, guess = job.get("elapsed_s"), cost.get("estimated_training_time_s")
    actual = job.get("actual_time") or (format_duration(elapsed) if elapsed else None)
    estimate = job.get("estimated_time") or (format_duration(guess) if guess else None)
    if actual and estimate:
        return f"{actual} (estimated {estimate})"
    return actual or (f"estimated {estimate}" if estimate and not job.get("ended") else None)


def done(state: TuningState) -> bool:
    """Never: the conversation stays here (summary, then test prompts)."""
    return False


def run(state: TuningState, deps: Deps) -> dict[str, Any]:
    dep, job = rec(state, "deployment"), rec(state, "job")
    known = facts(state)
    text = (known.get("last_text") or "").strip()
    if not dep.get("summarized"):
        follow = QUESTION if dep.get("endpoint") else NO_ENDPOINT
        return combine({"deployment": {"summarized": True}}, say(summary(state)), say(follow), ask("done", follow))
    if not dep.get("endpoint"):
        if job.get("succeeded") and (known.get("yes") or "deploy" in text.lower()):
            return {"deployment": {"wanted": None, "summarized": False}}  # deploy after all: back to the card
        return combine(say(NO_ENDPOINT), ask("done", NO_ENDPOINT))
    if text:
        try:
            reply = platform_of(state, deps).predict(str(dep["endpoint"]), text)
        except ToolError as err:
            reply = f"The endpoint did not answer: {err}"
        answer = reply.strip() or "(empty reply)"
        return combine(say(f"**Tuned model:** {answer}"), {"facts": {"last_text": None}}, ask("done", QUESTION))
    return combine(say(QUESTION), ask("done", QUESTION))
