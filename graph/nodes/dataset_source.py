"""dataset_source: find a dataset that exists, and look inside it (read-only).

A named file that does not exist stops here with close matches; no dataset at all gets
Hugging Face suggestions for the task, and a bucket search only after the user agrees.
"""

from __future__ import annotations

import os
import re
from typing import Any

from pydantic import BaseModel

from graph.approvals import ask, await_decision, propose
from graph.common import combine, facts, md_table, platform_of, rec, say
from graph.deps import Deps
from graph.invalidate import invalidate
from graph.server_user import server_user, user_local_source
from graph.state import TuningState
from knowledge import load_catalog
from tools.errors import ToolError
from tools.recommend import detect_task
from tools.workers import run_heavy

NAME = "dataset_source"

ACTION = "search_buckets"
SKIP_ACTION = "skip_bad_rows"
QUESTION = "Which dataset should I use? A local file, a gs:// URI, or a Hugging Face dataset id."

class SearchArgs(BaseModel):
    buckets: str = "all buckets in the project"


class SkipArgs(BaseModel):
    source: str
    skip_bad_rows: bool = True


#: "skip them", "yes, skip the bad rows", "just skip it" typed at the skip card.
_SKIP_SAID = re.compile(r"^\s*(?:(?:yes|ok(?:ay)?|sure)[\s,.!]*)?(?:please\s+)?(?:just\s+)?(?:skip|drop|ignore)\b",
                        re.I)


def _hf_suggestions(purpose: str | None) -> str:
    task = detect_task(purpose)
    picks = [d for d in load_catalog().hf_datasets if task.name in d.tasks] or load_catalog().hf_datasets[:3]
    rows = [[d.name, ", ".join(d.splits), f"{d.prompt} → {d.completion}", f"{d.rows:,}", d.note]
            for d in picks[:4]]
    return md_table(["Hugging Face dataset", "splits", "prompt → completion", "rows", "note"], rows, max_cell=120)


def _exists(source: str, state: TuningState, deps: Deps) -> bool | None:
    """True/False for files and objects; None for Hugging Face ids (checked when read)."""
    if source.startswith(("gs://", "local://")):
        return platform_of(state, deps).storage.stat(source) is not None
    if source.startswith("hf://") or ("/" in source and not os.path.splitext(source)[1]
                                       and not os.path.exists(source)):
        return None
    return os.path.isfile(os.path.expanduser(source))


def _missing(source: str, keep: bool = False) -> dict[str, Any]:
    """Say the file is not there (with close matches); `keep` leaves the current dataset as it was."""
    from tools.data import close_matches

    matches = [] if source.startswith(("gs://", "local://")) else close_matches(source)
    hint = ("\n\nDid you mean one of these?\n" + "\n".join(f"- `{m}`" for m in matches)) if matches else ""
    if keep:
        return say(f"I can't find **{source}**.{hint}\n\nI kept the dataset you already had; name another file "
                   "to switch.")
    return combine(say(f"I can't find **{source}**.{hint}\n\nGive me a valid path or URI."),
                   invalidate("dataset"), ask("dataset_source", QUESTION))


