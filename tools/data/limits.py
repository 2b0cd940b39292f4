"""Catalog figures the dataset engine enforces: per-model example length and the validation-file limits.

Read from `knowledge` (never hard-coded here), so a catalog update changes the checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tools.errors import DataError


@dataclass(frozen=True)
class LengthLimit:
    """The longest example a model accepts, in tokens, and how characters are turned into tokens."""

    model: str
    max_tokens: int
    tokens_per_char: float

    def max_chars(self) -> int:
        return int(self.max_tokens / self.tokens_per_char)


@dataclass(frozen=True)
class SplitLimits:
    """Validation-file limits: rows, bytes relative to training, rows relative to training."""

    target: str
    max_rows: int
    max_bytes_ratio: float | None = None
    max_rows_ratio: float | None = None
    rows_ratio_above: int = 0  # the rows ratio applies only above this many validation rows


def resolve_model(name: str) -> Any:
    """The catalog entry for `name`, or a DataError naming the nearest supported choices."""
    from knowledge import find_model, nearest_supported

    model = find_model(name)
    if model is None:
        suggestion = nearest_supported(name)
        names = ", ".join(getattr(m, "display_name", str(m)) for m in suggestion.alternatives)
        raise DataError(f"unknown model {name!r}: {suggestion.message}",
                        f"Try one of: {names}" if names else "Run `tuning-agent models` to list them.")
    return model


def tokens_per_char(model: Any, mode: str | None = None) -> float | None:
    """The catalog's tokens-per-character ratio for a model (and mode, for open models)."""
    if model.category == "gemini":
        return float(model.tokens_per_char)
    if model.category == "open":
        modes = model.modes
        if mode and mode in modes and modes[mode].tokens_per_char:
            return float(modes[mode].tokens_per_char)
        # Mode unknown: the smallest ratio, so no example that fits in some mode is dropped as too long
        # (e.g. Llama: FULL 0.247 vs PEFT 0.317 tokens per character).
        ratios = [float(spec.tokens_per_char) for spec in modes.values() if spec.tokens_per_char]
        return min(ratios) if ratios else None
    return None


#: Used when the catalog has no tokens-per-character ratio for a model (about 4 characters per token).
DEFAULT_TOKENS_PER_CHAR = 0.25


def length_limit(name: str | None) -> LengthLimit | None:
    """Max tokens per example (open: max_seq_len; Gemini: max_example_tokens); None without a model."""
    if not name:
        return None
    model = resolve_model(name)
    ratio = tokens_per_char(model) or DEFAULT_TOKENS_PER_CHAR
    if model.category == "open":
        return LengthLimit(model.display_name, model.max_seq_len, ratio)
    if model.category == "gemini":
        return LengthLimit(model.display_name, model.max_example_tokens, ratio)
    return None


def split_limits(target: str) -> SplitLimits:
    """Validation limits for a target format: Gemini's for `gemini`, the open-model ones otherwise."""
    from knowledge import load_catalog

    limits = load_catalog().limits
    if target == "gemini":
        return SplitLimits(target, limits.gemini_validation_max_rows,
                           max_rows_ratio=limits.gemini_validation_max_ratio, rows_ratio_above=1000)
    return SplitLimits(target, limits.validation_max_rows, max_bytes_ratio=limits.validation_max_bytes_ratio)
