"""A resumed thread keeps its platform and LLM; the header says what is in use after an LLM fallback."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from agent.chat import ChatOptions, run_chat
from agent.render import Renderer
from agent.sessions import ThreadChoices, db_path, load_choices, save_choices, sticky_choices
from tests.chat_fixtures import offline_home
from tests.test_chat_render import ScriptReader

PURPOSE = "I want to tune a model to answer trivia questions"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = offline_home(tmp_path, monkeypatch)
    return home


def chat(answers: list[str], **options: str | None) -> str:
    out = io.StringIO()
    renderer = Renderer(Console(file=out, force_terminal=False, no_color=True, width=200, soft_wrap=True))
    assert run_chat(ChatOptions(**options), reader=ScriptReader(answers), renderer=renderer) == 0  # type: ignore[arg-type]
    return out.getvalue()


def test_choices_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "threads.sqlite"
    assert load_choices(path, "t") is None
    save_choices(path, "t", ThreadChoices("local", "none"))
    save_choices(path, "t", ThreadChoices("vertex", "google_genai:gemini-3.5-flash"))
    assert load_choices(path, "t") == ThreadChoices("vertex", "google_genai:gemini-3.5-flash")
    assert load_choices(path, "other") is None


def test_sticky_rules() -> None:
    saved = ThreadChoices("local", "none")
    assert sticky_choices(saved, "auto", None, None) == ("local", "none")
    assert sticky_choices(saved, "vertex", "google_genai:x", None) == (None, None)  # named on the command line
    assert sticky_choices(saved, "auto", None, "google_genai:x") == ("local", None)  # $TUNING_AGENT_LLM decides
    assert sticky_choices(None, "auto", None, None) == (None, None)


def test_resumed_thread_keeps_platform_and_llm(home: Path) -> None:
    chat([PURPOSE, "quit"], platform="local", llm="none", thread="keep-me")
    assert load_choices(db_path(home), "keep-me") == ThreadChoices("local", "none")
    text = chat(["quit"], thread="keep-me")  # no --platform / --llm: the thread's own choices
    assert "Platform: local  (kept from this thread)" in text
    assert "LLM:      none  (kept from this thread; deterministic mode)" in text
    assert "Thread:   keep-me  (resumed)" in text


def test_header_tells_the_truth_after_the_llm_fails_to_start(home: Path) -> None:
    text = chat([PURPOSE, "quit"], platform="local", llm="nosuchprovider:model-x", thread="fallback")
    assert "LLM:      nosuchprovider:model-x" in text  # the banner shows what was asked for …
    assert "LLM:      none  (nosuchprovider:model-x could not start:" in text  # … and then what is in use
    assert "Approve: choose_model_category" in text  # the conversation carried on deterministically

    resumed = chat(["quit"], thread="fallback")
    banner = resumed.split("Thread:", 1)[0]
    assert "LLM:      none  (nosuchprovider:model-x could not start:" in banner


def test_failed_llm_calls_are_reported_not_hidden(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from agent.logs import reset_output, setup_output
    from tests.scenarios.runner import fake_llm_factory

    monkeypatch.setattr("agent.llm.make_llm", fake_llm_factory())  # a model whose every call fails
    setup_output(home=home)
    try:
        text = chat([PURPOSE, "quit"], platform="local", llm="fake:failing", thread="flaky")
    finally:
        reset_output()
    assert "LLM:      fake:failing" in text
    assert "The LLM is unavailable (" in text and "the deterministic path answers instead" in text
    assert "Approve: choose_model_category" in text
