"""preflight: every known rejection checked before money is spent; all problems at once."""

from __future__ import annotations

from typing import Any

from graph.approvals import ask
from graph.common import combine, platform_of, rec, say
from graph.deps import Deps
from graph.invalidate import invalidate
from graph.spec import job_spec
from graph.state import TuningState
from tools.errors import ToolError

NAME = "preflight"


def done(state: TuningState) -> bool:
    """The last preflight found nothing wrong."""
    return bool((state.get("preflight") or {}).get("ok"))


def run(state: TuningState, deps: Deps) -> dict[str, Any]:
    platform = platform_of(state, deps)
    ds = rec(state, "dataset")
    spec = job_spec(state, platform)
    report = ds.get("prepare_report") or {}
    try:
        problems = platform.preflight(spec, train_rows=report.get("rows_written_train"),
                                      val_rows=report.get("rows_written_val"))
        if not spec.output_uri:
            problems.append("No output location is set.")
    except ToolError as err:
        problems = [str(err)]
    if problems:
        storage = platform.storage
        gone = [uri for uri in (spec.train_uri, spec.validation_uri) if uri and storage.stat(uri) is None]
        if gone:  # the uploaded objects vanished: upload again instead of re-approving forever
            return combine({"preflight": {"ok": False, "problems": problems}}, invalidate("upload_lost"),
                           say(f"Preflight: the uploaded data is gone ({', '.join(gone)}). Let's upload it again."))
        return combine({"preflight": {"ok": False, "problems": problems}},
                       say("Preflight found problems — nothing was submitted:",
                           *[f"- {p}" for p in problems],
                           "Fix them (tell me what to change, e.g. a region, model or dataset), "
                           "then say **check again**."),
                       invalidate("preflight_failed"), ask("preflight", "What should I change?"))
    return combine({"preflight": {"ok": True, "problems": []}},
                   say("Preflight passed: data, model, region and limits all check out.", status=True))
