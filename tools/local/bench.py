"""Measure local training throughput: `python -m tools.local.bench [MODEL_ID ...]`.

The catalog models' weights may not be downloadable where this runs, but throughput
depends only on the architecture, so each is measured on a randomly initialised model
with its published configuration (LoRA r=16 on all linear layers, float32, batch 4 ×
128 tokens). The figures feed `models.CPU_TOKENS_PER_S`; rerun this after changing the
trainer or on another machine.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

#: Published architectures (config.json of each hub repo) of the catalog's local models.
ARCHITECTURES: dict[str, tuple[str, dict[str, Any]]] = {
    "local/smollm2-135m": ("llama", {"hidden_size": 576, "intermediate_size": 1536, "num_hidden_layers": 30,
                                     "num_attention_heads": 9, "num_key_value_heads": 3, "vocab_size": 49152,
                                     "tie_word_embeddings": True}),
    "local/smollm2-360m": ("llama", {"hidden_size": 960, "intermediate_size": 2560, "num_hidden_layers": 32,
                                     "num_attention_heads": 15, "num_key_value_heads": 5, "vocab_size": 49152,
                                     "tie_word_embeddings": True}),
    "local/gemma-3-270m": ("gemma3_text", {"hidden_size": 640, "intermediate_size": 2048,
                                           "num_hidden_layers": 18, "num_attention_heads": 4,
                                           "num_key_value_heads": 1, "head_dim": 256, "vocab_size": 262144}),
    "local/qwen3-0.6b": ("qwen3", {"hidden_size": 1024, "intermediate_size": 3072, "num_hidden_layers": 28,
                                   "num_attention_heads": 16, "num_key_value_heads": 8, "head_dim": 128,
                                   "vocab_size": 151936, "tie_word_embeddings": True}),
}


def bench(model_id: str, steps: int = 4, batch: int = 4, seq: int = 128, rank: int = 16) -> dict[str, Any]:
    """Tokens per second of LoRA training steps on a random model with `model_id`'s architecture."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoConfig, AutoModelForCausalLM

    kind, dims = ARCHITECTURES[model_id]
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(AutoConfig.for_model(kind, **dims))
    model = get_peft_model(model, LoraConfig(r=rank, lora_alpha=2 * rank, target_modules="all-linear",
                                             task_type="CAUSAL_LM"))
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    ids = torch.randint(0, dims["vocab_size"], (batch, seq))

    def step() -> None:
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    step()  # warm-up
    start = time.monotonic()
    for _ in range(steps):
        step()
    elapsed = time.monotonic() - start
    return {"model": model_id, "tokens_per_s": round(batch * seq * steps / elapsed, 1),
            "s_per_step": round(elapsed / steps, 2), "threads": torch.get_num_threads()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.local.bench")
    parser.add_argument("models", nargs="*", default=list(ARCHITECTURES))
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    for model_id in args.models:
        print(json.dumps(bench(model_id, steps=args.steps)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
