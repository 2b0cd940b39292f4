"""The fakes refuse what the real services refuse: bodies that do not fit the protos, bad bucket names.

A fake that answers 200 to anything cannot catch an SDK call built wrongly. These tests send
the bodies a regression would produce and expect the service's 400, naming the field.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from tests.fake_admin import PROJECT as ADMIN_PROJECT
from tests.fake_admin import TOKEN as ADMIN_TOKEN
from tests.fake_admin import FakeAdminServer, fake_admin_fixture  # noqa: F401
from tests.fake_vertex import FakeVertex
from tests.gcs_fixtures import gcs_emulator_fixture  # noqa: F401

PARENT = "/v1beta1/projects/demo-project/locations/us-central1"
GOOD_JOB: dict[str, Any] = {
    "baseModel": "gemini-2.5-flash",
    "supervisedTuningSpec": {
        "trainingDatasetUri": "gs://b/train.jsonl",
        "hyperParameters": {"epochCount": "3", "adapterSize": "ADAPTER_SIZE_FOUR",
                            "learningRateMultiplier": 1.0},
    },
    "labels": {"tuning_agent_run_id": "r1"},
}


def post(url: str, body: Any, token: str = "fake-token") -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Authorization": f"Bearer {token}",
                                              "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.fixture
def vertex() -> Any:
    fake = FakeVertex().start()
    yield fake
    fake.stop()


def with_hyper(**hyper: Any) -> dict[str, Any]:
    job = json.loads(json.dumps(GOOD_JOB))
    job["supervisedTuningSpec"]["hyperParameters"].update(hyper)
    return job


def test_a_valid_tuning_job_body_is_accepted(vertex: FakeVertex) -> None:
    code, job = post(f"{vertex.url}{PARENT}/tuningJobs", GOOD_JOB)
    assert code == 200, job
    assert job["state"] == "JOB_STATE_QUEUED"
    assert vertex.refused == []


@pytest.mark.parametrize(("body", "named"), [
    (with_hyper(epochCountt="3"), '"epochCountt"'),
    (with_hyper(learningRate=0.1, extra=1), '"extra"'),
    ({**GOOD_JOB, "learningRate": 0.001}, '"learningRate"'),  # the right field in the wrong message
    ({**GOOD_JOB, "supervisedTuningSpec": {**GOOD_JOB["supervisedTuningSpec"],
                                            "tuningMode": "TUNING_MODE_LORA"}}, "TUNING_MODE_LORA"),
    (with_hyper(adapterSize="ADAPTER_SIZE_THREE"), "ADAPTER_SIZE_THREE"),
    (with_hyper(epochCount="three"), "three"),
])
def test_a_body_the_proto_refuses_gets_400_naming_the_field(vertex: FakeVertex, body: dict[str, Any],
                                                            named: str) -> None:
    code, reply = post(f"{vertex.url}{PARENT}/tuningJobs", body)
    assert code == 400
    error = reply["error"]
    assert error["status"] == "INVALID_ARGUMENT" and error["code"] == 400
    assert named in error["message"]
    violation = error["details"][0]["fieldViolations"][0]
    assert violation["field"].startswith("tuning_job")
    assert vertex.state.jobs == {}  # nothing was created


def test_unknown_field_is_reported_at_its_snake_case_path(vertex: FakeVertex) -> None:
    code, reply = post(f"{vertex.url}{PARENT}/tuningJobs", with_hyper(epochCountt="3"))
    assert code == 400
    assert reply["error"]["message"] == (
        'Invalid JSON payload received. Unknown name "epochCountt" at '
        "'tuning_job.supervised_tuning_spec.hyper_parameters': Cannot find field.")


def test_a_misspelt_deploy_field_is_refused(vertex: FakeVertex) -> None:
    good = {"customModel": {"gcsUri": "gs://b/out/postprocess/node-0/checkpoints/final"},
            "deployConfig": {"dedicatedResources": {"machineSpec": {"machineType": "g2-standard-12"},
                                                    "minReplicaCount": 1}}}
    code, reply = post(f"{vertex.url}{PARENT}:deploy", good)
    assert code == 200, reply
    bad = {**good, "endpointConfg": {"endpointDisplayName": "x"}}
    code, reply = post(f"{vertex.url}{PARENT}:deploy", bad)
    assert code == 400 and '"endpointConfg"' in reply["error"]["message"]


def test_the_v1_surface_is_checked_against_the_v1_protos(vertex: FakeVertex) -> None:
    code, reply = post(f"{vertex.url}/v1/projects/demo-project/locations/us-central1/tuningJobs",
                       {**GOOD_JOB, "bogusField": 1})
    assert code == 400 and '"bogusField"' in reply["error"]["message"]


def test_the_admin_fake_checks_its_bodies_too(fake_admin: FakeAdminServer) -> None:
    base = f"{fake_admin.url}/v1/projects/{ADMIN_PROJECT}/services:batchEnable"
    code, reply = post(base, {"serviceIds": ["aiplatform.googleapis.com"]}, ADMIN_TOKEN)
    assert code == 200, reply
    code, reply = post(base, {"serviceId": ["aiplatform.googleapis.com"]}, ADMIN_TOKEN)
    assert code == 400 and '"serviceId"' in reply["error"]["message"]
    code, reply = post(f"{fake_admin.url}/v3/projects/{ADMIN_PROJECT}:testIamPermissions",
                       {"permission": ["x"]}, ADMIN_TOKEN)
    assert code == 400 and '"permission"' in reply["error"]["message"]
    assert len(fake_admin.refused) == 2
