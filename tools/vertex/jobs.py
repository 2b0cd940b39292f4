"""Vertex tuning jobs through google-genai `client.tunings` (API v1beta1).

Submission is idempotent by run id: every job carries the label
`tuning_agent_run_id=<run id>` (underscores, so the list filter parses plainly);
`submit_job` first looks for a job with that label and returns it instead of
creating another, and after a create call that failed in a way that may still have
created the job (5xx, timeout), it looks again before giving up.
Reads (get, list) are retried on 429/5xx; the create call never is.
"""

from __future__ import annotations

import re
import shlex
import warnings
from typing import Any

from tools.errors import CloudError, ToolError
from tools.platforms.base import JobInfo, JobSpec
from tools.vertex.advice import call, call_idempotent
from tools.vertex.client import genai_client, resolve_project
from tools.vertex.monitor import RUN_ID_LABEL, parse_job_name, to_job_info

ADAPTER_SIZES = {1: "ADAPTER_SIZE_ONE", 2: "ADAPTER_SIZE_TWO", 4: "ADAPTER_SIZE_FOUR",
                 8: "ADAPTER_SIZE_EIGHT", 16: "ADAPTER_SIZE_SIXTEEN", 32: "ADAPTER_SIZE_THIRTY_TWO"}
TUNING_MODES = {"PEFT_ADAPTER": "TUNING_MODE_PEFT_ADAPTER", "FULL": "TUNING_MODE_FULL"}
DEFAULT_LOCATION = {"open": "global", "gemini": "us-central1"}


def label_value(run_id: str) -> str:
    """A run id as a valid label value (lowercase letters, digits, `-`, `_`; ≤63 chars)."""
    value = re.sub(r"[^a-z0-9_-]", "-", run_id.lower())[:63]
    if not value:
        raise ToolError(f"Run id {run_id!r} has no usable characters.",
                        "Use letters, digits, '-' or '_'.")
    return value


def infer_category(base_model: str) -> str:
    """`local` for local/…, `open` for publisher/family@version names, else `gemini`."""
    if base_model.startswith("local/"):
        return "local"
    return "open" if "/" in base_model else "gemini"


def location_of(spec: JobSpec) -> str:
    return spec.location or DEFAULT_LOCATION.get(spec.category, "us-central1")


def build_request(spec: JobSpec) -> tuple[str, Any, Any]:
    """(base_model, TuningDataset, CreateTuningJobConfig) for a spec — pure, no network."""
    from google.genai import types

    labels = {RUN_ID_LABEL: label_value(spec.run_id), "created_by": "tuning-agent"}
    config: dict[str, Any] = {
        "tuned_model_display_name": (spec.display_name or f"tuning-agent-{spec.run_id}")[:128],
        "labels": labels,
        "epoch_count": spec.epochs,
        "adapter_size": ADAPTER_SIZES.get(spec.adapter_size) if spec.adapter_size else None,
    }
    if spec.validation_uri:
        config["validation_dataset"] = types.TuningValidationDataset(gcs_uri=spec.validation_uri)
    if spec.category == "open":
        config.update(output_uri=spec.output_uri, learning_rate=spec.learning_rate,
                      tuning_mode=TUNING_MODES.get(spec.tuning_mode or ""))
    else:
        config["learning_rate_multiplier"] = spec.learning_rate_multiplier
    if spec.adapter_size and spec.adapter_size not in ADAPTER_SIZES:
        raise ToolError(f"Adapter size {spec.adapter_size} does not exist.",
                        f"Use one of {sorted(ADAPTER_SIZES)}.")
    clean = {k: v for k, v in config.items() if v is not None}
    return (spec.base_model, types.TuningDataset(gcs_uri=spec.train_uri),
            types.CreateTuningJobConfig(**clean))


