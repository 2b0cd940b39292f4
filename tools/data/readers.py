"""Stream records (one dict per example) out of CSV, TSV, JSON, JSONL, Parquet and Hugging Face sources.

Every reader is bounded: lines are read with a length cap (a longer line is
refused, never loaded), CSV and JSONL are decoded line by line so an encoding
error names its line and column, Parquet is read in record batches and Hugging
Face datasets are streamed. Only plain JSON files are parsed whole.
"""

from __future__ import annotations

import itertools
import os
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

from tools.data import limits
from tools.data.sources import DEFAULT_MAX_LINE_BYTES, ResolvedSource, utf8_error
from tools.errors import BadRowError, DataError

#: Called with (bytes_done, bytes_total) while a long read runs.
Progress = Callable[[int, int], None]
Record = dict[str, Any]

#: Plain JSON (not JSONL) is parsed whole, so refuse files bigger than this.
MAX_JSON_BYTES = 1024 * 1024 * 1024
#: How long to wait for the Hugging Face Hub before saying it cannot be reached.
HF_CONNECT_TIMEOUT_S = 5.0
_SHAPE_KEYS = ("messages", "contents", "conversations")


class RecordReader:
    """Iterates `(location, record)` pairs; `location` is a line number (text files) or row number."""

    def __init__(self, source: ResolvedSource, *, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
                 progress: Progress | None = None, skip_bad_rows: bool = False) -> None:
        self.source = source
        self.skip_bad_rows = skip_bad_rows  # rows with more fields than the header are skipped, not fatal
        self.skipped: list[int] = []  # the lines skipped
        self.max_line_bytes = max_line_bytes
        self.progress = progress
        self.bytes_read = 0
        self.line = 0
        self.columns: list[str] = []
        self.arrow_types: dict[str, str] = {}

    @property
    def location_word(self) -> str:
        return "line" if self.source.kind in ("csv", "tsv", "jsonl") else "row"

    def __iter__(self) -> Iterator[tuple[int, Record]]:
        kind = self.source.kind
        if kind in ("csv", "tsv"):
            return self._csv("\t" if kind == "tsv" else ",")
        if kind == "jsonl":
            return self._jsonl()
        if kind == "json":
            return self._json()
        if kind == "parquet":
            return self._parquet()
        if kind == "huggingface":
            return self._huggingface()
        raise DataError(f"{self.source.name}: unsupported kind {kind!r}", None)

    # -- line-based text -------------------------------------------------------------
    def _raw_lines(self) -> Iterator[bytes]:
        """Lines as bytes, each at most `max_line_bytes`; a longer one stops the read with its number."""
        assert self.source.path is not None
        cap = self.max_line_bytes
        total = self.source.size_bytes or 0
        step = 1 << 22
        next_report = step
        with self.source.path.open("rb", buffering=1 << 20) as fh:
            readline = fh.readline
            if self.source.bom:
                fh.read(3)
                self.bytes_read = 3
            while True:
                raw = readline(cap + 1)
                if not raw:
                    break
                self.line += 1
                self.bytes_read += len(raw)
                if len(raw) > cap and not raw.endswith(b"\n"):
                    raise DataError(
                        f"{self.source.name}: line {self.line} is longer than {cap:,} bytes; "
                        "it was not read", "One example per line is expected; split the file into "
                        "lines, or raise the limit (max_line_bytes) if the line is really one example.")
                if 0 in raw:  # an int needle is a plain memchr (a bytes one is first tried as an int)
                    limits.check_nul(self.source.name, raw, self.line)
                if self.progress is not None and self.bytes_read >= next_report:
                    self.progress(self.bytes_read, total)
                    next_report = self.bytes_read + step
                yield raw
        if self.progress is not None:
            self.progress(self.bytes_read, total)

    def _text_lines(self) -> Iterator[str]:
        for raw in self._raw_lines():
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as err:
                raise utf8_error(self.source.name, raw, err, self.line) from None

    def _csv(self, delimiter: str) -> Iterator[tuple[int, Record]]:
        """Rows as records. Parsed strictly, so a quote that is never closed stops at the end of the file
        or at the next quote instead of silently taking in every line after it (see `_unclosed`)."""
        import csv

        if csv.field_size_limit() < self.max_line_bytes:
            csv.field_size_limit(self.max_line_bytes)
        name = self.source.name
        lines = self._text_lines()
        taken: list[str] = []  # the lines of the row being parsed
        reader = csv.reader(_kept(lines, taken), delimiter=delimiter, strict=True)
        before = 0  # lines read before this reader started (a row skipped for a quote is read again)
        width = 0
        while True:
            taken.clear()
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as err:
                line = before + reader.line_num
                if len(taken) == 1 and "expected after" in str(err):
                    row = next(csv.reader(taken, delimiter=delimiter))  # `"abc" ,x`: read leniently, as ever
                else:
                    again = self._unclosed(err, taken, line, delimiter)
                    before = line - len(again)
                    reader = csv.reader(_kept(itertools.chain(again, lines), taken), delimiter=delimiter,
                                        strict=True)
                    continue
            line = before + reader.line_num
            if not width:
                if not any(h.strip() for h in row):
                    break
                limits.check_columns(name, len(row))
                self.columns = _clean_header(row)
                width = len(self.columns)
                continue
            if len(row) != width:
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) > width:
                    if self.skip_bad_rows:
                        self.skipped.append(line)
                        continue
                    raise BadRowError(
                        f"{name}: line {line} has {len(row)} fields but the header has "
                        f"{width} ({', '.join(self.columns)}); from column {width + 1} on it has "
                        f"{', '.join(repr(c[:40]) for c in row[width:width + 3])} with no column name",
                        "Quote fields that contain the delimiter, or fix that line, or skip such rows.",
                        path=name, line=line, column=width + 1)
                row = row + [""] * (width - len(row))
            yield line, dict(zip(self.columns, row, strict=True))
        if not width:
            raise DataError(f"{name}: no header row", "The first line must name the columns.")

    def _unclosed(self, err: Exception, taken: list[str], line: int, delimiter: str) -> list[str]:
        """A row the parser refused (`taken`: its lines, the last one `line`): a quote that opens a field and
        never closes is refused with the line and column where it opened, or, when `skip_bad_rows`, that
        line is skipped and the lines after it (returned) are read again as rows."""
        name = self.source.name
        opened = _open_quote(taken, delimiter)
        if opened is None:
            raise DataError(f"{name}: line {line}: cannot parse CSV: {err}",
                            "Check the quoting on that line and the lines before it.") from None
        index, column = opened
        first = line - len(taken) + 1 + index
        if self.columns and self.skip_bad_rows:  # never the header: without it nothing can be read
            self.skipped.append(first)
            return taken[index + 1:]
        raise _unclosed_quote(name, first, column, self.columns, len(taken) - index, bool(self.columns))

    def _jsonl(self) -> Iterator[tuple[int, Record]]:
        import orjson

        loads = orjson.loads
        name = self.source.name
        for raw in self._raw_lines():
            if not raw.strip():
                continue
            try:
                obj = loads(raw)
            except orjson.JSONDecodeError as err:
                raise _line_json_error(name, raw, self.line, err) from None
            if not isinstance(obj, dict):
                raise DataError(f"{name}: line {self.line}: a JSON {_json_type(obj)}, not an object",
                                "Each line must be one JSON object (one example).")
            if len(obj) > limits.MAX_COLUMNS:
                limits.check_columns(name, len(obj), f"line {self.line}")
            yield self.line, obj

    # -- whole-file JSON -------------------------------------------------------------------
    def _json(self) -> Iterator[tuple[int, Record]]:
        import orjson

        assert self.source.path is not None
        name = self.source.name
        size = self.source.size_bytes or 0
        most = limits.json_max_bytes(MAX_JSON_BYTES)
        if size > most:
            raise DataError(f"{name}: a {size / 2**20:,.0f} MiB JSON file is too big to load whole; the limit is "
                            f"{most / 2**20:,.0f} MiB (JSON file size)",
                            "Convert it to JSONL (one object per line), which is read as a stream.")
        data = self.source.path.read_bytes()
        if b"\x00" in data:
            nul = data.find(b"\x00")
            limits.check_nul(name, data[data.rfind(b"\n", 0, nul) + 1:nul + 1], data.count(b"\n", 0, nul) + 1)
        if self.source.bom:
            data = data[3:]
        try:
            obj = orjson.loads(data)
        except orjson.JSONDecodeError as err:
            raise _json_error(name, data, err, 1) from None
        del data
        records = records_from_json(obj, name)
        if records and len(records[0]) > limits.MAX_COLUMNS:
            limits.check_columns(name, len(records[0]), "the first record")
        self.bytes_read = size
        if self.progress is not None:
            self.progress(size, size)
        yield from enumerate(records, start=1)

    # -- Parquet ----------------------------------------------------------------------------
    def _parquet(self) -> Iterator[tuple[int, Record]]:
        pf = open_parquet(self.source)
        batch_rows = limits.parquet_batch_rows(self.source.name, pf.metadata)
        self.columns = list(pf.schema_arrow.names)
        self.arrow_types = {f.name: str(f.type) for f in pf.schema_arrow}
        total_rows = pf.metadata.num_rows or 1
        size = self.source.size_bytes or 0
        index = 0
        for batch in pf.iter_batches(batch_size=batch_rows):
            for rec in batch.to_pylist():
                index += 1
                yield index, rec
            if self.progress is not None:
                self.progress(int(size * index / total_rows), size)

    # -- Hugging Face -----------------------------------------------------------------------
    def _huggingface(self) -> Iterator[tuple[int, Record]]:
        dataset = open_hf_streaming(self.source)
        features = getattr(dataset, "features", None)
        if features:
            self.columns = list(features)
            self.arrow_types = {k: _feature_type(v) for k, v in features.items()}
        index = 0
        try:
            for rec in dataset:
                index += 1
                yield index, dict(rec)
        except DataError:
            raise
        except Exception as err:
            raise DataError(f"{self.source.name}: reading stopped after {index} rows: {err}",
                            "Check your connection to the Hugging Face Hub, or download the data "
                            "to a local file first.") from err


