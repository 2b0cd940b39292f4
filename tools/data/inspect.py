"""Look at a dataset without converting it: columns and types, row count, samples and shape.

Row counts are exact when cheap (Parquet metadata, JSON, files up to
`EXACT_COUNT_BYTES`, which are read whole so a broken line is found now) and
estimated otherwise from the average size of the first rows; the result says which.
"""

from __future__ import annotations

import os
from typing import Any

from tools.data.convert import columns_of, peek
from tools.data.models import ColumnInfo, Inspection
from tools.data.quality import QualityScan
from tools.data.readers import Progress, RecordReader
from tools.data.recommend import profile_columns
from tools.data.shapes import Drop, NestedValue, detect_shape, reader_for
from tools.data.sources import DEFAULT_MAX_LINE_BYTES, ResolvedSource, StorageDownload, open_source
from tools.errors import DataError
from tools.safe_text import strip_controls

#: Files up to this size are read to the end for an exact row count.
EXACT_COUNT_BYTES = 50 * 1024 * 1024
SAMPLE_CHARS = 300
_ESTIMATE_ROWS = 2000


def truncate(value: Any, limit: int = SAMPLE_CHARS) -> Any:
    """A sample value small enough to show: long strings cut with an ellipsis, nested values recursed."""
    if isinstance(value, str):
        value = strip_controls(value)  # samples are shown: no terminal escapes from the data
        return value if len(value) <= limit else value[:limit] + "…"
    if isinstance(value, list):
        out = [truncate(v, limit) for v in value[:10]]
        return [*out, "…"] if len(value) > 10 else out
    if isinstance(value, dict):
        return {k: truncate(v, limit) for k, v in value.items()}
    if isinstance(value, float) and value != value:
        return None
    return value


def _value_type(values: list[Any]) -> str:
    kinds: list[str] = []
    for value in values:
        if value is None or (isinstance(value, float) and value != value) or value == "":
            continue
        name = {str: "string", bool: "boolean", int: "integer", float: "number", list: "list",
                dict: "object"}.get(type(value), type(value).__name__)
        if name not in kinds:
            kinds.append(name)
    if not kinds:
        return "empty"
    if kinds == ["integer", "number"] or kinds == ["number", "integer"]:
        return "number"
    return "|".join(kinds)


def _csv_type(values: list[str]) -> str:
    """CSV cells are text; say `integer`/`number` when every non-empty cell parses as one."""
    present = [v for v in values if v and v.strip()]
    if not present:
        return "empty"
    try:
        for v in present:
            int(v)
        return "integer"
    except ValueError:
        pass
    try:
        for v in present:
            float(v)
        return "number"
    except ValueError:
        return "string"


def inspect_source(src: str | os.PathLike[str], *, sample_rows: int = 5,
                   storage_download: StorageDownload | None = None,
                   max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
                   progress: Progress | None = None, skip_bad_rows: bool = False) -> Inspection:
    """Columns (with types), row count (exact or estimated, and which), samples and the detected shape.

    `skip_bad_rows`: rows with more fields than the header are skipped (listed in `skipped_lines`)
    instead of stopping with a `BadRowError`."""
    with open_source(src, storage_download=storage_download) as source:
        reader = RecordReader(source, max_line_bytes=max_line_bytes, progress=progress, skip_bad_rows=skip_bad_rows)
        head, rest = peek(reader, max(sample_rows, 50))
        columns = columns_of(reader, head)
        if not head:
            what = f"a header ({', '.join(columns)}) but no rows" if columns else "no rows"
            raise DataError(f"{source.name}: the file has {what}", "Choose a file that contains examples.")
        records = [rec for _, rec in head]
        if reader.arrow_types:
            types = [ColumnInfo(name=c, type=reader.arrow_types.get(c, "?")) for c in columns]
        elif source.kind in ("csv", "tsv"):
            types = [ColumnInfo(name=c, type=_csv_type([r.get(c, "") for r in records])) for c in columns]
        else:
            types = [ColumnInfo(name=c, type=_value_type([r.get(c) for r in records])) for c in columns]
        types = profile_columns(types, records)
        shape = detect_shape(records)
        scan = QualityScan()
        observed = _observe(rest, reader_for(shape, None, source.name, columns), scan) \
            if shape != "plain" else rest
        count, exact, note = _row_count(source, reader, len(head), observed)
        if shape != "plain" and not exact:
            note += " The quality report covers the rows read so far."
        notes = [note, *source.notes]
        return Inspection(
            source=source.name, kind=source.kind, columns=types, row_count=count, row_count_exact=exact,
            row_count_note=" ".join(notes), samples=[truncate(r) for r in records[:sample_rows]],
            shape=shape, encoding_note=source.encoding_note, size_bytes=source.size_bytes,
            quality=scan.report() if scan.rows else None, skipped_lines=list(reader.skipped))


def _observe(records: Any, read: Any, scan: QualityScan) -> Any:
    """Pass the records through while the quality scan reads each one that makes an example.

    Plain columns need a mapping first, so they get their report at conversion.
    """
    for loc, rec in records:
        try:
            system, turns = read(rec)
        except (Drop, NestedValue):
            pass
        else:
            if not scan.seen_before(loc, hash((system, *turns)), turns[0][1]):
                scan.add(loc, system, turns)
        yield loc, rec


def _row_count(source: ResolvedSource, reader: RecordReader, seen: int,
               rest: Any) -> tuple[int | None, bool, str]:
    if source.kind == "parquet":
        from tools.data.readers import open_parquet

        return open_parquet(source).metadata.num_rows, True, "Exact count from the Parquet metadata."
    if source.kind == "huggingface":
        return _hf_count(source)
    if source.kind == "json":
        return sum(1 for _ in rest), True, "Exact count (the JSON file was read whole)."
    size = source.size_bytes or 0
    if size <= EXACT_COUNT_BYTES:
        n = sum(1 for _ in rest)
        return n, True, "Exact count (every row was read)."
    n = 0
    for _ in rest:
        n += 1
        if n >= _ESTIMATE_ROWS:
            break
    if n < _ESTIMATE_ROWS:
        return n, True, "Exact count (every row was read)."
    per_row = reader.bytes_read / n
    return int(size / per_row), False, (
        f"Estimated from the average size of the first {n:,} rows "
        f"({size / 2**20:,.0f} MiB file); the exact count is known after conversion.")


def _hf_count(source: ResolvedSource) -> tuple[int | None, bool, str]:
    assert source.hf is not None
    try:
        import datasets

        builder = datasets.load_dataset_builder(source.hf.dataset_id, source.hf.config)
        splits = builder.info.splits or {}
        split = splits.get(source.hf.split)
        if split is not None and split.num_examples:
            return int(split.num_examples), False, "From the dataset's published metadata (not counted)."
    except Exception:  # metadata is optional; the rows were already streamed fine
        pass
    return None, False, "Unknown: the dataset is streamed and publishes no row count."
