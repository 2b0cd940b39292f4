"""The chat's pieces without a graph: card rendering, the decision and edit flow, progress, thread ids."""

from __future__ import annotations

import io
import random
from types import SimpleNamespace
from typing import Any

import pytest
from rich.console import Console

from agent.cards import Answer, QuitChat, decide, parse_value
from agent.chat_input import PlainReader
from agent.render import Renderer, format_value
from agent.sessions import current_step, new_thread_id, pending_interrupt, thread_ids

CARD = {
    "action_requests": [{"name": "approve_configuration",
                         "args": {"base_model": "local/tiny", "epochs": 3, "learning_rate": 0.003,
                                  "adapter_size": None, "files": ["a.jsonl", "b.jsonl"], "watch": True},
                         "description": "Tune **local/tiny**.\n\n| setting | value |\n|---|---|\n| epochs | 3 |"}],
    "review_configs": [{"action_name": "approve_configuration", "allowed_decisions": ["approve", "edit", "reject"]}],
}
SUBMIT = {
    "action_requests": [{"name": "submit_tuning_job", "args": {"run_id": "ta-1"}, "description": "Start it?"}],
    "review_configs": [{"action_name": "submit_tuning_job", "allowed_decisions": ["approve", "reject"]}],
}


class ScriptReader:
    """Answers prompts from a list, recording each prompt and default it was asked with."""

    def __init__(self, answers: list[str]) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[str, str]] = []

    def prepare(self) -> None:
        return None

    def ask(self, prompt: str, default: str = "", history: bool = True) -> str:
        self.asked.append((prompt, default))
        if not self.answers:
            raise EOFError
        answer = self.answers.pop(0)
        return answer if answer else default


def plain() -> tuple[Renderer, io.StringIO]:
    out = io.StringIO()
    return Renderer(Console(file=out, force_terminal=False, no_color=True, width=120, soft_wrap=True)), out


def styled() -> tuple[Renderer, Console]:
    console = Console(file=io.StringIO(), force_terminal=True, width=120, record=True)
    return Renderer(console), console


def test_plain_card_shows_action_arguments_description_and_keys() -> None:
    renderer, out = plain()
    renderer.card(CARD)
    text = out.getvalue()
    assert "== Approve: approve_configuration ==" in text
    assert "Tune **local/tiny**." in text and "| epochs | 3 |" in text  # the markdown source, verbatim
    assert "  epochs: 3" in text and "  learning_rate: 0.003" in text and "  adapter_size: —" in text
    assert '  files: ["a.jsonl", "b.jsonl"]' in text and "  watch: true" in text
    assert "[y]es / [e]dit / [n]o" in text
    assert "\x1b[" not in text


def test_styled_card_renders_markdown_table_and_only_allowed_keys() -> None:
    renderer, console = styled()
    renderer.card(SUBMIT)
    text = console.export_text()
    assert "Approve: submit_tuning_job" in text and "run_id" in text and "ta-1" in text
    assert "[y]es / [n]o" in text and "[e]dit" not in text
    renderer.card(CARD)
    text = console.export_text()
    assert "setting" in text and "epochs" in text and "|---|" not in text  # the table is drawn, not raw


