"""configure: the model and its hyperparameters, with the estimated cost, approved together.

Models come from the catalog only (an unsupported request gets the nearest supported
choice). Hyperparameters start from the catalog baseline adjusted by dataset size.
Editing the model or anything that changes the cost shows the card again with the cost
recomputed; only an unchanged approval finishes the step.
"""

from __future__ import annotations

import os
from typing import Any

from pydantic import BaseModel, Field

from graph import parse
from graph.approvals import await_decision, propose
from graph.common import combine, facts, md_table, rec, say
from graph.deps import Deps
from graph.state import TuningState
from knowledge import GeminiModel, LocalModel, OpenModel, find_model, load_catalog, nearest_supported
from tools.errors import ToolError
from tools.recommend import recommend_hparams, suggest_models

ACTION = "approve_configuration"
TINY = "local/tiny"


class ConfigArgs(BaseModel):
    base_model: str
    tuning_mode: str | None = None
    epochs: int = Field(ge=1, le=50)
    learning_rate: float | None = Field(default=None, gt=0, lt=1)
    learning_rate_multiplier: float | None = Field(default=None, gt=0, le=10)
    adapter_size: int | None = None
    output_uri: str | None = None


def _cloud_model(state: TuningState, deps: Deps) -> OpenModel | GeminiModel:
    current = rec(state, "model").get("base_model")
    found = find_model(current) if current else None
    if isinstance(found, (OpenModel, GeminiModel)) and found.category == state.get("category"):
        return found
    picks = suggest_models(facts(state).get("purpose"), deps.today)
    return picks[1].model if state.get("category") == "gemini" else picks[0].model


def _model_problem(name: str, state: TuningState) -> str | None:
    """Why `name` cannot be tuned here (the LLM or a person may name anything), or None."""
    if state.get("platform") == "local":
        if isinstance(find_model(name), LocalModel) or os.path.isdir(name):
            return None
    else:
        model = find_model(name)
        if isinstance(model, (OpenModel, GeminiModel)) and model.category == state.get("category"):
            return None
    answer = nearest_supported(name)
    if answer.supported and answer.model is not None:
        where = "on this machine (pick a local/… model)" if state.get("platform") == "local" else \
            f"in the {state.get('category')} category"
        return f"{answer.model.display_name} can't be used {where}."
    alts = ", ".join(f"`{m.base_model}`" for m in answer.alternatives)
    return f"{answer.message} Try {alts}." if alts else answer.message


def _setting_problems(args: dict[str, Any]) -> list[str]:
    """Catalog checks on the settings for the chosen model."""
    model = find_model(args["base_model"])
    problems = []
    if isinstance(model, OpenModel):
        if args.get("tuning_mode") not in model.modes:
            problems.append(f"{model.display_name} supports {', '.join(model.modes)}, not {args.get('tuning_mode')}.")
        if args.get("learning_rate_multiplier") is not None:
            problems.append("Open models take a learning_rate, not a learning_rate_multiplier.")
        allowed = load_catalog().limits.allowed_adapter_sizes_open
        if args.get("tuning_mode") == "PEFT_ADAPTER" and args.get("adapter_size") not in allowed:
            problems.append(f"adapter_size must be one of {allowed}.")
    if isinstance(model, GeminiModel):
        if args.get("learning_rate") is not None:
            problems.append("Gemini takes a learning_rate_multiplier, not a learning_rate.")
        if args.get("adapter_size") not in model.adapter_sizes:
            problems.append(f"{model.display_name} allows adapter sizes {model.adapter_sizes}.")
    return problems


def _changed(state: TuningState, deps: Deps, proposed: dict[str, Any], wanted: dict[str, Any]) -> dict[str, Any]:
    """Apply the changes the user asked for: a new model starts from its own baseline, then the
    other changes they named are laid on top; the card is shown again with the cost recomputed."""
    args = dict(proposed)
    if wanted.get("base_model") and wanted["base_model"] != proposed["base_model"]:
        problem = _model_problem(str(wanted["base_model"]), state)
        if problem:
            return say("That model won't work:", f"- {problem}")
        model = find_model(str(wanted["base_model"]))
        if model is not None:
            args = {**_proposal(state, deps, model), "output_uri": proposed.get("output_uri")}
        else:  # a local model folder
            args["base_model"] = str(wanted["base_model"])
    args.update({k: v for k, v in wanted.items() if k != "base_model" and k in args})
    problems = _setting_problems(args)
    if problems:
        return say("That configuration won't work:", *[f"- {p}" for p in problems])
    cost = _cost(state, args)
    return combine({"cost": cost}, _card(state, args, cost, "Updated configuration — the cost is recomputed:"))


