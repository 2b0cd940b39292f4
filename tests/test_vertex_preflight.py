"""Preflight: every known service rejection is caught before submitting, all at once."""

from __future__ import annotations

import pytest

from tools.platforms.base import DatasetCandidate, JobInfo, JobSpec, ObjectInfo, ProgressCallback
from tools.vertex.preflight import preflight


class MemoryStorage:
    """A test double of the Storage protocol: objects are URI → size."""

    scheme = "gs"

    def __init__(self, objects: dict[str, int]) -> None:
        self.objects = objects

    def stat(self, uri: str) -> ObjectInfo | None:
        return ObjectInfo(uri=uri, size=self.objects[uri]) if uri in self.objects else None

    def list(self, prefix_uri: str) -> list[ObjectInfo]:
        return [ObjectInfo(uri=u, size=s) for u, s in self.objects.items() if u.startswith(prefix_uri)]

    def list_buckets(self) -> list[str]:
        return sorted({u.split("/")[2] for u in self.objects})

    def bucket_exists(self, bucket: str) -> bool:
        return bucket in self.list_buckets()

    def create_bucket(self, bucket: str, location: str | None = None) -> None:
        raise AssertionError("preflight only reads: it must never call this")

    def upload(self, local_path: str, dest_uri: str,
               progress: ProgressCallback | None = None) -> ObjectInfo:
        raise AssertionError("preflight only reads: it must never call this")

    def download(self, uri: str, local_path: str) -> str:
        raise AssertionError("preflight only reads: it must never call this")

    def search_datasets(self, buckets: list[str] | None = None,
                        limit: int = 20) -> list[DatasetCandidate]:
        return []


TRAIN = "gs://bkt/job/train.jsonl"
VAL = "gs://bkt/job/val.jsonl"
LIVE = ["google/gemma3@gemma-3-4b-it", "google/gemma3@gemma-3-27b-it", "gemini-3.5-flash"]


def storage(train: int = 10_000, val: int = 1_000) -> MemoryStorage:
    return MemoryStorage({TRAIN: train, VAL: val})


def open_spec(**kw: object) -> JobSpec:
    base = dict(run_id="r1", category="open", base_model="google/gemma3@gemma-3-27b-it",
                train_uri=TRAIN, validation_uri=VAL, output_uri="gs://bkt/job/out",
                tuning_mode="PEFT_ADAPTER", epochs=3, learning_rate=2e-4, adapter_size=16,
                location="global")
    base.update(kw)
    return JobSpec(**base)  # type: ignore[arg-type]


def gemini_spec(**kw: object) -> JobSpec:
    base = dict(run_id="r2", category="gemini", base_model="gemini-3.5-flash", train_uri=TRAIN,
                validation_uri=VAL, epochs=3, learning_rate_multiplier=1.0, adapter_size=4,
                location="us-central1")
    base.update(kw)
    return JobSpec(**base)  # type: ignore[arg-type]


def test_good_specs_pass() -> None:
    assert preflight(open_spec(), storage(), live_models=LIVE) == []
    assert preflight(gemini_spec(), storage(), live_models=LIVE, train_rows=1000, val_rows=100) == []
    assert preflight(open_spec(base_model="publishers/google/models/gemma3@gemma-3-27b-it"),
                     storage(), live_models=LIVE) == []


