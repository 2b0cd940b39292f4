"""The submit step against the fake Vertex AI service: a tuning job costs money, so it is created
only after the card (with the exact equivalent command) is approved, once per conversation, in
the project and region the conversation chose; a "no" submits nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from graph.deps import Deps
from graph.nodes import submit
from tests.fake_vertex import FakeVertex
from tests.fake_vertex.fixtures import PROJECT, fake_vertex_fixture  # noqa: F401
from tests.node_helpers import RUN_ID, answered, said
from tools.platforms.base import JobInfo

MODEL = "google/gemma3@gemma-3-4b-it"


def ready(**facts: Any) -> dict[str, Any]:
    """A conversation with its files uploaded and its configuration approved."""
    return {"platform": "vertex", "category": "open", "run_id": RUN_ID,
            "project": {"project": PROJECT, "region": "us-central1", "confirmed": True},
            "hparams": {"base_model": MODEL, "tuning_mode": "PEFT_ADAPTER", "epochs": 2,
                        "learning_rate": 0.0002, "adapter_size": 8},
            "dataset": {"train_uri": "gs://bkt/job/train.jsonl", "validation_uri": "gs://bkt/job/validation.jsonl",
                        "uploaded": True},
            "storage": {"output_uri": "gs://bkt/job/output"}, "cost": {"label": "About USD 1.23."},
            "facts": dict(facts)}


def creates(fake: FakeVertex) -> list[Any]:
    return fake.calls("tuningJobs.create")


@pytest.fixture
def deps(fake_vertex: FakeVertex) -> Deps:
    return Deps(platform_name="vertex", project=PROJECT, region="us-central1")


def test_the_card_shows_the_job_and_its_command_before_anything_is_created(fake_vertex: FakeVertex,
                                                                          deps: Deps) -> None:
    update = submit.run(ready(), deps)  # type: ignore[arg-type]
    card = update["pending"]
    assert card["action"] == "submit_tuning_job" and card["step"] == "submit"
    assert None not in card["args"].values(), "the card shows only the settings that are set"
    assert card["allowed"] == ["approve", "reject"], "the job's settings are edited on the configuration card"
    assert creates(fake_vertex) == []
    assert card["args"]["run_id"] == RUN_ID and card["args"]["base_model"] == MODEL
    assert card["args"]["train_uri"] == "gs://bkt/job/train.jsonl"
    assert card["args"]["output_uri"] == "gs://bkt/job/output"
    assert f"Start the tuning job for **{MODEL}**. About USD 1.23." in card["description"]
    assert "Equivalent command:" in card["description"] and MODEL in card["description"]
    assert update["job"] == {"declined": False}
    assert not submit.done({"job": update["job"]})  # type: ignore[typeddict-item]


def test_without_a_cost_estimate_the_card_says_nothing_about_cost(fake_vertex: FakeVertex, deps: Deps) -> None:
    state = ready()
    del state["cost"]
    description = submit.run(state, deps)["pending"]["description"]  # type: ignore[arg-type]
    assert description.split("\n\n")[0].strip() == f"Start the tuning job for **{MODEL}**."


def test_approval_creates_one_job_in_the_chosen_project_and_region(fake_vertex: FakeVertex, deps: Deps) -> None:
    state = ready()
    card = submit.run(state, deps)  # type: ignore[arg-type]
    update = submit.run(answered(state, card, "approve"), deps)  # type: ignore[arg-type]
    sent = creates(fake_vertex)
    assert len(sent) == 1
    assert f"/projects/{PROJECT}/locations/us-central1/" in sent[0].path
    assert sent[0].body["labels"]["tuning_agent_run_id"] == RUN_ID
    assert sent[0].body["baseModel"] == MODEL
    job = update["job"]
    assert job["name"] == next(iter(fake_vertex.state.jobs))
    assert job["state"] == "JOB_STATE_QUEUED" and job["base_model"] == MODEL
    assert job["ended"] is False and job["succeeded"] is False
    assert job["submitted_at"].endswith("+00:00"), "submission times are UTC"
    assert job["output_uri"] == "gs://bkt/job/output"
    assert update["pending"] is None and update["approvals"][0]["action"] == "submit_tuning_job"
    assert f"Job submitted: `{job['name']}` (JOB_STATE_QUEUED)" in said(update)
    if job["console_url"]:
        assert job["console_url"] in said(update)
    assert submit.done({"job": job})  # type: ignore[typeddict-item]


def test_a_resumed_conversation_takes_up_its_job_instead_of_submitting_again(fake_vertex: FakeVertex,
                                                                           deps: Deps) -> None:
    state = ready()
    card = submit.run(state, deps)  # type: ignore[arg-type]
    first = submit.run(answered(state, card, "approve"), deps)  # type: ignore[arg-type]
    # The process stopped before the job was recorded; the same approval is replayed.
    again = submit.run(answered(state, card, "approve"), deps)  # type: ignore[arg-type]
    assert len(creates(fake_vertex)) == 1
    assert again["job"]["name"] == first["job"]["name"] and again["job"]["declined"] is False
    assert again["pending"] is None, "the open card is closed"
    assert "already submitted" in said(again) and "Nothing was submitted again" in said(again)
    # Without an open card: no card is shown for a job that exists.
    plain = submit.run(state, deps)  # type: ignore[arg-type]
    assert "pending" not in plain and len(creates(fake_vertex)) == 1
    assert plain["job"]["name"] == first["job"]["name"]


def test_a_no_submits_nothing_and_the_card_waits_for_a_yes(fake_vertex: FakeVertex, deps: Deps) -> None:
    state = ready()
    card = submit.run(state, deps)  # type: ignore[arg-type]
    update = submit.run(answered(state, card, "reject"), deps)  # type: ignore[arg-type]
    assert creates(fake_vertex) == []
    assert update["job"] == {"declined": True}
    assert update["approvals"][0]["decision"] == "reject", "the refusal is on the audit trail"
    assert update["pending"]["kind"] == "question" and update["pending"]["step"] == "submit"
    assert update["pending"]["question"]
    assert "Nothing was submitted" in said(update)
    later = {**state, "job": update["job"], "pending": None}
    asked = submit.run(later, deps)  # type: ignore[arg-type]
    assert asked["pending"]["kind"] == "question", "no new card until the person says submit"
    assert asked["pending"]["step"] == "submit" and "submit" in asked["pending"]["question"]
    yes = submit.run({**later, "facts": {"yes": True}}, deps)  # type: ignore[arg-type]
    assert yes["pending"]["action"] == "submit_tuning_job" and yes["job"] == {"declined": False}
    assert creates(fake_vertex) == []


def test_the_job_record_keeps_what_later_steps_and_the_person_need() -> None:
    info = JobInfo(name="projects/p/locations/l/tuningJobs/1", state="JOB_STATE_SUCCEEDED",
                   base_model=MODEL, real_region="us-central1", console_url="https://console/1",
                   error_message=None, advice="none", output_uri="gs://b/o",
                   final_checkpoint_uri="gs://b/o/final", tuned_model_endpoint="projects/p/endpoints/9",
                   start_time="2026-11-28T00:00:00Z", end_time="2026-11-28T00:00:41Z", elapsed_s=12.5)
    record = submit.job_record(info)
    assert record == {"name": info.name, "state": "JOB_STATE_SUCCEEDED", "console_url": "https://console/1",
                      "real_region": "us-central1", "error_message": None, "advice": "none",
                      "final_checkpoint_uri": "gs://b/o/final", "tuned_model_endpoint": "projects/p/endpoints/9",
                      "base_model": MODEL, "ended": True, "succeeded": True, "output_uri": "gs://b/o",
                      "elapsed_s": 41.0}  # the job's own start and end times, not the platform's running count
    running = submit.job_record(JobInfo(name="j", state="JOB_STATE_RUNNING", elapsed_s=3.0))
    assert running["elapsed_s"] == 3.0
