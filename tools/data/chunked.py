"""Validation of a JSONL file in byte ranges, checked side by side in worker processes.

Checking lines is CPU-bound (JSON decoding), so a large file is cut at newlines into
one range per core; the calling process checks the first range while worker processes
check the others. Each range reports its counts, its first problems (numbered from 1
within the range) and a 64-bit hash plus a flag per line. The duplicate check needs
the whole file, so it is done here afterwards from those hashes: the report is the
same, line for line, as checking the file in one pass. Small files take one pass in
this process (no worker start-up cost).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import threading
from array import array
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import compress
from pathlib import Path
from typing import NamedTuple

from tools.data.formats import BLANK_LINE, DUPLICATE, TOO_LONG
from tools.data.limits import LengthLimit
from tools.data.lines import LineChecker, line_batches, line_key
from tools.data.models import Problem
from tools.data.quality import QualityScan
from tools.data.readers import Progress

#: Remember this many distinct lines for the duplicate check (bounds memory on huge files):
#: a line is compared with the first MAX_TRACKED_LINES distinct lines that parsed as JSON.
MAX_TRACKED_LINES = 5_000_000
#: Files smaller than this are checked in one pass in this process. Where workers must be
#: spawned (a fresh interpreter importing this package, about 0.3-0.5 s) rather than forked,
#: the threshold is SPAWN_FACTOR times higher.
PARALLEL_MIN_BYTES = 16 * 1024 * 1024
SPAWN_FACTOR = 8
MAX_WORKERS = 8

# Per-line flags: valid (duplicates aside), has problems, or takes no part in the duplicate
# check (blank, over the length cap, or not JSON).
CLEAN, FLAWED, UNHASHED = 0, 1, 2
_HASHED = bytes.maketrans(bytes([CLEAN, FLAWED, UNHASHED]), b"\x01\x01\x00")


class RangeResult(NamedTuple):
    """What checking one byte range found; line numbers are 1-based within the range."""

    lines: int
    rows: int
    valid: int  # rows without problems, duplicates aside
    counts: dict[str, int]  # by kind, in order of first appearance
    firsts: dict[str, int]  # kind → its first line
    problems: list[Problem]  # the first `max_problems`
    keys: array[int]  # line_key per line (0 where the flag is UNHASHED)
    flags: bytearray
    quality: QualityScan | None = None


class Totals(NamedTuple):
    """The merged result for the whole file."""

    rows: int
    valid: int
    counts: dict[str, int]
    problems: list[Problem]
    quality: QualityScan | None = None


def check_range(path: str, target: str, limit: LengthLimit | None, cap: int, max_problems: int,
                quality: bool = False, start: int = 0, end: int | None = None,
                progress: Progress | None = None) -> RangeResult:
    """Check the lines of one byte range (which starts at a line start) for everything but duplicates.

    With `quality`, the valid lines also feed a `QualityScan` (exact duplicates aside, which `merge` adds).
    """
    checker = LineChecker(target, limit, cap)
    scan = QualityScan(max_tokens=limit.max_tokens if limit else None,
                       tokens_per_char=limit.tokens_per_char if limit else None,
                       model=limit.model if limit else None, portable_keys=True) if quality else None
    observe = quality_reader(target, scan) if scan is not None else None
    keys: array[int] = array("Q")
    flags = bytearray()
    counts: dict[str, int] = {}
    firsts: dict[str, int] = {}
    problems: list[Problem] = []
    n_lines = rows = valid = 0
    for first, lines, blob in line_batches(Path(path), cap, progress, start=start, end=end):
        n_lines += len(lines)
        if checker.batch_ok(lines, blob):
            keys.extend(map(line_key, lines))  # type: ignore[arg-type]  # no None on the fast path
            flags.extend(bytes(len(lines)))
            rows += len(lines)
            valid += len(lines)
            if observe is not None:
                for line_no, raw in enumerate(lines, first):
                    observe(line_no, raw)  # type: ignore[arg-type]
            continue
        for line_no, raw in enumerate(lines, first):
            found, hashed = checker.line_problems(line_no, raw)
            keys.append(line_key(raw) if hashed and raw is not None else 0)
            flags.append(UNHASHED if not hashed else FLAWED if found else CLEAN)
            if not found:
                rows += 1
                valid += 1
                if observe is not None:
                    observe(line_no, raw)  # type: ignore[arg-type]
                continue
            rows += found[0].kind != BLANK_LINE
            if observe is not None and all(p.kind == TOO_LONG for p in found):
                observe(line_no, raw)  # type: ignore[arg-type]  # the quality report says by how much
            for problem in found:
                if problem.kind not in counts:
                    counts[problem.kind] = 0
                    firsts[problem.kind] = line_no
                counts[problem.kind] += 1
                if len(problems) < max_problems:
                    problems.append(problem)
    return RangeResult(n_lines, rows, valid, counts, firsts, problems, keys, flags, scan)


def quality_reader(target: str, scan: QualityScan) -> Callable[[int, bytes], None]:
    """A function that reads one valid line of `target` format into `scan`."""
    import orjson

    from tools.data.shapes import Drop, from_gemini, from_messages, from_prompt_completion

    read = {"messages": from_messages, "prompt_completion": from_prompt_completion, "gemini": from_gemini}[target]
    loads = orjson.loads

    def observe(line_no: int, raw: bytes) -> None:
        try:
            system, turns = read(loads(raw))
        except (Drop, orjson.JSONDecodeError, ValueError, TypeError, AttributeError):
            return
        scan.add(line_no, system, turns)

    return observe


def check_file(path: Path, target: str, limit: LengthLimit | None, cap: int, max_problems: int, *,
               progress: Progress | None = None, workers: int | None = None,
               parallel_min_bytes: int = PARALLEL_MIN_BYTES, quality: bool = False) -> Totals:
    """Check a whole file, in parallel ranges when it is large enough and there are cores to spare."""
    size = path.stat().st_size
    n = _worker_count() if workers is None else max(1, workers)
    if size < parallel_min_bytes * (SPAWN_FACTOR if _start_method() == "spawn" else 1):
        n = 1
    elif parallel_min_bytes > 1:  # no range smaller than half the threshold
        n = min(n, max(1, size // (parallel_min_bytes // 2)))
    ranges: list[tuple[int, int | None]] = split_ranges(path, size, n) if n > 1 else [(0, None)]
    args = (str(path), target, limit, cap, max_problems, quality)
    if len(ranges) == 1:
        return merge([check_range(*args, progress=progress)], max_problems)

    def scaled(done: int, total: int) -> None:  # the first range's progress stands for the whole file
        if progress is not None:
            progress(min(size, done * size // max(total, 1)), size)

    results = _in_parallel(args, ranges, scaled)
    if progress is not None:
        progress(size, size)
    return merge(results, max_problems)


def _in_parallel(args: tuple[str, str, LengthLimit | None, int, int, bool], ranges: list[tuple[int, int | None]],
                 progress: Progress) -> list[RangeResult]:
    """Ranges 2.. in worker processes while this process checks range 1; any range whose worker
    could not start or died is checked here instead."""
    pool: ProcessPoolExecutor | None = None
    futures: list[Future[RangeResult] | None] = [None] * len(ranges)
    try:
        try:
            pool = ProcessPoolExecutor(max_workers=len(ranges) - 1,
                                       mp_context=multiprocessing.get_context(_start_method()))
            for i, (start, end) in enumerate(ranges[1:], 1):
                futures[i] = pool.submit(check_range, *args, start, end)
        except (OSError, BrokenProcessPool):
            pass
        results = [check_range(*args, ranges[0][0], ranges[0][1], progress)]
        for future, (start, end) in zip(futures[1:], ranges[1:], strict=True):
            result = None
            if future is not None:
                with contextlib.suppress(BrokenProcessPool):  # a worker died: check its range here
                    result = future.result()
            results.append(result if result is not None else check_range(*args, start, end))
        return results
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _start_method() -> str:
    """`fork` (no start-up cost) where it is safe: Linux, and no other threads that could hold a lock."""
    if sys.platform == "linux" and threading.active_count() == 1:
        return "fork"
    return "spawn"


def _worker_count() -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS))


def split_ranges(path: Path, size: int, n: int) -> list[tuple[int, int | None]]:
    """Up to `n` byte ranges of about equal size, each starting at a line start (the last is open)."""
    bounds = [0]
    with path.open("rb") as fh:
        for k in range(1, n):
            at = max(size * k // n, bounds[-1] + 1)
            if at >= size:
                break
            fh.seek(at - 1)  # a line starts at `at` if the byte before it is a newline
            offset = at - 1
            while True:
                piece = fh.read(1 << 16)
                if not piece:
                    offset = size
                    break
                newline = piece.find(b"\n")
                if newline >= 0:
                    offset += newline + 1
                    break
                offset += len(piece)
            if offset >= size:
                break
            bounds.append(offset)
    ends: list[int | None] = [*bounds[1:], None]
    return list(zip(bounds, ends, strict=True))


def merge(results: list[RangeResult], max_problems: int) -> Totals:
    """Whole-file figures from the ranges' results (in file order), with the duplicate check added."""
    offsets = [0]
    for result in results[:-1]:
        offsets.append(offsets[-1] + result.lines)
    tagged: list[tuple[int, int, Problem]] = []
    order: list[tuple[str, int]] = []  # kind, first line: the order counts are listed in
    totals: dict[str, int] = {}
    for offset, result in zip(offsets, results, strict=True):
        tagged.extend((p.line + offset, 0, p.model_copy(update={"line": p.line + offset}) if offset else p)
                      for p in result.problems)
        for kind, count in result.counts.items():
            if kind not in totals:
                totals[kind] = 0
                order.append((kind, result.firsts[kind] + offset))
            totals[kind] += count
    rows = sum(r.rows for r in results)
    valid = sum(r.valid for r in results)
    dups, n_dups, n_clean = _duplicates(results, offsets, max_problems)
    if n_dups:
        first_line = dups[0].line
        at = next((i for i, (_, line) in enumerate(order) if line > first_line), len(order))
        order.insert(at, (DUPLICATE, first_line))
        totals[DUPLICATE] = n_dups
        valid -= n_clean
        tagged.extend((p.line, 1, p) for p in dups)  # a duplicate is the last problem of its line
        tagged.sort(key=lambda t: (t[0], t[1]))
    problems = [p for _, _, p in tagged[:max_problems]]
    scan = None
    if results and results[0].quality is not None:
        scan = results[0].quality
        for offset, result in zip(offsets[1:], results[1:], strict=True):
            if result.quality is not None:
                scan.merge(result.quality, offset)
        scan.duplicates_found(n_dups, [p.line for p in dups])
    return Totals(rows, valid, {kind: totals[kind] for kind, _ in order}, problems, scan)


