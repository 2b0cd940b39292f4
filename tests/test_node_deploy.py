"""The deploy step against the fake Vertex AI service: an endpoint costs money by the hour, so one
is created only after the card is approved, once per conversation, on the hardware and in the
region the card showed; a "no" deploys nothing; a Gemini endpoint is reported, not created.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graph.approvals import Reask
from graph.deps import Deps
from graph.nodes import deploy, submit
from knowledge import machine
from tests.fake_vertex import FakeVertex
from tests.fake_vertex.fixtures import PROJECT, fake_vertex_fixture  # noqa: F401
from tests.node_helpers import RUN_ID, answered, said, streamed
from tests.test_vertex_jobs import gemini_spec, open_spec
from tools import money
from tools.errors import ToolError
from tools.platforms.base import JobInfo
from tools.platforms.local import LocalPlatform

ENDPOINT_NAME = f"tuning-agent-{RUN_ID}"


def gpu(name: object) -> int:
    """An accelerator as the deploy request carries it (the API's enum number)."""
    from google.cloud.aiplatform_v1beta1.types import AcceleratorType

    return int(AcceleratorType[str(name)].value)


def deploys(fake: FakeVertex) -> list[dict[str, Any]]:
    """The deploy requests the service received (each one is a billed endpoint)."""
    return [c.body for c in fake.calls("deploy")]


def finished_state(fake: FakeVertex, spec: Any = None, region: str = "global") -> dict[str, Any]:
    """A conversation whose tuning job succeeded in the fake service (nothing deployed yet)."""
    deps = Deps(platform_name="vertex", project=PROJECT, region=region)
    info = deps.platform("vertex").submit_job(spec or open_spec(run_id=RUN_ID))
    fake.state.finish(info.name, "JOB_STATE_SUCCEEDED")
    done = deps.platform("vertex").get_job(info.name)
    assert done.succeeded
    category = "gemini" if "gemini" in (done.base_model or "") else "open"
    return {"platform": "vertex", "category": category, "run_id": RUN_ID, "job": submit.job_record(done),
            "project": {"project": PROJECT, "region": region}, "hparams": {"base_model": done.base_model}}


@pytest.fixture
def deps(fake_vertex: FakeVertex) -> Deps:
    return Deps(platform_name="vertex", project=PROJECT, region="global")


def test_the_card_serves_where_the_job_really_ran_and_shows_both_commands(fake_vertex: FakeVertex,
                                                                          deps: Deps) -> None:
    fake_vertex.state.global_lands_in = "europe-west4"  # a global job's tuned model lives in its real region
    state = finished_state(fake_vertex)
    assert state["job"]["real_region"] == "europe-west4"
    card = deploy.run(state, deps)["pending"]  # type: ignore[arg-type]
    args, text = card["args"], card["description"]
    assert args["region"] == "europe-west4"
    job, checkpoint = state["job"]["name"], state["job"]["final_checkpoint_uri"]
    assert checkpoint
    assert f"tuning-agent deploy {job}" in text
    assert f"--region europe-west4 --endpoint-name {ENDPOINT_NAME}" in text
    assert f"--machine-type {args['machine_type']}" in text
    assert (f"gcloud ai model-garden models deploy --project={PROJECT} --region=europe-west4 "
            f"--model={checkpoint}") in text
    assert f"--accelerator-type={args['accelerator_type']}" in text
    assert f"--endpoint-display-name={ENDPOINT_NAME}" in text


def test_the_card_hardware_follows_the_tuned_model_and_the_region_falls_back_to_the_project(
        fake_vertex: FakeVertex, deps: Deps) -> None:
    big = "google/gemma3@gemma-3-27b-it"
    state = finished_state(fake_vertex, open_spec(run_id=RUN_ID, base_model=big))
    assert deploy.run(state, deps)["pending"]["args"]["machine_type"] == "g2-standard-48"  # type: ignore[arg-type]
    # The model that was tuned decides, even if the settings moved on to another model since.
    moved_on = {**state, "hparams": {"base_model": "google/gemma3@gemma-3-4b-it"}}
    assert deploy.run(moved_on, deps)["pending"]["args"]["machine_type"] == "g2-standard-48"  # type: ignore[arg-type]
    # A job record without its model (written by an older version) takes the configured model.
    older = {**state, "job": {**state["job"], "base_model": None}, "hparams": {"base_model": big}}
    assert deploy.run(older, deps)["pending"]["args"]["machine_type"] == "g2-standard-48"  # type: ignore[arg-type]
    # A job that did not report where it ran is served from the project's region.
    unplaced = {**state, "job": {**state["job"], "real_region": None},
                "project": {"project": PROJECT, "region": "europe-west4"}}
    assert deploy.run(unplaced, deps)["pending"]["args"]["region"] == "europe-west4"  # type: ignore[arg-type]


def test_the_card_comes_first_and_names_hardware_price_and_a_real_region(fake_vertex: FakeVertex,
                                                                        deps: Deps) -> None:
    state = finished_state(fake_vertex)
    update = deploy.run(state, deps)  # type: ignore[arg-type]
    card = update["pending"]
    assert card["action"] == "deploy_model" and card["step"] == "deploy"
    assert deploys(fake_vertex) == [], "nothing is deployed before the card is approved"
    args = card["args"]
    assert args["endpoint_display_name"] == ENDPOINT_NAME
    assert args["region"] == "us-central1", "a global job is served from a real region"
    hardware = machine(str(args["machine_type"]))
    assert hardware is not None and args["accelerator_type"] == hardware.accelerator_type
    assert f"{hardware.hourly_usd:.2f}" in card["description"]
    assert str(args["machine_type"]) in card["description"] and "us-central1" in card["description"]
    assert not deploy.done({"deployment": update.get("deployment")})  # type: ignore[typeddict-item]


def test_approval_deploys_once_where_the_card_said(fake_vertex: FakeVertex, deps: Deps) -> None:
    state = finished_state(fake_vertex)
    card = deploy.run(state, deps)  # type: ignore[arg-type]
    update, events = streamed(lambda: deploy.run(answered(state, card, "approve"), deps))  # type: ignore[arg-type]
    assert events == [{"node": "deploy", "state": "deploying", "endpoint_display_name": ENDPOINT_NAME}]
    sent = deploys(fake_vertex)
    assert len(sent) == 1
    machine_spec = sent[0]["deployConfig"]["dedicatedResources"]["machineSpec"]
    assert machine_spec["machineType"] == card["pending"]["args"]["machine_type"]
    assert machine_spec["acceleratorType"] == gpu(card["pending"]["args"]["accelerator_type"])
    assert machine_spec["acceleratorCount"] == card["pending"]["args"]["accelerator_count"]
    assert sent[0]["endpointConfig"]["endpointDisplayName"] == ENDPOINT_NAME
    assert fake_vertex.calls("deploy")[0].path.endswith(f"/projects/{PROJECT}/locations/us-central1:deploy")
    record = update["deployment"]
    assert record["wanted"] is True and record["endpoint"] in fake_vertex.state.endpoints
    assert record["display_name"] == ENDPOINT_NAME
    assert update["pending"] is None and update["approvals"][0]["decision"] == "approve"
    hardware = machine(str(card["pending"]["args"]["machine_type"]))
    assert hardware is not None and record["hourly_usd"] == hardware.hourly_usd
    assert f"Deployed: `{record['endpoint']}` at {money.per_hour(hardware.hourly_usd)}." in said(update)
    assert deploy.done({"deployment": record})  # type: ignore[typeddict-item]
    # A resumed conversation that lost the record finds the endpoint instead of deploying again.
    again = deploy.run(state, deps)  # type: ignore[arg-type]
    assert again["deployment"] == {"wanted": True, "endpoint": record["endpoint"]}
    assert "pending" not in again and len(deploys(fake_vertex)) == 1
    assert "Already deployed" in said(again)


def test_a_no_deploys_nothing_and_ends_the_step(fake_vertex: FakeVertex, deps: Deps) -> None:
    state = finished_state(fake_vertex)
    card = deploy.run(state, deps)  # type: ignore[arg-type]
    update = deploy.run(answered(state, card, "reject", "no thanks"), deps)  # type: ignore[arg-type]
    assert deploys(fake_vertex) == []
    assert update["deployment"] == {"wanted": False}
    assert update["pending"] is None
    assert "Not deploying." in said(update)
    assert deploy.done({"deployment": update["deployment"]})  # type: ignore[typeddict-item]


def test_a_no_naming_other_hardware_shows_the_card_again_on_it(fake_vertex: FakeVertex, deps: Deps) -> None:
    state = finished_state(fake_vertex)
    card = deploy.run(state, deps)  # type: ignore[arg-type]
    update = deploy.run(answered(state, card, "reject", "use a3-highgpu-1g instead"), deps)  # type: ignore[arg-type]
    assert deploys(fake_vertex) == []
    again = update["pending"]
    assert again["action"] == "deploy_model" and again["id"] != card["pending"]["id"]
    assert again["step"] == "deploy"
    assert update["approvals"][0]["decision"] == "reject", "the first card's answer is on the audit trail"
    h100 = machine("a3-highgpu-1g")
    assert h100 is not None
    assert again["args"]["machine_type"] == "a3-highgpu-1g"
    assert again["args"]["accelerator_type"] == h100.accelerator_type
    assert again["args"]["accelerator_count"] == h100.accelerator_count
    assert "deployment" not in update, "still undecided"


def test_a_no_naming_the_same_or_unknown_hardware_is_a_no(fake_vertex: FakeVertex, deps: Deps) -> None:
    state = finished_state(fake_vertex)
    card = deploy.run(state, deps)  # type: ignore[arg-type]
    same = str(card["pending"]["args"]["machine_type"])
    for text in (f"not on {same}", "no, a9-bogus-7 maybe"):
        update = deploy.run(answered(state, card, "reject", text), deps)  # type: ignore[arg-type]
        assert update["deployment"] == {"wanted": False}, text
        assert update["pending"] is None
    assert deploys(fake_vertex) == []


def test_an_unknown_machine_in_the_approved_card_deploys_nothing(fake_vertex: FakeVertex, deps: Deps) -> None:
    state = finished_state(fake_vertex)
    card = deploy.run(state, deps)  # type: ignore[arg-type]
    card["pending"]["args"]["machine_type"] = "x9-unknown-1"
    update = deploy.run(answered(state, card, "approve"), deps)  # type: ignore[arg-type]
    assert deploys(fake_vertex) == []
    assert "x9-unknown-1 is not a Model Garden machine" in said(update)
    assert "deployment" not in update
    assert update["pending"] is None and update["approvals"][0]["action"] == "deploy_model"


def test_an_approved_card_with_invalid_hardware_is_asked_again_not_deployed(fake_vertex: FakeVertex,
                                                                           deps: Deps) -> None:
    state = finished_state(fake_vertex)
    card = deploy.run(state, deps)  # type: ignore[arg-type]
    card["pending"]["args"]["accelerator_count"] = 0
    with pytest.raises(Reask):
        deploy.run(answered(state, card, "approve"), deps)  # type: ignore[arg-type]
    assert deploys(fake_vertex) == []


def test_a_no_to_another_steps_question_does_not_decline_deploying(fake_vertex: FakeVertex, deps: Deps) -> None:
    state = finished_state(fake_vertex)
    state.update(pending={"kind": "question", "step": "submit", "question": "?", "awaiting": False},
                 facts={"last_text": "no", "yes": False})
    assert deploy.run(state, deps)["pending"]["action"] == "deploy_model"  # type: ignore[arg-type]


def test_a_machine_brings_its_own_gpu(fake_vertex: FakeVertex, deps: Deps) -> None:
    state = finished_state(fake_vertex)
    card = deploy.run(state, deps)  # type: ignore[arg-type]
    card["pending"]["args"].update(machine_type="g2-standard-48", accelerator_type="NVIDIA_TESLA_T4",
                                   accelerator_count=1)
    deploy.run(answered(state, card, "approve"), deps)  # type: ignore[arg-type]
    machine_spec = deploys(fake_vertex)[0]["deployConfig"]["dedicatedResources"]["machineSpec"]
    assert machine_spec == {"machineType": "g2-standard-48", "acceleratorType": gpu("NVIDIA_L4"),
                            "acceleratorCount": 4}


def test_a_gemini_endpoint_is_reported_not_created(fake_vertex: FakeVertex) -> None:
    state = finished_state(fake_vertex, gemini_spec(run_id=RUN_ID), region="us-central1")
    deps = Deps(platform_name="vertex", project=PROJECT, region="us-central1")
    update = deploy.run(state, deps)  # type: ignore[arg-type]
    endpoint = state["job"]["tuned_model_endpoint"]
    assert endpoint
    assert update["deployment"] == {"wanted": True, "endpoint": endpoint}
    assert "pending" not in update and deploys(fake_vertex) == []
    assert endpoint in said(update) and "served automatically" in said(update)


def test_a_job_that_did_not_succeed_is_not_deployed(fake_vertex: FakeVertex, deps: Deps) -> None:
    state = finished_state(fake_vertex)
    state["job"] = {**state["job"], "succeeded": False, "state": "JOB_STATE_FAILED"}
    update = deploy.run(state, deps)  # type: ignore[arg-type]
    assert update["deployment"] == {"wanted": False}
    assert "pending" not in update and deploys(fake_vertex) == []
    assert "did not succeed" in said(update)


class Compared(LocalPlatform):
    """A local platform whose comparison rows are given (the real one needs a trained model)."""

    def __init__(self, home: Path, rows: list[dict[str, Any]] | None, error: str | None = None) -> None:
        super().__init__(home)
        self.rows, self.error = rows, error

    def side_by_side(self, job: JobInfo, n: int = 3, max_tokens: int = 64) -> list[dict[str, Any]] | None:
        if self.error:
            raise ToolError(self.error, "")
        assert (job.name, n, max_tokens) == ("local-1", 3, 64), "the deployed job, a few short answers"
        return self.rows


def test_side_by_side_shows_each_answer_with_its_score(tmp_path: Path) -> None:
    job = JobInfo(name="local-1", state="JOB_STATE_SUCCEEDED")
    rows = [{"prompt": "2+2?", "base": "five", "tuned": "4", "expected": "four", "base_f1": 0.0, "tuned_f1": 1},
            {"prompt": "Capital of France?", "base": "Paris!", "tuned": "Paris"}]
    text = said(deploy._side_by_side(Compared(tmp_path, rows), job))
    assert text.startswith("Base vs tuned on a few held-out prompts:")
    lines = text.splitlines()
    cells = {line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]] for line in lines
             if line.startswith("|")}
    assert cells["2+2?"] == ["five (F1 0.00)", "4 (F1 1.00)", "four"]
    assert cells["Capital of France?"] == ["Paris!", "Paris", ""], "no score and no expected answer: left blank"
    assert "| prompt | base model | tuned model | expected |" in text.replace("  ", " ")


def test_no_side_by_side_where_the_platform_cannot_or_it_fails(tmp_path: Path) -> None:
    job = JobInfo(name="local-1", state="JOB_STATE_SUCCEEDED")
    assert deploy._side_by_side(Compared(tmp_path, None), job) == {}
    failed = said(deploy._side_by_side(Compared(tmp_path, [], error="no tuned model"), job))
    assert failed == "(No side-by-side comparison: no tuned model)"
