"""project_region: which Google Cloud project and region the job runs in.

Proposes what the environment and gcloud configuration say; a region that is not valid
for the category (or the chosen Gemini model) is refused with the valid list, and
nothing else is asked. On the local platform there is nothing to choose.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, field_validator

from graph import parse
from graph.approvals import ask, await_decision, propose
from graph.common import combine, facts, rec, say
from graph.deps import Deps
from graph.state import TuningState
from knowledge import valid_regions
from tools.vertex.auth import check_project_id, detect_project, detect_region

ACTION = "confirm_project_region"


class ProjectRegionArgs(BaseModel):
    project: str
    region: str

    @field_validator("project")
    @classmethod
    def _project(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("a project id is required")
        return check_project_id(value)  # no shell or URL metacharacters reach a shown command


def _valid(state: TuningState) -> list[str]:
    model = rec(state, "model").get("base_model")
    return valid_regions(state.get("category") or "open", model if state.get("category") == "gemini" else None)


def _refuse(region: str, valid: list[str], category: str) -> dict[str, Any]:
    return combine(
        say(f"**{region}** is not a valid tuning region for {category} models. Valid regions: "
            + ", ".join(f"`{r}`" for r in valid) + "."),
        ask("project_region", "Which region should the job run in?"),
        {"facts": {"region": None}},
    )


def run(state: TuningState, deps: Deps) -> dict[str, Any]:
    if state.get("platform") == "local":
        return {"project": {"project": None, "region": "local", "confirmed": True, "source": "local platform"}}
    known, current = facts(state), rec(state, "project")
    valid = _valid(state)
    category = state.get("category") or "open"
    if known.get("region") and known["region"] not in valid:
        return _refuse(known["region"], valid, category)
    pending = state.get("pending") or {}
    if pending.get("action") != ACTION or known.get("region") or known.get("project"):
        found_project = detect_project()
        found_region = detect_region()
        project = known.get("project") or current.get("project") or deps.project or found_project.value or ""
        region = known.get("region") or current.get("region") or deps.region or found_region.value
        if region not in valid:
            region = valid[0]
        source = "you" if known.get("project") else found_project.source
        description = (f"Run the tuning job in project **{project or '(not set)'}** ({source}) and region "
                       f"**{region}**.\n\nValid regions for {category} models: {', '.join(valid)}.")
        if region == "global":
            description += ("\n\n`global` lets the service pick a region with capacity; deployment later uses "
                            "the real region.")
        return combine(propose("project_region", ACTION, {"project": project, "region": region}, description),
                       {"facts": {"region": None, "project": None}, "project": {"source": source}})
    outcome = await_decision(state, ProjectRegionArgs)
    if not outcome.approved:
        text = outcome.message or ""
        region, project = parse.region(text), parse.project(text)
        if region and region not in valid:
            return combine(outcome.updates, _refuse(region, valid, category))
        if region or project:
            return combine(outcome.updates, {"facts": {"region": region, "project": project}})
        return combine(outcome.updates, ask("project_region", "Which project and region should I use?"),
                       say("Tell me the project id and region (e.g. `project my-proj in us-central1`)."))
    if outcome.args["region"] not in valid:
        return combine(outcome.updates, _refuse(outcome.args["region"], valid, category))
    return combine(outcome.updates, {"project": {**outcome.args, "confirmed": True}, "preflight": None},
                   say(f"Project **{outcome.args['project']}**, region **{outcome.args['region']}**."))