def _kept(lines: Iterator[str], taken: list[str]) -> Iterator[str]:
    """`lines`, each also appended to `taken` (the CSV reader's current row, cleared per row)."""
    keep = taken.append
    for line in lines:
        keep(line)
        yield line


def _open_quote(lines: list[str], delimiter: str) -> tuple[int, int] | None:
    """Where the quote still open at the end of `lines` opened: (index of its line, 1-based field), or
    None when no quote is open (the parse failed for another reason). A quote followed by more text
    (`"y"z`) does not close the field: the parser stops there, as at the end of the file."""
    opened: tuple[int, int] | None = None
    field, quoted, starts = 1, False, True
    for index, line in enumerate(lines):
        i, end = 0, len(line)
        while i < end:
            ch = line[i]
            if quoted:
                if ch == '"':
                    if line.startswith('"', i + 1):
                        i += 1  # a doubled quote inside the field
                    elif i + 1 < end and line[i + 1] not in (delimiter, "\r", "\n"):
                        return opened  # text after the closing quote: the parser stopped here, still open
                    else:
                        quoted = False
            elif ch == delimiter:
                field += 1
                starts = True
                i += 1
                continue
            elif ch == '"' and starts:
                quoted, opened = True, (index, field)
            elif ch in "\r\n":
                field, starts = 1, True
                i += 1
                continue
            starts = False
            i += 1
    return opened if quoted else None


