"""What is said about an open card without deciding it: status, help, going back, its cost, its decision line.

Why one module: "status", "help", "go back" and "what does this cost?" typed at any card must be
answered the same way whichever card is open, and the card must stay undecided (or, for "back",
the card before it must open again). The decision line posted when a card is answered says what
actually happened ("Changed …", "Skipped …", "Switched to …"), read from the same intents.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from graph import intents
from graph.approvals import title
from graph.invalidate import invalidate

#: How going back reopens each card whose step can run again without undoing anything outside
#: (the step's `done` reads what this resets, so the router reopens it with its current values).
_REOPEN: dict[str, Any] = {
    "choose_model_category": lambda: {**invalidate("category"), "category": None},
    "confirm_project_region": lambda: {**invalidate("project"), "project": {"confirmed": False}},
    "confirm_column_mapping": lambda: {**invalidate("mapping"),
                                       "dataset": {**invalidate("mapping")["dataset"], "mapping_confirmed": False}},
    "split_validation": lambda: {**invalidate("split"),
                                 "dataset": {**invalidate("split")["dataset"], "split_decided": False}},
    "approve_configuration": lambda: invalidate("hparams"),
}


def help_text(pending: dict[str, Any]) -> str:
    """What can be said at the open card (nothing on it is decided)."""
    name = title(str(pending.get("action"))) if pending.get("action") else "this card"
    return (f"At the card **{name}** you can say:\n\n"
            "- **yes** (or `y`): approve it as shown; **no** (`n`), with a reason if you like: decline it\n"
            "- a change in words: `use 5 epochs`, `hold out 10%`, `bucket is my-bucket`, `use gemini instead`\n"
            "- a question: `what does this cost?`, `what is LoRA?` (answered, and the card stays)\n"
            "- **status**: where we are; **back**: the card before this one; **stop**: leave (all is saved)\n\n"
            "The card is still open; nothing on it was decided.")


def status(state: dict[str, Any], pending: dict[str, Any]) -> str:
    """The job's state when a job exists, else where the conversation is: the open card and what is decided."""
    from graph.nodes.done import summary

    job = state.get("job") or {}
    name = title(str(pending.get("action"))) if pending.get("action") else "this step"
    head = f"Job `{job['name']}`: **{job.get('state') or 'submitted'}**." if job.get("name") else "No job yet."
    decided = [title(str(r.get("action"))) + ("" if r.get("decision") != "reject" else " (declined)")
               for r in state.get("approvals") or []]
    lines = [head, f"Open now: the card **{name}** (not decided yet)."]
    if decided:
        lines.append("Decided so far: " + "; ".join(dict.fromkeys(decided)) + ".")
    return "\n\n".join([*lines, summary(state)])  # type: ignore[arg-type]


def back(state: dict[str, Any], pending: dict[str, Any]) -> dict[str, Any]:
    """The update for "go back": the card before this one opens again, this one is left undecided."""
    from graph.common import say

    current = pending.get("action")
    if (state.get("job") or {}).get("name"):
        return {**say("The job has started, so the steps before it can't be reopened. This card is still "
                      "open; nothing on it was decided."), "pending": pending or None}
    earlier = [r.get("action") for r in state.get("approvals") or [] if r.get("action") != current]
    if not earlier:
        return {**say("There is nothing to go back to: this is the first card. It is still open; nothing on "
                      "it was decided."), "pending": pending or None}
    previous = str(earlier[-1])
    reopen = _REOPEN.get(previous)
    if reopen is None:
        return {**say(f"The step before this one (**{title(previous)}**) is done and can't be undone from here. "
                      "Say what to change instead (e.g. `bucket is NAME`, `use 5 epochs`); this card is still "
                      "open, nothing on it was decided."), "pending": pending or None}
    return {**reopen(), **say(f"Going back to **{title(previous)}** (nothing on **{title(str(current))}** was "
                              "decided; it comes back after)."), "pending": None}


_COST = re.compile(r"\b(cost|costs|price|pricing|how much|expensive|pay|charge|charged|bill|billed|free)\b", re.I)
_STORAGE = re.compile(r"\b(bucket|storage|folder|upload)\b", re.I)
_ESTIMATE_CARDS = frozenset({"approve_configuration", "submit_tuning_job"})


def cost_reply(question: str, state: dict[str, Any], platform: Callable[[], Any]) -> str | None:
    """A cost question answered from the open card: the bucket's cost, or this job's estimate; else None."""
    pending = state.get("pending") or {}
    if not _COST.search(question):
        return None
    if _STORAGE.search(question):
        said: str | None = platform().storage_cost()
        return said
    if pending.get("action") not in _ESTIMATE_CARDS:
        return None
    cost = state.get("cost") or {}
    if not cost.get("label"):
        return None
    lines = [f"This job's estimate: **{cost['label']}**."]
    lines += [f"- {a}" for a in cost.get("assumptions") or []]
    return "\n".join(lines)


def decision_line(message: str, pending: dict[str, Any]) -> str:
    """The line posted for an answer typed in words: what happened, not always "Declined"."""
    from graph.understand import context

    ctx_fields = pending.get("args") or {}
    reading = intents.read(message, context(pending))
    chosen = [i.value for i in reading.intents if isinstance(i, intents.Choice)]
    if chosen:  # "use llama" at the category card chooses open models
        return f"Chose **{chosen[0]}**."
    changes = reading.changes()
    if "category" in changes and set(changes) <= {"category", "base_model"}:
        return "Switched to " + ("Gemini" if changes["category"] == "gemini" else "open models") + \
            (f" ({changes['base_model']})" if changes.get("base_model") else "") + "."
    if changes:
        shown = [f"{k} {ctx_fields[k]} → {v}" if k in ctx_fields else f"{k} → {v}" for k, v in changes.items()]
        return "Changed " + ", ".join(shown)
    if reading.has(intents.Skip):
        action = str(pending.get("action"))
        if action in ("skip_bad_rows", "drop_invalid_rows"):
            return "Skipped the bad rows."
        return f"Skipped: {title(action)}."
    named = [i.ref for i in reading.intents if isinstance(i, intents.Dataset)]
    if named:
        return f"Switched the dataset to {named[0]}."
    return f"Declined: {message}"
