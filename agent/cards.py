"""Answering an approval card: read the human's key, walk the edit flow, build the resume value.

The card offers only the decisions its `review_configs` allow. `y` approves; `e` asks
for every argument in turn with the current value as the default and sends only the
ones that changed (the graph validates and coerces them, and re-asks on a bad value);
`n` declines at once (the graph says what happens next); a reason is optional and comes
with the answer in words ("n, too expensive", "no, hold out 10%"), never as an extra
prompt. `stop`/`cancel` leave like `quit` (nothing on the card is decided). A whole message that
is an approval ("yes please", "go ahead"; graph/consent.py) approves too. Any other text
is the human's answer in their own words ("ok wait" is held by the graph, never a yes): a
question goes to the graph as a chat message (it is answered, then the card comes back), the
rest is sent as a reject message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from agent.chat_input import LineReader
from agent.render import DECISION_KEYS, Renderer, allowed_decisions, format_value
from graph.consent import plain_approval

QUIT_WORDS = {"quit", "exit", ":q"}
#: At a card, these leave too (nothing on the card is decided), except on cards that read them
#: as their own answer: "stop" at the deploy card means don't deploy, at the watch card stop watching.
STOP_WORDS = {"stop", "cancel", "stop here", "cancel that", "cancel it", "abort"}
_OWN_STOP_WORDS = {"deploy_model", "monitor_job"}
HELP_WORDS = {"?", "help", "h"}
_YES = {"y", "yes", "approve", "ok"}
_EDIT = {"e", "edit"}
_NO = {"n", "no", "reject"}


class QuitChat(Exception):
    """The human asked to leave (quit/exit typed at a prompt)."""


@dataclass
class Answer:
    """What to send the graph: a resume value for the open interrupt, or a new chat message."""

    resume: Any = None
    message: str | None = None


def parse_value(current: Any, typed: str) -> Any:
    """The typed text as a value of the same kind as `current` (strings otherwise; the graph coerces).

    `none` (or `null`) clears a value. Lists take JSON (`["a", "b"]`) or comma-separated text;
    objects take JSON. Numbers and booleans are converted when the text reads as one.
    """
    text = typed.strip()
    if text.lower() in {"none", "null"}:
        return None
    if isinstance(current, bool):
        low = text.lower()
        if low in {"y", "yes", "true", "1", "on"}:
            return True
        if low in {"n", "no", "false", "0", "off"}:
            return False
        return text
    if isinstance(current, int | float):
        for kind in (int, float):
            try:
                return kind(text)
            except ValueError:
                continue
        return text
    if isinstance(current, list | dict):
        try:
            return json.loads(text)
        except ValueError:
            if isinstance(current, list):
                return [part.strip() for part in text.split(",") if part.strip()]
            return text
    return text


def edit_args(args: dict[str, Any], reader: LineReader, renderer: Renderer) -> dict[str, Any]:
    """Ask for each argument with its current value as the default; return the changed ones."""
    renderer.note("Edit each value (Enter keeps it; `none` clears it).")
    changed: dict[str, Any] = {}
    for name, current in args.items():
        shown = format_value(current)
        typed = reader.ask(f"  {name}: ", default=shown, history=False)
        if typed.strip() == shown.strip():
            continue
        if not typed.strip() and current is None:
            continue
        value = parse_value(current, typed)
        if value != current:
            changed[name] = value
    return changed


def decide(payload: dict[str, Any], reader: LineReader, renderer: Renderer,
           is_question: Any = None) -> Answer:
    """Ask until the human gives an answer the card allows; return what to send the graph.

    `is_question(text) -> bool` picks which free text goes as a chat message (the graph's
    own question detector in the chat; `None` treats every free text as a reject message).
    """
    request = payload["action_requests"][0]
    allowed = allowed_decisions(payload)
    keys = "/".join(DECISION_KEYS[d][0] for d in DECISION_KEYS if d in allowed)
    while True:
        text = reader.ask(f"{request['name']} [{keys}] > ", history=False).strip()
        low = text.lower()
        if not text:
            continue
        if low in QUIT_WORDS or (low.rstrip(".!") in STOP_WORDS and request["name"] not in _OWN_STOP_WORDS):
            raise QuitChat
        if low in HELP_WORDS:
            _help(allowed, renderer)
            continue
        chosen = "approve" if low in _YES else "edit" if low in _EDIT else "reject" if low in _NO else None
        if chosen is None and plain_approval(text, request["name"]):
            chosen = "approve"  # "yes please", "go ahead", "submit it": the whole message says yes
        if chosen is None:
            if is_question is not None and is_question(text):
                return Answer(message=text)
            return Answer(resume=_decisions({"type": "reject", "message": text}))
        if chosen not in allowed:
            renderer.note(f"This card does not offer '{chosen}'; choose {keys}.", style="yellow")
            continue
        if chosen == "approve":
            return Answer(resume=_decisions({"type": "approve"}))
        if chosen == "reject":
            return Answer(resume=_decisions({"type": "reject", "message": None}))
        changed = edit_args(dict(request.get("args") or {}), reader, renderer)
        if not changed:
            renderer.note("Nothing changed.", style="yellow")
            continue
        return Answer(resume=_decisions({"type": "edit", "edited_action": {"name": request["name"],
                                                                           "args": changed}}))


def _decisions(decision: dict[str, Any]) -> dict[str, Any]:
    return {"decisions": [decision]}


def _help(allowed: list[str], renderer: Renderer) -> None:
    words = {"approve": "y: approve and go ahead", "edit": "e: change the arguments one by one",
             "reject": "n: say no at once (or say why in words: \"no, not now\")"}
    for decision in DECISION_KEYS:
        if decision in allowed:
            renderer.note("  " + words[decision], style="")
    renderer.note("  a change in words (`use 5 epochs`), or a question: answered, and the card comes back", style="")
    renderer.note("  status: where we are; back: the card before this one; quit: leave (nothing here is decided)",
                  style="")