def _inspect(source: str, state: TuningState, deps: Deps, skip_bad_rows: bool = False) -> dict[str, Any]:
    from tools.data import inspect_source
    from tools.errors import BadRowError

    storage = platform_of(state, deps).storage
    try:
        found = run_heavy(server_user(), inspect_source, source, sample_rows=5,  # server: in the worker pool
                          storage_download=storage.download, skip_bad_rows=skip_bad_rows)
    except BadRowError as err:  # one row is unreadable, the rest may be fine: the person decides
        where = f"line {err.line}" + (f", column {err.column}" if err.column else "")
        what = re.sub(r"^line [0-9]+ ", "the row ", err.message.split(": ", 1)[-1])
        return propose("dataset_source", SKIP_ACTION, {"source": source, "skip_bad_rows": True},
                       f"**{err.path}**, {where}: {what}"
                       "\n\nSkip rows like this one "
                       "and go on (every skipped line is reported), or fix the file and give it to me again? "
                       "Approve (or say **skip them**) to skip; reject to fix it yourself.",
                       allowed=("approve", "reject"))
    except ToolError as err:
        return combine(say(f"I could not read **{source}**: {err}"),
                       invalidate("dataset"), ask("dataset_source", QUESTION))
    info = found.model_dump(mode="json")
    skipped = info.get("skipped_lines") or []
    rows = info.get("row_count")  # None: a streamed dataset that publishes no size
    count = "an unknown number of" if rows is None else \
        f"{rows:,}" + ("" if info.get("row_count_exact", True) else " (estimated)")
    columns = [c["name"] if isinstance(c, dict) else str(c) for c in info.get("columns", [])]
    note = info.get("encoding_note")
    if source.startswith("hf://"):  # which split is read is shown before it is used (the next card confirms it)
        from tools.data.sources import parse_hf

        ref = parse_hf(source)
        split = (f"Hugging Face split: **{ref.split}**" + (f", config **{ref.config}**" if ref.config else "")
                 + f". To use another split, give `hf://{ref.dataset_id}?split=NAME`.")
        note = f"{note}\n\n{split}" if note else split
    if skipped:
        lines = ", ".join(str(n) for n in skipped[:10]) + ("…" if len(skipped) > 10 else "")
        skip_note = f"Skipped {len(skipped):,} unreadable row(s) so far (line {lines}); conversion skips them too."
        note = f"{note}\n\n{skip_note}" if note else skip_note
    return combine({"dataset": {"inspected": True, "kind": info.get("kind"), "columns": columns,
                                "inspection": info, "samples": info.get("samples", [])[:5],
                                "shape": info.get("shape"), "rows": info.get("row_count"),
                                "rows_exact": info.get("row_count_exact", True), "encoding_note": note}},
                   say(f"Read **{source}**: {count} rows, shape **{info.get('shape')}**, columns: "
                       + ", ".join(f"`{c}`" for c in columns) + "." + (f"\n\nNote: {note}" if note else ""),
                       status=True))


#: Where a path may start in a message: `/`, `~/`, `./` or `../` at the start of a word.
_PATH_START = re.compile(r"(?:^|(?<=\s))['\"`]?(?=~/|\.{1,2}/|/)")


def _folder(text: str | None) -> str | None:
    """A local folder the text names (only outside the server, which never lists a folder).

    A path may hold spaces ("my data is in ~/my data"), so from each place a path may start,
    the longest run of words that is a folder wins."""
    if not text or server_user() is not None:
        return None
    words = text.strip().split()
    for word in words:  # `data/`, or a message that is only a folder's name (`data`)
        word = word.strip("'\"`").rstrip(".,;:!?")
        if (word.endswith("/") or len(words) == 1) and word and os.path.isdir(os.path.expanduser(word)):
            return word
    for start in _PATH_START.finditer(text):
        words = text[start.end():].strip().split(" ")
        for end in range(len(words), 0, -1):
            path = os.path.expanduser(" ".join(words[:end]).strip().strip("'\"`").rstrip(".,;:!?"))
            if path and os.path.isdir(path):
                return path
    return None


def _relative(path: str, folder: str) -> str:
    """`path` as shown in a folder's listing: relative to the folder (a local folder or a bucket prefix)."""
    if "://" in folder:
        return path.removeprefix(folder.rstrip("/") + "/")
    return os.path.relpath(path, folder)


#: A file picked from a listing by its number: "2", "#2", "number 2", "file 2".
_LIST_NUMBER = re.compile(r"(?:#|number |file )?(\d{1,3})", re.I)


