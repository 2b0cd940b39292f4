"""Check a job spec against every rejection the service is known to make — before paying.

`preflight` returns all problems at once, each phrased as what is wrong and what to
do; the platform (`tools.platforms.vertex`) gathers the live model list and any job
already created for the run id before calling it. The checks mirror the
known-failures table of the fact sheet (§5) and the service limits in the catalog.
"""

from __future__ import annotations

import re

from tools.platforms.base import JobInfo, JobSpec, Storage
from tools.vertex.jobs import ADAPTER_SIZES, location_of

_RESOURCE = re.compile(r"^[a-z0-9-]+/[a-z0-9_.-]+@[a-z0-9_.-]+$")
_LONG = re.compile(r"^publishers/([^/]+)/models/(.+)$")


def _short(name: str) -> str:
    match = _LONG.match(name.strip())
    return f"{match.group(1)}/{match.group(2)}" if match else name.strip()


def preflight(spec: JobSpec, storage: Storage, *, live_models: list[str] | None = None,
              train_rows: int | None = None, val_rows: int | None = None,
              existing_job: JobInfo | None = None) -> list[str]:
    """Every known rejection this spec would meet; an empty list means go."""
    problems: list[str] = []
    problems += _model_checks(spec, live_models)
    problems += _hyperparameter_checks(spec)
    problems += _data_checks(spec, storage, train_rows, val_rows)
    if existing_job is not None and not existing_job.ended:
        problems.append(
            f"Job {existing_job.name} is already {existing_job.state} for run id {spec.run_id!r}: "
            f"watch it (`tuning-agent job watch {existing_job.name}`) or cancel it before "
            "submitting again.")
    return problems


def _model_checks(spec: JobSpec, live_models: list[str] | None) -> list[str]:
    from knowledge import GeminiModel, OpenModel, find_model, nearest_supported, valid_regions

    problems: list[str] = []
    name = _short(spec.base_model)
    location = location_of(spec)
    model = find_model(spec.base_model)
    if spec.category == "open":
        if not _RESOURCE.match(name):
            hint = nearest_supported(spec.base_model)
            better = (f" ({model.base_model})" if isinstance(model, OpenModel) else
                      f" (nearest supported: {hint.alternatives[0].display_name})"
                      if hint.alternatives else "")
            problems.append(
                f"Base model {spec.base_model!r} is not a resource name of the form "
                f"publisher/family@version{better}: the service rejects it as an invalid open "
                "source publisher model resource name. Use the name `tuning-agent models list` shows.")
        elif not isinstance(model, OpenModel):
            problems.append(f"Open model {spec.base_model!r} is not in the catalog of tunable open "
                            "models; pick one from `tuning-agent models list --category open`.")
        elif name != model.base_model:
            # The catalog lookup forgives case, dots and dashes; the service does not
            # (llama3_1 vs llama3-2), and the name is sent exactly as given.
            problems.append(f"Base model {spec.base_model!r} is close to, but not exactly, "
                            f"`{model.base_model}`; the service only accepts the exact resource name.")
    elif spec.category == "gemini":
        if not isinstance(model, GeminiModel):
            problems.append(f"Gemini model {spec.base_model!r} is not one that supports tuning; pick "
                            "one from `tuning-agent models list --category gemini`.")
        elif spec.base_model != model.id:
            problems.append(f"Gemini model {spec.base_model!r}: use the exact model id `{model.id}`.")
        elif model.is_retired(None):
            problems.append(f"{model.display_name} was retired on {model.retire_date}; choose a "
                            "current Gemini model.")
    if live_models is not None and model is not None:
        from tools.vertex.models_live import is_live

        wanted = model.base_model if isinstance(model, OpenModel) else getattr(model, "id", name)
        if not is_live(wanted, live_models):
            problems.append(f"{wanted} is not in the live publisher-model list of this project; "
                            "it may not be offered yet — pick another model or check the region.")
    regions = valid_regions(spec.category, getattr(model, "id", None) if spec.category == "gemini"
                            else None)
    if regions and location not in regions:
        problems.append(f"Location {location!r} cannot run {spec.category} tuning jobs"
                        f"{' for ' + spec.base_model if spec.category == 'gemini' else ''}; "
                        f"use one of: {', '.join(regions)}.")
    if isinstance(model, OpenModel) and spec.tuning_mode and spec.tuning_mode not in model.modes:
        problems.append(f"{model.display_name} does not support {spec.tuning_mode} tuning; use "
                        f"{' or '.join(model.modes)}.")
    if isinstance(model, OpenModel) and spec.adapter_size is not None:
        from knowledge import load_catalog

        allowed = load_catalog().limits.allowed_adapter_sizes_open
        if spec.adapter_size not in allowed:
            problems.append(f"Adapter size {spec.adapter_size} is not allowed for open models; use "
                            f"one of {allowed}.")
    if isinstance(model, GeminiModel) and spec.adapter_size is not None and \
            spec.adapter_size not in model.adapter_sizes:
        problems.append(f"Adapter size {spec.adapter_size} is not supported for {model.display_name}; "
                        f"use one of {model.adapter_sizes}.")
    return problems


