"""Held-out examples for side-by-side comparisons: distinct prompts only.

A comparison that shows the same prompt three times (a dataset with a constant or
repeated prompt) tells nothing; prompts are compared after folding case and spaces.
"""

from __future__ import annotations

from collections.abc import Iterable


def prompt_key(prompt: str) -> str:
    """What makes two prompts "the same" for a comparison: case and runs of whitespace ignored."""
    return " ".join(prompt.split()).casefold()


def distinct_prompts(rows: Iterable[dict[str, str]], n: int) -> list[dict[str, str]]:
    """The first `n` rows (each with a `prompt`) whose prompts differ; fewer if the data has fewer."""
    seen: set[str] = set()
    out: list[dict[str, str]] = []
    for row in rows:
        key = prompt_key(row.get("prompt", ""))
        if not key or key in seen:
            continue
        seen.add(key)
        out.append(row)
        if len(out) >= n:
            break
    return out
