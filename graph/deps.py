"""What the graph's nodes need from outside, chosen once by whoever builds the graph.

The CLI, the tests and the server each build a `Deps` (platform, LLM, defaults) and pass
it to `build_graph`; nodes never read environment variables for per-run choices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tools.platforms.base import Platform


@dataclass
class Deps:
    """Platform, LLM and defaults for one compiled graph."""

    platform_name: str = "auto"
    """`auto`, `vertex` or `local`; `auto` resolves once per thread (see `resolve_platform_name`)."""
    llm: Any = None
    """A LangChain chat model, or None for the deterministic mode."""
    project: str | None = None
    region: str | None = None
    today: date | None = None
    """Fixed date for lifecycle checks (tests); None means the real date."""
    poll_s: float = 5.0
    watch_timeout_s: float = 1800.0
    platform_instances: dict[str, Platform] = field(default_factory=dict)

    def platform(self, name: str) -> Platform:
        """The platform instance for `name` (built once; heavy SDKs load here, not at import)."""
        if name not in self.platform_instances:
            from tools.platforms import get_platform

            self.platform_instances[name] = get_platform(name, self.project, self.region)
        return self.platform_instances[name]
