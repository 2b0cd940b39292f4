"""`tuning-agent env check` and `env enable-apis` through the real CLI entry point."""

from __future__ import annotations

import json

import pytest

from agent.cli import main
from tests.fake_admin import (
    PROJECT,
    FakeAdminServer,
    fake_admin_fixture,  # noqa: F401
)


def test_check_json_ok(fake_admin: FakeAdminServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["env", "check", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True and report["project"] == PROJECT and report["project_number"]
    assert {c["name"] for c in report["checks"]} >= {"credentials", "api:aiplatform.googleapis.com"}


def test_check_json_failure_exit_code(fake_admin: FakeAdminServer, capsys: pytest.CaptureFixture[str]) -> None:
    fake_admin.state.services["storage.googleapis.com"] = "DISABLED"
    assert main(["env", "check", "--json", "--project", PROJECT, "--region", "us-central1"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False and report["missing_apis"] == ["storage.googleapis.com"]
    bad = [c for c in report["checks"] if not c["ok"]]
    assert bad[0]["fix"].startswith(f"`gcloud services enable storage.googleapis.com --project {PROJECT}`")


def test_check_text_report(fake_admin: FakeAdminServer, capsys: pytest.CaptureFixture[str]) -> None:
    fake_admin.state.permissions = set()
    assert main(["env", "check"]) == 1
    out = capsys.readouterr().out
    assert "[FAIL] caller_permissions" in out
    assert "fix: `gcloud projects add-iam-policy-binding" in out
    assert "required check(s) failed" in out
    fake_admin.state.permissions = None
    assert main(["env", "check"]) == 0
    assert "Ready to tune." in capsys.readouterr().out


def test_enable_apis_needs_confirmation(fake_admin: FakeAdminServer, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    fake_admin.state.services = {}
    fake_admin.state.operation_polls = 0
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert main(["env", "enable-apis"]) == 1
    assert "--yes" in capsys.readouterr().err
    assert fake_admin.calls("POST", "batchEnable") == []
    assert main(["env", "enable-apis", "--yes", "--json", "--api", "aiplatform.googleapis.com"]) == 0
    assert json.loads(capsys.readouterr().out) == {"project": PROJECT, "enabled": ["aiplatform.googleapis.com"]}
    assert fake_admin.state.services == {"aiplatform.googleapis.com": "ENABLED"}


def test_enable_apis_error_is_words(fake_admin: FakeAdminServer, capsys: pytest.CaptureFixture[str]) -> None:
    fake_admin.state.forbidden = {"batch_enable"}
    assert main(["env", "enable-apis", "--yes"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: Enabling aiplatform.googleapis.com, storage.googleapis.com")
    assert "Traceback" not in err


def test_enable_apis_without_project(fake_admin: FakeAdminServer, monkeypatch: pytest.MonkeyPatch,
                                     tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT")
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "none"))
    assert main(["env", "enable-apis", "--yes"]) == 2
    assert "--project" in capsys.readouterr().err
