"""Reading a JSONL file (or one byte range of it) in blocks of lines, and checking those lines.

Shared by the validator (`validate.py`), its multi-process driver (`chunked.py`) and the
splitter. `LineChecker` answers "is this line valid for the target format?" without the
duplicate check, which needs the whole file: callers add it from `line_key` hashes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

from tools.data.fastcheck import CHECKERS
from tools.data.formats import BLANK_LINE, INVALID_JSON, LINE_TOO_LONG, TOO_LONG, check_record, fast_chars
from tools.data.limits import LengthLimit
from tools.data.models import Problem
from tools.data.readers import Progress

BLOCK_BYTES = 1024 * 1024

#: A batch of lines: the number of its first line, the lines without their newline (`None`
#: stands for a line over the length cap, which was skipped unread), and the same lines as
#: one bytes object joined by newlines (for the fast path; meaningless when a line is None).
Batch = tuple[int, list[bytes | None], bytes]


def line_batches(path: Path, cap: int, progress: Progress | None = None, block: int = BLOCK_BYTES, *,
                 start: int = 0, end: int | None = None) -> Iterator[Batch]:
    """Blocks of complete lines; memory stays within about `cap + block` bytes whatever the file.

    `start`/`end` limit reading to a byte range that begins at a line start (numbering
    then starts at 1 within the range, and progress counts within it); a byte-order mark
    is dropped only at the start of the file.
    """
    total = (path.stat().st_size if end is None else end) - start
    done = 0
    line_no = 0
    carry = b""
    skipping = False
    with path.open("rb", buffering=0) as fh:
        if start:
            fh.seek(start)
        first = start == 0
        while True:
            chunk = fh.read(block if end is None else min(block, total - done))
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
            data = carry + chunk if carry else chunk
            end_at = data.rfind(b"\n")
            blob, carry = (data[:end_at], data[end_at + 1:]) if end_at >= 0 else (b"", data)
            parts = blob.split(b"\n") if end_at >= 0 else []
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


def _blake_key(raw: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(raw, digest_size=8).digest(), "little")


#: A 64-bit hash of a raw line for the duplicate check: the same in every process (unlike the
#: built-in `hash`, which is seeded per process), so workers' hashes can be compared. xxh3 when
#: the `xxhash` package is there (fast, and a C function `map` can call), else blake2b.
def _key_function() -> Callable[[bytes], int]:
    try:
        import xxhash
    except ImportError:  # pragma: no cover - xxhash comes with `datasets`
        return _blake_key
    return xxhash.xxh3_64_intdigest


line_key = _key_function()


class LineChecker:
    """Checks lines for one target format: whole blocks on the fast path, single lines in detail.

    Duplicates are not its business (see `validate.Seen` and `chunked.merge`).
    """

    def __init__(self, target: str, limit: LengthLimit | None, cap: int) -> None:
        import orjson

        self.target = target
        self.limit = limit
        self.max_chars = limit.max_chars() if limit else None
        self.cap = cap
        self.loads = orjson.loads
        self.decode_error = orjson.JSONDecodeError

    def batch_ok(self, lines: list[bytes | None], blob: bytes) -> bool:
        """True when every line in the batch is valid (duplicates aside); False means "look closer"."""
        if None in lines:
            return False
        good: list[bytes] = lines  # type: ignore[assignment]
        chars = self._chars(good, blob)
        if chars is None:
            return False
        return self.max_chars is None or max((c or 0 for c in chars), default=0) <= self.max_chars

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

    def line_problems(self, line_no: int, raw: bytes | None) -> tuple[list[Problem], bool]:
        """Every problem of one line but duplication, in detail, and whether the line takes part in
        the duplicate check (it does when it parsed as JSON)."""
        if raw is None:
            return [Problem(line=line_no, kind=LINE_TOO_LONG, message=(
                f"the line is longer than {self.cap:,} bytes; it was skipped unread"))], False
        stripped = raw.strip()
        if not stripped:
            return [Problem(line=line_no, kind=BLANK_LINE, message="blank line")], False
        try:
            obj = self.loads(stripped)
        except self.decode_error as err:
            return [json_problem(line_no, stripped, err)], False
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
        return problems, True


def json_problem(line_no: int, raw: bytes, err: object) -> Problem:
    """An `invalid JSON` problem with the column; bad UTF-8 is named by its byte."""
    msg = str(getattr(err, "msg", err))
    if "utf-8" in msg.lower():
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as uerr:
            return Problem(line=line_no, column=uerr.start + 1, kind=INVALID_JSON,
                           message=f"byte 0x{raw[uerr.start:uerr.start + 1].hex()} is not valid UTF-8")
    return Problem(line=line_no, column=getattr(err, "colno", None), kind=INVALID_JSON,
                   message=f"invalid JSON ({msg})")
