"""tools/titles.py: a thread's title from its purpose and dataset."""

from __future__ import annotations

import pytest

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
