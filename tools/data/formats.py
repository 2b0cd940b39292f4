"""The three target formats: write a neutral conversation as one JSONL record, and check one record.

- `messages`: `{"messages": [{"role": "system"|"user"|"assistant", "content": str}, ...]}`
- `prompt_completion`: `{"prompt": str, "completion": str}` (one exchange; a system prompt is
  put in front of the prompt, since the format has no place for it)
- `gemini`: `{"systemInstruction": {"parts": [{"text": str}]}, "contents": [{"role": "user"|"model",
  "parts": [{"text": str}]}, ...]}`
"""

from __future__ import annotations

from typing import Any

from tools.data.shapes import Conversation, Drop

MULTI_TURN = "multi-turn (prompt_completion holds one exchange)"

# Problem kinds reported by `check_record` (and by the validator for whole lines).
INVALID_JSON = "invalid JSON"
NOT_OBJECT = "not an object"
WRONG_SHAPE = "wrong shape"
UNKNOWN_ROLE = "unknown role"
ROLE_ORDER = "roles out of order"
NOT_ENDING = "does not end with the model's turn"
EMPTY = "empty content"
NON_STRING = "non-string content"
TOO_LONG = "too long"
DUPLICATE = "duplicate"
BLANK_LINE = "blank line"
LINE_TOO_LONG = "line too long"

Found = tuple[str, str, str | None]  # (kind, message, field)


def render(conv: Conversation, target: str) -> dict[str, Any]:
    """One output record in `target` format."""
    system, turns = conv
    if target == "messages":
        msgs = [{"role": "system", "content": system}] if system else []
        msgs.extend({"role": role, "content": text} for role, text in turns)
        return {"messages": msgs}
    if target == "prompt_completion":
        if len(turns) != 2:
            raise Drop(MULTI_TURN)
        prompt = f"{system}\n\n{turns[0][1]}" if system else turns[0][1]
        return {"prompt": prompt, "completion": turns[1][1]}
    if target == "gemini":
        out: dict[str, Any] = {}
        if system:
            out["systemInstruction"] = {"parts": [{"text": system}]}
        out["contents"] = [{"role": "user" if role == "user" else "model", "parts": [{"text": text}]}
                           for role, text in turns]
        return out
    raise ValueError(f"unknown target format {target!r}")


def conversation_chars(conv: Conversation) -> int:
    system, turns = conv
    return (len(system) if system else 0) + sum(len(t) for _, t in turns)


def _text_problem(value: Any, field: str) -> Found | None:
    if not isinstance(value, str):
        kind = EMPTY if value is None else NON_STRING
        return kind, f"{field} is {'missing' if value is None else type(value).__name__}, not text", field
    if not value or value.isspace():
        return EMPTY, f"{field} is empty", field
    return None


_ROLE_SEQUENCES: dict[tuple[Any, ...], bool] = {}


def _valid_roles(roles: tuple[Any, ...], user: str, model: str, system: str | None) -> bool:
    """Whether a role sequence is well formed (cached: real datasets use a handful of sequences)."""
    key = (user, model, system, *roles)
    known = _ROLE_SEQUENCES.get(key)
    if known is not None:
        return known
    i = 0
    if system is not None:
        while i < len(roles) and roles[i] == system:
            i += 1
    rest = roles[i:]
    ok = bool(rest) and len(rest) % 2 == 0 and all(
        r == (user if j % 2 == 0 else model) for j, r in enumerate(rest))
    if len(_ROLE_SEQUENCES) < 10_000:
        _ROLE_SEQUENCES[key] = ok
    return ok


def _texts_ok(texts: list[Any]) -> int | None:
    total = 0
    for text in texts:
        if type(text) is not str or not text or text.isspace():
            return None
        total += len(text)
    return total


def fast_chars(obj: Any, target: str) -> int | None:
    """Character count of a record that is certainly valid for `target`; None means "check it fully".

    The common case (a well-formed row) costs a few list comprehensions and one cached
    lookup of its role sequence; any doubt falls back to `check_record`, which explains.
    """
    try:
        if target == "messages":
            msgs = obj["messages"]
            if type(msgs) is not list:
                return None
            roles = tuple([m["role"] for m in msgs])
            if not _valid_roles(roles, "user", "assistant", "system"):
                return None
            return _texts_ok([m["content"] for m in msgs])
        if target == "prompt_completion":
            return _texts_ok([obj["prompt"], obj["completion"]])
        contents = obj["contents"]
        if type(contents) is not list or "system_instruction" in obj:
            return None
        roles = tuple([c["role"] for c in contents])
        if not _valid_roles(roles, "user", "model", None):
            return None
        texts = [p["text"] for c in contents for p in c["parts"]]
        if any(type(c["parts"]) is not list or not c["parts"] for c in contents):
            return None
        instruction = obj.get("systemInstruction")
        if instruction is not None:
            parts = instruction["parts"]
            if type(parts) is not list or not parts:
                return None
            texts.extend(p["text"] for p in parts)
        return _texts_ok(texts)
    except (KeyError, TypeError, IndexError, AttributeError):
        return None


def check_record(obj: Any, target: str,
                 chars_by_role: dict[str, int] | None = None) -> tuple[list[Found], int]:
    """Problems of one parsed line against `target`, and the number of text characters it holds.

    `chars_by_role`, when given, is incremented per role (system/user/assistant), for statistics.
    """
    if not isinstance(obj, dict):
        return [(NOT_OBJECT, "the line is not a JSON object", None)], 0
    if target == "messages":
        return _check_messages(obj, chars_by_role)
    if target == "prompt_completion":
        return _check_prompt_completion(obj, chars_by_role)
    return _check_gemini(obj, chars_by_role)


