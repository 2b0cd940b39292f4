"""Side questions are answered from one short section of knowledge/texts, naming it."""

from __future__ import annotations

import pytest

from knowledge import reference_names
from tools.answers import MAX_CHARS, all_sections, answer, grounded_prompt, rank, split_sections

CASES = [
    ("what is LoRA?", "What is LoRA / PEFT"),
    ("what's PEFT", "What is LoRA / PEFT"),
    ("open vs gemini, which should I pick?", "Open models or Gemini"),
    ("should I use an open model or Gemini?", "Open models or Gemini"),
    ("how much will it cost?", "How much will tuning cost"),
    ("is tuning expensive?", "How much will tuning cost"),
    ("how long will it take?", "How long will it take"),
    ("what format does my data need?", "What format does my data need"),
    ("what is a validation split?", "Validation set: what is a validation split"),
    ("how many epochs?", "Epochs"),
    ("what learning rate should I use", "Learning rate"),
    ("what adapter size should I pick", "Adapter size (rank)"),
    ("what region should I use?", "What region should I use"),
    ("what does deploy cost?", "What does deploying cost"),
    ("is it expensive to serve the model", "What does deploying cost"),
    ("what is the local platform?", "What is the local platform"),
    ("how do I install gcloud", "Setup checklist for Google Cloud"),
    ("which locations are supported", "Location list"),
    ("what is overfitting", "Overfitting"),
    ("how many examples do I need", "How many examples do I need"),
]


@pytest.mark.parametrize(("question", "title"), CASES)
def test_question_finds_its_section(question: str, title: str) -> None:
    found = answer(question)
    assert found.source.endswith(title), (question, found.source)
    assert len(found.text) <= MAX_CHARS + 2
    assert f"(Source: {found.source})" in found.render()


def test_answer_is_a_section_not_the_page() -> None:
    page_words = sum(len(s.body) for s in all_sections() if s.doc == "tuning_concepts")
    assert len(answer("what is LoRA?").text) < page_words / 3


def test_unrelated_question_says_so_and_lists_topics() -> None:
    found = answer("what's the weather in Paris")
    assert not found.found
    assert "no notes" in found.text and "Tuning concepts" in found.text


def test_every_text_splits_into_titled_sections() -> None:
    docs = {s.doc for s in all_sections()}
    assert docs == set(reference_names())
    assert all(s.title and s.body for s in all_sections())


def test_split_sections_keeps_preamble_and_headings() -> None:
    text = "# Title\n\nintro line\n\n## First\nbody one\n## Second\nbody two\n"
    got = split_sections("doc", text)
    assert [(s.title, s.body) for s in got] == [("Title", "intro line"), ("First", "body one"),
                                                 ("Second", "body two")]
    assert got[1].name == "Title › First"


def test_rank_orders_best_first() -> None:
    scores = [score for _, score in rank("how much does tuning cost per token", k=3)]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0


def test_grounded_prompt_carries_sections_and_question() -> None:
    prompt = grounded_prompt("what is LoRA?")
    assert "[Tuning concepts › What is LoRA / PEFT]" in prompt
    assert prompt.rstrip().endswith("Question: what is LoRA?")
    assert "Topics covered" in grounded_prompt("zzz qqq")


def test_setup_checklist_is_complete() -> None:
    """The seed rules' checklist: gcloud install/update, the location list, project/region confirmation,
    and the variables to change when a lookup fails."""
    from knowledge import reference_text

    text = reference_text("environment_setup")
    for needed in ("gcloud components update", "cloud.google.com/sdk/docs/install", "gcloud config get-value project",
                   "## Location list", "us-central1", "europe-west4", "asia-southeast1", "global",
                   "Confirm project and region", "TUNING_AGENT_VERTEX_ENDPOINT", "TUNING_AGENT_SERVICEUSAGE_ENDPOINT",
                   "TUNING_AGENT_RESOURCEMANAGER_ENDPOINT", "STORAGE_EMULATOR_HOST", "Skipping the environment check"):
        assert needed in text, needed
    assert answer("which regions can I use?").source.startswith("Environment setup checklist") or \
        answer("which regions can I use?").source.startswith("Regions")


def test_cost_answer_carries_the_billing_note() -> None:
    assert "may differ from billing" in answer("how much will it cost?").text


@pytest.mark.parametrize(("action", "said"), [("strip-control", "escape codes"), ("dedupe", "repeat an earlier row"),
                                              ("dedupe-prompts", "one answer per prompt"),
                                              ("drop-long", "longer than the model accepts")])
def test_cleaning_actions_are_answered_from_the_notes(action: str, said: str) -> None:
    """The Clean dataset card names these actions; "what does strip-control do?" must explain that one."""
    found = answer(f"what does {action} do?")
    assert found.found and "Cleaning" in found.source, found.source
    assert action in found.text and said in found.text


def test_a_shared_word_alone_does_not_pick_a_section() -> None:
    """"control" appears in the notes, but a question about something else that happens to use it is told
    there are no notes, instead of being handed an unrelated section."""
    for question in ("what is a kubernetes control plane?", "what does frobnicate-control do?"):
        found = answer(question)
        assert not found.found, (question, found.source)
        assert "no notes" in found.text


def test_a_question_phrased_around_its_subject_is_still_answered() -> None:
    """The floor weighs the subject, not the phrasing: "what does an epoch mean?" is about epochs."""
    assert answer("what does an epoch mean?").source.endswith("Epochs")
    assert answer("explain the learning rate").source.endswith("Learning rate")


def test_a_request_for_help_with_the_data_has_no_floor() -> None:
    """"help with my data — it has three columns" names its subject loosely and still gets the data notes."""
    assert answer("I need help with my data — it has three columns").source.startswith("Dataset format")
