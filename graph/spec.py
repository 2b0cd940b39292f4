"""Build the job and deployment specs from state — in one place, so the card shows exactly
what is submitted."""

from __future__ import annotations

from graph.common import rec, run_id
from graph.state import TuningState
from tools.platforms.base import DeploySpec, JobSpec, Platform


def job_spec(state: TuningState, platform: Platform) -> JobSpec:
    """The JobSpec the approved configuration describes, on `platform`."""
    hp, ds, project = rec(state, "hparams"), rec(state, "dataset"), rec(state, "project")
    category = platform.job_category(state.get("category"))
    where, location = platform.job_location(project.get("project"), project.get("region"))
    return JobSpec(
        run_id=run_id(state), category=category,
        base_model=hp["base_model"], train_uri=ds["train_uri"], validation_uri=ds.get("validation_uri"),
        output_uri=hp.get("output_uri") or rec(state, "storage").get("output_uri"),
        tuning_mode=hp.get("tuning_mode"), epochs=hp.get("epochs"), learning_rate=hp.get("learning_rate"),
        learning_rate_multiplier=hp.get("learning_rate_multiplier"), adapter_size=hp.get("adapter_size"),
        display_name=f"tuning-agent-{run_id(state)}",
        project=where, location=location,
    )


def endpoint_name(state: TuningState) -> str:
    """The endpoint display name: the idempotency key for deployment."""
    return f"tuning-agent-{run_id(state)}"


def deploy_spec(args: dict[str, object]) -> DeploySpec:
    return DeploySpec.model_validate(args)
