"""The deterministic reader: what a person means at a card, including what must NOT be misread."""

from __future__ import annotations

import pytest

from graph.intents import (
    Back,
    CardContext,
    Change,
    Choice,
    Dataset,
    Intent,
    Purpose,
    Question,
    Reply,
    Retry,
    SearchBuckets,
    Skip,
    Status,
    Stop,
    from_llm,
    kind_of,
    merge,
    read,
)

CATEGORY = CardContext(card="category", choices=("open", "gemini"))
MODELS = CardContext(card="model", choices=("Gemma 3 12B IT", "Gemini 2.5 Flash", "Gemma 3 1B IT"))
CONFIG = CardContext(card="config", fields=frozenset({"epochs", "learning_rate", "adapter_size", "base_model"}))
SUBMIT = CardContext(card="submit")
DEPLOY = CardContext(card="deploy")
SPLIT = CardContext(card="split", fields=frozenset({"validation_split"}))
ENV = CardContext(card="environment")
PURPOSE = CardContext(card="purpose", expects_text=True)
NONE = CardContext()
PICKS = CardContext(card="model", choices=("Gemma 4 E4B IT", "Gemini 3.5 Flash", "Llama 3.2 1B Instruct"),
                    aliases=(("budget", "Llama 3.2 1B Instruct"), ("cheapest", "Llama 3.2 1B Instruct")))
EPOCHS_ONLY = CardContext(card="epochs", fields=frozenset({"epochs"}))

GEMMA_12B = "google/gemma3@gemma-3-12b-it"
LLAMA_8B = "meta/llama3_1@llama-3.1-8b"

