"""Local tuning end to end: real subprocess training of a tiny model the test builds, on data it writes.

Covers the issue's checks: the loss goes down, artifacts land where the layout says,
status is read back from disk by a fresh platform (an agent restart), a run id is never
started twice, cancel works, a dead trainer is reported, and the tuned model answers.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.local_fixtures import make_platform, upload_dataset, wait_until, write_rows
from tools.local import jobs as local_jobs
from tools.local.plots import ascii_loss_plot, loss_plot_png
from tools.local.tiny import build_tiny
from tools.platforms.base import DeploySpec, JobInfo, JobSpec
from tools.platforms.local import LocalPlatform

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _no_trainer_outlives_its_test(tmp_path: Path) -> Iterator[None]:
    """Kill (by their recorded pids) any trainers a failing test left running."""
    yield
    for pid_file in tmp_path.glob("home/jobs/*/pid.json"):
        info = json.loads(pid_file.read_text())
        if local_jobs.pid_alive(info):
            os.killpg(int(info["pid"]), signal.SIGKILL)
    for proc in _forget_children():
        proc.wait(timeout=30)


def _forget_children() -> list[subprocess.Popen[bytes]]:
    """Drop this process's handles on trainers, as a restarted agent would not have them."""
    procs = list(local_jobs._children.values())
    local_jobs._children.clear()
    return procs


def _pid(platform: LocalPlatform, job: JobInfo) -> int:
    return int(json.loads((platform.jobs.job_dir(job.name) / "pid.json").read_text())["pid"])


def _running(platform: LocalPlatform, name: str) -> bool:
    job = platform.get_job(name)
    assert not job.ended, (job.state, job.error_message)
    return (job.step or 0) >= 1


def test_tiny_job_end_to_end(tmp_path: Path) -> None:
    home = tmp_path / "home"
    platform = make_platform(home)
    train = write_rows(tmp_path / "train.jsonl", "messages", 160, seed=1)
    val = write_rows(tmp_path / "val.jsonl", "messages", 16, seed=2)
    train_uri, val_uri, output_uri = upload_dataset(platform.storage, train, val)
    spec = JobSpec(run_id="run-e2e", category="local", base_model="local/tiny", train_uri=train_uri,
                   validation_uri=val_uri, output_uri=output_uri, epochs=2, display_name="e2e")
    job = platform.submit_job(spec)
    assert job.state in {"JOB_STATE_PENDING", "JOB_STATE_RUNNING"} and job.run_id == "run-e2e"
    assert platform.submit_job(spec).name == job.name  # same run id: not started twice
    assert len(platform.list_jobs()) == 1

    # The agent "restarts": a fresh instance, without the process handle, watches from disk.
    procs = _forget_children()
    fresh = LocalPlatform(home)
    seen = list(fresh.watch_job(job.name, poll_s=0.3, timeout_s=240))
    for proc in procs:
        proc.wait()
    done = seen[-1]
    assert done.state == "JOB_STATE_SUCCEEDED", (done.error_message, done.data_stats)
    assert any(s.state == "JOB_STATE_RUNNING" for s in seen)
    assert done.step == done.total_steps == 2 * 40
    assert done.data_stats["train_examples"] == 160 and done.data_stats["validation_examples"] == 16
    assert float(done.data_stats["tokens_per_s"]) > 0  # type: ignore[arg-type]
    first, last = done.train_loss[0].loss, done.train_loss[-1].loss
    assert last < first / 3, [p.loss for p in done.train_loss]
    assert len(done.val_loss) >= 2 and done.val_loss[-1].loss < done.val_loss[0].loss

    # Artifacts where the service's layout puts them, addressed through the bucket.
    assert done.output_uri == output_uri
    assert done.final_checkpoint_uri == output_uri + "postprocess/node-0/checkpoints/final"
    names = {o.uri.rsplit("/", 1)[1] for o in fresh.storage.list(done.final_checkpoint_uri + "/")}
    assert {"model.safetensors", "config.json", "tokenizer.json", "tuning_agent.json"} <= names
    assert fresh.storage.list(output_uri + "postprocess/node-0/checkpoints/checkpoint-40/")
    assert done.tuned_model == str(fresh.storage.local_path(done.final_checkpoint_uri))

    # Plots of the history.
    text = ascii_loss_plot(done.train_loss, 40, 8, val_points=done.val_loss)
    assert "*" in text and "o validation" in text and f"step {done.step}" in text
    png = loss_plot_png(done, tmp_path / "loss.png")
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and png.stat().st_size > 500

    # Deploy (idempotent by display name, recorded on disk) and try it.
    deployment = fresh.deploy(done, DeploySpec(endpoint_display_name="e2e-endpoint"))
    assert deployment.endpoint == done.tuned_model and deployment.state == "READY"
    assert fresh.deploy(done, DeploySpec(endpoint_display_name="e2e-endpoint")) == deployment
    again = LocalPlatform(home)
    assert again.find_deployment("e2e-endpoint") == deployment
    assert again.find_deployment("other") is None
    answer = again.predict(deployment.endpoint, "What is the capital of Peru?", max_tokens=16)
    assert isinstance(answer, str) and answer
    rows = again.compare(done, n=2, max_tokens=12)
    assert len(rows) == 2 and {"prompt", "base", "tuned", "expected"} <= set(rows[0])
    assert rows[0]["expected"].startswith("The capital of")
    # After a restart the finished job is still there, and resubmitting still returns it.
    assert again.get_job(job.name).train_loss == done.train_loss
    assert again.submit_job(spec).name == job.name and len(again.list_jobs()) == 1


