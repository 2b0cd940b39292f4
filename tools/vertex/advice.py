"""Turn Vertex failures into words: the known-failures table, error conversion, retries.

The table holds what the service is known to say (see the fact sheet, §5) and what to
do about it. `to_cloud_error` maps any SDK exception (google-genai `APIError`,
google-api-core `GoogleAPICallError`, transport errors) to a `CloudError` carrying the
service's own message plus that advice. `call_idempotent` retries 429/5xx with
backoff — only ever for calls that are safe to repeat (get, list, cancel); creating a
job is never blindly retried (the caller looks the job up by run id instead).
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from typing import Any, TypeVar

from tools.errors import CloudError

T = TypeVar("T")

#: (pattern in the service's message, case-insensitive) → what to do.
KNOWN_FAILURES: list[tuple[str, str]] = [
    (r"invalid open source publisher model resource name",
     "Use the resource name form publisher/family@version (for example "
     "google/gemma3@gemma-3-4b-it); display names and Hugging Face ids are rejected. "
     "The model catalog (Model Garden) gives each model's name."),
    (r"output_uri field is required|unknown name \"?outputuri",
     "Open-model jobs need an output URI (gs://BUCKET/PATH) and API v1beta1; pass --output-uri."),
    (r"learning rate multiplier is not supported",
     "Open models take an absolute learning rate (--learning-rate, e.g. 2e-4); the multiplier "
     "is for Gemini only."),
    (r"adapter size is not supported",
     "Pick an adapter size this model allows (Gemini: 1, 2, 4, 8 or 16; 2.5 Pro: up to 8)."),
    (r"should be a gcs object of type jsonl",
     "Dataset URIs must be gs:// objects ending in .jsonl; upload the prepared JSONL first."),
    (r"supported roles are",
     "Gemini datasets use the roles `user` and `model` (not `assistant`); re-run data preparation."),
    (r"validation.*(exceed|too (large|many|big)|limit|more than|at most)",
     "Keep the validation file at most 25% of the training file's bytes and at most 5000 rows "
     "(a 10% split is safe)."),
    (r"cmek|encryption",
     "CMEK jobs cannot run in `global`; use the region of the KMS key."),
    (r"global endpoint|not supported in location global|location global",
     "This model cannot be tuned in `global`: submit again with an explicit region such as "
     "us-central1 (Gemini: us-central1 or europe-west4)."),
    (r"publishermodel .* does not exist|publisher model .*not found",
     "That model is not offered for tuning in this region; pick another model or region (the "
     "console's Model Garden lists which models tune where)."),
    (r"quota|resource_exhausted|resource exhausted",
     "A quota is exhausted (often the concurrent tuning-job quota, 1 by default): wait for "
     "running jobs to finish (the console's Vertex AI → Tuning page lists them), or request a quota "
     "increase in the console (IAM & Admin → Quotas)."),
    (r"high demand",
     "The region had no capacity; submit again later, optionally pinning another region."),
    (r"permission '?aiplatform\.|aiplatform\.tuningjobs\.\w+' denied",
     "Your account lacks Vertex AI rights: grant roles/aiplatform.user "
     "(`gcloud projects add-iam-policy-binding PROJECT --member=user:YOU "
     "--role=roles/aiplatform.user`)."),
    (r"storage\.objects\.(get|create|list)",
     "A Vertex service agent cannot read or write the bucket: grant roles/storage.objectUser "
     "on it to service-PROJECT_NUMBER@gcp-sa-vertex-moss-ft.iam.gserviceaccount.com and "
     "service-PROJECT_NUMBER@gcp-sa-aiplatform.iam.gserviceaccount.com."),
    (r"is malformed",
     "Send prompts to the tuned model's endpoint (projects/…/endpoints/ID), not its models/… name."),
    (r"gcs_uri parameter is not supported in gemini api",
     "The client is in API-key mode; use Vertex AI credentials with a project and location."),
]

#: Advice by HTTP status when no message pattern matched.
BY_STATUS: dict[int, str] = {
    400: "The request was rejected as invalid; check the fields named above.",
    401: "Credentials were refused: run `gcloud auth application-default login` again, or "
         "refresh TUNING_AGENT_ACCESS_TOKEN.",
    403: "Permission denied: check your roles (roles/aiplatform.user, storage access) and that "
         "the Vertex AI API is enabled; the environment check lists what is missing.",
    404: "Not found: check the name, project and location.",
    409: "It already exists (or is being changed); look it up instead of creating it again.",
    429: "Too many requests or a quota is exhausted; wait and try again, or request more quota.",
    500: "The service had an internal error; try again in a few minutes.",
    503: "The service is unavailable right now; try again in a few minutes.",
}

RETRYABLE = frozenset({408, 429, 500, 502, 503, 504})
#: First retry delay in seconds (doubles each time); tests set it near zero.
RETRY_BASE_DELAY_S = 1.0


def advice_for(message: str | None, code: int | None = None) -> str | None:
    """The advice for a service message (known-failures table first, then by status)."""
    text = (message or "").lower()
    for pattern, advice in KNOWN_FAILURES:
        if re.search(pattern, text):
            return advice
    return BY_STATUS.get(code or 0)


def _field_violations(details: Any) -> list[str]:
    """'field: description' lines from a google.rpc.BadRequest detail, wherever it sits."""
    out: list[str] = []
    items: list[Any] = []
    if isinstance(details, dict):
        err = details.get("error", details)
        items = err.get("details", []) if isinstance(err, dict) else []
    elif isinstance(details, list):
        items = details
    for item in items:
        if isinstance(item, dict):
            for v in item.get("fieldViolations", []) or []:
                out.append(f"{v.get('field', '?')}: {v.get('description', '')}")
    return out


def to_cloud_error(err: BaseException, action: str) -> CloudError:
    """Map an SDK/transport exception raised while doing `action` to a CloudError with advice."""
    if isinstance(err, CloudError):
        return err
    code: int | None = None
    status: str | None = None
    message = str(err)
    violations: list[str] = []
    try:
        from google.genai import errors as genai_errors

        if isinstance(err, genai_errors.APIError):
            code, status, message = err.code, err.status, err.message or str(err)
            violations = _field_violations(err.details)
    except ImportError:  # pragma: no cover - google-genai is a dependency
        pass
    try:
        from google.api_core import exceptions as core_exc

        if isinstance(err, core_exc.GoogleAPICallError):
            code = int(err.code) if err.code is not None else None
            status = getattr(err.grpc_status_code, "name", None)
            message = err.message or str(err)
            violations = [f"{v.field}: {v.description}" for d in err.details or []
                          for v in getattr(d, "field_violations", [])]
    except ImportError:  # pragma: no cover
        pass
    if code is None and _is_transport_error(err):
        return CloudError(f"Could not reach Vertex AI while trying to {action}: {err}",
                          "Check the network connection (and TUNING_AGENT_VERTEX_ENDPOINT if set), "
                          "then try again.", code=None, status="UNAVAILABLE", retryable=True)
    text = f"Vertex AI refused to {action}"
    text += f" ({code} {status})" if code else ""
    text += f": {message}"
    if violations:
        text += "\n" + "\n".join(f"  field {v}" for v in violations)
    hint = advice_for(" ".join([message, *violations]), code)
    return CloudError(text, hint, code=code, status=status, retryable=(code in RETRYABLE))


def _is_transport_error(err: BaseException) -> bool:
    names = {cls.__name__ for e in _chain(err) for cls in type(e).__mro__}
    return bool(names & {"ConnectError", "ConnectTimeout", "ReadTimeout", "ConnectionError",
                         "TransportError", "RemoteProtocolError", "ReadError", "Timeout"})


def _chain(err: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    current: BaseException | None = err
    while current is not None and len(out) < 10:
        out.append(current)
        current = current.__cause__ or current.__context__
    return out


def call(fn: Callable[[], T], action: str) -> T:
    """Run one call once; any failure comes back as a CloudError with advice."""
    try:
        return fn()
    except Exception as err:
        raise to_cloud_error(err, action) from err


def call_idempotent(fn: Callable[[], T], action: str, *, attempts: int = 4,
                    base_delay_s: float | None = None, max_delay_s: float = 20.0,
                    sleep: Callable[[float], Any] = time.sleep) -> T:
    """Run a call that is safe to repeat, retrying 429/5xx and transport errors with backoff."""
    delay = RETRY_BASE_DELAY_S if base_delay_s is None else base_delay_s
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except Exception as err:
            cloud = to_cloud_error(err, action)
            if not cloud.retryable or attempt == attempts:
                raise cloud from err
            sleep(min(delay, max_delay_s) * (0.5 + random.random() / 2))
            delay *= 2
    raise AssertionError("unreachable")  # pragma: no cover
