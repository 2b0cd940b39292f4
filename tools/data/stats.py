"""Sizes for cost estimates and recommendations: rows, characters per role, tokens per catalog model.

Works on any source the engine reads (a JSONL in one of the target formats, or a
raw CSV/JSON/Parquet with a mapping); characters are counted over every text
field of the neutral conversation (system, user and model turns).
"""

from __future__ import annotations

import os
from typing import Any

from tools.data import scripts
from tools.data.convert import as_mapping, columns_of, peek
from tools.data.limits import DEFAULT_TOKENS_PER_CHAR, tokens_per_char
from tools.data.models import ColumnMapping, DatasetStats
from tools.data.readers import Progress, RecordReader
from tools.data.shapes import Drop, NestedValue, detect_shape, reader_for
from tools.data.sources import DEFAULT_MAX_LINE_BYTES, StorageDownload, open_source
from tools.errors import DataError


def dataset_stats(path: str | os.PathLike[str], mapping: ColumnMapping | dict[str, Any] | None = None, *,
                  storage_download: StorageDownload | None = None, progress: Progress | None = None,
                  max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> DatasetStats:
    """Rows, characters by role (system/user/assistant) and an estimated token count per catalog model."""
    column_mapping = as_mapping(mapping)
    chars: dict[str, int] = {"system": 0, "user": 0, "assistant": 0}
    rows = longest = 0
    sample = RowSample()
    with open_source(path, storage_download=storage_download) as source:
        reader = RecordReader(source, max_line_bytes=max_line_bytes, progress=progress)
        head, records = peek(reader)
        if not head:
            raise DataError(f"{source.name}: no rows", "Choose a file that contains examples.")
        read = reader_for(detect_shape(r for _, r in head), column_mapping, source.name,
                          columns_of(reader, head))
        for _, rec in records:
            try:
                system, turns = read(rec)
            except (Drop, NestedValue):
                continue
            rows += 1
            total = 0
            if system:
                chars["system"] += len(system)
                total += len(system)
            for role, text in turns:
                chars[role] += len(text)
                total += len(text)
            longest = max(longest, total)
            sample.add(total, system, turns)
        name = source.name
    total_chars = sum(chars.values())
    mix: dict[str, int] = {}
    for _, texts in sample.rows:
        for text in texts:
            scripts.add_counts(mix, scripts.script_chars(text))
    factor = scripts.mix_ratio(mix) / scripts.SCRIPT_RATIOS[scripts.LATIN] if mix else 1.0
    return DatasetStats(source=name, rows=rows, chars_by_role=chars, total_chars=total_chars,
                        estimated_tokens=tokens_by_model(total_chars, factor), max_example_chars=longest,
                        script_chars=mix, sample_complete=sample.complete, sample=sample.rows)


class RowSample:
    """A uniform sample of rows (reservoir, algorithm R) for token counting: every row while the data is
    small, so a tokenizer can count it exactly; texts longer than MAX_ROW_CHARS make the count a sample."""

    MAX_ROWS = 2000
    MAX_ROW_CHARS = 8000

    def __init__(self, seed: int = 0) -> None:
        import random

        self.rows: list[tuple[int, list[str]]] = []
        self.seen = 0
        self.complete = True
        self._rng = random.Random(seed)

    def add(self, chars: int, system: str | None, turns: list[tuple[str, str]]) -> None:
        self.seen += 1
        if self.seen > self.MAX_ROWS:
            self.complete = False
            slot = self._rng.randrange(self.seen)
            if slot >= self.MAX_ROWS:
                return
        else:
            slot = -1
        texts = ([system] if system else []) + [t for _, t in turns]
        if chars > self.MAX_ROW_CHARS:
            self.complete = False
            texts = [t[:self.MAX_ROW_CHARS] for t in texts]
            chars = sum(len(t) for t in texts)
        if slot < 0:
            self.rows.append((chars, texts))
        else:
            self.rows[slot] = (chars, texts)


def tokens_by_model(total_chars: int, script_factor: float = 1.0) -> dict[str, int]:
    """Estimated tokens (characters × the catalog's tokens-per-character) for every catalog model.

    The catalog's ratios are for English text; `script_factor` (how much more the data's script
    mix costs than Latin text, see `tools.data.scripts`) scales them. Open models with a
    mode-specific ratio get one entry per mode (`id (MODE)`).
    """
    total_chars = round(total_chars * script_factor)
    from knowledge import load_catalog

    catalog = load_catalog()
    out: dict[str, int] = {}
    for model in catalog.open_models:
        ratios = {mode: spec.tokens_per_char for mode, spec in model.modes.items() if spec.tokens_per_char}
        if len(set(ratios.values())) > 1:
            for mode, ratio in ratios.items():
                out[f"{model.base_model} ({mode})"] = round(total_chars * ratio)
        elif ratios:
            out[model.base_model] = round(total_chars * next(iter(ratios.values())))
    for gem in catalog.gemini_models:
        out[gem.id] = round(total_chars * (tokens_per_char(gem) or DEFAULT_TOKENS_PER_CHAR))
    for local in catalog.local_models:
        out[local.id] = round(total_chars * DEFAULT_TOKENS_PER_CHAR)
    return out
