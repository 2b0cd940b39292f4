"""Job status and the watch loop, against the fake Vertex server."""

from __future__ import annotations

import pytest

from tests.fake_vertex import PROJECT_NUMBER, FakeVertex
from tests.fake_vertex.fixtures import fake_vertex_fixture  # noqa: F401
from tests.test_vertex_jobs import gemini_spec, open_spec
from tools.platforms.base import TERMINAL_STATES, JobInfo
from tools.vertex import jobs, monitor


class FakeClock:
    """Sleep advances a counter instead of waiting, so watch runs instantly and is bounded."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def watch_all(name: str, timeout_s: float | None = 10_000) -> tuple[list[JobInfo], FakeClock]:
    fc = FakeClock()
    seen = list(monitor.watch(lambda: jobs.get_job(name), poll_s=5, max_poll_s=60,
                              timeout_s=timeout_s, sleep=fc.sleep, clock=fc.clock))
    return seen, fc


def test_watch_yields_each_state_change_and_stops_on_success(fake_vertex: FakeVertex) -> None:
    fake_vertex.state.gets_per_step = 3  # several polls per state: changes only are yielded
    info = jobs.submit_job(open_spec())
    seen, fc = watch_all(info.name)
    assert [i.state for i in seen] == ["JOB_STATE_QUEUED", "JOB_STATE_RUNNING", "JOB_STATE_SUCCEEDED"]
    assert fc.sleeps[:3] == [5, 7.5, 5]  # backoff while unchanged, reset after a change
    done = seen[-1]
    assert done.data_stats == {"examples": 120, "billable_tokens": 45678, "steps": 36,
                               "truncated_examples": 0}
    assert done.final_checkpoint_uri == "gs://bkt/job/out/postprocess/node-0/checkpoints/final"
    assert done.elapsed_s is not None and done.elapsed_s >= 0


@pytest.mark.parametrize("terminal", sorted(TERMINAL_STATES))
def test_watch_stops_on_every_terminal_state(fake_vertex: FakeVertex, terminal: str) -> None:
    fake_vertex.state.set_outcome(terminal, "The job ended: " + terminal)
    info = jobs.submit_job(open_spec())
    seen, _ = watch_all(info.name)
    assert seen[-1].state == terminal
    assert seen[-1].ended
    polls = len(fake_vertex.calls("tuningJobs.get"))
    assert polls == 2  # RUNNING, then the terminal state; no poll after it


def test_watch_is_bounded_by_timeout(fake_vertex: FakeVertex) -> None:
    fake_vertex.state.gets_per_step = 1_000_000  # stays QUEUED
    info = jobs.submit_job(open_spec())
    seen, fc = watch_all(info.name, timeout_s=120)
    assert [i.state for i in seen] == ["JOB_STATE_QUEUED"]
    assert fc.now == pytest.approx(120)


def test_failed_job_has_service_message_and_advice(fake_vertex: FakeVertex) -> None:
    fake_vertex.state.set_outcome(
        "JOB_STATE_FAILED", "RESOURCE_EXHAUSTED: The following quota metrics exceed quota limits: "
        "aiplatform.googleapis.com/global_concurrent_managed_oss_tuning_jobs")
    info = jobs.submit_job(open_spec())
    seen, _ = watch_all(info.name)
    failed = seen[-1]
    assert failed.state == "JOB_STATE_FAILED"
    assert "quota metrics exceed" in (failed.error_message or "")
    assert failed.advice and "quota" in failed.advice.lower()


def test_failed_job_with_unknown_message_still_gets_advice(fake_vertex: FakeVertex) -> None:
    fake_vertex.state.set_outcome("JOB_STATE_FAILED", "Something odd happened.")
    info = jobs.submit_job(open_spec())
    failed = watch_all(info.name)[0][-1]
    assert failed.error_message == "Something odd happened."
    assert failed.advice and "submit again" in failed.advice


def test_global_job_reports_its_real_region(fake_vertex: FakeVertex) -> None:
    fake_vertex.state.global_lands_in = "europe-west4"
    info = jobs.submit_job(open_spec())
    assert info.location == "global" and info.real_region is None
    done = watch_all(info.name)[0][-1]
    assert done.location == "global"
    assert done.real_region == "europe-west4"
    assert done.tuned_model and "/locations/europe-west4/" in done.tuned_model


def test_regional_job_region_and_console_url(fake_vertex: FakeVertex) -> None:
    info = jobs.submit_job(gemini_spec())
    assert info.real_region == "us-central1"
    assert info.console_url == (
        "https://console.cloud.google.com/vertex-ai/tuning/locations/us-central1/tuningJob/"
        f"1000?project={PROJECT_NUMBER}")
    done = watch_all(info.name)[0][-1]
    assert done.tuned_model_endpoint and "/endpoints/" in done.tuned_model_endpoint
    assert done.final_checkpoint_uri is None  # Gemini jobs have no output URI


def test_real_region_from_names() -> None:
    assert monitor.real_region(["projects/1/locations/us-east5/models/9@1"], "global") == "us-east5"
    assert monitor.real_region([None, "projects/1/locations/global/x/1"], "global") is None
    assert monitor.real_region([], "us-central1") == "us-central1"
