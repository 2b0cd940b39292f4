"""VertexPlatform composes the vertex modules behind the Platform interface."""

from __future__ import annotations

from tests.fake_vertex import FakeVertex
from tests.fake_vertex.fixtures import PROJECT, fake_vertex_fixture  # noqa: F401
from tests.test_vertex_jobs import open_spec
from tools.platforms import get_platform
from tools.platforms.vertex import VertexPlatform


def test_platform_jobs_round_trip(fake_vertex: FakeVertex) -> None:
    platform = get_platform("vertex", project=PROJECT, region="global")
    assert isinstance(platform, VertexPlatform) and platform.name == "vertex"
    spec = open_spec(project=None, location=None)
    job = platform.submit_job(spec)
    assert fake_vertex.calls("tuningJobs.create")[0].path == (
        f"/v1beta1/projects/{PROJECT}/locations/global/tuningJobs")
    found = platform.find_job(spec.run_id)
    assert found is not None and found.name == job.name
    assert platform.find_job("never-submitted") is None
    assert [j.name for j in platform.list_jobs()] == [job.name]
    states = [i.state for i in platform.watch_job(job.name, poll_s=0.01, timeout_s=30)]
    assert states == ["JOB_STATE_RUNNING", "JOB_STATE_SUCCEEDED"]
    assert platform.get_job(job.name).real_region == "us-central1"


def test_platform_defaults_come_from_the_environment(fake_vertex: FakeVertex, monkeypatch) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_LOCATION", "europe-west4")
    platform = VertexPlatform()
    assert platform.project == PROJECT and platform.region == "europe-west4"
