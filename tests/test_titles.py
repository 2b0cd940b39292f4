"""A thread's title from its purpose and dataset (tools/titles.py), kept in state by the graph
(graph/title.py) as soon as either is known."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.deps import Deps
from tests.graph_helpers import Session
from tests.test_graph_session import write_csv
from tools.titles import MAX_TITLE, conversation_title


@pytest.mark.parametrize(("purpose", "dataset", "title"), [
    ("I want to tune a model to answer support questions", "/data/tickets.csv",
     "Answer support questions · tickets.csv"),
    ("Fine-tune an LLM for legal summaries.", "gs://bucket/prep/train.jsonl", "Legal summaries · train.jsonl"),
    ("I'd like to train a small model that writes SQL", None, "Writes SQL"),
    ("classify tickets by urgency", "openai/gsm8k", "Classify tickets by urgency · openai/gsm8k"),
    ("", "local://b/x/data.csv", "data.csv"),
    (None, None, "New conversation"),
    ("tune a model", None, "Tune a model"),  # nothing left after the lead-in: keep the words
])
def test_titles(purpose: str | None, dataset: str | None, title: str) -> None:
    assert conversation_title(purpose, dataset) == title


def test_long_titles_are_shortened() -> None:
    title = conversation_title("answer " + "very " * 30 + "long questions", "d.csv")
    assert len(title) == MAX_TITLE and title.endswith("…")


def test_the_graph_titles_the_thread_from_the_purpose_then_the_dataset(home: Path) -> None:
    """The title is in state after the first turn, grows the dataset's name once it is chosen, and
    the host (the server's metadata writer) is told each new title once; resumes repeat nothing."""
    told: list[str] = []
    s = Session(Deps(platform_name="local", poll_s=0.2, on_title=told.append))
    s.say("I want to tune a model to answer trivia questions")
    assert s.state["title"] == "Answer trivia questions" and told == ["Answer trivia questions"]
    s.approve()
    s.say(f"use {write_csv(home)}")
    assert s.state["title"] == "Answer trivia questions · trivia.csv"
    assert told == ["Answer trivia questions", "Answer trivia questions · trivia.csv"]
    s.approve()
    assert len(told) == 2, told


def test_two_threads_with_different_purposes_have_different_titles(home: Path) -> None:
    first, second = Session(), Session()
    first.say("I want to tune a model to answer trivia questions")
    second.say("Fine-tune a model to summarise support tickets")
    assert first.state["title"] == "Answer trivia questions"
    assert second.state["title"] == "Summarise support tickets"
