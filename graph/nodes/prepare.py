"""prepare: write the training (and validation) JSONL in the category's exact format, show the
data quality report, then validate it as the service would.

Nothing changes the user's rows silently: when the quality report suggests cleaning (duplicates,
terminal escapes, conflicting answers, over-long rows) one card lists the actions with counts and
examples, and cleaning re-runs the conversion and shows what changed. Line-level problems the
validator finds come with a choice to drop those rows.

Writing files under $TUNING_AGENT_HOME/runs/<run_id>/ changes nothing outside this
machine, so it needs no approval; the user already confirmed mapping and split.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, field_validator

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


CLEAN_ACTION = "clean_dataset"
#: What each cleaning action does, in words for the card.
CLEAN_WORDS = {"dedupe": "drop rows that repeat an earlier row exactly",
               "dedupe-prompts": "keep one answer per prompt (the first)",
               "strip-control": "remove terminal escape codes, NUL and other invisible characters",
               "drop-long": "drop rows longer than the model accepts"}


class DropArgs(BaseModel):
    drop_rows: int


class CleanArgs(BaseModel):
    actions: list[str]

    @field_validator("actions")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = [a for a in value if a not in CLEAN_WORDS]
        if unknown:
            raise ValueError(f"unknown cleaning action(s) {', '.join(unknown)}; choose from {', '.join(CLEAN_WORDS)}")
        return value


def target_format(category: str | None) -> str:
    """The JSONL shape a category's tuning service expects."""
    return "gemini" if category == "gemini" else "messages"


def _problems_text(report: Any, name: str) -> str:
    rows = [[p.line, p.field or "", p.message] for p in report.problems[:8]]
    counts = ", ".join(f"{k}: {v}" for k, v in report.counts.items())
    return f"**{name}** has problems ({counts}):\n\n" + md_table(["line", "field", "problem"], rows, max_cell=200)


def _write(state: TuningState, deps: Deps, clean: list[str] | None = None) -> tuple[Any, dict[str, str | None]]:
    """Convert the source (and a separate validation file) into the run's data folder.

    Exact duplicates are kept here unless `clean` says `dedupe`: every change to the user's
    rows beyond what cannot be trained at all goes through the cleaning card.
    """
    from graph.common import platform_of
    from tools.data import convert

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
                       progress=on_progress, storage_download=download, drop_duplicates=False, clean=clean,
                       skip_bad_rows=bool(ds.get("skip_bad_rows")))
    val_path = report.validation_path
    if ds.get("validation_source"):
        validation_source, refused = user_local_source(str(ds["validation_source"]))  # server: user's root only
        if refused:
            raise ToolError(refused, "Name a validation file in your upload folder.")
        val_report = run_heavy(user, convert, validation_source, fmt, plain, out_dir / "validation_only",
                               model=model, storage_download=download, drop_duplicates=False, clean=clean)
        val_path = val_report.train_path
    return report, {"train": str(report.train_path), "validation": str(val_path) if val_path else None}


def _summary(report: Any, files: dict[str, str | None], fmt: str) -> list[str]:
    info = report.model_dump(mode="json")
    dropped = ", ".join(f"{n} {reason}" for reason, n in (info.get("dropped") or {}).items() if n)
    summary = [f"Wrote **{info.get('rows_written_train'):,}** training rows to `{files['train']}`"
               + (f" and **{info.get('rows_written_val'):,}** validation rows to `{files['validation']}`"
                  if files["validation"] else "") + f" ({fmt} format)."]
    if dropped:
        summary.append(f"Left out: {dropped} (see the quality report).")
    summary += [f"Split adjusted: {a}" for a in info.get("split_adjustments") or []]
    return summary


def _files_update(report: Any, files: dict[str, str | None]) -> dict[str, Any]:
    info = report.model_dump(mode="json")
    kept = {k: info.get(k) for k in ("rows_in", "rows_written_train", "rows_written_val", "dropped",
                                     "split_adjustments", "quality", "cleaned")}
    return {"dataset": {"train_path": files["train"], "validation_path": files["validation"],
                        "prepare_report": kept, "rows_train": info.get("rows_written_train")}}


def _clean_card(quality: Any, actions: list[str], proposed: list[str]) -> dict[str, Any]:
    """One card for every suggested cleaning action, each with the rows it touches and examples."""
    from tools.data.quality import CLEANING_FOR, DROPPING

    lines = ["The quality report found problems that cleaning fixes:", ""]
    for action in actions:
        findings = [f for f in quality.findings if CLEANING_FOR.get(f.kind) == action]
        count = sum(f.count for f in findings)
        left = f" (leaves {quality.rows - count:,} of {quality.rows:,})" if action in DROPPING else ""
        lines.append(f"- `{action}` ({CLEAN_WORDS[action]}): **{count:,}** rows{left}")
        for f in findings:
            lines += [f"  - e.g. `{ex.replace('`', '´')}`" for ex in f.examples[:2]]
    lines += ["", "Approve to rewrite the files with these fixes (I show what changed), edit `actions` to "
              "choose some of them, or reject to keep the rows as they are."]
    return propose("prepare", CLEAN_ACTION, {"actions": proposed}, "\n".join(lines))


