"""Answer prompts with a locally tuned model ("deploy" on the local platform).

An endpoint here is the path of a final checkpoint. Its `tuning_agent.json` says whether
it holds a LoRA adapter (then the base named there is loaded under it) or full weights.
Loaded models are kept in-process (the two most recent) so a chat of several prompts
does not reload them.
"""

from __future__ import annotations

import json
import re
from collections import Counter, OrderedDict
from dataclasses import dataclass
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

    from tools.local.templates import ensure_chat_template

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
    ensure_chat_template(tokenizer, getattr(model.config, "model_type", None))
    _CACHE[key] = (model, tokenizer)
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return model, tokenizer


@dataclass(frozen=True)
class Answer:
    """One generation: the cleaned text, and why it is empty when it is."""

    text: str
    new_tokens: int
    raw: str

    @property
    def why_empty(self) -> str | None:
        if self.text:
            return None
        if self.new_tokens == 0 or not self.raw.strip():
            return ("the model ended its turn at once (its first token was the end-of-turn token): it has "
                    "not learned to answer this kind of prompt; tune it longer or on more rows")
        return (f"everything it wrote ({self.raw.strip()[:60]!r}) was template markers, which are not "
                "shown; tune it longer or on more rows")


def generate(endpoint: str, prompt: str, max_tokens: int = 256, system: str | None = None) -> Answer:
    """The model's answer to one user prompt (greedy, so the same prompt gives the same answer).

    Generation stops at the template's end-of-turn token; markers never reach the answer.
    """
    import torch

    from tools.local.templates import clean_answer, stop_token_ids

    model, tokenizer = load(endpoint)
    turns = [{"role": "system", "content": system}] if system else []
    turns.append({"role": "user", "content": prompt})
    text = tokenizer.apply_chat_template(turns, tokenize=False, add_generation_prompt=True,
                                         enable_thinking=False)
    enc = tokenizer(text, add_special_tokens=False, return_tensors="pt")
    stops = stop_token_ids(tokenizer)
    with torch.no_grad():
        out = model.generate(**enc, max_new_tokens=max_tokens, do_sample=False, eos_token_id=stops or None,
                             pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id)
    new = [int(t) for t in out[0, enc["input_ids"].shape[1]:]]
    while new and new[-1] in stops:
        new.pop()
    raw = str(tokenizer.decode(new, skip_special_tokens=False))
    return Answer(text=clean_answer(raw, tokenizer), new_tokens=len(new), raw=raw)


def predict(endpoint: str, prompt: str, max_tokens: int = 256, system: str | None = None) -> str:
    """The cleaned answer text ('' when the model wrote nothing; `generate` says why)."""
    return generate(endpoint, prompt, max_tokens, system).text


def sample_prompts(path: str | Path, n: int = 3) -> list[dict[str, str]]:
    """The first `n` distinct user prompts of a prepared file with their expected answers (for a comparison)."""
    from tools.data.heldout import distinct_prompts

    return distinct_prompts(({"prompt": next((t["content"] for t in turns if t["role"] == "user"), ""),
                              "expected": next((t["content"] for t in turns if t["role"] == "assistant"), "")}
                             for turns in read_examples(path)), n)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def token_f1(answer: str, expected: str) -> float:
    """Word-overlap F1 between an answer and the expected one (0 to 1; a rough, honest score)."""
    got, want = _words(answer), _words(expected)
    if not got or not want:
        return 0.0
    common = sum((Counter(got) & Counter(want)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(got), common / len(want)
    return 2 * precision * recall / (precision + recall)


def compare(base: str, tuned: str, prompts: list[str], max_tokens: int = 128,
            expected: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Side by side answers of the base model and the tuned one, prompt by prompt; with the
    expected answer and each answer's token F1 against it when `expected` has the prompt."""
    rows: list[dict[str, Any]] = []
    for prompt in prompts:
        row: dict[str, Any] = {"prompt": prompt, "base": predict(base, prompt, max_tokens),
                               "tuned": predict(tuned, prompt, max_tokens)}
        if expected and prompt in expected:
            row["expected"] = expected[prompt]
            row["base_f1"] = round(token_f1(row["base"], row["expected"]), 2)
            row["tuned_f1"] = round(token_f1(row["tuned"], row["expected"]), 2)
        rows.append(row)
    return rows