def test_reply_styled_renders_markdown_and_plain_keeps_source() -> None:
    renderer, console = styled()
    renderer.reply("Read **data.csv**: 30 rows.\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    assert "Read data.csv: 30 rows." in console.export_text()
    renderer, out = plain()
    renderer.reply("Uploaded to `x`.", status=True)
    assert out.getvalue().startswith("· Uploaded to `x`.")


@pytest.mark.parametrize(("current", "typed", "expected"), [
    (3, "5", 5), (0.003, "1e-4", 1e-4), (3, "three", "three"), (None, "text", "text"), ("a", "none", None),
    (True, "no", False), (False, "yes", True), (["a"], "b, c", ["b", "c"]), (["a"], '["x"]', ["x"]),
    ({"k": 1}, '{"k": 2}', {"k": 2}), ("question", " answer ", "answer"),
])
def test_parse_value_keeps_the_kind_of_the_current_value(current: Any, typed: str, expected: Any) -> None:
    assert parse_value(current, typed) == expected


def test_yes_approves() -> None:
    renderer, _ = plain()
    assert decide(CARD, ScriptReader(["", "y"]), renderer).resume == {"decisions": [{"type": "approve"}]}


@pytest.mark.parametrize("typed", ["go ahead", "yes please", "ok!", "sure"])
def test_a_whole_message_that_says_yes_approves(typed: str) -> None:
    renderer, _ = plain()
    assert decide(CARD, ScriptReader([typed]), renderer).resume == {"decisions": [{"type": "approve"}]}


@pytest.mark.parametrize("typed", ["ok wait", "right, hold on", "go away", "yes but not now"])
def test_a_yes_that_hesitates_is_never_sent_as_an_approval(typed: str) -> None:
    renderer, _ = plain()
    assert decide(CARD, ScriptReader([typed]), renderer).resume == {"decisions": [{"type": "reject",
                                                                                   "message": typed}]}


def test_edit_asks_each_argument_with_its_value_and_sends_only_changes() -> None:
    renderer, out = plain()
    reader = ScriptReader(["e", "", "2", "0.001", "", "", ""])
    answer = decide(CARD, reader, renderer)
    assert answer.resume == {"decisions": [{"type": "edit", "edited_action": {
        "name": "approve_configuration", "args": {"epochs": 2, "learning_rate": 0.001}}}]}
    defaults = dict(reader.asked[1:])
    assert defaults == {"  base_model: ": "local/tiny", "  epochs: ": "3", "  learning_rate: ": "0.003",
                        "  adapter_size: ": "", "  files: ": '["a.jsonl", "b.jsonl"]', "  watch: ": "true"}
    assert "Enter keeps it" in out.getvalue()


def test_edit_with_string_values_for_columns() -> None:
    renderer, _ = plain()
    card = {"action_requests": [{"name": "confirm_column_mapping",
                                 "args": {"prompt_column": "question", "completion_column": "answer",
                                          "system_column": None}, "description": "Columns"}],
            "review_configs": [{"action_name": "confirm_column_mapping",
                                "allowed_decisions": ["approve", "edit", "reject"]}]}
    answer = decide(card, ScriptReader(["edit", "answer", "question", "persona"]), renderer)
    assert answer.resume["decisions"][0]["edited_action"]["args"] == {
        "prompt_column": "answer", "completion_column": "question", "system_column": "persona"}


def test_edit_without_changes_goes_back_to_the_card() -> None:
    renderer, out = plain()
    reader = ScriptReader(["e", "", "", "", "", "", "", "y"])
    assert decide(CARD, reader, renderer).resume == {"decisions": [{"type": "approve"}]}
    assert "Nothing changed." in out.getvalue()


def test_no_declines_at_once_and_free_text_is_a_reject_message() -> None:
    renderer, out = plain()
    reader = ScriptReader(["n", "this line is never asked for"])
    answer = decide(CARD, reader, renderer)
    assert answer.resume == {"decisions": [{"type": "reject", "message": None}]}
    assert reader.answers == ["this line is never asked for"] and "Reason" not in out.getvalue()
    answer = decide(CARD, ScriptReader(["no, too expensive"]), renderer)
    assert answer.resume == {"decisions": [{"type": "reject", "message": "no, too expensive"}]}
    answer = decide(CARD, ScriptReader(["use 5 epochs"]), renderer)
    assert answer.resume == {"decisions": [{"type": "reject", "message": "use 5 epochs"}]}


def test_questions_go_as_chat_messages_when_a_detector_is_given() -> None:
    renderer, _ = plain()
    answer = decide(CARD, ScriptReader(["what is an epoch?"]), renderer, is_question=lambda t: t.endswith("?"))
    assert answer == Answer(message="what is an epoch?")


def test_decisions_the_card_does_not_allow_are_refused() -> None:
    renderer, out = plain()
    answer = decide(SUBMIT, ScriptReader(["e", "?", "yes"]), renderer)
    assert answer.resume == {"decisions": [{"type": "approve"}]}
    text = out.getvalue()
    assert "does not offer 'edit'" in text and "y: approve" in text and "e: change" not in text


def test_quit_at_a_card_leaves() -> None:
    renderer, _ = plain()
    with pytest.raises(QuitChat):
        decide(CARD, ScriptReader(["quit"]), renderer)
    with pytest.raises(EOFError):
        decide(CARD, ScriptReader([]), renderer)


def test_plain_reader_echoes_answers_and_uses_defaults() -> None:
    out = io.StringIO()
    reader = PlainReader(io.StringIO("hello\n\n"), out)
    assert reader.ask("> ") == "hello"
    assert reader.ask("epochs: ", default="3") == "3"
    with pytest.raises(EOFError):
        reader.ask("> ")
    assert out.getvalue() == "> hello\nepochs: [3] \n> \n"


def test_progress_events_in_plain_and_styled_mode() -> None:
    renderer, out = plain()
    with renderer.progress() as view:
        view.step("upload")
        view.event({"node": "upload", "file": "train.jsonl", "done": 2048, "total": 4096, "unit": "bytes"})
        view.event({"node": "monitor", "state": "JOB_STATE_RUNNING", "step": 4, "total": 18, "loss": 2.5,
                    "eta_s": 90})
    assert "Uploading train.jsonl: 2.0 kB/4.1 kB" in out.getvalue()
    renderer, _console = styled()
    with renderer.progress() as view:
        view.step("prepare")
        view.event({"node": "prepare", "done": 4096, "total": 4096, "unit": "bytes"})
        view.event({"node": "monitor", "state": "JOB_STATE_RUNNING", "step": 4, "total": 18, "loss": 2.5})
        progress = view._progress
        descriptions = {task.description: task for task in progress.tasks}
        converting = descriptions["Converting"]
        assert converting.completed == 4096 and converting.fields["detail"] == "4.1 kB/4.1 kB"
        assert descriptions["Training"].fields["detail"] == "running, step 4/18, loss 2.500"
        assert descriptions["Preparing the data…"].total is None
    assert view._progress is None


def test_format_value() -> None:
    assert [format_value(v) for v in (None, "x", False, 3, ["a"])] == ["", "x", "false", "3", '["a"]']


def test_thread_ids_are_short_readable_and_new() -> None:
    rng = random.Random(1)
    first = new_thread_id([], rng)
    assert first.count("-") == 2 and len(first) <= 24
    rng = random.Random(1)
    assert new_thread_id([first], rng) != first


def test_thread_ids_of_a_missing_or_empty_file(tmp_path: Any) -> None:
    assert thread_ids(tmp_path / "none.sqlite") == []
    (tmp_path / "empty.sqlite").write_bytes(b"")
    assert thread_ids(tmp_path / "empty.sqlite") == []


def test_current_step_reads_cards_questions_and_cut_steps() -> None:
    card = SimpleNamespace(tasks=[SimpleNamespace(interrupts=[SimpleNamespace(value=SUBMIT)])], next=("submit",),
                           values={})
    assert pending_interrupt(card) == SUBMIT and current_step(card) == "approve submit_tuning_job"
    question = SimpleNamespace(tasks=[], next=(), values={"pending": {"kind": "question", "step": "dataset_source"}})
    assert current_step(question) == "dataset_source: waiting for your answer"
    cut = SimpleNamespace(tasks=[SimpleNamespace(interrupts=[])], next=("upload",), values={"pending": None})
    assert current_step(cut).startswith("stopped in upload")
    done = SimpleNamespace(tasks=[], next=(), values={"pending": {"kind": "question", "step": "done"}})
    assert current_step(done) == "done: trying the tuned model"
