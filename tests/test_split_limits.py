"""The validation file meets the service limits exactly: never over, and never trimmed more than needed.

The limits come from the catalog (`split_limits`), and each expected count is worked out
here from the rule as the service states it, not from the code: open models allow
validation up to 25% of the training file's bytes and 5000 rows; Gemini allows 5000 rows,
and above 1000 rows at most 30% as many rows as training.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from knowledge import load_catalog
from tools.data.limits import SplitLimits, split_limits
from tools.data.split import SplitWriter


def line(i: int, width: int) -> bytes:
    """One JSONL row of exactly `width` bytes (newline included)."""
    head = json.dumps({"i": i, "t": ""})[:-2]
    pad = width - len(head) - 3
    text = (head + "x" * pad + '"}\n').encode()
    assert len(text) == width
    return text


def split_all_to_validation(out: Path, rows: list[bytes], limits: SplitLimits,
                            split: float = 0.999999) -> SplitWriter:
    """Draw (nearly) every row for validation, so the limit alone decides what stays."""
    writer = SplitWriter(out, split, seed=1, limits=limits)
    for row in rows:
        writer.write(row)
    writer.finish()
    return writer


def counted(path: Path | None) -> tuple[int, int]:
    if path is None or not path.exists():
        return 0, 0
    data = path.read_bytes()
    return data.count(b"\n"), len(data)


def check_files_agree(writer: SplitWriter, total_rows: int) -> tuple[int, int, int, int]:
    val_rows, val_bytes = counted(writer.val_final)
    train_rows, train_bytes = counted(writer.train_final)
    assert (val_rows, val_bytes) == (writer.val_rows, writer.val_bytes)
    assert (train_rows, train_bytes) == (writer.train_rows, writer.train_bytes)
    assert val_rows + train_rows == total_rows  # nothing lost, nothing doubled
    return val_rows, val_bytes, train_rows, train_bytes


def test_the_limits_come_from_the_catalog() -> None:
    limits = load_catalog().limits
    open_ = split_limits("messages")
    assert (open_.max_rows, open_.max_bytes_ratio) == (limits.validation_max_rows,
                                                       limits.validation_max_bytes_ratio)
    gemini = split_limits("gemini")
    assert (gemini.max_rows, gemini.max_rows_ratio) == (limits.gemini_validation_max_rows,
                                                        limits.gemini_validation_max_ratio)


def test_open_byte_trim_keeps_exactly_the_rows_that_fit(tmp_path: Path) -> None:
    ratio = split_limits("messages").max_bytes_ratio
    assert ratio is not None
    rows = [line(i, 100) for i in range(200)]
    writer = split_all_to_validation(tmp_path, rows, split_limits("messages"))
    val_rows, val_bytes, _, train_bytes = check_files_agree(writer, 200)
    # The most rows k with k*100 <= ratio * (200-k)*100.
    expected = math.floor(ratio * 200 / (1 + ratio))
    assert val_rows == expected
    assert val_bytes <= ratio * train_bytes  # within the limit...
    assert (val_bytes + 100) > ratio * (train_bytes - 100)  # ...and one more row would break it


def test_open_byte_trim_with_uneven_rows_stops_at_the_last_row_that_fits(tmp_path: Path) -> None:
    ratio = split_limits("messages").max_bytes_ratio
    assert ratio is not None
    widths = [60 + (i * 37) % 140 for i in range(300)]
    rows = [line(i, w) for i, w in enumerate(widths)]
    writer = split_all_to_validation(tmp_path, rows, split_limits("messages"))
    val_rows, val_bytes, _, train_bytes = check_files_agree(writer, 300)
    assert val_bytes <= ratio * train_bytes
    next_row = widths[val_rows]  # the first row moved to training, in draw order
    assert val_bytes + next_row > ratio * (train_bytes - next_row)


def test_open_rows_limit_at_both_bounds(tmp_path: Path) -> None:
    limits = SplitLimits(max_rows=50)  # the rows rule alone
    writer = split_all_to_validation(tmp_path / "over", [line(i, 50) for i in range(80)], limits)
    assert check_files_agree(writer, 80)[0] == 50
    writer = split_all_to_validation(tmp_path / "at", [line(i, 50) for i in range(50)], limits)
    assert check_files_agree(writer, 50)[0] == 50
    assert writer.adjustments == []  # at the limit: nothing moved, nothing said


def test_the_catalog_rows_limit_is_exact(tmp_path: Path) -> None:
    max_rows = split_limits("messages").max_rows
    limits = SplitLimits(max_rows=max_rows)
    writer = split_all_to_validation(tmp_path, [line(i, 30) for i in range(max_rows + 1)], limits)
    assert check_files_agree(writer, max_rows + 1)[0] == max_rows


def test_gemini_rows_ratio_trim_keeps_exactly_the_allowed_rows(tmp_path: Path) -> None:
    limits = split_limits("gemini")
    ratio = limits.max_rows_ratio
    assert ratio is not None
    total = 6000  # enough that 30% of training is above the 1000-row floor
    writer = split_all_to_validation(tmp_path, [line(i, 40) for i in range(total)], limits)
    val_rows, _, train_rows, _ = check_files_agree(writer, total)
    assert val_rows == math.floor(ratio * total / (1 + ratio)) > 1000
    assert val_rows <= ratio * train_rows
    assert val_rows + 1 > ratio * (train_rows - 1)
    assert "as many rows as training" in " ".join(writer.adjustments)


def test_gemini_rows_ratio_does_not_apply_at_1000_rows(tmp_path: Path) -> None:
    limits = split_limits("gemini")
    assert limits.rows_ratio_above == 1000
    # 1000 validation rows and (almost) no training rows: far above 30%, but allowed at 1000.
    writer = split_all_to_validation(tmp_path, [line(i, 40) for i in range(1000)], limits)
    val_rows, _, train_rows, _ = check_files_agree(writer, 1000)
    assert val_rows == 1000 - train_rows and val_rows >= 999
    assert writer.adjustments == []


def test_gemini_rows_ratio_floor_is_1000_rows(tmp_path: Path) -> None:
    """Above 1000 rows the trim never goes below 1000 (the ratio only bites above it)."""
    limits = split_limits("gemini")
    writer = split_all_to_validation(tmp_path, [line(i, 40) for i in range(1500)], limits)
    val_rows, _, train_rows, _ = check_files_agree(writer, 1500)
    assert val_rows == 1000 and train_rows == 500


def test_abort_leaves_no_file_behind(tmp_path: Path) -> None:
    writer = SplitWriter(tmp_path, 0.5, seed=1, limits=split_limits("messages"))
    for i in range(10):
        writer.write(line(i, 40))
    writer.abort()
    assert list(tmp_path.iterdir()) == []
    assert writer._train.closed and writer._all.closed  # type: ignore[attr-defined]  # no handle leaks


def test_abort_without_validation_leaves_no_file_behind(tmp_path: Path) -> None:
    writer = SplitWriter(tmp_path, 0.0, seed=1, limits=None)
    writer.write(line(0, 40))
    writer.abort()
    assert list(tmp_path.iterdir()) == []


def test_gemini_rows_ratio_counts_the_training_rows_too(tmp_path: Path) -> None:
    """The 30% is of the training rows drawn as well as those moved there (the whole file)."""
    limits = split_limits("gemini")
    ratio = limits.max_rows_ratio
    assert ratio is not None
    total = 8000
    writer = SplitWriter(tmp_path, 0.4, seed=2, limits=limits)  # about 3200 validation, 4800 training
    for i in range(total):
        writer.write(line(i, 40))
    writer.finish()
    val_rows, _, train_rows, _ = check_files_agree(writer, total)
    assert val_rows == math.floor(ratio * total / (1 + ratio))
    assert val_rows <= ratio * train_rows < val_rows + 1 + ratio


def test_open_byte_trim_keeps_a_row_that_fits_to_the_byte(tmp_path: Path) -> None:
    """At exactly the allowed share of bytes the last row stays (the limit is inclusive)."""
    ratio = split_limits("messages").max_bytes_ratio
    assert ratio == 0.25  # 40 rows of 100 bytes against 160: exactly 25%
    writer = SplitWriter(tmp_path, 0.999999, seed=1, limits=split_limits("messages"))
    for i in range(200):
        writer.write(line(i, 100))
    writer.finish()
    val_rows, val_bytes, _, train_bytes = check_files_agree(writer, 200)
    assert (val_rows, val_bytes, train_bytes) == (40, 4000, 16000)


def test_files_are_written_under_hidden_temporary_names_in_the_output_folder(tmp_path: Path) -> None:
    """Until `finish`, only hidden `.NAME.*.tmp` files exist, beside their final names (same disk,
    so the rename is atomic); a missing output folder is created, parents included."""
    out = tmp_path / "a" / "b"
    writer = SplitWriter(out, 0.5, seed=1, limits=None)
    for i in range(20):
        writer.write(line(i, 40))
    during = sorted(p.name for p in out.iterdir())
    assert len(during) == 2, during
    assert during[0].startswith(".train.jsonl.") and during[0].endswith(".tmp"), during
    assert during[1].startswith(".validation.jsonl.") and during[1].endswith(".tmp"), during
    assert writer.train_tmp.parent == out and writer.all_tmp is not None and writer.all_tmp.parent == out
    train, val = writer.finish()
    assert sorted(p.name for p in out.iterdir()) == ["train.jsonl", "validation.jsonl"]
    assert (train, val) == (out / "train.jsonl", out / "validation.jsonl")


@pytest.mark.parametrize("split", [1.0, 1.5, -0.1])
def test_a_split_outside_zero_to_below_one_is_refused(tmp_path: Path, split: float) -> None:
    with pytest.raises(ValueError, match="at least 0 and below 1"):
        SplitWriter(tmp_path, split, seed=1, limits=None)
    assert list(tmp_path.iterdir()) == []


def test_a_zero_split_writes_training_only_and_says_nothing(tmp_path: Path) -> None:
    writer = SplitWriter(tmp_path, 0.0, seed=1, limits=split_limits("messages"))
    for i in range(10):
        writer.write(line(i, 40))
    assert writer.finish() == (tmp_path / "train.jsonl", None)
    assert writer.adjustments == []
    assert [p.name for p in tmp_path.iterdir()] == ["train.jsonl"]


def test_no_row_drawn_means_no_validation_file_and_a_note(tmp_path: Path) -> None:
    writer = SplitWriter(tmp_path, 1e-9, seed=1, limits=None)
    writer.write(line(0, 40))
    assert writer.finish()[1] is None
    assert [p.name for p in tmp_path.iterdir()] == ["train.jsonl"]
    assert len(writer.adjustments) == 1 and "no validation file was written" in writer.adjustments[0]


def test_when_no_validation_row_fits_every_row_goes_to_training(tmp_path: Path) -> None:
    """The first validation row alone is over the bytes ratio: nothing fits, nothing is lost."""
    rows = [line(0, 1000)] + [line(i, 40) for i in range(1, 21)]
    writer = split_all_to_validation(tmp_path, rows, SplitLimits(max_rows=100,
                                                                 max_bytes_ratio=0.25))
    assert writer.val_rows == 0
    assert counted(writer.train_final) == (21, 1800)
    assert [p.name for p in tmp_path.iterdir()] == ["train.jsonl"]
    assert "no validation file was written" in writer.adjustments[-1], writer.adjustments


def test_the_note_gives_only_the_limits_that_were_broken(tmp_path: Path) -> None:
    """Exactly at the rows limit is not a broken rows limit: only the bytes ratio is named."""
    limits = SplitLimits(max_rows=4, max_bytes_ratio=0.25)
    writer = split_all_to_validation(tmp_path, [line(i, 100) for i in range(4)], limits)
    note = writer.adjustments[0]
    assert "the most the service accepts (the validation file may be at most 25% of the training file's size)" \
        in note, note
    assert "the most the service accepts;" not in note, note  # the rows limit was not what set the number


def test_the_note_quotes_the_share_before_and_after(tmp_path: Path) -> None:
    limits = SplitLimits(max_rows=1000, max_bytes_ratio=0.25)
    writer = SplitWriter(tmp_path, 0.5, seed=3, limits=limits)
    rows = [line(i, 100 if i % 2 else 300) for i in range(100)]
    writer._draw = lambda n: list(range(0, n, 2))  # type: ignore[method-assign]  # the long rows
    for row in rows:
        writer.write(row)
    drawn_val, drawn_train = sum(map(len, rows[::2])), sum(map(len, rows[1::2]))
    writer.finish()
    note = writer.adjustments[0]
    assert f"were drawn, {drawn_val / drawn_train:.2%} of the training file's bytes" in note, note
    assert f"({writer.val_bytes / writer.train_bytes:.2%} of the training file's" in note, note


def test_exactly_at_the_gemini_floor_the_ratio_is_not_reported(tmp_path: Path) -> None:
    """1000 validation rows is the floor of the Gemini ratio: never a broken limit, even with bytes."""
    limits = SplitLimits(max_rows=5000, max_rows_ratio=0.3, rows_ratio_above=1000,
                         max_bytes_ratio=0.25)
    writer = SplitWriter(tmp_path, 0.999999, seed=1, limits=limits)
    for i in range(1000):
        writer.write(line(i, 30))
    writer.finish()
    assert writer.adjustments, "the bytes ratio must trim"
    assert "may hold at most" not in writer.adjustments[0], writer.adjustments[0]


# -- per-model example length: the catalog's figures, per mode -----------------------------------


def test_an_unknown_model_is_refused_with_the_nearest_choices() -> None:
    from knowledge import nearest_supported
    from tools.data.limits import resolve_model
    from tools.errors import DataError

    suggestion = nearest_supported("nonsense-model-x")
    assert suggestion.alternatives
    with pytest.raises(DataError) as refused:
        resolve_model("nonsense-model-x")
    assert refused.value.message == f"unknown model 'nonsense-model-x': {suggestion.message}"
    names = ", ".join(m.display_name for m in suggestion.alternatives)
    assert refused.value.hint == f"Try one of: {names}"


def test_tokens_per_char_follows_the_catalog_for_the_mode() -> None:
    from knowledge import find_model
    from tools.data.limits import resolve_model, tokens_per_char

    llama = resolve_model("meta/llama3_1@llama-3.1-8b")
    modes = llama.modes
    peft, full = modes["PEFT_ADAPTER"].tokens_per_char, modes["FULL"].tokens_per_char
    assert peft != full
    assert tokens_per_char(llama, "PEFT_ADAPTER") == peft
    assert tokens_per_char(llama, "FULL") == full
    # Mode unknown or not offered: the smallest ratio, so nothing that fits some mode is dropped.
    assert tokens_per_char(llama) == min(peft, full)
    assert tokens_per_char(llama, "NO_SUCH_MODE") == min(peft, full)
    gemini = resolve_model("gemini-2.5-flash")
    assert tokens_per_char(gemini) == gemini.tokens_per_char
    local = find_model("local/gemma-3-270m")
    assert local is not None and tokens_per_char(local) is None


def test_the_length_limit_is_the_catalog_token_limit_in_characters() -> None:
    from tools.data.limits import length_limit, resolve_model, tokens_per_char

    assert length_limit(None) is None and length_limit("") is None
    llama = resolve_model("meta/llama3_1@llama-3.1-8b")
    limit = length_limit(llama.base_model)
    assert limit is not None
    assert (limit.model, limit.max_tokens) == (llama.display_name, llama.max_seq_len)
    ratio = tokens_per_char(llama)
    assert ratio is not None and limit.tokens_per_char == ratio
    assert limit.max_chars() == int(llama.max_seq_len / ratio)
    gemini = resolve_model("gemini-2.5-flash")
    limit = length_limit(gemini.id)
    assert limit is not None and (limit.model, limit.max_tokens) == (gemini.display_name, gemini.max_example_tokens)
    assert limit.max_chars() == int(gemini.max_example_tokens / gemini.tokens_per_char)


# -- resource limits checked before the work: NUL bytes, Parquet sizes from metadata ------------


def test_a_nul_byte_is_reported_at_its_first_position_counting_from_one() -> None:
    from tools.data.limits import check_nul
    from tools.errors import DataError

    check_nul("d.jsonl", b'{"a": "fine"}\n', 1)
    for raw, byte in ((b"\x00abc\n", 1), (b"ab\x00c\x00\n", 3)):
        with pytest.raises(DataError) as refused:
            check_nul("d.jsonl", raw, 7)
        assert refused.value.message.startswith(f"d.jsonl: line 7, byte {byte}: a NUL byte"), refused.value.message
        assert refused.value.hint == ("Remove the NUL bytes (e.g. `tr -d '\\000' < IN > OUT`) or fix the "
                                      "program that wrote the file.")


def parquet_metadata(groups: list[tuple[int, int]], chunk: int = 1024) -> object:
    """Parquet metadata as pyarrow exposes it: row groups of (total bytes, rows), one column each."""
    from types import SimpleNamespace

    def group(size: int, rows: int) -> object:
        column = SimpleNamespace(total_uncompressed_size=chunk, path_in_schema="text")
        return SimpleNamespace(total_byte_size=size, num_rows=rows, num_columns=1, column=[column].__getitem__)

    made = [group(size, rows) for size, rows in groups]
    return SimpleNamespace(num_row_groups=len(made), row_group=lambda g: made[g])


def test_the_parquet_file_size_limit_adds_up_every_row_group() -> None:
    from tools.data.limits import MAX_PARQUET_FILE_BYTES, parquet_batch_rows
    from tools.errors import DataError

    half = MAX_PARQUET_FILE_BYTES // 2
    rows = half // 1024  # 1 KiB per row: far below the per-row limit
    assert parquet_batch_rows("d.parquet", parquet_metadata([(half, rows), (half, rows)])) == 2048
    with pytest.raises(DataError, match="per file"):
        parquet_batch_rows("d.parquet", parquet_metadata([(half, rows), (half + 1, rows)]))
    with pytest.raises(DataError, match="per file"):
        parquet_batch_rows("d.parquet", parquet_metadata([(half + 1, rows)] * 3))


def test_a_parquet_row_size_limit_is_inclusive_and_names_the_row_group() -> None:
    """8 MiB per row is allowed; a byte more per row, in any row group, is refused by number."""
    from tools.data.limits import MAX_ROW_BYTES, parquet_batch_rows
    from tools.errors import DataError

    small = (1024 * 10, 10)
    assert parquet_batch_rows("d.parquet", parquet_metadata([small, (MAX_ROW_BYTES * 2, 2)])) == 2
    with pytest.raises(DataError) as refused:
        parquet_batch_rows("d.parquet", parquet_metadata([small, (9 * 2**20 * 2, 2)]))
    assert refused.value.message == ("d.parquet: row group 2 holds 9.0 MiB per row once decompressed; "
                                     "the limit is 8 MiB per row (row size)")
    assert refused.value.hint == ("A tuning example is far smaller: check that the right columns were "
                                  "written, or drop the oversized rows.")
    with pytest.raises(DataError, match="row group 1 holds"):
        parquet_batch_rows("d.parquet", parquet_metadata([((MAX_ROW_BYTES + 1) * 3, 3)]))


def test_a_parquet_column_chunk_limit_is_inclusive_and_names_the_column() -> None:
    from tools.data.limits import MAX_PARQUET_CHUNK_BYTES, parquet_batch_rows
    from tools.errors import DataError

    rows = (1024 * 10, 10)
    assert parquet_batch_rows("d.parquet", parquet_metadata([rows], chunk=MAX_PARQUET_CHUNK_BYTES)) == 2048
    with pytest.raises(DataError, match="per column chunk"):
        parquet_batch_rows("d.parquet", parquet_metadata([rows], chunk=MAX_PARQUET_CHUNK_BYTES + 1))
    with pytest.raises(DataError) as refused:
        parquet_batch_rows("d.parquet", parquet_metadata([rows, rows], chunk=300 * 2**20))
    assert refused.value.message == ("d.parquet: column 'text' in row group 1 is 300 MiB once decompressed; "
                                     "the limit is 256 MiB per column chunk (Parquet chunk size)")
    assert refused.value.hint == ("Rewrite the file with smaller row groups (e.g. pyarrow's "
                                  "row_group_size=10000).")


def test_the_parquet_file_size_refusal_says_how_big_and_what_to_do() -> None:
    from tools.data.limits import MAX_PARQUET_FILE_BYTES, parquet_batch_rows
    from tools.errors import DataError

    rows = MAX_PARQUET_FILE_BYTES // 1024
    with pytest.raises(DataError) as refused:
        parquet_batch_rows("d.parquet", parquet_metadata([(MAX_PARQUET_FILE_BYTES + 2**29, rows)]))
    assert refused.value.message == ("d.parquet: 32.5 GiB once decompressed; the limit is 32 GiB per file "
                                     "(file size)")
    assert refused.value.hint == "Split the data into several files and tune on a sample first."


def test_parquet_batches_hold_16_mib_of_the_widest_rows_and_at_most_2048_rows() -> None:
    """The batch size follows from the widest row group, wherever it is; tiny rows cap at 2048."""
    from tools.data.limits import parquet_batch_rows

    wide = (4 * 2**20 * 3, 3)  # 4 MiB per row: 16 MiB holds 4 rows
    narrow = (100 * 50, 50)
    assert parquet_batch_rows("d.parquet", parquet_metadata([wide, narrow])) == 4
    assert parquet_batch_rows("d.parquet", parquet_metadata([narrow, wide])) == 4
    assert parquet_batch_rows("d.parquet", parquet_metadata([(3 * 2**20 * 2, 2)])) == 5  # 16 // 3
    assert parquet_batch_rows("d.parquet", parquet_metadata([(8192 * 10, 10)])) == 2048
    assert parquet_batch_rows("d.parquet", parquet_metadata([(8193 * 10, 10)])) == 2047
    # an empty row group counts as one row, so its bytes still count as a row's
    assert parquet_batch_rows("d.parquet", parquet_metadata([(2 * 2**20, 0)])) == 8
    assert parquet_batch_rows("d.parquet", parquet_metadata([])) == 2048


def test_the_column_limit_is_inclusive_and_the_refusal_says_what_to_keep() -> None:
    from tools.data.limits import MAX_COLUMNS, check_columns
    from tools.errors import DataError

    check_columns("d.csv", MAX_COLUMNS)
    with pytest.raises(DataError) as refused:
        check_columns("d.csv", MAX_COLUMNS + 1)
    assert refused.value.message == "d.csv: the header has 1,001 columns; the limit is 1,000 (column count)"
    assert refused.value.hint == ("Keep only the prompt, answer (and system) columns, e.g. with "
                                  "`cut -d, -f1,2 IN > OUT` or pandas, and use that file.")
    with pytest.raises(DataError) as schema:
        check_columns("d.parquet", 2000, "the schema")
    assert schema.value.message.startswith("d.parquet: the schema has 2,000 columns;")


@pytest.mark.parametrize(("flag", "server"), [("1", True), ("0", False), ("", False), ("true", False)])
def test_only_the_server_flag_1_applies_the_server_json_limit(monkeypatch: pytest.MonkeyPatch, flag: str,
                                                             server: bool) -> None:
    from tools.data import limits

    monkeypatch.setenv(limits.SERVER_MODE_ENV, flag)
    assert limits.server_mode() is server
    assert limits.json_max_bytes(1 << 30) == (limits.SERVER_MAX_JSON_BYTES if server else 1 << 30)
    assert limits.json_max_bytes(1000) == 1000  # a smaller limit is kept either way
    monkeypatch.delenv(limits.SERVER_MODE_ENV)
    assert not limits.server_mode() and limits.json_max_bytes(1 << 30) == 1 << 30


def write_drawn(writer: SplitWriter, val: list[bytes], train: list[bytes]) -> None:
    """Write rows with the draw fixed: `val` to validation, `train` to training (in that order)."""
    writer._draw = lambda n: list(range(len(val)))  # type: ignore[method-assign]
    for row in val + train:
        writer.write(row)


def test_a_limit_met_exactly_is_not_named_as_broken(tmp_path: Path) -> None:
    """Rows cut to 4 by the rows limit, and 4 rows fit the bytes ratio exactly: only rows is named."""
    writer = SplitWriter(tmp_path / "bytes", 0.5, seed=1,
                         limits=SplitLimits(max_rows=4, max_bytes_ratio=0.25))
    write_drawn(writer, [line(i, 100) for i in range(6)], [line(i, 100) for i in range(16)])
    writer.finish()
    assert writer.val_rows == 4
    assert "training file's bytes and the limit" not in writer.adjustments[0], writer.adjustments
    # Gemini: 1200 of 5200 rows is exactly 30% of training; the bytes ratio cuts further.
    writer = SplitWriter(tmp_path / "gemini", 0.5, seed=1, limits=SplitLimits(
        max_rows=5000, max_rows_ratio=0.3, rows_ratio_above=1000, max_bytes_ratio=0.01))
    write_drawn(writer, [line(i, 30) for i in range(1200)], [line(i, 30) for i in range(4000)])
    writer.finish()
    assert writer.val_rows < 1200
    assert "may hold at most" not in writer.adjustments[0], writer.adjustments


# -- the chat's proposal already fits the service limits ----------------------------------------------


@pytest.mark.parametrize("category", ["open", "gemini"])
def test_the_proposed_share_of_a_large_file_fits_the_row_limit(category: str) -> None:
    """97k rows at the usual 20 % would be 19,400 validation rows: the card proposes the largest share
    that stays within the service's row limit instead, and says why."""
    from graph.nodes import split
    from knowledge import load_catalog
    from tools.data.split import validation_rows

    limits = load_catalog().limits
    cap = limits.gemini_validation_max_rows if category == "gemini" else limits.validation_max_rows
    update = split.run({"dataset": {"rows": 97_000}, "category": category, "facts": {}}, None)  # type: ignore[arg-type]
    share = update["pending"]["args"]["validation_split"]
    assert validation_rows(97_000, share) <= cap < validation_rows(97_000, share + 0.001)
    text = update["pending"]["description"]
    assert f"**{split.pct(share)}** ({validation_rows(97_000, share):,} rows)" in text
    assert f"not the usual {split.pct(limits.proposed_validation_split)}" in text and f"{cap:,}" in text


