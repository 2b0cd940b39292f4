"""The one step registry: the decision tree in order, one module per step.

Each module exports `NAME`, `done(state)` (is the step's work finished?) and
`run(state, deps)`. The builder adds one node per entry and the router walks this tuple
from the top, so a new step is one module and one line here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from graph.deps import Deps
from graph.nodes import (
    category,
    columns,
    configure,
    dataset_source,
    deploy,
    done,
    environment,
    monitor,
    preflight,
    prepare,
    project_region,
    split,
    submit,
    upload,
)
from graph.state import TuningState


class Step(Protocol):
    """What a step module provides."""

    NAME: str
    done: Callable[[TuningState], bool]
    run: Callable[[TuningState, Deps], dict[str, Any]]


#: The decision tree, in the order design.md's table gives it.
STEPS: tuple[Step, ...] = (category, project_region, environment, dataset_source, columns, split, prepare,  # type: ignore[assignment]
                           upload, configure, preflight, submit, monitor, deploy, done)
STEP_NAMES: tuple[str, ...] = tuple(step.NAME for step in STEPS)
