"""How long a local job will take, measured before it is submitted, and the thread count to use.

A constant tokens/s table is wrong by large factors on a shared CPU, so before a job starts a
few real training steps of the real model on the job's own (length-bucketed) batches are timed,
with one thread and with all cores; the faster setting is the one the job uses, and its rate
gives the estimate. Only a GGUF not converted yet falls back to the table (the conversion
itself must run first), and the estimate then says so.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

#: Seconds for the trainer process to start and import torch/transformers (not measurable here:
#: this process has them imported already). Measured on the 2-core development machine: 6-12 s.
PROCESS_START_S = 8.0
#: A forward pass without backward costs about a third of a training step per token.
EVAL_COST_RATIO = 1 / 3
#: Timed steps per thread setting (after one untimed warm-up step).
TIMED_STEPS = 2
#: Stop measuring one setting after this many seconds, whatever the step count.
MAX_MEASURE_S = 40.0
#: Seconds the packaged Gemma's one-time GGUF conversion took on the development machine.
CONVERSION_S = 330.0


def _timed_steps(model: Any, batches: list[dict[str, Any]], threads: int,
                 best_rate: float | None = None) -> tuple[float, int]:
    """(seconds, tokens) of up to TIMED_STEPS training steps after one warm-up step.

    A setting whose warm-up step is already twice as slow as `best_rate` (tokens/s of a setting
    measured before) is not timed further: on a crowded CPU one slow setting can take minutes.
    """
    import torch

    torch.set_num_threads(threads)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=1e-6)
    seconds, tokens, spent = 0.0, 0, 0.0
    for i, batch in enumerate(batches[: TIMED_STEPS + 1]):
        started = time.monotonic()
        model(**batch).loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        took = time.monotonic() - started
        spent += took
        count = int(batch["attention_mask"].sum())
        if i == 0:
            if best_rate and count / took < best_rate / 2:
                return took, count  # the warm-up step stands for this setting: clearly slower
            continue
        seconds += took
        tokens += count
        if spent > MAX_MEASURE_S:
            break
    return seconds, tokens


def _typical_batches(items: list[tuple[list[int], list[int]]], size: int, pad_id: int) -> list[dict[str, Any]]:
    """A few batches from the middle of the length-sorted rows: what a typical step costs."""
    from tools.local.train import _batches

    ordered = sorted(items, key=lambda item: len(item[0]))
    middle = max(0, len(ordered) // 2 - size * (TIMED_STEPS + 1) // 2)
    return _batches(ordered[middle:middle + size * (TIMED_STEPS + 1)], size, pad_id)


def measure_job(cfg: dict[str, Any]) -> dict[str, Any]:
    """Estimate for a job config: {estimate_s, tokens_per_s, threads, measured: {threads: tok/s}, how}."""
    import torch

    from tools.local.models import PACKAGED_GEMMA, _is_model_dir, estimate_local_time
    from tools.local.train import HOLD_OUT_MIN_ROWS, MAX_HELD_OUT, _encode_all, _load

    model_path = cfg.get("model_path")
    if model_path and (model_path == PACKAGED_GEMMA or not _is_model_dir(Path(model_path))):
        return _table_estimate(cfg, estimate_local_time, conversion=True)
    before = torch.get_num_threads()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            started = time.monotonic()
            model, tokenizer, _ = _load(dict(cfg), Path(scratch), "cpu")
            load_s = time.monotonic() - started
            max_len = int(cfg.get("max_seq_len", 512))
            train_items, _ = _encode_all(tokenizer, cfg["train_path"], max_len)
            val_tokens = 0
            if cfg.get("validation_path"):
                val_items, _ = _encode_all(tokenizer, cfg["validation_path"], max_len)
                val_tokens = sum(len(i) for i, _ in val_items[:200])
            elif len(train_items) >= HOLD_OUT_MIN_ROWS:
                held = min(MAX_HELD_OUT, len(train_items) // 10)
                val_tokens = sum(len(i) for i, _ in train_items[:held])
                train_items = train_items[held:]
            size = int(cfg.get("batch_size", 4))
            batches = _typical_batches(train_items, size, int(tokenizer.pad_token_id))
            model.train()
            measured: dict[int, float] = {}
            for threads in sorted({1, os.cpu_count() or 1}):
                best = max(measured.values()) if measured else None
                seconds, tokens = _timed_steps(model, batches, threads, best)
                if seconds > 0:
                    measured[threads] = tokens / seconds
    finally:
        torch.set_num_threads(before)
    if not measured:
        return _table_estimate(cfg, estimate_local_time, conversion=False)
    threads = max(measured, key=lambda t: measured[t])
    rate = measured[threads]
    train_tokens = sum(len(i) for i, _ in train_items) * int(cfg["epochs"])
    eval_passes = (int(cfg.get("eval_points", 4)) + 1) if val_tokens else 0
    seconds = (PROCESS_START_S + load_s + train_tokens / rate
               + eval_passes * val_tokens * EVAL_COST_RATIO / rate + load_s / 2)  # the save ~ half a load
    return {"estimate_s": round(seconds, 1), "tokens_per_s": round(rate, 1), "threads": threads,
            "measured_tokens_per_s": {str(k): round(v, 1) for k, v in measured.items()},
            "how": f"timed {TIMED_STEPS} training steps of the model with 1 and {os.cpu_count()} threads"}


def _table_estimate(cfg: dict[str, Any], estimate_local_time: Any, conversion: bool) -> dict[str, Any]:
    chars = sum(len(line) for line in Path(cfg["train_path"]).read_text(encoding="utf-8").splitlines())
    tokens = chars // 3 * int(cfg["epochs"])
    seconds = estimate_local_time(tokens, str(cfg.get("model_id")))
    how = "the throughput table (no measurement possible)"
    if conversion:
        seconds += CONVERSION_S
        how = "the throughput table plus the one-time GGUF conversion (the model is not converted yet)"
    return {"estimate_s": round(seconds, 1), "how": how}


def estimate_for_submit(cfg: dict[str, Any]) -> dict[str, Any]:
    """`measure_job`, or {} when it cannot run (a bad row: the job itself will report it)."""
    try:
        return measure_job(cfg)
    except Exception:  # an estimate must never stop a submit
        return {}


def format_duration(seconds: float) -> str:
    """'45 s', '7 min 12 s', '1 h 05 min'."""
    seconds = max(0.0, float(seconds))
    if seconds < 90:
        return f"{round(seconds)} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min {int(seconds % 60):02d} s"
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"
