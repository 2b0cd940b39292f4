"""Tuning jobs through the real google-genai SDK against the fake Vertex REST server."""

from __future__ import annotations

import shlex

import pytest

from tests.fake_vertex import PROJECT_NUMBER, FakeVertex
from tests.fake_vertex.fixtures import PROJECT, fake_vertex_fixture  # noqa: F401
from tools.errors import CloudError
from tools.platforms.base import JobSpec
from tools.vertex import jobs


def open_spec(**kw: object) -> JobSpec:
    base = dict(run_id="run-open-1", category="open", base_model="google/gemma3@gemma-3-4b-it",
                train_uri="gs://bkt/job/train.jsonl", validation_uri="gs://bkt/job/val.jsonl",
                output_uri="gs://bkt/job/out", tuning_mode="PEFT_ADAPTER", epochs=3,
                learning_rate=2e-4, adapter_size=16, location="global")
    base.update(kw)
    return JobSpec(**base)  # type: ignore[arg-type]


def gemini_spec(**kw: object) -> JobSpec:
    base = dict(run_id="run-gem-1", category="gemini", base_model="gemini-3.5-flash",
                train_uri="gs://bkt/job/train.jsonl", validation_uri="gs://bkt/job/val.jsonl",
                epochs=4, learning_rate_multiplier=1.0, adapter_size=8, location="us-central1")
    base.update(kw)
    return JobSpec(**base)  # type: ignore[arg-type]


def test_open_job_sends_v1beta1_body_with_every_field(fake_vertex: FakeVertex) -> None:
    info = jobs.submit_job(open_spec())
    create = fake_vertex.calls("tuningJobs.create")
    assert len(create) == 1
    sent = create[0]
    assert sent.path == f"/v1beta1/projects/{PROJECT}/locations/global/tuningJobs"
    assert sent.headers["authorization"] == "Bearer fake-token"
    body = sent.body
    assert body["baseModel"] == "google/gemma3@gemma-3-4b-it"
    assert body["outputUri"] == "gs://bkt/job/out"
    assert body["labels"] == {"tuning_agent_run_id": "run-open-1", "created_by": "tuning-agent"}
    assert body["tunedModelDisplayName"] == "tuning-agent-run-open-1"
    sft = body["supervisedTuningSpec"]
    assert sft["trainingDatasetUri"] == "gs://bkt/job/train.jsonl"
    assert sft["validationDatasetUri"] == "gs://bkt/job/val.jsonl"
    assert sft["tuningMode"] == "TUNING_MODE_PEFT_ADAPTER"
    assert sft["hyperParameters"] == {"epochCount": 3, "learningRate": 2e-4,
                                      "adapterSize": "ADAPTER_SIZE_SIXTEEN"}
    assert info.name == f"projects/{PROJECT_NUMBER}/locations/global/tuningJobs/1000"
    assert info.state == "JOB_STATE_QUEUED"
    assert info.run_id == "run-open-1"
    assert info.output_uri == "gs://bkt/job/out"



def test_a_long_display_name_is_cut_to_the_services_128_characters() -> None:
    _, _, config = jobs.build_request(open_spec(display_name="d" * 200))
    assert config.tuned_model_display_name == "d" * 128

def test_gemini_job_sends_multiplier_and_no_open_fields(fake_vertex: FakeVertex) -> None:
    jobs.submit_job(gemini_spec())
    body = fake_vertex.calls("tuningJobs.create")[0].body
    assert fake_vertex.calls("tuningJobs.create")[0].path.endswith("/locations/us-central1/tuningJobs")
    hyper = body["supervisedTuningSpec"]["hyperParameters"]
    assert hyper == {"epochCount": 4, "learningRateMultiplier": 1.0, "adapterSize": "ADAPTER_SIZE_EIGHT"}
    assert "outputUri" not in body
    assert "tuningMode" not in body["supervisedTuningSpec"]
    assert body["supervisedTuningSpec"]["validationDatasetUri"] == "gs://bkt/job/val.jsonl"


def test_no_validation_dataset_means_no_field(fake_vertex: FakeVertex) -> None:
    jobs.submit_job(open_spec(validation_uri=None))
    assert "validationDatasetUri" not in fake_vertex.calls("tuningJobs.create")[0].body[
        "supervisedTuningSpec"]


