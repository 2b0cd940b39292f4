"""Local training throughput: the platform's trainer against a plain PyTorch loop, in one run.

`python -m bench local_train` (or `python -m bench.local_train [--rows N] [MODEL ...]`) tunes
`local/tiny` and `local/gemma-3-270m` (when its package is installed) on the same generated
riddle-style rows twice: once through `tools.local.train` (length-bucketed batches, the thread
count the platform measures as fastest), once through the loop anyone would write first —
rows in file order, padded batches of the same size, torch's default threads, forward, backward,
AdamW step. Both count only real (non-padding) tokens, so the ratio is useful work per second.
The machine's load changes between runs, which is why both sides run back to back here.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SUBJECTS = ["chicken", "duck", "cow", "frog", "turtle", "cat", "dog", "horse", "sheep", "goat"]
PLACES = ["road", "river", "playground", "bridge", "field", "street", "garden", "kitchen"]
PADDING_WORDS = ["on", "a", "rainy", "afternoon", "in", "the", "middle", "of", "a", "very", "long",
                 "and", "rather", "strange", "week"]


def write_rows(path: Path, n: int, seed: int = 0) -> Path:
    """`n` riddle rows of varied length (the length spread is what padding wastes)."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as fh:
        for _ in range(n):
            subject, place = rng.choice(SUBJECTS), rng.choice(PLACES)
            extra = " ".join(PADDING_WORDS[: rng.randint(0, len(PADDING_WORDS))])
            question = f"Why did the {subject} cross the {place} {extra}?".replace(" ?", "?")
            answer = f"To get to the other side of the {place}" + (", " + extra if rng.random() < 0.5 else "") + "!"
            fh.write(json.dumps({"messages": [{"role": "user", "content": question},
                                              {"role": "assistant", "content": answer}]}) + "\n")
    return path


def _platform_run(model_id: str, train: Path, work: Path) -> dict[str, Any]:
    """Tokens/s of the platform's trainer (in this process), with the threads the platform picks."""
    from tools.local.estimate import measure_job
    from tools.local.models import resolve_model
    from tools.local.status import read_json
    from tools.local.train import train as platform_train

    choice = resolve_model(model_id)
    full = choice.is_tiny
    cfg: dict[str, Any] = {
        "job_id": "bench", "job_dir": str(work / "job"), "run_id": "bench", "model_id": choice.model_id,
        "model_path": choice.path, "full_tuning": full, "lora_rank": 0 if full else choice.lora_rank,
        "learning_rate": choice.learning_rate, "epochs": 1, "train_path": str(train),
        "validation_path": None, "output_dir": str(work / "out"), "max_seq_len": 1024, "batch_size": 4,
        "epoch_checkpoints": False, "seed": 0}
    (work / "job").mkdir(parents=True, exist_ok=True)
    measured = measure_job(cfg)
    cfg["threads"] = measured.get("threads", 1)
    platform_train(cfg)
    status = read_json(work / "job" / "status.json")
    return {"tokens_per_s": float(status["tokens_per_s"]), "threads": cfg["threads"],
            "base_path": choice.path or str(work / "job" / "base_model"),
            "measured": measured.get("measured_tokens_per_s")}


def _plain_run(base_path: str, train: Path, full: bool, rank: int, lr: float) -> float:
    """Tokens/s of a plain loop: file order, padded batches of 4, default threads, no platform code."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.set_num_threads(os.cpu_count() or 1)  # torch's default (the platform run changed it)
    tokenizer = AutoTokenizer.from_pretrained(base_path)
    model: Any = AutoModelForCausalLM.from_pretrained(base_path, dtype=torch.float32)
    if not full:
        from peft import LoraConfig, get_peft_model

        model = get_peft_model(model, LoraConfig(r=rank, lora_alpha=2 * rank, lora_dropout=0.05,
                                                 target_modules="all-linear", task_type="CAUSAL_LM"))
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    texts = []
    for line in train.read_text(encoding="utf-8").splitlines():
        turns = json.loads(line)["messages"]
        if tokenizer.chat_template:
            texts.append(tokenizer.apply_chat_template(turns, tokenize=False))
        else:  # Gemma's turn format, written out
            texts.append(f"<start_of_turn>user\n{turns[0]['content']}<end_of_turn>\n"
                         f"<start_of_turn>model\n{turns[1]['content']}<end_of_turn>\n")
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr)
    model.train()
    tokens, started = 0, time.monotonic()
    for i in range(0, len(texts), 4):
        enc = tokenizer(texts[i:i + 4], padding=True, return_tensors="pt")
        labels = enc["input_ids"].masked_fill(enc["attention_mask"] == 0, -100)
        loss = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"], labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        tokens += int(enc["attention_mask"].sum())
    return tokens / (time.monotonic() - started)


def bench_model(model_id: str, rows: int) -> dict[str, Any]:
    from tools.local.models import resolve_model

    choice = resolve_model(model_id)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        train = write_rows(work / "train.jsonl", rows)
        ours = _platform_run(model_id, train, work)
        plain = _plain_run(ours["base_path"], train, choice.is_tiny, choice.lora_rank or 16,
                           choice.learning_rate)
    return {"model": model_id, "rows": rows, "platform_tokens_per_s": round(ours["tokens_per_s"], 1),
            "platform_threads": ours["threads"], "measured_by_threads": ours["measured"],
            "plain_loop_tokens_per_s": round(plain, 1), "ratio": round(ours["tokens_per_s"] / plain, 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.local_train")
    parser.add_argument("models", nargs="*", help="default: local/tiny, and local/gemma-3-270m if installed")
    parser.add_argument("--rows", type=int, default=0, help="rows per model (default: 200 tiny, 24 gemma)")
    args = parser.parse_args(argv)
    from tools.local.packaged import GEMMA_ID, gemma_available_offline

    models = args.models or (["local/tiny"] + ([GEMMA_ID] if gemma_available_offline() else []))
    for model_id in models:
        rows = args.rows or (200 if model_id == "local/tiny" else 24)
        print(json.dumps(bench_model(model_id, rows)), flush=True)
    return 0


def run() -> None:
    main([])


if __name__ == "__main__":
    sys.exit(main())
