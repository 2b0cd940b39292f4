"""The chat loop in-process against the real graph and SQLite checkpoints (no training).

A scripted reader stands in for the human; the renderer writes plain text to a buffer.
Covers: the banner and first question, cards with edit/approve, questions at a card,
quitting and resuming a thread (the open card comes back), and `tuning-agent threads`.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from agent.chat import ChatOptions, run_chat
from agent.render import Renderer
from tests.chat_fixtures import offline_home, write_trivia_csv
from tests.test_chat_render import ScriptReader


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = offline_home(tmp_path, monkeypatch)
    return home


def chat(answers: list[str], thread: str | None = None, platform: str = "local") -> tuple[int, str, ScriptReader]:
    out = io.StringIO()
    renderer = Renderer(Console(file=out, force_terminal=False, no_color=True, width=120, soft_wrap=True))
    reader = ScriptReader(answers)
    code = run_chat(ChatOptions(platform=platform, llm="none", thread=thread), reader=reader, renderer=renderer)
    return code, out.getvalue(), reader


def test_new_thread_quit_at_a_card_and_resume_there(home: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    data = write_trivia_csv(tmp_path / "trivia.csv")
    code, text, reader = chat(["I want to tune a model to answer trivia questions", "y", str(data),
                               "what is a validation set?", "e", "answer", "question", "", "quit"],
                              platform="auto")
    assert code == 0
    assert "Platform: local  (no Google credentials found: running locally)" in text
    assert "LLM:      none" in text
    assert "What would you like to tune a model for?" in text
    assert "== Approve: choose_model_category ==" in text and "Category: **open** models." in text
    assert "Validation set" in text  # the question at the card was answered from the knowledge texts
    assert text.count("== Approve: confirm_column_mapping ==") >= 2  # shown again after the answer
    assert [d for p, d in reader.asked if p.strip().endswith("_column:")] == ["question", "answer", ""]
    assert "Mapping confirmed." in text and "== Approve: split_validation ==" in text
    thread = text.rsplit("Resume with: tuning-agent chat --thread ", 1)[1].split()[0]

    code, text, _ = chat(["n", "quit"], thread=thread)  # "n" declines at once: train on everything
    assert code == 0
    assert f"Thread:   {thread}  (resumed)" in text
    assert text.index("Mapping confirmed.") < text.index("== Approve: split_validation ==")  # recap, then card
    assert "== Approve: create_bucket ==" in text

    from agent.cli import main

    assert main(["threads"]) == 0
    listing = capsys.readouterr().out
    assert thread in listing and "create_bucket" in listing and "local" in listing
    assert main(["threads", "--json"]) == 0
    assert f'"thread_id": "{thread}"' in capsys.readouterr().out


def test_a_new_thread_with_a_chosen_id_and_eof_at_the_first_prompt(home: Path) -> None:
    code, text, _ = chat([], thread="my-run.1")
    assert code == 0
    assert "Thread:   my-run.1  (new)" in text
    assert text.rstrip().endswith("Resume with: tuning-agent chat --thread my-run.1")


def test_bad_thread_id_is_a_usage_error(home: Path) -> None:
    from agent.cli import main

    assert main(["chat", "--thread", "no spaces please", "--llm", "none"]) == 2


def test_threads_without_any(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from agent.cli import main

    assert main(["threads"]) == 0
    assert "No saved conversations" in capsys.readouterr().out


def test_an_unreadable_conversation_file_is_reported_not_a_traceback(home: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from agent.cli import main

    home.mkdir(parents=True, exist_ok=True)
    (home / "threads.sqlite").write_text("not a database, just text\n" * 10)
    assert main(["chat", "--llm", "none", "--platform", "local"]) == 1
    assert main(["threads"]) == 1
    err = capsys.readouterr().err
    assert err.count("threads.sqlite cannot be read") == 2 and "Move the file aside" in err


def test_an_unexpected_failure_is_reported_and_the_step_runs_again_on_enter(home: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from graph.nodes import split

    original, calls = split.run, []

    def flaky(state: object, deps: object) -> object:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("connection reset by peer")
        return original(state, deps)  # type: ignore[arg-type]

    monkeypatch.setattr(split, "run", flaky)
    data = write_trivia_csv(tmp_path / "trivia.csv")
    code, text, _ = chat(["I want to tune a model to answer trivia questions", "y", str(data), "y", "", "quit"])
    assert code == 0
    assert "Error: ConnectionError: connection reset by peer" in text
    assert "press Enter to try that step again" in text
    assert "ConnectionError" in (home / "chat_errors.log").read_text()
    assert "The step 'split' did not finish. Press Enter to run it again" in text
    assert text.index("did not finish") < text.index("== Approve: split_validation ==")