def test_same_run_id_returns_the_existing_job(fake_vertex: FakeVertex) -> None:
    first = jobs.submit_job(open_spec())
    second = jobs.submit_job(open_spec())
    assert second.name == first.name
    assert len(fake_vertex.calls("tuningJobs.create")) == 1
    other = jobs.submit_job(open_spec(run_id="run-open-2"))
    assert other.name != first.name


@pytest.mark.parametrize("status", [503, 500, 408, 409])  # unavailable, internal, request timeout, conflict
def test_ambiguous_create_failure_finds_the_job_instead_of_creating_twice(
        fake_vertex: FakeVertex, status: int) -> None:
    """After a create answered with an error that does not say whether the job exists, the job is looked up:
    if it was made, it is the one returned, and nothing is created again."""
    fake_vertex.inject("tuningJobs.create", status, after=True)  # created, but the answer is an error
    info = jobs.submit_job(open_spec())
    assert len(fake_vertex.calls("tuningJobs.create")) == 1
    assert info.run_id == "run-open-1"
    assert len(fake_vertex.state.jobs) == 1


def test_create_is_not_retried_blindly(fake_vertex: FakeVertex) -> None:
    fake_vertex.inject("tuningJobs.create", 503)
    with pytest.raises(CloudError) as caught:
        jobs.submit_job(open_spec())
    assert len(fake_vertex.calls("tuningJobs.create")) == 1
    assert caught.value.code == 503 and caught.value.retryable
    assert not fake_vertex.state.jobs


def test_rejection_carries_field_and_advice(fake_vertex: FakeVertex) -> None:
    with pytest.raises(CloudError) as caught:
        jobs.submit_job(open_spec(output_uri=None))
    err = caught.value
    assert err.code == 400 and err.status == "INVALID_ARGUMENT"
    assert "The output_uri field is required for this model." in str(err)
    assert "tuning_job.output_uri" in str(err)
    assert err.hint and "--output-uri" in err.hint


def test_bad_resource_name_is_rejected_with_advice(fake_vertex: FakeVertex) -> None:
    with pytest.raises(CloudError) as caught:
        jobs.submit_job(open_spec(base_model="google/gemma-3-4b-it"))
    assert "Invalid open source publisher model resource name" in str(caught.value)
    assert caught.value.hint and "publisher/family@version" in caught.value.hint


def test_get_is_retried_on_429_and_5xx(fake_vertex: FakeVertex) -> None:
    info = jobs.submit_job(open_spec())
    fake_vertex.inject("tuningJobs.get", 429)
    fake_vertex.inject("tuningJobs.get", 500)
    fake_vertex.inject("tuningJobs.get", 503)
    again = jobs.get_job(info.name)
    assert again.name == info.name
    assert len(fake_vertex.calls("tuningJobs.get")) == 4


def test_get_is_not_retried_on_client_errors(fake_vertex: FakeVertex) -> None:
    info = jobs.submit_job(open_spec())
    fake_vertex.inject("tuningJobs.get", 403, "Permission 'aiplatform.tuningJobs.get' denied")
    with pytest.raises(CloudError) as caught:
        jobs.get_job(info.name)
    assert len(fake_vertex.calls("tuningJobs.get")) == 1
    assert caught.value.code == 403
    assert "roles/aiplatform.user" in (caught.value.hint or "")


def test_list_gives_up_after_bounded_retries(fake_vertex: FakeVertex) -> None:
    fake_vertex.inject("tuningJobs.list", 503, times=10)
    with pytest.raises(CloudError):
        jobs.list_jobs(PROJECT, "global")
    assert len(fake_vertex.calls("tuningJobs.list")) == 4


def test_label_filter_refused_falls_back_to_client_side_filter(fake_vertex: FakeVertex) -> None:
    first = jobs.submit_job(open_spec())
    fake_vertex.inject("tuningJobs.list", 400, "Unsupported filter")
    found = jobs.find_job("run-open-1", PROJECT, "global")
    assert found is not None and found.name == first.name
    filters = [c.query.get("filter") for c in fake_vertex.calls("tuningJobs.list")]
    assert filters[-2] == ['labels.tuning_agent_run_id="run-open-1"'] and filters[-1] is None


