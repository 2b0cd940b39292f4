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


#: Cards that may open again after a no: their step asks again when the record this resets is cleared.
_REOPEN_DECLINED: dict[str, Any] = {
    "create_bucket": lambda: {"storage": {"bucket_declined": False}},
}
#: Reopening the cleaning card writes the files again from the source (before any cleaning); the card
#: proposes what was chosen last time (a decision on it is otherwise kept: graph/nodes/prepare.py).
_REOPEN["clean_dataset"] = lambda: {**invalidate("split"),
                                    "dataset": {**invalidate("split")["dataset"], "clean_reopen": True}}


def _open_name(pending: dict[str, Any]) -> str:
    """How the open card or question is named in a reply."""
    if pending.get("action"):
        return f"the card **{title(str(pending['action']))}**"
    if pending.get("question"):
        return f"the question “{pending['question']}”"
    return "this step"


def question_help(pending: dict[str, Any]) -> str:
    """What can be said at an open question (not a card); the question stays open."""
    answer = "what the model is for, in your words (e.g. `a support bot for my bike shop`)" \
        if pending.get("step") == "purpose" else "your answer in words (a name, a path, a number, yes or no)"
    return (f"At {_open_name(pending)} you can say:\n\n"
            f"- {answer}\n"
            "- a question: `what is LoRA?` (answered, and the question stays)\n"
            "- a change: `use other.csv instead`, `use 5 epochs`\n"
            "- **status**: where we are; **back** (or `undo the cleaning`): reopen an earlier card; "
            "**stop**: leave (all is saved)\n\n"
            f"Still open: {pending.get('question') or 'this step'}")


def help_text(pending: dict[str, Any]) -> str:
    """What can be said at the open card (nothing on it is decided)."""
    if pending.get("kind") == "question":
        return question_help(pending)
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
    head = f"Job `{job['name']}`: **{job.get('state') or 'submitted'}**." if job.get("name") else "No job yet."
    lines = [head, f"Open now: {_open_name(pending)} (not {'decided' if pending.get('action') else 'answered'} yet)."]
    decided = _decided(state.get("approvals") or [])
    lines.append("Decided so far: " + "; ".join(decided) + "." if decided else "Nothing decided yet.")
    table = summary(state)  # type: ignore[arg-type]
    return "\n\n".join([*lines, table] if state.get("platform") else lines)


def _decided(records: list[dict[str, Any]]) -> list[str]:
    """Each card once, with its latest decision as its line said it ("Chose open", "Switched to Gemini"):
    "declined" only for a real no, never for an answer in words that chose or changed something."""
    latest: dict[str, str] = {}
    for record in records:
        if record.get("refused"):  # a change the step refused: the card stayed open
            continue
        action = str(record.get("action"))
        said = title(action)
        if record.get("decision") == "reject":
            message = record.get("message")
            line = decision_line(str(message), {**record, "kind": "approval"}) if message else "Declined"
            said += " (declined)" if line.startswith("Declined") else f" ({line.replace('**', '').rstrip('.')})"
        latest.pop(action, None)  # a card decided again moves to where it was last decided
        latest[action] = said
    return list(latest.values())


def _named(target: str, action: str) -> bool:
    """Whether the words of `target` ("cleaning", "column mapping") name the card `action`."""
    words = {w[:5] for w in re.findall(r"[a-z]+", f"{action.replace('_', ' ')} {title(action)}".lower()) if len(w) > 3}
    return any(w[:5] in words for w in re.findall(r"[a-z]+", target.lower()) if len(w) > 3)


def back(state: dict[str, Any], pending: dict[str, Any], target: str | None = None) -> dict[str, Any]:
    """The update for "go back": the card before this one (or the one `target` names) opens again; what is
    open now is left undecided. A declined bucket card opens again too (its no is taken back)."""
    from graph.common import say

    current = pending.get("action")
    still = "This card is still open; nothing on it was decided." if current else \
        f"Still open: {pending.get('question') or 'this step'}"
    if (state.get("job") or {}).get("name"):
        return {**say(f"The job has started, so the steps before it can't be reopened. {still}"),
                "pending": pending or None}
    earlier = [r for r in state.get("approvals") or [] if r.get("action") != current]
    if target:
        earlier = [r for r in earlier if _named(target, str(r.get("action")))]
        if not earlier:
            return {**say(f"No card about “{target}” was decided yet, so there is nothing to undo. Say **back** "
                          f"for the card before this one. {still}"), "pending": pending or None}
    if not earlier:
        return {**say(f"There is nothing to go back to: no card was decided yet. {still}"), "pending": pending or None}
    previous, declined = str(earlier[-1].get("action")), earlier[-1].get("decision") == "reject"
    reopen = _REOPEN_DECLINED.get(previous) if declined else None
    reopen = reopen or _REOPEN.get(previous)
    if reopen is None:
        return {**say(f"The step before this one (**{title(previous)}**) is done and can't be undone from here. "
                      f"Say what to change instead (e.g. `bucket is NAME`, `use 5 epochs`). {still}"),
                "pending": pending or None}
    after = f" (nothing on **{title(str(current))}** was decided; it comes back after)" if current else ""
    return {**reopen(), **say(f"Going back to **{title(previous)}**{after}."), "pending": None}


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


_CLEAN_NAMES = re.compile(r"\b(dedupe-prompts|dedupe(?!-)|strip-control|drop-long)\b", re.I)
_ONLY = re.compile(r"\b(only|just)\b", re.I)
_WITHOUT = re.compile(r"\b(no|not|don'?t|without|except|skip|keep)\b", re.I)


def _clean_edit(message: str, args: dict[str, Any]) -> dict[str, Any] | None:
    """`only strip-control` → those actions; `no dedupe` / `all but drop-long` → the card's minus those."""
    named = list(dict.fromkeys(m.lower() for m in _CLEAN_NAMES.findall(message)))
    if not named:
        return None
    if _WITHOUT.search(message) and not _ONLY.search(message):
        return {"actions": [a for a in args.get("actions") or [] if a not in named]}
    return {"actions": named}


def _bucket_edit(message: str, args: dict[str, Any]) -> dict[str, Any] | None:
    from graph import parse

    named = parse.bucket(message)
    return {"bucket": named} if named else None


#: Cards whose argument a person may change in words ("bucket my-data", "only strip-control"): the
#: words become an edit of that argument, checked by the card's model like any edit.
_WORD_EDITS: dict[str, Callable[[str, dict[str, Any]], dict[str, Any] | None]] = {
    "create_bucket": _bucket_edit,
    "clean_dataset": _clean_edit,
}


def edit_in_words(message: str, pending: dict[str, Any]) -> dict[str, Any] | None:
    """The card's arguments a message typed at it changes, or None when it changes none of them."""
    reader = _WORD_EDITS.get(str(pending.get("action")))
    return reader(message, dict(pending.get("args") or {})) if reader else None
