"""Preflight refuses exactly what the service would refuse, one precise problem per mistake.

Each case changes one thing in a spec that passes, and expects exactly one problem saying
what is wrong (so a check that stops firing, or fires for the wrong reason, fails here).
Bounds are tested on both sides: the last allowed value passes, the first refused one fails.
"""

from __future__ import annotations

import pytest

from knowledge import load_catalog
from tests.test_vertex_preflight import TRAIN, VAL, MemoryStorage, gemini_spec, open_spec, storage
from tools.platforms.base import JobSpec
from tools.vertex.preflight import preflight

LIMITS = load_catalog().limits


def only_problem(spec: JobSpec, store: MemoryStorage | None = None, **kwargs: object) -> str:
    problems = preflight(spec, store or storage(), **kwargs)  # type: ignore[arg-type]
    assert len(problems) == 1, problems
    return problems[0]


def test_the_base_specs_pass() -> None:
    assert preflight(open_spec(), storage()) == []
    assert preflight(gemini_spec(), storage()) == []


@pytest.mark.parametrize("rate", [0.0, -2e-4])
def test_learning_rate_at_or_below_zero_is_refused(rate: float) -> None:
    assert only_problem(open_spec(learning_rate=rate)) == f"Learning rate must be greater than 0 (got {rate})."


@pytest.mark.parametrize("rate", [0.0, -1.0])
def test_multiplier_at_or_below_zero_is_refused(rate: float) -> None:
    assert only_problem(gemini_spec(learning_rate_multiplier=rate)) == (
        f"Learning-rate multiplier must be greater than 0 (got {rate}).")


def test_the_smallest_positive_rates_pass() -> None:
    assert preflight(open_spec(learning_rate=1e-12), storage()) == []
    assert preflight(gemini_spec(learning_rate_multiplier=1e-12), storage()) == []


@pytest.mark.parametrize("spec", [open_spec(epochs=0), gemini_spec(epochs=-1)])
def test_epochs_below_one_are_refused(spec: JobSpec) -> None:
    assert only_problem(spec).startswith("Epochs must be at least 1")


def test_one_epoch_passes() -> None:
    assert preflight(open_spec(epochs=1), storage()) == []


@pytest.mark.parametrize(("uri", "label"), [(TRAIN, "Training"), (VAL, "Validation")])
def test_an_empty_file_is_refused(uri: str, label: str) -> None:
    store = MemoryStorage({TRAIN: 10_000, VAL: 1_000, uri: 0})
    assert only_problem(open_spec(), store) == f"{label} dataset {uri} is empty; prepare it again."


def test_a_one_byte_file_is_not_empty() -> None:
    assert preflight(gemini_spec(), MemoryStorage({TRAIN: 1, VAL: 1})) == []


@pytest.mark.parametrize("size", [3, 64, 0])
def test_an_adapter_size_that_does_not_exist_is_refused(size: int) -> None:
    problems = preflight(gemini_spec(adapter_size=size), storage())
    assert f"Adapter size {size} does not exist; use one of [1, 2, 4, 8, 16, 32]." in problems


def test_an_open_adapter_size_outside_the_catalog_is_refused() -> None:
    allowed = LIMITS.allowed_adapter_sizes_open
    assert only_problem(open_spec(adapter_size=2)) == (
        f"Adapter size 2 is not allowed for open models; use one of {allowed}.")
    for size in allowed:
        assert preflight(open_spec(adapter_size=size), storage()) == [], size


def test_the_validation_bytes_ratio_at_both_bounds() -> None:
    ratio = LIMITS.validation_max_bytes_ratio
    train = 100_000
    at = int(ratio * train)
    assert preflight(open_spec(), storage(train=train, val=at)) == []
    assert "of the training file's bytes" in only_problem(open_spec(), storage(train=train, val=at + 1))


def test_the_validation_rows_limit_at_both_bounds() -> None:
    limit = LIMITS.validation_max_rows
    assert preflight(open_spec(), storage(), val_rows=limit) == []
    assert only_problem(open_spec(), val_rows=limit + 1) == (
        f"The validation file has {limit + 1} rows; the limit is {limit}. Keep a smaller validation split.")
    gemini_limit = LIMITS.gemini_validation_max_rows
    big_train = gemini_limit * 10
    assert preflight(gemini_spec(), storage(), val_rows=gemini_limit, train_rows=big_train) == []
    assert "the limit is" in only_problem(gemini_spec(), val_rows=gemini_limit + 1, train_rows=big_train)


