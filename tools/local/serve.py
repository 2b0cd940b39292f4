"""Answer prompts with a locally tuned model ("deploy" on the local platform).

An endpoint here is the path of a final checkpoint. Its `tuning_agent.json` says whether
it holds a LoRA adapter (then the base named there is loaded under it) or full weights.
Loaded models are kept in-process (the two most recent) so a chat of several prompts
does not reload them.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from pathlib import Path
from typing import Any

from tools.errors import ToolError
from tools.local.examples import read_examples
from tools.local.train import META_FILE

_CACHE: OrderedDict[str, tuple[Any, Any]] = OrderedDict()
_CACHE_SIZE = 2


def checkpoint_meta(path: str | Path) -> dict[str, Any]:
    """The tuning_agent.json written next to a checkpoint ({} for a plain model folder)."""
    try:
        data = json.loads((Path(path) / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def base_of(endpoint: str) -> str:
    """The base model folder a tuned checkpoint was trained from."""
    base = checkpoint_meta(endpoint).get("base_model_path")
    if not base:
        raise ToolError(f"{endpoint} does not say which base model it was tuned from.",
                        "Give the base model folder explicitly.")
    return str(base)


def load(model_ref: str) -> tuple[Any, Any]:
    """(model, tokenizer) for a tuned checkpoint or any Hugging Face model folder, cached."""
    key = str(Path(model_ref).expanduser().resolve())
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    path = Path(key)
    has_weights = (path / "config.json").is_file() or (path / "adapter_config.json").is_file()
    if not path.is_dir() or not has_weights:
        raise ToolError(f"{model_ref}: no model there.",
                        "Give the final checkpoint of a succeeded job, or a Hugging Face model folder.")
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    from tools.local.tiny import SIMPLE_CHAT_TEMPLATE

    hf_logging.disable_progress_bar()
    meta = checkpoint_meta(path)
    model: Any
    if meta.get("adapter") or (path / "adapter_config.json").is_file():
        from peft import PeftModel

        base = AutoModelForCausalLM.from_pretrained(base_of(key))
        model = PeftModel.from_pretrained(base, key)
    else:
        model = AutoModelForCausalLM.from_pretrained(key)
    model.eval()
    tokenizer = AutoTokenizer.from_pretrained(key)
    if not tokenizer.chat_template:
        tokenizer.chat_template = SIMPLE_CHAT_TEMPLATE
    _CACHE[key] = (model, tokenizer)
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return model, tokenizer


def predict(endpoint: str, prompt: str, max_tokens: int = 256, system: str | None = None) -> str:
    """The model's answer to one user prompt (greedy, so the same prompt gives the same answer)."""
    import torch

    model, tokenizer = load(endpoint)
    turns = [{"role": "system", "content": system}] if system else []
    turns.append({"role": "user", "content": prompt})
    text = tokenizer.apply_chat_template(turns, tokenize=False, add_generation_prompt=True,
                                         enable_thinking=False)
    enc = tokenizer(text, add_special_tokens=False, return_tensors="pt")
    with torch.no_grad():
        out = model.generate(**enc, max_new_tokens=max_tokens, do_sample=False,
                             pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id)
    answer = tokenizer.decode(out[0, enc["input_ids"].shape[1]:], skip_special_tokens=True)
    return str(answer).strip()


def sample_prompts(path: str | Path, n: int = 3) -> list[dict[str, str]]:
    """The first `n` distinct user prompts of a prepared file with their expected answers (for a comparison)."""
    from tools.data.heldout import distinct_prompts

    return distinct_prompts(({"prompt": next((t["content"] for t in turns if t["role"] == "user"), ""),
                              "expected": next((t["content"] for t in turns if t["role"] == "assistant"), "")}
                             for turns in read_examples(path)), n)


def compare(base: str, tuned: str, prompts: list[str], max_tokens: int = 128) -> list[dict[str, str]]:
    """Side by side answers of the base model and the tuned one, prompt by prompt."""
    return [{"prompt": p, "base": predict(base, p, max_tokens), "tuned": predict(tuned, p, max_tokens)}
            for p in prompts]
