"""LLM roles: advice is used when valid, checked always, and the budget per session holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.deps import Deps
from tests.fake_llm import RecordingFakeLLM
from tests.graph_helpers import Session
from tests.test_graph_session import write_csv


def _facts(text: str) -> dict[str, object]:
    message = text.split("<<<")[-1]
    if "capital" in message.lower():
        return {"side_question": None}
    if "go with the google one" in message.lower():
        return {"category": "gemini", "answer": "gemini"}
    return {}


def scripted(**overrides: object) -> RecordingFakeLLM:
    answers = {
        "ExtractedFacts": _facts,
        "ColumnChoice": lambda text: {"prompt_column": "question", "completion_column": "answer"},
        "Answer": lambda text: {"text": "LoRA trains a small adapter beside frozen weights."},
    }
    answers.update(overrides)  # type: ignore[arg-type]
    return RecordingFakeLLM(answers=answers)


def test_llm_reads_free_text_category(home: Path) -> None:
    llm = scripted()
    s = Session(Deps(platform_name="local", llm=llm, poll_s=0.2))
    s.say("hmm, let's go with the google one")
    assert s.state["category"] == "gemini"


def test_invalid_llm_mapping_falls_back_to_heuristic(home: Path) -> None:
    llm = scripted(ColumnChoice=lambda text: {"prompt_column": "nonexistent", "completion_column": "answer"})
    s = Session(Deps(platform_name="local", llm=llm, poll_s=0.2))
    s.say("I want to tune a model to answer trivia questions")
    s.approve()
    s.say(f"use {write_csv(home)}")
    args = s.interrupt["action_requests"][0]["args"]  # type: ignore[index]
    assert args["prompt_column"] == "question", "the heuristic mapping, not the invented column"


def test_failing_llm_never_breaks_the_session(home: Path) -> None:
    def boom(text: str) -> object:
        raise TimeoutError("provider down")

    llm = scripted(ExtractedFacts=boom, ColumnChoice=boom, Answer=boom)
    s = Session(Deps(platform_name="local", llm=llm, poll_s=0.2))
    s.say("What is PEFT?")
    assert "PEFT" in s.text(), "the reference text answers when the LLM fails"
    assert s.action == "choose_model_category"


@pytest.mark.slow
def test_full_session_llm_budget(home: Path) -> None:
    llm = scripted()
    s = Session(Deps(platform_name="local", llm=llm, poll_s=0.2))
    s.say("I want to tune a model to answer trivia questions")
    s.approve()
    s.say(f"use {write_csv(home)}")
    s.say("what is LoRA?")
    s.approve_until("deploy_model")
    s.approve()
    s.say("What is the capital of Japan?")
    assert s.state["job"]["succeeded"]
    assert len(llm.calls) <= 8, [name for name, _ in llm.calls]
    assert llm.input_tokens <= 25_000
    print(f"LLM calls: {len(llm.calls)}, input tokens ≈ {llm.input_tokens}")