def test_the_gemini_rows_ratio_at_both_bounds() -> None:
    ratio = LIMITS.gemini_validation_max_ratio
    # Up to 1000 validation rows the ratio does not apply.
    assert preflight(gemini_spec(), storage(), val_rows=1000, train_rows=10) == []
    # Above 1000 rows: at most `ratio` times the training rows.
    train = 3400
    at = int(ratio * train)  # 1020
    assert at > 1000
    assert preflight(gemini_spec(), storage(), val_rows=at, train_rows=train) == []
    assert f"at most {ratio:.0%}" in only_problem(gemini_spec(), val_rows=at + 1, train_rows=train)


def test_the_gemini_training_file_size_at_both_bounds() -> None:
    limit = LIMITS.gemini_max_training_file_bytes
    assert preflight(gemini_spec(), storage(train=limit, val=10)) == []
    assert "Gemini tuning accepts at most" in only_problem(gemini_spec(), storage(train=limit + 1, val=10))


INVALID_NAME = ("Base model {typed!r} is not a resource name of the form publisher/family@version{better}: the "
                "service rejects it as an invalid open source publisher model resource name. Use the name "
                "`tuning-agent models list` shows.")


@pytest.mark.parametrize(("typed", "better"), [
    ("gemma-3-27b-it", " (google/gemma3@gemma-3-27b-it)"),  # a catalog model, named loosely: its exact name
    ("Qwen/Qwen3-8B", " (nearest supported: Qwen 3 8B)"),  # not in the catalog: the nearest one
])
def test_an_invalid_open_name_is_refused_with_the_name_to_use(typed: str, better: str) -> None:
    assert only_problem(open_spec(base_model=typed)) == INVALID_NAME.format(typed=typed, better=better)


def test_models_outside_the_catalog_are_refused_with_where_to_look() -> None:
    assert only_problem(open_spec(base_model="google/gemma9@gemma-9-1b-it")) == (
        "Open model 'google/gemma9@gemma-9-1b-it' is not in the catalog of tunable open models; pick one "
        "from `tuning-agent models list --category open`.")
    assert only_problem(gemini_spec(base_model="gemini-9")) == (
        "Gemini model 'gemini-9' is not one that supports tuning; pick one from "
        "`tuning-agent models list --category gemini`.")


def test_a_running_job_for_the_run_id_blocks_with_what_to_do() -> None:
    from tools.platforms.base import JobInfo

    name = "projects/1/locations/global/tuningJobs/5"
    running = JobInfo(name=name, state="JOB_STATE_RUNNING")
    assert only_problem(open_spec(), existing_job=running) == (
        f"Job {name} is already JOB_STATE_RUNNING for run id 'r1': watch it (`tuning-agent job watch {name}`) "
        "or cancel it before submitting again.")


@pytest.mark.parametrize(("spec", "message"), [
    (open_spec(learning_rate=None, learning_rate_multiplier=1.0),
     "Open models take an absolute learning rate, not a learning-rate multiplier (the service rejects the "
     "multiplier): set --learning-rate (e.g. 2e-4) and drop --learning-rate-multiplier."),
    (open_spec(output_uri=None),
     "No output URI: open-model jobs need one (the service answers \"The output_uri field is required\"); "
     "set --output-uri gs://BUCKET/PATH."),
    (open_spec(tuning_mode="FULL"),
     "Adapter size applies to PEFT_ADAPTER (LoRA) only; drop it for FULL tuning or switch to PEFT_ADAPTER."),
    (gemini_spec(learning_rate=1e-4, learning_rate_multiplier=None),
     "Gemini takes a learning-rate multiplier (e.g. 1.0), not an absolute learning rate: use "
     "--learning-rate-multiplier."),
])
def test_hyperparameter_refusals_say_exactly_what_to_change(spec: JobSpec, message: str) -> None:
    """The words are the product here: each names the flag to set and the one to drop."""
    assert message in preflight(spec, storage())


