"""How long a local job will take, measured before it is submitted, and the thread count to use.

A constant tokens/s table is wrong by large factors on a shared CPU, so before a job starts a
few real training steps of the real model on the job's own (length-bucketed) batches are timed,
with one thread and with all cores; the faster setting is the one the job uses, and its rate
gives the estimate. Only a GGUF not converted yet falls back to the table (the conversion
itself must run first), and the estimate then says so.

The measurement is kept per model and machine (`speed.json` in the model cache, for a week),
and a finished job replaces it with its real rate and fixed cost: a second job on the same model
reads the tokenizer only, and its estimate takes seconds instead of a model load and training steps.
The all-cores setting is timed first; a setting whose
warm-up step is already slower than the best rate is not timed further.
"""

from __future__ import annotations

import json
import os
import platform
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
#: A kept measurement is reused for this long (the machine's load changes; a week keeps it honest).
SPEED_MAX_AGE_S = 7 * 24 * 3600
SPEED_FILE = "speed.json"


def _machine() -> str:
    """This machine, as far as training speed goes: CPU model and core count."""
    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            name = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), name)
    except OSError:
        pass
    return f"{name} x{os.cpu_count()}"


def speed_key(cfg: dict[str, Any]) -> str | None:
    """Which kept measurement fits a job: same model folder, machine, batch size and tuning mode."""
    model_path = cfg.get("model_path")
    if not model_path:
        return None  # local/tiny is built from each dataset: nothing to reuse
    mode = "full" if cfg.get("full_tuning") else f"lora{cfg.get('lora_rank', '')}"
    return f"{os.path.realpath(model_path)}|{_machine()}|bs{cfg.get('batch_size', 4)}|{mode}"


def _speed_file() -> Path:
    from tools.local.gguf import model_cache_dir

    return model_cache_dir() / SPEED_FILE


def kept_speed(key: str | None) -> dict[str, Any] | None:
    """The kept measurement for `key`, if one is recent enough."""
    if key is None:
        return None
    try:
        entry = json.loads(_speed_file().read_text(encoding="utf-8")).get(key)
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(entry, dict) or time.time() - float(entry.get("at", 0)) > SPEED_MAX_AGE_S:
        return None
    return entry if float(entry.get("tokens_per_s", 0)) > 0 else None


def keep_speed(key: str | None, entry: dict[str, Any]) -> None:
    """Remember a measurement (or a finished job's real rate) for the next estimate; best effort."""
    if key is None:
        return
    path = _speed_file()
    try:
        kept = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, ValueError):
        kept = {}  # a damaged file is replaced
    if not isinstance(kept, dict):
        kept = {}
    kept = {k: v for k, v in kept.items() if os.path.isdir(k.split("|", 1)[0])}  # models since deleted go
    try:
        kept[key] = dict(entry, at=time.time())
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(kept, indent=1), encoding="utf-8")
        tmp.replace(path)
    except (OSError, ValueError):
        pass


