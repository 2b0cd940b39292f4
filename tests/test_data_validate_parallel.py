"""Validation in parallel byte ranges gives the same report as one pass, line for line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.data_fixtures import messages_rows
from tools.data import chunked, validate_jsonl

SPREAD = 600  # rows: with 3 workers every range holds problems


def _problem_file(path: Path) -> tuple[Path, dict[int, str]]:
    """Valid rows with problems spread over the whole file, incl. duplicates far from their twins.

    Returns the file and the kind expected on each problem line (1-based).
    """
    good = [json.dumps(r, ensure_ascii=False) for r in messages_rows(SPREAD)]
    lines = list(good)
    inserts = [
        (5, '{"messages": [', "invalid JSON"),
        (150, "", "blank line"),
        (260, '{"messages": [{"role": "user", "content": "a"}, {"role": "bot", "content": "b"}]}', "unknown role"),
        (330, good[3], "duplicate"),  # twin in the first range
        (420, '{"messages": [{"role": "user", "content": "\u3000 "}, {"role": "assistant", "content": "x"}]}',
         "empty content"),
        (500, "[1, 2]", "not an object"),
        (560, good[3], "duplicate"),  # the same twin again, in the last range
        (590, good[450], "duplicate"),  # twin in a middle range
    ]
    expected: dict[int, str] = {}
    for index, text, kind in inserts:
        lines.insert(index, text)
        expected = {(n + 1 if n > index else n): k for n, k in expected.items()}
        expected[index + 1] = kind
    lines.append(good[20])  # the last line is a duplicate too, with no newline after it
    expected[len(lines)] = "duplicate"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path, expected


@pytest.mark.parametrize("workers", [2, 3, 5])
def test_parallel_ranges_give_the_same_report_as_one_pass(tmp_path: Path, workers: int) -> None:
    path, expected = _problem_file(tmp_path / "spread.jsonl")
    ranges = chunked.split_ranges(path, path.stat().st_size, workers)
    assert len(ranges) == workers  # really split
    raw = path.read_bytes()
    assert all(raw[start - 1:start] == b"\n" for start, _ in ranges[1:])  # each range starts a line

    single = validate_jsonl(path, "messages", max_problems=100, workers=1)
    multi = validate_jsonl(path, "messages", max_problems=100, workers=workers, parallel_min_bytes=0)
    assert multi == single
    assert {p.line: p.kind for p in single.problems} == expected
    assert list(single.counts) == ["invalid JSON", "blank line", "unknown role", "duplicate", "empty content",
                                   "not an object"]  # in order of first appearance
    text_lines = raw.decode().split("\n")
    good = [json.dumps(r, ensure_ascii=False) for r in messages_rows(SPREAD)]
    dups = {p.line: p.message for p in single.problems if p.kind == "duplicate"}
    twin = {g: f"the same example as line {text_lines.index(g) + 1}" for g in (good[3], good[450], good[20])}
    assert dups == {line: twin[text_lines[line - 1]] for line in dups} and len(dups) == 4
    assert dups[min(dups)] == "the same example as line 4"  # good[3], before the inserted line 6
    assert single.rows == len(text_lines) - 1  # the blank line is not a row
    assert single.valid_rows == single.rows - (len(expected) - 1)


def test_first_problems_across_ranges_are_the_first_of_the_file(tmp_path: Path) -> None:
    path, expected = _problem_file(tmp_path / "spread.jsonl")
    for limit in (0, 1, 3, 4, 6):
        single = validate_jsonl(path, "messages", max_problems=limit, workers=1)
        multi = validate_jsonl(path, "messages", max_problems=limit, workers=4, parallel_min_bytes=0)
        assert multi == single
        assert [p.line for p in multi.problems] == sorted(expected)[:limit]
        assert sum(multi.counts.values()) == len(expected)


def test_length_limit_and_line_cap_in_parallel(tmp_path: Path) -> None:
    from knowledge import find_model

    model = find_model("gemini-2.5-flash")
    assert model is not None and model.category == "gemini"
    chars = int(model.max_example_tokens / model.tokens_per_char) + 100
    rows = messages_rows(200)
    rows[150] = {"messages": [{"role": "user", "content": "é" * chars}, {"role": "assistant", "content": "a"}]}
    path = tmp_path / "long.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    for kwargs in ({"model": "gemini-2.5-flash"}, {"max_line_bytes": 5000}):
        single = validate_jsonl(path, "messages", workers=1, **kwargs)  # type: ignore[arg-type]
        multi = validate_jsonl(path, "messages", workers=3, parallel_min_bytes=0, **kwargs)  # type: ignore[arg-type]
        assert multi == single and [p.line for p in single.problems] == [151]


def test_spawned_workers_and_a_failed_pool_give_the_same_report(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    path, _ = _problem_file(tmp_path / "spread.jsonl")
    single = validate_jsonl(path, "messages", max_problems=100, workers=1)
    monkeypatch.setattr(chunked, "_start_method", lambda: "spawn")  # as when the caller has threads
    assert validate_jsonl(path, "messages", max_problems=100, workers=2, parallel_min_bytes=0) == single

    def no_processes(*_args: object, **_kwargs: object) -> None:
        raise OSError("cannot start a process here")

    monkeypatch.setattr(chunked, "ProcessPoolExecutor", no_processes)  # every range is checked in-process
    assert validate_jsonl(path, "messages", max_problems=100, workers=3, parallel_min_bytes=0) == single


def test_small_files_stay_in_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a small file must not start worker processes")

    monkeypatch.setattr(chunked, "ProcessPoolExecutor", forbidden)
    path = tmp_path / "m.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in messages_rows(50)), encoding="utf-8")
    assert validate_jsonl(path, "messages", workers=4).ok