def _add(counter: dict[str, int] | None, role: str, n: int) -> None:
    if counter is not None:
        counter[role] = counter.get(role, 0) + n


def _check_turn_order(roles: list[str], user: str, model: str, field: str) -> list[Found]:
    found: list[Found] = []
    for i, role in enumerate(roles):
        expected = user if i % 2 == 0 else model
        if role != expected:
            found.append((ROLE_ORDER, f"{field}[{i}] has role {role!r} where {expected!r} was expected "
                          f"(turns must alternate {user}/{model}, starting with {user})",
                          f"{field}[{i}].role"))
            break
    if roles and roles[-1] != model:
        found.append((NOT_ENDING, f"the conversation ends with a {roles[-1]!r} turn; the last turn must be "
                      f"the model's ({model!r})", f"{field}[{len(roles) - 1}].role"))
    return found


def _check_messages(obj: dict[str, Any], counter: dict[str, int] | None) -> tuple[list[Found], int]:
    msgs = obj.get("messages")
    if not isinstance(msgs, list) or not msgs:
        got = "is missing" if msgs is None else ("is empty" if msgs == [] else f"is a {type(msgs).__name__}")
        return [(WRONG_SHAPE, f"'messages' {got}; expected a list of {{role, content}}", "messages")], 0
    found: list[Found] = []
    roles: list[str] = []
    chars = 0
    for i, msg in enumerate(msgs):
        field = f"messages[{i}]"
        if not isinstance(msg, dict):
            found.append((WRONG_SHAPE, f"{field} is not an object", field))
            continue
        role = msg.get("role")
        if role not in ("system", "user", "assistant"):
            found.append((UNKNOWN_ROLE, f"{field}.role is {role!r}; use system, user or assistant",
                          f"{field}.role"))
        elif role == "system":
            if roles:
                found.append((ROLE_ORDER, f"{field} is a system message after the conversation started",
                              f"{field}.role"))
        else:
            roles.append(role)
        content = msg.get("content")
        problem = _text_problem(content, f"{field}.content")
        if problem:
            found.append(problem)
        elif isinstance(role, str) and isinstance(content, str):
            chars += len(content)
            _add(counter, role, len(content))
    if not any(k == UNKNOWN_ROLE for k, _, _ in found):
        found.extend(_check_turn_order(roles, "user", "assistant", "messages") if roles else
                     [(WRONG_SHAPE, "no user or assistant message", "messages")])
    return found, chars


def _check_prompt_completion(obj: dict[str, Any], counter: dict[str, int] | None) -> tuple[list[Found], int]:
    if "prompt" not in obj and "completion" not in obj:
        keys = ", ".join(list(obj)[:6]) or "none"
        return [(WRONG_SHAPE, f"no 'prompt'/'completion' fields (fields: {keys})", None)], 0
    found: list[Found] = []
    chars = 0
    for key, role in (("prompt", "user"), ("completion", "assistant")):
        problem = _text_problem(obj.get(key), key)
        if problem:
            found.append(problem)
        else:
            text = str(obj[key])
            chars += len(text)
            _add(counter, role, len(text))
    return found, chars


def _parts(parts: Any, field: str, counter: dict[str, int] | None, role: str) -> tuple[list[Found], int]:
    if not isinstance(parts, list) or not parts:
        return [(WRONG_SHAPE, f"{field} must be a non-empty list of {{text}} parts", field)], 0
    found: list[Found] = []
    chars = 0
    for j, part in enumerate(parts):
        pfield = f"{field}[{j}]"
        if not isinstance(part, dict) or "text" not in part:
            found.append((WRONG_SHAPE, f"{pfield} has no 'text'", pfield))
            continue
        problem = _text_problem(part["text"], f"{pfield}.text")
        if problem:
            found.append(problem)
        else:
            chars += len(part["text"])
            _add(counter, role, len(part["text"]))
    return found, chars


def _check_gemini(obj: dict[str, Any], counter: dict[str, int] | None) -> tuple[list[Found], int]:
    contents = obj.get("contents")
    if not isinstance(contents, list) or not contents:
        got = "is missing" if contents is None else "is empty" if contents == [] else "is not a list"
        hint = " (this looks like chat 'messages' data)" if "messages" in obj else ""
        return [(WRONG_SHAPE, f"'contents' {got}{hint}; expected a list of {{role, parts}}", "contents")], 0
    found: list[Found] = []
    chars = 0
    roles: list[str] = []
    for i, item in enumerate(contents):
        field = f"contents[{i}]"
        if not isinstance(item, dict):
            found.append((WRONG_SHAPE, f"{field} is not an object", field))
            continue
        role = item.get("role")
        if role not in ("user", "model"):
            extra = " — Gemini data uses 'model', not 'assistant'" if role == "assistant" else ""
            found.append((UNKNOWN_ROLE, f"{field}.role is {role!r}; use 'user' or 'model'{extra}",
                          f"{field}.role"))
        else:
            roles.append(role)
        p_found, p_chars = _parts(item.get("parts"), f"{field}.parts", counter,
                                  "user" if role == "user" else "assistant")
        found.extend(p_found)
        chars += p_chars
    instruction = obj.get("systemInstruction", obj.get("system_instruction"))
    if instruction is not None:
        if not isinstance(instruction, dict):
            found.append((WRONG_SHAPE, "systemInstruction must be an object with parts", "systemInstruction"))
        else:
            p_found, p_chars = _parts(instruction.get("parts"), "systemInstruction.parts", counter, "system")
            found.extend(p_found)
            chars += p_chars
    if not any(k == UNKNOWN_ROLE for k, _, _ in found):
        found.extend(_check_turn_order(roles, "user", "model", "contents"))
    return found, chars
