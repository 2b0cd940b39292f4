"""Recognise the shape a dataset already has, and read any record into one neutral conversation.

The neutral form is `(system, [(role, text), ...])` with roles `user` and
`assistant`. Every source shape (chat `messages`, `prompt`/`completion`, Gemini
`contents`, ShareGPT, Alpaca, or plain columns with a mapping) is read into it,
and every target format is written from it, so a conversion never needs N×M rules.
A record that cannot make a usable example raises `Drop` with the reason it is counted under.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from tools.data.models import ColumnMapping, Shape
from tools.errors import DataError

Turns = list[tuple[str, str]]
Conversation = tuple[str | None, Turns]

EMPTY_PROMPT = "empty prompt"
EMPTY_COMPLETION = "empty completion"
EMPTY_TURN = "empty turn"
UNKNOWN_ROLE = "unknown role"
ROLE_ORDER = "roles out of order"
NOT_ENDING = "does not end with a model turn"
NON_TEXT = "non-text content"
NO_TURNS = "no conversation"

_USER = {"user", "human", "prompter", "question"}
_ASSISTANT = {"assistant", "gpt", "model", "bot", "chatbot", "answer"}
_SYSTEM = {"system"}


class Drop(Exception):
    """This record cannot become an example; `reason` is the key it is counted under."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NestedValue(Exception):
    """A mapped column holds a list or object where text was expected."""

    def __init__(self, value: object) -> None:
        super().__init__(type(value).__name__)
        self.value = value


def detect_shape(records: Iterable[dict[str, Any]]) -> Shape:
    """The shape most of the sample records share (`plain` when none is recognised)."""
    votes: dict[Shape, int] = {}
    for rec in records:
        shape = _record_shape(rec)
        votes[shape] = votes.get(shape, 0) + 1
    if not votes:
        return "plain"
    return max(votes, key=lambda s: (votes[s], s != "plain"))


def _record_shape(rec: dict[str, Any]) -> Shape:
    keys = rec.keys()
    if isinstance(rec.get("messages"), list):
        return "messages"
    if isinstance(rec.get("contents"), list):
        return "gemini"
    conv = rec.get("conversations", rec.get("conversation"))
    if isinstance(conv, list):
        first = next((t for t in conv if isinstance(t, dict)), {})
        return "sharegpt" if "from" in first or "value" in first else "messages"
    if "instruction" in keys and "output" in keys:
        return "alpaca"
    if "prompt" in keys and "completion" in keys:
        return "prompt_completion"
    return "plain"