def test_a_bad_training_uri_does_not_hide_a_missing_validation_file() -> None:
    spec = open_spec(train_uri="gs://bkt/job/train.csv", validation_uri="gs://bkt/job/nope.jsonl")
    problems = preflight(spec, storage())
    assert len(problems) == 2, problems
    assert "train.csv" in problems[0] and "nope.jsonl does not exist" in problems[1]


def test_the_gemini_rows_ratio_starts_just_above_1000_rows() -> None:
    """1001 validation rows against 1000 training rows: over the ratio, and the message says the cap."""
    ratio = LIMITS.gemini_validation_max_ratio
    assert preflight(gemini_spec(), storage(), val_rows=1000, train_rows=1000) == []
    problem = only_problem(gemini_spec(), val_rows=1001, train_rows=1000)
    assert f"({int(ratio * 1000)})" in problem, problem


def test_a_missing_gemini_training_file_is_one_problem_not_a_crash() -> None:
    store = MemoryStorage({VAL: 1_000})
    assert only_problem(gemini_spec(), store) == (
        f"Training dataset {TRAIN} does not exist; upload it first (the chat's upload step, or "
        "`gcloud storage cp`) or correct the URI.")


def test_a_csv_training_file_is_refused_naming_jsonl() -> None:
    spec = gemini_spec(train_uri="gs://bkt/job/train.csv")
    assert only_problem(spec) == (
        "Training dataset 'gs://bkt/job/train.csv' must be a gs:// object ending in .jsonl (the service "
        "accepts only JSONL); upload the prepared file.")


def test_an_oversized_gemini_training_file_states_its_size_in_gb() -> None:
    limit = LIMITS.gemini_max_training_file_bytes
    size = 3 * limit // 2
    problem = only_problem(gemini_spec(), storage(train=size, val=10))
    assert problem.startswith(f"The training file is {size / 1e9:.2f} GB;"), problem


def test_a_gemini_adapter_size_is_checked_against_the_model_not_the_open_list() -> None:
    """2 is valid for Gemini 2.5/3.5 Flash but not among the open-model sizes; Gemini must pass."""
    assert 2 not in LIMITS.allowed_adapter_sizes_open
    assert preflight(gemini_spec(adapter_size=2), storage()) == []


def test_a_retired_gemini_model_is_refused_with_its_date() -> None:
    from knowledge import GeminiModel, find_model

    model = find_model("gemini-2.5-flash")
    assert isinstance(model, GeminiModel) and model.is_retired(None)
    assert only_problem(gemini_spec(base_model=model.id)) == (
        f"{model.display_name} was retired on {model.retire_date}; choose a current Gemini model.")


def test_a_model_missing_from_the_live_list_is_refused() -> None:
    live = ["google/gemma3@gemma-3-4b-it"]
    assert only_problem(open_spec(), live_models=live) == (
        "google/gemma3@gemma-3-27b-it is not in the live publisher-model list of this project; it may not "
        "be offered yet — pick another model or check the region.")
    assert preflight(open_spec(), storage(), live_models=["google/gemma3@gemma-3-27b-it"]) == []
    assert preflight(gemini_spec(), storage(), live_models=["gemini-3.5-flash"]) == []


def test_a_region_that_cannot_run_the_job_names_the_valid_ones() -> None:
    from knowledge import valid_regions

    open_regions = ", ".join(valid_regions("open", None))
    assert only_problem(open_spec(location="mars-north1")) == (
        f"Location 'mars-north1' cannot run open tuning jobs; use one of: {open_regions}.")
    gemini_regions = ", ".join(valid_regions("gemini", "gemini-3.5-flash"))
    assert only_problem(gemini_spec(location="mars-north1")) == (
        f"Location 'mars-north1' cannot run gemini tuning jobs for gemini-3.5-flash; use one of: "
        f"{gemini_regions}.")


def test_an_unsupported_tuning_mode_names_the_supported_ones() -> None:
    assert only_problem(open_spec(base_model="qwen/qwen3@qwen3-8b", tuning_mode="PEFT_ADAPTER",
                                  adapter_size=None)) == (
        "Qwen 3 8B does not support PEFT_ADAPTER tuning; use FULL.")
