"""answer: reply to a side question from `knowledge/`, then let the router re-ask what is open."""

from __future__ import annotations

from typing import Any

from graph import advisor
from graph.common import combine, say
from graph.deps import Deps
from graph.state import TuningState


def run(state: TuningState, deps: Deps) -> dict[str, Any]:
    question = state.get("side_reply") or ""
    reply = advisor.answer_question(deps.llm, question)
    pending = state.get("pending") or {}
    tail = "Back to where we were:" if pending else ""
    return combine(say(reply, tail), {"side_reply": None})
