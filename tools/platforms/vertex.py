"""The `vertex` platform: Google Cloud Storage, Vertex tuning jobs and Model Garden serving.

A thin composition of `tools.vertex.*`: each method is one call into the module that
owns that concern, so the graph and the CLI see one object with the `Platform` shape.
The project and region given here are defaults; names of existing jobs and endpoints
carry their own location and are used as they are.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tools.platforms.base import (
    DeploymentInfo,
    DeploySpec,
    JobInfo,
    JobSpec,
    Storage,
)


class VertexPlatform:
    """Vertex AI in one project; `region` is the default tuning location (may be `global`)."""

    name = "vertex"

    def __init__(self, project: str | None = None, region: str | None = None) -> None:
        from tools.vertex.auth import detect_project, detect_region

        self.project = project or detect_project().value
        self.region = region or detect_region().value
        self._storage: Storage | None = None

    @property
    def storage(self) -> Storage:
        """GCS through google-cloud-storage (honors STORAGE_EMULATOR_HOST), built on first use."""
        if self._storage is None:
            from tools.vertex.storage import GcsStorage

            self._storage = GcsStorage(self.project)
        return self._storage

    @storage.setter
    def storage(self, value: Storage) -> None:
        self._storage = value

    def _with_defaults(self, spec: JobSpec) -> JobSpec:
        update: dict[str, Any] = {}
        if not spec.project and self.project:
            update["project"] = self.project
        if not spec.location and self.region:
            update["location"] = self.region
        return spec.model_copy(update=update) if update else spec

    def _location(self, category: str = "open") -> str:
        from tools.vertex.jobs import DEFAULT_LOCATION

        return self.region or DEFAULT_LOCATION.get(category, "us-central1")

    # ---- jobs ----------------------------------------------------------------------------

    def preflight(self, spec: JobSpec, *, train_rows: int | None = None,
                  val_rows: int | None = None, check_live: bool = True,
                  check_existing: bool = True) -> list[str]:
        """Every known rejection for this spec (empty list: ready to submit).

        With `check_existing`, a job already running for the run id counts as a problem
        (the graph uses this before asking for approval); the CLI looks that job up first
        and returns it instead.
        """
        from tools.vertex import jobs, preflight
        from tools.vertex.models_live import live_models

        spec = self._with_defaults(spec)
        live = None
        if check_live:
            found = live_models()
            live = found.names if found.source == "live" else None
        existing = (jobs.find_job(spec.run_id, spec.project, jobs.location_of(spec))
                    if check_existing else None)
        return preflight.preflight(spec, self.storage, live_models=live, train_rows=train_rows,
                                   val_rows=val_rows, existing_job=existing)

    def submit_job(self, spec: JobSpec) -> JobInfo:
        from tools.vertex import jobs

        return jobs.submit_job(self._with_defaults(spec))

    def find_job(self, run_id: str) -> JobInfo | None:
        from tools.vertex import jobs

        return jobs.find_job(run_id, self.project, self._location())

    def get_job(self, name: str) -> JobInfo:
        from tools.vertex import jobs

        return jobs.get_job(name)

    def list_jobs(self) -> list[JobInfo]:
        from tools.vertex import jobs

        return jobs.list_jobs(self.project, self._location())

    def cancel_job(self, name: str) -> JobInfo:
        from tools.vertex import jobs

        return jobs.cancel_job(name)

    def watch_job(self, name: str, poll_s: float = 10.0,
                  timeout_s: float | None = None) -> Iterator[JobInfo]:
        from tools.vertex import jobs, monitor

        return monitor.watch(lambda: jobs.get_job(name), poll_s=poll_s, timeout_s=timeout_s)

    # ---- serving -------------------------------------------------------------------------

    def deploy(self, job: JobInfo, spec: DeploySpec) -> DeploymentInfo:
        """Open model: Model Garden deploy (idempotent by display name). Gemini: its endpoint."""
        from tools.vertex import deploy
        from tools.vertex.jobs import infer_category

        if job.base_model and infer_category(job.base_model) == "gemini":
            return deploy.gemini_endpoint(job)
        return deploy.deploy_open_model(job, spec, self.project)

    def find_deployment(self, display_name: str, region: str | None = None) -> DeploymentInfo | None:
        from tools.vertex import deploy

        where = region or (self.region if self.region and self.region != "global" else "us-central1")
        return deploy.find_endpoint(display_name, self.project, where)

    def predict(self, endpoint: str, prompt: str, max_tokens: int = 256) -> str:
        from tools.vertex import deploy

        return deploy.predict(endpoint, prompt, max_tokens=max_tokens)
