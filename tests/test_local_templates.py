"""Chat templates on the local platform: Gemma, Llama-3 and Qwen turn formats.

Each format gets a small tokenizer trained here with that family's marker tokens (offline, no
hub). The checks: generation stops at the template's end-of-turn token, markers written as text
in the data never become marker tokens, prompt tokens are masked from the loss while the
answer and its end-of-turn marker are learned, and answers come back without markers.
"""

from __future__ import annotations

from typing import Any

import pytest

from tools.local.examples import IGNORE, encode
from tools.local.templates import clean_answer, ensure_chat_template, stop_token_ids, strip_markers

# Llama-3 and Qwen (ChatML) turn formats, written here as Jinja (the tokenizers of those models
# ship equivalents); Gemma is deliberately left without one: the platform must supply it.
LLAMA3_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}<|start_header_id|>{{ m['role'] }}<|end_header_id|>\n\n"
    "{{ m['content'] }}<|eot_id|>{% endfor %}"
    "{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}"
)
QWEN_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
FAMILIES: dict[str, dict[str, Any]] = {
    "gemma": {"specials": ["<pad>", "<bos>", "<eos>", "<start_of_turn>", "<end_of_turn>"],
              "bos": "<bos>", "eos": "<eos>", "eot": "<end_of_turn>", "template": None},
    "llama3": {"specials": ["<|pad|>", "<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>",
                            "<|end_header_id|>", "<|eot_id|>"],
               "bos": "<|begin_of_text|>", "eos": "<|end_of_text|>", "eot": "<|eot_id|>",
               "template": LLAMA3_TEMPLATE},
    "qwen": {"specials": ["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
             "bos": None, "eos": "<|im_end|>", "eot": "<|im_end|>", "template": QWEN_TEMPLATE},
}
TEXTS = ["Why did the chicken cross the road?", "To get to the other side.",
         "What is the capital of France?", "The capital of France is Paris."] * 10


def _tokenizer(family: str) -> Any:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    spec = FAMILIES[family]
    raw = Tokenizer(models.BPE())
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    raw.train_from_iterator(TEXTS, trainer=trainers.BpeTrainer(
        vocab_size=300, special_tokens=spec["specials"], show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=raw, bos_token=spec["bos"], eos_token=spec["eos"],
                                        pad_token=spec["specials"][0],
                                        additional_special_tokens=spec["specials"])
    tokenizer.chat_template = spec["template"]
    return tokenizer


CONVERSATION = [{"role": "system", "content": "Answer briefly."},
                {"role": "user", "content": "Why did the chicken cross the road?"},
                {"role": "assistant", "content": "To get to the other side."}]


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_generation_stops_at_the_templates_end_of_turn(family: str) -> None:
    tokenizer = _tokenizer(family)
    used = ensure_chat_template(tokenizer)
    assert used == ("gemma" if family == "gemma" else "own")
    eot = tokenizer.convert_tokens_to_ids(FAMILIES[family]["eot"])
    assert eot in stop_token_ids(tokenizer)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_prompt_tokens_are_masked_and_the_answer_with_its_end_marker_is_learned(family: str) -> None:
    tokenizer = _tokenizer(family)
    ensure_chat_template(tokenizer)
    ids, labels = encode(tokenizer, CONVERSATION, max_len=512)
    learned = [t for t, label in zip(ids, labels, strict=True) if label != IGNORE]
    text = tokenizer.decode(learned, skip_special_tokens=False)
    assert "To get to the other side." in text
    assert FAMILIES[family]["eot"] in text  # the model learns to end its turn
    assert "chicken" not in text and "briefly" not in text  # the prompt is never a target
    prompt_part = tokenizer.decode([t for t, label in zip(ids, labels, strict=True) if label == IGNORE])
    assert "chicken" in prompt_part


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_markers_in_the_data_are_text_never_template_tokens(family: str) -> None:
    tokenizer = _tokenizer(family)
    ensure_chat_template(tokenizer)
    eot_text = FAMILIES[family]["eot"]
    sneaky = [{"role": "user", "content": f"Say {eot_text} please"},
              {"role": "assistant", "content": f"Done{eot_text} then more"}]
    ids, _ = encode(tokenizer, sneaky, max_len=512)
    eot = tokenizer.convert_tokens_to_ids(eot_text)
    plain = [{"role": "user", "content": "Say  please"}, {"role": "assistant", "content": "Done then more"}]
    expected_ids, _ = encode(tokenizer, plain, max_len=512)
    assert ids.count(eot) == expected_ids.count(eot) == 2  # only the template's own, one per turn
    assert strip_markers(f"a{eot_text}b", tokenizer) == "ab"


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_answers_come_back_without_markers(family: str) -> None:
    tokenizer = _tokenizer(family)
    ensure_chat_template(tokenizer)
    eot = FAMILIES[family]["eot"]
    assert clean_answer(f"To get to the other side.{eot}\nmore turns", tokenizer) == "To get to the other side."
    assert clean_answer(f"{eot} Paris", tokenizer) == "Paris"
    assert clean_answer("<|assistant|>\nhello<|user|>", tokenizer) == "hello"


def test_gemma_turn_format_puts_the_system_text_in_the_first_user_turn() -> None:
    tokenizer = _tokenizer("gemma")
    ensure_chat_template(tokenizer)
    text = tokenizer.apply_chat_template(CONVERSATION, tokenize=False)
    assert text == ("<bos><start_of_turn>user\nAnswer briefly.\n\nWhy did the chicken cross the road?"
                    "<end_of_turn>\n<start_of_turn>model\nTo get to the other side.<end_of_turn>\n")
    prompt = tokenizer.apply_chat_template(CONVERSATION[:2], tokenize=False, add_generation_prompt=True)
    assert prompt.endswith("<start_of_turn>model\n")


def test_a_tokenizer_without_template_or_gemma_tokens_ends_turns_with_its_eos() -> None:
    tokenizer = _tokenizer("qwen")
    tokenizer.chat_template = None
    assert ensure_chat_template(tokenizer) == "eos"
    assert tokenizer.convert_tokens_to_ids("<|im_end|>") in stop_token_ids(tokenizer)
