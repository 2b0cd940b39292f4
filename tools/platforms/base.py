"""The platform interface: what the graph and the CLI may ask of a place that tunes models.

Two implementations share it: `vertex` (Google Cloud) and `local` (this machine).
Everything here is plain data so it can live in graph state and be printed as JSON.
Mutating methods (`upload`, `create_bucket`, `submit_job`, `cancel_job`, `deploy`)
are only ever called after a recorded human approval; each is idempotent by the key
it is given (object checksum, run id label, endpoint display name).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Literal, Protocol

from pydantic import BaseModel, Field

Category = Literal["open", "gemini", "local"]
TuningMode = Literal["PEFT_ADAPTER", "FULL"]

#: States after which a job never changes again (union of the SDKs' notions of "ended").
TERMINAL_STATES = frozenset({
    "JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED",
    "JOB_STATE_EXPIRED", "JOB_STATE_PAUSED", "JOB_STATE_PARTIALLY_SUCCEEDED",
})

#: Called with (bytes_done, bytes_total) while a long transfer runs.
ProgressCallback = Callable[[int, int], None]


class ObjectInfo(BaseModel):
    """One stored object (a GCS object, or a file in the local bucket folder)."""

    uri: str
    size: int
    md5_base64: str | None = None
    crc32c_base64: str | None = None
    updated: str | None = None


class DatasetCandidate(BaseModel):
    """A file found by a bucket search that may be a tuning dataset."""

    uri: str
    size: int
    format: str  # jsonl | json | csv | parquet
    first_records: list[dict[str, object]] = Field(default_factory=list)
    columns: list[str] = Field(default_factory=list)


class Storage(Protocol):
    """Object storage with gs://-style URIs (`gs://B/K` on Vertex, `local://B/K` locally)."""

    scheme: str

    def stat(self, uri: str) -> ObjectInfo | None: ...
    def list_buckets(self) -> list[str]: ...
    def bucket_exists(self, bucket: str) -> bool: ...
    def create_bucket(self, bucket: str, location: str | None = None) -> None: ...
    def upload(self, local_path: str, dest_uri: str,
               progress: ProgressCallback | None = None) -> ObjectInfo: ...
    def download(self, uri: str, local_path: str) -> str: ...
    def search_datasets(self, buckets: list[str] | None = None,
                        limit: int = 20) -> list[DatasetCandidate]: ...
    # Declared last: a method named `list` would shadow the builtin in the annotations above.
    def list(self, prefix_uri: str, limit: int | None = None) -> list[ObjectInfo]: ...


class JobSpec(BaseModel):
    """Everything needed to submit one supervised tuning job."""

    run_id: str
    category: Category
    base_model: str
    train_uri: str
    validation_uri: str | None = None
    output_uri: str | None = None
    tuning_mode: TuningMode | None = None
    epochs: int | None = None
    learning_rate: float | None = None
    learning_rate_multiplier: float | None = None
    adapter_size: int | None = None
    display_name: str | None = None
    project: str | None = None
    location: str | None = None


class LossPoint(BaseModel):
    step: int
    loss: float
    epoch: float | None = None


class JobInfo(BaseModel):
    """A tuning job as both platforms report it (normalised to Vertex's vocabulary)."""

    name: str
    state: str  # JOB_STATE_* string
    base_model: str | None = None
    run_id: str | None = None
    location: str | None = None  # the location submitted with (may be "global")
    real_region: str | None = None  # read from sub-resource names for global jobs
    console_url: str | None = None
    create_time: str | None = None
    start_time: str | None = None
    end_time: str | None = None
    elapsed_s: float | None = None
    error_message: str | None = None
    advice: str | None = None
    output_uri: str | None = None
    final_checkpoint_uri: str | None = None
    tuned_model: str | None = None
    tuned_model_endpoint: str | None = None
    data_stats: dict[str, object] = Field(default_factory=dict)
    step: int | None = None
    total_steps: int | None = None
    epoch: float | None = None
    eta_s: float | None = None
    train_loss: list[LossPoint] = Field(default_factory=list)
    val_loss: list[LossPoint] = Field(default_factory=list)

    @property
    def ended(self) -> bool:
        return self.state in TERMINAL_STATES

    @property
    def took_s(self) -> float | None:
        """How long the job ran, measured from its own start and end times, so the result line and the
        summary say the same figure; `elapsed_s` (the platform's running count) while either is missing."""
        from datetime import datetime

        try:
            start = datetime.fromisoformat(str(self.start_time).replace("Z", "+00:00"))
            end = datetime.fromisoformat(str(self.end_time).replace("Z", "+00:00"))
        except ValueError:
            return self.elapsed_s
        return max(0.0, (end - start).total_seconds())

    @property
    def succeeded(self) -> bool:
        return self.state == "JOB_STATE_SUCCEEDED"


class DeploySpec(BaseModel):
    """How to serve a tuned model; `endpoint_display_name` is the idempotency key."""

    endpoint_display_name: str
    machine_type: str | None = None
    accelerator_type: str | None = None
    accelerator_count: int | None = None
    region: str | None = None


class DeploymentInfo(BaseModel):
    endpoint: str  # resource name, or a local path for the local platform
    display_name: str
    region: str | None = None
    model: str | None = None
    state: str = "READY"
    hourly_usd: float | None = None
    console_url: str | None = None


