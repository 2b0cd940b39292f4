"""answer: reply to a side question from `knowledge/`, then let the router re-ask what is open."""

from __future__ import annotations

from typing import Any

from graph import advisor, card_talk, offers
from graph.common import combine, platform_of, say
from graph.deps import Deps
from graph.state import TuningState

NAME = "answer"


def run(state: TuningState, deps: Deps) -> dict[str, Any]:
    question = state.get("side_reply") or ""
    # A wish to spend less ("too expensive") is answered with cheaper options before the card's cost.
    reply = offers.cheaper_reply(question, state) \
        or card_talk.cost_reply(question, dict(state), lambda: platform_of(state, deps)) \
        or offers.family_reply(question, state, platform_of(state, deps)) or advisor.answer_question(deps.llm, question)
    pending = state.get("pending") or {}
    job = state.get("job") or {}
    update: dict[str, Any] = {"side_reply": None}
    if pending.get("kind") == "question":
        # The open question stands; end the turn instead of re-running its step (which may
        # repeat a long listing, or start watching a job again).
        update["pending"] = {**pending, "awaiting": True}
    elif job.get("watch") and job.get("name") and not job.get("ended"):
        update["pending"] = {"kind": "question", "step": "monitor", "awaiting": True,
                             "question": "Ask for the status any time."}
    tail = "Back to where we were:" if pending.get("kind") == "approval" else \
        f"Back to where we were: {pending['question']}" if pending.get("question") else ""
    # A blank line first: after a list, a single line break would continue its last bullet.
    return combine(say(reply.rstrip() + (f"\n\n{tail}" if tail else "")), update)
