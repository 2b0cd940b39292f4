"""A second job or endpoint costs money: submit and deploy never make one by accident.

Requirement: one run id is at most one job; when several exist (a user resubmitted by hand,
or a retry landed), the newest is the one meant. A create whose answer was lost — a 5xx
after the work, or no answer at all — is followed by a lookup, never by a blind second
create. The same holds for deploy.
"""

from __future__ import annotations

import pytest

from tests.fake_vertex import FakeVertex
from tests.fake_vertex.fixtures import fake_vertex_fixture  # noqa: F401
from tests.test_vertex_jobs import open_spec
from tools.errors import CloudError
from tools.platforms.base import DeploySpec, JobInfo
from tools.vertex import deploy, jobs

L4 = dict(machine_type="g2-standard-12", accelerator_type="NVIDIA_L4", accelerator_count=1)


def make_job(fake: FakeVertex, run_id: str, created: str, state: str = "JOB_STATE_RUNNING") -> str:
    """A job already in the service for `run_id`, created at `created` (an ISO time)."""
    body = {"baseModel": "google/gemma3@gemma-3-4b-it", "outputUri": "gs://bkt/job/out",
            "supervisedTuningSpec": {"trainingDatasetUri": "gs://bkt/job/train.jsonl"},
            "labels": {"tuning_agent_run_id": run_id, "created_by": "tuning-agent"}}
    job = fake.state.create_job("demo-project", "global", body, "v1beta1")
    stored = fake.state.jobs[job["name"]]
    stored["createTime"] = created
    stored["state"] = state
    return str(job["name"])


def test_the_newest_of_several_jobs_for_a_run_id_is_returned(fake_vertex: FakeVertex) -> None:
    # Stored out of time order, so neither the first nor the last listed is the newest.
    make_job(fake_vertex, "run-open-1", "2026-03-01T10:00:00.000000Z", "JOB_STATE_FAILED")
    newest = make_job(fake_vertex, "run-open-1", "2026-03-03T10:00:00.000000Z")
    make_job(fake_vertex, "run-open-1", "2026-03-02T10:00:00.000000Z", "JOB_STATE_CANCELLED")
    make_job(fake_vertex, "other-run", "2026-03-04T10:00:00.000000Z")
    found = jobs.find_job("run-open-1", "demo-project", "global")
    assert found is not None and found.name == newest
    info = jobs.submit_job(open_spec())
    assert info.name == newest
    assert fake_vertex.calls("tuningJobs.create") == []


def test_no_job_for_the_run_id_means_none(fake_vertex: FakeVertex) -> None:
    make_job(fake_vertex, "other-run", "2026-03-04T10:00:00.000000Z")
    assert jobs.find_job("run-open-1", "demo-project", "global") is None


def test_a_create_that_got_no_answer_is_looked_up_not_repeated(fake_vertex: FakeVertex) -> None:
    fake_vertex.inject("tuningJobs.create", None, drop=True, after=True)  # created; the answer lost
    info = jobs.submit_job(open_spec())
    assert len(fake_vertex.calls("tuningJobs.create")) == 1
    assert len(fake_vertex.state.jobs) == 1
    assert info.name == next(iter(fake_vertex.state.jobs))
    # The lookup after the lost answer happened (two before the create: filtered, then unfiltered).
    lists_after_create = [r for r in fake_vertex.requests[fake_vertex.requests.index(
        fake_vertex.calls("tuningJobs.create")[0]):] if r.route == "tuningJobs.list"]
    assert lists_after_create


def test_a_create_that_got_no_answer_and_made_nothing_is_an_error(fake_vertex: FakeVertex) -> None:
    fake_vertex.inject("tuningJobs.create", None, drop=True)  # hung up before creating
    with pytest.raises(CloudError) as caught:
        jobs.submit_job(open_spec())
    assert caught.value.code is None and caught.value.retryable
    assert len(fake_vertex.calls("tuningJobs.create")) == 1
    assert fake_vertex.state.jobs == {}


def finished() -> JobInfo:
    info = jobs.submit_job(open_spec())
    for _ in range(3):
        info = jobs.get_job(info.name)
    assert info.state == "JOB_STATE_SUCCEEDED"
    return info


def test_a_deploy_answered_with_5xx_after_the_work_returns_the_endpoint(fake_vertex: FakeVertex) -> None:
    job = finished()
    fake_vertex.inject("deploy", 503, after=True)
    found = deploy.deploy_open_model(job, DeploySpec(endpoint_display_name="ep-run-1", **L4))
    assert len(fake_vertex.calls("deploy")) == 1
    assert len(fake_vertex.state.endpoints) == 1
    assert found.endpoint == next(iter(fake_vertex.state.endpoints))


def test_a_deploy_retried_after_a_5xx_deploys_once(fake_vertex: FakeVertex) -> None:
    job = finished()
    spec = DeploySpec(endpoint_display_name="ep-run-2", **L4)
    fake_vertex.inject("deploy", 503)  # refused before any work
    with pytest.raises(CloudError) as caught:
        deploy.deploy_open_model(job, spec)
    assert caught.value.code == 503 and caught.value.retryable
    assert fake_vertex.state.endpoints == {}
    first = deploy.deploy_open_model(job, spec)  # the user's retry
    again = deploy.deploy_open_model(job, spec)  # and one more: the endpoint is found, not redeployed
    assert first.endpoint == again.endpoint
    assert len(fake_vertex.calls("deploy")) == 2
    assert len(fake_vertex.state.endpoints) == 1


