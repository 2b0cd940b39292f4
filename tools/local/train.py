"""The local training process: `python -m tools.local.train --config JOB_DIR/job.json`.

Runs detached from the agent (see `jobs`), so it reports only through the status file
in its job folder: RUNNING with step/loss/ETA while it trains, then SUCCEEDED with the
model in `<output>/postprocess/node-0/checkpoints/final` (the service's layout), FAILED
with the error, or CANCELLED on SIGTERM. A plain torch loop (not Trainer) keeps start-up
short and the behaviour easy to read: LoRA through PEFT, or full tuning for `local/tiny`;
loss only on assistant tokens; batches of rows of similar length (no padding waste).
To show what tuning changed, the validation loss is measured on the same held-out rows
before the first step (the base model) and after the last (the validation file, or a tenth
of the training rows when there is none); a rise while training loss falls is reported
as overfitting, with fewer epochs suggested.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from tools.local.examples import IGNORE, encode, read_examples
from tools.local.status import now_iso, read_json, update_status

FINAL_SUBDIR = "postprocess/node-0/checkpoints/final"
CHECKPOINTS_SUBDIR = "postprocess/node-0/checkpoints"
META_FILE = "tuning_agent.json"
MAX_EVAL_EXAMPLES = 200
#: Without a validation file, a tenth of the rows (at most this many) is held out to measure on.
MAX_HELD_OUT = 20
HOLD_OUT_MIN_ROWS = 20
HELD_OUT_FILE = "held_out.jsonl"
_PROCESS_START = time.monotonic()
#: The job's start time is its process's (imports and model loading included): the estimate on the
#: configuration card counts that start, and the job's duration is read from its start and end times.
_PROCESS_STARTED_AT = now_iso()


class Cancelled(Exception):
    """Raised (from the SIGTERM handler) to stop training at the next safe point."""


_guard = {"critical": False, "cancel": False}


def _on_sigterm(signum: int, frame: object) -> None:
    _guard["cancel"] = True
    if not _guard["critical"]:
        raise Cancelled()


def _batches(items: list[tuple[list[int], list[int]]], size: int, pad_id: int) -> list[dict[str, Any]]:
    """Tensors for `items` taken `size` at a time, in the given order, padded to each batch's longest."""
    import torch

    out = []
    for i in range(0, len(items), size):
        chunk = items[i:i + size]
        width = max(len(ids) for ids, _ in chunk)
        ids = [x + [pad_id] * (width - len(x)) for x, _ in chunk]
        labels = [y + [IGNORE] * (width - len(y)) for _, y in chunk]
        mask = [[1] * len(x) + [0] * (width - len(x)) for x, _ in chunk]
        out.append({"input_ids": torch.tensor(ids), "labels": torch.tensor(labels),
                    "attention_mask": torch.tensor(mask)})
    return out


def bucketed_batches(items: list[tuple[list[int], list[int]]], size: int, pad_id: int,
                     seed: int) -> list[dict[str, Any]]:
    """Batches of rows of similar length (sorted, then cut), in a seeded random order.

    Sorting first means almost no padding: a batch costs what its real tokens cost, where
    batches in file order pay for their longest row on every row.
    """
    ordered = sorted(items, key=lambda item: len(item[0]))
    batches = _batches(ordered, size, pad_id)
    random.Random(seed).shuffle(batches)
    return batches


def _encode_all(tokenizer: Any, path: str, max_len: int) -> tuple[list[tuple[list[int], list[int]]], int]:
    """Encoded examples that keep at least one assistant token, and how many were dropped."""
    kept, dropped = [], 0
    for turns in read_examples(path):
        ids, labels = encode(tokenizer, turns, max_len)
        if any(label != IGNORE for label in labels):
            kept.append((ids, labels))
        else:
            dropped += 1
    return kept, dropped


def _write_rows(path: Path, conversations: list[list[dict[str, str]]]) -> None:
    """The held-out rows as a `messages` JSONL file, so the side-by-side can ask about them."""
    with path.open("w", encoding="utf-8") as fh:
        for turns in conversations:
            fh.write(json.dumps({"messages": turns}, ensure_ascii=False) + "\n")