def _unclosed_quote(name: str, line: int, column: int, columns: list[str], spanned: int,
                    skippable: bool) -> DataError:
    """The error for a quote that opens a field and never closes: where it opened, and what to do."""
    field = f" (the {columns[column - 1]} column)" if 0 < column <= len(columns) else ""
    message = f"{name}: line {line} opens a quoted field at column {column}{field} that is never closed"
    if spanned > 1:
        message += f", so the {spanned - 1:,} line{'s' if spanned > 2 else ''} after it would be read into that field"
    hint = ("Close the quote on that line (a quote inside a field is written twice: \"\"), or remove it"
            + (", or skip such rows." if skippable else "."))
    if not skippable:
        return DataError(message, hint)
    return BadRowError(message, hint, path=name, line=line, column=column)


def _clean_header(header: list[str]) -> list[str]:
    """Blank header cells become column_N and repeated names get a suffix, so every column has a name."""
    seen: dict[str, int] = {}
    out = []
    for i, raw in enumerate(header, start=1):
        name = raw.strip() or f"column_{i}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 1
        out.append(name)
    return out


def _json_type(obj: object) -> str:
    return {list: "array", str: "string", int: "number", float: "number", bool: "boolean",
            type(None): "null"}.get(type(obj), type(obj).__name__)


def _line_json_error(name: str, raw: bytes, line: int, err: Any) -> DataError:
    """The error for one bad JSONL line, placed within it: parsed with its line break, an object left
    open would be reported at column 1 of the next line."""
    import orjson

    try:
        orjson.loads(raw.rstrip(b"\r\n"))
    except orjson.JSONDecodeError as within:
        err = within
    return _json_error(name, raw, err, line)


