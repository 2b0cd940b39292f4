"""Fixtures every test module may use without importing them.

`home` gives each test its own `$TUNING_AGENT_HOME` and working folder; the emulator and
fake-server fixtures are registered here from the modules that define them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests import gcs_fixtures
from tests.fake_admin import fake_admin_fixture
from tests.fake_vertex.fixtures import fake_vertex_fixture
from tests.gcs_fixtures import gcs_emulator_fixture

__all__ = ["fake_admin_fixture", "fake_vertex_fixture", "gcs_emulator_fixture", "home"]


#: Every test tunes the one-minute model unless it names another, even where Gemma 3 270M is installed.
os.environ.setdefault("TUNING_AGENT_LOCAL_MODEL", "local/tiny")


def pytest_sessionfinish() -> None:
    """Stop the Cloud Storage emulator with the session, not only at interpreter exit: mutmut ends each
    mutant's forked test run with os._exit, which skips atexit and so left one emulator running per mutant."""
    gcs_fixtures.stop_emulator()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh `$TUNING_AGENT_HOME` under the test's folder, which is also the working folder."""
    monkeypatch.setenv("TUNING_AGENT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TUNING_AGENT_LOCAL_MODEL", "local/tiny")  # sessions tune the one-minute model
    monkeypatch.chdir(tmp_path)
    return tmp_path
