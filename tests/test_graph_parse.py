"""Deterministic reading of free text (the llm=none path) and the router's contract."""

from __future__ import annotations

import pytest

from graph import parse
from graph.router import next_step
from graph.steps import STEP_NAMES


@pytest.mark.parametrize(("text", "expected"), [("yes", True), ("Sure, go ahead", True), ("ok", True),
                                                ("no", False), ("not now", False), ("maybe later?", None),
                                                ("fine", True), ("Fine-tune a model to summarise tickets", None)])
def test_yes_no(text: str, expected: bool | None) -> None:
    assert parse.yes_no(text) is expected


def test_questions() -> None:
    assert parse.is_question("What is LoRA?")
    assert parse.is_question("how does the global region work")
    assert not parse.is_question("use data.csv")


@pytest.mark.parametrize(("text", "expected"), [("gemini please", "gemini"), ("an open model", "open"),
                                                ("tune llama for me", "open"), ("hello", None)])
def test_category(text: str, expected: str | None) -> None:
    assert parse.category(text) == expected


def test_dataset_references() -> None:
    assert parse.dataset_ref("use gs://b/data/train.jsonl please") == "gs://b/data/train.jsonl"
    assert parse.dataset_ref("my file is ./data/q.csv") == "./data/q.csv"
    assert parse.dataset_ref("try the dataset databricks/databricks-dolly-15k") == "databricks/databricks-dolly-15k"
    assert parse.dataset_ref("nothing here") is None


def test_split_and_region_and_project() -> None:
    assert parse.validation_split("80/20") == 0.2
    assert parse.validation_split("hold out 10%") == 0.1
    assert parse.region("run it in europe-west4") == "europe-west4"
    assert parse.project("project my-proj-123 please") == "my-proj-123"
    assert parse.bucket("bucket gs://my-data-bucket") == "my-data-bucket"


def test_model_mentions_resolve_to_catalog_names() -> None:
    assert parse.model_mention("use Gemma 3 12B") == "google/gemma3@gemma-3-12b-it"
    assert parse.model_mention("Can I tune Mistral 7B?") == "Mistral 7B"
    assert parse.model_mention("google/gemma3@gemma-3-4b-it") == "google/gemma3@gemma-3-4b-it"


def test_column_mapping_from_text() -> None:
    cols = ["question", "answer", "topic"]
    assert parse.column_mapping("prompt=question completion=answer", cols) == {
        "prompt_column": "question", "completion_column": "answer"}
    assert parse.column_mapping("use topic as the system", cols) == {"system_column": "topic"}


def test_router_walks_in_order_and_stops_on_open_question() -> None:
    assert next_step({}) == "category"
    assert next_step({"category": "open", "project": {"confirmed": True}, "environment": {"passed": True}}) \
        == "dataset_source"
    waiting = {"category": "open", "pending": {"kind": "question", "awaiting": True}}
    assert next_step(waiting) == "__end__"
    assert next_step({"side_reply": "what is LoRA?"}) == "answer"
    assert STEP_NAMES[-1] == "done"


def test_router_visits_an_open_card_before_later_steps() -> None:
    done_through_config = {"category": "open", "project": {"confirmed": True}, "environment": {"passed": True},
                           "dataset": {"inspected": True, "mapping_confirmed": True, "split_decided": True,
                                       "prepared": True, "uploaded": True},
                           "hparams": {"approved": True}, "preflight": {"ok": True}}
    reopened = {**done_through_config, "pending": {"kind": "approval", "step": "project_region"}}
    assert next_step(reopened) == "project_region"
    assert next_step(done_through_config) == "submit"


def test_a_greeting_is_not_a_purpose() -> None:
    """"hi" used to become the purpose (and the thread's title "Hi"); a real purpose still counts."""
    for text in ("hi", "Hello!", "hello there", "hey bot", "good morning", "help", "let's start", "thanks"):
        assert parse.is_small_talk(text), text
    for text in ("hi, I want to tune a model for SQL", "support answers", "hello world generator",
                 "help desk replies in French"):
        assert not parse.is_small_talk(text), text