def test_list_and_cancel(fake_vertex: FakeVertex) -> None:
    a = jobs.submit_job(open_spec(run_id="a"))
    b = jobs.submit_job(open_spec(run_id="b"))
    names = {j.name for j in jobs.list_jobs(PROJECT, "global")}
    assert names == {a.name, b.name}
    cancelled = jobs.cancel_job(a.name)
    assert cancelled.state == "JOB_STATE_CANCELLED"
    assert fake_vertex.calls("tuningJobs.cancel")[0].path.endswith(":cancel")
    # Cancelling an ended job is a no-op, not an error.
    assert jobs.cancel_job(a.name).state == "JOB_STATE_CANCELLED"
    assert len(fake_vertex.calls("tuningJobs.cancel")) == 1


def test_equivalent_command_parses_back_to_the_same_spec() -> None:
    from agent.cli import build_parser
    from agent.commands.job import _spec

    for spec in (open_spec(project="p1"), gemini_spec(validation_uri=None)):
        command = jobs.equivalent_command(spec)
        argv = shlex.split(command)
        assert argv[:3] == ["tuning-agent", "job", "submit"]
        args = build_parser().parse_args(argv[1:])
        again = _spec(args)
        assert again.model_dump(exclude={"display_name"}) == spec.model_dump(exclude={"display_name"})


def test_label_value_is_sanitised() -> None:
    assert jobs.label_value("Run 2026/01:X") == "run-2026-01-x"
    assert len(jobs.label_value("x" * 100)) == 63


def test_slow_response_is_waited_for(fake_vertex: FakeVertex) -> None:
    info = jobs.submit_job(open_spec())
    fake_vertex.inject("tuningJobs.get", None, delay_s=0.3)
    assert jobs.get_job(info.name).name == info.name


def test_not_found_and_conflict_are_explained(fake_vertex: FakeVertex) -> None:
    with pytest.raises(CloudError) as missing:
        jobs.get_job(f"projects/{PROJECT_NUMBER}/locations/global/tuningJobs/404")
    assert missing.value.code == 404 and "Not found" in (missing.value.hint or "")
    fake_vertex.inject("tuningJobs.create", 409, "ALREADY_EXISTS: tuning job exists")
    with pytest.raises(CloudError) as conflict:
        jobs.submit_job(open_spec())
    assert conflict.value.code == 409 and "already exists" in (conflict.value.hint or "").lower()
    # a 409 may mean "created by an earlier try": the run id was looked up again (each lookup
    # asks with the label filter, then confirms "not found" with an unfiltered listing)
    assert len(fake_vertex.calls("tuningJobs.list")) == 4


def test_fake_answers_integer_enums_when_asked(fake_vertex: FakeVertex) -> None:
    import requests

    info = jobs.submit_job(open_spec())
    url = f"{fake_vertex.url}/v1beta1/{info.name}"
    headers = {"Authorization": "Bearer x"}
    as_int = requests.get(url, params={"$alt": "json;enum-encoding=int"}, headers=headers, timeout=5).json()
    as_str = requests.get(url, headers=headers, timeout=5).json()
    assert isinstance(as_int["state"], int) and as_int["supervisedTuningSpec"]["tuningMode"] == 2
    assert as_str["state"].startswith("JOB_STATE_")
    assert requests.get(url, timeout=5).status_code == 401  # no token, no answer


def test_a_filter_the_service_ignores_cannot_cause_a_second_job(fake_vertex: FakeVertex) -> None:
    first = jobs.submit_job(open_spec())
    real_list = fake_vertex.state.list_jobs

    def empty_when_filtered(parent: str, label_filter: dict[str, str]) -> list[dict[str, object]]:
        # As if the service accepted the label filter and matched nothing.
        return [] if label_filter else real_list(parent, label_filter)

    fake_vertex.state.list_jobs = empty_when_filtered  # type: ignore[method-assign]
    again = jobs.submit_job(open_spec())
    assert again.name == first.name
    assert len(fake_vertex.calls("tuningJobs.create")) == 1


def test_a_job_without_a_region_goes_where_its_category_is_tuned(fake_vertex: FakeVertex) -> None:
    """Open models tune in `global` (the recommended location, vertex_facts.md), Gemini in us-central1; a
    region the person chose always wins."""
    assert jobs.location_of(open_spec(location=None)) == "global"
    assert jobs.location_of(gemini_spec(location=None)) == "us-central1"
    assert jobs.location_of(open_spec(location="europe-west4")) == "europe-west4"
    assert jobs.location_of(gemini_spec(location="europe-west4")) == "europe-west4"
