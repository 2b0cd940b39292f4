"""Errors become words: the known-failures table, SDK error conversion, and retry policy."""

from __future__ import annotations

import pytest

from tools.errors import CloudError
from tools.vertex.advice import KNOWN_FAILURES, advice_for, call, call_idempotent, to_cloud_error


def genai_error(code: int, status: str, message: str, violations: list[tuple[str, str]] | None = None):
    from google.genai import errors

    body: dict = {"error": {"code": code, "status": status, "message": message}}
    if violations:
        body["error"]["details"] = [{"@type": "type.googleapis.com/google.rpc.BadRequest",
                                     "fieldViolations": [{"field": f, "description": d}
                                                         for f, d in violations]}]
    return errors.APIError(code, body)


@pytest.mark.parametrize(("message", "expected"), [
    ("INVALID_ARGUMENT: Invalid open source publisher model resource name", "publisher/family@version"),
    ("The output_uri field is required for this model.", "--output-uri"),
    ('Invalid JSON payload received. Unknown name "outputUri"', "v1beta1"),
    ("Learning rate multiplier is not supported for base model google/gemma4@x", "--learning-rate"),
    ("The adapter size is not supported for this base model.", "adapter size"),
    ("training_dataset_uri should be a GCS object of type JSONL.", ".jsonl"),
    ("Supported roles are: user, model, function.", "`model`"),
    ("The following quota metrics exceed quota limits: aiplatform.googleapis.com/x", "quota"),
    ("Permission 'aiplatform.tuningJobs.create' denied on resource", "roles/aiplatform.user"),
    ("service-1@gcp-sa-vertex-moss-ft does not have storage.objects.get access", "objectUser"),
    ("The Model name projects/1/locations/r/models/2 is malformed", "endpoints/ID"),
    ("Job failed due to high demand in this region", "capacity"),
])
def test_known_failures_table(message: str, expected: str) -> None:
    advice = advice_for(message)
    assert advice and expected.lower() in advice.lower()


def test_table_patterns_are_distinct() -> None:
    patterns = [p for p, _ in KNOWN_FAILURES]
    assert len(patterns) == len(set(patterns))


def test_status_fallback_advice() -> None:
    assert "Permission denied" in (advice_for("opaque", 403) or "")
    assert advice_for("opaque", None) is None


def test_genai_error_becomes_cloud_error_with_fields() -> None:
    err = to_cloud_error(genai_error(400, "INVALID_ARGUMENT", "Request contains an invalid argument.",
                                     [("tuning_job.supervised_tuning_spec.training_dataset_uri",
                                       "training_dataset_uri should be a GCS object of type JSONL.")]),
                         "create the tuning job")
    assert isinstance(err, CloudError)
    assert err.code == 400 and err.status == "INVALID_ARGUMENT" and not err.retryable
    assert "field tuning_job.supervised_tuning_spec.training_dataset_uri" in str(err)
    assert err.hint and ".jsonl" in err.hint


def test_api_core_error_becomes_cloud_error() -> None:
    from google.api_core import exceptions

    err = to_cloud_error(exceptions.ServiceUnavailable("backend down"), "list endpoints")
    assert err.code == 503 and err.retryable and "backend down" in str(err)


def test_transport_error_is_retryable_and_explained() -> None:
    import httpx

    err = to_cloud_error(httpx.ConnectError("refused"), "get the tuning job")
    assert err.retryable and "Could not reach Vertex AI" in str(err)


def test_idempotent_calls_retry_only_retryable_errors() -> None:
    attempts: list[int] = []
    sleeps: list[float] = []

    def flaky() -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise genai_error(503, "UNAVAILABLE", "try later")
        return "ok"

    assert call_idempotent(flaky, "get", sleep=sleeps.append, base_delay_s=1.0) == "ok"
    assert len(attempts) == 3 and len(sleeps) == 2 and sleeps[1] > sleeps[0] * 0.9

    attempts.clear()

    def denied() -> str:
        attempts.append(1)
        raise genai_error(403, "PERMISSION_DENIED", "no")

    with pytest.raises(CloudError):
        call_idempotent(denied, "get", sleep=sleeps.append)
    assert len(attempts) == 1


def test_plain_call_never_retries() -> None:
    attempts: list[int] = []

    def boom() -> None:
        attempts.append(1)
        raise genai_error(500, "INTERNAL", "oops")

    with pytest.raises(CloudError) as caught:
        call(boom, "create the tuning job")
    assert len(attempts) == 1 and caught.value.retryable