def _json_error(name: str, data: bytes, err: Any, first_line: int) -> DataError:
    """Turn an orjson error into words with the line and column (or the bad UTF-8 byte)."""
    if "utf-8" in str(err.msg).lower():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as uerr:
            return utf8_error(name, data, uerr, first_line)
    line = first_line + err.lineno - 1
    return DataError(f"{name}: line {line}, column {err.colno}: invalid JSON ({err.msg})",
                     "Fix or remove that line (`tuning-agent data validate` lists every bad line).")


def records_from_json(obj: Any, name: str) -> list[Record]:
    """The records in a parsed JSON document: an array of objects, or an object of records.

    Accepted objects: one example (it has `messages`/`contents`/`conversations` or
    `prompt`+`completion`), `{"key": {record}, ...}`, `{"data": [records]}` and
    columns of equal length `{"col": [v1, v2], ...}`.
    """
    hint = ("Use an array of objects ([{...}, {...}]), an object whose values are objects, "
            "or JSONL (one object per line).")
    if isinstance(obj, list):
        for i, item in enumerate(obj):
            if not isinstance(item, dict):
                raise DataError(f"{name}: item {i + 1} of the array is a JSON {_json_type(item)}, "
                                "not an object (a record)", hint)
        return obj
    if not isinstance(obj, dict):
        raise DataError(f"{name}: the file holds a JSON {_json_type(obj)}, not records", hint)
    if not obj:
        raise DataError(f"{name}: the JSON object is empty", hint)
    if any(k in obj for k in _SHAPE_KEYS) or {"prompt", "completion"} <= obj.keys():
        return [obj]
    values = list(obj.values())
    if all(isinstance(v, dict) for v in values):
        return values
    if len(values) == 1 and isinstance(values[0], list) and values[0] and \
            all(isinstance(v, dict) for v in values[0]):
        return values[0]
    if all(isinstance(v, list) for v in values) and len({len(v) for v in values}) == 1:
        keys = list(obj)
        return [dict(zip(keys, row, strict=True)) for row in zip(*values, strict=True)]
    kinds = sorted({_json_type(v) if not isinstance(v, dict) else "object" for v in values})
    raise DataError(f"{name}: the JSON object is not records (its values are: {', '.join(kinds)})", hint)


def open_parquet(source: ResolvedSource) -> Any:
    """A pyarrow ParquetFile, with a clear error for a damaged file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(str(source.path))
    except (pa.ArrowInvalid, OSError) as err:
        raise DataError(f"{source.name}: not a readable Parquet file ({err})",
                        "Check that the file was written completely.") from err
    limits.check_columns(source.name, pf.metadata.num_columns, "the schema")
    return pf


def _feature_type(feature: Any) -> str:
    dtype = getattr(feature, "dtype", None)
    if dtype:
        return str(dtype)
    if isinstance(feature, list | dict):
        return "list" if isinstance(feature, list) else "struct"
    return type(feature).__name__


def hf_offline_reason(timeout_s: float = HF_CONNECT_TIMEOUT_S) -> str | None:
    """Why the Hugging Face Hub cannot be used right now, or None if it answers a TCP connect."""
    for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if os.environ.get(var, "").strip().lower() in ("1", "true", "yes", "on"):
            return f"{var} is set (offline mode)"
    endpoint = os.environ.get("HF_ENDPOINT") or "https://huggingface.co"
    parts = urlsplit(endpoint)
    host = parts.hostname or "huggingface.co"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    result: list[str | None] = []

    def probe() -> None:  # in a thread, because name resolution has no timeout of its own
        try:
            socket.create_connection((host, port), timeout=timeout_s).close()
            result.append(None)
        except OSError as err:
            result.append(f"cannot reach {endpoint} ({err.strerror or err})")

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout_s + 0.5)
    if not result:
        return f"cannot reach {endpoint} (no answer within {timeout_s:.0f} s)"
    return result[0]


def open_hf_streaming(source: ResolvedSource) -> Any:
    """`datasets.load_dataset(..., streaming=True)`, failing fast and clearly when offline."""
    assert source.hf is not None
    ref = source.hf
    reason = hf_offline_reason()
    if reason:
        raise DataError(f"{source.name}: cannot load Hugging Face dataset {ref.dataset_id!r}: {reason}",
                        "Connect to the internet (or unset the offline variable), or download the data "
                        "and give its local path.")
    import datasets

    try:
        return datasets.load_dataset(ref.dataset_id, ref.config, split=ref.split, streaming=True)
    except Exception as err:
        raise DataError(f"{source.name}: cannot load Hugging Face dataset {ref.dataset_id!r} "
                        f"(split {ref.split!r}): {err}",
                        "Check the dataset id, config and split on huggingface.co.") from err
