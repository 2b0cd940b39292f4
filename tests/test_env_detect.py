"""Project, region and caller detection from environment variables and gcloud configuration files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.vertex import auth
from tools.vertex.rest import caller_member

ENV_NAMES = ("GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT", "CLOUDSDK_CORE_PROJECT", "GOOGLE_CLOUD_LOCATION",
             "CLOUDSDK_COMPUTE_REGION", "CLOUDSDK_ACTIVE_CONFIG_NAME", "TUNING_AGENT_ACCESS_TOKEN",
             "GOOGLE_APPLICATION_CREDENTIALS")


@pytest.fixture
def gcloud_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    config = tmp_path / "gcloud"
    (config / "configurations").mkdir(parents=True)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(config))
    return config


def write_config(config: Path, name: str, text: str) -> Path:
    path = config / "configurations" / f"config_{name}"
    path.write_text(text, encoding="utf-8")
    return path


def test_nothing_configured(gcloud_dir: Path) -> None:
    assert auth.detect_project().value is None
    assert auth.detect_region().value is None
    assert auth.credentials_available().value is None
    assert caller_member() is None


def test_default_configuration_file(gcloud_dir: Path) -> None:
    path = write_config(gcloud_dir, "default",
                        "[core]\nproject = from-file\naccount = ada@example.com\n[compute]\nregion = europe-west4\n")
    project, region = auth.detect_project(), auth.detect_region()
    assert (project.value, region.value) == ("from-file", "europe-west4")
    assert str(path) in project.source and str(path) in region.source
    assert caller_member() == "user:ada@example.com"


def test_active_config_file_and_env_name(gcloud_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(gcloud_dir, "default", "[core]\nproject = default-project\n")
    write_config(gcloud_dir, "work", "[core]\nproject = work-project\n"
                 "account = robot@p.iam.gserviceaccount.com\n")
    write_config(gcloud_dir, "other", "[core]\nproject = other-project\n")
    (gcloud_dir / "active_config").write_text("work\n")
    assert auth.detect_project().value == "work-project"
    assert caller_member() == "serviceAccount:robot@p.iam.gserviceaccount.com"
    monkeypatch.setenv("CLOUDSDK_ACTIVE_CONFIG_NAME", "other")
    assert auth.detect_project().value == "other-project"


@pytest.mark.parametrize("name", ["GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT", "CLOUDSDK_CORE_PROJECT"])
def test_environment_beats_file(gcloud_dir: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    write_config(gcloud_dir, "default", "[core]\nproject = from-file\n[compute]\nregion = europe-west4\n")
    monkeypatch.setenv(name, "from-env")
    monkeypatch.setenv("GOOGLE_CLOUD_LOCATION", "global")
    project, region = auth.detect_project(), auth.detect_region()
    assert (project.value, project.source) == ("from-env", f"environment variable {name}")
    assert region.value == "global"


def test_broken_configuration_file_is_ignored(gcloud_dir: Path) -> None:
    write_config(gcloud_dir, "default", "project = no section header\n")
    assert auth.detect_project().value is None


def test_credentials_sources(gcloud_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(gcloud_dir / "missing.json"))
    assert "missing file" in auth.credentials_available().source
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS")
    (gcloud_dir / "application_default_credentials.json").write_text("{}")
    assert auth.credentials_available().source == "gcloud application-default credentials"
    monkeypatch.setenv("TUNING_AGENT_ACCESS_TOKEN", "tok")
    assert auth.get_credentials().token == "tok"


def test_service_account_credentials_name_the_member() -> None:
    class Creds:
        service_account_email = "sa@p.iam.gserviceaccount.com"

    assert caller_member(Creds()) == "serviceAccount:sa@p.iam.gserviceaccount.com"
