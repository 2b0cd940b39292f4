"""Small helpers every step uses: say something, report progress, read the platform."""

from __future__ import annotations

import contextlib
from typing import Any, Literal, overload

from langchain_core.messages import AIMessage

from graph.deps import Deps
from graph.markdown import separate_lines
from graph.server_user import server_user
from graph.state import (
    CostRecord,
    DatasetRecord,
    DeploymentRecord,
    EnvironmentRecord,
    Facts,
    HparamsRecord,
    JobRecord,
    ModelRecord,
    PreflightRecord,
    ProjectRecord,
    StorageRecord,
    TuningState,
)
from tools.platforms.base import Platform
from tools.safe_text import strip_controls
from tools.workspace import display_paths


def say(*lines: str, status: bool = False) -> dict[str, Any]:
    """A state update appending one assistant message (status lines are tagged for UIs)."""
    text = strip_controls("\n".join(line for line in lines if line))  # no escape sequences reach a terminal or UI
    text = separate_lines(text)  # each line stays a line in Markdown frontends
    text = display_paths(text, server_user())  # a server user sees `files/x.csv`, not the server's paths
    kwargs = {"status": True} if status else {}
    return {"messages": [AIMessage(content=text, additional_kwargs=kwargs)]}


def combine(*updates: dict[str, Any]) -> dict[str, Any]:
    """Merge several state updates (messages and approvals are concatenated)."""
    out: dict[str, Any] = {}
    for update in updates:
        for key, value in update.items():
            if key in {"messages", "approvals"}:
                out[key] = [*out.get(key, []), *value]
            elif isinstance(value, dict) and isinstance(out.get(key), dict):
                out[key] = {**out[key], **value}
            else:
                out[key] = value
    return out


def progress(node: str, **data: Any) -> None:
    """Emit a progress event on the custom stream (terminal bars, Studio); no-op elsewhere."""
    with contextlib.suppress(Exception):
        from langgraph.config import get_stream_writer

        get_stream_writer()({"node": node, **data})


def platform_of(state: TuningState, deps: Deps) -> Platform:
    """The platform this thread runs on (fixed at its first turn)."""
    return deps.platform(state.get("platform") or "local")


def run_id(state: TuningState) -> str:
    """This thread's run id, checked: it names folders, labels and endpoints."""
    from graph.context import check_run_id

    try:
        return check_run_id(state.get("run_id"))
    except ValueError as err:
        from tools.errors import ToolError

        raise ToolError(str(err), "Start a new conversation; this thread's state is not one I wrote.") from err


@overload
def rec(state: TuningState, key: Literal["facts"]) -> Facts: ...
@overload
def rec(state: TuningState, key: Literal["project"]) -> ProjectRecord: ...
@overload
def rec(state: TuningState, key: Literal["environment"]) -> EnvironmentRecord: ...
@overload
def rec(state: TuningState, key: Literal["dataset"]) -> DatasetRecord: ...
@overload
def rec(state: TuningState, key: Literal["model"]) -> ModelRecord: ...
@overload
def rec(state: TuningState, key: Literal["hparams"]) -> HparamsRecord: ...
@overload
def rec(state: TuningState, key: Literal["cost"]) -> CostRecord: ...
@overload
def rec(state: TuningState, key: Literal["storage"]) -> StorageRecord: ...
@overload
def rec(state: TuningState, key: Literal["preflight"]) -> PreflightRecord: ...
@overload
def rec(state: TuningState, key: Literal["job"]) -> JobRecord: ...
@overload
def rec(state: TuningState, key: Literal["deployment"]) -> DeploymentRecord: ...
def rec(state: TuningState, key: str) -> Any:
    """A copy of a state record, typed (mypy checks its keys), or an empty one before its step ran."""
    value = dict(state).get(key)
    return dict(value) if isinstance(value, dict) else {}


def facts(state: TuningState) -> Facts:
    return rec(state, "facts")


def md_table(headers: list[str], rows: list[list[Any]], max_cell: int = 60) -> str:
    """A small markdown table (values shortened to `max_cell` characters, pipes escaped)."""
    def cell(value: Any) -> str:
        text = "" if value is None else str(value)
        text = text.replace("\n", " ").replace("|", "\\|")
        return text if len(text) <= max_cell else text[:max_cell - 1] + "…"

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
