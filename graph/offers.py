"""Answers that need the session, not only the notes: the models of a family, and cheaper settings.

Why: "can I use Llama instead?" names a family, not a model, so the useful answer is the short
list of Llama models the catalog can tune; "make it cheaper" (or "no, too expensive") at the
configuration or submit card deserves concrete options priced on this dataset, not the general cost
notes, and at the deploy card the cheaper ways to serve. All are answered and the open card stays
(a person picks one by typing it, e.g. "use Llama 3.1 8B Instruct").
"""

from __future__ import annotations

import os
import re
from typing import Any

from graph.common import md_table, rec
from graph.intents import CHEAPER
from graph.state import TuningState
from tools.platforms.base import Platform


def family_reply(question: str, state: TuningState, platform: Platform) -> str | None:
    """The models of the family the question names that tune on this platform, when it names no specific
    model; when none of that family tunes here, says so and lists the models that do."""
    from tools.recommend import family_named

    family = family_named(question)
    if family is None or re.search(r"\d", question):
        return None
    name = family.capitalize() if family != "glm" else "GLM"
    headers, rows = platform.family_table(family)
    if not rows:
        headers, rows = platform.family_table(None)
        if not rows:
            return None
        return (f"No {name} model can be tuned on this platform. These can:\n\n"
                + md_table(headers, rows, max_cell=80)
                + f"\n\nSay which one, e.g. **use {min((r[0] for r in rows), key=len)}**.")
    switch = (f" {name} models are open models, so choosing one switches from Gemini to open models "
              "(your dataset and settings are kept)." if state.get("category") == "gemini" else "")
    return (f"These {name} models can be tuned:{switch}\n\n"
            + md_table(headers, rows, max_cell=80)
            + f"\n\nSay which one, e.g. **use {rows[0][0]}**.")


def _settings(state: TuningState) -> dict[str, Any]:
    """The configuration in play: the open configuration card's, else the approved one."""
    pending = state.get("pending") or {}
    if pending.get("action") == "approve_configuration":
        return dict(pending.get("args") or {})
    return dict(rec(state, "hparams"))


def cheaper_reply(question: str, state: TuningState) -> str | None:
    """Cheaper configurations priced on this dataset, when the question asks to spend less and a
    configuration and a prepared training file exist (otherwise the notes answer it)."""
    if not CHEAPER.search(question):
        return None
    pending = state.get("pending") or {}
    if pending.get("action") == "deploy_model":
        return _cheaper_serving(dict(pending.get("args") or {}))
    settings = _settings(state)
    path = rec(state, "dataset").get("train_path")
    if not settings.get("base_model") or not path or not os.path.isfile(path):
        return None
    from tools.cost import adapter_note, cheaper_options, none_cheaper
    from tools.errors import ToolError

    try:
        current, options = cheaper_options(path, settings["base_model"], settings.get("tuning_mode"),
                                           int(settings["epochs"]) if settings.get("epochs") else None)
    except (ToolError, ValueError):
        return None
    if not options:
        return none_cheaper(current)
    rows = [[o.what, f"`{_phrase(o.change)}`", o.estimate.label] for o in options]
    note = adapter_note(current)
    return (f"Now: {current.label}.\n\nCheaper options, estimated on your data:\n\n"
            + md_table(["option", "say", "estimated cost"], rows, max_cell=160) + (f"\n\n{note}" if note else "")
            + "\n\nSay one to apply it; the card stays open until you decide.")


def _cheaper_serving(args: dict[str, Any]) -> str:
    """At the deploy card: serving is billed by the hour, so the cheaper choices are machines with the same
    GPUs (the model fits the same way) and fewer CPUs, not deploying, or deleting the endpoint soon."""
    from knowledge import load_catalog, machine
    from tools import money

    current = machine(str(args.get("machine_type") or ""))
    if current is None:
        return "Loading the tuned model on this machine costs nothing; no cloud endpoint is billed."
    same = sorted((m for m in load_catalog().machines if m.accelerator_type == current.accelerator_type
                   and m.accelerator_count == current.accelerator_count and m.hourly_usd < current.hourly_usd),
                  key=lambda m: m.hourly_usd)
    rows = [[f"{m.machine_type} (same GPUs, fewer CPUs)", f"`use {m.machine_type}`", money.per_hour(m.hourly_usd)]
            for m in same]
    rows.append(["don't deploy now (the tuned model stays saved; deploy it later)", "`no`", money.usd(0)])
    return (f"Now: {current.machine_type} ({current.accelerator_count}× {current.accelerator_type}) at about "
            f"{money.per_hour(current.hourly_usd)}, billed while the endpoint runs; delete it when you are done "
            "trying the model.\n\nCheaper options:\n\n"
            + md_table(["option", "say", "price"], rows, max_cell=160)
            + "\n\nSay one; the card stays open until you decide.")


def _phrase(change: dict[str, Any]) -> str:
    """What to type to apply a change ("use 2 epochs", "use LoRA", "use gemini-2.5-flash")."""
    if "epochs" in change:
        return f"use {change['epochs']} epoch{'s' if change['epochs'] != 1 else ''}"
    if "tuning_mode" in change:
        return "use LoRA" if change["tuning_mode"] == "PEFT_ADAPTER" else "use full tuning"
    return f"use {change.get('base_model')}"