def _duplicates(results: list[RangeResult], offsets: list[int],
                max_problems: int) -> tuple[list[Problem], int, int]:
    """The first duplicate problems (at least one when there are any), how many lines are
    duplicates, and how many of those had no other problem."""
    selectors = [bytes(r.flags).translate(_HASHED) for r in results]
    hashed = sum(s.count(1) for s in selectors)
    distinct: set[int] = set()
    for result, selector in zip(results, selectors, strict=True):
        distinct.update(compress(result.keys, selector))
    if len(distinct) == hashed:
        return [], 0, 0
    del distinct
    seen: dict[int, int] = {}
    found: list[Problem] = []
    n_dups = n_clean = 0
    for offset, result, selector in zip(offsets, results, selectors, strict=True):
        keys, flags = result.keys, result.flags
        for i in compress(range(len(keys)), selector):
            key = keys[i]
            earlier = seen.get(key)
            if earlier is None:
                if len(seen) < MAX_TRACKED_LINES:
                    seen[key] = offset + i + 1
                continue
            n_dups += 1
            n_clean += flags[i] == CLEAN
            if len(found) < max(max_problems, 1):
                found.append(Problem(line=offset + i + 1, kind=DUPLICATE,
                                     message=f"the same example as line {earlier}"))
    return found, n_dups, n_clean
