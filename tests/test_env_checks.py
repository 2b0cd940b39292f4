"""`check_environment` and `enable_apis` against the fake admin server (and the GCS emulator)."""

from __future__ import annotations

import pytest

from tests.fake_admin import (
    NUMBER,
    PROJECT,
    USER,
    FakeAdminServer,
    default_bindings,
    fake_admin_fixture,  # noqa: F401
)
from tests.gcs_fixtures import gcs_emulator_fixture  # noqa: F401
from tools.errors import CloudError, ToolError
from tools.vertex import rest
from tools.vertex.env import EnvReport, check_environment, enable_apis
from tools.vertex.rest import AdminClients

AGENT_AIP = f"serviceAccount:service-{NUMBER}@gcp-sa-aiplatform.iam.gserviceaccount.com"
AGENT_TUNE = f"serviceAccount:service-{NUMBER}@gcp-sa-vertex-tune.iam.gserviceaccount.com"
AGENT_OSS = f"serviceAccount:service-{NUMBER}@gcp-sa-vertex-moss-ft.iam.gserviceaccount.com"


def failed(report: EnvReport, name: str) -> str:
    check = report.check(name)
    assert check is not None, f"no check {name}: {[c.name for c in report.checks]}"
    assert not check.ok, check
    return f"{check.detail}\n{check.fix}"


def test_healthy_project_passes_every_check(fake_admin: FakeAdminServer) -> None:
    report = check_environment()
    assert report.ok, [c for c in report.checks if not c.ok]
    assert all(c.ok for c in report.checks)
    assert (report.project, report.project_number, report.region) == (PROJECT, NUMBER, "us-central1")
    assert report.account == USER
    assert report.missing_apis == []
    names = {c.name for c in report.checks}
    assert {"credentials", "project_number", "api:aiplatform.googleapis.com", "api:storage.googleapis.com",
            "caller_permissions", "agent:aiplatform", "agent:vertex-tune", "agent:oss-bucket-access"} <= names
    # Each call carried the token, and the IAM policy was asked for at version 3.
    assert all(r["authorization"] == "Bearer fake-admin-token" for r in fake_admin.requests)
    assert fake_admin.calls("POST", ":getIamPolicy")[0]["body"] == {"options": {"requestedPolicyVersion": 3}}
    asked = fake_admin.calls("POST", ":testIamPermissions")[0]["body"]["permissions"]
    assert "aiplatform.tuningJobs.create" in asked and "storage.objects.create" in asked


def test_disabled_api_is_an_error_with_the_enable_command(fake_admin: FakeAdminServer) -> None:
    fake_admin.state.services["aiplatform.googleapis.com"] = "DISABLED"
    report = check_environment()
    assert not report.ok
    assert report.missing_apis == ["aiplatform.googleapis.com"]
    text = failed(report, "api:aiplatform.googleapis.com")
    assert f"gcloud services enable aiplatform.googleapis.com --project {PROJECT}" in text
    assert f"console.cloud.google.com/apis/library/aiplatform.googleapis.com?project={PROJECT}" in text
    # The Vertex service agent cannot exist yet: said as information, not as a second error.
    fake_admin.state.bindings = []
    report = check_environment()
    assert report.check("agent:aiplatform").severity == "info"  # type: ignore[union-attr]


def test_missing_caller_permission_names_the_role_and_member(fake_admin: FakeAdminServer) -> None:
    fake_admin.state.permissions = {"resourcemanager.projects.get", "aiplatform.tuningJobs.get"}
    report = check_environment()
    assert not report.ok
    text = failed(report, "caller_permissions")
    assert "aiplatform.tuningJobs.create" in text
    assert f"gcloud projects add-iam-policy-binding {PROJECT} --member={USER} --role=roles/aiplatform.user" in text
    storage = report.check("caller_storage")
    assert storage is not None and not storage.ok and storage.severity == "warning"
    assert "roles/storage.objectAdmin" in (storage.fix or "")


def test_missing_service_agents(fake_admin: FakeAdminServer) -> None:
    fake_admin.state.bindings = [b for b in default_bindings() if b["role"] == "roles/aiplatform.user"]
    report = check_environment(category="open")
    aip = report.check("agent:aiplatform")
    assert aip is not None and aip.severity == "error"
    assert f"--member={AGENT_AIP} --role=roles/aiplatform.serviceAgent" in failed(report, "agent:aiplatform")
    tune = report.check("agent:vertex-tune")
    assert tune is not None and tune.severity == "warning"  # may not exist before the first job
    assert "first tuning job" in failed(report, "agent:vertex-tune")
    assert "roles/aiplatform.tuningServiceAgent" in (tune.fix or "")
    oss = report.check("agent:oss-bucket-access")
    assert oss is not None and oss.severity == "warning"  # no bucket chosen yet
    assert AGENT_OSS in (oss.fix or "")
    assert not report.ok  # because of the Vertex agent only
    assert [c.name for c in report.failures()] == ["agent:aiplatform"]


