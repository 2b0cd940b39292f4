"""configure: the model and its hyperparameters, with the estimated cost, approved together.

The platform decides which models it tunes (catalog models of the category on Vertex,
local models here); an unsupported request is refused with the nearest choices.
Hyperparameters start from the catalog baseline adjusted by dataset size, or from the
configuration already shown (so edits survive a preflight failure or a re-upload).
Every change — an edit on the card, or a sentence typed at any point before the job
exists — goes through `ConfigArgs`, the card's own model, and is refused with the reason
when invalid (the card that was open comes back). Only an unchanged approval finishes.
"""

from __future__ import annotations

import os
import re
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from graph import parse
from graph.approvals import await_decision, propose, validation_words
from graph.common import combine, facts, md_table, platform_of, rec, say
from graph.deps import Deps
from graph.invalidate import invalidate
from graph.state import TuningState
from knowledge import GeminiModel, LocalModel, OpenModel, find_model, load_catalog
from tools.errors import ToolError
from tools.recommend import recommend_hparams, suggest_models

NAME = "configure"
ACTION = "approve_configuration"


class ConfigArgs(BaseModel):
    base_model: str
    tuning_mode: str | None = None
    epochs: int = Field(ge=1, le=50)
    learning_rate: float | None = Field(default=None, gt=0, lt=1)
    learning_rate_multiplier: float | None = Field(default=None, gt=0, le=10)
    adapter_size: int | None = None
    output_uri: str | None = None


def done(state: TuningState) -> bool:
    """Model and settings approved, with no change to them waiting."""
    return bool((state.get("hparams") or {}).get("approved")) and not (state.get("facts") or {}).get("config_changes")


def _cloud_model(state: TuningState, deps: Deps) -> OpenModel | GeminiModel:
    """The catalog model for this category: the one named earlier, else the suggestion for the purpose."""
    current = rec(state, "model").get("base_model")
    found = find_model(current) if current else None
    if isinstance(found, (OpenModel, GeminiModel)) and found.category == state.get("category"):
        return found
    picks = suggest_models(facts(state).get("purpose"), deps.today)
    return picks[1].model if state.get("category") == "gemini" else picks[0].model


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


def _rows(state: TuningState) -> int:
    return int(rec(state, "dataset").get("rows_train") or rec(state, "dataset").get("rows") or 0)


def _baseline(state: TuningState, model: OpenModel | GeminiModel | LocalModel) -> dict[str, Any]:
    hp = recommend_hparams(model, _rows(state))
    return {"base_model": model.base_model, "tuning_mode": hp["tuning_mode"], "epochs": hp["epochs"],
            "learning_rate": hp["learning_rate"], "learning_rate_multiplier": hp["learning_rate_multiplier"],
            "adapter_size": hp["adapter_size"], "output_uri": rec(state, "storage").get("output_uri")}


def _apply(state: TuningState, deps: Deps, proposed: dict[str, Any],
           wanted: dict[str, Any]) -> tuple[dict[str, Any] | None, list[str]]:
    """`proposed` with the changes laid on top (a new model brings its own baseline, keeping the
    epochs), validated like an edit on the card: (new args, []) or (None, why not)."""
    args = dict(proposed)
    name = wanted.get("base_model")
    if name and name != proposed.get("base_model"):
        problem = platform_of(state, deps).model_problem(str(name), state.get("category"))
        if problem:
            return None, [problem]
        model = find_model(str(name))
        if model is not None:
            args = {**_baseline(state, model), "epochs": proposed.get("epochs"),
                    "output_uri": proposed.get("output_uri")}
        else:  # a model folder on this machine
            args["base_model"] = str(name)
    args.update({k: v for k, v in wanted.items() if k != "base_model" and k in args})
    try:
        args = ConfigArgs.model_validate(args).model_dump()
    except ValidationError as err:
        return None, [validation_words(err, ConfigArgs)]
    problems = _setting_problems(args)
    return (None, problems) if problems else (args, [])


def _cost(state: TuningState, args: dict[str, Any]) -> dict[str, Any]:
    from tools.cost import estimate_training_cost

    path = rec(state, "dataset").get("train_path")
    if not path or not os.path.isfile(path):
        raise ToolError(f"The prepared training file {path or ''} is missing, so I can't estimate a cost.",
                        "Give me the dataset again (a valid path or URI).")
    estimate = estimate_training_cost(path, args["base_model"], args.get("tuning_mode"), int(args["epochs"]))
    return estimate.model_dump(mode="json")


