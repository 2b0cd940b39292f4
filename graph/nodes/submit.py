"""submit: create the tuning job — only after the card showing the exact equivalent command
is approved. The run id travels as a label, so a resumed thread finds the job it already
created instead of creating another."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from graph.approvals import ask, await_decision, propose
from graph.common import combine, facts, platform_of, rec, run_id, say
from graph.deps import Deps
from graph.spec import job_spec
from graph.state import TuningState

NAME = "submit"

ACTION = "submit_tuning_job"


def job_record(info: Any) -> dict[str, Any]:
    """The job fields kept in state (no loss histories: the platform has them)."""
    return {"name": info.name, "state": info.state, "console_url": info.console_url,
            "real_region": info.real_region, "error_message": info.error_message, "advice": info.advice,
            "final_checkpoint_uri": info.final_checkpoint_uri, "tuned_model_endpoint": info.tuned_model_endpoint,
            "base_model": info.base_model, "ended": info.ended, "succeeded": info.succeeded,
            "output_uri": info.output_uri, "elapsed_s": info.took_s}


def done(state: TuningState) -> bool:
    """A job exists."""
    return bool((state.get("job") or {}).get("name"))


def run(state: TuningState, deps: Deps) -> dict[str, Any]:
    platform = platform_of(state, deps)
    pending = state.get("pending") or {}
    job = rec(state, "job")
    existing = platform.find_job(run_id(state))
    if existing is not None:
        # Created before the process stopped, but the thread never recorded it (stopped mid-step):
        # take it up rather than show a card for a job that already exists.
        opened = {"pending": None} if pending.get("action") == ACTION else {}
        return combine(opened, {"job": {**job_record(existing), "declined": False}},
                       say(f"This conversation's job was already submitted: `{existing.name}` ({existing.state}). "
                           "Nothing was submitted again.", status=True))
    if pending.get("action") != ACTION:
        if job.get("declined") and not facts(state).get("yes"):
            return ask("submit", "Say **submit** when you want to start the job.")
        spec = job_spec(state, platform)
        cost = rec(state, "cost")
        description = (f"Start the tuning job for **{spec.base_model}**. {cost.get('label', '')}\n\n"
                       f"Equivalent command:\n\n```\n{platform.equivalent_command(spec)}\n```")
        return combine({"job": {"declined": False}}, propose(
            "submit", ACTION, spec.model_dump(exclude_none=True), description, allowed=("approve", "reject")))
    outcome = await_decision(state)
    if not outcome.approved:
        return combine(outcome.updates, {"job": {"declined": True}},
                       say("Nothing was submitted. Say **submit** when you're ready, or tell me what to change."),
                       ask("submit", "Submit the job?"))
    spec = job_spec(state, platform)
    info = platform.submit_job(spec)
    record = {**job_record(info), "submitted_at": datetime.now(UTC).isoformat(timespec="seconds")}
    link = f" — {info.console_url}" if info.console_url else ""
    return combine(outcome.updates, {"job": record},
                   say(f"Job submitted: `{info.name}` ({info.state}){link}.", status=True))