def test_gemini_skips_the_open_model_agent(fake_admin: FakeAdminServer) -> None:
    report = check_environment(category="gemini")
    assert report.check("agent:oss-bucket-access") is None
    assert report.ok


def test_forbidden_calls_become_failed_checks_not_exceptions(fake_admin: FakeAdminServer) -> None:
    fake_admin.state.forbidden = {"get_service", "get_iam_policy", "test_permissions"}
    report = check_environment()
    api = report.check("api:aiplatform.googleapis.com")
    assert api is not None and not api.ok and api.severity == "warning"
    assert "roles/serviceusage.serviceUsageConsumer" in (api.fix or "")
    caller = report.check("caller_permissions")
    assert caller is not None and not caller.ok and "403" in caller.detail
    agents = report.check("service_agents")
    assert agents is not None and not agents.ok and agents.severity == "warning"
    assert "gcloud projects get-iam-policy" in (agents.fix or "")


def test_unknown_project(fake_admin: FakeAdminServer) -> None:
    report = check_environment("no-such-project")
    text = failed(report, "project_number")
    assert "no-such-project" in text and "roles/viewer" in text
    assert report.project_number is None
    assert report.check("service_agents").severity == "info"  # type: ignore[union-attr]
    assert not report.ok


def test_refused_token(fake_admin: FakeAdminServer) -> None:
    fake_admin.state.token = "a-different-token"
    report = check_environment()
    text = failed(report, "project_number")
    assert "credentials were refused" in text and "gcloud auth application-default login" in text


def test_no_credentials(fake_admin: FakeAdminServer, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.delenv("TUNING_AGENT_ACCESS_TOKEN")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing-key.json"))
    report = check_environment()
    text = failed(report, "credentials")
    assert "gcloud auth application-default login" in text
    assert report.check("remaining_checks") is not None
    assert not report.ok
    assert fake_admin.requests == []


def test_no_project(fake_admin: FakeAdminServer, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT")
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "empty"))
    report = check_environment()
    assert "gcloud config set project" in failed(report, "project")
    assert "compute/region" in failed(report, "region")
    assert report.check("region").severity == "warning"  # type: ignore[union-attr]
    assert not report.ok


def test_invalid_region_lists_valid_ones(fake_admin: FakeAdminServer) -> None:
    report = check_environment(region="mars-north1", category="gemini")
    text = failed(report, "region")
    assert "mars-north1" in text and "us-central1" in text
    assert check_environment(region="global", category="open").check("region").ok  # type: ignore[union-attr]
    assert not check_environment(region="global", category="gemini").check("region").ok  # type: ignore[union-attr]


def test_transient_503_is_retried_for_reads(fake_admin: FakeAdminServer,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rest, "READ_RETRY_INITIAL_S", 0.01)
    fake_admin.state.unavailable = {"get_project": 1, "test_permissions": 2}
    admin = AdminClients()
    assert admin.get_project(PROJECT) == (f"projects/{NUMBER}", "ACTIVE")
    assert len(fake_admin.calls("GET", f"/v3/projects/{PROJECT}")) == 2
    assert admin.held_permissions(PROJECT, ["aiplatform.tuningJobs.create"]) == {"aiplatform.tuningJobs.create"}
    assert len(fake_admin.calls("POST", ":testIamPermissions")) == 3


def test_enable_is_sent_once(fake_admin: FakeAdminServer) -> None:
    fake_admin.state.unavailable = {"batch_enable": 1}
    with pytest.raises(CloudError) as info:
        enable_apis(PROJECT, ["aiplatform.googleapis.com"], poll_s=0.01)
    assert info.value.code == 503 and info.value.status == "UNAVAILABLE" and info.value.retryable
    assert len(fake_admin.calls("POST", "services:batchEnable")) == 1


