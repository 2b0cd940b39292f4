"""Run configs that carry a creation time, the way the LangGraph server's runs do."""

from __future__ import annotations

import time
from typing import Any

from graph.approvals import REQUEST_START_KEY


def created_now() -> int:
    """A run creation time (ms since the epoch), as the server records it on each request."""
    return int(time.time() * 1000)


def created_at(config: dict[str, Any], ms: int) -> dict[str, Any]:
    """`config` for a run whose request arrived at `ms` (e.g. one queued behind another)."""
    return {**config, "configurable": {**config.get("configurable", {}), REQUEST_START_KEY: ms}}
