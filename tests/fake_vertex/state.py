"""The fake Vertex service's data: tuning jobs, publisher models, endpoints, operations.

Kept apart from the HTTP layer so tests can read and steer it directly
(`fake.state.set_job_state(...)`). Everything is stored in REST JSON form with
string enums; the HTTP layer converts enums to integers when a client asks for
`$alt=json;enum-encoding=int` (the aiplatform REST transport does).
"""

from __future__ import annotations

import itertools
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

PROJECT_NUMBER = "123456789012"

#: Publisher models the fake lists (name, version). Mirrors a slice of the real catalog.
DEFAULT_PUBLISHER_MODELS: list[tuple[str, str]] = [
    ("publishers/google/models/gemma3", "gemma-3-1b-it"),
    ("publishers/google/models/gemma3", "gemma-3-4b-it"),
    ("publishers/google/models/gemma3", "gemma-3-27b-it"),
    ("publishers/google/models/gemma4", "gemma-4-e2b-it"),
    ("publishers/meta/models/llama3_1", "llama-3.1-8b"),
    ("publishers/meta/models/llama3_1", "llama-3.1-8b-instruct"),
    ("publishers/meta/models/llama3-2", "llama-3.2-1b-instruct"),
    ("publishers/qwen/models/qwen3", "qwen3-4b"),
    ("publishers/qwen/models/qwen3", "qwen3-32b"),
    ("publishers/google/models/gemini-3.5-flash", "default"),
    ("publishers/google/models/gemini-3.1-flash-lite", "default"),
    ("publishers/google/models/gemini-2.5-flash", "default"),
    ("publishers/google/models/gemini-2.5-flash-lite", "default"),
    ("publishers/google/models/gemini-2.5-pro", "default"),
    ("publishers/google/models/text-embedding-005", "default"),
]

OPEN_NAME_RE = re.compile(r"^(publishers/)?[a-z0-9-]+/(models/)?[a-z0-9_.-]+@[a-z0-9_.-]+$")
GEMINI_ADAPTERS = {"ADAPTER_SIZE_ONE", "ADAPTER_SIZE_TWO", "ADAPTER_SIZE_FOUR",
                   "ADAPTER_SIZE_EIGHT", "ADAPTER_SIZE_SIXTEEN"}
GEMINI_REGIONS = {"us-central1", "europe-west4"}


class ApiError(Exception):
    """A Google-style error response: HTTP status, rpc status name, message, field violations."""

    def __init__(self, http: int, status: str, message: str,
                 violations: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.http = http
        self.status = status
        self.message = message
        self.violations = violations or []

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.http, "message": self.message, "status": self.status}
        if self.violations:
            error["details"] = [{
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [{"field": f, "description": d} for f, d in self.violations],
            }]
        return {"error": error}


