"""deploy: serve the tuned model — after approval, on the suggested hardware at its hourly
price, in a real region. Gemini jobs already have an endpoint: it is reported, not created.
Deployment is idempotent by endpoint display name (the run id)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field

from graph.approvals import await_decision, propose
from graph.common import combine, md_table, platform_of, progress, rec, say
from graph.deps import Deps
from graph.spec import deploy_spec, endpoint_name
from graph.state import TuningState
from knowledge import machine
from tools import money
from tools.errors import ToolError
from tools.platforms.base import JobInfo, Platform

NAME = "deploy"

ACTION = "deploy_model"


class DeployArgs(BaseModel):
    endpoint_display_name: str
    machine_type: str | None = None
    accelerator_type: str | None = None
    accelerator_count: int | None = Field(default=None, ge=1)
    region: str | None = None


def _proposal(state: TuningState, deps: Deps, machine_type: str | None = None) -> tuple[dict[str, Any], str]:
    """The deploy card for this platform: its hardware, region and price, and the literal commands."""
    job, project = rec(state, "job"), rec(state, "project")
    proposal = platform_of(state, deps).deploy_proposal(
        endpoint_name(state), job.get("base_model") or rec(state, "hparams").get("base_model"),
        job.get("real_region") or project.get("region"), machine_type)
    args = dict(proposal.args)
    return args, f"{proposal.description}\n\nThe same from a terminal:\n\n{_commands(state, args)}"


def _commands(state: TuningState, args: dict[str, Any]) -> str:
    """`tuning-agent deploy …` and, for open models on Vertex AI, the gcloud equivalent (a code block)."""
    from tools.commands import deploy_commands

    job, project = rec(state, "job"), rec(state, "project")
    platform = str(state.get("platform") or "local")
    try:
        return deploy_commands(
            str(job.get("name") or ""), platform=platform, category=str(state.get("category") or platform),
            checkpoint_uri=job.get("final_checkpoint_uri"), project=project.get("project"),
            region=args.get("region"), machine_type=args.get("machine_type"),
            accelerator_type=args.get("accelerator_type"), accelerator_count=args.get("accelerator_count"),
            endpoint_name=args.get("endpoint_display_name")).render()
    except ToolError as err:
        return f"(No command shown: {err.message})"


#: Answers that decline deploying after a failed endpoint lookup (instead of looking again).
_DECLINE = re.compile(r"^\s*(?:n|no|nope|skip(?: it| deploy(?:ment|ing)?)?|don'?t(?: deploy)?(?: it)?|do not deploy|"
                      r"no deploy(?:ment)?|not now|cancel|never ?mind|stop)\b", re.IGNORECASE)


def _declined_after_failure(state: TuningState) -> bool:
    """The last deploy attempt failed (the step asked how to proceed) and the answer says no."""
    pending = state.get("pending") or {}
    if pending.get("kind") != "question" or pending.get("step") != NAME:
        return False
    known = state.get("facts") or {}
    return known.get("yes") is False or bool(_DECLINE.match(str(known.get("last_text") or "")))


def done(state: TuningState) -> bool:
    """Deployed, or not wanted."""
    dep = state.get("deployment") or {}
    return dep.get("wanted") is False or bool(dep.get("endpoint"))


def run(state: TuningState, deps: Deps) -> dict[str, Any]:
    job = rec(state, "job")
    if not job.get("succeeded"):
        return combine({"deployment": {"wanted": False}}, say("Nothing to deploy: the job did not succeed."))
    if _declined_after_failure(state):
        return combine({"deployment": {"wanted": False}}, say("Not deploying. Say **deploy** later if you change "
                                                              "your mind."))
    platform = platform_of(state, deps)
    endpoint = platform.served_endpoint(state.get("category"), job.get("tuned_model_endpoint"))
    if endpoint:
        return combine({"deployment": {"wanted": True, "endpoint": endpoint}},
                       say(f"Gemini tuned models are served automatically. Your endpoint: `{endpoint}`."))
    pending = state.get("pending") or {}
    if pending.get("action") != ACTION:
        existing = platform.find_deployment(endpoint_name(state))
        if existing is not None:
            return combine({"deployment": {"wanted": True, "endpoint": existing.endpoint}},
                           say(f"Already deployed: `{existing.endpoint}`."))
        args, description = _proposal(state, deps)
        return propose("deploy", ACTION, args, description)
    outcome = await_decision(state, DeployArgs)
    if not outcome.approved:
        wanted = re.search(r"\b[a-z]\d-[a-z]+-\d+g?\b", outcome.message or "")
        if wanted and machine(wanted.group(0)):
            args, description = _proposal(state, deps, wanted.group(0))
            if args != outcome.args:  # a platform with that hardware: the card again, on it
                return combine(outcome.updates, propose("deploy", ACTION, args, description))
        return combine(outcome.updates, {"deployment": {"wanted": False}}, say("Not deploying."))
    args = dict(outcome.args)
    if args.get("machine_type"):
        paired = machine(args["machine_type"])
        if paired is None:
            return combine(outcome.refused(), say(f"{args['machine_type']} is not a Model Garden machine I know; "
                                                "pick one from the catalog (e.g. g2-standard-12)."))
        # Machine and GPU come as fixed pairs in Model Garden: an edited machine brings its own GPU.
        args.update(accelerator_type=paired.accelerator_type, accelerator_count=paired.accelerator_count)
    progress("deploy", state="deploying", endpoint_display_name=args["endpoint_display_name"])
    job_info = platform.get_job(job["name"])
    info = platform.deploy(job_info, deploy_spec(args))
    price = f" at {money.per_hour(info.hourly_usd)}" if info.hourly_usd else ""
    return combine(outcome.updates, {"deployment": {"wanted": True, **info.model_dump(mode="json")}},
                   say(f"Deployed: `{info.endpoint}`{price}.", status=True), _side_by_side(platform, job_info))


def _side_by_side(platform: Platform, job_info: JobInfo) -> dict[str, Any]:
    """Base vs tuned answers on a few held-out prompts, where the platform can run both."""
    try:
        rows = platform.side_by_side(job_info, n=3, max_tokens=64)
    except ToolError as err:
        return say(f"(No side-by-side comparison: {err})")
    if rows is None:
        return {}
    def answer(row: dict[str, Any], which: str) -> str:  # with its token F1 against the expected answer
        f1 = row.get(f"{which}_f1")
        return f"{row[which]} (F1 {f1:.2f})" if isinstance(f1, (int, float)) else str(row[which])

    table = md_table(["prompt", "base model", "tuned model", "expected"],
                     [[r["prompt"], answer(r, "base"), answer(r, "tuned"), r.get("expected", "")] for r in rows])
    return say("Base vs tuned on a few held-out prompts:\n\n" + table)
