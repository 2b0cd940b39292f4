"""A conversation's title from what it is about: the purpose and the dataset.

One function so every place that names a thread says the same thing: `tuning-agent threads`
and (once the server writes it) the thread metadata that Agent Chat UI's history lists.
"""

from __future__ import annotations

import re

#: "I want to tune a model to …", "Fine-tune a model for …", "I'd like to train a model that …"
_LEAD_IN = re.compile(
    r"^\s*(?:(?:i(?:\s+want|\s+would\s+like|'d\s+like|\s+need)|please|help\s+me)\s+(?:to\s+)?)?"
    r"(?:fine[\s-]?tune|tune|train)\s+(?:a\s+|an\s+|the\s+)?(?:\w+\s+)?(?:model|llm)\s+"
    r"(?:to\s+|for\s+|that\s+|on\s+|so\s+it\s+can\s+)?",
    re.IGNORECASE)

MAX_TITLE = 60


def conversation_title(purpose: str | None, dataset: str | None = None) -> str:
    """"Answer support questions · support.csv"; "New conversation" when nothing is known yet."""
    text = " ".join((purpose or "").split())
    stripped = _LEAD_IN.sub("", text).rstrip(" .!")
    text = stripped or text
    if text:
        text = text[0].upper() + text[1:]
    name = _dataset_name(dataset)
    if name:
        text = f"{text} · {name}" if text else name
    if not text:
        return "New conversation"
    return text if len(text) <= MAX_TITLE else text[:MAX_TITLE - 1] + "…"


def _dataset_name(source: str | None) -> str:
    """The file's name from a path or URI (`gs://b/x/train.jsonl` → `train.jsonl`); a HF id stays whole."""
    if not source:
        return ""
    source = source.strip().rstrip("/")
    if "://" in source or source.startswith(("/", ".", "~")) or "\\" in source:
        return re.split(r"[/\\]", source)[-1]
    return source
