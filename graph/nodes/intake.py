"""intake: fold what the newest human message states into `facts`; decide nothing else.

Runs at the start of every turn started by a message (a resumed interrupt skips it).
It reads the message deterministically first; the LLM is asked only when that finds
nothing useful, and its output is checked (graph/advisor.py).
"""

from __future__ import annotations

import uuid
from typing import Any

from langchain_core.messages import HumanMessage

from graph import advisor, consent, intents, parse, understand
from graph.approvals import STRICT_ACTIONS, ask, stale
from graph.common import facts, rec
from graph.deps import Deps
from graph.state import TuningState
from tools.platforms import resolve_platform_name

NAME = "intake"

#: The first question (the terminal asks it before any message; agent/chat.py FIRST_QUESTION): asked
#: again when "status" or "help" comes before a purpose.
PURPOSE_QUESTION = "What would you like to tune a model for?"


def _last_human(state: TuningState) -> HumanMessage | None:
    for message in reversed(state.get("messages") or []):
        if isinstance(message, HumanMessage):
            return message
        if message.type == "ai":
            return None
    return None


def _deterministic(text: str, pending: dict[str, Any], state: TuningState) -> dict[str, Any]:
    found: dict[str, Any] = dict(parse.facts_of(text, split_expected=pending.get("action") == "split_validation"))
    if found.get("dataset") and "validation" in text.lower() and rec(state, "dataset").get("source"):
        found["validation_dataset"] = found.pop("dataset")
    hparams, job = rec(state, "hparams"), rec(state, "job")
    if hparams and not job.get("name") and pending.get("action") != "approve_configuration":
        changes = parse.config_changes(text)  # "use 2 epochs instead", said after the configuration card
        if "base_model" in changes and changes["base_model"] == hparams.get("base_model"):
            del changes["base_model"]
        if changes:
            found["config_changes"] = changes
    if not state.get("category") and not (state.get("facts") or {}).get("purpose") and \
            pending.get("kind") != "approval" and not parse.is_question(text) and parse.yes_no(text) is None \
            and not parse.is_small_talk(text):
        found["purpose"] = text.strip()
    return found


def _setting_for_later(meant: understand.Meaning, pending: dict[str, Any], state: TuningState) -> bool:
    """A question is open and the message only sets the model or its settings, before they are proposed."""
    said = {k: v for k, v in meant.elsewhere.items() if not (k == "category" and v == state.get("category"))}
    return pending.get("kind") == "question" and meant.question is None and set(said) == {"config_changes"} \
        and not rec(state, "hparams").get("base_model") and not meant.purpose


def _before_purpose(text: str, meant: understand.Meaning, pending: dict[str, Any], state: TuningState) -> bool:
    """Nothing is open and no purpose is known yet, and the message only asks for status or help."""
    if pending or state.get("category") or facts(state).get("purpose"):
        return False
    return meant.reading.has(intents.Status) or text.strip().lower().rstrip("!. ") in understand.HELP_WORDS


def _split_change_at_question(meant: understand.Meaning, pending: dict[str, Any], state: TuningState) -> bool:
    """A question is open, the split is decided, and the message changes it."""
    return pending.get("kind") == "question" and "validation_split" in meant.elsewhere \
        and bool(rec(state, "dataset").get("split_decided")) and meant.question is None


