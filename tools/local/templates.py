"""Chat templates that fit the model, the tokens that end a turn, and answers without markers.

A tokenizer's own template is always used when it has one. Gemma-family models without one
(the pretrained GGUF carries none) get Gemma's turn format, whose `<end_of_turn>` the base model
already knows; anything else gets a plain `<|role|>` format that ends turns with the tokenizer's
own end-of-sequence token, so generation stops where the tuned answer ends. Template markers
never pass as text: they are removed from dataset turns before rendering, and cut from answers.
"""

from __future__ import annotations

from typing import Any

from tools.local.tiny import SIMPLE_CHAT_TEMPLATE

#: Gemma's turn format. Gemma has no system role: a system turn is put before the first user turn.
GEMMA_CHAT_TEMPLATE = (
    "{{ bos_token }}{% set ns = namespace(system='') %}"
    "{% for m in messages %}"
    "{% if m['role'] == 'system' %}{% set ns.system = m['content'] + '\n\n' %}"
    "{% elif m['role'] == 'user' %}<start_of_turn>user\n{{ ns.system }}{{ m['content'] }}<end_of_turn>\n"
    "{% set ns.system = '' %}"
    "{% else %}<start_of_turn>model\n{{ m['content'] }}<end_of_turn>\n{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)

#: A neutral format for tokenizers with no template: each turn ends with the eos token.
EOS_CHAT_TEMPLATE = (
    "{% for m in messages %}"
    "<|{{ m['role'] }}|>\n{{ m['content'] }}{{ eos_token }}\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)

#: Text that marks turns in the formats we meet; an answer is cut where one appears.
TURN_MARKERS = ("<start_of_turn>", "<end_of_turn>", "<|eot_id|>", "<|start_header_id|>",
                "<|end_header_id|>", "<|im_start|>", "<|im_end|>", "<|end|>", "<|user|>",
                "<|assistant|>", "<|system|>", "<|model|>", "<|endoftext|>", "</s>", "<eos>")


def is_gemma(tokenizer: Any, model_type: str | None = None) -> bool:
    """Gemma family: by the model's config type, else by Gemma's turn tokens in the vocabulary."""
    if model_type and model_type.lower().startswith("gemma"):
        return True
    vocab = tokenizer.get_vocab()
    return "<start_of_turn>" in vocab and "<end_of_turn>" in vocab


def ensure_chat_template(tokenizer: Any, model_type: str | None = None) -> str:
    """Give `tokenizer` a template when it has none; returns which one it now uses."""
    if tokenizer.chat_template:
        return "own"
    if is_gemma(tokenizer, model_type):
        tokenizer.chat_template = GEMMA_CHAT_TEMPLATE
        return "gemma"
    if tokenizer.eos_token == "<|end|>":
        tokenizer.chat_template = SIMPLE_CHAT_TEMPLATE
        return "simple"
    if tokenizer.eos_token is None:
        tokenizer.eos_token = tokenizer.pad_token or "<|end|>"
    tokenizer.chat_template = EOS_CHAT_TEMPLATE
    return "eos"


def _probe(tokenizer: Any) -> str:
    turns = [{"role": "user", "content": "PROBE_Q"}, {"role": "assistant", "content": "PROBE_A"}]
    try:
        text = tokenizer.apply_chat_template(turns, tokenize=False)
    except Exception:  # a template that needs other roles or arguments
        return ""
    return str(text)


def _single_token_id(tokenizer: Any, text: str) -> int | None:
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    return int(ids[0]) if len(ids) == 1 else None


def stop_token_ids(tokenizer: Any) -> list[int]:
    """Ids that end an answer: eos, plus the marker the template writes right after an assistant turn."""
    out: list[int] = []
    if tokenizer.eos_token_id is not None:
        out.append(int(tokenizer.eos_token_id))
    rendered = _probe(tokenizer)
    after = rendered.split("PROBE_A", 1)[1] if "PROBE_A" in rendered else ""
    for marker in TURN_MARKERS:
        if marker and after.lstrip().startswith(marker):
            token = _single_token_id(tokenizer, marker)
            if token is not None and token not in out:
                out.append(token)
    return out


def markers(tokenizer: Any) -> list[str]:
    """Every string that must not appear as text: the tokenizer's special tokens and known turn markers."""
    found = set(TURN_MARKERS)
    found.update(str(t) for t in getattr(tokenizer, "all_special_tokens", []) or [] if t)
    return sorted(found, key=len, reverse=True)


def strip_markers(text: str, tokenizer: Any) -> str:
    """`text` with every template marker removed (dataset content must never carry them)."""
    for marker in markers(tokenizer):
        if marker in text:
            text = text.replace(marker, "")
    return text


def clean_answer(text: str, tokenizer: Any) -> str:
    """The answer up to the first turn marker (a base model may start another turn), without markers."""
    found = markers(tokenizer)
    text = text.strip()
    leading = True
    while leading:  # markers before any text (a stray bos, a repeated turn start) are dropped
        leading = False
        for marker in found:
            if text.startswith(marker):
                text, leading = text[len(marker):].lstrip(), True
    cut = len(text)
    for marker in found:
        at = text.find(marker)
        if 0 <= at < cut:
            cut = at
    return text[:cut].strip()