def text_of(value: Any) -> str:
    """A cell as text: None and NaN become "", numbers become their digits, lists/objects are refused."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    if isinstance(value, bool | int):
        return str(value)
    if isinstance(value, list | dict | tuple):
        raise NestedValue(value)
    return str(value)


def _blank(text: str) -> bool:
    return not text or text.isspace()


def _role(raw: Any) -> str:
    role = str(raw).strip().lower() if raw is not None else ""
    if role in _USER:
        return "user"
    if role in _ASSISTANT:
        return "assistant"
    if role in _SYSTEM:
        return "system"
    raise Drop(UNKNOWN_ROLE)


def _content_text(content: Any) -> str:
    """Chat content: a string, or a list of `{type: text, text}` parts (other parts are not text)."""
    if isinstance(content, str):
        return content
    if content is None:
        return ""
    if isinstance(content, list):
        texts = []
        for part in content:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                texts.append(part["text"])
            elif isinstance(part, str):
                texts.append(part)
            else:
                raise Drop(NON_TEXT)
        return "".join(texts)
    if isinstance(content, float) and math.isnan(content):
        return ""
    raise Drop(NON_TEXT)


def _finish(system_parts: list[str], turns: Turns) -> Conversation:
    """Check the order (user first, alternating, model last) and return the conversation."""
    if not turns:
        raise Drop(NO_TURNS)
    for i, (role, text) in enumerate(turns):
        if role != ("user" if i % 2 == 0 else "assistant"):
            raise Drop(ROLE_ORDER)
        if _blank(text):
            raise Drop(EMPTY_TURN)
    if turns[-1][0] != "assistant":
        raise Drop(NOT_ENDING)
    system = "\n\n".join(p for p in system_parts if not _blank(p)) or None
    return system, turns


def _from_role_list(items: list[Any], role_key: str, text_key: str) -> Conversation:
    system_parts: list[str] = []
    turns: Turns = []
    for item in items:
        if not isinstance(item, dict):
            raise Drop(NON_TEXT)
        role = _role(item.get(role_key))
        text = _content_text(item.get(text_key))
        if role == "system":
            if turns:
                raise Drop(ROLE_ORDER)
            system_parts.append(text)
        else:
            turns.append((role, text))
    return _finish(system_parts, turns)


def from_messages(rec: dict[str, Any]) -> Conversation:
    items = rec.get("messages", rec.get("conversations", rec.get("conversation")))
    if not isinstance(items, list):
        raise Drop(NO_TURNS)
    return _from_role_list(items, "role", "content")


def from_sharegpt(rec: dict[str, Any]) -> Conversation:
    items = rec.get("conversations", rec.get("conversation"))
    if not isinstance(items, list):
        raise Drop(NO_TURNS)
    system, turns = _from_role_list(items, "from", "value")
    extra = rec.get("system")
    if isinstance(extra, str) and not _blank(extra):
        system = extra if system is None else f"{extra}\n\n{system}"
    return system, turns


def from_gemini(rec: dict[str, Any]) -> Conversation:
    contents = rec.get("contents")
    if not isinstance(contents, list):
        raise Drop(NO_TURNS)
    turns: Turns = []
    for item in contents:
        if not isinstance(item, dict):
            raise Drop(NON_TEXT)
        role = _role(item.get("role"))
        if role == "system":
            raise Drop(UNKNOWN_ROLE)
        turns.append((role, _parts_text(item.get("parts"))))
    system_parts = []
    instruction = rec.get("systemInstruction", rec.get("system_instruction"))
    if isinstance(instruction, dict):
        system_parts.append(_parts_text(instruction.get("parts")))
    return _finish(system_parts, turns)


def _parts_text(parts: Any) -> str:
    if not isinstance(parts, list):
        return ""
    texts = []
    for part in parts:
        if isinstance(part, dict) and isinstance(part.get("text"), str):
            texts.append(part["text"])
        else:
            raise Drop(NON_TEXT)
    return "".join(texts)


def _pair(system: Any, prompt: Any, completion: Any) -> Conversation:
    prompt_text, completion_text = text_of(prompt), text_of(completion)
    if _blank(prompt_text):
        raise Drop(EMPTY_PROMPT)
    if _blank(completion_text):
        raise Drop(EMPTY_COMPLETION)
    system_text = text_of(system) if system is not None else ""
    turns = [("user", prompt_text), ("assistant", completion_text)]
    return (None if _blank(system_text) else system_text), turns


def from_prompt_completion(rec: dict[str, Any]) -> Conversation:
    return _pair(rec.get("system"), rec.get("prompt"), rec.get("completion"))


def from_alpaca(rec: dict[str, Any]) -> Conversation:
    instruction = text_of(rec.get("instruction"))
    extra = text_of(rec.get("input"))
    joined = f"{instruction}\n\n{extra}" if not _blank(instruction) else extra
    prompt = instruction if _blank(extra) else joined
    return _pair(rec.get("system"), prompt, rec.get("output"))


def mapped_reader(mapping: ColumnMapping) -> Callable[[dict[str, Any]], Conversation]:
    """A reader for plain columns: the mapping names the prompt, completion and system columns."""
    p, c, s = mapping.prompt, mapping.completion, mapping.system

    def read(rec: dict[str, Any]) -> Conversation:
        return _pair(rec.get(s) if s else None, rec.get(p), rec.get(c))

    return read


READERS: dict[str, Callable[[dict[str, Any]], Conversation]] = {
    "messages": from_messages,
    "sharegpt": from_sharegpt,
    "gemini": from_gemini,
    "prompt_completion": from_prompt_completion,
    "alpaca": from_alpaca,
}


def reader_for(shape: Shape, mapping: ColumnMapping | None, source: str,
               columns: list[str]) -> Callable[[dict[str, Any]], Conversation]:
    """Pick how records become conversations: the mapping if given, else the known shape."""
    if mapping is not None:
        missing = [col for col in (mapping.prompt, mapping.completion, mapping.system)
                   if col and columns and col not in columns]
        if missing:
            raise DataError(f"{source}: no column named {', '.join(repr(m) for m in missing)}",
                            "The columns are: " + ", ".join(columns))
        return mapped_reader(mapping)
    if shape == "plain":
        raise DataError(f"{source}: plain columns need a mapping (which column is the prompt, "
                        "which the completion)",
                        "Run `tuning-agent data inspect` to see the recommended columns, then pass "
                        "--prompt-col and --completion-col. Columns: " + ", ".join(columns))
    return READERS[shape]
