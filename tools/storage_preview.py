"""First records of a dataset file from only its first bytes — for bucket searches.

A bucket search may find dozens of files, some of them gigabytes large. To show the
user what each one holds, a backend reads only the head of each file (`HEAD_BYTES`)
and this module parses the complete records in it: JSON Lines up to the last whole
line, a JSON array element by element, CSV up to the last whole row. Parquet keeps
its schema at the end, so it is read through a seekable file object instead (a
ranged reader on the cloud, a plain file locally). Shared by the `gs` and `local`
storage backends; no cloud SDK imports here.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from typing import Any, BinaryIO

#: How much of a file the search reads.
HEAD_BYTES = 64 * 1024
#: How many records a preview keeps.
PREVIEW_RECORDS = 5
#: A Parquet file whose first row group is larger than this shows only its columns.
PARQUET_MAX_ROW_GROUP_BYTES = 16 * 1024 * 1024

#: File suffix -> DatasetCandidate.format
DATASET_EXTENSIONS = {".jsonl": "jsonl", ".json": "json", ".csv": "csv", ".parquet": "parquet"}


#: Files that model checkpoints and tokenizers carry: JSON, but never training data.
CHECKPOINT_FILES = frozenset({
    "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
    "added_tokens.json", "vocab.json", "adapter_config.json", "trainer_state.json", "training_args.json",
    "preprocessor_config.json", "processor_config.json", "chat_template.json", "model.safetensors.index.json",
    "pytorch_model.bin.index.json", "all_results.json", "train_results.json", "eval_results.json",
    "job.json", "metrics.json", "metrics.jsonl", "deployments.json", "status.json", "pid.json",
    "tuning_agent.json", "rng_state.json", "scheduler.json", "optimizer.json",
})
#: Folders that hold a job's checkpoints (`checkpoints/`, `checkpoint-100/`, the service's `postprocess/`).
_CHECKPOINT_FOLDER = re.compile(r"^(checkpoints?|checkpoint[-_]\d+|postprocess)$", re.IGNORECASE)
#: A tuning job's folder (tools.storage_paths.JOB_PREFIX_STEM); its `output/` is what the job wrote.
_JOB_FOLDER = re.compile(r"^tuning_agent_job_", re.IGNORECASE)
#: Column names that hold a training example's text in the shapes the converters read.
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
_SHAPE_KEYS = frozenset({"messages", "contents", "conversations", "text"})


def is_checkpoint_file(path: str) -> bool:
    """Whether a file is a model/tokenizer/run file, by its name (`config.json`) or by the folder it
    sits in (anything under `checkpoints/`, `checkpoint-100/`, or a job's `output/`).

    `path` is the key inside the bucket; both storage backends pass it, so one rule decides for both.
    """
    *folders, name = path.strip("/").lower().split("/")
    if name in CHECKPOINT_FILES or name.endswith(".index.json"):
        return True
    if any(_CHECKPOINT_FOLDER.match(folder) for folder in folders):
        return True
    return any(_JOB_FOLDER.match(folder) and nxt == "output" for folder, nxt in itertools.pairwise(folders))


def is_tuning_data(path: str, fmt: str, records: list[dict[str, Any]], columns: list[str]) -> bool:
    """Whether a previewed file parses as tuning data, so a bucket search may list it.

    Why: a search that lists `config.json` or `tokenizer.json` as datasets sends people down a
    dead end. Tuning data is a chat shape (`messages`/`contents`) or records with at least two
    text fields (a prompt and an answer), text making up at least half of the fields. A Parquet
    file whose first row group is too big to preview is judged by its columns.
    """
    if is_checkpoint_file(path):
        return False
    if not records:
        return fmt == "parquet" and (len(columns) >= 2 or bool(_SHAPE_KEYS & set(columns)))
    first = records[0]
    if isinstance(first.get("messages"), list) or isinstance(first.get("contents"), list) \
            or isinstance(first.get("conversations"), list):
        return True
    if set(first) == {"value"}:
        return False  # not an object per record (numbers, bare strings)
    strings = [v for v in first.values() if isinstance(v, str) and v.strip()]
    words = [v for v in strings if not _NUMBER.fullmatch(v.strip())]  # CSV cells are all strings
    if isinstance(first.get("text"), str) and first["text"].strip() and len(first) <= 3:
        return True  # plain-text continuation data
    return bool(words) and len(strings) >= 2 and len(strings) * 2 >= len(first)


def _columns(records: list[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for record in records:
        for key in record:
            seen.setdefault(str(key), None)
    return list(seen)


def _text(head: bytes, complete: bool) -> str:
    """Decode; a partial read may end inside a multi-byte character, which is dropped."""
    return head.decode("utf-8-sig", errors="strict" if complete else "ignore")


def preview_text(head: bytes, fmt: str, *, complete: bool,
                 max_records: int = PREVIEW_RECORDS) -> tuple[list[dict[str, Any]], list[str]]:
    """(records, columns) from the head of a jsonl/json/csv file.

    `complete` says the head is the whole file (so its last line is whole too).
    Records that are not JSON objects are wrapped as {"value": ...}.
    """
    text = _text(head, complete)
    if fmt == "jsonl":
        records = _jsonl(text, complete, max_records)
    elif fmt == "json":
        records = _json(text, max_records)
    elif fmt == "csv":
        return _csv(text, complete, max_records)
    else:
        raise ValueError(f"no text preview for format {fmt!r}")
    return records, _columns(records)


def _as_record(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {"value": value}


def _jsonl(text: str, complete: bool, max_records: int) -> list[dict[str, Any]]:
    lines = text.splitlines()
    if not complete and not text.endswith("\n"):
        lines = lines[:-1]
    records = []
    for line in lines:
        if not line.strip():
            continue
        records.append(_as_record(json.loads(line)))
        if len(records) >= max_records:
            break
    return records


def _json(text: str, max_records: int) -> list[dict[str, Any]]:
    """A JSON array read element by element (so a cut-off tail is fine), or one object."""
    decoder = json.JSONDecoder()
    pos = len(text) - len(text.lstrip())
    if text[pos:pos + 1] != "[":
        value, _ = decoder.raw_decode(text, pos)
        if isinstance(value, dict):
            for key in ("data", "records", "rows", "examples"):
                if isinstance(value.get(key), list):
                    return [_as_record(v) for v in value[key][:max_records]]
        return [_as_record(value)]
    pos += 1
    records: list[dict[str, Any]] = []
    while len(records) < max_records:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text) or text[pos] == "]":
            break
        try:
            value, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            break  # the element was cut off by the partial read
        records.append(_as_record(value))
    return records


def _csv(text: str, complete: bool, max_records: int) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows as dicts, and the header (kept even when no whole row fits in the head)."""
    if not complete:
        cut = text.rfind("\n")
        text = text[:cut + 1] if cut >= 0 else ""
    reader = csv.DictReader(io.StringIO(text))
    records: list[dict[str, Any]] = []
    for row in reader:
        records.append({str(k): v for k, v in row.items() if k is not None})
        if len(records) >= max_records:
            break
    return records, [str(name) for name in reader.fieldnames or []]


def preview_parquet(handle: BinaryIO,
                    max_records: int = PREVIEW_RECORDS) -> tuple[list[dict[str, Any]], list[str]]:
    """(records, columns) of a Parquet file read through a seekable file object.

    Reads the footer and, when it is small enough, the first row group only.
    """
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(handle)
    columns = [str(name) for name in parquet.schema_arrow.names]
    meta = parquet.metadata
    if meta.num_row_groups == 0 or meta.row_group(0).total_byte_size > PARQUET_MAX_ROW_GROUP_BYTES:
        return [], columns
    table = parquet.read_row_group(0).slice(0, max_records)
    records = [{str(k): _jsonable(v) for k, v in row.items()} for row in table.to_pylist()]
    return records, columns


def _jsonable(value: Any) -> Any:
    """Parquet values as JSON-friendly Python (bytes and dates become strings)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
