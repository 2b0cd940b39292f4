"""The thread's title, kept in state as soon as its purpose or dataset is known.

Agent Chat UI, Studio and `tuning-agent threads` list many threads; each needs a name that
says what it is about ("Answer support questions · support.csv", `tools.titles`). The builder
runs `with_title` after every step, so the title follows the purpose (said in the first
message, or a new one later) and the dataset (once chosen) without waiting for anything else,
and tells the host through `Deps.on_title` (the server writes it into the thread's metadata).
"""

from __future__ import annotations

from typing import Any, Literal

from graph.deps import Deps
from graph.state import TuningState, merge
from tools.titles import conversation_title


def with_title(state: TuningState, update: dict[str, Any], deps: Deps) -> dict[str, Any]:
    """`update` plus the thread's new `title` when the purpose or dataset it brings changes it."""
    known = _merged(state, update, "facts")
    purpose, source = known.get("purpose"), _merged(state, update, "dataset").get("source")
    if not purpose and not source:
        return update
    title = conversation_title(purpose, source)
    if title == state.get("title"):
        return update
    if deps.on_title is not None:
        deps.on_title(title)
    return {**update, "title": title}


def _merged(state: TuningState, update: dict[str, Any], key: Literal["facts", "dataset"]) -> dict[str, Any]:
    """Record `key` as it will be once `update` is applied (the state's `merge` reducer)."""
    old: dict[str, Any] = {**(state.get(key) or {})}
    return (merge(old, update[key]) or {}) if key in update else old
