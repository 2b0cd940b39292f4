"""Turn prepared JSONL rows into chat turns, and chat turns into token ids with assistant-only labels.

The three shapes the tuning service accepts are all read here — `messages`,
`prompt`/`completion` and Gemini `contents` — so a file prepared for Vertex tunes
locally unchanged. Loss is taken only on assistant turns: every other token is
labelled -100, which is what makes the tuned model answer rather than echo prompts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tools.errors import DataError

Turn = dict[str, str]  # {"role": "system"|"user"|"assistant", "content": str}
IGNORE = -100

_ROLE_ALIASES = {"model": "assistant", "assistant": "assistant", "user": "user", "system": "system",
                 "human": "user", "bot": "assistant"}


def _parts_text(parts: Any, where: str) -> str:
    if not isinstance(parts, list):
        raise DataError(f"{where}: `parts` must be a list of {{\"text\": …}} objects.",
                        "Prepare the dataset again with `tuning-agent data prepare`.")
    texts = [p.get("text") for p in parts if isinstance(p, dict)]
    if not texts or any(not isinstance(t, str) for t in texts):
        raise DataError(f"{where}: only text parts can be tuned locally.",
                        "Remove image, file or function parts from this row.")
    return "".join(t for t in texts if isinstance(t, str))


def record_to_turns(record: Any, where: str) -> list[Turn]:
    """Convert one JSONL record (any of the three accepted shapes) to chat turns."""
    if not isinstance(record, dict):
        raise DataError(f"{where}: each line must be a JSON object.", "Check the file was prepared.")
    if "messages" in record:
        turns: list[Turn] = []
        for i, msg in enumerate(record["messages"] or []):
            role = _ROLE_ALIASES.get(str(msg.get("role", "")).lower()) if isinstance(msg, dict) else None
            content = msg.get("content") if isinstance(msg, dict) else None
            if role is None or not isinstance(content, str):
                raise DataError(f"{where}, messages[{i}]: needs a role (system/user/assistant) and "
                                "text content.", "Fix or drop this row.")
            turns.append({"role": role, "content": content})
    elif "contents" in record:
        turns = []
        system = record.get("systemInstruction") or record.get("system_instruction")
        if system:
            turns.append({"role": "system",
                          "content": _parts_text(system.get("parts"), f"{where}, systemInstruction")})
        for i, msg in enumerate(record["contents"] or []):
            role = _ROLE_ALIASES.get(str(msg.get("role", "")).lower()) if isinstance(msg, dict) else None
            if role is None:
                raise DataError(f"{where}, contents[{i}]: role must be `user` or `model`.",
                                "Fix or drop this row.")
            turns.append({"role": role, "content": _parts_text(msg.get("parts"), f"{where}, contents[{i}]")})
    elif "prompt" in record and "completion" in record:
        prompt, completion = record["prompt"], record["completion"]
        if not isinstance(prompt, str) or not isinstance(completion, str):
            raise DataError(f"{where}: `prompt` and `completion` must be strings.", "Fix or drop this row.")
        turns = []
        if isinstance(record.get("system"), str) and record["system"]:
            turns.append({"role": "system", "content": record["system"]})
        turns += [{"role": "user", "content": prompt}, {"role": "assistant", "content": completion}]
    else:
        raise DataError(f"{where}: unknown row shape (keys: {', '.join(sorted(record)) or 'none'}).",
                        "Rows need `messages`, `prompt`+`completion`, or Gemini `contents`.")
    if not any(t["role"] == "assistant" for t in turns):
        raise DataError(f"{where}: no assistant/model turn to learn from.", "Fix or drop this row.")
    return turns


def read_examples(path: str | Path) -> list[list[Turn]]:
    """Read a prepared JSONL file into a list of conversations; errors name file and line."""
    p = Path(path)
    if not p.is_file():
        raise DataError(f"{p}: file not found.", "Upload the prepared dataset first.")
    out: list[list[Turn]] = []
    with p.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise DataError(f"{p}, line {n}, column {err.colno}: invalid JSON ({err.msg}).",
                                "Prepare the dataset again with `tuning-agent data prepare`.") from None
            out.append(record_to_turns(record, f"{p}, line {n}"))
    if not out:
        raise DataError(f"{p}: no examples.", "The training file must hold at least one row.")
    return out


def _assistant_spans(tokenizer: Any, turns: list[Turn], full: str) -> list[tuple[int, int]]:
    """Character spans of `full` (the rendered conversation) that the model should learn to write.

    Each assistant turn's span runs from the end of the rendered prompt before it (with the
    generation prompt) to the end of the rendering that includes it, so end-of-turn markers
    are learned too. Templates without that prefix property fall back to the content itself.
    """
    spans: list[tuple[int, int]] = []
    cursor = 0
    for i, turn in enumerate(turns):
        if turn["role"] != "assistant":
            continue
        before = tokenizer.apply_chat_template(turns[:i], tokenize=False, add_generation_prompt=True) \
            if i else ""
        upto = tokenizer.apply_chat_template(turns[: i + 1], tokenize=False)
        if upto.startswith(before) and full.startswith(upto) and len(upto) > len(before):
            spans.append((len(before), len(upto)))
            cursor = len(upto)
            continue
        start = full.find(turn["content"], cursor)
        if start < 0:
            continue
        end = start + len(turn["content"])
        eos = tokenizer.eos_token or ""
        if eos and full.startswith(eos, end):
            end += len(eos)
        spans.append((start, end))
        cursor = end
    return spans


def encode(tokenizer: Any, turns: list[Turn], max_len: int) -> tuple[list[int], list[int]]:
    """Token ids and labels (-100 outside assistant turns), truncated to `max_len` tokens."""
    from tools.local.templates import strip_markers

    turns = [{"role": t["role"], "content": strip_markers(t["content"], tokenizer)} for t in turns]
    full = tokenizer.apply_chat_template(turns, tokenize=False)
    enc = tokenizer(full, add_special_tokens=False, return_offsets_mapping=True)
    ids: list[int] = list(enc["input_ids"])
    spans = _assistant_spans(tokenizer, turns, full)
    labels = []
    for tok, (start, end) in zip(ids, enc["offset_mapping"], strict=True):
        inside = any(s <= start < e or (start == end and s <= start < e) for s, e in spans)
        labels.append(tok if inside else IGNORE)
    return ids[:max_len], labels[:max_len]
