"""The `gcs_emulator` pytest fixture: a real `gcp-storage-emulator` process on loopback.

Tests talk to it through the real google-cloud-storage client, which follows
`STORAGE_EMULATOR_HOST` (and then uses anonymous credentials). One emulator process
is started lazily for the whole test session (in memory, on a free port) and stopped
when the session ends (conftest) or at exit. It runs through `tests.gcs_strict_emulator`, which refuses
bucket names that Cloud Storage refuses (the bare emulator creates any); every test that asks for the
fixture gets a wiped emulator and `STORAGE_EMULATOR_HOST` set for that test only.

Use it from any test module with one import (pytest finds fixture objects in the
module namespace; the fixture's name is `gcs_emulator`, the imported function's name
differs so ruff does not see the test parameter as a redefinition):

    from tests.gcs_fixtures import gcs_emulator_fixture  # noqa: F401

    def test_something(gcs_emulator):  # gcs_emulator == "http://127.0.0.1:PORT"
        ...
"""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator

import pytest

_lock = threading.Lock()
_process: subprocess.Popen[bytes] | None = None
_host: str | None = None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str, timeout: float = 2.0) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return bytes(response.read())


def stop_emulator() -> None:
    """Stop the shared emulator (at the end of each pytest session and at exit)."""
    global _process, _host
    if _process is not None:
        _process.terminate()
        try:
            _process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            _process.kill()
            _process.wait(timeout=5)
    _process = None
    _host = None


def emulator_host() -> str:
    """Start the shared emulator process if needed; return its base URL."""
    global _process, _host
    with _lock:
        if _process is not None and _process.poll() is None and _host:
            return _host
        port = _free_port()
        env = dict(os.environ)
        env.pop("STORAGE_EMULATOR_HOST", None)
        # The emulator stands for Cloud Storage: under mutation testing it must not run the mutant
        # (its bucket-name check imports tools.vertex.storage), or it could no longer catch it.
        env.pop("MUTANT_UNDER_TEST", None)
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        _process = subprocess.Popen(
            [sys.executable, "-m", "tests.gcs_strict_emulator", "start", "--host", "127.0.0.1",
             "--port", str(port), "--in-memory", "--quiet"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
        )
        host = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            if _process.poll() is not None:
                raise RuntimeError(f"gcp-storage-emulator exited with code {_process.returncode}")
            try:
                _get(host + "/")
                break
            except OSError:
                if time.monotonic() > deadline:
                    _process.kill()
                    raise RuntimeError("gcp-storage-emulator did not start within 20 s") from None
                time.sleep(0.05)
        _host = host
        atexit.register(stop_emulator)
        return host


@pytest.fixture(name="gcs_emulator")
def gcs_emulator_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A wiped emulator, with `STORAGE_EMULATOR_HOST` pointing at it for this test."""
    host = emulator_host()
    _get(host + "/wipe")
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", host)
    yield host
