"""Driving one acting step (upload, submit, deploy, environment) directly, turn by turn.

A step proposes a card (`pending`) on one run and acts on the next run once the card is
answered. The answer here is the typed one (`facts["answer"]`, as intake stores a plain
"yes"/"no" for the open card), so no graph or interrupt is needed and each test sees
exactly what the step did to the platform between two turns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypedDict

RUN_ID = "ta-0123456789"


def answered(state: dict[str, Any], update: dict[str, Any], decision: str,
             message: str | None = None) -> dict[str, Any]:
    """The state after `update` opened a card and the person typed `decision` for it."""
    pending = update["pending"]
    assert pending and pending["kind"] == "approval", update
    reply = {"for": pending["action"], "card": pending["id"], "decision": decision, "message": message}
    return {**state, "pending": pending, "facts": {**(state.get("facts") or {}), "answer": reply}}


def said(update: dict[str, Any]) -> str:
    """Everything the step said in this update, as one text."""
    return "\n".join(str(m.content) for m in update.get("messages") or [])


def streamed(step: Callable[[], dict[str, Any]]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Run `step` as the one node of a graph; return its update and the progress events it streamed
    (what the terminal's bars and Studio show while a file uploads or a model deploys)."""
    from langgraph.graph import END, START, StateGraph

    class Box(TypedDict, total=False):
        out: dict[str, Any]

    graph = StateGraph(Box)
    graph.add_node("step", lambda _: {"out": step()})
    graph.add_edge(START, "step")
    graph.add_edge("step", END)
    events: list[dict[str, Any]] = []
    final: dict[str, Any] = {}
    for mode, chunk in graph.compile().stream({}, stream_mode=["custom", "values"]):
        if mode == "custom":
            events.append(chunk)
        else:
            final = chunk
    return final["out"], events