def _validate(state: TuningState, files: dict[str, str | None], update: dict[str, Any],
              summary: list[str], keep_duplicates: bool = False) -> dict[str, Any]:
    """Check the written files as the service would; problems open the drop-rows card.

    `keep_duplicates`: the user declined dropping exact duplicates at the cleaning card, so the
    validator's duplicate findings are not asked about again (the service accepts them).
    """
    from tools.data import validate_jsonl
    from tools.data.formats import DUPLICATE

    fmt, model = target_format(state.get("category")), rec(state, "model").get("base_model")
    problems: dict[str, Any] = {}
    for name, path in files.items():
        if path:
            checked = run_heavy(server_user(), validate_jsonl, path, fmt, model=model)
            if checked.ok or (keep_duplicates and set(checked.counts) <= {DUPLICATE}):
                continue
            problems[name] = checked
    if problems:
        text = "\n\n".join(_problems_text(r, n) for n, r in problems.items())
        bad = sum(sum(r.counts.values()) for r in problems.values())
        return combine(update, say(*summary), propose(
            "prepare", ACTION, {"drop_rows": bad},
            f"{text}\n\nDrop the {bad} problem rows and continue? Reject to fix the data yourself."))
    return combine(update, {"dataset": {"prepared": True}}, say(*summary, "The files pass validation."))


def _convert(state: TuningState, deps: Deps) -> dict[str, Any]:
    from tools.data.quality import quality_report_markdown, suggested_cleaning

    report, files = _write(state, deps)
    summary = _summary(report, files, target_format(state.get("category")))
    update = _files_update(report, files)
    if report.quality is not None:
        summary.append(quality_report_markdown(report.quality))
        actions = suggested_cleaning(report.quality)
        if actions:
            ds = rec(state, "dataset")
            offer = _offer(ds, report.quality, actions)
            choice = ds.get("clean_choice") or {}
            if choice.get("offer") == offer and not ds.get("clean_reopen"):
                # Decided already for this data and these findings: the same choice, not the card again.
                return _cleaned(state, deps, list(choice.get("actions") or []), combine(update, say(*summary)),
                                files)
            shown = [a for a in choice.get("actions") or [] if a in actions] if choice.get("offer") == offer else []
            return combine(update, {"dataset": {"clean_offer": offer, "clean_reopen": False}}, say(*summary),
                           _clean_card(report.quality, actions, shown or actions))
    return _validate(state, files, update, summary)


def _offer(ds: Any, quality: Any, actions: list[str]) -> str:
    """What a cleaning decision is about: the source, the mapping and the rows each action touches."""
    from tools.data.quality import CLEANING_FOR

    touched = {a: sum(f.count for f in quality.findings if CLEANING_FOR.get(f.kind) == a) for a in actions}
    return json.dumps([ds.get("source"), ds.get("mapping"), quality.rows, touched], sort_keys=True, default=str)


def _cleaned(state: TuningState, deps: Deps, actions: list[str], updates: dict[str, Any],
             files: dict[str, str | None]) -> dict[str, Any]:
    """The files written with `actions` (none: kept as they are) and validated."""
    from tools.data.clean import clean_report_markdown

    if not actions:
        return _validate(state, files, updates, ["Kept the rows as they are (nothing cleaned)."],
                         keep_duplicates=True)
    report, files = _write(state, deps, clean=actions)
    summary = _summary(report, files, target_format(state.get("category")))
    if report.cleaned is not None:
        summary.append(clean_report_markdown(report.cleaned))
    return _validate(state, files, combine(updates, _files_update(report, files)), summary,
                     keep_duplicates="dedupe" not in actions)


def _decide_cleaning(state: TuningState, deps: Deps) -> dict[str, Any]:
    outcome = await_decision(state, CleanArgs)
    ds = rec(state, "dataset")
    files = {"train": ds.get("train_path"), "validation": ds.get("validation_path")}
    actions = list(outcome.args.get("actions") or []) if outcome.approved else []
    kept = {"dataset": {"clean_choice": {"offer": ds.get("clean_offer"), "actions": actions}}}
    return _cleaned(state, deps, actions, combine(outcome.updates, kept), files)


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
        if pending.get("action") == CLEAN_ACTION:
            return _decide_cleaning(state, deps)
        return _convert(state, deps)
    except ToolError as err:
        return combine(invalidate("dataset"),
                       say(f"I could not prepare the data: {err}\n\nGive me a corrected dataset."))
