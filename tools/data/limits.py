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
        names = ", ".join(m.display_name for m in suggestion.alternatives)
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
        return SplitLimits(limits.gemini_validation_max_rows,
                           max_rows_ratio=limits.gemini_validation_max_ratio, rows_ratio_above=1000)
    return SplitLimits(limits.validation_max_rows, max_bytes_ratio=limits.validation_max_bytes_ratio)


# -- resource limits: what one dataset may cost this machine -----------------------------------
#
# A dataset is untrusted input: a 4 KB Parquet file can expand to gigabytes, a CSV header can
# name 100,000 columns, a JSON array is parsed whole. These limits are checked before the
# work (from the header, the schema or the Parquet metadata), so a refusal costs almost
# nothing, and each refusal says which limit was hit and how to proceed.

#: Columns a dataset may have (a tuning example uses two or three).
MAX_COLUMNS = 1000
#: Uncompressed bytes of one Parquet row, on average over a row group (one example, all fields).
MAX_ROW_BYTES = 8 * 1024 * 1024
#: Uncompressed bytes of one Parquet column chunk (a reader holds one decompressed at a time).
MAX_PARQUET_CHUNK_BYTES = 256 * 1024 * 1024
#: Uncompressed bytes of a whole Parquet file.
MAX_PARQUET_FILE_BYTES = 32 * 1024 * 1024 * 1024
#: Bytes of decoded records one Parquet batch may hold (the batch size follows from the row size).
PARQUET_BATCH_BYTES = 16 * 1024 * 1024
#: A plain JSON file (parsed whole, unlike JSONL) on a server; the terminal allows 1 GiB.
SERVER_MAX_JSON_BYTES = 64 * 1024 * 1024
#: Set by the server (agent/server.py) so its worker processes apply the server limits too.
SERVER_MODE_ENV = "TUNING_AGENT_SERVER"


def server_mode() -> bool:
    import os

    return os.environ.get(SERVER_MODE_ENV, "") == "1"


def check_columns(name: str, count: int, where: str = "the header") -> None:
    """Refuse more than `MAX_COLUMNS` columns, before any row is read."""
    if count > MAX_COLUMNS:
        raise DataError(f"{name}: {where} has {count:,} columns; the limit is {MAX_COLUMNS:,} (column count)",
                        "Keep only the prompt, answer (and system) columns, e.g. with "
                        "`cut -d, -f1,2 IN > OUT` or pandas, and use that file.")


def json_max_bytes(default: int) -> int:
    """How big a plain JSON file may be: `default` in the terminal, less on a shared server."""
    return min(default, SERVER_MAX_JSON_BYTES) if server_mode() else default


def check_nul(name: str, raw: bytes, line: int) -> None:
    """Refuse a NUL byte in a text line (it would reach the training data), naming its line."""
    col = raw.find(b"\x00")
    if col >= 0:
        raise DataError(f"{name}: line {line}, byte {col + 1}: a NUL byte (\\0), which text data cannot contain",
                        "Remove the NUL bytes (e.g. `tr -d '\\000' < IN > OUT`) or fix the program that "
                        "wrote the file.")


def parquet_batch_rows(name: str, metadata: Any) -> int:
    """Check a Parquet file's sizes from its metadata alone; the rows per batch that fit in memory.

    Refuses a file whose uncompressed size, any column chunk or average row exceeds the
    limits above (a "zip bomb" is caught here: a few KB on disk, gigabytes decompressed).
    """
    total = 0
    widest_row = 1
    for g in range(metadata.num_row_groups):
        group = metadata.row_group(g)
        size = group.total_byte_size
        total += size
        rows = max(group.num_rows, 1)
        widest_row = max(widest_row, size // rows)
        if size // rows > MAX_ROW_BYTES:
            raise DataError(f"{name}: row group {g + 1} holds {size / rows / 2**20:,.1f} MiB per row once "
                            f"decompressed; the limit is {MAX_ROW_BYTES // 2**20} MiB per row (row size)",
                            "A tuning example is far smaller: check that the right columns were written, "
                            "or drop the oversized rows.")
        for c in range(group.num_columns):
            chunk = group.column(c).total_uncompressed_size
            if chunk > MAX_PARQUET_CHUNK_BYTES:
                raise DataError(f"{name}: column {group.column(c).path_in_schema!r} in row group {g + 1} is "
                                f"{chunk / 2**20:,.0f} MiB once decompressed; the limit is "
                                f"{MAX_PARQUET_CHUNK_BYTES // 2**20} MiB per column chunk (Parquet chunk size)",
                                "Rewrite the file with smaller row groups (e.g. pyarrow's row_group_size=10000).")
    if total > MAX_PARQUET_FILE_BYTES:
        raise DataError(f"{name}: {total / 2**30:,.1f} GiB once decompressed; the limit is "
                        f"{MAX_PARQUET_FILE_BYTES // 2**30} GiB per file (file size)",
                        "Split the data into several files and tune on a sample first.")
    return int(max(1, min(2048, PARQUET_BATCH_BYTES // widest_row)))
