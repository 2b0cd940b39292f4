"""LocalStorage: the folder-backed bucket behaves like the GCS backend where the agent can tell."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest

from tools.errors import CloudError, ToolError
from tools.local.storage import LocalStorage
from tools.storage_paths import job_prefix


@pytest.fixture()
def storage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LocalStorage:
    monkeypatch.setenv("TUNING_AGENT_HOME", str(tmp_path / "home"))
    return LocalStorage()


def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_buckets_live_under_home(storage: LocalStorage, tmp_path: Path) -> None:
    assert storage.root == tmp_path / "home" / "buckets"
    assert storage.list_buckets() == []
    storage.create_bucket("my-data")
    storage.create_bucket("my-data")  # idempotent
    assert storage.bucket_exists("my-data") and not storage.bucket_exists("other")
    assert storage.list_buckets() == ["my-data"]
    with pytest.raises(ToolError, match="not valid"):
        storage.create_bucket("Bad/Name")


def test_upload_progress_checksum_and_same_md5_skip(storage: LocalStorage, tmp_path: Path) -> None:
    storage.create_bucket("bkt1")
    src = _file(tmp_path, "train.jsonl", '{"prompt": "a", "completion": "b"}\n' * 1000)
    dest = job_prefix("local", "bkt1") + "train.jsonl"
    calls: list[tuple[int, int]] = []
    info = storage.upload(str(src), dest, progress=lambda done, total: calls.append((done, total)))
    size = src.stat().st_size
    assert info.uri == dest and info.size == size
    assert info.md5_base64 == base64.b64encode(hashlib.md5(src.read_bytes()).digest()).decode()
    assert calls[-1] == (size, size)
    path = storage.local_path(dest)
    assert path.parent.name.startswith("tuning_agent_job_") and path.parent.parent.name == "bkt1"
    assert path.read_bytes() == src.read_bytes()
    # Same bytes again: skipped (the file is not rewritten).
    mtime = path.stat().st_mtime_ns
    calls.clear()
    again = storage.upload(str(src), dest, progress=lambda d, t: calls.append((d, t)))
    assert again.md5_base64 == info.md5_base64 and path.stat().st_mtime_ns == mtime
    assert calls == [(size, size)]
    # Different bytes: replaced.
    src.write_text('{"prompt": "c", "completion": "d"}\n', encoding="utf-8")
    changed = storage.upload(str(src), dest)
    assert changed.md5_base64 != info.md5_base64 and path.read_bytes() == src.read_bytes()
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".tmp")]


def test_upload_errors_are_clear(storage: LocalStorage, tmp_path: Path) -> None:
    src = _file(tmp_path, "x.jsonl", "{}\n")
    with pytest.raises(CloudError, match="does not exist") as err:
        storage.upload(str(src), "local://nobucket/x.jsonl")
    assert err.value.code == 404
    storage.create_bucket("bkt1")
    with pytest.raises(ToolError, match="file not found"):
        storage.upload(str(tmp_path / "missing.jsonl"), "local://bkt1/x.jsonl")
    with pytest.raises(ToolError, match="leaves the bucket"):
        storage.upload(str(src), "local://bkt1/../escape.jsonl")
    with pytest.raises(ToolError, match="only reads local://"):
        storage.stat("gs://bkt1/x.jsonl")
    with pytest.raises(ToolError, match=r"full name"):
        storage.upload(str(src), "local://bkt1/folder/")


def test_stat_list_download(storage: LocalStorage, tmp_path: Path) -> None:
    storage.create_bucket("bkt1")
    for key in ("run/a.jsonl", "run/b.jsonl", "other/c.jsonl"):
        storage.upload(str(_file(tmp_path, "f", key + "\n")), f"local://bkt1/{key}")
    assert storage.stat("local://bkt1/run/missing") is None
    assert storage.stat("local://bkt1/run/a.jsonl") is not None
    assert [o.uri for o in storage.list("local://bkt1/run/")] == ["local://bkt1/run/a.jsonl",
                                                                "local://bkt1/run/b.jsonl"]
    assert len(storage.list("local://bkt1")) == 3
    assert len(storage.list("local://bkt1", limit=2)) == 2
    out_dir = tmp_path / "dl"
    out_dir.mkdir()
    got = storage.download("local://bkt1/run/a.jsonl", str(out_dir))
    assert Path(got) == out_dir / "a.jsonl" and Path(got).read_text() == "run/a.jsonl\n"
    got2 = storage.download("local://bkt1/other/c.jsonl", str(tmp_path / "new" / "c2.jsonl"))
    assert Path(got2).read_text() == "other/c.jsonl\n"
    with pytest.raises(CloudError, match="does not exist"):
        storage.download("local://bkt1/nope.jsonl", str(out_dir))


def test_search_datasets_peeks_records_and_columns(storage: LocalStorage, tmp_path: Path) -> None:
    storage.create_bucket("bkt1")
    storage.create_bucket("bkt2")
    rows = [{"question": f"q{i}", "answer": f"a{i}"} for i in range(5)]
    jsonl = _file(tmp_path, "d.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    csv_file = _file(tmp_path, "d.csv", "text,label\nhello,1\nbye,0\n")
    notes = _file(tmp_path, "notes.txt", "not data")
    storage.upload(str(jsonl), "local://bkt1/data/qa.jsonl")
    storage.upload(str(csv_file), "local://bkt2/t.csv")
    storage.upload(str(notes), "local://bkt2/notes.txt")
    found = {c.uri: c for c in storage.search_datasets()}
    assert set(found) == {"local://bkt1/data/qa.jsonl", "local://bkt2/t.csv"}
    qa = found["local://bkt1/data/qa.jsonl"]
    assert qa.format == "jsonl" and qa.columns == ["question", "answer"] and qa.first_records == rows
    assert found["local://bkt2/t.csv"].first_records == [{"text": "hello", "label": "1"},
                                                       {"text": "bye", "label": "0"}]
    assert [c.uri for c in storage.search_datasets(["bkt2"])] == ["local://bkt2/t.csv"]
    assert len(storage.search_datasets(limit=1)) == 1
    with pytest.raises(CloudError):
        storage.search_datasets(["missing-bucket"])
