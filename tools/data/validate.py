"""Check a JSONL file against a target format line by line, and optionally write a cleaned copy.

Each line is read with a length cap (a longer line is reported and skipped in
chunks, never held whole), parsed with orjson, checked for shape, roles, role
order, empty or non-text content, length against the chosen model's limit
(characters × the catalog's tokens-per-character) and exact duplicates. The first
problems are kept with line, column and field; all of them are counted by kind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from tools.data.convert import check_target
from tools.data.formats import (
    BLANK_LINE,
    DUPLICATE,
    INVALID_JSON,
    LINE_TOO_LONG,
    TOO_LONG,
    check_record,
    fast_chars,
)
from tools.data.limits import length_limit
from tools.data.models import DropReport, Problem, ValidationReport
from tools.data.readers import Progress
from tools.data.sources import DEFAULT_MAX_LINE_BYTES, _inspect_file
from tools.errors import DataError

#: Remember this many line hashes for the duplicate check (bounds memory on huge files).
MAX_TRACKED_LINES = 5_000_000

LineResult = tuple[int, bytes, list[Problem]]


def _lines(path: Path, name: str, cap: int, progress: Progress | None) -> Iterator[tuple[int, bytes | None]]:
    """(line number, raw line) pairs; `None` for a line over the cap (skipped without reading it whole)."""
    total = path.stat().st_size
    done = 0
    next_report = 1 << 22
    with path.open("rb", buffering=1 << 20) as fh:
        readline = fh.readline
        line_no = 0
        first = True
        while True:
            raw = readline(cap + 1)
            if not raw:
                break
            line_no += 1
            done += len(raw)
            if first:
                first = False
                if raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]
            if len(raw) > cap and not raw.endswith(b"\n"):
                while True:  # skip the rest of this line in bounded chunks
                    chunk = readline(1 << 20)
                    done += len(chunk)
                    if not chunk or chunk.endswith(b"\n"):
                        break
                yield line_no, None
                continue
            if progress is not None and done >= next_report:
                progress(done, total)
                next_report = done + (1 << 22)
            yield line_no, raw
    if progress is not None:
        progress(done, total)


def scan(path: str | os.PathLike[str], target_format: str, *, model: str | None = None,
         max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
         progress: Progress | None = None) -> Iterator[LineResult]:
    """Yield (line number, raw line, problems) for every line of a JSONL file."""
    import orjson

    check_target(target_format)
    source = _inspect_file(Path(os.fspath(path)).expanduser(), os.fspath(path))
    assert source.path is not None
    limit = length_limit(model)
    max_chars = limit.max_chars() if limit else None
    loads = orjson.loads
    seen: dict[int, int] = {}
    for line_no, raw in _lines(source.path, source.name, max_line_bytes, progress):
        if raw is None:
            yield line_no, b"", [Problem(line=line_no, kind=LINE_TOO_LONG, message=(
                f"the line is longer than {max_line_bytes:,} bytes; it was skipped unread"))]
            continue
        stripped = raw.strip()
        if not stripped:
            yield line_no, raw, [Problem(line=line_no, kind=BLANK_LINE, message="blank line")]
            continue
        try:
            obj = loads(stripped)
        except orjson.JSONDecodeError as err:
            yield line_no, raw, [_json_problem(line_no, stripped, err)]
            continue
        chars = fast_chars(obj, target_format) if type(obj) is dict else None
        if chars is None:
            found, chars = check_record(obj, target_format)
            problems = [Problem(line=line_no, kind=k, message=m, field=f) for k, m, f in found]
        else:
            problems = []
        if max_chars is not None and limit is not None and chars > max_chars:
            problems.append(Problem(line=line_no, kind=TOO_LONG, message=(
                f"about {int(chars * limit.tokens_per_char):,} tokens ({chars:,} characters × "
                f"{limit.tokens_per_char} tokens/char), over {limit.model}'s limit of {limit.max_tokens:,}")))
        key = hash(stripped)
        earlier = seen.get(key)
        if earlier is not None:
            problems.append(Problem(line=line_no, kind=DUPLICATE,
                                    message=f"the same example as line {earlier}"))
        elif len(seen) < MAX_TRACKED_LINES:
            seen[key] = line_no
        yield line_no, raw, problems


def _json_problem(line_no: int, raw: bytes, err: object) -> Problem:
    msg = str(getattr(err, "msg", err))
    if "utf-8" in msg.lower():
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as uerr:
            return Problem(line=line_no, column=uerr.start + 1, kind=INVALID_JSON,
                           message=f"byte 0x{raw[uerr.start:uerr.start + 1].hex()} is not valid UTF-8")
    return Problem(line=line_no, column=getattr(err, "colno", None), kind=INVALID_JSON,
                   message=f"invalid JSON ({msg})")


def validate_jsonl(path: str | os.PathLike[str], target_format: str, *, model: str | None = None,
                   max_problems: int = 20, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
                   progress: Progress | None = None) -> ValidationReport:
    """Every problem counted by kind, the first `max_problems` in detail; `ok` when there are none."""
    problems: list[Problem] = []
    counts: dict[str, int] = {}
    rows = valid = 0
    for _, _, found in scan(path, target_format, model=model, max_line_bytes=max_line_bytes,
                            progress=progress):
        if not found or found[0].kind != BLANK_LINE:
            rows += 1
        if not found:
            valid += 1
            continue
        for problem in found:
            counts[problem.kind] = counts.get(problem.kind, 0) + 1
            if len(problems) < max_problems:
                problems.append(problem)
    size = Path(os.fspath(path)).expanduser().stat().st_size
    notes = [] if model else ["No model given: example lengths were not checked (pass --model)."]
    return ValidationReport(path=os.fspath(path), target_format=target_format, model=model,
                            ok=not counts, rows=rows, valid_rows=valid, bytes=size,
                            problems=problems, counts=counts, notes=notes)


def drop_invalid_rows(path: str | os.PathLike[str], target_format: str, out_path: str | os.PathLike[str],
                      model: str | None = None, *, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
                      progress: Progress | None = None) -> DropReport:
    """Write only the lines without problems to `out_path` (may equal `path`); count what was dropped."""
    out = Path(os.fspath(out_path)).expanduser()
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    dropped: dict[str, int] = {}
    rows_in = kept = size = 0
    try:
        with os.fdopen(fd, "wb", buffering=1 << 20) as fh:
            for _, raw, found in scan(path, target_format, model=model, max_line_bytes=max_line_bytes,
                                      progress=progress):
                if found and found[0].kind == BLANK_LINE:
                    dropped[BLANK_LINE] = dropped.get(BLANK_LINE, 0) + 1
                    continue
                rows_in += 1
                if found:
                    kind = found[0].kind
                    dropped[kind] = dropped.get(kind, 0) + 1
                    continue
                line = raw if raw.endswith(b"\n") else raw + b"\n"
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