def _hyperparameter_checks(spec: JobSpec) -> list[str]:
    problems: list[str] = []
    if spec.category == "open":
        if spec.learning_rate_multiplier is not None:
            problems.append("Open models take an absolute learning rate, not a learning-rate "
                            "multiplier (the service rejects the multiplier): set --learning-rate "
                            "(e.g. 2e-4) and drop --learning-rate-multiplier.")
        if not spec.output_uri:
            problems.append("No output URI: open-model jobs need one (the service answers \"The "
                            "output_uri field is required\"); set --output-uri gs://BUCKET/PATH.")
        elif not spec.output_uri.startswith("gs://"):
            problems.append(f"Output URI {spec.output_uri!r} must be a gs:// path.")
        if spec.tuning_mode == "FULL" and spec.adapter_size is not None:
            problems.append("Adapter size applies to PEFT_ADAPTER (LoRA) only; drop it for FULL "
                            "tuning or switch to PEFT_ADAPTER.")
    if spec.category == "gemini" and spec.learning_rate is not None:
        problems.append("Gemini takes a learning-rate multiplier (e.g. 1.0), not an absolute "
                        "learning rate: use --learning-rate-multiplier.")
    if spec.adapter_size is not None and spec.adapter_size not in ADAPTER_SIZES:
        problems.append(f"Adapter size {spec.adapter_size} does not exist; use one of "
                        f"{sorted(ADAPTER_SIZES)}.")
    if spec.epochs is not None and spec.epochs < 1:
        problems.append(f"Epochs must be at least 1 (got {spec.epochs}).")
    for label, value in (("Learning rate", spec.learning_rate),
                         ("Learning-rate multiplier", spec.learning_rate_multiplier)):
        if value is not None and value <= 0:
            problems.append(f"{label} must be greater than 0 (got {value}).")
    return problems


def _data_checks(spec: JobSpec, storage: Storage, train_rows: int | None,
                 val_rows: int | None) -> list[str]:
    from knowledge import load_catalog

    limits = load_catalog().limits
    problems: list[str] = []
    sizes: dict[str, int] = {}
    for label, uri in (("Training", spec.train_uri), ("Validation", spec.validation_uri)):
        if uri is None:
            continue
        if not uri.startswith(f"{storage.scheme}://") or not uri.endswith(".jsonl"):
            problems.append(f"{label} dataset {uri!r} must be a {storage.scheme}:// object ending in "
                            ".jsonl (the service accepts only JSONL); upload the prepared file.")
            continue
        info = storage.stat(uri)
        if info is None:
            problems.append(f"{label} dataset {uri} does not exist; upload it first "
                            "(the chat's upload step, or `gcloud storage cp`) or correct the URI.")
        elif info.size == 0:
            problems.append(f"{label} dataset {uri} is empty; prepare it again.")
        else:
            sizes[label] = info.size
    if "Training" in sizes and "Validation" in sizes and spec.category == "open":
        ratio = sizes["Validation"] / sizes["Training"]
        if ratio > limits.validation_max_bytes_ratio:
            problems.append(
                f"The validation file is {ratio:.1%} of the training file's bytes; the limit is "
                f"{limits.validation_max_bytes_ratio:.0%}. Split again with "
                f"{limits.safe_validation_split:.0%} for validation.")
    if spec.category == "gemini" and sizes.get("Training", 0) > limits.gemini_max_training_file_bytes:
        problems.append(f"The training file is {sizes['Training'] / 1e9:.2f} GB; Gemini tuning accepts at most "
                        f"{limits.gemini_max_training_file_bytes / 1e9:.0f} GB of JSONL. Use fewer examples.")
    max_rows = limits.validation_max_rows if spec.category == "open" else limits.gemini_validation_max_rows
    if val_rows is not None and val_rows > max_rows:
        problems.append(f"The validation file has {val_rows} rows; the limit is {max_rows}. "
                        "Keep a smaller validation split.")
    if (spec.category == "gemini" and val_rows is not None and train_rows and val_rows > 1000
            and val_rows > limits.gemini_validation_max_ratio * train_rows):
        problems.append(f"With more than 1000 validation rows, Gemini allows at most "
                        f"{limits.gemini_validation_max_ratio:.0%} of the training rows "
                        f"({int(limits.gemini_validation_max_ratio * train_rows)}); use fewer.")
    return problems