def test_a_small_file_gets_the_usual_share() -> None:
    from graph.nodes import split
    from knowledge import load_catalog

    update = split.run({"dataset": {"rows": 400}, "category": "open", "facts": {}}, None)  # type: ignore[arg-type]
    assert update["pending"]["args"]["validation_split"] == load_catalog().limits.proposed_validation_split
    assert "not the usual" not in update["pending"]["description"]


@pytest.mark.parametrize(("rows", "share", "held_out"), [
    (25, 0.1, 3),    # round(2.5), halves up
    (20, 0.01, 1),   # at least one row when anything is asked for …
    (2, 0.01, 1),    # … also of two rows
    (2, 0.5, 1),
    (1, 0.5, 0),     # none of one row: it must train
    (10, 0.0, 0),    # no share, no rows
    (3, 0.5, 2),
])
def test_rows_held_out_are_round_rows_times_share(rows: int, share: float, held_out: int) -> None:
    """The number the split card and the README promise: round(rows × share), halves up, at least 1,
    none of a single row and none for a zero share."""
    from tools.data.split import validation_rows

    assert validation_rows(rows, share) == held_out


def test_a_zero_split_reports_the_training_file_size(tmp_path: Path) -> None:
    """Without a split, the training bytes the report gives (and the cost card reads) are the file's size."""
    writer = SplitWriter(tmp_path, 0.0, seed=1, limits=None)
    for i in range(7):
        writer.write(line(i, 40 + i))
    writer.finish()
    assert writer.train_rows == 7 and writer.train_bytes == (tmp_path / "train.jsonl").stat().st_size == 301


def test_abort_twice_or_after_the_files_vanished_is_quiet(tmp_path: Path) -> None:
    """Abort runs while an error is already being handled: it must never raise a second one."""
    writer = SplitWriter(tmp_path, 0.5, seed=1, limits=None)
    writer.write(line(0, 40))
    writer.abort()
    writer.abort()  # the temporary files are gone already
    assert list(tmp_path.iterdir()) == []
