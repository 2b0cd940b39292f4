"""Turns at cards through the graph API (issue #12): what a step that fails lets a person do next,
and free text sent as a card's answer read like any message."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.graph_helpers import Session
from tests.test_graph_session import start, write_csv
from tools.errors import ToolError
from tools.platforms.base import EnvironmentResult
from tools.platforms.local import LocalPlatform

FAILED = EnvironmentResult(passed=False, errors=["missing role"], checks=[
    {"name": "roles", "ok": False, "severity": "error", "detail": "roles/aiplatform.user missing",
     "fix": "gcloud projects add-iam-policy-binding …"}])


def test_failed_environment_check_can_be_skipped_with_a_warning(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(LocalPlatform, "check_environment", lambda self, *a: FAILED)
    s = Session()
    s.say("I want to tune a model to answer trivia questions")
    s.approve()
    text = s.text()
    assert "TUNING_AGENT_VERTEX_ENDPOINT" in text and "skip" in text, "the ways on, and the variables to check"
    s.say("skip the check")
    assert "Skipped the environment check" in s.text() and "may fail later" in s.text()
    assert "dataset" in s.text().lower(), "the conversation moves on to the dataset"
    assert s.state["environment"]["passed"] and s.state["environment"]["note"] == "skipped"


def test_a_failing_environment_lookup_can_be_skipped(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: LocalPlatform, *args: object) -> EnvironmentResult:
        raise ToolError("The Service Usage lookup failed.", "Check TUNING_AGENT_SERVICEUSAGE_ENDPOINT.")

    monkeypatch.setattr(LocalPlatform, "check_environment", refuse)
    s = Session()
    s.say("I want to tune a model to answer trivia questions")
    s.approve()
    assert "retry" in s.text().lower()
    s.say("skip")
    assert "Skipped the environment check" in s.text()


def test_free_text_answer_with_a_change_at_submit_goes_to_the_configuration(home: Path) -> None:
    s = Session()
    start(s, write_csv(home))
    s.approve_until("submit_tuning_job")
    s.reject("use 2 epochs")  # what the terminal chat sends for free text typed at a card
    assert s.action == "approve_configuration"
    assert s.interrupt["action_requests"][0]["args"]["epochs"] == 2  # type: ignore[index]
    assert s.deps.platform("local").list_jobs() == [], "the old configuration is never submitted"
    s.approve()
    assert s.action == "submit_tuning_job"
    assert "--epochs 2" in s.interrupt["action_requests"][0]["description"]  # type: ignore[index]


def test_free_text_question_at_a_card_is_answered_and_the_card_stays(home: Path) -> None:
    s = Session()
    start(s, write_csv(home))
    s.approve_until("split_validation")
    s.reject("what is a validation set for?")
    assert "Source:" in s.text()
    assert s.action == "split_validation" and not s.state["dataset"].get("split_decided")


def test_column_card_shows_other_possible_mappings(home: Path) -> None:
    rows = [(f"What is {i} plus {i}?", f"{2 * i}", f"The sum of {i} and {i} is {2 * i} shown step by step.")
            for i in range(30)]
    path = home / "three.csv"
    path.write_text("question,short_answer,explanation\n" + "\n".join(",".join(r) for r in rows) + "\n")
    s = Session()
    start(s, path)
    assert s.action == "confirm_column_mapping"
    description = s.interrupt["action_requests"][0]["description"]  # type: ignore[index]
    assert "Other possible mappings" in description, description
    s.say("prompt=question completion=short_answer")
    assert s.state["dataset"]["mapping"]["completion_column"] == "short_answer"


def test_hugging_face_split_is_shown_before_use(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tools.data

    csv = write_csv(home)
    real = tools.data.inspect_source

    def offline(source: str, **kwargs: object) -> object:  # no network in tests: read a local file instead
        assert source == "hf://owner/trivia?split=validation"
        return real(str(csv), **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(tools.data, "inspect_source", offline)
    s = Session()
    s.say("I want to tune a model to answer trivia questions")
    s.approve()
    s.say("use hf://owner/trivia?split=validation")
    assert "Hugging Face split: **validation**" in s.text()
    assert s.action == "confirm_column_mapping", "the split is confirmed with the mapping, before anything is written"
