"""Check a JSONL file against a target format line by line, and optionally write a cleaned copy.

The file is read in blocks and split into lines (a line longer than the cap is
reported and skipped, never held whole). Each block first takes a fast path: one
orjson call parses all its lines, and the roles, contents, lengths and duplicate
hashes are checked with a few C-level passes. A block with any doubt is re-checked
line by line, which names every problem with its line, column and field. All
problems are counted by kind; the first ones are kept in detail.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from tools.data.convert import check_target
from tools.data.fastcheck import CHECKERS
from tools.data.formats import (
    BLANK_LINE,
    DUPLICATE,
    INVALID_JSON,
    LINE_TOO_LONG,
    TOO_LONG,
    check_record,
    fast_chars,
)
from tools.data.limits import LengthLimit, length_limit
from tools.data.models import DropReport, Problem, ValidationReport
from tools.data.readers import Progress
from tools.data.sources import DEFAULT_MAX_LINE_BYTES, _inspect_file
from tools.errors import DataError

#: Remember this many line hashes for the duplicate check (bounds memory on huge files).
MAX_TRACKED_LINES = 5_000_000
BLOCK_BYTES = 4 * 1024 * 1024

#: A batch of lines: the number of its first line, the lines without their newline (`None`
#: stands for a line over the length cap, which was skipped unread), and the same lines as
#: one bytes object joined by newlines (for the fast path; meaningless when a line is None).
Batch = tuple[int, list[bytes | None], bytes]


def line_batches(path: Path, cap: int, progress: Progress | None = None,
                 block: int = BLOCK_BYTES) -> Iterator[Batch]:
    """Blocks of complete lines; memory stays within about `cap + block` bytes whatever the file."""
    total = path.stat().st_size
    done = 0
    line_no = 0
    carry = b""
    skipping = False
    with path.open("rb", buffering=0) as fh:
        first = True
        while True:
            chunk = fh.read(block)
            if not chunk:
                break
            done += len(chunk)
            if first:
                first = False
                if chunk.startswith(b"\xef\xbb\xbf"):
                    chunk = chunk[3:]
            if skipping:  # the rest of an over-long line: drop it up to its newline
                newline = chunk.find(b"\n")
                if newline < 0:
                    continue
                chunk = chunk[newline + 1:]
                skipping = False
            data = carry + chunk
            end = data.rfind(b"\n")
            blob, carry = (data[:end], data[end + 1:]) if end >= 0 else (b"", data)
            parts = blob.split(b"\n") if end >= 0 else []
            lines: list[bytes | None] = list(parts)
            if parts and max(map(len, parts)) > cap:
                lines = [ln if len(ln) <= cap else None for ln in parts]
            if len(carry) > cap:
                lines.append(None)
                carry = b""
                skipping = True
            if lines:
                yield line_no + 1, lines, blob
                line_no += len(lines)
            if progress is not None:
                progress(done, total)
    if carry and not skipping:
        yield line_no + 1, [carry if len(carry) <= cap else None], carry


class _Checker:
    """Checks batches of lines for one target format, remembering hashes for the duplicate check."""

    def __init__(self, target: str, limit: LengthLimit | None, cap: int) -> None:
        import orjson

        self.target = target
        self.limit = limit
        self.max_chars = limit.max_chars() if limit else None
        self.cap = cap
        self.loads = orjson.loads
        self.decode_error = orjson.JSONDecodeError
        self.seen: dict[int, int] = {}

    def batch_ok(self, start: int, lines: list[bytes | None], blob: bytes) -> bool:
        """True when every line in the batch is valid (and now remembered); False means "look closer"."""
        if None in lines:
            return False
        good: list[bytes] = lines  # type: ignore[assignment]
        chars = self._chars(good, blob)
        if chars is None:
            return False
        if self.max_chars is not None and max((c or 0 for c in chars), default=0) > self.max_chars:
            return False
        hashes = list(map(hash, good))
        if len(set(hashes)) != len(hashes) or not self.seen.keys().isdisjoint(hashes):
            return False
        if len(self.seen) < MAX_TRACKED_LINES:
            self.seen.update(zip(hashes, range(start, start + len(hashes)), strict=True))
        return True

    def _chars(self, lines: list[bytes], blob: bytes) -> list[int] | None:
        """Characters per line (or [] when no length limit applies) if every line is valid, else None."""
        fast = CHECKERS.get(self.target)
        if fast is not None:
            return fast(blob, len(lines), self.max_chars is not None)
        loads = self.loads
        try:
            objs = [loads(line) for line in lines]
        except self.decode_error:
            return None
        chars = [fast_chars(o, self.target) if type(o) is dict else None for o in objs]
        return None if None in chars else chars  # type: ignore[return-value]

    def line_problems(self, line_no: int, raw: bytes | None) -> list[Problem]:
        """Every problem of one line, in detail."""
        if raw is None:
            return [Problem(line=line_no, kind=LINE_TOO_LONG, message=(
                f"the line is longer than {self.cap:,} bytes; it was skipped unread"))]
        stripped = raw.strip()
        if not stripped:
            return [Problem(line=line_no, kind=BLANK_LINE, message="blank line")]
        try:
            obj = self.loads(stripped)
        except self.decode_error as err:
            return [_json_problem(line_no, stripped, err)]
        chars = fast_chars(obj, self.target) if type(obj) is dict else None
        if chars is None:
            found, chars = check_record(obj, self.target)
            problems = [Problem(line=line_no, kind=k, message=m, field=f) for k, m, f in found]
        else:
            problems = []
        limit = self.limit
        if limit is not None and self.max_chars is not None and chars > self.max_chars:
            problems.append(Problem(line=line_no, kind=TOO_LONG, message=(
                f"about {int(chars * limit.tokens_per_char):,} tokens ({chars:,} characters × "
                f"{limit.tokens_per_char} tokens/char), over {limit.model}'s limit of {limit.max_tokens:,}")))
        key = hash(raw)
        earlier = self.seen.get(key)
        if earlier is not None:
            problems.append(Problem(line=line_no, kind=DUPLICATE,
                                    message=f"the same example as line {earlier}"))
        elif len(self.seen) < MAX_TRACKED_LINES:
            self.seen[key] = line_no
        return problems


def scan(path: str | os.PathLike[str], target_format: str, *, model: str | None = None,
         max_line_bytes: int = DEFAULT_MAX_LINE_BYTES, progress: Progress | None = None,
         ) -> Iterator[tuple[int, list[bytes | None], list[list[Problem]] | None]]:
    """Yield (first line number, lines, problems per line) per block; problems is None when all are valid."""
    check_target(target_format)
    source = _inspect_file(Path(os.fspath(path)).expanduser(), os.fspath(path))
    assert source.path is not None
    checker = _Checker(target_format, length_limit(model), max_line_bytes)
    for start, lines, blob in line_batches(source.path, max_line_bytes, progress):
        if checker.batch_ok(start, lines, blob):
            yield start, lines, None
        else:
            yield start, lines, [checker.line_problems(start + i, raw) for i, raw in enumerate(lines)]


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
    for _, lines, found in scan(path, target_format, model=model, max_line_bytes=max_line_bytes,
                                progress=progress):
        if found is None:
            rows += len(lines)
            valid += len(lines)
            continue
        for line_problems in found:
            if not line_problems or line_problems[0].kind != BLANK_LINE:
                rows += 1
            if not line_problems:
                valid += 1
            for problem in line_problems:
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
