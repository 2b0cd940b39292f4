"""Line-level validation against each target format, the cleaned copy, stats and mapping advice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.data_fixtures import QA, messages_rows, read_jsonl, write_csv, write_jsonl
from tools.data import (
    dataset_stats,
    drop_invalid_rows,
    inspect_source,
    recommend_mapping,
    validate_jsonl,
)
from tools.errors import DataError


def _lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_valid_files_pass_in_every_format(tmp_path: Path) -> None:
    report = validate_jsonl(write_jsonl(tmp_path / "m.jsonl", messages_rows(300)), "messages")
    assert report.ok and report.rows == report.valid_rows == 300 and report.counts == {}


def test_messages_problems_with_lines_fields_and_counts(tmp_path: Path) -> None:
    good = json.dumps(messages_rows(1)[0])
    lines = [
        good,                                                                   # 1 ok
        '{"messages": [{"role": "user", "content": "hi"}',                      # 2 invalid JSON
        "[1, 2]",                                                               # 3 not an object
        '{"prompt": "a", "completion": "b"}',                                   # 4 wrong shape
        '{"messages": [{"role": "user", "content": "a"}, {"role": "bot", "content": "b"}]}',  # 5 role
        '{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": ""}]}',  # 6
        '{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": 5}]}',  # 7
        '{"messages": [{"role": "user", "content": "a"}]}',                     # 8 no model turn
        '{"messages": [{"role": "assistant", "content": "a"}, {"role": "user", "content": "b"}]}',  # 9
        good,                                                                   # 10 duplicate
        "",                                                                     # 11 blank
    ]
    report = validate_jsonl(_lines(tmp_path / "bad.jsonl", lines), "messages")
    assert not report.ok
    assert report.counts == {"invalid JSON": 1, "not an object": 1, "wrong shape": 1, "unknown role": 1,
                             "empty content": 1, "non-string content": 1,
                             "does not end with the model's turn": 2, "roles out of order": 1,
                             "duplicate": 1, "blank line": 1}
    by_line = {p.line: p for p in report.problems}
    assert by_line[2].column is not None and by_line[2].kind == "invalid JSON"
    assert by_line[5].field == "messages[1].role"
    assert by_line[6].field == "messages[1].content"
    assert "line 1" in by_line[10].message
    assert report.rows == 10 and report.valid_rows == 1


def test_gemini_rejects_assistant_and_requires_the_model_last(tmp_path: Path) -> None:
    lines = [json.dumps({"contents": [{"role": "user", "parts": [{"text": "a"}]},
                                      {"role": "assistant", "parts": [{"text": "b"}]}]}),
             json.dumps({"contents": [{"role": "user", "parts": [{"text": "a"}]}]}),
             json.dumps(messages_rows(1)[0])]
    report = validate_jsonl(_lines(tmp_path / "g.jsonl", lines), "gemini")
    assert report.counts == {"unknown role": 1, "does not end with the model's turn": 1, "wrong shape": 1}
    assert "use 'user' or 'model'" in report.problems[0].message and "not 'assistant'" in report.problems[0].message
    assert "looks like chat 'messages'" in report.problems[2].message


def test_prompt_completion_problems(tmp_path: Path) -> None:
    lines = ['{"prompt": "a", "completion": "b"}', '{"prompt": " ", "completion": "b"}',
             '{"prompt": "a", "completion": ["b"]}', '{"question": "a"}']
    report = validate_jsonl(_lines(tmp_path / "p.jsonl", lines), "prompt_completion")
    assert report.counts == {"empty content": 1, "non-string content": 1, "wrong shape": 1}


def test_over_long_examples_use_the_catalog_model_limit(tmp_path: Path) -> None:
    from knowledge import find_model

    model = find_model("gemini-2.5-flash")
    assert model is not None and model.category == "gemini"
    chars = int(model.max_example_tokens / model.tokens_per_char) + 100
    rows = [{"prompt": "q", "completion": "x" * chars}, {"prompt": "q", "completion": "short"}]
    path = write_jsonl(tmp_path / "p.jsonl", rows)
    assert validate_jsonl(path, "prompt_completion").ok
    report = validate_jsonl(path, "prompt_completion", model="gemini-2.5-flash")
    assert report.counts == {"too long": 1} and f"{model.max_example_tokens:,}" in report.problems[0].message


def test_first_problems_are_listed_and_all_are_counted(tmp_path: Path) -> None:
    lines = ['{"prompt": "", "completion": "b"}'] * 1 + [f'{{"prompt": "", "completion": "b{i}"}}' for i in range(49)]
    report = validate_jsonl(_lines(tmp_path / "p.jsonl", lines), "prompt_completion", max_problems=5)
    assert len(report.problems) == 5 and report.counts == {"empty content": 50}


def test_drop_invalid_rows_writes_a_clean_file(tmp_path: Path) -> None:
    rows = messages_rows(5)
    lines = [json.dumps(r) for r in rows] + ["{broken", json.dumps(rows[0]), "",
                                             '{"messages": [{"role": "user", "content": "x"}]}']
    path = _lines(tmp_path / "m.jsonl", lines)
    report = drop_invalid_rows(path, "messages", tmp_path / "clean.jsonl")
    assert report.rows_kept == 5 and report.dropped == {
        "invalid JSON": 1, "duplicate": 1, "blank line": 1, "does not end with the model's turn": 1}
    assert read_jsonl(tmp_path / "clean.jsonl") == rows
    assert validate_jsonl(tmp_path / "clean.jsonl", "messages").ok
    drop_invalid_rows(path, "messages", path)  # in place
    assert read_jsonl(path) == rows


def test_over_long_line_is_reported_and_skipped_without_reading_it(tmp_path: Path) -> None:
    rows = messages_rows(3)
    huge = json.dumps({"messages": [{"role": "user", "content": "q" * 50_000},
                                    {"role": "assistant", "content": "a"}]})
    path = _lines(tmp_path / "m.jsonl", [json.dumps(rows[0]), huge, json.dumps(rows[1]), json.dumps(rows[2])])
    report = validate_jsonl(path, "messages", max_line_bytes=1000)
    assert report.counts == {"line too long": 1} and report.problems[0].line == 2
    assert report.valid_rows == 3
    from tools.data.validate import line_batches

    batches = list(line_batches(path, 1000, block=256))  # blocks far smaller than the long line
    flat = [ln for _, lines, _ in batches for ln in lines]
    assert flat[1] is None and len(flat) == 4 and all(ln is not None for i, ln in enumerate(flat) if i != 1)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file"):
        validate_jsonl(tmp_path / "nope.jsonl", "messages")
    with pytest.raises(DataError, match="unknown target format"):
        validate_jsonl(write_jsonl(tmp_path / "m.jsonl", messages_rows(1)), "chatml")


def test_dataset_stats_counts_characters_by_role_in_any_format(tmp_path: Path) -> None:
    from knowledge import load_catalog

    gem = {"systemInstruction": {"parts": [{"text": "sys"}]},
           "contents": [{"role": "user", "parts": [{"text": "hello"}]},
                        {"role": "model", "parts": [{"text": "hi there"}]}]}
    stats = dataset_stats(write_jsonl(tmp_path / "g.jsonl", [gem, gem]))
    assert stats.rows == 2 and stats.chars_by_role == {"system": 6, "user": 10, "assistant": 16}
    assert stats.total_chars == 32 and stats.max_example_chars == 16
    flash = next(m for m in load_catalog().gemini_models if m.id == "gemini-2.5-flash")
    assert stats.estimated_tokens["gemini-2.5-flash"] == round(32 * flash.tokens_per_char)
    pc = dataset_stats(write_csv(tmp_path / "qa.csv", QA), {"prompt": "question", "completion": "answer"})
    assert pc.chars_by_role["user"] == sum(len(r["question"]) for r in QA)


def test_recommendation_by_name_and_content(tmp_path: Path) -> None:
    rows = [{"id": str(i), "instruction_text": f"Please explain topic {i}?", "category": "x",
             "reply": f"A long and detailed reply about topic {i}. " * 3,
             "persona": "You are a careful, friendly teaching assistant."} for i in range(20)]
    rec = recommend_mapping(inspect_source(write_csv(tmp_path / "d.csv", rows)))
    assert (rec.prompt, rec.completion, rec.system) == ("instruction_text", "reply", "persona")
    # Both signals are named: the column's name, and what its values read like.
    assert "named like a prompt ('instruction')" in rec.reasons["prompt"]
    assert "100% of values read like questions or requests" in rec.reasons["prompt"]
    assert rec.alternatives["prompt"] and all(c.reason for c in rec.alternatives["prompt"])


def test_recommendation_by_content_alone(tmp_path: Path) -> None:
    rows = [{"c1": f"row {i}", "c2": f"What happens when we heat sample {i}?",
             "c3": f"When sample {i} is heated it expands, then it melts at a high temperature."}
            for i in range(10)]
    rec = recommend_mapping(inspect_source(write_csv(tmp_path / "d.csv", rows)))
    assert (rec.prompt, rec.completion) == ("c2", "c3")
    assert "questions" in rec.reasons["prompt"] and "longest" in rec.reasons["completion"]


def test_known_shapes_need_no_mapping(tmp_path: Path) -> None:
    rec = recommend_mapping(inspect_source(write_jsonl(tmp_path / "m.jsonl", messages_rows(2))))
    assert not rec.needs_mapping and rec.prompt is None and "messages" in rec.reasons["shape"]


@pytest.mark.parametrize("block", [7, 64, 4096])
def test_line_batches_match_splitlines_for_any_block_size(tmp_path: Path, block: int) -> None:
    from tools.data.validate import line_batches

    text = "\n".join(f'{{"n": {i}, "pad": "{"x" * (i % 13)}"}}' for i in range(60))  # no final newline
    path = tmp_path / "l.jsonl"
    path.write_text(text, encoding="utf-8")
    batches = list(line_batches(path, 10_000, block=block))
    assert [ln for _, lines, _ in batches for ln in lines] == text.encode().split(b"\n")
    assert all(blob == b"\n".join(lines) for _, lines, blob in batches)  # type: ignore[arg-type]
    assert batches[0][0] == 1


def test_too_long_check_without_a_mode_uses_the_most_lenient_ratio() -> None:
    from knowledge import find_model
    from tools.data.limits import length_limit

    llama = find_model("meta/llama3_1@llama-3.1-8b")
    limit = length_limit("meta/llama3_1@llama-3.1-8b")
    assert llama is not None and limit is not None
    assert limit.tokens_per_char == min(s.tokens_per_char for s in llama.modes.values() if s.tokens_per_char)
