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
from graph.common import combine, facts, platform_of, rec, say
from graph.context import check_project
from graph.deps import Deps
from graph.invalidate import Change, invalidate
from graph.state import TuningState
from knowledge import valid_regions

NAME = "project_region"

ACTION = "confirm_project_region"


class ProjectRegionArgs(BaseModel):
    project: str
    region: str

    @field_validator("project")
    @classmethod
    def _project(cls, value: str) -> str:
        return check_project(value.strip())


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


def done(state: TuningState) -> bool:
    """Project and region confirmed, and no new ones named before a job exists (where they can change)."""
    project, said = state.get("project") or {}, state.get("facts") or {}
    before_job = not (state.get("job") or {}).get("name")
    named = bool(said.get("region") or said.get("project"))
    return bool(project.get("confirmed")) and not (before_job and named and not project.get("fixed"))


def run(state: TuningState, deps: Deps) -> dict[str, Any]:
    fixed = platform_of(state, deps).fixed_location()
    if fixed is not None:  # the platform decides where jobs run: nothing to ask
        return {"project": fixed, "facts": {"region": None, "project": None}}
    known, current = facts(state), rec(state, "project")
    valid = _valid(state)
    category = state.get("category") or "open"
    if known.get("region") and known["region"] not in valid:
        return _refuse(known["region"], valid, category)
    pending = state.get("pending") or {}
    if pending.get("action") != ACTION or known.get("region") or known.get("project"):
        found = platform_of(state, deps).detected_location()
        project = known.get("project") or current.get("project") or deps.project or found.project or ""
        region = known.get("region") or current.get("region") or deps.region or found.region
        if region not in valid:
            region = valid[0]
        source = "you" if known.get("project") else found.source
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
        named_region, named_project = parse.region(text), parse.project(text)
        if named_region and named_region not in valid:
            return combine(outcome.refused(), _refuse(named_region, valid, category))
        if named_region or named_project:
            return combine(outcome.updates, {"facts": {"region": named_region, "project": named_project}})
        return combine(outcome.updates, ask("project_region", "Which project and region should I use?"),
                       say("Tell me the project id and region (e.g. `project my-proj in us-central1`)."))
    if outcome.args["region"] not in valid:
        return combine(outcome.refused(), _refuse(outcome.args["region"], valid, category))
    changed: list[Change] = [c for c in ("project", "region") if outcome.args[c] != current.get(c)]
    return combine(outcome.updates, invalidate(*changed), {"project": {**outcome.args, "confirmed": True}},
                   say(f"Project **{outcome.args['project']}**, region **{outcome.args['region']}**."))
