"""What the graph's nodes need from outside that is not chosen per run.

`Deps` holds instances and defaults chosen once by whoever builds the graph (the CLI,
the tests, the server): platform instances, the LLM object and the factory that builds
one from a spec, poll intervals. Per-run choices (platform, LLM spec, project, region,
user) come from the runtime context (graph/context.py); `for_run` lays them over the
defaults, so nodes see one object and never read environment variables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from graph.context import RunContext
from tools.platforms.base import Platform


@dataclass
class Deps:
    """Platform, LLM and defaults for one compiled graph (and, through `for_run`, one run)."""

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
    platform_instances: dict[tuple[str, str | None, str | None], Platform] = field(default_factory=dict)
    llm_factory: Callable[[str], Any] | None = None
    """Builds an LLM from a spec a run's context names (None: a context's `llm` is ignored)."""
    user: str | None = None
    on_title: Callable[[str], None] | None = None
    """Told each new thread title, from inside the run (the server writes it into the thread's
    metadata, agent/thread_titles.py); None where the title in state is all there is (terminal, CLI)."""
    llms: dict[str, Any] = field(default_factory=dict)

    def for_run(self, context: RunContext | None) -> Deps:
        """These defaults with the run's choices laid over them (instances stay shared)."""
        if context is None:
            return self
        changes: dict[str, Any] = {}
        for key in ("project", "region", "user"):
            value = getattr(context, key)
            if value is not None:
                changes[key] = value
        if context.platform is not None:
            changes["platform_name"] = context.platform
        if context.llm is not None and self.llm_factory is not None:
            changes["llm"] = self._llm(context.llm)
        return replace(self, **changes) if changes else self

    def _llm(self, spec: str) -> Any:
        if spec not in self.llms:
            assert self.llm_factory is not None
            try:
                self.llms[spec] = self.llm_factory(spec)
            except Exception:  # a bad spec or missing provider: the deterministic path still works
                self.llms[spec] = None
        return self.llms[spec]

    def platform(self, name: str) -> Platform:
        """The platform instance for `name` (built once; heavy SDKs load here, not at import)."""
        key = (name, self.project, self.region)
        if key not in self.platform_instances:
            from tools.platforms import get_platform

            self.platform_instances[key] = get_platform(name, self.project, self.region)
        return self.platform_instances[key]
