"""The LLM factory: deterministic mode without credentials, clear errors for missing providers."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.llm import make_llm, resolve_llm_spec
from tools.errors import ToolError


@pytest.fixture
def no_google(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))
    for name in ("TUNING_AGENT_LLM", "TUNING_AGENT_ACCESS_TOKEN", "GOOGLE_APPLICATION_CREDENTIALS",
                 "GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT", "CLOUDSDK_CORE_PROJECT"):
        monkeypatch.delenv(name, raising=False)


def test_auto_without_credentials_is_deterministic(no_google: None) -> None:
    spec, why = resolve_llm_spec(None)
    assert spec == "none" and "no Google credentials" in why
    assert make_llm(None) is None


def test_auto_with_credentials_picks_current_gemini(no_google: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUNING_AGENT_ACCESS_TOKEN", "t")
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "p-123456")
    spec, _ = resolve_llm_spec("auto")
    assert spec == "google_vertexai:gemini-3.5-flash"


def test_environment_variable_and_explicit_none(no_google: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUNING_AGENT_LLM", "none")
    assert resolve_llm_spec(None)[0] == "none"
    assert resolve_llm_spec("none")[0] == "none"


def test_unknown_provider_explains_what_to_install(no_google: None) -> None:
    with pytest.raises(ToolError, match=r"init_chat_model|needs"):
        make_llm("someprovider:some-model")
