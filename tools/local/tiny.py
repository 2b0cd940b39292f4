"""Build `local/tiny`: a randomly initialised two-layer causal LM and a tokenizer trained on the user's text.

It exists so the whole local pipeline (prepare → upload → tune → watch → deploy → try)
can be checked on any machine, offline, in seconds. It is a pipeline check, not a
useful model: it only learns to echo the style of the dataset it is tuned on.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

TINY_ID = "local/tiny"

#: Chat template used by `local/tiny` (and given to any tokenizer that has none).
#: Each turn is `<|role|>\n…<|end|>\n`; generation stops at `<|end|>` (the eos token).
SIMPLE_CHAT_TEMPLATE = (
    "{% for m in messages %}"
    "<|{{ m['role'] }}|>\n{{ m['content'] }}<|end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)

SPECIAL_TOKENS = ["<|pad|>", "<|end|>", "<|system|>", "<|user|>", "<|assistant|>", "<|model|>"]

#: Small enough to train a few hundred rows in well under a minute on 2 CPU cores.
TINY_HIDDEN, TINY_LAYERS, TINY_HEADS, TINY_MAX_POSITIONS = 64, 2, 4, 1024


def build_tiny(out_dir: str | Path, texts: Iterable[str], vocab_size: int = 1024, seed: int = 0) -> Path:
    """Train a byte-level BPE tokenizer on `texts`, create the tiny model, and save both to `out_dir`.

    Returns `out_dir`, which then loads with `AutoModelForCausalLM` / `AutoTokenizer` like any
    Hugging Face model folder.
    """
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    raw = Tokenizer(models.BPE())
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=2, special_tokens=SPECIAL_TOKENS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    raw.train_from_iterator(texts, trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=raw, pad_token="<|pad|>", eos_token="<|end|>",
                                        bos_token=None, unk_token=None,
                                        additional_special_tokens=SPECIAL_TOKENS[2:])
    tokenizer.chat_template = SIMPLE_CHAT_TEMPLATE
    tokenizer.save_pretrained(out)

    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id,
                         eos_token_id=tokenizer.eos_token_id, bos_token_id=None,
                         tie_word_embeddings=True, hidden_size=TINY_HIDDEN,
                         intermediate_size=3 * TINY_HIDDEN, num_hidden_layers=TINY_LAYERS,
                         num_attention_heads=TINY_HEADS, num_key_value_heads=TINY_HEADS,
                         max_position_embeddings=TINY_MAX_POSITIONS)
    model = LlamaForCausalLM(config)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.save_pretrained(out)
    return out
