"""The `local` platform: this machine's folders, a training subprocess, and in-process serving.

It is the embedded default when no Google account is configured, and the way to check
the whole pipeline offline (`local/tiny`). Everything it knows lives under
`$TUNING_AGENT_HOME` (buckets/, jobs/, deployments.json), so a new instance — in a new
agent process — sees the same buckets, jobs and deployments.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tools.errors import ToolError
from tools.local.jobs import LocalJobs
from tools.local.status import read_json, write_json_atomic
from tools.local.storage import LocalStorage
from tools.local.train import FINAL_SUBDIR, HELD_OUT_FILE
from tools.platforms.base import DeploymentInfo, DeploySpec, JobInfo, JobSpec
from tools.settings import tuning_agent_home
from tools.storage_paths import split_uri

#: Longest example (in tokens) a local job trains on; longer ones are truncated.
MAX_SEQ_LEN = 1024
BATCH_SIZE = 4
DEPLOYMENTS_FILE = "deployments.json"


def _threads(tiny: bool) -> int:
    """CPU threads for the trainer. `local/tiny`'s matrices are too small to split: on 2 busy cores
    one thread trained a 200-row job in 1.5-2.9 s against 28-31 s with two (spin-waiting threads)."""
    return 1 if tiny else os.cpu_count() or 1


class LocalPlatform:
    """Tune and serve on this machine; `home` defaults to `$TUNING_AGENT_HOME`."""

    name = "local"

    def __init__(self, home: str | Path | None = None) -> None:
        self.home = Path(home) if home else tuning_agent_home()
        self.storage = LocalStorage(self.home / "buckets")
        self.jobs = LocalJobs(self.home / "jobs")

    # ---- jobs ----------------------------------------------------------------------------

    def _file(self, uri: str, what: str) -> Path:
        path = self.storage.local_path(uri)
        if not path.is_file():
            raise ToolError(f"The {what} file {uri} does not exist.",
                            "Upload the prepared dataset first (the upload step), then submit again.")
        return path

    def job_config(self, spec: JobSpec) -> dict[str, Any]:
        """What the trainer will be told to do for `spec` (resolves the model, may fetch weights)."""
        from tools.local.models import resolve_model

        if spec.category != "local":
            raise ToolError(f"The local platform tunes local models, not {spec.category!r} ones.",
                            "Choose a local model (e.g. local/tiny), or use --platform vertex.")
        train_path = self._file(spec.train_uri, "training")
        val_path = self._file(spec.validation_uri, "validation") if spec.validation_uri else None
        output_uri = spec.output_uri or spec.train_uri.rsplit("/", 1)[0] + "/output/"
        _, bucket, _ = split_uri(output_uri)
        if not self.storage.bucket_exists(bucket):
            raise ToolError(f"The output bucket local://{bucket} does not exist.", "Create it first.")
        choice = resolve_model(spec.base_model)
        full = choice.is_tiny or spec.tuning_mode == "FULL" or (spec.tuning_mode is None
                                                                  and choice.full_tuning)
        rank = spec.adapter_size if spec.adapter_size is not None else choice.lora_rank
        learning_rate = (spec.learning_rate if spec.learning_rate is not None
                         else choice.learning_rate * (spec.learning_rate_multiplier or 1.0))
        epochs = spec.epochs if spec.epochs is not None else choice.epochs
        if epochs < 1 or learning_rate <= 0 or (not full and not 1 <= rank <= 256):
            raise ToolError(f"Invalid hyperparameters: epochs={epochs}, learning_rate={learning_rate}, "
                            f"adapter_size={rank}.",
                            "Use epochs ≥ 1, a learning rate > 0 and an adapter size from 1 to 256.")
        output_dir = self.storage.local_path(output_uri)
        final_uri = f"{output_uri.rstrip('/')}/{FINAL_SUBDIR}"
        return {"run_id": spec.run_id, "display_name": spec.display_name, "model_id": choice.model_id,
                "model_path": choice.path, "full_tuning": full, "lora_rank": 0 if full else rank,
                "learning_rate": learning_rate, "epochs": epochs, "train_path": str(train_path),
                "validation_path": str(val_path) if val_path else None, "train_uri": spec.train_uri,
                "validation_uri": spec.validation_uri, "output_uri": output_uri,
                "output_dir": str(output_dir), "final_checkpoint_uri": final_uri,
                "final_path": str(output_dir / FINAL_SUBDIR), "max_seq_len": MAX_SEQ_LEN,
                "batch_size": BATCH_SIZE, "threads": _threads(choice.is_tiny)}

    def preflight(self, spec: JobSpec, **_: Any) -> list[str]:
        """Problems that would stop this job (empty list: ready to submit)."""
        try:
            self.job_config(spec)
        except ToolError as err:
            return [str(err)]
        return []

    def submit_job(self, spec: JobSpec) -> JobInfo:
        """Start the job in a background process; the same run id never starts a second one."""
        existing = self.jobs.find(spec.run_id)
        return existing if existing is not None else self.jobs.submit(self.job_config(spec))

    def find_job(self, run_id: str) -> JobInfo | None:
        return self.jobs.find(run_id)

    def get_job(self, name: str) -> JobInfo:
        return self.jobs.get(name)

    def list_jobs(self) -> list[JobInfo]:
        return self.jobs.list()

    def cancel_job(self, name: str) -> JobInfo:
        return self.jobs.cancel(name)

    def watch_job(self, name: str, poll_s: float = 10.0,
                  timeout_s: float | None = None) -> Iterator[JobInfo]:
        return self.jobs.watch(name, poll_s=poll_s, timeout_s=timeout_s)

    # ---- serving -------------------------------------------------------------------------

    def _deployments(self) -> dict[str, Any]:
        return read_json(self.home / DEPLOYMENTS_FILE)

    def find_deployment(self, display_name: str) -> DeploymentInfo | None:
        """The deployment recorded under `display_name`, if its checkpoint still exists."""
        record = self._deployments().get(display_name)
        if not isinstance(record, dict) or not Path(str(record.get("endpoint", ""))).is_dir():
            return None
        return DeploymentInfo(**record)

    def deploy(self, job: JobInfo, spec: DeploySpec) -> DeploymentInfo:
        """Load the tuned model into this process and record it; idempotent by display name."""
        from tools.local import serve

        existing = self.find_deployment(spec.endpoint_display_name)
        if existing is not None:
            return existing
        with contextlib.suppress(ToolError):  # a job record from elsewhere is trusted as it is
            job = self.get_job(job.name)
        if not job.succeeded:
            raise ToolError(f"Job {job.name} has not succeeded (state {job.state}); nothing to deploy.",
                            "Wait for it to finish, or fix and resubmit it.")
        endpoint = job.tuned_model or (self.storage.local_path(job.final_checkpoint_uri)
                                       if job.final_checkpoint_uri else None)
        if not endpoint or not Path(endpoint).is_dir():
            raise ToolError(f"Job {job.name} succeeded but its final checkpoint is missing.",
                            "Run the job again.")
        serve.load(str(endpoint))
        info = DeploymentInfo(endpoint=str(endpoint), display_name=spec.endpoint_display_name,
                              region="local", model=job.base_model, state="READY", hourly_usd=0.0)
        records = self._deployments()
        records[spec.endpoint_display_name] = info.model_dump()
        write_json_atomic(self.home / DEPLOYMENTS_FILE, records)
        return info

    def predict(self, endpoint: str, prompt: str, max_tokens: int = 256) -> str:
        from tools.local import serve

        return serve.predict(endpoint, prompt, max_tokens=max_tokens)

    def compare(self, job: JobInfo, prompts: list[str] | None = None, n: int = 3,
                max_tokens: int = 128) -> list[dict[str, Any]]:
        """Base vs tuned answers on `prompts` (default: the first `n` distinct validation or training
        prompts, with the expected answer and each answer's token F1 against it)."""
        from tools.local import serve

        job = self.get_job(job.name)
        if not job.succeeded or not job.tuned_model:
            raise ToolError(f"Job {job.name} has no tuned model yet (state {job.state}).",
                            "Compare once it has succeeded.")
        expected: dict[str, str] = {}
        if prompts is None:
            job_dir = self.jobs.job_dir(job.name)
            cfg = read_json(job_dir / "job.json")
            held_out = job_dir / HELD_OUT_FILE  # rows the trainer kept aside when there was no validation file
            samples = serve.sample_prompts(cfg.get("validation_path")
                                           or (held_out if held_out.is_file() else cfg["train_path"]), n)
            prompts = [s["prompt"] for s in samples]
            expected = {s["prompt"]: s["expected"] for s in samples}
        return serve.compare(serve.base_of(job.tuned_model), job.tuned_model, prompts, max_tokens,
                             expected=expected)
