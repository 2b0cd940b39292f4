"""What a message typed at an open card means for the card: an answer to it, or something else.

Why: a message typed at a card is read once (graph/intents.read) and the same reading decides,
wherever it arrives (a new chat message through `intake`, or free text sent as a card's answer
through `await_decision`), whether it answers the card. A question is answered and the same card
comes back; a change to a setting another step owns goes to that step (the router walks back to
it, and the tree brings the person back to where they were); a purpose typed at the category
card brings the suggestions. Only what is left answers the card.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from graph import consent, intents
from graph.intents import CardContext, Reading

#: Configuration fields (owned by `configure`).
CONFIG_FIELDS = frozenset({"epochs", "learning_rate", "learning_rate_multiplier", "adapter_size", "tuning_mode",
                           "base_model"})

#: For each card: the intents card name, the fields it edits itself, and its named choices.
CARDS: dict[str, tuple[str, frozenset[str], tuple[str, ...]]] = {
    "choose_model_category": ("category", frozenset({"category", "base_model"}), ("open", "gemini")),
    "confirm_project_region": ("project", frozenset({"project", "region"}), ()),
    "enable_apis": ("environment", frozenset(), ()),
    "search_buckets": ("bucket_search", frozenset({"bucket"}), ()),
    "confirm_column_mapping": ("columns", frozenset(), ()),
    "split_validation": ("split", frozenset({"validation_split"}), ()),
    "drop_invalid_rows": ("prepare", frozenset(), ()),
    "create_bucket": ("bucket", frozenset({"bucket"}), ()),
    "upload_dataset": ("upload", frozenset({"bucket"}), ()),
    "approve_configuration": ("config", CONFIG_FIELDS, ()),
    "submit_tuning_job": ("submit", frozenset(), ()),
    "deploy_model": ("deploy", frozenset(), ()),
}


#: Cards that read "stop"/"cancel" themselves (don't deploy; stop watching the job).
OWN_STOP_WORDS = frozenset({"deploy", "monitor"})
#: Steps whose questions read "status", "help" and "back" themselves (the job's status; the closing prompt).
OWN_AGENT_WORDS = frozenset({"monitor", "done"})


def context(pending: dict[str, Any] | None) -> CardContext:
    """The intents context for what is open (an approval card, a question, or nothing)."""
    pending = pending or {}
    if pending.get("kind") == "approval":
        card, fields, choices = CARDS.get(str(pending.get("action")), (str(pending.get("step")), frozenset(), ()))
        return CardContext(card=card, fields=fields, choices=choices)
    if pending.get("kind") == "question":
        return CardContext(card=str(pending.get("step") or "") or None, expects_text=True)
    return CardContext(expects_text=True)


@dataclass
class Meaning:
    """What a message means for the open card.

    `question`: the question(s) to answer (the card stays open). `purpose`: a purpose to keep.
    `stop`: "stop"/"cancel"/"quit" typed at a card: nothing is decided, the card stays for later.
    `elsewhere`: facts for steps other than the card's (config_changes, region, project, category,
    dataset, validation_split). `answers_card`: whether what is left answers the open card.
    `held`: a yes that is not a plain approval ("ok wait") at a card that spends money, or a yes that
    hesitates at any card (graph/consent.py): nothing is decided, the card stays and says what to say.
    """

    reading: Reading
    question: str | None = None
    purpose: str | None = None
    stop: bool = False
    elsewhere: dict[str, Any] = field(default_factory=dict)
    answers_card: bool = True
    status: bool = False
    help: bool = False
    back: bool = False
    held: bool = False


#: Whole messages that ask what can be said at the open card.
HELP_WORDS = frozenset({"help", "h", "?", "what can i say", "what can i do", "what are my options", "options"})


def meaning(text: str, pending: dict[str, Any] | None, *, category_chosen: bool, job_exists: bool) -> Meaning:
    """Read `text` against the open card (see the module docstring for the rules)."""
    ctx = context(pending)
    reading = intents.read(text, ctx)
    out = Meaning(reading)
    if any(isinstance(i, intents.Stop) and i.target is None for i in reading.intents) \
            and pending is not None and pending.get("kind") == "approval" and ctx.card not in OWN_STOP_WORDS:
        out.stop, out.answers_card = True, False
        return out
    if pending is not None and (pending.get("kind") == "approval" or
                                (pending.get("kind") == "question" and pending.get("step") not in OWN_AGENT_WORDS)):
        # "status", "help" and "go back" never decide a card or answer a question: they are answered, and
        # the card or question stays (or, for "back", the card before it opens again).
        out.status = reading.has(intents.Status)
        out.back = reading.has(intents.Back)
        out.help = text.strip().lower().rstrip("!. ") in HELP_WORDS or text.strip() == "?"
        if out.status or out.back or out.help:
            out.answers_card = False
            return out
    questions = [i.text for i in reading.intents if isinstance(i, intents.Question)]
    purposes = [i.text for i in reading.intents if isinstance(i, intents.Purpose)]
    answered = reading.has(intents.Choice) or reading.has(intents.Reply)
    if purposes and not category_chosen:
        out.purpose = purposes[0]
    if questions and not answered:
        out.question = " ".join(questions)
    owned = ctx.fields
    changes = {k: v for k, v in reading.changes().items() if k not in owned}
    if not job_exists:
        config = {k: v for k, v in changes.items() if k in CONFIG_FIELDS}
        if config:
            out.elsewhere["config_changes"] = config
        for key in ("region", "project", "validation_split", "category"):
            if key in changes:
                out.elsewhere[key] = changes[key]
    for dataset in (i for i in reading.intents if isinstance(i, intents.Dataset)):
        out.elsewhere["dataset"] = dataset.ref
    yes = any(isinstance(i, intents.Reply) and i.yes for i in reading.intents)
    elsewhere_only = bool(out.elsewhere) and not yes and not (set(reading.changes()) & owned)
    purpose_at_category = ctx.card == "category" and bool(out.purpose) and not answered
    out.answers_card = out.question is None and not elsewhere_only and not purpose_at_category
    if out.answers_card and pending is not None and pending.get("kind") == "approval":
        out.held = _held(text, reading, pending)
        out.answers_card = not out.held
    return out


def _held(text: str, reading: Reading, pending: dict[str, Any]) -> bool:
    """A yes (or a pause) with nothing else in it to act on that does not approve the card (graph/consent.py)."""
    from graph.card_talk import edit_in_words

    replies = [i for i in reading.intents if isinstance(i, intents.Reply)]
    if len(replies) != len(reading.intents) or any(not r.yes for r in replies):
        return False  # a change, a question, a choice or a no is read as before
    if edit_in_words(text, pending) is not None or re.search(r"\d|[=/@:]", text):
        # "ok, use bucket team-data", "yes, on g2-standard-12": a value the step reads itself (never a yes)
        return False
    return consent.held(text, str(pending.get("action")), yes=bool(replies))


def stopped_at(pending: dict[str, Any]) -> str:
    """What "stop" at a card says: where the person is, that nothing was decided, and how to go on."""
    from graph.approvals import title

    where = f"the card **{title(str(pending.get('action')))}**" if pending.get("action") else "this step"
    return (f"Stopped at {where}: nothing on it was decided, and everything so far is saved. To go on, come "
            "back to this conversation and answer the card (in the terminal: `tuning-agent chat --thread "
            "THREAD`, shown when you leave).")


def _later(state: dict[str, Any], elsewhere: dict[str, Any]) -> bool:
    """Whether the changes belong to a step not reached yet (so they wait for it, and the card stays)."""
    return set(elsewhere) <= {"config_changes"} and not (state.get("hparams") or {}).get("base_model")


def redirect(m: Meaning, pending: dict[str, Any] | None, state: dict[str, Any]) -> dict[str, Any]:
    """The state update for a message that does not answer the open card (see `Meaning`).

    A question: answered by the `answer` node, then the same card comes back. A change another
    step owns: kept in `facts`; the router walks back to that step (its `done` reads the fact) and
    the tree returns here; a change for a step not reached yet waits, and the card stays. A purpose
    at the category card: the card is asked again, with the three suggestions.
    """
    from graph.common import say

    pending = dict(pending or {})
    update: dict[str, Any] = {"facts": {**m.elsewhere, "answer": None}}
    if m.stop:
        update.update(say(stopped_at(pending)))
        update["pending"] = pending or None
        return update
    if m.held:
        update.update(say(consent.held_line(str(pending.get("action")))))
        update["pending"] = pending or None
        return update
    if m.status or m.help:
        from graph import card_talk

        update.update(say(card_talk.status(state, pending) if m.status else card_talk.help_text(pending)))
        update["pending"] = pending or None
        return update
    if m.back:
        from graph import card_talk

        target = next((i.target for i in m.reading.intents if isinstance(i, intents.Back)), None)
        update.update(card_talk.back(state, pending, target))
        return update
    if m.purpose:
        update["facts"]["purpose"] = m.purpose
    if m.question:
        update["side_reply"] = m.question
        update["pending"] = pending or None
        return update
    if pending.get("action") == "choose_model_category" and m.purpose and not m.elsewhere:
        update["pending"] = None  # asked again, now with suggestions for this purpose
        return update
    if _later(state, m.elsewhere):
        waiting = (state.get("facts") or {}).get("config_changes") or {}
        update["facts"]["config_changes"] = {**waiting, **m.elsewhere["config_changes"]}  # earlier notes kept
        shown = ", ".join(f"{k} = {v}" for k, v in m.elsewhere["config_changes"].items())
        update.update(say(f"Noted ({shown}): applied when we reach the model settings."))
        update["pending"] = pending or None
        return update
    if "validation_split" in m.elsewhere and (state.get("dataset") or {}).get("split_decided"):
        from graph.invalidate import invalidate

        redo = invalidate("split")
        update["dataset"] = {**redo.pop("dataset", {}), "split_decided": False}
        update.update(redo)
    update["pending"] = pending or None  # the owning step comes first in the tree and reopens its card
    return update