def _pick_from(folder: str, files: list[tuple[str, int]], text: str | None) -> str | None:
    """A file chosen from the listed ones: by number ("2"), by name ("train.csv") or by path."""
    words = (text or "").strip().rstrip(".!")
    number = _LIST_NUMBER.fullmatch(words)
    if number and 1 <= int(number.group(1)) <= len(files):
        return files[int(number.group(1)) - 1][0]
    for path, _ in files:
        if re.search(rf"(?<![\w.-]){re.escape(_relative(path, folder))}(?![\w.-])", words):
            return path
    return None


#: At most this many objects are looked at when a bucket folder is named as the dataset.
BUCKET_FOLDER_SCAN = 1000


def _bucket_folder_files(prefix: str, state: TuningState, deps: Deps) -> list[tuple[str, int]]:
    """The data files under a `gs://` / `local://` prefix named as the dataset (a folder in a bucket):
    job outputs and checkpoints left out, the folder's own files first; [] when there are none or the
    listing is refused. Why: people name the folder their files are in, like a local folder."""
    from tools.data import is_data_file
    from tools.errors import ToolError
    from tools.storage_paths import split_uri
    from tools.storage_preview import is_checkpoint_file

    folder = prefix.rstrip("/") + "/"
    try:
        objects = platform_of(state, deps).storage.list(folder, limit=BUCKET_FOLDER_SCAN)
    except ToolError:
        return []
    files = [(o.uri, o.size) for o in objects
             if o.size and is_data_file(o.uri) and not is_checkpoint_file(split_uri(o.uri)[2])]
    return sorted(files, key=lambda f: (f[0].count("/"), f[0]))[:30]


def _list_folder(folder: str, files: list[tuple[str, int]] | None = None) -> dict[str, Any]:
    """The data files in `folder` (listed here unless given), numbered, and the question which one to use."""
    from tools.data import data_files_in

    if files is None:
        files = data_files_in(folder)
    if not files:
        return combine(say(f"**{folder}** is a folder with no data files in it (CSV, TSV, JSON, JSONL or Parquet, "
                           "looking two levels down). Name a file, another folder, a gs:// URI or a Hugging "
                           "Face dataset."), ask("dataset_source", QUESTION))
    rows = [[str(i), _relative(path, folder), f"{size:,}"] for i, (path, size) in enumerate(files, 1)]
    asked = ask("dataset_source", "Which file should I use? Say its number or its name.")
    asked["pending"].update({"folder": folder, "files": [list(f) for f in files]})
    return combine(say(f"**{folder}** is a folder. These data files are in it:\n\n"
                       + md_table(["#", "file", "bytes"], rows, max_cell=200)
                       + "\n\nWhich one should I use? Say its number or its name."), asked)


def done(state: TuningState) -> bool:
    """A dataset was inspected, and no other one was named before a job exists."""
    return bool((state.get("dataset") or {}).get("inspected")) and not new_dataset(state)


def new_dataset(state: TuningState) -> bool:
    """A dataset named after one was chosen, before any job exists: the user changed their mind."""
    wanted = (state.get("facts") or {}).get("dataset")
    return bool(wanted) and wanted != (state.get("dataset") or {}).get("source") \
        and not (state.get("job") or {}).get("name")


