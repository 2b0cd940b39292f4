"""Shapes, target formats, dropped rows, mapping errors and the split limits of `convert`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.data_fixtures import QA, messages_rows, read_jsonl, write_csv, write_jsonl
from tools.data import convert, inspect_source, split_file, validate_jsonl
from tools.errors import DataError

SHAPES = {
    "messages": {"messages": [{"role": "system", "content": "Be brief."},
                              {"role": "user", "content": "Hi?"}, {"role": "assistant", "content": "Hello."}]},
    "prompt_completion": {"prompt": "Hi?", "completion": "Hello.", "system": "Be brief."},
    "gemini": {"systemInstruction": {"parts": [{"text": "Be brief."}]},
               "contents": [{"role": "user", "parts": [{"text": "Hi?"}]},
                            {"role": "model", "parts": [{"text": "Hello."}]}]},
    "sharegpt": {"conversations": [{"from": "system", "value": "Be brief."},
                                   {"from": "human", "value": "Hi?"}, {"from": "gpt", "value": "Hello."}]},
    "alpaca": {"instruction": "Hi?", "input": "", "output": "Hello.", "system": "Be brief."},
}
EXPECTED = {
    "messages": {"messages": [{"role": "system", "content": "Be brief."},
                              {"role": "user", "content": "Hi?"}, {"role": "assistant", "content": "Hello."}]},
    "prompt_completion": {"prompt": "Be brief.\n\nHi?", "completion": "Hello."},
    "gemini": {"systemInstruction": {"parts": [{"text": "Be brief."}]},
               "contents": [{"role": "user", "parts": [{"text": "Hi?"}]},
                            {"role": "model", "parts": [{"text": "Hello."}]}]},
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_shape_is_detected(tmp_path: Path, shape: str) -> None:
    assert inspect_source(write_jsonl(tmp_path / "d.jsonl", [SHAPES[shape]])).shape == shape


@pytest.mark.parametrize("target", list(EXPECTED))
@pytest.mark.parametrize("shape", list(SHAPES))
def test_known_shapes_convert_without_mapping(tmp_path: Path, shape: str, target: str) -> None:
    report = convert(write_jsonl(tmp_path / "d.jsonl", [SHAPES[shape]]), target, None, tmp_path / "out")
    assert report.rows_written_train == 1 and report.dropped == {}
    assert read_jsonl(report.train_path) == [EXPECTED[target]]
    assert validate_jsonl(report.train_path, target).ok


def test_alpaca_input_is_appended_to_the_instruction(tmp_path: Path) -> None:
    row = {"instruction": "Translate to French.", "input": "Good morning", "output": "Bonjour"}
    report = convert(write_jsonl(tmp_path / "a.jsonl", [row]), "messages", None, tmp_path / "o")
    assert read_jsonl(report.train_path)[0]["messages"][0]["content"] == "Translate to French.\n\nGood morning"


def test_plain_columns_with_mapping_from_csv_and_parquet(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    mapping = {"prompt": "question", "completion": "answer"}
    report = convert(write_csv(tmp_path / "qa.csv", QA), "prompt_completion", mapping, tmp_path / "a")
    assert read_jsonl(report.train_path) == [{"prompt": r["question"], "completion": r["answer"]} for r in QA]
    pq.write_table(pa.Table.from_pylist(QA), tmp_path / "qa.parquet")
    report = convert(tmp_path / "qa.parquet", "gemini", mapping, tmp_path / "b")
    assert report.rows_written_train == 4 and validate_jsonl(report.train_path, "gemini").ok


def test_empty_none_whitespace_rows_are_dropped_by_reason(tmp_path: Path) -> None:
    rows = [*QA, {"question": "   ", "answer": "x"}, {"question": None, "answer": "x"},
            {"answer": "no question"}, {"question": "q?", "answer": ""},
            {"question": "q2?", "answer": "\t\n"}, QA[0]]
    report = convert(write_jsonl(tmp_path / "d.jsonl", rows), "messages",
                     {"prompt": "question", "completion": "answer"}, tmp_path / "o")
    assert report.rows_in == 10 and report.rows_written_train == 4
    assert report.dropped == {"empty prompt": 3, "empty completion": 2, "duplicate": 1}


def test_nan_cells_are_dropped_and_numbers_become_text(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"q": ["one?", "two?", "three?"], "a": pa.array([1.5, float("nan"), None])})
    pq.write_table(table, tmp_path / "n.parquet")
    report = convert(tmp_path / "n.parquet", "prompt_completion", {"prompt": "q", "completion": "a"},
                     tmp_path / "o")
    assert read_jsonl(report.train_path) == [{"prompt": "one?", "completion": "1.5"}]
    assert report.dropped == {"empty completion": 2}


def test_conversations_with_bad_turns_are_dropped_by_reason(tmp_path: Path) -> None:
    good = SHAPES["messages"]
    rows = [good,
            {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "  "}]},
            {"messages": [{"role": "user", "content": "a"}, {"role": "robot", "content": "b"}]},
            {"messages": [{"role": "assistant", "content": "a"}, {"role": "user", "content": "b"}]},
            {"messages": [{"role": "user", "content": "a"}]}]
    report = convert(write_jsonl(tmp_path / "m.jsonl", rows), "gemini", None, tmp_path / "o")
    assert report.rows_written_train == 1
    assert report.dropped == {"empty turn": 1, "unknown role": 1, "roles out of order": 1,
                              "does not end with a model turn": 1}


def test_multi_turn_cannot_become_prompt_completion(tmp_path: Path) -> None:
    two = {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"},
                        {"role": "user", "content": "c"}, {"role": "assistant", "content": "d"}]}
    report = convert(write_jsonl(tmp_path / "m.jsonl", [two, SHAPES["messages"]]), "prompt_completion",
                     None, tmp_path / "o")
    assert report.dropped == {"multi-turn (prompt_completion holds one exchange)": 1}


def test_over_long_examples_are_dropped_for_the_model(tmp_path: Path) -> None:
    from knowledge import find_model

    model = find_model("gemma 3 1b it")
    assert model is not None and model.category == "open"
    ratio = next(s.tokens_per_char for s in model.modes.values() if s.tokens_per_char)
    too_many = int(model.max_seq_len / ratio) + 10
    rows = [QA[0], {"question": "q?", "answer": "x" * too_many}]
    report = convert(write_jsonl(tmp_path / "d.jsonl", rows), "messages",
                     {"prompt": "question", "completion": "answer"}, tmp_path / "o", model="gemma 3 1b it")
    assert report.rows_written_train == 1 and report.dropped == {f"too long for {model.display_name}": 1}


def test_mapping_naming_a_missing_column_lists_the_real_ones(tmp_path: Path) -> None:
    with pytest.raises(DataError) as err:
        convert(write_csv(tmp_path / "qa.csv", QA), "messages", {"prompt": "questoin", "completion": "answer"},
                tmp_path / "o")
    assert "'questoin'" in err.value.message and "question, answer" in (err.value.hint or "")
    assert not (tmp_path / "o" / "train.jsonl").exists()


def test_plain_columns_without_mapping_ask_for_one(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="need a mapping"):
        convert(write_csv(tmp_path / "qa.csv", QA), "messages", None, tmp_path / "o")


def test_parquet_list_and_struct_columns_are_refused(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"question": ["q?"], "tags": [["a", "b"]], "meta": [{"k": "v"}]})
    pq.write_table(table, tmp_path / "nested.parquet")
    found = inspect_source(tmp_path / "nested.parquet")
    assert dict((c.name, c.type) for c in found.columns)["tags"].startswith("list")
    with pytest.raises(DataError, match="column 'tags' holds list<") as err:
        convert(tmp_path / "nested.parquet", "messages", {"prompt": "question", "completion": "tags"},
                tmp_path / "o")
    assert "question" in (err.value.hint or "")
    with pytest.raises(DataError, match="column 'meta' holds struct<"):
        convert(tmp_path / "nested.parquet", "messages", {"prompt": "question", "completion": "meta"},
                tmp_path / "o")
    assert list((tmp_path / "o").glob("*")) == []


def test_failure_midway_leaves_no_half_written_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.jsonl"
    lines = [json.dumps({"question": f"q{i}?", "answer": f"a{i}"}) for i in range(120)]
    lines[99] = "{not json"  # after the first rows are already written
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="line 100"):
        convert(path, "messages", {"prompt": "question", "completion": "answer"}, tmp_path / "o",
                validation_split=0.2)
    assert list((tmp_path / "o").iterdir()) == []


def test_split_is_seeded_and_deterministic(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "m.jsonl", messages_rows(200))
    a = convert(src, "messages", None, tmp_path / "a", validation_split=0.1, seed=1)
    b = convert(src, "messages", None, tmp_path / "b", validation_split=0.1, seed=1)
    c = convert(src, "messages", None, tmp_path / "c", validation_split=0.1, seed=2)
    assert Path(a.validation_path or "").read_bytes() == Path(b.validation_path or "").read_bytes()
    assert Path(a.validation_path or "").read_bytes() != Path(c.validation_path or "").read_bytes()
    assert a.rows_written_train + a.rows_written_val == 200 and 5 <= a.rows_written_val <= 40
    assert a.split_adjustments == []


def test_validation_over_25_percent_of_training_bytes_is_shrunk(tmp_path: Path) -> None:
    from knowledge import load_catalog

    ratio = load_catalog().limits.validation_max_bytes_ratio
    src = write_jsonl(tmp_path / "m.jsonl", messages_rows(400))
    report = convert(src, "messages", None, tmp_path / "o", validation_split=0.45, seed=3)
    train, val = Path(report.train_path), Path(report.validation_path or "")
    assert val.stat().st_size <= ratio * train.stat().st_size
    assert val.stat().st_size == report.bytes_val and train.stat().st_size == report.bytes_train
    assert len(read_jsonl(val)) == report.rows_written_val
    assert report.rows_written_train + report.rows_written_val == 400
    # Said neutrally (the 45 % asked for is not a fault in the data): what validation holds, why, where the rest went.
    said = report.split_adjustments
    assert len(said) == 1 and said[0].startswith(f"Validation holds {report.rows_written_val:,} rows, the most")
    assert f"at most {ratio:.0%} of the training file's size" in said[0]
    assert f"the other {180 - report.rows_written_val:,} go to training" in said[0]
    assert "broke" not in said[0] and "limit is" not in said[0]


def test_split_writer_caps_validation_rows(tmp_path: Path) -> None:
    from tools.data.limits import SplitLimits
    from tools.data.split import SplitWriter

    writer = SplitWriter(tmp_path / "o", 0.2, seed=5, limits=SplitLimits(max_rows=7,
                                                                         max_bytes_ratio=0.25))
    for i in range(300):
        writer.write(json.dumps({"prompt": f"p{i}", "completion": f"c{i}"}).encode() + b"\n")
    train, val = writer.finish()
    assert writer.val_rows == 7 and writer.train_rows == 293
    assert val is not None and len(read_jsonl(val)) == 7 and len(read_jsonl(train)) == 293
    assert writer.adjustments[0].startswith("Validation holds 7 rows, the most the service accepts; the other 53 "
                                            "go to training (60 were drawn")
    assert sorted(r["prompt"] for r in read_jsonl(val) + read_jsonl(train)) == sorted(f"p{i}" for i in range(300))


def test_real_catalog_row_limit_applies(tmp_path: Path) -> None:
    from knowledge import load_catalog

    max_rows = load_catalog().limits.validation_max_rows
    rows = max_rows + 1000
    src = tmp_path / "many.jsonl"
    src.write_text("".join(f'{{"prompt":"p{i}","completion":"c{i}"}}\n' for i in range(rows)), encoding="utf-8")
    report = split_file(src, tmp_path / "o", 0.5, target_format="prompt_completion")
    assert report.rows_written_val <= max_rows
    assert report.rows_written_val + report.rows_written_train == rows
    assert report.bytes_val <= 0.25 * report.bytes_train


def test_gemini_split_uses_gemini_limits(tmp_path: Path) -> None:
    rows = [{"contents": [{"role": "user", "parts": [{"text": f"q{i}"}]},
                          {"role": "model", "parts": [{"text": f"a{i}"}]}]} for i in range(50)]
    report = split_file(write_jsonl(tmp_path / "g.jsonl", rows), tmp_path / "o", 0.4, target_format="gemini")
    # Under 1000 validation rows Gemini has no ratio limit, so the drawn split stands.
    assert report.split_adjustments == [] and report.rows_written_val > 10


def test_no_validation_file_is_left_from_an_earlier_conversion(tmp_path: Path) -> None:
    """Converting again into the same folder without a validation split removes the earlier validation
    file: a later upload must not find rows of the old split next to the new training file."""
    src = tmp_path / "qa.jsonl"
    src.write_text("".join(json.dumps({"prompt": f"Q{i}?", "completion": f"A{i}."}) + "\n" for i in range(40)))
    first = convert(src, "messages", None, tmp_path / "out", validation_split=0.2)
    assert first.validation_path and Path(first.validation_path).exists()
    second = convert(src, "messages", None, tmp_path / "out", validation_split=0.0)
    assert second.validation_path is None and second.rows_written_train == 40
    assert not (tmp_path / "out" / "validation.jsonl").exists()
