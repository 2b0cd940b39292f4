"""`tuning-agent data inspect|convert|validate`: the dataset engine from the command line.

Exit codes: 0 success, 1 invalid data (or a file that cannot be read), 2 usage error.
`--json` prints exactly one JSON object on stdout (also for failures, with `ok: false`).
A progress bar appears on a terminal only (never when stderr is piped or with --json).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

from agent.commands.common import print_json

FORMATS = ("messages", "prompt_completion", "gemini")


def register(subparsers: Any) -> None:
    """Add `data` with its three subcommands."""
    data = subparsers.add_parser("data", help="inspect, convert and validate tuning datasets",
                                 description="Inspect, convert and validate tuning datasets.")
    sub = data.add_subparsers(dest="data_command", metavar="ACTION")
    data.set_defaults(handler=lambda args: _usage(data))

    inspect = sub.add_parser("inspect", help="columns, row count, samples and detected shape of a dataset")
    inspect.add_argument("src", help="file path, gs:// URI, or hf://OWNER/NAME?split=train")
    inspect.add_argument("--samples", type=int, default=3, help="sample rows to show (default 3)")
    inspect.add_argument("--json", action="store_true", help="print one JSON object")
    inspect.set_defaults(handler=_inspect)

    convert = sub.add_parser("convert", help="convert a dataset to a tuning format (and split it)")
    convert.add_argument("src", help="file path, gs:// URI, or hf://OWNER/NAME?split=train")
    convert.add_argument("--format", required=True, help="messages | prompt_completion | gemini")
    convert.add_argument("--prompt-col", help="column holding the prompt (plain columns only)")
    convert.add_argument("--completion-col", help="column holding the completion (plain columns only)")
    convert.add_argument("--system-col", help="column holding a system prompt (optional)")
    convert.add_argument("--validation-split", type=float, default=0.0,
                         help="fraction of rows for validation, e.g. 0.2 (default 0: none)")
    convert.add_argument("--seed", type=int, default=42, help="seed of the split (default 42)")
    convert.add_argument("--model", help="drop examples longer than this catalog model accepts")
    convert.add_argument("--out", required=True, help="output folder (train.jsonl, validation.jsonl)")
    convert.add_argument("--clean", metavar="ACTIONS",
                         help="comma-separated cleaning: dedupe, dedupe-prompts, strip-control, drop-long "
                              "(counts and examples of what changed are reported)")
    convert.add_argument("--json", action="store_true", help="print one JSON object")
    convert.set_defaults(handler=_convert)

    validate = sub.add_parser("validate", help="check a JSONL file line by line against a format")
    validate.add_argument("file", help="the JSONL file")
    validate.add_argument("--format", required=True, help="messages | prompt_completion | gemini")
    validate.add_argument("--model", help="check example lengths against this catalog model")
    validate.add_argument("--max-problems", type=int, default=20, help="problems to list (default 20)")
    validate.add_argument("--drop-bad-rows", metavar="OUT",
                          help="also write the rows without problems to OUT")
    validate.add_argument("--json", action="store_true", help="print one JSON object")
    validate.set_defaults(handler=_validate)

    from agent.commands.upload import register_upload

    register_upload(sub)


def _usage(parser: argparse.ArgumentParser) -> int:
    from agent.cli import UsageError

    raise UsageError("data needs an action: inspect, convert or validate (see `tuning-agent data --help`)")


def _check_format(value: str) -> str:
    from agent.cli import UsageError

    if value not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)} (got {value!r})")
    return value


@contextlib.contextmanager
def progress_bar(label: str, enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar on stderr when it is a terminal; otherwise no callback at all."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    with Progress(f"[bold]{label}", BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total or None)

        yield update


@contextlib.contextmanager
def _json_errors(as_json: bool) -> Iterator[None]:
    """With --json, a ToolError becomes `{"ok": false, "error": ..., "hint": ...}` (exit code 1)."""
    from tools.errors import ToolError

    try:
        yield
    except ToolError as err:
        if not as_json:
            raise
        print_json({"ok": False, "error": err.message, "hint": err.hint})
        raise _Exit(1) from None


class _Exit(Exception):
    """Carries an exit code out of `_json_errors` (control flow inside this module only)."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def _run(body: Callable[[], int], as_json: bool) -> int:
    try:
        with _json_errors(as_json):
            return body()
    except _Exit as done:
        return done.code


def _inspect(args: argparse.Namespace) -> int:
    def body() -> int:
        from tools.data import inspect_source, recommend_mapping

        with progress_bar("Reading", not args.json) as progress:
            found = inspect_source(args.src, sample_rows=max(0, args.samples), progress=progress)
        rec = recommend_mapping(found)
        if args.json:
            print_json({"ok": True, **found.model_dump(mode="json"), "recommendation": rec.model_dump()})
            return 0
        _print_inspection(found, rec)
        return 0

    return _run(body, args.json)


def _print_inspection(found: Any, rec: Any) -> None:
    count = f"{found.row_count:,}" if found.row_count is not None else "unknown"
    print(f"{found.source}: {found.kind}, {count} rows ({'exact' if found.row_count_exact else 'estimate'})")
    print(f"  {found.row_count_note}")
    if found.encoding_note:
        print(f"  Note: {found.encoding_note}")
    print(f"Shape: {found.shape}")
    print("Columns:")
    for col in found.columns:
        extra = f"  avg {col.avg_chars:.0f} chars" if col.avg_chars else ""
        print(f"  - {col.name} ({col.type}){extra}")
    for i, sample in enumerate(found.samples, start=1):
        print(f"Sample {i}: {sample}")
    if rec.needs_mapping and rec.prompt:
        print(f"Recommended mapping: prompt={rec.prompt}, completion={rec.completion}"
              + (f", system={rec.system}" if rec.system else ""))
        for role, reason in rec.reasons.items():
            print(f"  {role}: {reason}")
    else:
        print("Mapping: " + "; ".join(rec.reasons.values()))
    _print_quality(found.quality)


