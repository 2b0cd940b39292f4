"""GcsStorage when Cloud Storage misbehaves, and the limits of the dataset search and the download.

The emulator answers at once with both checksums; the service does not always. Through a proxy
in front of the emulator (tests/gcs_proxy.py) these tests check what a user relies on: a transient
503 is retried but only within the caller's budget, every failure says what was being done and on
which bucket, an upload is verified with whatever checksum the server reports (and fails when it
reports none or a different size), the search stops where it says it stops and never reads model
files, and a download is staged hidden next to its target.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fake_admin import (
    FakeAdminServer,
    fake_admin_fixture,  # noqa: F401
)
from tests.gcs_fixtures import gcs_emulator_fixture  # noqa: F401
from tests.gcs_proxy import GcsProxy, proxy_in_front
from tools import storage_preview
from tools.errors import CloudError, ToolError
from tools.storage_preview import HEAD_BYTES
from tools.vertex import storage as storage_module
from tools.vertex.storage import GcsStorage

CHUNK = 256 * 1024
RECORD = '{"prompt": "What is the capital of France?", "completion": "Paris"}\n'


@pytest.fixture
def proxy(gcs_emulator: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[GcsProxy]:
    for front in proxy_in_front(gcs_emulator):
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", front.url)
        yield front


@pytest.fixture
def storage(proxy: GcsProxy) -> GcsStorage:
    gcs = GcsStorage("test-project", chunk_size=CHUNK, retry_timeout_s=0.5)
    gcs.create_bucket("data")
    return gcs


def put(storage: GcsStorage, key: str, data: str | bytes, bucket: str = "data") -> None:
    """Fixture data, written straight through the client (what another tool would have left)."""
    storage.client.bucket(bucket).blob(key).upload_from_string(data)


@pytest.fixture
def ranges(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str | None]]:
    """(url, Range header) of every request the storage client sends."""
    from google.auth.transport.requests import AuthorizedSession

    log: list[tuple[str, str | None]] = []
    real = AuthorizedSession.request

    def spy(self: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        headers = kwargs.get("headers") or {}
        log.append((url, headers.get("range") or headers.get("Range")))
        return real(self, method, url, *args, **kwargs)

    monkeypatch.setattr(AuthorizedSession, "request", spy)
    return log


# -- retries: transient failures are retried, within the caller's budget -------

OPERATIONS: dict[str, tuple[Callable[[GcsStorage, Path], Any], str]] = {
    "stat": (lambda s, tmp: s.stat("gs://data/x.jsonl"), "while reading gs://data/x.jsonl"),
    "list": (lambda s, tmp: s.list("gs://data/p/"), "while listing gs://data/p/"),
    "list_buckets": (lambda s, tmp: s.list_buckets(), "while listing the buckets of project test-project"),
    "bucket_exists": (lambda s, tmp: s.bucket_exists("data"), "while looking up bucket gs://data"),
    "download": (lambda s, tmp: s.download("gs://data/x.jsonl", str(tmp / "x.jsonl")),
                 "while downloading gs://data/x.jsonl"),
    "read_head": (lambda s, tmp: s.read_head("gs://data/x.jsonl"), "while reading gs://data/x.jsonl"),
    "search": (lambda s, tmp: s.search_datasets(["data"]), "while listing gs://data"),
}


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_an_unavailable_service_is_retried_then_given_up_within_the_budget(
        operation: str, storage: GcsStorage, proxy: GcsProxy, tmp_path: Path) -> None:
    call, what = OPERATIONS[operation]
    put(storage, "x.jsonl", RECORD)
    proxy.down_for(10.0)  # then it answers 404: a client still retrying by then would see that instead
    started = time.monotonic()
    with pytest.raises(CloudError) as info:
        call(storage, tmp_path)
    assert time.monotonic() - started < 10.0  # the budget, far under the SDK default of 120 s
    err = info.value
    assert err.status == "UNAVAILABLE" and err.retryable
    assert "still failing after retries" in err.message, "a 503 must be retried, not given up on at once"
    assert what in err.message
    assert sum(1 for _ in proxy.requests) >= 2


def test_a_transient_failure_of_a_read_is_retried(storage: GcsStorage, proxy: GcsProxy, tmp_path: Path) -> None:
    put(storage, "x.jsonl", RECORD * 3)
    storage = GcsStorage("test-project")  # the default budget: a minute
    proxy.fail_media(1)
    assert storage.read_head("gs://data/x.jsonl", size=10) == RECORD.encode()[:10]
    proxy.fail_media(1)
    out = storage.download("gs://data/x.jsonl", str(tmp_path / "x.jsonl"))
    assert Path(out).read_text() == RECORD * 3
    proxy.fail_media(1)
    (found,) = storage.search_datasets(["data"])
    assert found.first_records == [json.loads(RECORD)] * 3, "a candidate read that hiccups once is retried"


def test_a_search_gives_up_on_an_unreadable_file_within_the_budget(storage: GcsStorage, proxy: GcsProxy) -> None:
    """Each candidate read keeps to the caller's retry budget: a search over many files whose reads
    hang must not take the SDK's two minutes per file."""
    put(storage, "x.jsonl", RECORD)
    proxy.media_down_for(10.0)  # then 404: a read still retrying by then fails differently, but late
    started = time.monotonic()
    assert storage.search_datasets(["data"]) == []
    assert time.monotonic() - started < 10.0  # the budget, far under the SDK default of 120 s


