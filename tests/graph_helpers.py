"""Drive the compiled graph like a client would: messages in, interrupts answered."""

from __future__ import annotations

import uuid
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from graph.builder import build_graph
from graph.deps import Deps


class Session:
    """One conversation thread against a freshly built graph."""

    def __init__(self, deps: Deps | None = None, checkpointer: Any = None, thread_id: str | None = None) -> None:
        self.deps = deps or Deps(platform_name="local", poll_s=0.2)
        self.graph = build_graph(self.deps, checkpointer=checkpointer or InMemorySaver())
        self.config = {"configurable": {"thread_id": thread_id or uuid.uuid4().hex}, "recursion_limit": 100}
        self.replies: list[str] = []

    def _run(self, value: Any) -> dict[str, Any] | None:
        before = len(self.state.get("messages", [])) if self.started else 0
        self.graph.invoke(value, self.config)
        messages = self.state.get("messages", [])
        self.replies = [m.content for m in messages[before:] if isinstance(m, AIMessage)]
        return self.interrupt

    @property
    def started(self) -> bool:
        return bool(self.graph.get_state(self.config).values)

    @property
    def state(self) -> dict[str, Any]:
        return dict(self.graph.get_state(self.config).values)

    @property
    def interrupt(self) -> dict[str, Any] | None:
        snapshot = self.graph.get_state(self.config)
        interrupts = [i for task in snapshot.tasks for i in task.interrupts]
        return interrupts[0].value if interrupts else None

    @property
    def action(self) -> str | None:
        payload = self.interrupt
        return payload["action_requests"][0]["name"] if payload else None

    def say(self, text: str) -> dict[str, Any] | None:
        return self._run({"messages": [HumanMessage(content=text, id=uuid.uuid4().hex)]})

    def approve(self) -> dict[str, Any] | None:
        return self._run(Command(resume={"decisions": [{"type": "approve"}]}))

    def edit(self, **args: Any) -> dict[str, Any] | None:
        name = self.action
        return self._run(Command(resume={"decisions": [{"type": "edit",
                                                        "edited_action": {"name": name, "args": args}}]}))

    def reject(self, message: str = "") -> dict[str, Any] | None:
        return self._run(Command(resume={"decisions": [{"type": "reject", "message": message}]}))

    def text(self) -> str:
        return "\n".join(self.replies)

    def approve_until(self, action: str, limit: int = 20) -> None:
        """Approve every card until the one named `action` is open."""
        for _ in range(limit):
            if self.action == action:
                return
            assert self.action is not None, f"no card open; last replies: {self.text()}"
            self.approve()
        raise AssertionError(f"{action} never came")