def find_job(run_id: str, project: str | None, location: str) -> JobInfo | None:
    """The newest job labelled with this run id, or None.

    Asks the service to filter by label; when the filter is refused or finds nothing, lists
    everything and checks the labels here. A second job costs money, so "not found" is only
    believed after the unfiltered listing agrees.
    """
    client = genai_client(project, location)
    wanted = label_value(run_id)

    def matches(filter_expr: str | None) -> list[Any]:
        config = {"page_size": 100, **({"filter": filter_expr} if filter_expr else {})}
        return [job for job in client.tunings.list(config=config)
                if (job.labels or {}).get(RUN_ID_LABEL) == wanted]

    try:
        found = call_idempotent(lambda: matches(f'labels.{RUN_ID_LABEL}="{wanted}"'),
                                "list tuning jobs")
    except CloudError as err:
        if err.code != 400:
            raise
        found = []
    if not found:
        found = call_idempotent(lambda: matches(None), "list tuning jobs")
    if not found:
        return None
    found.sort(key=lambda job: str(job.create_time or ""), reverse=True)
    return to_job_info(found[0])


def submit_job(spec: JobSpec) -> JobInfo:
    """Create the job, or return the one already created for this run id."""
    location = location_of(spec)
    project = resolve_project(spec.project)
    existing = find_job(spec.run_id, project, location)
    if existing:
        return existing
    base_model, dataset, config = build_request(spec)
    client = genai_client(project, location)

    def create() -> Any:
        with warnings.catch_warnings():  # "tuning is experimental" — said once per job otherwise
            warnings.simplefilter("ignore")
            return client.tunings.tune(base_model=base_model, training_dataset=dataset, config=config)

    try:
        job = call(create, "create the tuning job")
    except CloudError as err:
        if err.code is None or err.code >= 500 or err.code in (408, 409):
            again = find_job(spec.run_id, project, location)  # the create may have landed
            if again:
                return again
        raise
    return to_job_info(job)


def get_job(name: str) -> JobInfo:
    """The job's current status (retried on 429/5xx)."""
    project, location, _ = parse_job_name(name)
    client = genai_client(project, location)
    return call_idempotent(lambda: to_job_info(client.tunings.get(name=name)),
                           "get the tuning job")


def list_jobs(project: str | None, location: str, limit: int = 100) -> list[JobInfo]:
    """The project's tuning jobs in a location, newest first."""
    client = genai_client(project, location)

    def fetch() -> list[Any]:
        out = []
        for job in client.tunings.list(config={"page_size": min(limit, 100)}):
            out.append(job)
            if len(out) >= limit:
                break
        return out

    jobs = call_idempotent(fetch, "list tuning jobs")
    jobs.sort(key=lambda job: str(job.create_time or ""), reverse=True)
    return [to_job_info(job) for job in jobs]


def cancel_job(name: str) -> JobInfo:
    """Ask the service to cancel (safe to repeat), then return the job's status."""
    project, location, _ = parse_job_name(name)
    client = genai_client(project, location)
    current = get_job(name)
    if current.ended and current.state != "JOB_STATE_PAUSED":  # a paused job can still be cancelled
        return current
    call_idempotent(lambda: client.tunings.cancel(name=name), "cancel the tuning job")
    return get_job(name)


def equivalent_command(spec: JobSpec) -> str:
    """The `tuning-agent job submit …` command that does exactly what this spec does."""
    args = ["tuning-agent", "job", "submit", "--base-model", spec.base_model,
            "--train", spec.train_uri]
    if spec.validation_uri:
        args += ["--validation", spec.validation_uri]
    if spec.output_uri:
        args += ["--output-uri", spec.output_uri]
    if spec.tuning_mode:
        args += ["--tuning-mode", spec.tuning_mode]
    if spec.epochs is not None:
        args += ["--epochs", str(spec.epochs)]
    if spec.learning_rate is not None:
        args += ["--learning-rate", f"{spec.learning_rate:g}"]
    if spec.learning_rate_multiplier is not None:
        args += ["--learning-rate-multiplier", f"{spec.learning_rate_multiplier:g}"]
    if spec.adapter_size is not None:
        args += ["--adapter-size", str(spec.adapter_size)]
    if spec.category == "local":
        args += ["--platform", "local"]
    else:
        if spec.project:
            args += ["--project", spec.project]
        args += ["--location", location_of(spec)]
    args += ["--run-id", spec.run_id]
    return shlex.join(args)
