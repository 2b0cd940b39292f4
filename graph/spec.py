"""Build the job and deployment specs from state — in one place, so the card shows exactly
what is submitted."""

from __future__ import annotations

from graph.common import rec
from graph.state import TuningState
from tools.platforms.base import Category, DeploySpec, JobSpec


def job_spec(state: TuningState) -> JobSpec:
    """The JobSpec the approved configuration describes."""
    hp, ds, project = rec(state, "hparams"), rec(state, "dataset"), rec(state, "project")
    local = state.get("platform") == "local"
    category: Category = "local" if local else ("gemini" if state.get("category") == "gemini" else "open")
    return JobSpec(
        run_id=str(state.get("run_id")), category=category,
        base_model=hp["base_model"], train_uri=ds["train_uri"], validation_uri=ds.get("validation_uri"),
        output_uri=hp.get("output_uri") or rec(state, "storage").get("output_uri"),
        tuning_mode=hp.get("tuning_mode"), epochs=hp.get("epochs"), learning_rate=hp.get("learning_rate"),
        learning_rate_multiplier=hp.get("learning_rate_multiplier"), adapter_size=hp.get("adapter_size"),
        display_name=f"tuning-agent-{state.get('run_id')}",
        project=None if local else project.get("project"), location=None if local else project.get("region"),
    )


def endpoint_name(state: TuningState) -> str:
    """The endpoint display name: the idempotency key for deployment."""
    return f"tuning-agent-{state.get('run_id')}"


def deploy_spec(args: dict[str, object]) -> DeploySpec:
    return DeploySpec.model_validate(args)
