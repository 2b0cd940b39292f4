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
from knowledge import OpenModel, find_model, machine
from tools.errors import ToolError

ACTION = "deploy_model"


class DeployArgs(BaseModel):
    endpoint_display_name: str
    machine_type: str | None = None
    accelerator_type: str | None = None
    accelerator_count: int | None = Field(default=None, ge=1)
    region: str | None = None


def _proposal(state: TuningState, machine_type: str | None = None) -> tuple[dict[str, Any], str]:
    name = endpoint_name(state)
    if state.get("platform") == "local":
        return {"endpoint_display_name": name}, "Load the tuned model on this machine so you can try it?"
    job, project = rec(state, "job"), rec(state, "project")
    region = job.get("real_region") or project.get("region")
    if region in {None, "global"}:
        region = "us-central1"
    model = find_model(job.get("base_model") or rec(state, "hparams").get("base_model") or "")
    hint = model.deploy if isinstance(model, OpenModel) else None
    spec = machine(machine_type or (hint.machine_type if hint else "g2-standard-12"))
    assert spec is not None
    args = {"endpoint_display_name": name, "machine_type": spec.machine_type,
            "accelerator_type": spec.accelerator_type, "accelerator_count": spec.accelerator_count,
            "region": region}
    return args, (f"Deploy the tuned model to a dedicated endpoint in **{region}** on **{spec.machine_type}** "
                  f"({spec.accelerator_count}× {spec.accelerator_type}) at about **${spec.hourly_usd:.2f}/hour** "
                  "(us-central1 list price; billed while the endpoint runs — delete it when done). "
                  "Reject to skip deployment.")


def run(state: TuningState, deps: Deps) -> dict[str, Any]:
    job = rec(state, "job")
    if not job.get("succeeded"):
        return combine({"deployment": {"wanted": False}}, say("Nothing to deploy: the job did not succeed."))
    platform = platform_of(state, deps)
    if state.get("category") == "gemini" and state.get("platform") != "local":
        endpoint = job.get("tuned_model_endpoint")
        return combine({"deployment": {"wanted": True, "endpoint": endpoint}},
                       say(f"Gemini tuned models are served automatically. Your endpoint: `{endpoint}`."))
    pending = state.get("pending") or {}
    if pending.get("action") != ACTION:
        existing = platform.find_deployment(endpoint_name(state))
        if existing is not None:
            return combine({"deployment": {"wanted": True, "endpoint": existing.endpoint}},
                           say(f"Already deployed: `{existing.endpoint}`."))
        args, description = _proposal(state)
        return propose("deploy", ACTION, args, description)
    outcome = await_decision(state, DeployArgs)
    if not outcome.approved:
        wanted = re.search(r"\b[a-z]\d-[a-z]+-\d+g?\b", outcome.message or "")
        if wanted and machine(wanted.group(0)) and state.get("platform") != "local":
            args, description = _proposal(state, wanted.group(0))
            return combine(outcome.updates, propose("deploy", ACTION, args, description))
        return combine(outcome.updates, {"deployment": {"wanted": False}}, say("Not deploying."))
    args = dict(outcome.args)
    if args.get("machine_type"):
        paired = machine(args["machine_type"])
        if paired is None:
            return combine(outcome.updates, say(f"{args['machine_type']} is not a Model Garden machine I know; "
                                                "pick one from the catalog (e.g. g2-standard-12)."))
        # Machine and GPU come as fixed pairs in Model Garden: an edited machine brings its own GPU.
        args.update(accelerator_type=paired.accelerator_type, accelerator_count=paired.accelerator_count)
    progress("deploy", state="deploying", endpoint_display_name=args["endpoint_display_name"])
    job_info = platform.get_job(job["name"])
    info = platform.deploy(job_info, deploy_spec(args))
    price = f" at ${info.hourly_usd:.2f}/hour" if info.hourly_usd else ""
    return combine(outcome.updates, {"deployment": {"wanted": True, **info.model_dump(mode="json")}},
                   say(f"Deployed: `{info.endpoint}`{price}.", status=True), _side_by_side(platform, job_info))


def _side_by_side(platform: Any, job_info: Any) -> dict[str, Any]:
    """On the local platform, base vs tuned answers on a few held-out prompts."""
    if not hasattr(platform, "compare"):
        return {}
    try:
        rows = platform.compare(job_info, n=3, max_tokens=64)
    except ToolError as err:
        return say(f"(No side-by-side comparison: {err})")
    table = md_table(["prompt", "base model", "tuned model", "expected"],
                     [[r["prompt"], r["base"], r["tuned"], r.get("expected", "")] for r in rows])
    return say("Base vs tuned on a few held-out prompts:\n\n" + table)
