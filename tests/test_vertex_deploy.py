"""Deployment and prediction through the real aiplatform / google-genai SDKs against the fake."""

from __future__ import annotations

import pytest

from knowledge import machine as catalog_machine_of
from tests.fake_vertex import PROJECT_NUMBER, FakeVertex
from tests.fake_vertex.fixtures import PROJECT, fake_vertex_fixture  # noqa: F401
from tests.test_vertex_jobs import gemini_spec, open_spec
from tools.errors import CloudError, ToolError
from tools.platforms.base import DeploySpec, JobInfo
from tools.platforms.vertex import VertexPlatform
from tools.vertex import deploy, jobs

L4 = dict(machine_type="g2-standard-12", accelerator_type="NVIDIA_L4", accelerator_count=1)


def finished(spec_fn=open_spec, **kw: object) -> JobInfo:
    info = jobs.submit_job(spec_fn(**kw))
    for _ in range(3):
        info = jobs.get_job(info.name)
    assert info.state == "JOB_STATE_SUCCEEDED"
    return info


def test_open_model_deploys_in_the_real_region_and_is_idempotent(fake_vertex: FakeVertex) -> None:
    fake_vertex.state.operation_polls = 1  # the long-running operation is polled once
    job = finished()
    assert job.location == "global" and job.real_region == "us-central1"
    spec = DeploySpec(endpoint_display_name="tuning-agent-run-open-1", **L4)
    first = deploy.deploy_open_model(job, spec)
    assert first.region == "us-central1"
    assert first.endpoint.startswith(f"projects/{PROJECT_NUMBER}/locations/us-central1/endpoints/")
    assert first.display_name == "tuning-agent-run-open-1"
    catalog_machine = catalog_machine_of("g2-standard-12")
    assert catalog_machine is not None
    assert first.hourly_usd == pytest.approx(catalog_machine.hourly_usd)
    [sent] = fake_vertex.calls("deploy")
    assert sent.path == f"/v1beta1/projects/{PROJECT_NUMBER}/locations/us-central1:deploy"
    assert sent.query["$alt"] == ["json;enum-encoding=int"]
    assert sent.body["customModel"]["gcsUri"] == "gs://bkt/job/out/postprocess/node-0/checkpoints/final"
    assert sent.body["endpointConfig"]["endpointDisplayName"] == "tuning-agent-run-open-1"
    machine = sent.body["deployConfig"]["dedicatedResources"]["machineSpec"]
    assert machine["machineType"] == "g2-standard-12" and machine["acceleratorCount"] == 1
    assert fake_vertex.calls("operations.get")

    second = deploy.deploy_open_model(job, spec)
    assert second.endpoint == first.endpoint
    assert len(fake_vertex.calls("deploy")) == 1


def test_deploy_refuses_global_and_unfinished_jobs(fake_vertex: FakeVertex) -> None:
    job = finished()
    with pytest.raises(ToolError, match="real region"):
        deploy.deploy_open_model(job.model_copy(update={"real_region": None}),
                                 DeploySpec(endpoint_display_name="x", **L4))
    running = job.model_copy(update={"state": "JOB_STATE_RUNNING"})
    with pytest.raises(ToolError, match="only a succeeded job"):
        deploy.deploy_open_model(running, DeploySpec(endpoint_display_name="x", **L4))
    with pytest.raises(ToolError, match="go together"):
        deploy.deploy_open_model(job, DeploySpec(endpoint_display_name="x", machine_type="g2-standard-12"))
    assert not fake_vertex.calls("deploy")


def test_deploy_quota_error_becomes_advice(fake_vertex: FakeVertex) -> None:
    job = finished()
    fake_vertex.inject("deploy", 429, "RESOURCE_EXHAUSTED: QUOTA_EXCEEDED for NVIDIA_L4 in us-central1")
    with pytest.raises(CloudError) as caught:
        deploy.deploy_open_model(job, DeploySpec(endpoint_display_name="q", **L4))
    assert caught.value.code == 429
    assert "quota" in (caught.value.hint or "").lower()
    assert len(fake_vertex.calls("deploy")) == 1  # deploy is never retried blindly


def test_gemini_job_endpoint_is_discovered_not_deployed(fake_vertex: FakeVertex) -> None:
    job = finished(gemini_spec)
    platform = VertexPlatform(project=PROJECT, region="us-central1")
    info = platform.deploy(job, DeploySpec(endpoint_display_name="ignored"))
    assert info.endpoint == job.tuned_model_endpoint
    assert info.region == "us-central1"
    assert not fake_vertex.calls("deploy")


def test_predict_open_and_gemini(fake_vertex: FakeVertex) -> None:
    open_job = finished()
    ep = deploy.deploy_open_model(open_job, DeploySpec(endpoint_display_name="ep-open", **L4))
    assert deploy.predict(ep.endpoint, "What is 2+2?") == "fake answer to: What is 2+2?"
    [sent] = fake_vertex.calls("endpoints.predict")
    instance = sent.body["instances"][0]
    assert instance["prompt"] == "What is 2+2?" and instance["max_tokens"] == 256

    gem_job = finished(gemini_spec)
    platform = VertexPlatform(project=PROJECT, region="us-central1")
    answer = platform.predict(gem_job.tuned_model_endpoint or "", "Hello there", max_tokens=32)
    assert answer == "fake answer to: Hello there"
    [gen] = fake_vertex.calls("endpoints.generateContent")
    assert gen.path.startswith("/v1beta1/projects/")
    assert gen.body["generationConfig"]["maxOutputTokens"] == 32


def test_find_deployment_by_display_name(fake_vertex: FakeVertex) -> None:
    platform = VertexPlatform(project=PROJECT, region="global")
    assert platform.find_deployment("nothing-here") is None
    job = finished()
    made = platform.deploy(job, DeploySpec(endpoint_display_name="mine", **L4))
    found = platform.find_deployment("mine")
    assert found is not None and found.endpoint == made.endpoint
