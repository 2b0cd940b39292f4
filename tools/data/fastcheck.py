"""The fast path of validation: typed decoding of a whole block of JSONL lines with msgspec.

msgspec checks the shape, the role names and that every text is a non-empty string
while it parses, in C, without building dicts. What it cannot check (role order,
whitespace-only text, length) is checked here with a few C-level passes. Any doubt
returns None and the caller re-checks the block line by line to explain each problem.
"""
# No `from __future__ import annotations`: msgspec reads these annotations at run time.

from collections.abc import Callable
from typing import Annotated, Any, Literal

import msgspec

from tools.data.formats import _valid_roles

Text = Annotated[str, msgspec.Meta(min_length=1)]


class Message(msgspec.Struct, gc=False):
    role: Literal["system", "user", "assistant"]
    content: Text


class MessagesRow(msgspec.Struct, gc=False):
    messages: Annotated[list[Message], msgspec.Meta(min_length=1)]


class PromptRow(msgspec.Struct, gc=False):
    prompt: Text
    completion: Text


class Part(msgspec.Struct, gc=False):
    text: Text


class Content(msgspec.Struct, gc=False):
    role: Literal["user", "model"]
    parts: Annotated[list[Part], msgspec.Meta(min_length=1)]


class Instruction(msgspec.Struct, gc=False):
    parts: Annotated[list[Part], msgspec.Meta(min_length=1)]


class GeminiRow(msgspec.Struct, gc=False):
    contents: Annotated[list[Content], msgspec.Meta(min_length=1)]
    systemInstruction: Instruction | None = None  # the JSON field name
    system_instruction: Instruction | None = None


_DECODERS: dict[str, Any] = {
    "messages": msgspec.json.Decoder(MessagesRow),
    "prompt_completion": msgspec.json.Decoder(PromptRow),
    "gemini": msgspec.json.Decoder(GeminiRow),
}
_ERRORS = (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError)


def _decode(target: str, blob: bytes, n: int) -> list[Any] | None:
    try:
        rows = _DECODERS[target].decode_lines(blob)
    except _ERRORS:
        return None
    return rows if len(rows) == n else None


def messages_chars(blob: bytes, n: int, need_chars: bool) -> list[int] | None:
    rows = _decode("messages", blob, n)
    if rows is None:
        return None
    convs = [r.messages for r in rows]
    if not all(_valid_roles(seq, "user", "assistant", "system")
               for seq in {tuple([m.role for m in c]) for c in convs}):
        return None
    if any(map(str.isspace, [m.content for c in convs for m in c])):
        return None
    return [sum([len(m.content) for m in c]) for c in convs] if need_chars else []


def prompt_completion_chars(blob: bytes, n: int, need_chars: bool) -> list[int] | None:
    rows = _decode("prompt_completion", blob, n)
    if rows is None or any(r.prompt.isspace() or r.completion.isspace() for r in rows):
        return None
    return [len(r.prompt) + len(r.completion) for r in rows] if need_chars else []


def gemini_chars(blob: bytes, n: int, need_chars: bool) -> list[int] | None:
    rows = _decode("gemini", blob, n)
    if rows is None:
        return None
    if not all(_valid_roles(seq, "user", "model", None)
               for seq in {tuple([c.role for c in r.contents]) for r in rows}):
        return None
    out = []
    for r in rows:
        texts = [p.text for c in r.contents for p in c.parts]
        instruction = r.systemInstruction or r.system_instruction
        if instruction is not None:
            texts.extend(p.text for p in instruction.parts)
        if any(map(str.isspace, texts)):
            return None
        out.append(sum(map(len, texts)))
    return out


#: target format → checker(blob of n lines, n, need_chars) → characters per row ([] unless
#: need_chars), or None when in doubt.
CHECKERS: dict[str, Callable[[bytes, int, bool], list[int] | None]] = {
    "messages": messages_chars, "prompt_completion": prompt_completion_chars, "gemini": gemini_chars,
}
