"""route: walk the decision tree over state and name the first unmet step (or END).

Called after intake and after every step. Because it re-walks from the top each time,
a turn started by a new message and a turn resumed from an interrupt behave the same.
"""

from __future__ import annotations

from typing import Literal

from graph.state import TuningState

Step = Literal["answer", "category", "project_region", "environment", "dataset_source", "columns", "split",
               "prepare", "upload", "configure", "preflight", "submit", "monitor", "deploy", "done", "__end__"]

#: The decision tree in order; each step is "done" by the predicate in `_done`.
STEPS: tuple[Step, ...] = ("category", "project_region", "environment", "dataset_source", "columns", "split",
                           "prepare", "upload", "configure", "preflight", "submit", "monitor", "deploy", "done")


def _done(step: str, s: TuningState) -> bool:
    ds, job, dep = s.get("dataset") or {}, s.get("job") or {}, s.get("deployment") or {}
    said = s.get("facts") or {}
    before_job = not job.get("name")
    checks = {
        "category": lambda: bool(s.get("category")) and not (
            before_job and said.get("category") and said["category"] != s.get("category")),
        "project_region": lambda: bool((s.get("project") or {}).get("confirmed")) and not (
            before_job and (said.get("region") or said.get("project")) and s.get("platform") != "local"),
        "environment": lambda: bool((s.get("environment") or {}).get("passed")),
        "dataset_source": lambda: bool(ds.get("inspected")) and not _new_dataset(s),
        "columns": lambda: bool(ds.get("mapping_confirmed")),
        "split": lambda: bool(ds.get("split_decided")),
        "prepare": lambda: bool(ds.get("prepared")),
        "upload": lambda: bool(ds.get("uploaded")),
        "configure": lambda: bool((s.get("hparams") or {}).get("approved")) and not said.get("config_changes"),
        "preflight": lambda: bool((s.get("preflight") or {}).get("ok")),
        "submit": lambda: bool(job.get("name")),
        "monitor": lambda: bool(job.get("ended")),
        "deploy": lambda: dep.get("wanted") is False or bool(dep.get("endpoint")),
        "done": lambda: False,
    }
    if step not in checks:
        raise ValueError(f"route: unknown step {step!r}")
    return checks[step]()


def _new_dataset(s: TuningState) -> bool:
    """A dataset named after one was chosen, before any job exists: the user changed their mind."""
    wanted = (s.get("facts") or {}).get("dataset")
    return bool(wanted) and wanted != (s.get("dataset") or {}).get("source") and not (s.get("job") or {}).get("name")


def next_step(state: TuningState) -> Step:
    """The step to run next, or END when the turn must wait for the human."""
    if state.get("side_reply"):
        return "answer"
    pending = state.get("pending") or {}
    for step in STEPS:
        if pending.get("kind") == "approval" and pending.get("step") == step:
            return step  # its card is open (a done step may reopen: e.g. a new region after configuring)
        if _done(step, state):
            continue
        if pending.get("kind") == "question" and pending.get("awaiting"):
            return "__end__"
        return step
    raise RuntimeError("route: every step reports done, which the tree does not allow")
