"""Wire the graph: intake, then the router, then one step at a time back to the router.

`build_graph(deps, checkpointer)` is the one builder. The CLI passes a SQLite
checkpointer, tests an in-memory one, and the LangGraph server none (it brings its own).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from langgraph.graph import START, StateGraph

from graph.approvals import ask
from graph.common import combine, say
from graph.deps import Deps
from graph.nodes import (
    answer,
    category,
    columns,
    configure,
    dataset_source,
    deploy,
    done,
    environment,
    intake,
    monitor,
    preflight,
    prepare,
    project_region,
    split,
    submit,
    upload,
)
from graph.router import STEPS, next_step
from graph.state import TuningState
from tools.errors import ToolError

STEP_MODULES = {
    "answer": answer, "category": category, "project_region": project_region, "environment": environment,
    "dataset_source": dataset_source, "columns": columns, "split": split, "prepare": prepare,
    "upload": upload, "configure": configure, "preflight": preflight, "submit": submit,
    "monitor": monitor, "deploy": deploy, "done": done,
}


def _bind(run: Callable[[TuningState, Deps], dict[str, Any]], deps: Deps, step: str) -> Any:
    """The node for `step`: its module's `run` with `deps`, behind the one error boundary.

    A `ToolError` (bad data, a refused cloud call) becomes a message that says what went
    wrong and what to do; the state is kept and the step asks again on the next message.
    """

    def node(state: TuningState) -> dict[str, Any]:
        try:
            return run(state, deps)
        except ToolError as err:
            return combine(say(f"**{step.replace('_', ' ').capitalize()} failed:** {err}",
                               "Nothing else was changed. Tell me how to proceed, or say **retry**."),
                           {"pending": None}, ask(step, "How should I proceed?"))

    node.__doc__ = run.__doc__
    return node


def build_graph(deps: Deps | None = None, checkpointer: Any = None) -> Any:
    """Compile the tuning graph with these dependencies and (optionally) a checkpointer."""
    deps = deps or Deps()
    builder = StateGraph(TuningState)
    builder.add_node("intake", _bind(intake.run, deps, "intake"))
    targets: list[str] = ["answer", *STEPS]
    for name in targets:
        builder.add_node(name, _bind(STEP_MODULES[name].run, deps, name))
    builder.add_edge(START, "intake")
    route_map: dict[Hashable, str] = {name: name for name in targets}
    route_map["__end__"] = "__end__"
    builder.add_conditional_edges("intake", next_step, route_map)
    for name in targets:
        builder.add_conditional_edges(name, next_step, route_map)
    return builder.compile(checkpointer=checkpointer, name="tuning-agent")
