"""prepare: write the training (and validation) JSONL in the category's exact format, then
validate it as the service would. Line-level problems come with a choice to drop bad rows.

Writing files under $TUNING_AGENT_HOME/runs/<run_id>/ changes nothing outside this
machine, so it needs no approval; the user already confirmed mapping and split.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from graph.approvals import await_decision, propose
from graph.common import combine, md_table, progress, rec, run_id, say
from graph.deps import Deps
from graph.invalidate import invalidate
from graph.server_user import server_user, user_local_source
from graph.state import TuningState
from tools.errors import ToolError
from tools.workers import run_heavy
from tools.workspace import data_home

NAME = "prepare"

ACTION = "drop_invalid_rows"


class DropArgs(BaseModel):
    drop_rows: int


def target_format(category: str | None) -> str:
    """The JSONL shape a category's tuning service expects."""
    return "gemini" if category == "gemini" else "messages"


def _problems_text(report: Any, name: str) -> str:
    rows = [[p.line, p.field or "", p.message] for p in report.problems[:8]]
    counts = ", ".join(f"{k}: {v}" for k, v in report.counts.items())
    return f"**{name}** has problems ({counts}):\n\n" + md_table(["line", "field", "problem"], rows, max_cell=200)


def _convert(state: TuningState, deps: Deps) -> dict[str, Any]:
    from graph.common import platform_of
    from tools.data import convert, validate_jsonl

    ds, fmt = rec(state, "dataset"), target_format(state.get("category"))
    out_dir = data_home(server_user()) / "runs" / run_id(state) / "data"  # server: the user's folder
    model = rec(state, "model").get("base_model")
    download = platform_of(state, deps).storage.download
    mapping = ds.get("mapping") or {}
    plain = {"prompt": mapping["prompt_column"], "completion": mapping["completion_column"],
             "system": mapping.get("system_column")} if mapping.get("prompt_column") else None

    def on_progress(done: int, total: int) -> None:
        progress("prepare", done=done, total=total, unit="bytes")

    user = server_user()  # server: heavy work runs in the worker pool, under this user's quota
    report = run_heavy(user, convert, ds["source"], fmt, plain, out_dir,
                       validation_split=float(ds.get("validation_split") or 0), seed=42, model=model,
                       progress=on_progress, storage_download=download)
    val_path = report.validation_path
    if ds.get("validation_source"):
        validation_source, refused = user_local_source(str(ds["validation_source"]))  # server: user's root only
        if refused:
            raise ToolError(refused, "Name a validation file in your upload folder.")
        val_report = run_heavy(user, convert, validation_source, fmt, plain, out_dir / "validation_only",
                               model=model, storage_download=download)
        val_path = val_report.train_path
    files = {"train": str(report.train_path), "validation": str(val_path) if val_path else None}
    problems = {}
    for name, path in files.items():
        if path:
            checked = run_heavy(user, validate_jsonl, path, fmt, model=model)
            if not checked.ok:
                problems[name] = checked
    info = report.model_dump(mode="json")
    dropped = ", ".join(f"{n} {reason}" for reason, n in (info.get("dropped") or {}).items() if n)
    summary = [f"Wrote **{info.get('rows_written_train'):,}** training rows to `{files['train']}`"
               + (f" and **{info.get('rows_written_val'):,}** validation rows to `{files['validation']}`"
                  if files["validation"] else "") + f" ({fmt} format)."]
    if dropped:
        summary.append(f"Dropped rows: {dropped}.")
    summary += [f"Split adjusted: {a}" for a in info.get("split_adjustments") or []]
    update = {"dataset": {"train_path": files["train"], "validation_path": files["validation"],
                          "prepare_report": {k: info.get(k) for k in ("rows_in", "rows_written_train",
                                                                     "rows_written_val", "dropped",
                                                                     "split_adjustments")},
                          "rows_train": info.get("rows_written_train")}}
    if problems:
        text = "\n\n".join(_problems_text(r, n) for n, r in problems.items())
        bad = sum(sum(r.counts.values()) for r in problems.values())
        return combine(update, say(*summary), propose(
            "prepare", ACTION, {"drop_rows": bad},
            f"{text}\n\nDrop the {bad} problem rows and continue? Reject to fix the data yourself."))
    return combine(update, {"dataset": {"prepared": True}}, say(*summary, "The files pass validation."))


def done(state: TuningState) -> bool:
    """Training (and validation) files written and valid."""
    return bool((state.get("dataset") or {}).get("prepared"))


def run(state: TuningState, deps: Deps) -> dict[str, Any]:
    pending = state.get("pending") or {}
    if pending.get("action") == ACTION:
        outcome = await_decision(state, DropArgs)
        if not outcome.approved:
            return combine(outcome.updates, invalidate("dataset"),
                           say("Fix the rows listed above and give me the dataset again."))
        from tools.data import drop_invalid_rows

        ds, fmt = rec(state, "dataset"), target_format(state.get("category"))
        model = rec(state, "model").get("base_model")
        for path in (ds.get("train_path"), ds.get("validation_path")):
            if path:
                drop_invalid_rows(path, fmt, path, model=model)
        return combine(outcome.updates, {"dataset": {"prepared": True}},
                       say("Dropped the problem rows; the files now pass validation."))
    try:
        return _convert(state, deps)
    except ToolError as err:
        return combine(invalidate("dataset"),
                       say(f"I could not prepare the data: {err}\n\nGive me a corrected dataset."))