def run(state: TuningState, deps: Deps) -> dict[str, Any]:
    known = facts(state)
    pending = state.get("pending") or {}
    if pending.get("action") == SKIP_ACTION:
        outcome = await_decision(state, SkipArgs)
        unreadable = str(pending["args"]["source"])
        if outcome.approved or _SKIP_SAID.match(outcome.message or ""):
            return combine(outcome.updates, {"dataset": {"source": unreadable, "skip_bad_rows": True}},
                           say("Skipping the unreadable rows."),
                           _inspect(unreadable, state, deps, skip_bad_rows=True))
        return combine(outcome.updates, invalidate("dataset"),
                       say(f"Nothing skipped. Fix **{unreadable}** (the line named above) and give it to me again, or "
                           "name another dataset."), ask("dataset_source", QUESTION))
    if pending.get("action") == ACTION:
        outcome = await_decision(state, SearchArgs)
        if not outcome.approved:
            return combine(outcome.updates, {"facts": {"search_buckets": None}},
                           say("I won't look in your buckets."), ask("dataset_source", QUESTION))
        found = platform_of(state, deps).storage.search_datasets()
        rows = [[c.uri, f"{c.size:,}", c.format, ", ".join(c.columns[:6])] for c in found]
        listing = md_table(["object", "bytes", "format", "columns"], rows, max_cell=200) if rows else \
            "No dataset files found."
        return combine(outcome.updates, {"facts": {"search_buckets": None}}, say(listing),
                       ask("dataset_source", QUESTION))
    source = known.get("dataset")
    folder_listed = str(pending.get("folder") or "") if pending.get("kind") == "question" else ""
    if folder_listed:
        files = [(str(p), int(n)) for p, n in pending.get("files") or []]
        picked = _pick_from(folder_listed, files, known.get("last_text"))
        if picked:
            source = picked
        elif source and not os.path.isabs(os.path.expanduser(source)) and \
                os.path.isfile(os.path.join(folder_listed, source)):
            source = os.path.join(folder_listed, source)
        elif not source and (number := _LIST_NUMBER.fullmatch((known.get("last_text") or "").strip().rstrip(".!"))):
            # A number that is not in the list keeps the list (it used to be forgotten).
            asked = ask("dataset_source", "Which file should I use? Say its number or its name.")
            asked["pending"].update({"folder": folder_listed, "files": [list(f) for f in files]})
            return combine({"facts": {"last_text": None}}, say(
                f"There is no file {number.group(1)} in the list: say a number from 1 to {len(files)}, or a "
                "file's name."), asked)
    if not source and (folder := _folder(known.get("last_text"))):
        return combine({"facts": {"last_text": None}}, _list_folder(folder))
    if source:
        source, refused = user_local_source(source)  # server: only files in the user's upload root
        if refused:
            asked = {} if rec(state, "dataset").get("inspected") else ask("dataset_source", QUESTION)
            return combine({"facts": {"dataset": None}}, say(refused), asked)
        from tools.data.sources import unsupported_type

        if (not_read := unsupported_type(source)) is not None:  # named by type: nothing to read or look for
            kept = rec(state, "dataset").get("inspected")
            return combine({"facts": {"dataset": None}}, say(
                f"**{source}** is {not_read.message.split(': ', 1)[1]}.\n\n{not_read.hint}" + (
                    "\n\nI kept the dataset you already had." if kept else "")),
                {} if kept else ask("dataset_source", QUESTION))
        exists = _exists(source, state, deps)
        if exists is None and not source.startswith("hf://"):
            source = f"hf://{source}"
        if exists is False and source.startswith(("gs://", "local://")) and \
                (files := _bucket_folder_files(source, state, deps)):
            return combine({"facts": {"dataset": None}}, _list_folder(source.rstrip("/") + "/", files))
        if exists is False:  # a typo must not throw away the dataset already prepared
            keep = bool(rec(state, "dataset").get("inspected"))
            return combine({"facts": {"dataset": None}}, _missing(source, keep=keep))
        # Everything decided for the previous data is decided again for this one.
        update = combine({"facts": {"dataset": None}}, invalidate("dataset"), {"dataset": {"source": source}})
        return combine(update, _inspect(source, state, deps))
    if known.get("search_buckets"):
        return propose("dataset_source", ACTION, {"buckets": "all buckets in the project"},
                       "List your buckets and look for dataset files (.jsonl, .json, .csv, .parquet), "
                       "reading the first records of each? Nothing is changed.")
    purpose = known.get("purpose")
    return combine(say("I need a dataset of examples (prompts and the answers you want). If you don't have one, "
                       "these public datasets fit your task:\n\n" + _hf_suggestions(purpose)
                       + "\n\nOr say **search my buckets** and I'll look for dataset files in your storage."),
                   ask("dataset_source", QUESTION))