class EnvironmentResult(BaseModel):
    """What the environment step records: the checks run and whether they all passed."""

    checked: bool = True
    passed: bool = False
    checks: list[dict[str, object]] = Field(default_factory=list)
    missing_apis: list[str] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)
    project_number: str | None = None
    note: str | None = None


class DetectedLocation(BaseModel):
    """The project and region the environment suggests (env vars, gcloud config), and where from."""

    project: str | None = None
    region: str | None = None
    source: str = "not found"


class SuggestionCosts(BaseModel):
    """What the model-choice card says about cost on a platform: one cell per suggestion for a cost
    column (None: no such column) and a line under the table (None: nothing to add)."""

    cells: list[str] | None = None
    note: str | None = None


class DeployProposal(BaseModel):
    """The deploy card's arguments and the sentence that explains them (hardware, price)."""

    args: dict[str, object]
    description: str


class Platform(Protocol):
    """A place that stores data, runs tuning jobs and serves the results.

    It owns every difference between platforms, so the graph never branches on `name`:
    where jobs run (`fixed_location`), environment checks, which models it tunes
    (`model_problem`, `default_model`), what a suggested model costs (`suggestion_costs`),
    the bucket it proposes, preflight, the equivalent command, deploy hardware and the
    side-by-side comparison.
    """

    name: str
    model_field: str
    """The `model` record field that names the model this platform tunes."""

    def fixed_location(self) -> dict[str, object] | None:
        """The project record when the platform decides it (nothing to ask), else None."""
        ...

    def detected_location(self) -> DetectedLocation:
        """What the environment suggests for the project/region card (read-only, no network)."""
        ...

    def check_environment(self, project: str | None, region: str | None,
                          category: str | None) -> EnvironmentResult: ...
    def enable_apis(self, project: str, apis: list[str]) -> list[str]: ...
    def job_category(self, category: str | None) -> Category: ...
    def job_location(self, project: str | None, region: str | None) -> tuple[str | None, str | None]: ...
    def model_problem(self, name: str, category: str | None) -> str | None:
        """Why `name` cannot be tuned here (None: it can)."""
        ...

    def default_model(self, wanted: str | None, target: str) -> tuple[str, str | None]:
        """The model to propose (from `wanted`, else the platform's default) and a note, or None
        for the note when `target` (the catalog pick) is itself tuned here."""
        ...

    def stand_in(self, name: str) -> tuple[str, str] | None:
        """For a catalog model this platform does not tune itself: the model it trains in its place and a
        sentence saying so (None: it tunes `name` itself, or refuses it through `model_problem`)."""
        ...

    def family_table(self, family: str | None) -> tuple[list[str], list[list[str]]]:
        """The models of an open family (`llama`, `qwen`; None: every one) that tune on this platform, as a
        table: (headers, rows). No rows: none of that family tunes here."""
        ...

    def suggestion_costs(self, cloud_prices: list[str]) -> SuggestionCosts:
        """How the model suggestions' costs read here, given each one's Vertex AI price: the cloud
        quotes them; the local platform charges nothing and says how long training takes here."""
        ...

    def default_bucket(self, project: str | None) -> str: ...
    def bucket_location(self, region: str | None) -> str: ...
    def bucket_proposal(self, bucket: str, location: str) -> str:
        """The bucket card's question in this platform's words (a GCS bucket, or a local folder)."""
        ...
    def storage_cost(self) -> str | None:
        """What keeping the dataset in this platform's bucket costs, in a sentence (asked at any card);
        None when the knowledge texts answer it (a cloud bucket: no price list is kept)."""
        ...
    def preflight(self, spec: JobSpec, *, train_rows: int | None = None,
                  val_rows: int | None = None) -> list[str]: ...
    def equivalent_command(self, spec: JobSpec) -> str: ...
    def served_endpoint(self, category: str | None, tuned_model_endpoint: str | None) -> str | None:
        """An endpoint that already serves this job's model (Gemini on Vertex), else None."""
        ...

    def deploy_proposal(self, display_name: str, base_model: str | None, region: str | None,
                        machine_type: str | None = None) -> DeployProposal: ...
    def side_by_side(self, job: JobInfo, n: int = 3, max_tokens: int = 64) -> list[dict[str, str]] | None:
        """Base vs tuned answers on a few held-out prompts, where the platform can run both; else None."""
        ...

    @property
    def storage(self) -> Storage: ...

    def submit_job(self, spec: JobSpec) -> JobInfo: ...
    def find_job(self, run_id: str) -> JobInfo | None: ...
    def get_job(self, name: str) -> JobInfo: ...
    def list_jobs(self) -> list[JobInfo]: ...
    def cancel_job(self, name: str) -> JobInfo: ...
    def watch_job(self, name: str, poll_s: float = 10.0,
                  timeout_s: float | None = None) -> Iterator[JobInfo]: ...
    def deploy(self, job: JobInfo, spec: DeploySpec) -> DeploymentInfo: ...
    def find_deployment(self, display_name: str) -> DeploymentInfo | None: ...
    def predict(self, endpoint: str, prompt: str, max_tokens: int = 256) -> str: ...