def run(state: TuningState, deps: Deps) -> dict[str, Any]:
    """Record the platform and run id once, then the facts of the newest message."""
    update: dict[str, Any] = {}
    if not state.get("platform"):
        update["platform"] = resolve_platform_name(deps.platform_name)[0]
    if not state.get("run_id"):
        update["run_id"] = "ta-" + uuid.uuid4().hex[:10]
    message = _last_human(state)
    known = facts(state)
    if message is None or (message.id is not None and known.get("seen") == message.id):
        return update
    text = message.text if not isinstance(message.content, str) else message.content  # UIs send text blocks
    pending = dict(state.get("pending") or {})
    job_exists = bool(rec(state, "job").get("name"))
    # At the try-the-model prompt a message is a test prompt unless it is marked for the agent
    # (graph/nodes/done.py says how); the done step answers those itself.
    trying_model = pending.get("step") == "done" and bool(rec(state, "deployment").get("endpoint"))
    meant = understand.meaning(text, pending, category_chosen=bool(state.get("category")), job_exists=job_exists)
    new = _deterministic(text, pending, state)
    if meant.purpose and not state.get("category"):
        new["purpose"] = meant.purpose  # kept even when a question comes with it
    answer = parse.yes_no(text) if meant.question is None else None
    relevant = {k for k in new if k != "purpose"}
    llm_approved = False
    if deps.llm is not None and answer is None and not relevant and meant.question is None:
        what = pending.get("action") or pending.get("question") or "the person's goal"
        llm_facts = advisor.extract_facts(deps.llm, text, str(what), state.get("category"))
        side = llm_facts.pop("side_question", None)
        answer_text = llm_facts.pop("answer_text", None)
        new = {**llm_facts, **new}  # the LLM only adds: what was read deterministically stays
        if side and pending.get("kind") != "approval" and not trying_model:
            update["side_reply"] = side
        if answer_text in {"approve", "reject"}:
            answer = answer_text == "approve"
            llm_approved = answer
    if meant.question is not None and not trying_model:
        # Answered, and whatever is open comes back; never read as a choice or an answer.
        update["side_reply"] = meant.question
        new = {"purpose": new["purpose"]} if new.get("purpose") else {}
    elif _before_purpose(text, meant, pending, state):
        # "status" or "help" as the very first message: answered, and the purpose question stays open.
        meant.status = meant.reading.has(intents.Status)
        meant.help = not meant.status
        redirect = understand.redirect(meant, ask("purpose", PURPOSE_QUESTION)["pending"], dict(state))
        new = redirect.pop("facts")
        update.update(redirect)
    elif _setting_for_later(meant, pending, state):
        # "use Llama 3.2 1B Instruct" or "use 2 epochs" at the dataset question: kept for the model
        # settings and acknowledged, as at a card (understand.redirect); the question stays open.
        meant.elsewhere.pop("category", None)  # the category already chosen ("Llama" says open)
        redirect = understand.redirect(meant, pending, dict(state))
        new = {**{k: v for k, v in new.items() if k == "purpose"}, **redirect.pop("facts")}
        update.update(redirect)
    elif pending.get("kind") == "approval" and stale(pending):
        # Typed before this card was shown (e.g. a second "yes" queued behind the first): it
        # answers nothing here, and the card stays open.
        new.pop("purpose", None)
    elif (pending.get("kind") == "approval" and not meant.answers_card) or meant.status or meant.help or meant.back:
        # (At a question too: "status", "help" and "back" are answered and never taken as its answer.)
        redirect = understand.redirect(meant, pending, dict(state))
        new = {**{k: v for k, v in new.items() if k == "purpose"}, **redirect.pop("facts")}
        update.update(redirect)
    elif _split_change_at_question(meant, pending, state):
        # "hold out 10%" at a question after the split (which bucket?): the split card opens again, as
        # at a card; the question is asked again when its step comes back.
        redirect = understand.redirect(meant, pending, dict(state))
        new = {**{k: v for k, v in new.items() if k == "purpose"}, **redirect.pop("facts")}
        update.update({**redirect, "pending": None})
    elif pending.get("kind") == "approval":
        # Only a plain yes approves; anything more ("no, hold out 10%", "ok, use bucket X") is kept
        # whole and read by the step as the person's answer. Cards that spend money or change a
        # project take only a plain approval (graph/consent.py), never the LLM's reading of free text.
        action = str(pending.get("action"))
        approve = consent.plain_approval(text, action) if action in STRICT_ACTIONS else \
            parse.plain_yes(text) or llm_approved
        new["answer"] = {"for": pending.get("action"), "card": pending.get("id"),
                         "decision": "approve" if approve else "reject", "message": None if approve else text}
    elif answer is not None:
        new["yes"] = answer
    new.setdefault("yes", None)
    new.setdefault("answer", None)
    new["seen"] = message.id
    new["last_text"] = text
    update["facts"] = new
    if pending.get("awaiting") and update.get("pending", pending) is pending:
        update["pending"] = {**pending, "awaiting": False}
    return update
