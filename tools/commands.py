"""Literal commands shown on cards: what the agent is about to do, as a command the person could run.

Why: deployment bills by the hour, so its card shows exactly what will run — the
`tuning-agent deploy …` line and the equivalent `gcloud` line — before anyone approves.
Every argument goes through `shlex.quote` (via `shlex.join`), so a copied command runs as
shown even when a name holds spaces or shell characters. Pure string building: no SDK,
no network. (The job-submit equivalent lives with the platform, `tools/vertex/jobs.py`.)
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from tools.errors import ToolError


@dataclass(frozen=True)
class DeployCommands:
    """The commands a deploy card shows; `gcloud` is None where no gcloud step applies, `note` says why."""

    tuning_agent: str
    gcloud: str | None
    note: str = ""

    def render(self) -> str:
        """The commands as a markdown block for a card."""
        lines = [self.tuning_agent] + ([self.gcloud] if self.gcloud else [])
        text = "```\n" + "\n".join(lines) + "\n```"
        return f"{text}\n{self.note}" if self.note else text


def _hardware_args(machine_type: str | None, accelerator_type: str | None,
                   accelerator_count: int | None, style: str) -> list[str]:
    hardware = (machine_type, accelerator_type, accelerator_count)
    if not any(hardware):
        return []
    if not all(hardware):
        raise ToolError("Machine type, accelerator type and accelerator count go together.",
                        "Give all three (e.g. g2-standard-12, NVIDIA_L4, 1) or none.")
    values = (str(machine_type), str(accelerator_type), str(accelerator_count))
    names = ("--machine-type", "--accelerator-type", "--accelerator-count")
    if style == "equals":
        return [f"{n}={v}" for n, v in zip(names, values, strict=True)]
    return [x for pair in zip(names, values, strict=True) for x in pair]


def tuning_agent_deploy(job_name: str, *, platform: str = "vertex", region: str | None = None,
                        machine_type: str | None = None, accelerator_type: str | None = None,
                        accelerator_count: int | None = None, endpoint_name: str | None = None) -> str:
    """`tuning-agent deploy JOB …` exactly as agent/commands/deploy.py reads it."""
    args = ["tuning-agent", "deploy", job_name]
    args += _hardware_args(machine_type, accelerator_type, accelerator_count, "pairs")
    if region:
        args += ["--region", region]
    if endpoint_name:
        args += ["--endpoint-name", endpoint_name]
    if platform == "local":
        args += ["--platform", "local"]
    return shlex.join(args)


def gcloud_deploy(model_uri: str, *, project: str, region: str, machine_type: str | None = None,
                  accelerator_type: str | None = None, accelerator_count: int | None = None,
                  endpoint_name: str | None = None) -> str:
    """`gcloud ai model-garden models deploy …` for a tuned open model's final checkpoint folder."""
    if not region or region == "global":
        raise ToolError("Deployment needs a real region, never `global`.",
                        "Use the region in the tuned model's name (e.g. us-central1).")
    args = ["gcloud", "ai", "model-garden", "models", "deploy", f"--project={project}", f"--region={region}",
            f"--model={model_uri}"]
    args += _hardware_args(machine_type, accelerator_type, accelerator_count, "equals")
    if endpoint_name:
        args.append(f"--endpoint-display-name={endpoint_name}")
    return shlex.join(args)


def deploy_commands(job_name: str, *, platform: str, category: str, checkpoint_uri: str | None = None,
                    project: str | None = None, region: str | None = None, machine_type: str | None = None,
                    accelerator_type: str | None = None, accelerator_count: int | None = None,
                    endpoint_name: str | None = None) -> DeployCommands:
    """The deploy card's commands for one job.

    `category` is `open`, `gemini` or `local`; `checkpoint_uri` is the open job's final checkpoint
    folder and `region` the real region it serves from (not `global`).
    """
    agent = tuning_agent_deploy(job_name, platform=platform, region=region, machine_type=machine_type,
                                accelerator_type=accelerator_type, accelerator_count=accelerator_count,
                                endpoint_name=endpoint_name)
    if platform == "local" or category == "local":
        return DeployCommands(agent, None, "Local deployment serves from this machine: no gcloud step, no charge.")
    if category == "gemini":
        return DeployCommands(agent, None, "A tuned Gemini model already has an endpoint; deploy only looks it "
                                           "up (billed per request, no machine).")
    if not checkpoint_uri or not project or not region or region == "global":
        missing = [n for n, v in (("checkpoint", checkpoint_uri), ("project", project)) if not v]
        if not region or region == "global":
            missing.append("real region")
        return DeployCommands(agent, None, f"The gcloud equivalent needs the job's {', '.join(missing)}, "
                                           "known once the job has succeeded.")
    return DeployCommands(agent, gcloud_deploy(checkpoint_uri, project=project, region=region,
                                               machine_type=machine_type, accelerator_type=accelerator_type,
                                               accelerator_count=accelerator_count, endpoint_name=endpoint_name))
