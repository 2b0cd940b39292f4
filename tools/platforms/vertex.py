"""The `vertex` platform: Google Cloud Storage, Vertex tuning jobs and Model Garden serving.

A thin composition of `tools.vertex.*`: each method is one call into the module that
owns that concern, so the graph and the CLI see one object with the `Platform` shape.
The project and region given here are defaults; names of existing jobs and endpoints
carry their own location and are used as they are.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tools import money
from tools.platforms.base import (
    Category,
    DeploymentInfo,
    DeployProposal,
    DeploySpec,
    DetectedLocation,
    EnvironmentResult,
    JobInfo,
    JobSpec,
    Storage,
    SuggestionCosts,
)

#: Where a deployment goes when the job ran in `global` (the service's real region is unknown).
DEFAULT_DEPLOY_REGION = "us-central1"
DEFAULT_MACHINE = "g2-standard-12"


class VertexPlatform:
    """Vertex AI in one project; `region` is the default tuning location (may be `global`)."""

    name = "vertex"
    model_field = "base_model"

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

    # ---- what differs from the local platform -------------------------------------------------

    def fixed_location(self) -> dict[str, object] | None:
        """Project and region are the person's choice (the project_region card)."""
        return None

    def detected_location(self) -> DetectedLocation:
        """Project and region from the environment and the gcloud configuration."""
        from tools.vertex.auth import detect_project, detect_region

        project, region = detect_project(), detect_region()
        return DetectedLocation(project=project.value, region=region.value, source=project.source)

    def check_environment(self, project: str | None, region: str | None,
                          category: str | None) -> EnvironmentResult:
        """Credentials, APIs, the caller's permissions and service agents (read-only)."""
        from tools.vertex.env import check_environment

        report = check_environment(project, region, category=category)
        checks = [c.model_dump() for c in report.checks]
        return EnvironmentResult(checks=checks, missing_apis=list(report.missing_apis),
                                 errors=[str(c["name"]) for c in checks if not c["ok"] and c["severity"] == "error"],
                                 project_number=report.project_number)

    def enable_apis(self, project: str, apis: list[str]) -> list[str]:
        from tools.vertex.env import enable_apis

        return list(enable_apis(project, apis))

    def job_category(self, category: str | None) -> Category:
        return "gemini" if category == "gemini" else "open"

    def job_location(self, project: str | None, region: str | None) -> tuple[str | None, str | None]:
        return project, region

    def model_problem(self, name: str, category: str | None) -> str | None:
        """Catalog models of the chosen category tune here; anything else gets the nearest supported."""
        from knowledge import GeminiModel, OpenModel, find_model, nearest_supported

        model = find_model(name)
        if isinstance(model, (OpenModel, GeminiModel)) and model.category == category:
            return None
        answer = nearest_supported(name)
        if answer.supported and answer.model is not None:
            return f"{answer.model.display_name} can't be used in the {category} category."
        alts = ", ".join(f"`{m.base_model}`" for m in answer.alternatives)
        return f"{answer.message} Try {alts}." if alts else answer.message

    def default_model(self, wanted: str | None, target: str) -> tuple[str, str | None]:
        """The catalog pick itself (the note comes from the recommendation)."""
        return target, None

    def stand_in(self, name: str) -> tuple[str, str] | None:
        """Every catalog model that tunes here is tuned itself."""
        return None

    def family_table(self, family: str | None) -> tuple[list[str], list[list[str]]]:
        """The catalog's open models of the family, with the training price this service charges."""
        from tools.recommend import family_rows

        return ["model", "id", "size", "training price", "longest example"], family_rows(family) if family else []

    def suggestion_costs(self, cloud_prices: list[str]) -> SuggestionCosts:
        """The catalog's Vertex AI prices, one per suggestion: they are what this platform charges."""
        return SuggestionCosts(cells=list(cloud_prices))

    def default_bucket(self, project: str | None) -> str:
        return f"{project or self.project}-tuning-agent"

    def bucket_location(self, region: str | None) -> str:
        return "US" if region in {None, "global", "us"} else str(region)

    def bucket_proposal(self, bucket: str, location: str) -> str:
        return (f"Bucket **{bucket}** does not exist. Create it (Cloud Storage, location {location}, "
                "uniform bucket-level access)?")

    def storage_cost(self) -> str | None:
        return None  # Cloud Storage bills separately; the knowledge texts say how (no price list is kept)

    def equivalent_command(self, spec: JobSpec) -> str:
        from tools.vertex.jobs import equivalent_command

        return equivalent_command(spec)

    def served_endpoint(self, category: str | None, tuned_model_endpoint: str | None) -> str | None:
        """Gemini tuned models are served by the service: their endpoint exists already."""
        return tuned_model_endpoint if category == "gemini" else None

    def deploy_proposal(self, display_name: str, base_model: str | None, region: str | None,
                        machine_type: str | None = None) -> DeployProposal:
        """A dedicated Model Garden endpoint on the catalog's hardware for the model, in a real region."""
        from knowledge import OpenModel, find_model, machine

        where = DEFAULT_DEPLOY_REGION if region in {None, "global"} else str(region)
        model = find_model(base_model or "")
        hint = model.deploy if isinstance(model, OpenModel) else None
        chosen = machine(machine_type or "") if machine_type else None
        spec = chosen or machine(hint.machine_type if hint else DEFAULT_MACHINE)
        assert spec is not None
        args: dict[str, object] = {"endpoint_display_name": display_name, "machine_type": spec.machine_type,
                                   "accelerator_type": spec.accelerator_type,
                                   "accelerator_count": spec.accelerator_count, "region": where}
        return DeployProposal(args=args, description=(
            f"Deploy the tuned model to a dedicated endpoint in **{where}** on **{spec.machine_type}** "
            f"({spec.accelerator_count}× {spec.accelerator_type}) at about **{money.per_hour(spec.hourly_usd)}** "
            "(us-central1 list price; billed while the endpoint runs — delete it when done). "
            "Reject to skip deployment."))

    def side_by_side(self, job: JobInfo, n: int = 3, max_tokens: int = 64) -> list[dict[str, str]] | None:
        """Not on Vertex: the base model is not deployed next to the tuned one."""
        return None

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
