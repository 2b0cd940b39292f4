"""Reading every source kind, and refusing bad input with a message that names file, line and column."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.data_fixtures import QA, write_csv, write_jsonl
from tests.gcs_fixtures import gcs_emulator_fixture  # noqa: F401 - pytest fixture
from tools.data import close_matches, inspect_source
from tools.errors import DataError


def test_csv_columns_types_samples_and_exact_count(tmp_path: Path) -> None:
    rows = [{"id": i, **qa} for i, qa in enumerate(QA)]
    found = inspect_source(write_csv(tmp_path / "qa.csv", rows), sample_rows=2)
    assert found.kind == "csv"
    assert [(c.name, c.type) for c in found.columns] == [
        ("id", "integer"), ("question", "string"), ("answer", "string")]
    assert found.row_count == 4 and found.row_count_exact
    assert found.samples == [{"id": "0", **QA[0]}, {"id": "1", **QA[1]}]
    assert found.shape == "plain"


def test_tsv(tmp_path: Path) -> None:
    found = inspect_source(write_csv(tmp_path / "qa.tsv", QA, delimiter="\t"))
    assert found.kind == "tsv" and found.column_names == ["question", "answer"]
    assert found.samples[0] == QA[0]


def test_json_array_and_object_of_records(tmp_path: Path) -> None:
    arr = tmp_path / "arr.json"
    arr.write_text(json.dumps(QA), encoding="utf-8")
    found = inspect_source(arr)
    assert found.kind == "json" and found.row_count == 4 and found.samples[0] == QA[0]

    obj = tmp_path / "obj.json"
    obj.write_text(json.dumps({f"k{i}": r for i, r in enumerate(QA)}), encoding="utf-8")
    assert inspect_source(obj).row_count == 4

    wrapped = tmp_path / "wrapped.json"
    wrapped.write_text(json.dumps({"data": QA}), encoding="utf-8")
    assert inspect_source(wrapped).samples[1] == QA[1]

    columnar = tmp_path / "columnar.json"
    columnar.write_text(json.dumps({"question": [r["question"] for r in QA],
                                    "answer": [r["answer"] for r in QA]}), encoding="utf-8")
    assert inspect_source(columnar).samples[2] == QA[2]


def test_jsonl_and_extensionless_sniffing(tmp_path: Path) -> None:
    found = inspect_source(write_jsonl(tmp_path / "qa.jsonl", QA))
    assert found.kind == "jsonl" and found.row_count == 4
    assert inspect_source(write_jsonl(tmp_path / "noext", QA)).kind == "jsonl"


def test_parquet_schema_types_and_metadata_count(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "qa.parquet"
    pq.write_table(pa.Table.from_pylist(QA), path)
    found = inspect_source(path)
    assert found.kind == "parquet" and found.row_count == 4 and found.row_count_exact
    assert {c.type for c in found.columns} == {"string"}


def test_large_csv_count_is_estimated_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tools.data.inspect as inspect_mod

    monkeypatch.setattr(inspect_mod, "EXACT_COUNT_BYTES", 1000)
    rows = [{"question": f"Question {i}?", "answer": f"Answer {i}"} for i in range(3000)]
    found = inspect_source(write_csv(tmp_path / "big.csv", rows))
    assert not found.row_count_exact and "Estimated" in found.row_count_note
    assert found.row_count is not None and 2500 < found.row_count < 3500


def test_gs_uri_through_the_storage_emulator(tmp_path: Path, gcs_emulator: str) -> None:
    from google.cloud import storage

    client = storage.Client()
    client.create_bucket("data-bucket")
    client.bucket("data-bucket").blob("sets/qa.jsonl").upload_from_string(
        "".join(json.dumps(r) + "\n" for r in QA))
    found = inspect_source("gs://data-bucket/sets/qa.jsonl")
    assert found.source == "gs://data-bucket/sets/qa.jsonl" and found.row_count == 4
    with pytest.raises(DataError, match="no such object"):
        inspect_source("gs://data-bucket/sets/missing.jsonl")


def test_local_uri_through_the_storage_download_callable(tmp_path: Path) -> None:
    stored = write_jsonl(tmp_path / "stored.jsonl", QA)
    calls: list[tuple[str, str]] = []

    def download(uri: str, local_path: str) -> str:
        calls.append((uri, local_path))
        Path(local_path).write_bytes(stored.read_bytes())
        return local_path

    found = inspect_source("local://bucket/qa.jsonl", storage_download=download)
    assert found.row_count == 4 and calls[0][0] == "local://bucket/qa.jsonl"
    with pytest.raises(DataError, match="local platform"):
        inspect_source("local://bucket/qa.jsonl")


def test_hugging_face_offline_fails_fast_and_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(DataError, match="HF_HUB_OFFLINE is set") as err:
        inspect_source("hf://tatsu-lab/alpaca?split=train")
    assert "local path" in (err.value.hint or "")


def test_hugging_face_unreachable_endpoint_fails_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket
    import time

    for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    started = time.monotonic()
    with pytest.raises(DataError, match="cannot reach"):
        inspect_source("hf://owner/name")
    assert time.monotonic() - started < 10


# -- bad input ------------------------------------------------------------------------------

def test_missing_file_offers_close_matches(tmp_path: Path) -> None:
    write_csv(tmp_path / "train_data.csv", QA)
    with pytest.raises(DataError) as err:
        inspect_source(tmp_path / "train_dta.csv")
    assert "no such file" in err.value.message and "train_data.csv" in (err.value.hint or "")
    assert close_matches(tmp_path / "train_dta.csv") == [str(tmp_path / "train_data.csv")]


def test_directory_empty_header_only_binary_utf16(tmp_path: Path) -> None:
    write_csv(tmp_path / "inside.csv", QA)
    with pytest.raises(DataError, match="is a directory") as err:
        inspect_source(tmp_path)
    assert "inside.csv" in (err.value.hint or "")
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(DataError, match="empty"):
        inspect_source(tmp_path / "empty.csv")
    (tmp_path / "header.csv").write_text("question,answer\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"header \(question, answer\) but no rows"):
        inspect_source(tmp_path / "header.csv")
    (tmp_path / "blob.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(DataError, match="binary file"):
        inspect_source(tmp_path / "blob.csv")
    (tmp_path / "wide.csv").write_bytes("question,answer\nq,a\n".encode("utf-16"))
    with pytest.raises(DataError, match="UTF-16"):
        inspect_source(tmp_path / "wide.csv")


def test_latin1_file_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("question,answer\nok,fine\nCafé?,Oui\n".encode("latin-1"))
    with pytest.raises(DataError) as err:
        inspect_source(path)
    assert "line 3, column 4" in err.value.message and "not valid UTF-8" in err.value.message
    assert "iconv" in (err.value.hint or "")


def test_utf8_bom_is_handled_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfquestion,answer\nq?,a\n")
    found = inspect_source(path)
    assert found.column_names == ["question", "answer"]
    assert found.encoding_note and "byte-order mark" in found.encoding_note


def test_json_that_is_not_records(tmp_path: Path) -> None:
    for name, body in (("scalars.json", "[1, 2, 3]"), ("str.json", '"hello"'),
                       ("mixed.json", '{"a": 1, "b": "x"}')):
        (tmp_path / name).write_text(body, encoding="utf-8")
        with pytest.raises(DataError, match=r"not an object|not records") as err:
            inspect_source(tmp_path / name)
        assert name in err.value.message


def test_jsonl_broken_line_in_the_middle(tmp_path: Path) -> None:
    path = tmp_path / "broken.jsonl"
    lines = [json.dumps(r) for r in QA]
    lines[2] = '{"question": "Who?", "answer": oops}'
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        inspect_source(path)
    assert "broken.jsonl: line 3, column" in err.value.message and "invalid JSON" in err.value.message


def test_line_over_the_cap_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    path.write_text(json.dumps(QA[0]) + "\n" + json.dumps({"question": "q" * 5000, "answer": "a"}) + "\n",
                    encoding="utf-8")
    with pytest.raises(DataError, match="line 2 is longer than 1,000 bytes"):
        inspect_source(path, max_line_bytes=1000)
    csv_path = write_csv(tmp_path / "long.csv", [{"q": "x" * 5000, "a": "y"}])
    with pytest.raises(DataError, match="line 2 is longer than 1,000 bytes"):
        inspect_source(csv_path, max_line_bytes=1000)


def test_a_renamed_workbook_or_pdf_is_named_by_its_content(tmp_path: Path) -> None:
    """`book.xlsx` saved as `book.csv` gets the same advice as the workbook (save it as CSV), not a
    message about binary files or unpacking."""
    import zipfile

    book = tmp_path / "book.csv"
    with zipfile.ZipFile(book, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(DataError) as err:
        inspect_source(book)
    assert "an Excel workbook (by its content" in err.value.message
    assert "CSV UTF-8" in (err.value.hint or "") and "book.csv" in (err.value.hint or "")
    (tmp_path / "paper.jsonl").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    with pytest.raises(DataError, match="a PDF document"):
        inspect_source(tmp_path / "paper.jsonl")


def test_a_few_stray_nul_bytes_are_named_by_line_not_called_binary(tmp_path: Path) -> None:
    """A CSV with a stray NUL byte is text with one bad line: the error names the line and byte and how to
    remove NULs; it does not call the file binary or compressed."""
    rows = "".join(f"Question {i}?,Answer {i}.\n" for i in range(60))
    path = tmp_path / "nul.csv"
    path.write_bytes(("question,answer\n" + rows).replace("Answer 7.", "Answer\x00 7.").encode())
    with pytest.raises(DataError) as err:
        inspect_source(path)
    assert "line 9, byte 19: a NUL byte" in err.value.message and "binary" not in err.value.message
    assert "tr -d" in (err.value.hint or "")


def test_an_object_left_open_is_named_on_its_own_line(tmp_path: Path) -> None:
    """A JSONL line whose object is never closed is reported at that line (and its end), as the
    validator reports it, not at column 1 of the next line."""
    lines = [json.dumps({"prompt": f"q{i}", "completion": f"a{i}"}) for i in range(30)]
    lines[20] = lines[20][:-1]
    path = tmp_path / "open.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError) as err:
        inspect_source(path)
    assert f"line 21, column {len(lines[20]) + 1}: invalid JSON" in err.value.message


@pytest.mark.parametrize("src", ["hf://../../etc", "hf://owner/../../x", "hf://a/b/c",
                                 "hf://.hidden/x"])
def test_a_hugging_face_id_never_names_a_path(src: str) -> None:
    """`datasets.load_dataset` reads a local folder when one has the id's name: an id that could be a path
    (`..`, more than OWNER/NAME, a leading dot or slash) is refused before anything is loaded."""
    from tools.data.sources import parse_hf

    with pytest.raises(DataError, match="is not a Hugging Face dataset id"):
        parse_hf(src)
    assert parse_hf("hf://tatsu-lab/alpaca?split=test").dataset_id == "tatsu-lab/alpaca"