def bad_request(message: str, field_name: str | None = None) -> ApiError:
    return ApiError(400, "INVALID_ARGUMENT", message,
                    [(field_name, message)] if field_name else None)


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class FakeState:
    """All mutable service state, guarded by one lock."""

    #: States a new job walks through, one step per `gets_per_step` GETs of that job.
    progression: list[str] = field(default_factory=lambda: [
        "JOB_STATE_QUEUED", "JOB_STATE_RUNNING", "JOB_STATE_SUCCEEDED"])
    gets_per_step: int = 1
    #: Where a `global` job really runs (it shows up in the sub-resource names).
    global_lands_in: str = "us-central1"
    #: Polls of a deploy operation before it reports done (0: done at once, so the SDK's
    #: one-second polling wait is skipped; a test sets 1 to exercise the operations route).
    operation_polls: int = 0
    publisher_models: list[tuple[str, str]] = field(
        default_factory=lambda: list(DEFAULT_PUBLISHER_MODELS))
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    job_gets: dict[str, int] = field(default_factory=dict)
    #: Per-job forced final state and error message (set by `set_outcome`).
    outcomes: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    next_outcome: tuple[str, str | None] | None = None
    endpoints: dict[str, dict[str, Any]] = field(default_factory=dict)
    operations: dict[str, dict[str, Any]] = field(default_factory=dict)
    operation_gets: dict[str, int] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))

    def new_id(self) -> str:
        return str(next(self.ids))

    # ---- tuning jobs -------------------------------------------------------------------

    def create_job(self, project: str, location: str, body: dict[str, Any],
                   version: str) -> dict[str, Any]:
        """Validate like the service does for the known rejections, then store a QUEUED job."""
        base = str(body.get("baseModel") or "")
        spec = body.get("supervisedTuningSpec") or {}
        hyper = spec.get("hyperParameters") or {}
        is_open = "/" in base
        if version == "v1" and "outputUri" in body:
            raise bad_request('Invalid JSON payload received. Unknown name "outputUri" at '
                              "'tuning_job': Cannot find field.")
        if not base:
            raise bad_request("base_model is required.", "tuning_job.base_model")
        train = str(spec.get("trainingDatasetUri") or "")
        if not (train.startswith("gs://") and train.endswith(".jsonl")):
            raise bad_request("training_dataset_uri should be a GCS object of type JSONL.",
                              "tuning_job.supervised_tuning_spec.training_dataset_uri")
        val = spec.get("validationDatasetUri")
        if val and not (str(val).startswith("gs://") and str(val).endswith(".jsonl")):
            raise bad_request("validation_dataset_uri should be a GCS object of type JSONL.",
                              "tuning_job.supervised_tuning_spec.validation_dataset_uri")
        if is_open:
            if not OPEN_NAME_RE.match(base):
                raise bad_request("Invalid open source publisher model resource name.",
                                  "tuning_job.base_model")
            if not self._publisher_has(base):
                raise ApiError(404, "NOT_FOUND",
                               f"PublisherModel `{base}` does not exist in location {location}.")
            if not body.get("outputUri"):
                raise bad_request("The output_uri field is required for this model.",
                                  "tuning_job.output_uri")
            if "learningRateMultiplier" in hyper:
                raise bad_request(f"Learning rate multiplier is not supported for base model {base}.",
                                  "tuning_job.supervised_tuning_spec.hyper_parameters")
        else:
            if location == "global":
                raise ApiError(400, "FAILED_PRECONDITION",
                               f"Tuning {base} is not supported in location global.")
            if location not in GEMINI_REGIONS:
                raise bad_request(f"Tuning is not supported in region {location}.")
            adapter = hyper.get("adapterSize")
            if adapter and adapter not in GEMINI_ADAPTERS:
                raise bad_request("The adapter size is not supported for this base model.",
                                  "tuning_job.supervised_tuning_spec.hyper_parameters.adapter_size")
            if "learningRate" in hyper:
                raise bad_request("learning_rate is not supported for Gemini models; use "
                                  "learning_rate_multiplier.")
        with self.lock:
            job_id = self.new_id()
            name = f"projects/{PROJECT_NUMBER}/locations/{location}/tuningJobs/{job_id}"
            job = dict(body)
            job.update({"name": name, "state": self.progression[0], "createTime": now_iso(),
                        "updateTime": now_iso()})
            if not job.get("tunedModelDisplayName"):
                job["tunedModelDisplayName"] = f"{base.split('@')[0].split('/')[-1]}-{job_id}"
            self.jobs[name] = job
            self.job_gets[name] = 0
            if self.next_outcome:
                self.outcomes[name] = self.next_outcome
                self.next_outcome = None
            return dict(job)

    def _publisher_has(self, base: str) -> bool:
        short = base.removeprefix("publishers/").replace("/models/", "/")
        publisher, rest = short.split("/", 1)
        model, version = rest.split("@", 1)
        return (f"publishers/{publisher}/models/{model}", version) in self.publisher_models

    def get_job(self, name: str, *, advance: bool = True) -> dict[str, Any]:
        with self.lock:
            if name not in self.jobs:
                raise ApiError(404, "NOT_FOUND", f"TuningJob {name} is not found.")
            if advance:
                self.job_gets[name] += 1
                self._advance(name)
            return dict(self.jobs[name])

    def _advance(self, name: str) -> None:
        job = self.jobs[name]
        if job["state"] not in self.progression or job["state"] == self.progression[-1]:
            return
        step = min(self.job_gets[name] // max(self.gets_per_step, 1), len(self.progression) - 1)
        target = self.progression[step]
        if target == "JOB_STATE_RUNNING" and "startTime" not in job:
            job["startTime"] = now_iso()
        if target == self.progression[-1]:
            final, message = self.outcomes.get(name, (target, None))
            self.finish(name, final, message)
        else:
            job["state"] = target
            job["updateTime"] = now_iso()

    def finish(self, name: str, state: str, message: str | None = None) -> None:
        """Put a job in a terminal state, filling what the real service fills."""
        with self.lock:
            job = self.jobs[name]
            job["state"] = state
            job.setdefault("startTime", now_iso())
            job["endTime"] = job["updateTime"] = now_iso()
            if state in {"JOB_STATE_SUCCEEDED", "JOB_STATE_PARTIALLY_SUCCEEDED"}:
                self._fill_success(job)
            elif state == "JOB_STATE_FAILED":
                job["error"] = {"code": 3, "message": message or "Internal error."}
            elif state == "JOB_STATE_CANCELLED":
                job["error"] = {"code": 1, "message": message or "CANCELLED"}
            elif message:
                job["error"] = {"code": 9, "message": message}

    def set_outcome(self, state: str, message: str | None = None, name: str | None = None) -> None:
        """Make the named job (or the next one created) end in `state` with `message`."""
        with self.lock:
            if name:
                self.outcomes[name] = (state, message)
            else:
                self.next_outcome = (state, message)

    def _fill_success(self, job: dict[str, Any]) -> None:
        location = job["name"].split("/")[3]
        region = self.global_lands_in if location == "global" else location
        job_id = job["name"].rsplit("/", 1)[1]
        model = f"projects/{PROJECT_NUMBER}/locations/{region}/models/{job_id}77@1"
        tuned: dict[str, Any] = {"model": model}
        base = str(job.get("baseModel") or "")
        if "/" not in base:  # Gemini: the service deploys the tuned model itself
            endpoint = f"projects/{PROJECT_NUMBER}/locations/{region}/endpoints/{job_id}88"
            tuned["endpoint"] = endpoint
            tuned["checkpoints"] = [{"checkpointId": "1", "epoch": "1", "step": "10",
                                     "endpoint": endpoint}]
            self.endpoints[endpoint] = {
                "name": endpoint, "displayName": job.get("tunedModelDisplayName"),
                "deployedModels": [{"id": "1", "model": model}], "createTime": now_iso(),
            }
        job["tunedModel"] = tuned
        job["experiment"] = (f"projects/{PROJECT_NUMBER}/locations/{region}/metadataStores/default"
                             f"/contexts/tuning-experiment-{job_id}")
        job["tuningDataStats"] = {"supervisedTuningDataStats": {
            "tuningDatasetExampleCount": "120", "totalBillableTokenCount": "45678",
            "tuningStepCount": "36", "totalTruncatedExampleCount": "0",
        }}

    def list_jobs(self, parent: str, label_filter: dict[str, str]) -> list[dict[str, Any]]:
        with self.lock:
            out = []
            for name, job in self.jobs.items():
                if not name.startswith(parent + "/"):
                    continue
                labels = job.get("labels") or {}
                if all(labels.get(k) == v for k, v in label_filter.items()):
                    out.append(dict(job))
            return out

    def cancel_job(self, name: str) -> None:
        with self.lock:
            job = self.jobs.get(name)
            if job is None:
                raise ApiError(404, "NOT_FOUND", f"TuningJob {name} is not found.")
            if job["state"] in {"JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED"}:
                raise ApiError(400, "FAILED_PRECONDITION",
                               f"Cannot cancel TuningJob {name} in state {job['state']}.")
            self.finish(name, "JOB_STATE_CANCELLED")

    # ---- endpoints and deploy ------------------------------------------------------------

    def deploy(self, project: str, region: str, body: dict[str, Any]) -> dict[str, Any]:
        if region == "global":
            raise bad_request("Deploying to location global is not supported; use a region.")
        gcs = (body.get("customModel") or {}).get("gcsUri")
        if not gcs or not str(gcs).startswith("gs://"):
            raise bad_request("custom_model.gcs_uri must be a gs:// URI.", "custom_model.gcs_uri")
        with self.lock:
            op_id = self.new_id()
            ep_id = self.new_id()
            endpoint = f"projects/{PROJECT_NUMBER}/locations/{region}/endpoints/{ep_id}"
            model = f"projects/{PROJECT_NUMBER}/locations/{region}/models/{self.new_id()}@1"
            display = (body.get("endpointConfig") or {}).get("endpointDisplayName") or f"ep-{ep_id}"
            op_name = f"projects/{PROJECT_NUMBER}/locations/{region}/operations/{op_id}"
            self.operations[op_name] = {
                "name": op_name, "done": False,
                "metadata": {"@type": "type.googleapis.com/google.cloud.aiplatform.v1beta1."
                             "DeployOperationMetadata"},
                "_result": {"endpoint": endpoint, "model": model, "display": display,
                            "machine": (body.get("deployConfig") or {}).get("dedicatedResources")},
            }
            self.operation_gets[op_name] = 0
            if self.operation_polls <= 0:
                return self.get_operation(op_name)
            return self._public_op(op_name)

    def _public_op(self, op_name: str) -> dict[str, Any]:
        op = self.operations[op_name]
        return {k: v for k, v in op.items() if not k.startswith("_")}

    def get_operation(self, op_name: str) -> dict[str, Any]:
        with self.lock:
            if op_name not in self.operations:
                raise ApiError(404, "NOT_FOUND", f"Operation {op_name} is not found.")
            self.operation_gets[op_name] += 1
            op = self.operations[op_name]
            if not op["done"] and self.operation_gets[op_name] >= self.operation_polls:
                result = op["_result"]
                self.endpoints[result["endpoint"]] = {
                    "name": result["endpoint"], "displayName": result["display"],
                    "deployedModels": [{"id": self.new_id(), "model": result["model"],
                                        "dedicatedResources": result["machine"] or {}}],
                    "createTime": now_iso(),
                }
                op["done"] = True
                op["response"] = {
                    "@type": "type.googleapis.com/google.cloud.aiplatform.v1beta1.DeployResponse",
                    "endpoint": result["endpoint"], "model": result["model"],
                }
            return self._public_op(op_name)

    def get_endpoint(self, name: str) -> dict[str, Any]:
        with self.lock:
            if name not in self.endpoints:
                raise ApiError(404, "NOT_FOUND", f"Endpoint {name} is not found.")
            return dict(self.endpoints[name])

    def list_endpoints(self, parent: str, display_name: str | None) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(e) for n, e in self.endpoints.items() if n.startswith(parent + "/")
                    and (display_name is None or e.get("displayName") == display_name)]