CASES: list[tuple[str, CardContext, list[Intent]]] = [
    # yes / no at a card
    ("y", SUBMIT, [Reply(True)]),
    ("yes", SUBMIT, [Reply(True)]),
    ("Yes.", SUBMIT, [Reply(True)]),
    ("ok, go ahead", SUBMIT, [Reply(True)]),
    ("sure", DEPLOY, [Reply(True)]),
    ("looks good", SUBMIT, [Reply(True)]),
    ("lgtm", SUBMIT, [Reply(True)]),
    ("sounds good", SPLIT, [Reply(True)]),
    ("yep", SUBMIT, [Reply(True)]),
    ("n", DEPLOY, [Reply(False)]),
    ("no", SUBMIT, [Reply(False)]),
    ("nope", SUBMIT, [Reply(False)]),
    ("no thanks", DEPLOY, [Reply(False)]),
    ("No thank you.", DEPLOY, [Reply(False)]),
    ("nah", SPLIT, [Reply(False)]),
    # yes / no with details
    ("no, hold out 10%", SPLIT, [Reply(False, "hold out 10%"), Change("validation_split", 0.1)]),
    ("yes but 2 epochs", SUBMIT, [Reply(True, "but 2 epochs"), Change("epochs", 2)]),
    ("no, use 2 epochs instead", SUBMIT, [Reply(False, "use 2 epochs instead"), Change("epochs", 2)]),
    ("no, 15% for validation", SPLIT, [Reply(False, "15% for validation"), Change("validation_split", 0.15)]),
    # changes
    ("use 0 epochs", CONFIG, [Change("epochs", 0)]),
    ("switch to gemma 3 12b", SUBMIT, [Change("base_model", GEMMA_12B), Change("category", "open")]),
    ("make it 5 epochs and lr 2e-4", SUBMIT, [Change("epochs", 5), Change("learning_rate", 2e-4)]),
    ("epochs=4", CONFIG, [Change("epochs", 4)]),
    ("rank 8 and multiplier 0.5", CONFIG, [Change("learning_rate_multiplier", 0.5), Change("adapter_size", 8)]),
    ("adapter size 16", CONFIG, [Change("adapter_size", 16)]),
    ("learning rate 1e-4", CONFIG, [Change("learning_rate", 1e-4)]),
    ("can you use 3 epochs?", CONFIG, [Change("epochs", 3)]),
    ("could we switch to llama 3.1 8b?", SUBMIT, [Change("base_model", LLAMA_8B), Change("category", "open")]),
    ("let's use llama 3.1 8b instead", CONFIG, [Change("base_model", LLAMA_8B), Change("category", "open")]),
    ("use europe-west4", NONE, [Change("region", "europe-west4")]),
    ("run it in us-central1 please", SUBMIT, [Change("region", "us-central1")]),
    ("bucket is my-data-bkt", NONE, [Change("bucket", "my-data-bkt")]),
    ("full tuning", CONFIG, [Change("tuning_mode", "FULL")]),
    ("use LoRA", CONFIG, [Change("tuning_mode", "PEFT_ADAPTER")]),
    ("don't use full tuning", CONFIG, [Change("tuning_mode", "PEFT_ADAPTER")]),
    ("no validation please", SPLIT, [Change("validation_split", 0.0)]),
    ("without a validation set", SPLIT, [Change("validation_split", 0.0)]),
    ("split the dataset 80/20", SPLIT, [Change("validation_split", 0.2)]),
    ("switch to gemini", SUBMIT, [Change("category", "gemini")]),
    ("use local/smollm2-135m", CONFIG, [Change("base_model", "local/smollm2-135m")]),
    # choices at cards
    ("gemini", CATEGORY, [Choice("gemini")]),
    ("open", CATEGORY, [Choice("open")]),
    ("Open models", CATEGORY, [Choice("open")]),
    ("let's go with the open one", CATEGORY, [Choice("open")]),
    ("2", CATEGORY, [Choice("gemini")]),
    ("I'll take gemma", CATEGORY, [Choice("open")]),
    ("option 3", MODELS, [Choice("Gemma 3 1B IT")]),
    ("gemini 2.5 flash", MODELS, [Choice("Gemini 2.5 Flash")]),
    # questions are never choices or changes
    ("what's the difference between open and gemini?", CATEGORY, [Question(
        "what's the difference between open and gemini?")]),
    ("should I pick open or gemini?", CATEGORY, [Question("should I pick open or gemini?")]),
    ("is gemini better for this", CATEGORY, [Question("is gemini better for this")]),
    ("which one is cheaper, open or gemini?", CATEGORY, [Question("which one is cheaper, open or gemini?")]),
    ("what is LoRA?", CONFIG, [Question("what is LoRA?")]),
    ("how many epochs should I use?", CONFIG, [Question("how many epochs should I use?")]),
    ("does 5 epochs overfit?", CONFIG, [Question("does 5 epochs overfit?")]),
    ("what does deploying cost?", DEPLOY, [Question("what does deploying cost?")]),
    ("can I skip this?", ENV, [Question("can I skip this?")]),
    ("is global ok for gemini?", NONE, [Question("is global ok for gemini?")]),
    ("how long will it take?", SUBMIT, [Question("how long will it take?")]),
    ("do I need a validation split?", SPLIT, [Question("do I need a validation split?")]),
    ("should I deploy it?", DEPLOY, [Question("should I deploy it?")]),
    # purposes, alone or with a question
    ("I'm building a bot for customer support — what setup do I need?", NONE,
     [Purpose("I'm building a bot for customer support"), Question("what setup do I need?")]),
    ("We're making a legal summarizer. Which model should we use?", NONE,
     [Purpose("We're making a legal summarizer"), Question("Which model should we use?")]),
    ("I want to fine-tune a model to classify support tickets", NONE,
     [Purpose("I want to fine-tune a model to classify support tickets")]),
    ("customer support replies in our brand voice", CATEGORY,
     [Purpose("customer support replies in our brand voice")]),
    ("a support bot for our billing questions", CATEGORY, [Purpose("a support bot for our billing questions")]),
    ("my goal is to triage bug reports", NONE, [Purpose("my goal is to triage bug reports")]),
    ("answering questions about our product", PURPOSE, [Purpose("answering questions about our product")]),
    ("medical Q&A", PURPOSE, [Purpose("medical Q&A")]),
    # datasets
    ("use gs://my-bucket/data/train.jsonl", NONE, [Dataset("gs://my-bucket/data/train.jsonl")]),
    ("my data is in ./tickets.csv", NONE, [Dataset("./tickets.csv")]),
    # skip, stop, status
    ("don't deploy", DEPLOY, [Skip("deploy")]),
    ("skip", DEPLOY, [Skip("deploy")]),
    ("skip it", ENV, [Skip("environment")]),
    ("skip the environment check", ENV, [Skip("environment")]),
    ("I don't want to deploy", SUBMIT, [Skip("deploy")]),
    ("move on", ENV, [Skip("environment")]),
    ("stop", NONE, [Stop()]),
    ("cancel the job", NONE, [Stop("job")]),
    ("what's the status", NONE, [Status()]),
    ("how's the job going?", NONE, [Status()]),
    ("is it done yet", NONE, [Status()]),
    ("Is the job finished?", NONE, [Status()]),
    ("how far along is training?", NONE, [Status()]),
    # ways on from a failed step: retry, back, skip after a yes, later
    ("retry", ENV, [Retry()]),
    ("I fixed it, try again", ENV, [Retry()]),
    ("go back", SUBMIT, [Back()]),
    ("yes, skip it", ENV, [Skip("environment")]),
    ("ok skip", ENV, [Skip("environment")]),
    ("maybe later", DEPLOY, [Reply(False)]),
    # relative and reordered changes, bare values where the card has one field
    ("lower the learning rate", CONFIG, [Change("learning_rate", "lower")]),
    ("more epochs please", CONFIG, [Change("epochs", "higher")]),
    ("use 1e-5 learning rate", CONFIG, [Change("learning_rate", 1e-5)]),
    ("set the adapter rank to 4", CONFIG, [Change("adapter_size", 4)]),
    ("epochs: 2, lr: 0.0001", CONFIG, [Change("epochs", 2), Change("learning_rate", 1e-4)]),
    ("5", EPOCHS_ONLY, [Change("epochs", 5)]),
    ("0.1", SPLIT, [Change("validation_split", 0.1)]),
    # choices by role or a distinctive word
    ("cheapest one", PICKS, [Choice("Llama 3.2 1B Instruct")]),
    ("the budget pick", PICKS, [Choice("Llama 3.2 1B Instruct")]),
    ("llama", PICKS, [Choice("Llama 3.2 1B Instruct")]),
    ("gemma", PICKS, [Choice("Gemma 4 E4B IT")]),
    # datasets and searches
    ("hf: squad", NONE, [Dataset("squad")]),
    ("databricks/databricks-dolly-15k", NONE, [Dataset("databricks/databricks-dolly-15k")]),
    ("search my buckets", NONE, [SearchBuckets()]),
    ("I want to use my own data at ./data/qa.jsonl", NONE, [Dataset("./data/qa.jsonl")]),
]