def test_admin_clients_send_what_the_protos_allow(fake_admin: FakeAdminServer) -> None:
    """The official clients' bodies pass the fake's proto check (nothing refused)."""
    check_environment()
    enable_apis(PROJECT, ["aiplatform.googleapis.com"], poll_s=0.01)
    assert fake_admin.refused == []
    [permissions] = fake_admin.calls("POST", ":testIamPermissions")
    assert permissions["body"]["permissions"][0] == "aiplatform.tuningJobs.create"
    [policy] = fake_admin.calls("POST", ":getIamPolicy")
    assert policy["body"] == {"options": {"requestedPolicyVersion": 3}}


def test_unreachable_endpoint_is_a_failed_check(fake_admin: FakeAdminServer,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUNING_AGENT_RESOURCEMANAGER_ENDPOINT", "http://127.0.0.1:9")
    report = check_environment()
    assert "could not reach 127.0.0.1:9" in failed(report, "project_number")


def test_enable_apis_polls_the_operation(fake_admin: FakeAdminServer) -> None:
    fake_admin.state.services = {}
    fake_admin.state.operation_polls = 2
    enabled = enable_apis(PROJECT, ["aiplatform.googleapis.com", "storage.googleapis.com"], poll_s=0.01)
    assert enabled == ["aiplatform.googleapis.com", "storage.googleapis.com"]
    body = fake_admin.calls("POST", "services:batchEnable")[0]["body"]
    assert body == {"serviceIds": ["aiplatform.googleapis.com", "storage.googleapis.com"]}
    assert len(fake_admin.calls("GET", "/v1/operations/")) == 2
    assert check_environment().missing_apis == []


def test_enable_apis_failures(fake_admin: FakeAdminServer) -> None:
    fake_admin.state.operation_error = {"code": 9, "message": "Billing must be enabled"}
    with pytest.raises(CloudError, match="Billing must be enabled") as info:
        enable_apis(PROJECT, ["aiplatform.googleapis.com"], poll_s=0.01)
    assert "billing" in (info.value.hint or "").lower()
    fake_admin.state.operation_error = None
    fake_admin.state.operation_polls = 1000
    with pytest.raises(CloudError, match="still running") as info:
        enable_apis(PROJECT, ["aiplatform.googleapis.com"], poll_s=0.01, timeout_s=0.05)
    assert info.value.retryable
    fake_admin.state.forbidden = {"batch_enable"}
    with pytest.raises(CloudError) as info:
        enable_apis(PROJECT, ["aiplatform.googleapis.com"])
    assert info.value.code == 403
    with pytest.raises(ToolError, match="Not API service names"):
        enable_apis(PROJECT, ["not an api"])


def test_bucket_checks_with_the_emulator(fake_admin: FakeAdminServer, gcs_emulator: str) -> None:
    from tools.vertex.storage import GcsStorage

    report = check_environment(bucket="gs://missing-bucket", category="open")
    text = failed(report, "bucket")
    assert "gcloud storage buckets create gs://missing-bucket" in text
    assert "--uniform-bucket-level-access" in text

    storage = GcsStorage(PROJECT)
    storage.create_bucket("data-bucket")
    report = check_environment(bucket="data-bucket", category="open")
    assert report.check("bucket").ok  # type: ignore[union-attr]
    assert report.check("agent:oss-bucket-access").ok  # type: ignore[union-attr]  # project-wide grant in the default policy

    # Without the project-wide grant, the bucket's own policy decides, and for open models it is required.
    fake_admin.state.bindings = [b for b in default_bindings() if b["role"] != "roles/storage.objectUser"]
    report = check_environment(bucket="data-bucket", category="open")
    oss = report.check("agent:oss-bucket-access")
    assert oss is not None and not oss.ok and oss.severity == "error"
    assert (f"gcloud storage buckets add-iam-policy-binding gs://data-bucket --member={AGENT_OSS} "
            "--role=roles/storage.objectUser") in (oss.fix or "")
    assert not report.ok

    bucket = storage.client.bucket("data-bucket")
    policy = bucket.get_iam_policy(requested_policy_version=3)
    policy.bindings.append({"role": "roles/storage.objectUser", "members": {AGENT_OSS}})
    bucket.set_iam_policy(policy)
    report = check_environment(bucket="data-bucket", category="open")
    assert report.check("agent:oss-bucket-access").ok  # type: ignore[union-attr]
    assert report.ok


def test_refusing_bucket_is_a_failed_check(fake_admin: FakeAdminServer,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", fake_admin.url)  # answers 403 to every storage call
    report = check_environment(bucket="locked-bucket")
    text = failed(report, "bucket")
    assert "403" in text and "gs://locked-bucket" in text and "roles/storage.objectAdmin" in text
