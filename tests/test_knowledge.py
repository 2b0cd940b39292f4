"""The catalog's integrity and the lookups people rely on."""

from __future__ import annotations

from datetime import date

import pytest

from knowledge import (
    RESOURCE_NAME,
    GeminiModel,
    OpenModel,
    active_gemini_models,
    find_model,
    load_catalog,
    machine,
    nearest_supported,
    reference_names,
    reference_text,
    valid_regions,
)

FACTS_OPEN = [
    "google/gemma4@gemma-4-e2b-it", "google/gemma4@gemma-4-e4b-it", "google/gemma4@gemma-4-26b-a4b-it",
    "google/gemma4@gemma-4-31b-it", "google/gemma3@gemma-3-1b-it", "google/gemma3@gemma-3-4b-it",
    "google/gemma3@gemma-3-12b-it", "google/gemma3@gemma-3-27b-it", "google/medgemma@medgemma-1.5-4b-it",
    "qwen/qwen3-6@qwen3.6-27b", "qwen/qwen3-6@qwen3.6-35b-a3b", "qwen/qwen3-5@qwen3.5-9b",
    "qwen/qwen3@qwen3-4b", "qwen/qwen3@qwen3-8b", "qwen/qwen3@qwen3-14b", "qwen/qwen3@qwen3-32b",
    "meta/llama3_1@llama-3.1-8b", "meta/llama3_1@llama-3.1-8b-instruct", "meta/llama3-2@llama-3.2-1b-instruct",
    "meta/llama3-2@llama-3.2-3b-instruct", "meta/llama3-3@llama-3.3-70b-instruct",
    "meta/llama4@llama-4-scout-17b-16e-instruct", "zai-org/glm-4.7-flash@glm-4.7-flash",
]
FACTS_GEMINI = ["gemini-3.5-flash", "gemini-3.1-flash-lite", "gemini-2.5-flash", "gemini-2.5-flash-lite",
                "gemini-2.5-pro"]


def test_every_fact_sheet_model_is_in_the_catalog() -> None:
    catalog = load_catalog()
    assert sorted(m.base_model for m in catalog.open_models) == sorted(FACTS_OPEN)
    assert sorted(m.id for m in catalog.gemini_models) == sorted(FACTS_GEMINI)


@pytest.mark.parametrize("model", load_catalog().open_models, ids=lambda m: m.base_model)
def test_open_model_integrity(model: OpenModel) -> None:
    assert RESOURCE_NAME.match(model.base_model)
    assert model.modes, "every model has at least one mode"
    for mode, spec in model.modes.items():
        assert spec.learning_rate > 0 and spec.epochs > 0
        if mode == "PEFT_ADAPTER":
            assert spec.adapter_size in load_catalog().limits.allowed_adapter_sizes_open
        if spec.price_per_1m_tokens is not None:
            assert spec.price_per_1m_tokens > 0
            assert spec.tokens_per_char is not None and 0.1 < spec.tokens_per_char < 0.5
    assert machine(model.deploy.machine_type) is not None, "deploy hint names a catalog machine"
    hint = machine(model.deploy.machine_type)
    assert hint is not None and hint.accelerator_type == model.deploy.accelerator_type
    assert hint.accelerator_count == model.deploy.accelerator_count


def test_priced_models_match_the_fact_sheet() -> None:
    gemma12 = find_model("google/gemma3@gemma-3-12b-it")
    assert isinstance(gemma12, OpenModel)
    assert gemma12.modes["FULL"].price_per_1m_tokens == 1.82
    llama = find_model("meta/llama3_1@llama-3.1-8b")
    assert isinstance(llama, OpenModel)
    assert llama.modes["PEFT_ADAPTER"].tokens_per_char == 0.317
    assert llama.modes["FULL"].tokens_per_char == 0.247
    scout = find_model("Llama 4 Scout 17B 16E Instruct")
    assert isinstance(scout, OpenModel) and scout.max_seq_len == 2048


