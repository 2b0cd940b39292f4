"""Both categories end to end on the `vertex` platform: the real SDKs against the fake
Vertex REST server, the fake Service Usage / Resource Manager server and the GCS emulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.deps import Deps
from knowledge import OpenModel, find_model, load_catalog, machine
from tests.graph_helpers import Session
from tests.test_graph_session import TRIVIA, write_csv

pytestmark = pytest.mark.slow


@pytest.fixture
def cloud(fake_vertex, fake_admin, gcs_emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    fake_vertex.state.publisher_models.append(("publishers/google/models/gemma3", "gemma-3-12b-it"))
    return fake_vertex


def _to_submit(s: Session, csv: Path) -> None:
    assert s.action == "confirm_project_region"
    s.approve()
    assert "Environment checks passed" in s.text(), s.text()
    s.say(f"use {csv}")
    s.approve_until("submit_tuning_job")


def test_open_model_session_on_vertex(cloud, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s = Session(Deps(platform_name="vertex", poll_s=0.01, watch_timeout_s=30))
    s.say("I want to tune gemma 3 12b to answer trivia questions")
    csv = write_csv(tmp_path, TRIVIA * 10)
    _to_submit(s, csv)
    request = s.interrupt["action_requests"][0]  # type: ignore[index]
    assert request["args"]["base_model"] == "google/gemma3@gemma-3-12b-it"
    assert request["args"]["output_uri"].startswith("gs://tuning-test-project-tuning-agent/tuning_agent_job_")
    assert "tuning-agent job submit --base-model google/gemma3@gemma-3-12b-it" in request["description"]
    s.approve()
    created = [r for r in cloud.requests if r.method == "POST" and r.path.endswith("/tuningJobs")]
    assert len(created) == 1
    body = created[0].body
    assert body["outputUri"] and body["supervisedTuningSpec"]["hyperParameters"]["learningRate"]
    assert s.action == "monitor_job"
    s.approve()
    assert s.state["job"]["succeeded"], s.text()
    assert s.action == "deploy_model"
    deploy_args = s.interrupt["action_requests"][0]["args"]  # type: ignore[index]
    assert deploy_args["region"] != "global" and deploy_args["machine_type"] == "g2-standard-24"
    assert "/hour" in s.interrupt["action_requests"][0]["description"]  # type: ignore[index]
    s.approve()
    endpoint = s.state["deployment"]["endpoint"]
    assert endpoint
    s.say("What is the capital of Japan?")
    assert "Tuned model" in s.text()
    deploys = [r for r in cloud.requests if r.method == "POST" and r.path.endswith(":deploy")]
    assert len(deploys) == 1
    # A crash after the endpoint was created but before the step was saved: replay the open card.
    card = next(h for h in s.graph.get_state_history(s.config)
                if h.interrupts and h.interrupts[0].value["action_requests"][0]["name"] == "deploy_model")
    replay = Session(s.deps, checkpointer=s.graph.checkpointer, thread_id=s.config["configurable"]["thread_id"])
    replay.config = {**card.config, "recursion_limit": 100}
    replay.approve()
    assert len([r for r in cloud.requests if r.method == "POST" and r.path.endswith(":deploy")]) == 1


def test_too_expensive_at_the_deploy_card_offers_cheaper_serving(cloud, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s = Session(Deps(platform_name="vertex", poll_s=0.01, watch_timeout_s=30))
    s.say("I want to tune Llama 3.2 1B Instruct to answer trivia questions")
    _to_submit(s, write_csv(tmp_path, TRIVIA * 10))
    s.approve()
    s.approve()  # watch
    assert s.action == "deploy_model", s.text()
    proposed = machine(s.interrupt["action_requests"][0]["args"]["machine_type"])  # type: ignore[index]
    assert proposed is not None
    s.say("no, too expensive")  # typed in the chat
    assert s.action == "deploy_model" and (s.state.get("deployment") or {}).get("wanted") is not False
    said = s.text()
    assert "billed while the endpoint runs" in said and "don't deploy" in said and "Not deploying" not in said
    cheaper = [m for m in load_catalog().machines if m.accelerator_type == proposed.accelerator_type
               and m.accelerator_count == proposed.accelerator_count and m.hourly_usd < proposed.hourly_usd]
    assert cheaper and all(f"use {m.machine_type}" in said for m in cheaper), said
    s.reject("too pricey")  # sent as the card's answer
    assert s.action == "deploy_model" and "Not deploying" not in s.text()
    assert not [r for r in cloud.requests if r.method == "POST" and r.path.endswith(":deploy")]


def test_gemini_session_on_vertex_reports_endpoint(cloud, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s = Session(Deps(platform_name="vertex", poll_s=0.01, watch_timeout_s=30))
    s.say("I want to tune gemini-3.5-flash to answer trivia questions")
    _to_submit(s, write_csv(tmp_path, TRIVIA * 10))
    args = s.interrupt["action_requests"][0]["args"]  # type: ignore[index]
    assert args["base_model"] == "gemini-3.5-flash" and "learning_rate" not in args
    s.approve()
    s.approve()  # watch
    assert s.state["job"]["succeeded"]
    assert s.action is None
    assert "endpoint" in s.text().lower() and s.state["deployment"]["endpoint"]


def test_failed_job_is_explained_with_advice_and_not_deployed(cloud, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s = Session(Deps(platform_name="vertex", poll_s=0.01, watch_timeout_s=30))
    s.say("I want to tune gemma 3 12b to answer trivia questions")
    _to_submit(s, write_csv(tmp_path, TRIVIA * 10))
    cloud.state.set_outcome("JOB_STATE_FAILED", "RESOURCE_EXHAUSTED: The following quota metrics exceed quota limits")
    s.approve()
    s.reject("no, I'll check later")
    assert "Not watching" in s.text()
    assert s.action is None
    for _ in range(6):
        s.say("status?")
        if s.state["job"].get("ended"):
            break
    assert "failed" in s.text().lower() and "quota" in s.text().lower()
    assert s.state["job"]["advice"], "advice from the known-failures table"
    assert s.state["deployment"]["wanted"] is False


def test_switching_model_recomputes_the_dollar_estimate(cloud, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s = Session(Deps(platform_name="vertex", poll_s=0.01, watch_timeout_s=30))
    s.say("I want to tune gemma 3 12b to answer trivia questions")
    s.approve()
    s.say(f"use {write_csv(tmp_path, TRIVIA * 10)}")
    s.approve_until("approve_configuration")
    first = s.interrupt["action_requests"][0]  # type: ignore[index]
    assert "Estimated" in first["description"] and "USD " in first["description"] and "$" not in first["description"]
    first_cost = s.state["cost"]
    s.edit(base_model="meta/llama3_1@llama-3.1-8b-instruct")
    second = s.interrupt["action_requests"][0]  # type: ignore[index]
    assert second["args"]["base_model"] == "meta/llama3_1@llama-3.1-8b-instruct"
    llama = find_model("meta/llama3_1@llama-3.1-8b-instruct")
    assert isinstance(llama, OpenModel)
    assert second["args"]["tuning_mode"] == llama.default_mode()
    assert s.state["cost"]["usd"] != first_cost["usd"]
    assert s.state["cost"]["price_per_1m_tokens"] == llama.modes[llama.default_mode()].price_per_1m_tokens
    s.edit(base_model="mistral 7b")
    assert "not supported" in s.text().lower()


def test_switching_to_a_model_with_other_modes_starts_from_its_baseline(cloud, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s = Session(Deps(platform_name="vertex", poll_s=0.01, watch_timeout_s=30))
    s.say("I want to tune gemma 3 27b to answer trivia questions")
    s.approve()
    s.say(f"use {write_csv(tmp_path, TRIVIA * 10)}")
    s.approve_until("approve_configuration")
    assert s.interrupt["action_requests"][0]["args"]["tuning_mode"] == "PEFT_ADAPTER"  # type: ignore[index]
    s.reject("use gemma 3 12b instead")
    args = s.interrupt["action_requests"][0]["args"]  # type: ignore[index]
    assert args["base_model"] == "google/gemma3@gemma-3-12b-it" and args["tuning_mode"] == "FULL"
    assert args["adapter_size"] is None


def test_deploy_machine_named_in_words_brings_its_gpu(cloud, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s = Session(Deps(platform_name="vertex", poll_s=0.01, watch_timeout_s=30))
    s.say("I want to tune gemma 3 12b to answer trivia questions")
    _to_submit(s, write_csv(tmp_path, TRIVIA * 10))
    s.approve()
    s.approve()
    assert s.action == "deploy_model"
    s.reject("use a3-highgpu-1g please")
    args = s.interrupt["action_requests"][0]["args"]  # type: ignore[index]
    assert args["machine_type"] == "a3-highgpu-1g" and args["accelerator_type"] == "NVIDIA_H100_80GB"
    h100 = machine("a3-highgpu-1g")
    assert h100 is not None
    assert f"USD {h100.hourly_usd:.2f}/hour" in s.interrupt["action_requests"][0]["description"]  # type: ignore[index]
    s.edit(machine_type="g2-standard-48")
    body = [r for r in cloud.requests if r.method == "POST" and r.path.endswith(":deploy")][-1].body
    spec = body["deployConfig"]["dedicatedResources"]["machineSpec"]
    assert spec["machineType"] == "g2-standard-48" and spec["acceleratorCount"] == 4


def test_environment_problems_get_fixes_and_apis_are_enabled_only_after_approval(  # type: ignore[no-untyped-def]
        cloud, fake_admin, tmp_path: Path) -> None:
    fake_admin.state.services["aiplatform.googleapis.com"] = "DISABLED"
    fake_admin.state.permissions = {"resourcemanager.projects.get"}
    s = Session(Deps(platform_name="vertex", poll_s=0.01, watch_timeout_s=30))
    s.say("I want to tune gemma 3 12b to answer trivia questions")
    s.approve()
    assert s.action == "enable_apis"
    card = s.interrupt["action_requests"][0]  # type: ignore[index]
    assert card["args"]["apis"] == ["aiplatform.googleapis.com"]
    assert "gcloud services enable aiplatform.googleapis.com" in card["description"]
    assert fake_admin.state.services["aiplatform.googleapis.com"] == "DISABLED", "nothing before approval"
    s.approve()
    assert fake_admin.state.services["aiplatform.googleapis.com"] == "ENABLED"
    assert "Some checks failed" in s.text() and "roles/aiplatform.user" in s.text()
    assert s.action is None, "waits for the user to fix the roles"
    fake_admin.state.permissions = None
    s.say("check again")
    assert "Environment checks passed" in s.text()


def test_region_changed_after_configuration_is_confirmed_and_checked_again(cloud, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s = Session(Deps(platform_name="vertex", poll_s=0.01, watch_timeout_s=30))
    s.say("I want to tune gemma 3 12b to answer trivia questions")
    _to_submit(s, write_csv(tmp_path, TRIVIA * 10))
    s.say("use region us-east5 instead")
    assert s.action == "confirm_project_region"
    assert s.interrupt["action_requests"][0]["args"]["region"] == "us-east5"  # type: ignore[index]
    s.approve()
    s.approve_until("submit_tuning_job")
    assert "--location us-east5" in s.interrupt["action_requests"][0]["description"]  # type: ignore[index]
    assert not [r for r in cloud.requests if r.method == "POST" and r.path.endswith("/tuningJobs")]
