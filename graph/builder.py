"""Wire the graph: intake, then the router, then one step at a time back to the router.

`build_graph(deps, checkpointer)` is the one builder. The CLI passes a SQLite
checkpointer, tests an in-memory one, and the LangGraph server none (it brings its own).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from langgraph.graph import START, StateGraph

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

STEP_MODULES = {
    "answer": answer, "category": category, "project_region": project_region, "environment": environment,
    "dataset_source": dataset_source, "columns": columns, "split": split, "prepare": prepare,
    "upload": upload, "configure": configure, "preflight": preflight, "submit": submit,
    "monitor": monitor, "deploy": deploy, "done": done,
}


def _bind(run: Callable[[TuningState, Deps], dict[str, Any]], deps: Deps) -> Any:
    def node(state: TuningState) -> dict[str, Any]:
        return run(state, deps)

    node.__doc__ = run.__doc__
    return node


def build_graph(deps: Deps | None = None, checkpointer: Any = None) -> Any:
    """Compile the tuning graph with these dependencies and (optionally) a checkpointer."""
    deps = deps or Deps()
    builder = StateGraph(TuningState)
    builder.add_node("intake", _bind(intake.run, deps))
    targets: list[str] = ["answer", *STEPS]
    for name in targets:
        builder.add_node(name, _bind(STEP_MODULES[name].run, deps))
    builder.add_edge(START, "intake")
    route_map: dict[Hashable, str] = {name: name for name in targets}
    route_map["__end__"] = "__end__"
    builder.add_conditional_edges("intake", next_step, route_map)
    for name in targets:
        builder.add_conditional_edges(name, next_step, route_map)
    return builder.compile(checkpointer=checkpointer, name="tuning-agent")