@pytest.mark.parametrize("gem", load_catalog().gemini_models, ids=lambda m: m.id)
def test_gemini_integrity(gem: GeminiModel) -> None:
    assert gem.tuning_regions and all(r != "global" for r in gem.tuning_regions)
    assert set(gem.adapter_sizes) <= {1, 2, 4, 8, 16}
    if gem.price_per_1m_tokens is not None and not gem.price_verified:
        assert gem.price_source, "an unverified price names its source"


def test_retired_models_are_never_active() -> None:
    today = date(2026, 11, 28)
    active = {m.id for m in active_gemini_models(today)}
    assert "gemini-2.5-flash" not in active
    assert "gemini-3.5-flash" in active
    assert "gemini-2.5-flash" in {m.id for m in active_gemini_models(date(2026, 10, 1))}


@pytest.mark.parametrize("text", ["gemma 3 12b it", "Gemma-3-12B-IT", "google/gemma3@gemma-3-12b-it",
                                  "publishers/google/models/gemma3@gemma-3-12b-it", "  GEMMA 3 12B  "])
def test_lookup_forms(text: str) -> None:
    model = find_model(text)
    assert model is not None and model.base_model == "google/gemma3@gemma-3-12b-it"


def test_lookup_gemini_and_local() -> None:
    assert find_model("Gemini 3.5 Flash") is not None
    local = find_model("HuggingFaceTB/SmolLM2-135M-Instruct")
    assert local is not None and local.category == "local"
    assert find_model("") is None
    assert find_model("google/gemma-3-4b-it") is None, "Hugging Face ids are not resource names"


def test_nearest_supported_same_lineage() -> None:
    answer = nearest_supported("Gemma 2 9B")
    assert not answer.supported
    assert answer.alternatives[0].display_name == "Gemma 3 12B IT"


def test_nearest_supported_unknown_lineage() -> None:
    answer = nearest_supported("Mistral 7B")
    assert not answer.supported and "not supported for tuning" in answer.message
    assert answer.alternatives and all(isinstance(m, OpenModel) for m in answer.alternatives)
    assert all(abs(m.size_b - 7) <= 3 for m in answer.alternatives)


def test_nearest_supported_retired_gemini() -> None:
    answer = nearest_supported("gemini-2.5-flash", today=date(2026, 11, 28))
    assert not answer.supported and "retired" in answer.message
    assert [m.id for m in answer.alternatives if isinstance(m, GeminiModel)] == ["gemini-3.5-flash"]


def test_supported_model_resolves() -> None:
    answer = nearest_supported("qwen3 8b")
    assert answer.supported and answer.model is not None and answer.model.base_model == "qwen/qwen3@qwen3-8b"


def test_regions() -> None:
    assert valid_regions("open")[0] == "global"
    assert "us-central1" in valid_regions("open")
    assert valid_regions("gemini", "gemini-3.5-flash") == ["us-central1", "europe-west4"]
    assert "global" not in valid_regions("gemini")


def test_limits_and_heuristics() -> None:
    catalog = load_catalog()
    assert catalog.limits.validation_max_bytes_ratio == 0.25
    assert catalog.limits.validation_max_rows == 5000
    bands = catalog.size_bands
    assert [b.max_examples for b in bands] == sorted(b.max_examples for b in bands)
    assert bands[0].adapter_size == 8 and bands[0].mode == "PEFT_ADAPTER"
    assert any(t.name == "general" for t in catalog.tasks)
    for lineage in {lin for t in catalog.tasks for lin in t.open_lineages}:
        assert any(m.lineage == lineage for m in catalog.open_models)


def test_hf_suggestions_cover_tasks() -> None:
    catalog = load_catalog()
    for task in catalog.tasks:
        assert any(task.name in d.tasks for d in catalog.hf_datasets), task.name


def test_reference_texts() -> None:
    names = reference_names()
    assert {"data_format", "tuning_concepts", "environment_setup"} <= set(names)
    assert "roles" in reference_text("data_format").lower()
