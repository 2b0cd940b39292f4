"""Per-user folders on a server, and the path check that keeps each user inside their upload root."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tools.errors import ToolError
from tools.local.storage import LocalStorage
from tools.workspace import check_user_id, resolve_user_path, upload_root, user_home


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TUNING_AGENT_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_folders_are_private_and_per_user(home: Path) -> None:
    root = upload_root("alice")
    assert root == home / "users" / "alice" / "files"
    for folder in (home, home / "users", user_home("alice"), root):
        assert folder.stat().st_mode & 0o077 == 0, folder


def test_paths_inside_the_root_resolve(home: Path) -> None:
    root = upload_root("alice")
    (root / "sub").mkdir()
    (root / "sub" / "d.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    assert resolve_user_path("alice", "sub/d.csv") == (root / "sub" / "d.csv").resolve()
    assert resolve_user_path("alice", str(root / "sub" / "d.csv")) == (root / "sub" / "d.csv").resolve()
    assert resolve_user_path("alice", "missing.csv") == (root / "missing.csv").resolve()  # caller says not found


def test_paths_outside_the_root_are_refused_without_detail(home: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text("question,answer\nTOPSECRET,x\n", encoding="utf-8")
    root = upload_root("bob")
    (root / "out.csv").symlink_to(secret)
    (root / "dir").symlink_to(tmp_path)
    upload_root("alice")
    for attempt in (str(secret), "~/secret.csv", "~root/x.csv", "../alice/files/a.csv", "sub/../../x.csv",
                    "out.csv", "dir/secret.csv", f"file://{secret}", "http://example.com/x.csv", "/etc/passwd",
                    str(home / "users" / "alice" / "files" / "a.csv"), "", "a\x00.csv"):
        with pytest.raises(ToolError) as err:
            resolve_user_path("bob", attempt)
        text = str(err.value)
        assert "TOPSECRET" not in text and str(tmp_path) not in text.replace(attempt, ""), (attempt, text)
        assert "upload folder" in text


@pytest.mark.parametrize("name", ["../x", "a/b", "", "..", "-x", "A" * 200])
def test_user_names_must_be_safe_folder_names(name: str) -> None:
    with pytest.raises(ToolError):
        check_user_id(name)


def test_local_uris_cannot_leave_the_buckets(home: Path) -> None:
    storage = LocalStorage(user_home("bob") / "buckets")
    storage.create_bucket("data")
    (user_home("bob") / "runs").mkdir()
    for uri in ("local://../runs/x.csv", "local://..", "local://data/../../runs/x", "local://.hidden/x"):
        with pytest.raises(ToolError):
            storage.local_path(uri)
    assert not storage.bucket_exists("..")
    assert os.path.isdir(storage.local_path("local://data"))


def test_an_edited_upload_destination_keeps_the_servers_folder_rule() -> None:
    from pydantic import ValidationError

    from graph.nodes.upload import UploadArgs
    from tools.storage_paths import job_prefix

    made = job_prefix("local", "tuning-agent-local", run_id="ta-0123456789")
    moved = UploadArgs(bucket="team-data", destination=made, files=[]).destination
    assert moved == made.replace("tuning-agent-local", "team-data")
    for bad in ("local://../outside-buckets/", "local://tuning-agent-local/../x/", "local://tuning-agent-local/x/",
                "file:///tmp/x/"):
        with pytest.raises(ValidationError):
            UploadArgs(bucket="tuning-agent-local", destination=bad, files=[])
    with pytest.raises(ValidationError):
        UploadArgs(bucket="..", destination=made, files=[])