def thread_settings() -> list[int]:
    """The thread counts worth timing, all cores first (usually faster on a quiet machine).

    When the CPU is already saturated (load average at least the core count), more threads only
    contend with the other work: measured here at load 8.7 on 2 cores, Gemma 3 270M ran 1.3 tokens/s
    with 2 threads against 5.5 with one. Then only one thread is timed, saving a slow warm-up step.
    """
    cores = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0] >= cores
    except OSError:
        busy = False
    return [1] if busy or cores == 1 else [cores, 1]


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
            if best_rate and count / took < best_rate:
                return took, count  # the warm-up step (which only costs more) is already slower: stop here
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
    from tools.local.train import _load

    model_path = cfg.get("model_path")
    if model_path and (model_path == PACKAGED_GEMMA or not _is_model_dir(Path(model_path))):
        return _table_estimate(cfg, estimate_local_time, conversion=True)
    key = speed_key(cfg)
    kept = kept_speed(key)
    if kept is not None:
        return _kept_estimate(cfg, kept)
    before = torch.get_num_threads()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            started = time.monotonic()
            model, tokenizer, _ = _load(dict(cfg), Path(scratch), "cpu")
            load_s = time.monotonic() - started
            train_items, val_tokens = _split_items(cfg, tokenizer)
            size = int(cfg.get("batch_size", 4))
            batches = _typical_batches(train_items, size, int(tokenizer.pad_token_id))
            model.train()
            measured: dict[int, float] = {}
            for threads in thread_settings():
                best = max(measured.values()) if measured else None
                seconds, tokens = _timed_steps(model, batches, threads, best)
                if seconds > 0:
                    measured[threads] = tokens / seconds
    finally:
        torch.set_num_threads(before)
    if not measured:
        return _table_estimate(cfg, estimate_local_time, conversion=False)
    threads = max(measured, key=lambda t: measured[t])
    rate = round(measured[threads], 2)  # rounded once, so a later estimate from the kept rate reads the same
    keep_speed(key, {"tokens_per_s": rate, "threads": threads, "load_s": round(load_s, 1),
                     "measured_tokens_per_s": {str(k): round(v, 1) for k, v in measured.items()}})
    train_tokens = sum(len(i) for i, _ in train_items) * int(cfg["epochs"])
    return {"estimate_s": _seconds(cfg, train_tokens, val_tokens, rate, load_s), "tokens_per_s": round(rate, 1),
            "threads": threads, "measured_tokens_per_s": {str(k): round(v, 1) for k, v in measured.items()},
            "how": f"timed up to {TIMED_STEPS} training steps of the model with "
                   + " and ".join(str(t) for t in measured) + " thread(s)"}


def _seconds(cfg: dict[str, Any], train_tokens: int, val_tokens: int, rate: float, load_s: float) -> float:
    eval_passes = (int(cfg.get("eval_points", 4)) + 1) if val_tokens else 0
    return round(PROCESS_START_S + load_s + train_tokens / rate
                 + eval_passes * val_tokens * EVAL_COST_RATIO / rate + load_s / 2, 1)  # the save ~ half a load


def _split_items(cfg: dict[str, Any], tokenizer: Any) -> tuple[list[Any], int]:
    """(encoded training rows, held-out tokens per evaluation pass), split as the trainer splits them."""
    from tools.local.train import HOLD_OUT_MIN_ROWS, MAX_HELD_OUT, _encode_all

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
    return train_items, val_tokens


def _token_counts(cfg: dict[str, Any], tokenizer: Any) -> tuple[int, int]:
    """(training tokens over all epochs, held-out tokens per evaluation pass), as the trainer splits them."""
    train_items, val_tokens = _split_items(cfg, tokenizer)
    return sum(len(i) for i, _ in train_items) * int(cfg["epochs"]), val_tokens


def _kept_estimate(cfg: dict[str, Any], kept: dict[str, Any]) -> dict[str, Any]:
    """The estimate from a kept rate: only the tokenizer is loaded, to count this job's tokens."""
    from transformers import AutoConfig, AutoTokenizer

    from tools.local.models import rate_text
    from tools.local.templates import ensure_chat_template

    folder = str(cfg["model_path"])
    tokenizer = AutoTokenizer.from_pretrained(folder)
    ensure_chat_template(tokenizer, getattr(AutoConfig.from_pretrained(folder), "model_type", None))
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    train_tokens, val_tokens = _token_counts(cfg, tokenizer)
    rate, load_s = float(kept["tokens_per_s"]), float(kept.get("load_s", 0.0))
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(float(kept["at"])))
    if kept.get("from_job"):  # a finished job's rate includes its evaluations; its fixed cost was measured
        seconds = round(float(kept.get("overhead_s", 0.0)) + train_tokens / rate, 1)
        what = "the last job's speed"
    else:
        seconds = _seconds(cfg, train_tokens, val_tokens, rate, load_s)
        what = "the speed measured"
    return {"estimate_s": seconds, "tokens_per_s": round(rate, 1),
            "threads": int(kept.get("threads") or 1),
            "measured_tokens_per_s": dict(kept.get("measured_tokens_per_s") or {}),
            "how": f"{what} on this machine at {when} ({rate_text(rate)}, "
                   f"{kept.get('threads')} threads), kept per model and machine"}


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


