"""Regressions from a review of the conversation flows: answers reach only the card they were
typed at, changes of mind redo what depends on them, and no turn ends without a reply."""

from __future__ import annotations

from pathlib import Path

from langgraph.types import Command

from tests.graph_helpers import Session
from tests.test_graph_session import TRIVIA, start, write_csv


def test_a_switch_message_at_the_submit_card_never_submits_later(home: Path) -> None:
    s = Session()
    start(s, write_csv(home))
    s.approve_until("submit_tuning_job")
    other = write_csv(home, TRIVIA[:10] * 3, "other.csv")
    s.say(f"ok, but use {other} instead")
    seen = []
    for _ in range(10):
        if s.action in (None, "submit_tuning_job"):
            break
        seen.append(s.action)
        s.approve()
    assert s.action == "submit_tuning_job", "the submit card is shown again, not answered by the old message"
    assert "approve_configuration" in seen, "a new dataset is configured (and costed) again"
    assert s.state["dataset"]["source"] == str(other)
    assert s.deps.platform("local").list_jobs() == []


def test_yes_or_no_followed_by_details_keeps_the_details(home: Path) -> None:
    s = Session()
    start(s, write_csv(home))
    s.approve()
    assert s.action == "split_validation"
    s.say("no, hold out 10% please")
    assert s.state["dataset"]["validation_split"] == 0.1
    assert s.action == "create_bucket"
    s.say("ok, use bucket team-data")
    assert s.interrupt["action_requests"][0]["args"]["bucket"] == "team-data"  # type: ignore[index]


def test_yes_but_changes_the_configuration(home: Path) -> None:
    s = Session()
    start(s, write_csv(home))
    s.approve_until("approve_configuration")
    s.say("yes, but with 1 epoch")
    assert s.action == "approve_configuration"
    assert s.interrupt["action_requests"][0]["args"]["epochs"] == 1  # type: ignore[index]
    assert not s.state.get("hparams", {}).get("approved")


def test_a_typo_in_a_new_path_keeps_the_prepared_dataset(home: Path) -> None:
    s = Session()
    start(s, write_csv(home))
    s.approve_until("submit_tuning_job")
    s.say("use trivia_v2.csv instead")
    assert "can't find" in s.text() and "kept the dataset" in s.text()
    assert s.state["dataset"]["uploaded"], "nothing prepared is thrown away"
    assert s.deps.platform("local").list_jobs() == []
    assert s.action == "submit_tuning_job", "the card that was open comes back, undecided"


def test_changes_after_a_declined_submit_are_applied(home: Path) -> None:
    s = Session()
    start(s, write_csv(home))
    s.approve_until("submit_tuning_job")
    s.reject("not yet")
    s.say("use 2 epochs instead")
    assert s.action == "approve_configuration"
    assert s.interrupt["action_requests"][0]["args"]["epochs"] == 2  # type: ignore[index]
    s.approve()
    assert s.action == "submit_tuning_job"
    assert "--epochs 2" in s.interrupt["action_requests"][0]["description"]  # type: ignore[index]


def test_vanished_upload_goes_back_to_upload(home: Path) -> None:
    s = Session()
    start(s, write_csv(home))
    s.approve_until("approve_configuration")
    uploaded = Path(home / "home" / "buckets" / "tuning-agent")
    for path in uploaded.rglob("train.jsonl"):
        path.unlink()
    s.approve()
    assert "upload it again" in s.text()
    assert s.action == "upload_dataset"


def test_declined_deployment_can_be_asked_for_later_and_every_turn_replies(home: Path) -> None:
    s = Session()
    start(s, write_csv(home))
    s.approve_until("deploy_model")
    s.reject("no")
    s.say("thanks!")
    assert s.replies, "every turn says something"
    s.say("deploy it after all")
    assert s.action == "deploy_model"


def test_changing_category_midway_asks_and_redoes_the_format(home: Path) -> None:
    s = Session()
    start(s, write_csv(home))
    s.approve()  # mapping
    s.say("actually I want to use gemini instead")
    assert s.action == "choose_model_category"
    assert "Switch from **open** to **gemini**" in s.interrupt["action_requests"][0]["description"]  # type: ignore[index]
    s.approve()
    assert s.state["category"] == "gemini"
    s.approve_until("create_bucket")
    train = Path(s.state["dataset"]["train_path"]).read_text(encoding="utf-8")
    assert '"contents"' in train and '"model"' in train


def test_numbers_in_the_purpose_are_not_a_split(home: Path) -> None:
    s = Session()
    s.say("I want a support model that cuts handling time by 30%")
    s.approve()
    s.say(f"use {write_csv(home)}")
    s.approve()
    assert s.interrupt["action_requests"][0]["args"] == {"validation_split": 0.2}  # type: ignore[index]


def test_malformed_resumes_reask_instead_of_failing(home: Path) -> None:
    s = Session()
    s.say("I want to tune a model to answer trivia questions")
    s._run(Command(resume={"decisions": [{"type": "accept"}]}))
    assert s.action == "choose_model_category"
    assert "could not read the answer" in s.interrupt["action_requests"][0]["description"]  # type: ignore[index]
    s._run(Command(resume=[{"type": "accept", "args": None}]))  # the older Agent Chat UI answer
    assert s.state["category"] == "open"


def test_old_style_edits_are_checked_and_never_break_the_thread(home: Path) -> None:
    """Found by attacking the server: a bare-list edit naming another card approved the open one,
    and an edit whose args were a string broke every later answer on the thread."""
    s = Session()
    s.say("I want to tune a model to answer trivia questions")
    s.approve()
    s.say(f"use {write_csv(home)}")
    assert s.action == "confirm_column_mapping"
    s._run(Command(resume=[{"type": "edit", "edited_action": {"name": "submit_tuning_job", "args": {}}}]))
    assert s.action == "confirm_column_mapping" and not s.state["dataset"].get("mapping_confirmed")
    s._run(Command(resume=[{"type": "edit", "args": "zzz"}]))
    assert s.action == "confirm_column_mapping"
    assert "an edit must carry" in s.interrupt["action_requests"][0]["description"]  # type: ignore[index]
    s._run(Command(resume=[{"type": "edit", "args": {"action": "submit_tuning_job", "args": {}}}]))
    assert "not this card" in s.interrupt["action_requests"][0]["description"]  # type: ignore[index]
    s.approve()  # the thread still answers
    assert s.state["dataset"]["mapping_confirmed"]


def test_a_refused_model_edit_leaves_the_thread_usable(home: Path, tmp_path: Path) -> None:
    """Found by attacking the server: editing base_model to a folder that is no model made every
    later message fail (a KeyError in intake)."""
    s = Session()
    s.say("I want to tune a model to answer trivia questions")
    s.approve()
    s.say(f"use {write_csv(home)}")
    s.approve_until("approve_configuration")
    folder = tmp_path / "not-a-model"
    folder.mkdir()
    s.edit(base_model=str(folder))
    assert any("not-a-model" in r for r in s.replies)
    s.say("hello")
    assert s.action == "approve_configuration"