@pytest.mark.parametrize(("spec", "store", "kwargs", "expected"), [
    (open_spec(base_model="google/gemma-3-27b-it"), storage(), {}, "publisher/family@version"),
    (open_spec(base_model="Qwen/Qwen3-8B"), storage(), {}, "invalid open source publisher model"),
    (open_spec(base_model="google/gemma9@gemma-9-1b-it"), storage(), {}, "not in the catalog"),
    (open_spec(base_model="google/gemma3@gemma-3-1b-it", tuning_mode="FULL", adapter_size=None),
     storage(), {"live_models": LIVE}, "not in the live publisher-model list"),
    (open_spec(location="europe-west1"), storage(), {}, "Location 'europe-west1'"),
    (gemini_spec(location="global"), storage(), {}, "Location 'global'"),
    (gemini_spec(location="asia-east1"), storage(), {}, "use one of: us-central1, europe-west4"),
    (open_spec(learning_rate=None, learning_rate_multiplier=1.0), storage(), {},
     "not a learning-rate multiplier"),
    (gemini_spec(learning_rate=1e-4, learning_rate_multiplier=None), storage(), {},
     "use --learning-rate-multiplier"),
    (open_spec(adapter_size=2), storage(), {}, "Adapter size 2 is not allowed for open models"),
    (gemini_spec(adapter_size=32), storage(), {}, "Adapter size 32 is not supported for Gemini 3.5"),
    (gemini_spec(base_model="gemini-2.5-pro", adapter_size=16), storage(), {},
     "not supported for Gemini 2.5 Pro"),
    (open_spec(output_uri=None), storage(), {}, "--output-uri"),
    (open_spec(output_uri="/tmp/out"), storage(), {}, "must be a gs:// path"),
    (open_spec(train_uri="gs://bkt/job/train.csv"), storage(), {}, "ending in .jsonl"),
    (open_spec(train_uri="gs://bkt/job/missing.jsonl"), storage(), {}, "does not exist"),
    (open_spec(validation_uri="gs://bkt/job/nope.jsonl"), storage(), {}, "does not exist"),
    (open_spec(), storage(train=10_000, val=2_600), {}, "26.0% of the training file's bytes"),
    (open_spec(), storage(), {"val_rows": 5001}, "5001 rows; the limit is 5000"),
    (gemini_spec(), storage(), {"val_rows": 1500, "train_rows": 2000}, "at most 30%"),
    (open_spec(tuning_mode="FULL"), storage(), {}, "Adapter size applies to PEFT_ADAPTER"),
    (open_spec(base_model="google/gemma3@gemma-3-4b-it", adapter_size=None), storage(), {},
     "does not support PEFT_ADAPTER"),
    (gemini_spec(base_model="gemini-2.5-flash"), storage(), {}, "was retired"),
    (open_spec(epochs=0), storage(), {}, "Epochs must be at least 1"),
    (open_spec(), storage(), {"existing_job": JobInfo(
        name="projects/1/locations/global/tuningJobs/5", state="JOB_STATE_RUNNING")},
     "already JOB_STATE_RUNNING"),
])
def test_each_known_rejection_is_caught(spec: JobSpec, store: MemoryStorage,
                                        kwargs: dict[str, object], expected: str) -> None:
    problems = preflight(spec, store, **kwargs)  # type: ignore[arg-type]
    assert any(expected.lower() in p.lower() for p in problems), problems


def test_all_problems_are_reported_at_once() -> None:
    spec = open_spec(output_uri=None, learning_rate_multiplier=1.0, learning_rate=None,
                     train_uri="gs://bkt/missing.jsonl", location="mars-1")
    problems = preflight(spec, storage())
    assert len(problems) >= 4


def test_validation_ratio_at_the_limit_passes() -> None:
    assert preflight(open_spec(), storage(train=10_000, val=2_500)) == []


def test_two_problems_are_two_lines_and_an_ended_job_does_not_block() -> None:
    problems = preflight(open_spec(output_uri=None, epochs=0), storage())
    assert len(problems) == 2 and "--output-uri" in problems[0] and "Epochs" in problems[1]
    ended = JobInfo(name="projects/1/locations/global/tuningJobs/1", state="JOB_STATE_SUCCEEDED")
    assert preflight(open_spec(), storage(), existing_job=ended) == []


@pytest.mark.parametrize("typed", ["google/gemma-3@gemma-3-27b-it", "google/gemma3@gemma_3_27b_it"])
def test_near_miss_resource_names_are_refused_with_the_exact_name(typed: str) -> None:
    problems = preflight(open_spec(base_model=typed), storage(), live_models=LIVE)
    assert any("google/gemma3@gemma-3-27b-it" in p and "exact" in p for p in problems), problems


def test_long_form_resource_name_is_accepted() -> None:
    spec = open_spec(base_model="publishers/google/models/gemma3@gemma-3-27b-it")
    assert preflight(spec, storage(), live_models=LIVE) == []


def test_gemini_display_name_is_refused_with_the_id() -> None:
    problems = preflight(gemini_spec(base_model="Gemini 3.5 Flash"), storage(), live_models=LIVE)
    assert any("`gemini-3.5-flash`" in p for p in problems), problems


def test_gemini_training_file_over_1_gb() -> None:
    problems = preflight(gemini_spec(), storage(train=1_200_000_000, val=1_000), live_models=LIVE,
                         train_rows=1000, val_rows=100)
    assert any("1 GB" in p for p in problems), problems