def _load(cfg: dict[str, Any], job_dir: Path, device: str) -> tuple[Any, Any, str]:
    """Model and tokenizer ready to train, and the folder of the base model."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from tools.local.models import materialize
    from tools.local.templates import ensure_chat_template
    from tools.local.tiny import build_tiny

    base_path = cfg.get("model_path")
    if not base_path:  # local/tiny: built now, from this dataset's text
        texts = [t["content"] for path in (cfg["train_path"], cfg.get("validation_path")) if path
                 for turns in read_examples(path) for t in turns]
        base_path = str(build_tiny(job_dir / "base_model", texts, seed=int(cfg.get("seed", 0))))
    else:  # a GGUF file or the packaged Gemma: converted once into the model cache
        def say(line: str) -> None:
            print(line, flush=True)
            update_status(job_dir, phase="converting the GGUF model (once)", note=line)

        base_path = str(materialize(str(base_path), say))
    tokenizer = AutoTokenizer.from_pretrained(base_path)
    from transformers import AutoConfig

    ensure_chat_template(tokenizer, getattr(AutoConfig.from_pretrained(base_path), "model_type", None))
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    dtype = torch.float32
    if device == "cuda" and not cfg["full_tuning"] and torch.cuda.is_bf16_supported():
        dtype = torch.bfloat16
    model: Any = AutoModelForCausalLM.from_pretrained(base_path, dtype=dtype)
    model.to(device)
    if not cfg["full_tuning"]:
        from peft import LoraConfig, get_peft_model

        rank = int(cfg["lora_rank"])
        model = get_peft_model(model, LoraConfig(r=rank, lora_alpha=2 * rank, lora_dropout=0.05,
                                                 target_modules="all-linear", task_type="CAUSAL_LM"))
    return model, tokenizer, base_path


def _eval_loss(model: Any, batches: list[dict[str, Any]], device: str) -> float:
    import torch

    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for batch in batches:
            batch = {k: v.to(device) for k, v in batch.items()}
            n = int((batch["labels"][:, 1:] != IGNORE).sum())
            total += float(model(**batch).loss) * n
            count += n
    model.train()
    return total / max(count, 1)


def _save(model: Any, tokenizer: Any, dest: Path, meta: dict[str, Any]) -> None:
    """Write weights (or adapter) + tokenizer into `dest` atomically (a `.partial` folder renamed)."""
    partial = dest.with_name(dest.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    (partial / META_FILE).write_text(json.dumps(meta, indent=1), encoding="utf-8")
    shutil.rmtree(dest, ignore_errors=True)
    os.replace(partial, dest)


def _loss_at(history: list[dict[str, Any]], step: int) -> float | None:
    """The logged training loss nearest to `step` (at or before it)."""
    before = [p["loss"] for p in history if p["step"] <= step]
    return before[-1] if before else None


def overfitting_warning(train_hist: list[dict[str, Any]], val_hist: list[dict[str, Any]],
                        epochs: int) -> str | None:
    """A warning when validation loss rose from its best while training loss kept falling."""
    if len(val_hist) < 2:
        return None
    best = min(val_hist, key=lambda p: p["loss"])
    last = val_hist[-1]
    if last["loss"] <= best["loss"] * 1.02:
        return None
    train_then, train_now = _loss_at(train_hist, best["step"]), _loss_at(train_hist, last["step"])
    if train_then is None or train_now is None or train_now >= train_then:
        return None
    fewer = max(1, math.ceil(float(best.get("epoch") or 1)))
    suggestion = (f"try {fewer} epoch{'s' if fewer > 1 else ''}" if fewer < epochs
                  else "try fewer epochs or a lower learning rate")
    return (f"Validation loss rose from {best['loss']:.2f} (step {best['step']}) to {last['loss']:.2f} "
            f"while training loss fell from {train_then:.2f} to {train_now:.2f}: the model is starting to "
            f"memorise the training rows; {suggestion}.")


def train(cfg: dict[str, Any]) -> None:
    """Run one job described by `cfg` (job.json), reporting through the status file."""
    import torch

    job_dir = Path(cfg["job_dir"])
    threads = int(cfg.get("threads") or os.cpu_count() or 1)
    torch.set_num_threads(max(1, threads))
    seed = int(cfg.get("seed", 0))
    random.seed(seed)
    torch.manual_seed(seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    update_status(job_dir, state="JOB_STATE_RUNNING", phase="loading model", start_time=_PROCESS_STARTED_AT,
                  device=device, pid=os.getpid())

    model, tokenizer, base_path = _load(cfg, job_dir, device)
    max_len = int(cfg.get("max_seq_len", 512))
    update_status(job_dir, phase="tokenizing")
    train_items, dropped = _encode_all(tokenizer, cfg["train_path"], max_len)
    if not train_items:
        raise ValueError(f"{cfg['train_path']}: no example keeps an assistant token within {max_len} tokens.")
    val_items: list[tuple[list[int], list[int]]] = []
    held_out = 0
    if cfg.get("validation_path"):
        val_items, _ = _encode_all(tokenizer, cfg["validation_path"], max_len)
    elif len(train_items) >= HOLD_OUT_MIN_ROWS:  # no validation file: keep a few rows aside to measure on
        held_out = min(MAX_HELD_OUT, len(train_items) // 10)
        turns = [t for t in read_examples(cfg["train_path"])
                 if any(label != IGNORE for label in encode(tokenizer, t, max_len)[1])]
        order = list(range(len(train_items)))
        random.Random(seed).shuffle(order)
        aside = set(order[:held_out])
        val_items = [item for i, item in enumerate(train_items) if i in aside]
        train_items = [item for i, item in enumerate(train_items) if i not in aside]
        _write_rows(job_dir / HELD_OUT_FILE, [turns[i] for i in sorted(aside)])
    val_items = val_items[:MAX_EVAL_EXAMPLES]
    batch_size = int(cfg.get("batch_size", 4))
    pad_id = int(tokenizer.pad_token_id)
    val_batches = _batches(sorted(val_items, key=lambda item: len(item[0])), batch_size, pad_id)
    steps_per_epoch = math.ceil(len(train_items) / batch_size)
    epochs = int(cfg["epochs"])
    total = steps_per_epoch * epochs
    if cfg.get("max_steps"):
        total = min(total, int(cfg["max_steps"]))
    trainable = [p for p in model.parameters() if p.requires_grad]
    stats = {"train_examples": len(train_items), "validation_examples": len(val_items),
             "dropped_examples": dropped, "train_tokens": sum(len(i) for i, _ in train_items),
             "trainable_params": sum(p.numel() for p in trainable),
             "total_params": sum(p.numel() for p in model.parameters()),
             "full_tuning": bool(cfg["full_tuning"]), "max_seq_len": max_len, "batch_size": batch_size,
             "threads": torch.get_num_threads()}
    if held_out:
        stats["held_out_examples"] = held_out
    base_val = None
    if val_batches:  # the base model's loss on the held-out rows, to compare the tuned one with
        update_status(job_dir, phase="measuring the base model", data_stats=stats)
        base_val = _eval_loss(model, val_batches, device)
    update_status(job_dir, phase="training", total_steps=total, step=0, epoch=0.0, data_stats=stats,
                  base_val_loss=base_val)

    optimizer = torch.optim.AdamW(trainable, lr=float(cfg["learning_rate"]), weight_decay=0.0)
    warmup = max(1, total // 20)

    def schedule(step: int) -> float:  # linear warm-up, then cosine down to 10 %
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, total - warmup)
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    log_every = max(1, total // 100)
    eval_every = max(1, total // int(cfg.get("eval_points", 4)))
    train_hist: list[dict[str, Any]] = []
    val_hist: list[dict[str, Any]] = []
    window: list[float] = []
    tokens = 0
    step = 0
    started = time.monotonic()
    out_dir = Path(cfg["output_dir"])
    meta = {"base_model_id": cfg["model_id"], "base_model_path": base_path,
            "adapter": not cfg["full_tuning"], "job_id": cfg["job_id"], "run_id": cfg.get("run_id")}
    model.train()
    for epoch in range(epochs):
        for batch in bucketed_batches(train_items, batch_size, pad_id, seed + epoch):
            if step >= total:
                break
            batch = {k: v.to(device) for k, v in batch.items()}
            loss = model(**batch).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            tokens += int(batch["attention_mask"].sum())
            window.append(float(loss.detach()))
            at_epoch = epoch + (step - epoch * steps_per_epoch) / steps_per_epoch
            if val_batches and (step % eval_every == 0 or step == total):
                val_hist.append({"step": step, "loss": _eval_loss(model, val_batches, device),
                                 "epoch": round(at_epoch, 3)})
            if step % log_every == 0 or step == total:
                train_hist.append({"step": step, "loss": sum(window) / len(window),
                                   "epoch": round(at_epoch, 3)})
                window = []
                elapsed = time.monotonic() - started
                update_status(job_dir, step=step, epoch=round(at_epoch, 3), train_loss=train_hist,
                              val_loss=val_hist, elapsed_s=round(elapsed, 2),
                              tokens_per_s=round(tokens / max(elapsed, 1e-6), 1),
                              eta_s=round(elapsed / step * (total - step), 1))
        if step < total and cfg.get("epoch_checkpoints", True):
            _guard["critical"] = True
            _save(model, tokenizer, out_dir / CHECKPOINTS_SUBDIR / f"checkpoint-{step}", meta)
            _guard["critical"] = False
            if _guard["cancel"]:
                raise Cancelled()
    update_status(job_dir, phase="saving")
    _guard["critical"] = True
    final = out_dir / FINAL_SUBDIR
    final.parent.mkdir(parents=True, exist_ok=True)
    _save(model, tokenizer, final, meta)
    elapsed = time.monotonic() - started
    final_val = val_hist[-1]["loss"] if val_hist else None
    _keep_job_speed(cfg, tokens, elapsed)
    update_status(job_dir, state="JOB_STATE_SUCCEEDED", phase="done", end_time=now_iso(), eta_s=0.0,
                  elapsed_s=round(elapsed, 2), tokens_per_s=round(tokens / max(elapsed, 1e-6), 1),
                  total_s=round(time.monotonic() - _PROCESS_START, 1), final_checkpoint=str(final),
                  base_val_loss=base_val, final_val_loss=final_val,
                  overfitting=overfitting_warning(train_hist, val_hist, epochs))


def _keep_job_speed(cfg: dict[str, Any], tokens: int, elapsed: float) -> None:
    """A finished job's real rate (evaluations included) and its fixed cost (start, load, save) make the
    next estimate for this model and machine (`tools.local.estimate.kept_speed`)."""
    from tools.local.estimate import keep_speed, speed_key

    if tokens <= 0 or elapsed <= 0:
        return
    overhead = max(0.0, (time.monotonic() - _PROCESS_START) - elapsed)
    keep_speed(speed_key(cfg), {"tokens_per_s": round(tokens / elapsed, 2), "threads": torch_threads(),
                                "overhead_s": round(overhead, 1), "from_job": True})


def torch_threads() -> int:
    import torch

    return int(torch.get_num_threads())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.local.train")
    parser.add_argument("--config", required=True, help="the job.json written by tools.local.jobs")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    cfg = read_json(args.config)
    if not cfg:
        print(f"{args.config}: missing or not a JSON object", file=sys.stderr)
        return 2
    job_dir = Path(cfg["job_dir"])
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        train(cfg)
        return 0
    except Cancelled:
        update_status(job_dir, state="JOB_STATE_CANCELLED", phase="cancelled", end_time=now_iso(),
                      error="cancelled by request")
        return 0
    except BaseException as err:  # the status file must say why, whatever happened
        traceback.print_exc()
        message = f"{type(err).__name__}: {err}".strip()
        update_status(job_dir, state="JOB_STATE_FAILED", phase="failed", end_time=now_iso(),
                      error=message)
        return 1


if __name__ == "__main__":
    sys.exit(main())