def _proposal(state: TuningState, deps: Deps, model: OpenModel | GeminiModel | LocalModel) -> dict[str, Any]:
    rows = int(rec(state, "dataset").get("rows_train") or rec(state, "dataset").get("rows") or 0)
    hp = recommend_hparams(model, rows)
    return {"base_model": model.base_model, "tuning_mode": hp["tuning_mode"], "epochs": hp["epochs"],
            "learning_rate": hp["learning_rate"], "learning_rate_multiplier": hp["learning_rate_multiplier"],
            "adapter_size": hp["adapter_size"], "output_uri": rec(state, "storage").get("output_uri")}


def _cost(state: TuningState, args: dict[str, Any]) -> dict[str, Any]:
    from tools.cost import estimate_training_cost

    path = rec(state, "dataset").get("train_path")
    if not path or not os.path.isfile(path):
        raise ToolError(f"The prepared training file {path or ''} is missing, so I can't estimate a cost.",
                        "Give me the dataset again (a valid path or URI).")
    estimate = estimate_training_cost(path, args["base_model"], args.get("tuning_mode"), int(args["epochs"]))
    return estimate.model_dump(mode="json")


def _card(state: TuningState, args: dict[str, Any], cost: dict[str, Any], note: str) -> dict[str, Any]:
    shown = {k: v for k, v in args.items() if v is not None}
    table = md_table(["setting", "value"], [[k, v] for k, v in shown.items()], max_cell=120)
    lines = [note, table, f"**{cost.get('label')}**"]
    lines += [f"- {a}" for a in cost.get("assumptions") or []]
    lines.append("Approve to use this configuration, or edit any value (the cost is recomputed).")
    return propose("configure", ACTION, args, "\n\n".join(x for x in lines if x))


def run(state: TuningState, deps: Deps) -> dict[str, Any]:
    pending = state.get("pending") or {}
    try:
        later = facts(state).get("config_changes")
        if later and pending.get("action") != ACTION:
            previous = {k: v for k, v in rec(state, "hparams").items() if k != "approved"}
            return combine({"facts": {"config_changes": None}, "hparams": {"approved": False}, "preflight": None,
                            "job": {"declined": False}}, _changed(state, deps, previous, later))
        if pending.get("action") != ACTION:
            if state.get("platform") == "local":
                wanted = rec(state, "model").get("local_model") or TINY
                local = find_model(wanted)
                model: Any = local if isinstance(local, LocalModel) else find_model(TINY)
                target = rec(state, "model").get("display_name") or _cloud_model(state, deps).display_name
                note = (f"Local run on this machine, standing in for **{target}**. `local/tiny` is built from "
                        "your data in about a minute: a pipeline check, not a useful model. Edit base_model to "
                        "a local model (e.g. `local/smollm2-135m`) if its weights are on this machine.")
            else:
                model = _cloud_model(state, deps)
                rows = int(rec(state, "dataset").get("rows_train") or 0)
                note = f"**{model.display_name}** (`{model.base_model}`). {recommend_hparams(model, rows)['reason']}"
            args = _proposal(state, deps, model)
            cost = _cost(state, args)
            key = "local_model" if state.get("platform") == "local" else "base_model"
            return combine({"model": {key: args["base_model"]}, "cost": cost}, _card(state, args, cost, note))
        outcome = await_decision(state, ConfigArgs)
        proposed = dict(pending["args"])
        if not outcome.approved:
            wanted = parse.config_changes(outcome.message or "")
            if not wanted:
                return combine(outcome.updates, say("Tell me what to change (model, epochs, learning rate, "
                                                    "adapter size, full or LoRA), or edit the card."))
            return combine(outcome.updates, _changed(state, deps, proposed, wanted))
        args = outcome.args
        if outcome.type == "edit" and args != proposed:
            edits = {k: v for k, v in args.items() if v != proposed.get(k)}
            return combine(outcome.updates, _changed(state, deps, proposed, edits))
        problems = _setting_problems(args)
        if problems:
            return combine(outcome.updates, say("That configuration won't work:", *[f"- {p}" for p in problems]))
        key = "local_model" if state.get("platform") == "local" else "base_model"
        return combine(outcome.updates, {"hparams": {**args, "approved": True}, "model": {key: args["base_model"]}},
                       say("Configuration approved."))
    except ToolError as err:
        if os.path.isfile(rec(state, "dataset").get("train_path") or ""):
            return combine({"pending": None}, say(f"That configuration won't work: {err}"))
        from graph.nodes.dataset_source import DATASET_FIELDS

        return combine({"dataset": dict.fromkeys(DATASET_FIELDS), "pending": None}, say(str(err)))