def _card(state: TuningState, deps: Deps, args: dict[str, Any], note: str) -> dict[str, Any]:
    """The configuration card (cost recomputed for exactly these settings)."""
    cost = _cost(state, args)
    shown = {k: v for k, v in args.items() if v is not None}
    # A value with "@" (Model Garden ids, `…/llama3_1@llama-3.1-8b-instruct`) is code: chat UIs would
    # make it an e-mail link.
    table = md_table(["setting", "value"], [[k, f"`{v}`" if "@" in str(v) else v] for k, v in shown.items()],
                     max_cell=120)
    lines = [note, table, f"**{cost.get('label')}**"]
    lines += [f"- {a}" for a in cost.get("assumptions") or []]
    lines.append("Approve to use this configuration, or edit any value (the cost is recomputed).")
    field = platform_of(state, deps).model_field
    return combine({"cost": cost, "model": {field: args["base_model"]}},
                   propose(NAME, ACTION, args, "\n\n".join(x for x in lines if x)))


def _chosen(state: TuningState, wanted: dict[str, Any]) -> dict[str, Any]:
    """The record of what the person set themselves, with `wanted` added (kept across a re-proposal)."""
    return {"hparams": {"chosen": {**(rec(state, "hparams").get("chosen") or {}), **wanted}}}


def _first_proposal(state: TuningState, deps: Deps) -> tuple[dict[str, Any], str]:
    """What the card proposes when none is open: the configuration shown before (edits kept, output
    folder following the latest upload), else the platform's model on the catalog baseline with the
    settings the person chose laid on top (each one that no longer fits is named)."""
    base, note = _fresh_proposal(state, deps)
    chosen = {k: v for k, v in (rec(state, "hparams").get("chosen") or {}).items() if v != base.get(k)}
    if not chosen or note.startswith("Your configuration"):
        return base, note
    kept, dropped = base, []
    for field, value in chosen.items():
        args, problems = _apply(state, deps, kept, {field: value})
        if args is None:
            dropped.append(f"your {field} = {value!r} no longer fits ({'; '.join(problems)})")
        else:
            kept = args
    said = ", ".join(f"{k} = {v!r}" for k, v in chosen.items() if kept.get(k) == v)
    note = note + (f"\n\nKept what you chose: {said}." if said else "")
    if dropped:
        note += "\n\nNot kept: " + "; ".join(dropped) + "."
    return kept, note


def _fresh_proposal(state: TuningState, deps: Deps) -> tuple[dict[str, Any], str]:
    previous = {k: v for k, v in rec(state, "hparams").items() if k not in ("approved", "chosen")}
    if previous.get("base_model") and previous.get("epochs"):
        previous["output_uri"] = rec(state, "storage").get("output_uri") or previous.get("output_uri")
        return previous, "Your configuration (as you left it; the cost is recomputed):"
    platform = platform_of(state, deps)
    target = _cloud_model(state, deps)
    chosen = dict(rec(state, "model")).get(platform.model_field)  # the field is the platform's choice
    name, note = platform.default_model(str(chosen) if chosen else None, target.base_model)
    model = find_model(name)
    if not isinstance(model, (OpenModel, GeminiModel, LocalModel)):
        model = target
    if note is None:
        note = f"**{model.display_name}** (`{model.base_model}`). {recommend_hparams(model, _rows(state))['reason']}"
    return _baseline(state, model), note


UPDATED = "Updated configuration — the cost is recomputed:"


def _refused(problems: list[str]) -> dict[str, Any]:
    return say("That change won't work — nothing was changed:", *[f"- {p}" for p in problems])


