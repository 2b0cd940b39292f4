"""Reading the three prepared shapes into chat turns, and label masking (loss on assistant turns only)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.local_fixtures import SYSTEM, qa_record, write_rows
from tools.errors import DataError
from tools.local.examples import IGNORE, encode, read_examples, record_to_turns
from tools.local.tiny import build_tiny

CHATML = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
          "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
# Marks the final turn differently, so rendering a prefix of the chat is not a prefix of the whole.
LAST_MARKED = ("{% for m in messages %}{% if loop.last %}#{% endif %}<|{{ m['role'] }}|>\n{{ m['content'] }}"
               "<|end|>\n{% endfor %}{% if add_generation_prompt %}<|assistant|>\n{% endif %}")


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from transformers import AutoTokenizer

    folder = tmp_path_factory.mktemp("tiny")
    texts = [t["content"] for c in ("France", "Peru", "Japan")
             for t in record_to_turns(qa_record(c, "messages"), "x")] * 20
    build_tiny(folder, texts)
    return AutoTokenizer.from_pretrained(folder)


def test_three_shapes_give_the_same_turns(tmp_path: Path) -> None:
    expected = record_to_turns(qa_record("Peru", "messages"), "x")
    assert expected[0] == {"role": "system", "content": SYSTEM}
    assert expected[-1] == {"role": "assistant", "content": "The capital of Peru is Lima."}
    assert record_to_turns(qa_record("Peru", "gemini"), "x") == expected
    assert record_to_turns(qa_record("Peru", "prompt_completion"), "x") == expected[1:]
    for fmt in ("messages", "prompt_completion", "gemini"):
        rows = read_examples(write_rows(tmp_path / f"{fmt}.jsonl", fmt, 7))
        assert len(rows) == 7 and all(r[-1]["role"] == "assistant" for r in rows)


@pytest.mark.parametrize(("line", "message"), [
    ("not json", r"line 2, column 1: invalid JSON"),
    ('{"text": "hello"}', r"line 2: unknown row shape \(keys: text\)"),
    ('{"messages": [{"role": "user", "content": "hi"}]}', r"line 2: no assistant/model turn"),
    ('{"contents": [{"role": "robot", "parts": [{"text": "x"}]}]}', r"line 2, contents\[0\]: role"),
    ('{"contents": [{"role": "user", "parts": [{"fileData": {}}]}]}', r"only text parts"),
    ('{"prompt": 1, "completion": "x"}', r"must be strings"),
])
def test_bad_rows_name_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(qa_record("Peru", "prompt_completion")) + "\n" + line + "\n")
    with pytest.raises(DataError, match=message) as err:
        read_examples(path)
    assert str(path) in str(err.value)


def _learned_text(tokenizer: Any, ids: list[int], labels: list[int]) -> str:
    return str(tokenizer.decode([i for i, lab in zip(ids, labels, strict=True) if lab != IGNORE]))


@pytest.mark.parametrize("template", [None, CHATML, LAST_MARKED])
def test_loss_only_on_assistant_tokens(tokenizer: Any, template: str | None) -> None:
    if template:
        tokenizer = tokenizer.__class__.from_pretrained(tokenizer.name_or_path)
        tokenizer.chat_template = template
    turns = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is the capital of Peru?"},
             {"role": "assistant", "content": "Lima."}, {"role": "user", "content": "And of Japan?"},
             {"role": "assistant", "content": "Tokyo."}]
    ids, labels = encode(tokenizer, turns, 512)
    assert len(ids) == len(labels)
    learned = _learned_text(tokenizer, ids, labels)
    assert "Lima." in learned and "Tokyo." in learned
    for other in ("Be brief", "capital of Peru", "And of Japan", "system", "user"):
        assert other not in learned
    # Every labelled token is the token itself (next-token shift happens inside the model).
    assert all(lab in (IGNORE, tok) for tok, lab in zip(ids, labels, strict=True))
    # The end-of-turn marker after each answer is learned too, so generation stops.
    end = "<|im_end|>" if template == CHATML else "<|end|>"
    # The fallback (LAST_MARKED) learns the content plus the eos token, without the newline after it.
    sep = "" if template == LAST_MARKED else "\n"
    assert learned == f"Lima.{end}{sep}Tokyo.{end}{sep}"


def test_truncation_keeps_ids_and_labels_aligned(tokenizer: Any) -> None:
    turns = record_to_turns(qa_record("Japan", "messages"), "x")
    ids, labels = encode(tokenizer, turns, 5)
    assert len(ids) == len(labels) == 5 and all(lab == IGNORE for lab in labels)
