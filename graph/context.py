"""Per-run choices, the graph's input schema, and the checks on ids that name places.

The graph's input is `messages` only (`InputState`): a client of the server cannot write
`pending`, `facts`, `dataset` or `run_id`; every other key is written by nodes. What a
person chooses per run — platform, LLM spec, project, region, and the user whose
workspace it is — travels in LangGraph's runtime context (`RunContext`, the graph's
`context_schema`), so the CLI, Studio assistants and the server set them the same way:
`graph.invoke(input, config, context={"platform": "local"})`, or an assistant's `context`.

Ids are checked where they are used, not only on a card: a project id or region that
fails is refused with a clear message before anything is written or any host is built.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Annotated, Any, TypedDict

from langchain_core.messages import AnyMessage, HumanMessage, convert_to_messages
from langgraph.graph.message import add_messages

from tools.ids import check_project_id

#: The run ids intake writes (`ta-` and ten hex digits): safe in file paths, labels and names.
RUN_ID_RE = re.compile(r"^ta-[0-9a-f]{10}$")
PLATFORMS = ("auto", "vertex", "local")
#: Comma-separated project ids this deployment may work in (unset: any project the identity can use).
PROJECTS_ENV = "TUNING_AGENT_PROJECTS"


def add_transcript(left: Any, right: Any) -> list[AnyMessage]:
    """`add_messages`, except that a person's message never replaces one of the agent's.

    A message with the id of an earlier one replaces it (the progress message is rewritten
    in place that way), so a client that sent a human message with the id of a card's
    message would rewrite the agent's words in the transcript. Such a message is appended
    under a new id instead.
    """
    incoming = convert_to_messages(right if isinstance(right, list) else [right])
    earlier = left if isinstance(left, list) else [left] if left else []
    theirs = {m.id for m in convert_to_messages(earlier)
              if m.id and not isinstance(m, HumanMessage)}
    safe = [m.model_copy(update={"id": None}) if isinstance(m, HumanMessage) and m.id in theirs else m
            for m in incoming]
    return add_messages(earlier, safe)  # type: ignore[arg-type,return-value]


class InputState(TypedDict):
    """What a run may carry in: new messages, and nothing else."""

    messages: Annotated[list[AnyMessage], add_transcript]


def check_project(project: str) -> str:
    """`project` when it is a valid project id this deployment may use; ValueError saying why not.

    On a shared server every user acts with the server's Google identity; the operator lists
    the projects people may name (in a run's context or at the project card) in `TUNING_AGENT_PROJECTS`.
    """
    project = check_project_id(project)
    allowed = [p.strip() for p in os.environ.get(PROJECTS_ENV, "").split(",") if p.strip()]
    if allowed and project not in allowed:
        raise ValueError(f"{project!r} is not one of the projects this deployment works in: {', '.join(allowed)}.")
    return project


def check_region(region: str) -> str:
    """`region` when the catalog lists it for some tuning category; ValueError with the list otherwise.

    Regions become part of API hosts (`REGION-aiplatform.googleapis.com`): never build one
    from a string that was not checked here first.
    """
    from knowledge import valid_regions

    known = sorted(set(valid_regions("open")) | set(valid_regions("gemini")))
    if region not in known:
        raise ValueError(f"{region!r} is not a tuning region. Valid regions: {', '.join(known)}.")
    return region


def check_run_id(run_id: object) -> str:
    """The run id when it has the shape intake writes; ValueError otherwise (it names folders)."""
    if not isinstance(run_id, str) or not RUN_ID_RE.match(run_id):
        raise ValueError(f"{run_id!r} is not a run id this agent wrote.")
    return run_id


@dataclass(frozen=True)
class RunContext:
    """Per-run choices (LangGraph runtime context); None means "the graph's default".

    Validated when built, so a bad value fails the run before any node runs.
    """

    platform: str | None = None
    """`auto`, `vertex` or `local`; fixed into state at a thread's first turn."""
    llm: str | None = None
    """An LLM spec (`none`, `auto`, or an `init_chat_model` spec); built by the graph's LLM factory."""
    project: str | None = None
    region: str | None = None
    user: str | None = None
    """The server user whose workspace this run works in (None: the terminal's single user)."""

    def __post_init__(self) -> None:
        if self.platform is not None and self.platform not in PLATFORMS:
            raise ValueError(f"platform {self.platform!r} is not one of {', '.join(PLATFORMS)}.")
        if self.project is not None:
            check_project(self.project)
        if self.region is not None:
            check_region(self.region)
