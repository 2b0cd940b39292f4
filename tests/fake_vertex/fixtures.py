"""pytest fixtures that run the fake Vertex server and point tuning-agent at it.

Import them into a test module (`from tests.fake_vertex.fixtures import fake_vertex_fixture  # noqa: F401`;
the fixture is still requested as `fake_vertex` — the different module-level name keeps
ruff from reporting the parameter as a redefinition).
The fixture sets the supported overrides `TUNING_AGENT_VERTEX_ENDPOINT` and
`TUNING_AGENT_ACCESS_TOKEN` (plus a project) through monkeypatch, so nothing leaks.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from tests.fake_vertex.server import FakeVertex

PROJECT = "demo-project"


@pytest.fixture(name="fake_vertex")
def fake_vertex_fixture(monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator[FakeVertex]:
    """A started fake with the environment pointing every Vertex call at it."""
    fake = FakeVertex().start()
    monkeypatch.setenv("TUNING_AGENT_VERTEX_ENDPOINT", fake.url)
    monkeypatch.setenv("TUNING_AGENT_ACCESS_TOKEN", "fake-token")
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", PROJECT)
    monkeypatch.setenv("TUNING_AGENT_HOME", str(tmp_path / "home"))
    for var in ("GOOGLE_API_KEY", "GEMINI_API_KEY", "GOOGLE_CLOUD_LOCATION",
                "GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_GENAI_USE_ENTERPRISE"):
        monkeypatch.delenv(var, raising=False)
    from tools.vertex import advice, client, models_live

    monkeypatch.setattr(advice, "RETRY_BASE_DELAY_S", 0.001)
    client.reset_clients()
    models_live.clear_cache()
    try:
        yield fake
    finally:
        client.reset_clients()
        _reset_aiplatform()
        fake.stop()
        assert not fake.unknown, f"fake Vertex got unknown routes: {fake.unknown}"


def _reset_aiplatform() -> None:
    """Forget the process-wide vertexai.init() state (it held this fake's URL)."""
    initializer = sys.modules.get("google.cloud.aiplatform.initializer")
    if initializer is not None:
        initializer.global_config.__init__()  # type: ignore[misc]
