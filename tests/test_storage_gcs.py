"""GcsStorage against the real gcp-storage-emulator, through the real google-cloud-storage client."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.fake_admin import (
    FakeAdminServer,
    fake_admin_fixture,  # noqa: F401
)
from tests.gcs_fixtures import gcs_emulator_fixture  # noqa: F401
from tools.errors import CloudError, ToolError
from tools.vertex.storage import GcsStorage, new_job_prefix

CHUNK = 256 * 1024


@pytest.fixture
def storage(gcs_emulator: str) -> GcsStorage:
    gcs = GcsStorage("test-project", chunk_size=CHUNK)
    gcs.create_bucket("data")
    return gcs


@pytest.fixture
def http_log(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Record (and pass through) every HTTP request the storage client sends."""
    from google.auth.transport.requests import AuthorizedSession

    log: list[dict[str, Any]] = []
    real = AuthorizedSession.request

    def spy(self: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        log.append({"method": method, "url": url, "headers": dict(kwargs.get("headers") or {}),
                    "data": kwargs.get("data"), "json": kwargs.get("json")})
        return real(self, method, url, *args, **kwargs)

    monkeypatch.setattr(AuthorizedSession, "request", spy)
    return log


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def test_upload_reports_progress_and_verifies(storage: GcsStorage, tmp_path: Path) -> None:
    data = bytes(range(256)) * 2800  # 716,800 bytes: three chunks
    src = tmp_path / "train.jsonl"
    src.write_bytes(data)
    calls: list[tuple[int, int]] = []
    info = storage.upload(str(src), "gs://data/run/train.jsonl", progress=lambda d, t: calls.append((d, t)))
    assert info.uri == "gs://data/run/train.jsonl"
    assert info.size == len(data) and info.md5_base64 == md5_b64(data) and info.crc32c_base64
    assert calls == [(0, len(data)), (CHUNK, len(data)), (2 * CHUNK, len(data)), (len(data), len(data))]
    assert storage.stat("gs://data/run/train.jsonl") == info
    blob = storage.client.bucket("data").get_blob("run/train.jsonl")
    assert blob.content_type == "application/jsonl"


def test_second_upload_of_same_content_is_skipped(storage: GcsStorage, tmp_path: Path) -> None:
    src = tmp_path / "a.jsonl"
    src.write_text('{"x": 1}\n')
    first = storage.upload(str(src), "gs://data/a.jsonl")
    generation = storage.client.bucket("data").get_blob("a.jsonl").generation
    calls: list[tuple[int, int]] = []
    again = storage.upload(str(src), "gs://data/a.jsonl", progress=lambda d, t: calls.append((d, t)))
    assert again == first
    assert calls == [(first.size, first.size)]
    assert storage.client.bucket("data").get_blob("a.jsonl").generation == generation
    src.write_text('{"x": 2}\n')
    changed = storage.upload(str(src), "gs://data/a.jsonl")
    assert changed.md5_base64 != first.md5_base64
    assert storage.client.bucket("data").get_blob("a.jsonl").generation != generation


def test_file_changed_during_upload_fails_verification(storage: GcsStorage, tmp_path: Path) -> None:
    src = tmp_path / "moving.jsonl"
    src.write_bytes(b"a" * 1000)

    def rewrite(done: int, total: int) -> None:
        if done == 0:  # another process rewrites the file after its checksum was taken
            src.write_bytes(b"b" * 1000)

    with pytest.raises(CloudError, match="did not verify: MD5 and CRC32C differ") as info:
        storage.upload(str(src), "gs://data/moving.jsonl", progress=rewrite)
    assert info.value.retryable and info.value.status == "DATA_LOSS"


def test_empty_file_uploads(storage: GcsStorage, tmp_path: Path) -> None:
    src = tmp_path / "empty.jsonl"
    src.write_bytes(b"")
    info = storage.upload(str(src), "gs://data/empty.jsonl")
    assert info.size == 0 and info.md5_base64 == md5_b64(b"")


def test_upload_input_errors(storage: GcsStorage, tmp_path: Path) -> None:
    with pytest.raises(ToolError, match="File to upload not found"):
        storage.upload(str(tmp_path / "nope.jsonl"), "gs://data/x.jsonl")
    src = tmp_path / "x.jsonl"
    src.write_text("{}\n")
    with pytest.raises(ToolError, match="not an object path"):
        storage.upload(str(src), "gs://data/folder/")
    with pytest.raises(ToolError, match="Not a Cloud Storage URI"):
        storage.upload(str(src), "local://data/x.jsonl")
    with pytest.raises(CloudError) as info:
        storage.upload(str(src), "gs://no-such-bucket/x.jsonl")
    assert info.value.code == 404 and "gs://no-such-bucket" in (info.value.hint or "")


def test_stat_list_and_download(storage: GcsStorage, tmp_path: Path) -> None:
    for name in ("p/one.jsonl", "p/two.jsonl", "q/three.jsonl"):
        src = tmp_path / "src.jsonl"
        src.write_text(name)
        storage.upload(str(src), f"gs://data/{name}")
    assert storage.stat("gs://data/p/missing.jsonl") is None
    assert [o.uri for o in storage.list("gs://data/p/")] == ["gs://data/p/one.jsonl", "gs://data/p/two.jsonl"]
    assert len(storage.list("gs://data/")) == 3
    assert len(storage.list("gs://data/", limit=2)) == 2  # a huge bucket is never listed whole
    out = storage.download("gs://data/q/three.jsonl", str(tmp_path / "deep" / "dir" / "three.jsonl"))
    assert Path(out).read_text() == "q/three.jsonl"
    assert not list((tmp_path / "deep" / "dir").glob(".*part"))
    with pytest.raises(CloudError) as info:
        storage.download("gs://data/q/missing.jsonl", str(tmp_path / "m.jsonl"))
    assert info.value.code == 404 and info.value.status == "NOT_FOUND"
    assert not (tmp_path / "m.jsonl").exists()
    with pytest.raises(ToolError, match="names a bucket"):
        storage.stat("gs://data")


def test_buckets_are_used_exactly_as_named(storage: GcsStorage, http_log: list[dict[str, Any]]) -> None:
    storage.create_bucket("gs://my-team.datasets_2024", location="europe-west4")
    body = next(r["data"] or r["json"] for r in http_log if r["method"] == "POST" and r["url"].split("?")[0]
                .endswith("/storage/v1/b"))
    sent = json.loads(body) if isinstance(body, str | bytes) else body
    assert sent["name"] == "my-team.datasets_2024"
    assert sent["location"] == "europe-west4"
    assert sent["iamConfiguration"]["uniformBucketLevelAccess"]["enabled"] is True
    assert storage.bucket_exists("my-team.datasets_2024")
    assert storage.bucket_exists("gs://my-team.datasets_2024/")
    assert not storage.bucket_exists("my-team.datasets")
    assert sorted(storage.list_buckets()) == ["data", "my-team.datasets_2024"]
    with pytest.raises(CloudError) as info:
        storage.create_bucket("data")
    assert info.value.code == 409 and "global" in (info.value.hint or "")
    with pytest.raises(ToolError, match="Not a bucket name"):
        storage.create_bucket("gs://data/sub")


def test_job_prefix() -> None:
    assert new_job_prefix("gs://b", datetime(2025, 1, 2, 3, 4, 5)) == "gs://b/tuning_agent_job_20250102_030405/"


def _write_parquet(path: Path, rows: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"question": [f"q{i}" for i in range(rows)], "answer": [f"a{i}" for i in range(rows)]})
    pq.write_table(table, path, row_group_size=max(rows // 4, 1))


def test_search_datasets_reads_first_records(storage: GcsStorage, tmp_path: Path,
                                             http_log: list[dict[str, Any]]) -> None:
    big = tmp_path / "big.jsonl"
    big.write_text("".join(json.dumps({"prompt": f"p{i}" * 20, "completion": f"c{i}"}) + "\n"
                           for i in range(3000)))
    assert big.stat().st_size > 200_000
    storage.upload(str(big), "gs://data/sets/big.jsonl")
    array = tmp_path / "rows.json"
    array.write_text(json.dumps([{"input": f"i{i}", "output": f"o{i}"} for i in range(10)]))
    storage.upload(str(array), "gs://data/sets/rows.json")
    table = tmp_path / "t.csv"
    table.write_text("text,label\nhello,pos\n\"multi, comma\",neg\n")
    storage.upload(str(table), "gs://data/sets/t.csv")
    _write_parquet(tmp_path / "t.parquet", 40)
    storage.upload(str(tmp_path / "t.parquet"), "gs://data/sets/t.parquet")
    notes = tmp_path / "notes.txt"
    notes.write_text("not a dataset")
    storage.upload(str(notes), "gs://data/notes.txt")
    storage.create_bucket("other")
    storage.upload(str(table), "gs://other/more.csv")

    http_log.clear()
    found = {c.uri: c for c in storage.search_datasets()}
    assert set(found) == {"gs://data/sets/big.jsonl", "gs://data/sets/rows.json", "gs://data/sets/t.csv",
                          "gs://data/sets/t.parquet", "gs://other/more.csv"}
    jsonl = found["gs://data/sets/big.jsonl"]
    assert jsonl.format == "jsonl" and jsonl.size == big.stat().st_size
    assert jsonl.columns == ["prompt", "completion"]
    assert len(jsonl.first_records) == 5 and jsonl.first_records[0]["completion"] == "c0"
    ranges = [r["headers"].get("Range") or r["headers"].get("range") for r in http_log if "big.jsonl" in r["url"]]
    assert ranges == ["bytes=0-65535"]  # one ranged read, never the whole file
    assert found["gs://data/sets/rows.json"].first_records[1] == {"input": "i1", "output": "o1"}
    csv_c = found["gs://data/sets/t.csv"]
    assert csv_c.columns == ["text", "label"]
    assert csv_c.first_records == [{"text": "hello", "label": "pos"}, {"text": "multi, comma", "label": "neg"}]
    parquet = found["gs://data/sets/t.parquet"]
    assert parquet.columns == ["question", "answer"]
    assert parquet.first_records[0] == {"question": "q0", "answer": "a0"} and len(parquet.first_records) == 5

    only_other = storage.search_datasets(["gs://other"])
    assert [c.uri for c in only_other] == ["gs://other/more.csv"]
    assert len(storage.search_datasets(limit=2)) == 2


def test_refusals_are_explained(fake_admin: FakeAdminServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", fake_admin.url)  # a Cloud Storage that answers 403
    gcs = GcsStorage("tuning-test-project")
    with pytest.raises(CloudError) as info:
        gcs.list("gs://locked/data/")
    err = info.value
    assert err.code == 403 and err.status == "PERMISSION_DENIED" and not err.retryable
    assert ("gcloud storage buckets add-iam-policy-binding gs://locked --member=user:ada@example.com "
            "--role=roles/storage.objectAdmin") in (err.hint or "")
    with pytest.raises(CloudError) as info:
        gcs.list_buckets()
    assert "gcloud projects add-iam-policy-binding tuning-test-project" in (info.value.hint or "")
    with pytest.raises(CloudError) as info:
        gcs.search_datasets(["locked"])
    assert info.value.code == 403


def test_unreachable_storage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", "http://127.0.0.1:9")
    gcs = GcsStorage("p", retry_timeout_s=0.5)
    with pytest.raises(CloudError) as info:
        gcs.bucket_exists("bkt")
    assert info.value.status == "UNAVAILABLE" and info.value.retryable
    assert "Could not reach Cloud Storage" in info.value.message and "after retries" in info.value.message
