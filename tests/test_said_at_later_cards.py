"""What a new user typed that used to be misread: split shares out of range, a split change at a later card,
"status"/"help" before a purpose, an unknown model at the configuration card, the status list, and a
cleaning decision that must be remembered. Each test states what the person meant, on the real graph."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.graph_helpers import Session
from tests.test_graph_cleaning import dirty_csv, to_cleaning_card
from tests.test_graph_session import start, write_csv


def _to_split(home: Path) -> Session:
    s = Session()
    start(s, write_csv(home))
    s.approve()  # the column mapping
    assert s.action == "split_validation", s.text()
    return s


def _args(s: Session) -> dict:
    return s.interrupt["action_requests"][0]["args"]  # type: ignore[index]


@pytest.mark.parametrize("typed", [True, False])
def test_more_than_the_limit_is_refused_like_90_percent_and_the_card_stays(home: Path, typed: bool) -> None:
    s = _to_split(home)
    (s.say if typed else s.reject)("hold out 200%")
    assert s.action == "split_validation" and _args(s) == {"validation_split": 0.2}
    assert "**200%** is more than can be held out" in s.text() and "the most is **20%**" in s.text()
    assert "Declined" not in s.text() and not s.state["dataset"].get("split_decided")


@pytest.mark.parametrize(("said", "why"), [("hold out -5%", "can't be held out"),
                                           ("hold out 150", "is not a share")])
def test_a_negative_or_unitless_share_gets_an_answer_not_a_decline(home: Path, said: str, why: str) -> None:
    s = _to_split(home)
    s.reject(said)
    assert s.action == "split_validation" and why in s.text(), s.text()
    assert _args(s) == {"validation_split": 0.2}, "the proposal is kept, not changed to 5%"
    assert "Declined" not in s.text() and not s.state["dataset"].get("split_decided")


def test_half_a_percent_is_a_share_that_is_used(home: Path) -> None:
    s = _to_split(home)
    s.reject("hold out 0.5%")
    assert s.state["dataset"]["split_decided"] and s.state["dataset"]["validation_split"] == 0.005


def test_a_split_change_at_the_bucket_card_or_question_goes_back_to_the_split(home: Path) -> None:
    s = _to_split(home)
    s.approve()
    assert s.action == "create_bucket"
    s.say("hold out 90%")
    assert s.action == "split_validation" and _args(s) == {"validation_split": 0.2}, s.text()
    assert "more than can be held out" in s.text() and "Declined" not in s.text()
    s.approve()
    s.reject()  # no bucket: the question for an existing one follows
    assert s.action is None and s.state["pending"]["kind"] == "question"
    s.say("hold out 10%")
    assert s.action == "split_validation" and _args(s) == {"validation_split": 0.1}, s.text()


@pytest.mark.parametrize("word", ["status", "help"])
def test_status_or_help_first_is_answered_and_the_purpose_question_stays(home: Path, word: str) -> None:
    s = Session()
    s.say(word)
    assert not (s.state.get("facts") or {}).get("purpose") and s.action is None
    assert s.state["pending"]["question"] == "What would you like to tune a model for?"
    assert ("Nothing decided yet" if word == "status" else "what the model is for") in s.text()
    s.say("I want to tune a model to answer trivia questions")
    assert s.action == "choose_model_category" and "For **I want to tune a model to answer trivia" in s.text()


@pytest.mark.parametrize("said", ["use banana-9000", "set the model to banana-9000"])
def test_an_unknown_model_at_the_configuration_card_is_refused_like_an_edit(home: Path, said: str) -> None:
    s = _to_split(home)
    s.approve_until("approve_configuration")
    before = _args(s)
    s.reject(said)
    assert s.action == "approve_configuration" and _args(s) == before
    assert "banana-9000 can't be used" in s.text() and "pick" in s.text() and "Declined" not in s.text()
    s.say("status")
    assert "Approve the model and settings" not in s.text().split("Open now")[0]
    assert "(declined)" not in s.text()


def test_status_lists_each_card_once_as_its_line_said(home: Path) -> None:
    s = Session()
    s.say("I want to tune a model to answer trivia questions")
    s.reject("use llama")
    assert "Chose **open**" in s.text()
    s.say(f"use {write_csv(home)}")
    s.say("status")
    assert "Decided so far: Choose the model category (Chose open)." in s.text()
    s.approve_until("approve_configuration")
    s.say("actually use gemini")
    s.approve()
    s.say("status")
    decided = s.text().split("Decided so far: ")[1].split("\n")[0]
    assert decided.count("Choose the model category") == 1 and "(declined)" not in decided, decided


def test_a_declined_cleaning_is_not_asked_again_for_the_same_data(home: Path) -> None:
    s = Session()
    to_cleaning_card(s, dirty_csv(home))
    s.reject("keep them")
    s.approve_until("approve_configuration")
    s.say("actually use gemini")
    s.approve()
    seen = []
    for _ in range(8):  # the data is written again in the Gemini format
        seen.append(s.action)
        if s.action in (None, "approve_configuration"):
            break
        s.approve()
    assert "clean_dataset" not in seen, seen
    assert s.state["dataset"]["prepared"] and "Kept the rows as they are" in "\n".join(
        str(m.content) for m in s.state["messages"][-12:])


def test_undo_the_cleaning_reopens_the_card_with_what_was_chosen(home: Path) -> None:
    s = Session()
    to_cleaning_card(s, dirty_csv(home))
    s.reject("only strip-control")
    assert s.action != "clean_dataset"
    s.say("undo the cleaning")
    assert s.action == "clean_dataset" and _args(s) == {"actions": ["strip-control"]}
