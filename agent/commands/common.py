"""Small helpers shared by the subcommand modules: JSON output and confirmation."""

from __future__ import annotations

import json
import sys
from typing import Any


def print_json(obj: Any) -> None:
    """Print one JSON object on stdout (pydantic models and paths are converted)."""
    print(json.dumps(obj, indent=2, default=_default, ensure_ascii=False))


def _default(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return str(value)


def confirm(question: str, assume_yes: bool) -> bool:
    """Ask y/N on a terminal; without a terminal only `--yes` says yes."""
    if assume_yes:
        return True
    if not sys.stdin.isatty():
        print(f"{question} — refusing without a terminal; pass --yes to confirm.", file=sys.stderr)
        return False
    answer = input(f"{question} [y/N] ").strip().lower()
    return answer in {"y", "yes"}
