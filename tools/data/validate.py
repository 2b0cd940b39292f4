"""Check a JSONL file against a target format line by line, and optionally write a cleaned copy.

The file is read in blocks and split into lines (a line longer than the cap is
reported and skipped, never held whole). Each block first takes a fast path: one
msgspec call decodes and type-checks all its lines, and the roles, contents and
lengths are checked with a few C-level passes. A block with any doubt is re-checked
line by line, which names every problem with its line, column and field. Exact
duplicates are found from 64-bit hashes of the lines. All problems are counted by
kind; the first ones are kept in detail. Large files are validated in parallel
ranges, one per core (see `chunked.py`), with the same report as one pass.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from tools.data.chunked import MAX_TRACKED_LINES, PARALLEL_MIN_BYTES, check_file
from tools.data.convert import check_target
from tools.data.formats import BLANK_LINE, DUPLICATE, EMPTY, LINE_TOO_LONG
from tools.data.limits import length_limit
from tools.data.lines import BLOCK_BYTES, Batch, LineChecker, line_batches, line_key
from tools.data.models import DropReport, Problem, ValidationReport
from tools.data.readers import Progress
from tools.data.sources import DEFAULT_MAX_LINE_BYTES, _inspect_file
from tools.errors import DataError

__all__ = ["BLOCK_BYTES", "MAX_TRACKED_LINES", "Batch", "drop_invalid_rows", "line_batches", "scan",
           "validate_jsonl"]


class Seen:
    """The duplicate check in one pass: remembers the first line of the first MAX_TRACKED_LINES
    distinct lines."""

    def __init__(self) -> None:
        self.first: dict[int, int] = {}

    def add_new(self, start: int, lines: list[bytes]) -> bool:
        """Remember a block of lines and return True if none of them was seen before; else change nothing."""
        keys = list(map(line_key, lines))
        if len(set(keys)) != len(keys) or not self.first.keys().isdisjoint(keys):
            return False
        room = MAX_TRACKED_LINES - len(self.first)
        if room > 0:
            self.first.update(zip(keys[:room], range(start, start + min(room, len(keys))), strict=True))
        return True

    def check(self, line_no: int, raw: bytes) -> Problem | None:
        """A duplicate problem if `raw` was seen before, else remember it."""
        key = line_key(raw)
        earlier = self.first.get(key)
        if earlier is not None:
            return Problem(line=line_no, kind=DUPLICATE, message=f"the same example as line {earlier}")
        if len(self.first) < MAX_TRACKED_LINES:
            self.first[key] = line_no
        return None


def scan(path: str | os.PathLike[str], target_format: str, *, model: str | None = None,
         max_line_bytes: int = DEFAULT_MAX_LINE_BYTES, progress: Progress | None = None,
         ) -> Iterator[tuple[int, list[bytes | None], list[list[Problem]] | None]]:
    """Yield (first line number, lines, problems per line) per block; problems is None when all are valid."""
    check_target(target_format)
    source = _inspect_file(Path(os.fspath(path)).expanduser(), os.fspath(path))
    assert source.path is not None
    checker = LineChecker(target_format, length_limit(model), max_line_bytes)
    seen = Seen()
    for start, lines, blob in line_batches(source.path, max_line_bytes, progress):
        if checker.batch_ok(lines, blob) and seen.add_new(start, lines):  # type: ignore[arg-type]
            yield start, lines, None
            continue
        found: list[list[Problem]] = []
        for line_no, raw in enumerate(lines, start):
            problems, hashed = checker.line_problems(line_no, raw)
            if hashed and raw is not None:
                duplicate = seen.check(line_no, raw)
                if duplicate is not None:
                    problems.append(duplicate)
            found.append(problems)
        yield start, lines, found


def validate_jsonl(path: str | os.PathLike[str], target_format: str, *, model: str | None = None,
                   max_problems: int = 20, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
                   progress: Progress | None = None, workers: int | None = None,
                   parallel_min_bytes: int = PARALLEL_MIN_BYTES, quality: bool = False) -> ValidationReport:
    """Every problem counted by kind, the first `max_problems` in detail; `ok` when there are none.

    With `quality`, the same pass also builds the data quality report (`report.quality`).

    Files of `parallel_min_bytes` or more are checked in up to `workers` processes (default:
    one per available core); the report is the same either way.
    """
    check_target(target_format)
    source = _inspect_file(Path(os.fspath(path)).expanduser(), os.fspath(path))
    assert source.path is not None
    totals = check_file(source.path, target_format, length_limit(model), max_line_bytes, max_problems,
                        progress=progress, workers=workers, parallel_min_bytes=parallel_min_bytes,
                        quality=quality)
    size = Path(os.fspath(path)).expanduser().stat().st_size
    notes = [] if model else ["No model given: example lengths were not checked (pass --model)."]
    return ValidationReport(path=os.fspath(path), target_format=target_format, model=model,
                            ok=not totals.counts, rows=totals.rows, valid_rows=totals.valid, bytes=size,
                            problems=totals.problems, counts=totals.counts, notes=notes,
                            quality=totals.quality.report(empty_turns=totals.counts.get(EMPTY, 0))
                            if totals.quality is not None else None)


def drop_invalid_rows(path: str | os.PathLike[str], target_format: str, out_path: str | os.PathLike[str],
                      model: str | None = None, *, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
                      progress: Progress | None = None) -> DropReport:
    """Write only the lines without problems to `out_path` (may equal `path`); count what was dropped.

    Of exact duplicates the first is kept. Dropped rows are counted under their first problem.
    """
    out = Path(os.fspath(out_path)).expanduser()
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    dropped: dict[str, int] = {}
    rows_in = kept = size = 0
    try:
        with os.fdopen(fd, "wb", buffering=1 << 20) as fh:
            for _, lines, found in scan(path, target_format, model=model, max_line_bytes=max_line_bytes,
                                        progress=progress):
                problems = found or [[] for _ in lines]
                for raw, line_problems in zip(lines, problems, strict=True):
                    if line_problems and line_problems[0].kind == BLANK_LINE:
                        dropped[BLANK_LINE] = dropped.get(BLANK_LINE, 0) + 1
                        continue
                    rows_in += 1
                    if line_problems or raw is None:
                        kind = line_problems[0].kind if line_problems else LINE_TOO_LONG
                        dropped[kind] = dropped.get(kind, 0) + 1
                        continue
                    line = raw.rstrip(b"\r") + b"\n"
                    fh.write(line)
                    kept += 1
                    size += len(line)
        if kept == 0:
            raise DataError(f"{os.fspath(path)}: every row has a problem; nothing left to write",
                            "Run `tuning-agent data validate` to see them, or convert the source again.")
        os.replace(tmp, out)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return DropReport(source=os.fspath(path), out_path=str(out), rows_in=rows_in, rows_kept=kept,
                      bytes=size, dropped=dropped)
