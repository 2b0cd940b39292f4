"""The pre-submit estimate keeps its measurement per model and machine, so a second one takes seconds."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.local_fixtures import write_rows
from tools.local import estimate
from tools.local.tiny import build_tiny


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TUNING_AGENT_MODEL_CACHE", str(tmp_path / "models"))
    return tmp_path / "models"


def test_kept_speed_round_trip_per_model_machine_and_shape(cache: Path, tmp_path: Path) -> None:
    cfg = {"model_path": str(tmp_path / "m"), "batch_size": 4}
    key = estimate.speed_key(cfg)
    assert key is not None and estimate.kept_speed(key) is None
    estimate.keep_speed(key, {"tokens_per_s": 42.0, "threads": 2, "load_s": 3.0})
    kept = estimate.kept_speed(key)
    assert kept is not None and kept["tokens_per_s"] == 42.0 and (cache / estimate.SPEED_FILE).is_file()
    assert estimate.speed_key(dict(cfg, batch_size=8)) != key, "another batch shape is measured anew"
    assert estimate.speed_key(dict(cfg, full_tuning=True)) != key
    assert estimate.speed_key({"batch_size": 4}) is None, "local/tiny is built per dataset: nothing kept"


def test_an_old_or_damaged_measurement_is_not_reused(cache: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    key = estimate.speed_key({"model_path": str(tmp_path / "m")})
    estimate.keep_speed(key, {"tokens_per_s": 42.0, "threads": 2})
    later = time.time() + estimate.SPEED_MAX_AGE_S + 60
    with monkeypatch.context() as patch:
        patch.setattr(estimate.time, "time", lambda: later)
        assert estimate.kept_speed(key) is None
    (cache / estimate.SPEED_FILE).write_text("not json", encoding="utf-8")
    assert estimate.kept_speed(key) is None
    estimate.keep_speed(key, {"tokens_per_s": 7.0, "threads": 1})  # a damaged file is replaced
    assert estimate.kept_speed(key) is not None


@pytest.mark.slow
def test_second_estimate_reuses_the_measurement_and_counts_this_jobs_tokens(cache: Path, tmp_path: Path) -> None:
    train = write_rows(tmp_path / "train.jsonl", "messages", 24, seed=3)
    texts = train.read_text(encoding="utf-8").splitlines()
    folder = build_tiny(tmp_path / "model", texts, seed=0)
    cfg = {"model_path": str(folder), "train_path": str(train), "epochs": 2, "batch_size": 4,
           "max_seq_len": 128, "full_tuning": False, "lora_rank": 4, "lora_alpha": 8,
           "lora_dropout": 0.0, "model_id": "local/tiny"}
    first = estimate.measure_job(cfg)
    assert first["tokens_per_s"] > 0 and "timed" in first["how"]
    started = time.monotonic()
    second = estimate.measure_job(dict(cfg, epochs=4))
    assert "kept per model and machine" in second["how"] and second["tokens_per_s"] == first["tokens_per_s"]
    assert second["estimate_s"] > first["estimate_s"], "twice the epochs: a longer estimate from the same rate"
    assert time.monotonic() - started < 30
    # A finished job replaces the measurement with its real rate and fixed cost (what train.py keeps).
    key = estimate.speed_key(cfg)
    estimate.keep_speed(key, {"tokens_per_s": 10.0, "threads": 1, "overhead_s": 20.0, "from_job": True})
    third = estimate.measure_job(cfg)
    assert "the last job's speed" in third["how"]
    from transformers import AutoTokenizer

    tokens, _ = estimate._token_counts(cfg, AutoTokenizer.from_pretrained(str(folder)))
    assert third["estimate_s"] == pytest.approx(20.0 + tokens / 10.0, abs=0.1)