def _print_quality(report: Any) -> None:
    """The quality report as plain text (the chat shows the same report as markdown)."""
    if report is None:
        return
    if not report.findings:
        print(f"Quality: no problems found in {report.rows:,} rows.")
    else:
        print(f"Quality: {len(report.findings)} finding(s) in {report.rows:,} rows:")
        for f in report.findings:
            where = f" (lines {', '.join(map(str, f.lines))})" if f.lines else ""
            print(f"  [{f.severity}] {f.kind}: {f.message}{where}")
            for example in f.examples[:2]:
                print(f"      e.g. {example}")
            print(f"      fix: {f.fix}")
    if report.length_tokens:
        lt = report.length_tokens
        print(f"  length in tokens (estimated): min {lt['min']:,}, median {lt['p50']:,}, p90 {lt['p90']:,}, "
              f"p99 {lt['p99']:,}, max {lt['max']:,}")
    if report.script_mix:
        print("  scripts: " + ", ".join(f"{s} {v:.0%}" for s, v in report.script_mix.items())
              + f" ({report.tokens_per_char:.3f} tokens/char)")


def _print_cleaned(cleaned: Any) -> None:
    print(f"Cleaning ({', '.join(cleaned.actions)}): {cleaned.rows_before:,} rows before, "
          f"{cleaned.rows_after:,} written")
    for action in cleaned.actions:
        print(f"  {action}: {cleaned.changed.get(action, 0):,} rows")
        for example in cleaned.examples.get(action, []):
            print(f"      e.g. {example}")


def _convert(args: argparse.Namespace) -> int:
    from agent.cli import UsageError

    target = _check_format(args.format)
    if not 0.0 <= args.validation_split < 1.0:
        raise UsageError(f"--validation-split must be from 0 to below 1 (got {args.validation_split})")
    if bool(args.prompt_col) != bool(args.completion_col):
        raise UsageError("give both --prompt-col and --completion-col, or neither")
    if args.system_col and not args.prompt_col:
        raise UsageError("--system-col needs --prompt-col and --completion-col")

    def body() -> int:
        from tools.data import ColumnMapping, convert

        mapping = ColumnMapping(prompt=args.prompt_col, completion=args.completion_col,
                                system=args.system_col) if args.prompt_col else None
        with progress_bar("Converting", not args.json) as progress:
            report = convert(args.src, target, mapping, args.out, validation_split=args.validation_split,
                             seed=args.seed, model=args.model, progress=progress, clean=args.clean)
        if args.json:
            print_json({"ok": True, **report.model_dump(mode="json")})
            return 0
        print(f"Wrote {report.train_path}: {report.rows_written_train:,} rows, {report.bytes_train:,} bytes")
        if report.validation_path:
            print(f"Wrote {report.validation_path}: {report.rows_written_val:,} rows, "
                  f"{report.bytes_val:,} bytes")
        print(f"Read {report.rows_in:,} rows.")
        for reason, n in report.dropped.items():
            print(f"  dropped {n:,}: {reason}")
        for line in report.split_adjustments + report.notes:
            print(f"Note: {line}")
        if report.cleaned:
            _print_cleaned(report.cleaned)
        _print_quality(report.quality)
        return 0

    return _run(body, args.json)


def _validate(args: argparse.Namespace) -> int:
    target = _check_format(args.format)

    def body() -> int:
        from tools.data import drop_invalid_rows, validate_jsonl

        with progress_bar("Validating", not args.json) as progress:
            report = validate_jsonl(args.file, target, model=args.model,
                                    max_problems=max(0, args.max_problems), progress=progress, quality=True)
        cleaned = None
        if args.drop_bad_rows and not report.ok:
            cleaned = drop_invalid_rows(args.file, target, args.drop_bad_rows, model=args.model)
        if args.json:
            print_json({**report.model_dump(mode="json"),
                        "cleaned": cleaned.model_dump(mode="json") if cleaned else None})
            return 0 if report.ok else 1
        verdict = "valid" if report.ok else "INVALID"
        print(f"{report.path}: {verdict} {target} — {report.rows:,} rows, "
              f"{report.valid_rows:,} without problems")
        for p in report.problems:
            where = f"line {p.line}" + (f", column {p.column}" if p.column else "")
            # (a message that starts with its kind, "invalid JSON (…)", is not prefixed twice)
            print(f"  {where}: {p.message}" if p.message.startswith(p.kind) else f"  {where}: {p.kind}: {p.message}")
        shown = len(report.problems)
        total = sum(report.counts.values())
        if total > shown:
            print(f"  … and {total - shown:,} more problems")
        if report.counts:
            print("Counts: " + ", ".join(f"{k}: {v:,}" for k, v in report.counts.items()))
        for note in report.notes:
            print(f"Note: {note}")
        if cleaned:
            print(f"Wrote {cleaned.out_path}: kept {cleaned.rows_kept:,} of {cleaned.rows_in:,} rows")
        _print_quality(report.quality)
        return 0 if report.ok else 1

    return _run(body, args.json)