# -- failures name what was done, and on which bucket --------------------------


def test_a_refused_bucket_is_named_in_the_fix(fake_admin: FakeAdminServer, monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", fake_admin.url)  # a Cloud Storage that answers 403
    gcs = GcsStorage("tuning-test-project", retry_timeout_s=0.5)
    calls: dict[str, Callable[[], Any]] = {
        "looking up bucket gs://locked": lambda: gcs.bucket_exists("locked"),
        "downloading gs://locked/a.jsonl": lambda: gcs.download("gs://locked/a.jsonl", str(tmp_path / "a.jsonl")),
        "listing gs://locked": lambda: gcs.search_datasets(["locked"]),
        "reading gs://locked/a.jsonl": lambda: gcs.read_head("gs://locked/a.jsonl"),
        "listing gs://locked/data/": lambda: gcs.list("gs://locked/data/"),
        "reading gs://locked/b.jsonl": lambda: gcs.stat("gs://locked/b.jsonl"),
    }
    for what, call in calls.items():
        with pytest.raises(CloudError) as info:
            call()
        assert info.value.code == 403 and f"while {what}" in info.value.message
        assert "gcloud storage buckets add-iam-policy-binding gs://locked " in (info.value.hint or ""), what
    with pytest.raises(CloudError) as info:
        gcs.list_buckets()
    assert "while listing the buckets of project tuning-test-project" in info.value.message


def test_a_missing_object_or_bucket_names_the_bucket(storage: GcsStorage, tmp_path: Path) -> None:
    with pytest.raises(CloudError) as info:
        storage.download("gs://data/missing.jsonl", str(tmp_path / "m.jsonl"))
    assert "while downloading gs://data/missing.jsonl" in info.value.message
    assert "gcloud storage ls gs://data" in (info.value.hint or "")
    with pytest.raises(CloudError) as info:
        storage.search_datasets(["no-such-bucket"])
    assert info.value.code == 404 and "while listing gs://no-such-bucket" in info.value.message
    assert "gcloud storage ls gs://no-such-bucket" in (info.value.hint or "")


# -- upload verification with what the server reports --------------------------


def without(*fields: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda doc: {k: v for k, v in doc.items() if k not in fields}


def test_an_object_without_md5_is_verified_and_matched_by_crc32c(storage: GcsStorage, proxy: GcsProxy,
                                                                  tmp_path: Path) -> None:
    """Composite objects have no MD5: CRC32C alone verifies the upload and recognises a copy."""
    proxy.rewrite = without("md5Hash")
    src = tmp_path / "a.jsonl"
    src.write_text(RECORD)
    first = storage.upload(str(src), "gs://data/a.jsonl")
    assert first.md5_base64 is None and first.crc32c_base64
    generation = storage.client.bucket("data").get_blob("a.jsonl").generation
    assert storage.upload(str(src), "gs://data/a.jsonl") == first
    assert storage.client.bucket("data").get_blob("a.jsonl").generation == generation, "uploaded twice"
    src.write_text(RECORD.replace("Paris", "Lyon!"))  # same size, other content
    assert src.stat().st_size == first.size
    changed = storage.upload(str(src), "gs://data/a.jsonl")
    assert changed.crc32c_base64 != first.crc32c_base64
    assert storage.client.bucket("data").get_blob("a.jsonl").generation != generation


def test_an_existing_object_of_another_size_is_replaced(storage: GcsStorage, tmp_path: Path) -> None:
    src = tmp_path / "a.jsonl"
    src.write_text(RECORD)
    put(storage, "a.jsonl", RECORD + RECORD)
    info = storage.upload(str(src), "gs://data/a.jsonl")
    assert info.size == len(RECORD)
    assert storage.client.bucket("data").blob("a.jsonl").download_as_bytes() == RECORD.encode()


@pytest.mark.parametrize(("rewrite", "said"), [
    (without("md5Hash", "crc32c"), "the server reported no checksum"),
    (lambda doc: {**doc, "size": str(int(doc["size"]) + 1)}, f"size {len(RECORD) + 1} != {len(RECORD)}"),
    (lambda doc: {**without("md5Hash")(doc), "crc32c": "AAAAAA=="}, "CRC32C differ"),
    (lambda doc: {**doc, "md5Hash": "AAAAAAAAAAAAAAAAAAAAAA=="}, "MD5 differ"),
])
def test_an_upload_the_server_does_not_confirm_is_an_error(rewrite: Callable[[dict[str, Any]], dict[str, Any]],
                                                           said: str, storage: GcsStorage, proxy: GcsProxy,
                                                           tmp_path: Path) -> None:
    src = tmp_path / "a.jsonl"
    src.write_text(RECORD)
    proxy.rewrite = rewrite
    with pytest.raises(CloudError) as info:
        storage.upload(str(src), "gs://data/a.jsonl")
    assert f"did not verify: {said}" in info.value.message
    assert info.value.status == "DATA_LOSS" and info.value.retryable and info.value.code is None
    assert "is not the local file" in (info.value.hint or "")


def test_progress_ends_once_when_the_file_is_a_whole_number_of_chunks(storage: GcsStorage, tmp_path: Path) -> None:
    src = tmp_path / "two.jsonl"
    src.write_bytes(b"x" * (2 * CHUNK))
    calls: list[tuple[int, int]] = []
    storage.upload(str(src), "gs://data/two.jsonl", progress=lambda d, t: calls.append((d, t)))
    assert calls == [(0, 2 * CHUNK), (CHUNK, 2 * CHUNK), (2 * CHUNK, 2 * CHUNK)]


@pytest.mark.parametrize(("name", "content_type"), [
    ("TRAIN.JSONL", "application/jsonl"), ("train.csv", "text/csv"), ("train.json", "application/json"),
    ("train", "application/octet-stream"),
])
def test_uploads_carry_their_content_type(name: str, content_type: str, storage: GcsStorage,
                                          tmp_path: Path) -> None:
    src = tmp_path / name
    src.write_text(RECORD)
    storage.upload(str(src), f"gs://data/{name}")
    assert storage.client.bucket("data").get_blob(name).content_type == content_type


# -- reading the head of an object ----------------------------------------------


def test_read_head_is_one_ranged_read(storage: GcsStorage, ranges: list[tuple[str, str | None]]) -> None:
    put(storage, "big.jsonl", RECORD * 2000)
    ranges.clear()
    assert storage.read_head("gs://data/big.jsonl", size=100) == (RECORD * 2).encode()[:100]
    assert [r for _, r in ranges] == ["bytes=0-99"]
    assert len(storage.read_head("gs://data/big.jsonl")) == HEAD_BYTES
    with pytest.raises(ToolError, match="Not a Cloud Storage URI"):
        storage.read_head("local://data/big.jsonl")


# -- the dataset search --------------------------------------------------------


def test_search_lists_at_most_twenty_by_default(storage: GcsStorage) -> None:
    for i in range(21):
        put(storage, f"sets/{i:02d}.jsonl", RECORD)
    assert len(storage.search_datasets()) == 20
    assert len(storage.search_datasets(limit=21)) == 21


def test_search_stops_scanning_a_bucket_at_the_scan_limit(storage: GcsStorage,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("a.txt", "b.txt", "c.txt"):
        put(storage, name, "notes")
    put(storage, "d.jsonl", RECORD)
    monkeypatch.setattr(storage_module, "SEARCH_SCAN_LIMIT", 3)
    assert storage.search_datasets(["data"]) == []
    monkeypatch.setattr(storage_module, "SEARCH_SCAN_LIMIT", 4)
    assert [c.uri for c in storage.search_datasets(["data"])] == ["gs://data/d.jsonl"]


def test_a_bucket_that_cannot_be_listed_does_not_hide_the_others(storage: GcsStorage) -> None:
    put(storage, "train.jsonl", RECORD)
    found = storage.search_datasets(["no-such-bucket", "gs://data"])
    assert [c.uri for c in found] == ["gs://data/train.jsonl"]


def test_search_keeps_looking_past_files_that_are_not_tuning_data(storage: GcsStorage) -> None:
    put(storage, "a-metrics.csv", "step,loss\n1,0.5\n2,0.4\n")
    put(storage, "b-config.json", '{"hidden_size": 4096}')
    put(storage, "c-train.jsonl", RECORD)
    assert [c.uri for c in storage.search_datasets(["data"])] == ["gs://data/c-train.jsonl"]


def test_search_never_reads_model_files(storage: GcsStorage, ranges: list[tuple[str, str | None]]) -> None:
    put(storage, "checkpoints/step-100/train.jsonl", RECORD)
    put(storage, "run/checkpoint-200/data.jsonl", RECORD)
    put(storage, "sets/train.jsonl", RECORD)
    ranges.clear()
    assert [c.uri for c in storage.search_datasets(["data"])] == ["gs://data/sets/train.jsonl"]
    media = [url for url, _ in ranges if "alt=media" in url]
    assert len(media) == 1 and "/o/sets/train.jsonl?" in media[0]


def test_an_unreadable_candidate_does_not_stop_the_search(storage: GcsStorage) -> None:
    put(storage, "a-broken.parquet", b"PAR1 this is not parquet at all PAR1")
    put(storage, "b-train.jsonl", RECORD)
    assert [c.uri for c in storage.search_datasets(["data"])] == ["gs://data/b-train.jsonl"]


def _parquet(path: Path, rows: int, row_group: int) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"question": [f"question {i} " + "x" * (i % 97) for i in range(rows)],
                      "answer": [f"answer {i} " + "y" * (i % 89) for i in range(rows)]})
    pq.write_table(table, path, row_group_size=row_group, compression="none", use_dictionary=False)
    return path.read_bytes()


def test_a_parquet_candidate_is_read_in_small_ranges(storage: GcsStorage, tmp_path: Path,
                                                     ranges: list[tuple[str, str | None]]) -> None:
    data = _parquet(tmp_path / "t.parquet", rows=40_000, row_group=200)
    assert len(data) > 4_000_000
    put(storage, "t.parquet", data)
    ranges.clear()
    (found,) = storage.search_datasets(["data"])
    assert found.first_records[0]["question"] == "question 0 "
    read = 0
    for url, header in ranges:
        if "alt=media" in url:
            assert header, "a parquet candidate is never downloaded whole"
            first, last = (int(n) for n in re.findall(r"\d+", header)[:2])
            read += last - first + 1
    assert read < len(data) // 4


def test_a_parquet_with_a_huge_first_row_group_is_judged_by_its_columns(
        storage: GcsStorage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    put(storage, "t.parquet", _parquet(tmp_path / "t.parquet", rows=50, row_group=50))
    monkeypatch.setattr(storage_preview, "PARQUET_MAX_ROW_GROUP_BYTES", 100)
    (found,) = storage.search_datasets(["data"])
    assert found.first_records == [] and found.columns == ["question", "answer"]


def test_a_small_file_is_read_to_its_last_line(storage: GcsStorage) -> None:
    """A head that is the whole file has a whole last line, even without a final newline."""
    put(storage, "one.jsonl", RECORD.rstrip("\n"))
    (found,) = storage.search_datasets(["data"])
    assert found.first_records == [json.loads(RECORD)]


def test_a_file_exactly_one_head_long_is_read_whole(storage: GcsStorage) -> None:
    second = '{"prompt": "2+2?", "completion": "4"}'
    first = json.dumps({"prompt": "p" * (HEAD_BYTES - len(second) - 40), "completion": "c"})
    text = first + "\n" + second
    text = text.replace('"c"}', '"' + "c" * (HEAD_BYTES - len(text) + 1) + '"}', 1)
    assert len(text.encode()) == HEAD_BYTES
    put(storage, "exact.jsonl", text)
    (found,) = storage.search_datasets(["data"])
    assert [r["completion"] for r in found.first_records][1:] == ["4"]


# -- downloads --------------------------------------------------------------------


def test_a_download_is_staged_hidden_next_to_its_target(storage: GcsStorage, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    put(storage, "x.jsonl", RECORD)
    # The system temp folder may be elsewhere (another disk) or unusable: the download must not need it.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no-such-temp-dir"))
    moves: list[tuple[str, str]] = []
    real_replace = os.replace

    def spy(src: Any, dst: Any) -> None:
        moves.append((str(src), str(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    target = tmp_path / "out" / "x.jsonl"
    assert storage.download("gs://data/x.jsonl", str(target)) == str(target)
    assert target.read_text() == RECORD
    ((staged, final),) = moves
    assert final == str(target) and Path(staged).parent == target.parent
    assert re.fullmatch(r"\.x\.jsonl\..+\.part", Path(staged).name)


def test_a_download_that_cannot_be_put_in_place_leaves_nothing_behind(storage: GcsStorage,
                                                                      tmp_path: Path) -> None:
    put(storage, "x.jsonl", RECORD)
    target = tmp_path / "x.jsonl"
    target.mkdir()  # a folder where the file should go
    with pytest.raises(OSError):
        storage.download("gs://data/x.jsonl", str(target))
    assert [p.name for p in tmp_path.iterdir()] == ["x.jsonl"] and target.is_dir()