def test_lora_on_a_model_folder_with_gemini_and_prompt_completion_rows(tmp_path: Path) -> None:
    platform = make_platform(tmp_path / "home")
    train = write_rows(tmp_path / "train.jsonl", "prompt_completion", 40, seed=3)
    val = write_rows(tmp_path / "val.jsonl", "gemini", 8, seed=4)
    texts = [line for line in train.read_text().splitlines()]
    base = build_tiny(tmp_path / "base", texts)  # any folder holding an HF causal LM
    train_uri, val_uri, output_uri = upload_dataset(platform.storage, train, val)
    spec = JobSpec(run_id="run-lora", category="local", base_model=str(base), train_uri=train_uri,
                   validation_uri=val_uri, output_uri=output_uri, epochs=2, learning_rate=1e-2,
                   adapter_size=4, tuning_mode="PEFT_ADAPTER")
    job = platform.submit_job(spec)
    done = list(platform.watch_job(job.name, poll_s=0.3, timeout_s=240))[-1]
    assert done.state == "JOB_STATE_SUCCEEDED", done.error_message
    assert done.data_stats["full_tuning"] is False
    assert int(done.data_stats["trainable_params"]) < int(done.data_stats["total_params"]) / 2  # type: ignore[call-overload]
    assert done.train_loss[-1].loss < done.train_loss[0].loss and done.val_loss
    final = Path(str(done.tuned_model))
    assert (final / "adapter_config.json").is_file() and not (final / "model.safetensors").exists()
    meta = json.loads((final / "tuning_agent.json").read_text())
    assert meta["adapter"] is True and meta["base_model_path"] == str(base.resolve())
    assert isinstance(platform.predict(str(final), "What is the capital of Chile?", max_tokens=8), str)


