"""URI helpers shared by both storage backends, and the first-records preview of dataset heads."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tools.errors import ToolError
from tools.storage_paths import bucket_name, job_prefix, join_uri, split_uri
from tools.storage_preview import HEAD_BYTES, preview_parquet, preview_text


def test_split_uri() -> None:
    assert split_uri("gs://b/a/c.jsonl") == ("gs", "b", "a/c.jsonl")
    assert split_uri("gs://b") == ("gs", "b", "")
    assert split_uri("local://my.bucket/x/") == ("local", "my.bucket", "x/")
    for bad in ("b/a.jsonl", "gs:///a", "/tmp/x", ""):
        with pytest.raises(ToolError, match="Not a storage URI"):
            split_uri(bad)


def test_bucket_name_is_kept_verbatim() -> None:
    assert bucket_name("gs://My_Bucket.v2/") == "My_Bucket.v2"
    assert bucket_name("  team-data ") == "team-data"
    assert bucket_name("local://x", "local") == "x"
    with pytest.raises(ToolError):
        bucket_name("gs://b/folder")
    with pytest.raises(ToolError):
        bucket_name("gs://")
    assert join_uri("gs", "b", "/k/x") == "gs://b/k/x"


def test_job_prefix_timestamps() -> None:
    assert job_prefix("gs", "b", datetime(2025, 3, 4, 5, 6, 7)) == "gs://b/tuning_agent_job_20250304_050607/"
    paris = timezone(timedelta(hours=2))
    assert job_prefix("local", "local://b", datetime(2025, 3, 4, 5, 6, 7, tzinfo=paris)) == \
        "local://b/tuning_agent_job_20250304_030607/"
    now = job_prefix("gs", "b")
    assert now.startswith(f"gs://b/tuning_agent_job_{datetime.now(UTC):%Y%m%d}")


def test_jsonl_head_drops_the_cut_line() -> None:
    lines = [json.dumps({"prompt": "p" * 50, "n": i}) for i in range(10)]
    text = "\n".join(lines).encode()
    records, columns = preview_text(text[:200], "jsonl", complete=False)
    assert columns == ["prompt", "n"]
    assert [r["n"] for r in records] == list(range(len(records))) and 1 <= len(records) < 4
    records, _ = preview_text(text, "jsonl", complete=True)
    assert len(records) == 5  # a preview keeps five


def test_json_array_head_and_wrapped_object() -> None:
    text = json.dumps([{"q": i, "a": "x" * 30} for i in range(20)]).encode()
    records, columns = preview_text(text[:100], "json", complete=False)
    assert columns == ["q", "a"] and records[0] == {"q": 0, "a": "x" * 30} and len(records) == 2
    records, _ = preview_text(json.dumps({"data": [{"a": 1}, {"a": 2}]}).encode(), "json", complete=True)
    assert records == [{"a": 1}, {"a": 2}]
    records, _ = preview_text(b"[1, 2]", "json", complete=True)
    assert records == [{"value": 1}, {"value": 2}]


def test_csv_head_keeps_header_when_no_row_fits() -> None:
    records, columns = preview_text(b"text,label\n" + b"x" * 100, "csv", complete=False)
    assert (records, columns) == ([], ["text", "label"])
    cut_utf8 = "text\nh\u00e9llo\n".encode()[:-3]  # ends inside the two-byte é
    records, _ = preview_text(cut_utf8, "csv", complete=False)
    assert records == []


def test_parquet_preview_reads_through_a_file_object() -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.table({"a": [1, 2, 3], "b": [b"x", b"y", b"z"]}), buf)
    buf.seek(0)
    records, columns = preview_parquet(buf)
    assert columns == ["a", "b"] and records[0] == {"a": 1, "b": "x"} and len(records) == 3
    assert HEAD_BYTES == 64 * 1024
