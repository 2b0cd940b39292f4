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
from tools.platforms.base import (
    Category,
    DeploymentInfo,
    DeployProposal,
    DeploySpec,
    DetectedLocation,
    EnvironmentResult,
    JobInfo,
    JobSpec,
    SuggestionCosts,
)
from tools.settings import tuning_agent_home
from tools.storage_paths import split_uri

#: Longest example (in tokens) a local job trains on; longer ones are truncated.
MAX_SEQ_LEN = 1024
BATCH_SIZE = 4
DEPLOYMENTS_FILE = "deployments.json"
#: The bucket folder the local platform uploads to.
LOCAL_BUCKET = "tuning-agent"
#: The fast pipeline check every local session can run.
TINY = "local/tiny"


def _threads(tiny: bool) -> int:
    """CPU threads for the trainer. `local/tiny`'s matrices are too small to split: on 2 busy cores
    one thread trained a 200-row job in 1.5-2.9 s against 28-31 s with two (spin-waiting threads)."""
    return 1 if tiny else os.cpu_count() or 1


class LocalPlatform:
    """Tune and serve on this machine; `home` defaults to `$TUNING_AGENT_HOME`."""

    name = "local"
    model_field = "local_model"

    def __init__(self, home: str | Path | None = None) -> None:
        self.home = Path(home) if home else tuning_agent_home()
        self.storage = LocalStorage(self.home / "buckets")
        self.jobs = LocalJobs(self.home / "jobs")

    # ---- what differs from the cloud ---------------------------------------------------------

    def fixed_location(self) -> dict[str, object] | None:
        """Jobs run on this machine: no project or region to choose."""
        return {"project": None, "region": "local", "confirmed": True, "fixed": True, "source": "local platform"}

    def detected_location(self) -> DetectedLocation:
        return DetectedLocation(region="local", source="local platform")

    def check_environment(self, project: str | None, region: str | None,
                          category: str | None) -> EnvironmentResult:
        return EnvironmentResult(passed=True, note="local platform: nothing to check")

    def enable_apis(self, project: str, apis: list[str]) -> list[str]:
        return []

    def job_category(self, category: str | None) -> Category:
        return "local"

    def job_location(self, project: str | None, region: str | None) -> tuple[str | None, str | None]:
        return None, None

    def model_problem(self, name: str, category: str | None) -> str | None:
        """Local catalog models and model folders on this machine tune here; nothing else does."""
        from knowledge import LocalModel, find_model, load_catalog

        model = find_model(name)
        if isinstance(model, LocalModel) or self._model_folder(name):
            return None
        local = ", ".join(f"`{m.base_model}`" for m in load_catalog().local_models)
        shown = model.display_name if model is not None else name
        return f"{shown} can't be used on this machine; pick a local model ({local}) or a model folder."

    def _model_folder(self, name: str) -> bool:
        """True for a folder this user may tune from: any folder in the terminal; on a server only one
        inside the user's own folder (their tuned models), so nobody learns which paths exist elsewhere."""
        from tools.data.limits import server_mode

        if not os.path.isdir(name):
            return False
        if not server_mode():
            return True
        home = os.path.realpath(self.home)
        return os.path.realpath(name).startswith(home + os.sep)

    def default_model(self, wanted: str | None, target: str) -> tuple[str, str | None]:
        """`wanted` when it is a local model, else the default local model (the real Gemma 3 270M when
        it is on this machine, `local/tiny` otherwise), standing in for the catalog pick."""
        from tools.local.packaged import GEMMA_ID, default_local_model

        fallback = default_local_model()
        model = wanted if wanted and self.model_problem(wanted, None) is None else fallback
        if self.model_problem(model, None) is not None:
            model = TINY
        if model == GEMMA_ID:
            return model, (f"Local run on this machine, standing in for **{target}**: Google's Gemma 3 270M "
                           "(pretrained; Gemma Terms of Use), tuned with LoRA on this CPU; `local/tiny` is the "
                           "one-minute pipeline check.")
        note = (f"Local run on this machine, standing in for **{target}**. `local/tiny` is built from "
                "your data in about a minute: a pipeline check, not a useful model. Edit base_model to "
                "a local model (e.g. `local/smollm2-135m`) if its weights are on this machine.")
        return model, note

    def stand_in(self, name: str) -> tuple[str, str] | None:
        """A Vertex catalog model can't run here: the default local model is trained in its place (what the
        model-choice card promises: "whichever model you pick, … standing in for it")."""
        from knowledge import GeminiModel, OpenModel, find_model

        model = find_model(name)
        if not isinstance(model, (OpenModel, GeminiModel)):
            return None
        local, _ = self.default_model(None, model.base_model)
        return local, (f"On this machine a Vertex model can't run: **`{local}`** stands in for "
                       f"{model.display_name} here (with `--platform vertex`, {model.display_name} itself is tuned).")

    def family_table(self, family: str | None) -> tuple[list[str], list[list[str]]]:
        """The local catalog's models of the family (named in their id or Hugging Face id): these train on
        this machine's CPU, free; the Vertex catalog's models of the family do not."""
        import re

        from knowledge import load_catalog

        rows = [[m.display_name, f"`{m.base_model}`", f"{m.params_m:g}M", m.license.split(" (")[0]]
                for m in load_catalog().local_models
                if family is None or re.search(rf"(?<![a-z]){family}", f"{m.id} {m.hf_id}".lower())]
        return ["model", "id", "size", "license"], rows

    def suggestion_costs(self, cloud_prices: list[str]) -> SuggestionCosts:
        """No cloud prices: nothing is charged here. What a run costs is time on this machine, told for
        the model a local run uses (whichever suggestion is picked, it stands in for it)."""
        from tools.local.models import SAMPLE_EXAMPLES, SAMPLE_TOKENS, describe_local_time
        from tools.local.packaged import default_local_model

        model = default_local_model()
        took = describe_local_time(SAMPLE_EXAMPLES * SAMPLE_TOKENS, model)
        return SuggestionCosts(note=(
            f"**Cost on this machine:** no cloud charges. Whichever model you pick, training runs here with "
            f"`{model}` standing in for it: about {took} per epoch for {SAMPLE_EXAMPLES} examples of about "
            f"{SAMPLE_TOKENS} tokens on this CPU. The configuration card gives the time for your data."))

    def default_bucket(self, project: str | None) -> str:
        return LOCAL_BUCKET

    def bucket_location(self, region: str | None) -> str:
        return "this machine"  # a folder under $TUNING_AGENT_HOME/buckets; no cloud location applies

    def bucket_proposal(self, bucket: str, location: str) -> str:
        folder = self.storage.local_path(f"local://{bucket}/")
        return (f"Bucket **{bucket}** does not exist. Create it (a folder on this machine: `{folder}`)? "
                "Nothing leaves this machine.")

    def storage_cost(self) -> str | None:
        folder = self.storage.local_path(f"local://{LOCAL_BUCKET}/")
        return (f"Nothing: on this platform the bucket is a local folder on this machine (`{folder}`), so it "
                "costs only the disk space the dataset takes.")

    def equivalent_command(self, spec: JobSpec) -> str:
        from tools.vertex.jobs import equivalent_command

        return equivalent_command(spec)

    def served_endpoint(self, category: str | None, tuned_model_endpoint: str | None) -> str | None:
        return None

    def deploy_proposal(self, display_name: str, base_model: str | None, region: str | None,
                        machine_type: str | None = None) -> DeployProposal:
        return DeployProposal(args={"endpoint_display_name": display_name},
                              description="Load the tuned model on this machine so you can try it?")

    def side_by_side(self, job: JobInfo, n: int = 3, max_tokens: int = 64) -> list[dict[str, str]] | None:
        return self.compare(job, n=n, max_tokens=max_tokens)

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

    def preflight(self, spec: JobSpec, *, train_rows: int | None = None, val_rows: int | None = None,
                  **_: Any) -> list[str]:
        """Problems that would stop this job (empty list: ready to submit)."""
        problems = [f"{uri} does not exist; upload the data again." for uri in (spec.train_uri, spec.validation_uri)
                    if uri and self.storage.stat(uri) is None]
        if problems:
            return problems
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
