"""The deploy card's literal commands: quoted, parseable back, and matching the CLI's arguments."""

from __future__ import annotations

import shlex

import pytest

from agent.cli import build_parser
from tools.commands import deploy_commands, gcloud_deploy, tuning_agent_deploy
from tools.errors import ToolError

JOB = "projects/p1/locations/global/tuningJobs/123"
CKPT = "gs://my bucket/out/postprocess/node-0/checkpoints/final"


def test_open_model_on_vertex_shows_both_commands() -> None:
    cmds = deploy_commands(JOB, platform="vertex", category="open", checkpoint_uri=CKPT, project="p1",
                           region="us-central1", machine_type="g2-standard-12", accelerator_type="NVIDIA_L4",
                           accelerator_count=1, endpoint_name="tuning-agent-run 1")
    assert cmds.tuning_agent == ("tuning-agent deploy projects/p1/locations/global/tuningJobs/123 --machine-type "
                                 "g2-standard-12 --accelerator-type NVIDIA_L4 --accelerator-count 1 "
                                 "--region us-central1 --endpoint-name 'tuning-agent-run 1'")
    assert cmds.gcloud is not None
    assert shlex.split(cmds.gcloud) == [
        "gcloud", "ai", "model-garden", "models", "deploy", "--project=p1", "--region=us-central1",
        f"--model={CKPT}", "--machine-type=g2-standard-12", "--accelerator-type=NVIDIA_L4",
        "--accelerator-count=1", "--endpoint-display-name=tuning-agent-run 1"]
    assert cmds.render().startswith("```\ntuning-agent deploy") and "gcloud ai model-garden" in cmds.render()


def test_tuning_agent_command_parses_with_the_real_cli() -> None:
    line = tuning_agent_deploy(JOB, region="europe-west4", machine_type="g2-standard-12",
                               accelerator_type="NVIDIA_L4", accelerator_count=1, endpoint_name="a b;rm -rf")
    args = build_parser().parse_args(shlex.split(line)[1:])
    assert (args.job, args.region, args.machine_type, args.accelerator_type, args.accelerator_count,
            args.endpoint_name) == (JOB, "europe-west4", "g2-standard-12", "NVIDIA_L4", 1, "a b;rm -rf")
    local = build_parser().parse_args(shlex.split(tuning_agent_deploy("job-7", platform="local"))[1:])
    assert local.platform == "local" and local.job == "job-7"


def test_gemini_and_local_have_no_gcloud_step() -> None:
    gemini = deploy_commands(JOB, platform="vertex", category="gemini", project="p1", region="us-central1")
    assert gemini.gcloud is None and "already has an endpoint" in gemini.note
    local = deploy_commands("job-7", platform="local", category="local")
    assert local.gcloud is None and local.tuning_agent == "tuning-agent deploy job-7 --platform local"


def test_unknown_real_region_says_what_is_missing() -> None:
    cmds = deploy_commands(JOB, platform="vertex", category="open", checkpoint_uri=CKPT, project="p1",
                           region="global")
    assert cmds.gcloud is None and "real region" in cmds.note


def test_global_region_and_partial_hardware_are_refused() -> None:
    with pytest.raises(ToolError, match="real region"):
        gcloud_deploy(CKPT, project="p1", region="global")
    with pytest.raises(ToolError, match="go together"):
        tuning_agent_deploy(JOB, machine_type="g2-standard-12")
