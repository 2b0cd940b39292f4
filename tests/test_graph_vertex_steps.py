"""Vertex-only steps that need no server: project/region proposal and refusal."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.deps import Deps
from tests.graph_helpers import Session


@pytest.fixture
def vertex_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TUNING_AGENT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "demo-proj-123")
    monkeypatch.delenv("GOOGLE_CLOUD_LOCATION", raising=False)
    monkeypatch.delenv("CLOUDSDK_COMPUTE_REGION", raising=False)
    return tmp_path


def test_project_region_proposed_from_environment(vertex_env: Path) -> None:
    s = Session(Deps(platform_name="vertex"))
    s.say("I want to tune gemma 3 12b for support answers")
    assert s.action == "confirm_project_region"
    args = s.interrupt["action_requests"][0]["args"]  # type: ignore[index]
    assert args == {"project": "demo-proj-123", "region": "global"}
    assert "GOOGLE_CLOUD_PROJECT" in s.interrupt["action_requests"][0]["description"]  # type: ignore[index]


def test_invalid_region_refused_with_valid_list_and_nothing_else(vertex_env: Path) -> None:
    s = Session(Deps(platform_name="vertex"))
    s.say("I want to tune gemini-3.5-flash for support answers")
    assert s.state["category"] == "gemini"
    assert s.interrupt["action_requests"][0]["args"]["region"] == "us-central1"  # type: ignore[index]
    s.say("use europe-west9")
    assert "not a valid tuning region" in s.text()
    assert "us-central1" in s.text() and "europe-west4" in s.text()
    assert s.action is None, "nothing else is asked"
    s.say("europe-west4 then")
    assert s.action == "confirm_project_region"
    assert s.interrupt["action_requests"][0]["args"]["region"] == "europe-west4"  # type: ignore[index]


def test_region_edit_to_invalid_is_refused(vertex_env: Path) -> None:
    s = Session(Deps(platform_name="vertex"))
    s.say("I want to tune gemini-3.5-flash for support answers")
    s.edit(region="global")
    assert "not a valid tuning region" in s.text()
    assert not s.state["project"].get("confirmed")