def test_cancel_is_final_and_survives_a_restart(tmp_path: Path) -> None:
    home = tmp_path / "home"
    platform = make_platform(home)
    train_uri, _, output_uri = upload_dataset(platform.storage, write_rows(tmp_path / "t.jsonl", "gemini", 40))
    spec = JobSpec(run_id="run-cancel", category="local", base_model="local/tiny", train_uri=train_uri,
                   output_uri=output_uri, epochs=500)
    job = platform.submit_job(spec)
    assert wait_until(lambda: _running(platform, job.name), timeout_s=120)
    pid = _pid(platform, job)
    cancelled = platform.cancel_job(job.name)
    assert cancelled.state == "JOB_STATE_CANCELLED" and cancelled.error_message == "cancelled by request"
    assert not local_jobs.pid_alive({"pid": pid})
    assert not (platform.storage.local_path(output_uri) / "postprocess/node-0/checkpoints/final").exists()
    fresh = LocalPlatform(home)
    assert fresh.get_job(job.name).state == "JOB_STATE_CANCELLED"
    assert fresh.cancel_job(job.name).state == "JOB_STATE_CANCELLED"  # cancelling again is harmless
    resubmitted = fresh.submit_job(spec)  # same run id: the cancelled job, not a new process
    assert resubmitted.name == job.name and _pid(fresh, resubmitted) == pid
    assert len(fresh.list_jobs()) == 1


def test_a_trainer_that_dies_is_reported_failed(tmp_path: Path) -> None:
    platform = make_platform(tmp_path / "home")
    train_uri, _, output_uri = upload_dataset(platform.storage,
                                              write_rows(tmp_path / "t.jsonl", "prompt_completion", 40))
    job = platform.submit_job(JobSpec(run_id="run-kill", category="local", base_model="local/tiny",
                                      train_uri=train_uri, output_uri=output_uri, epochs=500))
    assert wait_until(lambda: _running(platform, job.name), timeout_s=120)
    procs = _forget_children()  # as after an agent restart: only the pid on disk is known
    os.killpg(_pid(platform, job), signal.SIGKILL)
    for proc in procs:
        proc.wait()
    failed = LocalPlatform(tmp_path / "home").get_job(job.name)
    assert failed.state == "JOB_STATE_FAILED"
    assert failed.error_message and "training process ended unexpectedly" in failed.error_message
    assert failed.advice and "train.log" in failed.advice


def test_a_bad_row_fails_the_job_with_its_line(tmp_path: Path) -> None:
    platform = make_platform(tmp_path / "home")
    train = write_rows(tmp_path / "t.jsonl", "messages", 4)
    with train.open("a") as fh:
        fh.write('{"messages": [{"role": "user", "content": "no answer"}]}\n')
    train_uri, _, output_uri = upload_dataset(platform.storage, train)
    job = platform.submit_job(JobSpec(run_id="run-bad", category="local", base_model="local/tiny",
                                      train_uri=train_uri, output_uri=output_uri, epochs=1))
    done = list(platform.watch_job(job.name, poll_s=0.3, timeout_s=120))[-1]
    assert done.state == "JOB_STATE_FAILED"
    assert done.error_message and "line 5" in done.error_message and "no assistant" in done.error_message


def test_the_training_process_never_sees_the_servers_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Users' API keys and database passwords stay in the server; what training needs (HF_TOKEN) goes through."""
    from tools.errors import CloudError

    monkeypatch.setenv("TUNING_AGENT_API_KEYS", "alice=" + "k" * 20)
    monkeypatch.setenv("TUNING_AGENT_CHECKER_KEY", "c" * 20)
    monkeypatch.setenv("TUNING_AGENT_SERVER_DB", "postgresql://u:secret@db/x")
    monkeypatch.setenv("HF_TOKEN", "hf_abc")
    seen: dict[str, str] = {}

    def refuse_to_start(*args: object, env: dict[str, str], **kwargs: object) -> None:
        seen.update(env)
        raise OSError("not started in this test")

    monkeypatch.setattr(subprocess, "Popen", refuse_to_start)
    job_dir = tmp_path / "jobs" / "j1"
    job_dir.mkdir(parents=True)
    with pytest.raises(CloudError):
        local_jobs.LocalJobs(tmp_path / "jobs")._spawn(job_dir)
    assert seen["HF_TOKEN"] == "hf_abc" and "PYTHONPATH" in seen
    assert not {"TUNING_AGENT_API_KEYS", "TUNING_AGENT_CHECKER_KEY", "TUNING_AGENT_SERVER_DB"} & set(seen)
