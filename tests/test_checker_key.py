"""The job checker's key (agent/auth.py): the one identity that may write a thread's state."""

from __future__ import annotations

import pytest

from agent import auth


def test_the_checker_key_names_the_reserved_checker_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(auth.KEYS_ENV, "alice=alice-key-0123456789abcdef")
    monkeypatch.setenv(auth.CHECKER_KEY_ENV, "checker-key-0123456789abcdef")
    assert auth.identify("checker-key-0123456789abcdef", None, loopback=False) == auth.CHECKER_USER
    assert auth.identify("alice-key-0123456789abcdef", None, loopback=False) == "alice"
    with pytest.raises(Exception, match="Unknown API key"):
        auth.identify("checker-key-0123456789abcdeX", None, loopback=False)


def test_without_a_setting_the_server_makes_one_up_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(auth.CHECKER_KEY_ENV, raising=False)
    monkeypatch.delenv(auth.KEYS_ENV, raising=False)
    first = auth.checker_key()
    assert len(first) >= auth.MIN_KEY_CHARS and auth.checker_key() == first
    assert auth.identify(first, None, loopback=True) == auth.CHECKER_USER


def test_a_short_checker_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(auth.CHECKER_KEY_ENV, "short")
    with pytest.raises(ValueError, match="shorter than 16"):
        auth.checker_key()
    monkeypatch.delenv(auth.KEYS_ENV, raising=False)
    assert auth.identify("short", None, loopback=True) == auth.LOCAL_USER  # never the checker


def test_the_checker_user_cannot_be_an_api_key_user() -> None:
    from tools.errors import ToolError

    with pytest.raises(ToolError, match="Use lowercase letters"):
        auth.parse_keys(f"{auth.CHECKER_USER}=some-key-0123456789abcdef")