# -- the command shown for a job re-runs the same job (same run id, same platform) ---------------


def test_a_local_jobs_command_stays_on_the_local_platform() -> None:
    """Re-running the shown command must not send a local job to Vertex (and pay for it)."""
    import shlex

    from agent.cli import build_parser
    from agent.commands.job import _spec

    spec = open_spec(category="local", base_model="local/gemma-3-270m", location=None,
                     output_uri=None, adapter_size=None, learning_rate=5e-4)
    argv = shlex.split(jobs.equivalent_command(spec))
    assert argv[argv.index("--platform") + 1] == "local"
    assert "--location" not in argv and "--project" not in argv
    again = _spec(build_parser().parse_args(argv[1:]))
    assert again.category == "local" and again.run_id == spec.run_id


@pytest.mark.parametrize(("base_model", "category"), [
    ("local/gemma-3-270m", "local"), ("google/gemma3@gemma-3-4b-it", "open"), ("gemini-3.5-flash", "gemini"),
])
def test_the_category_follows_from_the_base_model_name(base_model: str, category: str) -> None:
    assert jobs.infer_category(base_model) == category


def test_the_job_list_is_newest_first_and_stops_at_the_limit(fake_vertex: FakeVertex) -> None:
    """The list people pick from (and resume by) shows the newest jobs, no more than asked for."""
    names = [make_job(fake_vertex, f"r{i}", f"2026-01-0{i}T00:00:00Z") for i in (2, 5, 1, 4, 3)]
    newest_first = [names[1], names[3], names[4], names[0], names[2]]
    assert [job.name for job in jobs.list_jobs("demo-project", "global")] == newest_first
    assert len(jobs.list_jobs("demo-project", "global", limit=2)) == 2


def test_a_paused_job_can_still_be_cancelled(fake_vertex: FakeVertex) -> None:
    """A paused job has stopped but not ended for billing purposes: cancel must reach the service."""
    name = make_job(fake_vertex, "paused-run", "2026-01-01T00:00:00Z", state="JOB_STATE_PAUSED")
    assert jobs.cancel_job(name).state == "JOB_STATE_CANCELLED"
    assert len(fake_vertex.calls("tuningJobs.cancel")) == 1


def test_a_refused_cancel_or_get_says_what_was_refused(fake_vertex: FakeVertex) -> None:
    """The person is told which action the service refused, not only its error code."""
    name = make_job(fake_vertex, "refused-run", "2026-01-01T00:00:00Z")
    fake_vertex.inject("tuningJobs.cancel", 403, "Permission 'aiplatform.tuningJobs.cancel' denied")
    with pytest.raises(CloudError) as cancel:
        jobs.cancel_job(name)
    assert str(cancel.value).startswith("Vertex AI refused to cancel the tuning job (403 ")
    fake_vertex.inject("tuningJobs.get", 403, "Permission 'aiplatform.tuningJobs.get' denied")
    with pytest.raises(CloudError) as get:
        jobs.get_job(name)
    assert str(get.value).startswith("Vertex AI refused to get the tuning job (403 ")
    fake_vertex.inject("tuningJobs.list", 403, "Permission 'aiplatform.tuningJobs.list' denied")
    with pytest.raises(CloudError) as listing:
        jobs.list_jobs("demo-project", "global")
    assert str(listing.value).startswith("Vertex AI refused to list tuning jobs (403 ")


def test_the_job_list_asks_for_no_more_than_it_shows(fake_vertex: FakeVertex) -> None:
    """A page is at most the limit, and never more than the service's 100."""
    make_job(fake_vertex, "r1", "2026-01-01T00:00:00Z")
    jobs.list_jobs("demo-project", "global", limit=2)
    jobs.list_jobs("demo-project", "global")
    jobs.list_jobs("demo-project", "global", limit=500)
    asked = [call.query.get("pageSize") for call in fake_vertex.calls("tuningJobs.list")]
    assert asked == [["2"], ["100"], ["100"]]
    for i in range(101):
        make_job(fake_vertex, f"many{i}", f"2026-02-01T00:00:{i % 60:02d}Z")
    assert len(jobs.list_jobs("demo-project", "global")) == 100  # the default shows 100, one page


def test_every_job_call_goes_to_the_project_asked_for(fake_vertex: FakeVertex) -> None:
    """A job looked up, created, listed or cancelled in the default project instead would cost the wrong team."""
    fake_vertex.inject("tuningJobs.create", 500, after=True)  # created, then a 5xx: looked up, not repeated
    info = jobs.submit_job(open_spec(project="second-team-proj"))
    jobs.find_job("run-open-1", "second-team-proj", "global")
    jobs.list_jobs("second-team-proj", "global")
    jobs.cancel_job(info.name.replace(info.name.split("/")[1], "second-team-proj"))
    routes = ("tuningJobs.create", "tuningJobs.list", "tuningJobs.cancel")
    paths = [r.path for r in fake_vertex.requests if r.route in routes]
    assert {r.route for r in fake_vertex.requests if r.route in routes} == set(routes)
    assert paths and all("/projects/second-team-proj/" in p for p in paths), paths
    assert len(fake_vertex.calls("tuningJobs.create")) == 1