def _stand_in(state: TuningState, deps: Deps, wanted: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """`wanted` with a catalog model the platform does not tune itself replaced by the model it trains in
    its place (as the model-choice card promised), and the update that keeps the named model as the one
    stood in for and says so; `wanted` unchanged and {} otherwise."""
    name = wanted.get("base_model")
    swap = platform_of(state, deps).stand_in(str(name)) if name else None
    model = find_model(str(name)) if swap else None
    if swap is None or model is None:
        return wanted, {}
    return {**wanted, "base_model": swap[0]}, combine(
        {"model": {"base_model": model.base_model, "display_name": model.display_name, "requested": str(name)}},
        say(swap[1]))


def _typed_changes(state: TuningState, deps: Deps, wanted: dict[str, Any]) -> dict[str, Any]:
    """A change typed while no configuration card is open (at a question, or at any other card)."""
    consumed = {"facts": {"config_changes": None, "answer": None}}
    wanted, kept = _stand_in(state, deps, wanted)
    consumed = combine(consumed, kept)
    base, note = _first_proposal(state, deps)
    args, problems = _apply(state, deps, base, wanted)
    if args is None and state.get("pending"):  # refused: whatever was open stays open, nothing else moves
        return combine(consumed, _refused(problems))
    if args is None:  # noted earlier, refused now that the settings are proposed: the proposal without it
        return combine(consumed, _refused(problems), _card(state, deps, base, note))
    return combine(consumed, invalidate("hparams"), _chosen(state, wanted),
                   _card(state, deps, args, _updated(base, args, wanted)))


def _updated(before: dict[str, Any], after: dict[str, Any], asked: dict[str, Any]) -> str:
    """The card's first line after a change, naming the settings that moved without being asked for (a new
    model brings its own tuning mode and learning rate): nothing changes unseen."""
    followed = [f"{k} {before.get(k)} → {v}" for k, v in after.items()
                if k not in asked and k != "output_uri" and v != before.get(k)]
    if not followed:
        return UPDATED
    return f"Updated configuration — the new model brings its own settings ({', '.join(followed)}); the cost is " \
        "recomputed:"


#: "use banana-9000", "set the model to X", "switch to X": a model named in words that the catalog does not
#: know (the name has a digit, dash, slash or @); `_apply` asks the platform, which says why not and what to pick.
_NAMED_MODEL = re.compile(r"^\s*(?:please\s+)?(?:use|try|switch to|(?:set|change) the (?:base )?model to|"
                          r"(?:the )?(?:base )?model(?: is|:|=)?)\s+`?([\w.@/-]*[\d@/-][\w.@/-]*)`?\s*[.!]?\s*$", re.I)


def _unknown_model(message: str) -> dict[str, Any]:
    named = _NAMED_MODEL.match(message)
    return {"base_model": named.group(1)} if named else {}


def run(state: TuningState, deps: Deps) -> dict[str, Any]:
    pending = state.get("pending") or {}
    wanted = facts(state).get("config_changes")
    if pending.get("action") != ACTION:
        if wanted:
            return _typed_changes(state, deps, wanted)
        args, note = _first_proposal(state, deps)
        return _card(state, deps, args, note)
    outcome = await_decision(state, ConfigArgs)
    proposed = dict(pending["args"])
    if not outcome.approved:
        asked = parse.config_changes(outcome.message or "") or _unknown_model(outcome.message or "")
        if not asked:
            return combine(outcome.updates, say("Tell me what to change (model, epochs, learning rate, "
                                                "adapter size, full or LoRA), or edit the card."),
                           _card(state, deps, proposed, "The configuration is unchanged:"))
        asked, kept = _stand_in(state, deps, asked)
        changed, problems = _apply(state, deps, proposed, asked)
        if changed is None:
            return combine(outcome.refused(), _refused(problems), _card(state, deps, proposed, "Still proposed:"))
        return combine(outcome.updates, kept, _chosen(state, asked), _card(state, deps, changed,
                                                                           _updated(proposed, changed, asked)))
    if outcome.type == "edit" and outcome.args != proposed:
        edits = {k: v for k, v in outcome.args.items() if v != proposed.get(k)}
        edits, kept = _stand_in(state, deps, edits)
        edited, problems = _apply(state, deps, proposed, edits)
        if edited is None:
            return combine(outcome.refused(), _refused(problems), _card(state, deps, proposed, "Still proposed:"))
        return combine(outcome.updates, kept, _chosen(state, edits), _card(state, deps, edited,
                                                                           _updated(proposed, edited, edits)))
    problems = _setting_problems(outcome.args)
    if problems:
        return combine(outcome.refused(), _refused(problems), _card(state, deps, proposed, "Still proposed:"))
    field = platform_of(state, deps).model_field
    return combine(outcome.updates, {"hparams": {**outcome.args, "approved": True},
                                     "model": {field: outcome.args["base_model"]}},
                   say("Configuration approved."))
