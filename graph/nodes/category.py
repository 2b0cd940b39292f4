"""category: open model or Gemini. Given a purpose, three catalog-grounded suggestions.

A model the user names decides the category (and is kept for `configure`); an
unsupported one gets "not supported" and the nearest supported choices.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from graph import advisor, parse
from graph.approvals import await_decision, propose
from graph.common import combine, facts, md_table, platform_of, say
from graph.deps import Deps
from graph.invalidate import invalidate
from graph.state import TuningState
from knowledge import GeminiModel, nearest_supported
from tools.platforms.base import SuggestionCosts
from tools.recommend import ModelSuggestion, detect_task, suggest_models

NAME = "category"

ACTION = "choose_model_category"


class CategoryArgs(BaseModel):
    category: Literal["open", "gemini"]


def _suggestions(purpose: str | None, picks: list[ModelSuggestion], costs: SuggestionCosts,
                 deps: Deps) -> tuple[str, str]:
    """Markdown for the three suggestions (with the platform's cost column, if it has one), and the
    recommended category."""
    rows = [[s.role, s.model.display_name, f"`{s.model.base_model}`", "; ".join(s.pros), "; ".join(s.cons)]
            for s in picks]
    headers = ["", "model", "id", "pros", "cons"]
    if costs.cells is not None:
        headers.append("cost")
        rows = [[*row, cell] for row, cell in zip(rows, costs.cells, strict=True)]
    table = md_table(headers, rows, max_cell=200)
    why = advisor.rationale(deps.llm, purpose or "", table) if purpose else None
    general = picks[2].model
    recommended = "gemini" if isinstance(general, GeminiModel) else "open"
    return f"{table}\n\n{why or picks[0].why}", recommended


def _switch(state: TuningState, new: str) -> dict[str, Any]:
    """Change the category of a session already under way (before any job exists)."""
    current = state.get("category")
    pending = state.get("pending") or {}
    if pending.get("action") != ACTION:
        return propose("category", ACTION, {"category": new},
                       f"Switch from **{current}** to **{new}** models? The data is written again in the "
                       f"{new} format, and the region and model are chosen again; your dataset, column mapping "
                       "and split are kept.")
    outcome = await_decision(state, CategoryArgs)
    consumed = {"facts": {"category": None}}
    if not outcome.approved or outcome.args["category"] == current:
        return combine(outcome.updates, consumed, say(f"Staying with **{current}** models."))
    chosen = outcome.args["category"]
    return combine(outcome.updates, consumed, invalidate("category"), {"category": chosen},
                   say(f"Switched to **{chosen}** models."))


def _named_model(state: TuningState, deps: Deps, requested: str) -> dict[str, Any] | None:
    """The state update for a supported catalog model the person named: its category, kept as the
    chosen model; on a platform that runs other models (local), which one stands in for it, said here
    once. None when the name is not a supported open or Gemini model."""
    answer = nearest_supported(requested, deps.today)
    model = answer.model
    if not (answer.supported and model is not None and model.category in {"open", "gemini"}):
        return None
    words = (f"{model.display_name} (`{model.base_model}`) supports tuning: "
             f"{'a Gemini' if model.category == 'gemini' else 'an open'} model. Kept as your model.")
    swap = platform_of(state, deps).stand_in(model.base_model)
    if swap is not None:
        words += f"\n\n{swap[1]}"
    return combine({"category": model.category, "pending": None, "facts": {"category": None, "model": None}},
                   {"model": {"base_model": model.base_model, "display_name": model.display_name,
                              "requested": requested}}, say(words))


def _family(text: str, state: TuningState, deps: Deps) -> dict[str, Any]:
    """For a family named without a model ("use llama", "gemma"): its models to pick from, so the
    person chooses one rather than getting whichever the suggestions would pick ({} otherwise)."""
    from graph import offers

    listed = offers.family_reply(text, state, platform_of(state, deps))
    return say(listed) if listed else {}


def done(state: TuningState) -> bool:
    """A category is chosen, and no other one was named before a job exists."""
    said = state.get("facts") or {}
    before_job = not (state.get("job") or {}).get("name")
    return bool(state.get("category")) and not (
        before_job and bool(said.get("category")) and said.get("category") != state.get("category"))


def run(state: TuningState, deps: Deps) -> dict[str, Any]:
    known = facts(state)
    if state.get("category") and known.get("category") in {"open", "gemini"}:
        if known["category"] == state.get("category"):
            return {"facts": {"category": None}}
        return _switch(state, known["category"])
    notes: list[dict[str, Any]] = []
    requested = known.get("model")
    family = _family(requested or "", state, deps)
    if requested:
        named = _named_model(state, deps, requested)
        if named is not None:
            return named
        consumed = {"facts": {"model": None}}
        if family:  # a family, not a model: its models are listed once the category is set
            notes.append(consumed)
        else:
            answer = nearest_supported(requested, deps.today)
            options = "\n".join(f"- {m.display_name} (`{m.base_model}`)" for m in answer.alternatives)
            notes.append(combine(consumed, say(answer.message, options)))
    if known.get("category") in {"open", "gemini"}:
        return combine(*notes, {"category": known["category"], "facts": {"category": None}, "pending": None},
                       say(f"Category: **{known['category']}** models."), family)
    pending = state.get("pending") or {}
    if pending.get("action") != ACTION:
        purpose = known.get("purpose")
        picks = suggest_models(purpose, deps.today)
        costs = platform_of(state, deps).suggestion_costs([p.price for p in picks])
        if purpose:
            body, recommended = _suggestions(purpose, picks, costs, deps)
            task = detect_task(purpose)
            intro = f"For **{purpose}** (task: {task.name}), here are three catalog suggestions:\n\n{body}"
        else:
            recommended = "open"
            intro = ("Which kind of model do you want to tune?\n\n"
                     "- **open** (Gemma, Llama, Qwen): you get the weights, deploy on your own endpoint, "
                     "and can try it on this machine first.\n"
                     "- **gemini**: Google hosts the tuned model; no serving to manage.")
        cost_note = f"\n\n{costs.note}" if costs.note else ""
        description = (f"{intro}{cost_note}\n\nApprove **{recommended}**, edit the category, or tell me what "
                       "you prefer.")
        return combine(*notes, propose("category", ACTION, {"category": recommended}, description))
    outcome = await_decision(state, CategoryArgs)
    mentioned = None if outcome.approved else parse.model_mention(outcome.message or "")
    named = _named_model(state, deps, mentioned) if mentioned else None
    if named is not None:  # "use Llama 3.2 1B Instruct" at the card: the model decides the category
        return combine(outcome.updates, named)
    chosen = outcome.args.get("category") if outcome.approved else parse.category(outcome.message or "")
    if chosen not in {"open", "gemini"}:
        return combine(outcome.updates, say("I did not catch open or gemini. Say **open** or **gemini**, name a "
                                            "model, ask a question, or tell me what the model is for (I'll "
                                            "suggest three models)."))
    return combine(outcome.updates, {"category": chosen}, say(f"Category: **{chosen}** models."),
                   _family(outcome.message or "", state, deps))
