"""route: walk the decision tree over state and name the first unmet step (or END).

Called after intake and after every step. Because it re-walks from the top each time,
a turn started by a new message and a turn resumed from an interrupt behave the same.

It never runs a step twice in one turn without a question in between: the step wrapper
(graph/builder.py) records in `turn_steps` each step that finished without opening or
closing a question or card; a step already there is sent to `halt`, which says so and
asks, instead of running again.
"""

from __future__ import annotations

from graph.state import TuningState
from graph.steps import STEPS

ANSWER, HALT, END = "answer", "halt", "__end__"


def first_unmet(state: TuningState) -> str:
    """The step whose work comes next, ignoring the loop guard (a card that is open wins)."""
    pending = state.get("pending") or {}
    for step in STEPS:
        if pending.get("kind") == "approval" and pending.get("step") == step.NAME:
            return step.NAME  # its card is open (a done step may reopen: e.g. a new region after configuring)
        if step.done(state):
            continue
        if pending.get("kind") == "question" and pending.get("awaiting"):
            return END
        return step.NAME
    raise RuntimeError("route: every step reports done, which the tree does not allow")


def next_step(state: TuningState) -> str:
    """The node to run next: `answer` for a side question, a step, `halt`, or END."""
    if state.get("side_reply"):
        return ANSWER
    step = first_unmet(state)
    if step != END and step in (state.get("turn_steps") or []):
        return HALT
    return step