@pytest.mark.parametrize(("text", "ctx", "expected"), CASES, ids=[c[0][:40] for c in CASES])
def test_reads(text: str, ctx: CardContext, expected: list[Intent]) -> None:
    assert read(text, ctx).intents == expected


NOT_MISREAD = [
    # (text, card, kinds that must NOT appear)
    ("what's the difference between open and gemini?", CATEGORY, {"choice", "change", "reply"}),
    ("how does the open model compare?", CATEGORY, {"choice"}),
    ("is LoRA cheaper than full tuning?", CONFIG, {"change"}),
    ("what if I use 5 epochs?", CONFIG, {"change"}),
    ("should I use global?", NONE, {"change"}),
    ("cuts handling time by 30% — is that realistic?", NONE, {"change"}),
    ("a bucket for my data", NONE, {"change", "purpose"}),
    ("I'm not sure", CATEGORY, {"purpose", "choice"}),
    ("hmm, wait a second", SUBMIT, {"purpose", "reply"}),
    ("don't deploy", DEPLOY, {"reply", "question"}),
    ("do I need gcloud?", ENV, {"reply", "skip"}),
    ("no validation", SPLIT, {"reply"}),
    ("split the dataset 80/20", SPLIT, {"dataset"}),
    ("gs://my-bucket", NONE, {"dataset"}),
    ("what is the status of my dataset upload?", NONE, {"status"}),
    ("I don't have a dataset", NONE, {"purpose", "dataset"}),
    ("5", CONFIG, {"change"}),  # a bare number where the card has several fields names none of them
    ("go ahead", SUBMIT, {"back"}),
]


@pytest.mark.parametrize(("text", "ctx", "forbidden"), NOT_MISREAD, ids=[c[0][:40] for c in NOT_MISREAD])
def test_not_misread(text: str, ctx: CardContext, forbidden: set[str]) -> None:
    kinds = {kind_of(i) for i in read(text, ctx).intents}
    assert not kinds & forbidden, (text, read(text, ctx).intents)


def test_empty_message_has_no_intent() -> None:
    assert read("   ", SUBMIT).intents == []


def test_reading_helpers() -> None:
    reading = read("no, use 2 epochs and lr 1e-4", SUBMIT)
    assert reading.has(Reply) and reading.changes() == {"epochs": 2, "learning_rate": 1e-4}
    assert reading.of(Change) == [Change("epochs", 2), Change("learning_rate", 1e-4)]
    assert [kind_of(i) for i in reading.intents] == ["reply", "change", "change"]


def test_llm_intents_are_parsed_and_only_well_formed_ones_kept() -> None:
    got = from_llm([{"kind": "change", "field": "epochs", "value": 3},
                    {"kind": "change", "field": "colour", "value": 1},
                    {"kind": "question", "text": " what is LoRA? "}, {"kind": "reply", "yes": "maybe"},
                    {"kind": "teleport"}, {"kind": "skip", "step": "deploy"}])
    assert got == [Change("epochs", 3), Question("what is LoRA?"), Skip("deploy")]


def test_llm_may_add_but_never_replace() -> None:
    reading = read("what's the difference between open and gemini?", CATEGORY)
    merged = merge(reading, [Choice("gemini"), Purpose("trivia bot")], CATEGORY)
    assert merged.intents == [Question("what's the difference between open and gemini?"), Purpose("trivia bot")]
    reading = read("make it 5 epochs", SUBMIT)
    merged = merge(reading, [Change("epochs", 50), Change("learning_rate", 1e-4), Reply(True)], SUBMIT)
    assert merged.changes() == {"epochs": 5, "learning_rate": 1e-4} and merged.has(Reply)
    assert merge(read("", CATEGORY), [Choice("mistral")], CATEGORY).intents == []
