"""Convert any supported source into one of the three target formats, split and limit-checked.

One streaming pass: read a record, turn it into a neutral conversation (known
shapes need no mapping), drop unusable rows counting why, render the target
format, drop exact duplicates, and hand the line to the split writer. Memory stays
flat whatever the input size (apart from the duplicate check, capped below).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tools.data.clean import DEDUPE, DEDUPE_PROMPTS, DROP_LONG, STRIP_CONTROL, Cleaner, parse_clean
from tools.data.formats import TOO_LONG, conversation_chars, render
from tools.data.limits import length_limit, split_limits
from tools.data.models import TARGET_FORMATS, ColumnMapping, ConvertReport
from tools.data.quality import MAX_TRACKED_ROWS, QualityScan
from tools.data.readers import Progress, RecordReader
from tools.data.shapes import (
    EMPTY_COMPLETION,
    EMPTY_PROMPT,
    EMPTY_TURN,
    Drop,
    NestedValue,
    detect_shape,
    reader_for,
)
from tools.data.sources import DEFAULT_MAX_LINE_BYTES, StorageDownload, open_source
from tools.data.split import SplitWriter
from tools.errors import DataError

DUPLICATE = "duplicate"
#: The duplicate check remembers this many row hashes (8 bytes of hash, ~70 bytes of set entry each).
MAX_TRACKED_DUPLICATES = MAX_TRACKED_ROWS
REPEATED_PROMPT = "repeated prompt"
_PEEK = 50
_NESTED_TYPES = ("list", "struct", "map", "large_list", "fixed_size_list", "dictionary<")


def check_target(target_format: str) -> None:
    if target_format not in TARGET_FORMATS:
        raise DataError(f"unknown target format {target_format!r}",
                        "Use one of: " + ", ".join(TARGET_FORMATS))


def as_mapping(mapping: ColumnMapping | dict[str, Any] | Any | None) -> ColumnMapping | None:
    """Accept a ColumnMapping, a dict, or a MappingRecommendation (its chosen columns)."""
    if mapping is None or isinstance(mapping, ColumnMapping):
        return mapping
    if isinstance(mapping, dict):
        return ColumnMapping(**mapping)
    prompt, completion = getattr(mapping, "prompt", None), getattr(mapping, "completion", None)
    if getattr(mapping, "needs_mapping", True) is False or not prompt or not completion:
        return None
    return ColumnMapping(prompt=prompt, completion=completion, system=getattr(mapping, "system", None))


def peek(reader: RecordReader, n: int = _PEEK) -> tuple[list[tuple[int, dict[str, Any]]],
                                                       Iterator[tuple[int, dict[str, Any]]]]:
    """The first `n` records, and an iterator that still yields every record."""
    it = iter(reader)
    head = list(itertools.islice(it, n))
    return head, itertools.chain(head, it)


def columns_of(reader: RecordReader, head: list[tuple[int, dict[str, Any]]]) -> list[str]:
    if reader.columns:
        return list(reader.columns)
    cols: dict[str, None] = {}
    for _, rec in head:
        cols.update(dict.fromkeys(rec))
    return list(cols)


def _check_nested_columns(reader: RecordReader, mapping: ColumnMapping | None) -> None:
    """A mapped Parquet/HF column of list/struct type cannot be a prompt or completion."""
    if mapping is None or not reader.arrow_types:
        return
    for col in (mapping.prompt, mapping.completion, mapping.system):
        kind = reader.arrow_types.get(col or "")
        if kind and kind.startswith(_NESTED_TYPES):
            raise DataError(
                f"{reader.source.name}: column {col!r} holds {kind} values, not text",
                "Map text columns only. Text columns: " + ", ".join(
                    c for c, t in reader.arrow_types.items() if not t.startswith(_NESTED_TYPES)))


def convert(src: str | os.PathLike[str], target_format: str,
            mapping: ColumnMapping | dict[str, Any] | None, out_dir: str | os.PathLike[str], *,
            validation_split: float = 0.0, seed: int = 42, model: str | None = None,
            progress: Progress | None = None, storage_download: StorageDownload | None = None,
            max_line_bytes: int = DEFAULT_MAX_LINE_BYTES, drop_duplicates: bool = True,
            clean: str | list[str] | tuple[str, ...] | None = None, skip_bad_rows: bool = False) -> ConvertReport:
    """Write `out_dir/train.jsonl` (and `validation.jsonl`) in `target_format` from any source.

    `model` (a catalog name) drops examples longer than its maximum sequence length.
    Rows that cannot make an example are dropped and counted by reason; the split
    follows `validation_split` (a fraction) and `seed`, then the service limits.
    `clean` names cleaning actions (see `tools.data.clean`); what they changed is in
    `report.cleaned`. The report's `quality` describes the rows written (same pass).
    """
    check_target(target_format)
    actions = parse_clean(clean)
    if DROP_LONG in actions and not model:
        raise DataError("--clean drop-long needs a model", "Give the model (--model) whose length limit applies.")
    cleaner = Cleaner(actions) if actions else None
    if DEDUPE in actions:
        drop_duplicates = True
    if not 0.0 <= validation_split < 1.0:
        raise DataError(f"validation split {validation_split} is out of range",
                        "Give a fraction from 0 to below 1, e.g. 0.2 for an 80/20 split.")
    limit = length_limit(model)
    column_mapping = as_mapping(mapping)
    import orjson

    dumps = orjson.dumps
    with open_source(src, storage_download=storage_download) as source:
        reader = RecordReader(source, max_line_bytes=max_line_bytes, progress=progress, skip_bad_rows=skip_bad_rows)
        head, records = peek(reader)
        if not head:
            raise DataError(f"{source.name}: no rows (only a header, or nothing but blank lines)",
                            "Choose a file that contains examples.")
        columns = columns_of(reader, head)
        shape = detect_shape(rec for _, rec in head)
        _check_nested_columns(reader, column_mapping)
        read = reader_for(shape, column_mapping, source.name, columns)
        max_chars = limit.max_chars() if limit else None
        too_long = f"{TOO_LONG} for {limit.model}" if limit else TOO_LONG
        writer = SplitWriter(out_dir, validation_split, seed, split_limits(target_format)
                             if validation_split > 0 else None)
        dropped: dict[str, int] = {}
        scan = QualityScan(max_tokens=limit.max_tokens if limit else None,
                           tokens_per_char=limit.tokens_per_char if limit else None,
                           model=limit.model if limit else None)
        strip = cleaner is not None and STRIP_CONTROL in cleaner
        dedupe_prompts = cleaner is not None and DEDUPE_PROMPTS in cleaner
        notes = list(source.notes)
        rows_in = 0
        try:
            for loc, rec in records:
                rows_in += 1
                try:
                    conv = read(rec)
                    if strip:
                        conv = cleaner.strip(loc, conv)  # type: ignore[union-attr]
                    if max_chars is not None:
                        chars = conversation_chars(conv)
                        if chars > max_chars:
                            scan.too_long(loc, chars, conv[1][0][1])
                            if cleaner is not None and DROP_LONG in cleaner:
                                cleaner.record(DROP_LONG, loc, f"{chars:,} characters")
                            raise Drop(too_long)
                    line = dumps(render(conv, target_format)) + b"\n"
                except Drop as drop:
                    dropped[drop.reason] = dropped.get(drop.reason, 0) + 1
                    continue
                except NestedValue:
                    raise _nested_error(source.name, reader.location_word, loc, rec, column_mapping) from None
                if scan.seen_before(loc, hash(line), conv[1][0][1]) and drop_duplicates:
                    dropped[DUPLICATE] = dropped.get(DUPLICATE, 0) + 1
                    if cleaner is not None and DEDUPE in cleaner:
                        cleaner.record(DEDUPE, loc, conv[1][0][1][:100])
                    continue
                if dedupe_prompts and cleaner.repeated_prompt(loc, conv):  # type: ignore[union-attr]
                    dropped[REPEATED_PROMPT] = dropped.get(REPEATED_PROMPT, 0) + 1
                    continue
                scan.add(loc, conv[0], conv[1], line)
                writer.write(line)
            if writer.rows == 0:
                reasons = ", ".join(f"{n} {r}" for r, n in dropped.items())
                raise DataError(f"{source.name}: no usable rows — all {rows_in} were dropped ({reasons})",
                                "Check the column mapping (`tuning-agent data inspect` shows the columns).")
            train_path, val_path = writer.finish()
        except BaseException:
            writer.abort()
            raise
        if reader.skipped:  # asked for (skip_bad_rows): counted with the other rows left out
            shown = ", ".join(str(n) for n in reader.skipped[:10]) + ("…" if len(reader.skipped) > 10 else "")
            dropped[f"unreadable (more fields than the header; line {shown})"] = len(reader.skipped)
        if scan.seen_full:
            notes.append(f"Duplicates were checked only among the first {MAX_TRACKED_DUPLICATES:,} rows "
                         "(to bound memory).")
        if source.encoding_note:
            notes.insert(0, source.encoding_note)
        notes.append(f"Read as {shape if column_mapping is None else 'mapped columns'}"
                     + (f" (prompt={column_mapping.prompt!r}, completion={column_mapping.completion!r}"
                        f"{f', system={column_mapping.system!r}' if column_mapping.system else ''})"
                        if column_mapping else "") + ".")
        return ConvertReport(
            source=source.name, target_format=target_format, train_path=str(train_path),
            validation_path=str(val_path) if val_path else None, rows_in=rows_in,
            rows_written_train=writer.train_rows, rows_written_val=writer.val_rows,
            bytes_train=writer.train_bytes, bytes_val=writer.val_bytes if val_path else 0,
            dropped=dropped, split_adjustments=writer.adjustments, notes=notes,
            quality=scan.report(dropped=dropped, empty_turns=sum(
                dropped.get(r, 0) for r in (EMPTY_PROMPT, EMPTY_COMPLETION, EMPTY_TURN)),
                kept_duplicates=not drop_duplicates),
            cleaned=cleaner.report(rows_in, writer.train_rows + writer.val_rows) if cleaner else None)


def _nested_error(name: str, word: str, loc: int, rec: dict[str, Any],
                  mapping: ColumnMapping | None) -> DataError:
    cols = [c for c in (mapping.prompt, mapping.completion, mapping.system) if c] if mapping else list(rec)
    bad = next((c for c in cols if isinstance(rec.get(c), list | dict | tuple)), cols[0] if cols else "?")
    kind = type(rec.get(bad)).__name__
    text_cols = [c for c, v in rec.items() if not isinstance(v, list | dict | tuple)]
    return DataError(f"{name}: {word} {loc}: column {bad!r} holds a {kind}, not text",
                     "Map text columns only. Text columns here: " + (", ".join(text_cols) or "none"))


def out_paths(out_dir: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Where `convert` writes the training and validation files in `out_dir`."""
    base = Path(out_dir).expanduser()
    return base / "train.jsonl", base / "validation.jsonl"
