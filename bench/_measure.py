"""Run one pipeline in this (fresh) process and print its time and peak memory as one JSON line.

Used by the dataset benchmarks: `python -m bench._measure NAME ARGS...`. Peak memory
is this process's maximum resident set size (ru_maxrss), so each pipeline is measured alone.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path


def ours_convert(src: str, out: str) -> dict[str, object]:
    from tools.data import convert

    report = convert(src, "messages", {"prompt": "question", "completion": "answer"}, out,
                     validation_split=0.2, seed=42)
    return {"train_rows": report.rows_written_train, "val_rows": report.rows_written_val,
            "dropped": report.dropped, "adjustments": report.split_adjustments}


def ours_convert_no_quality(src: str, out: str) -> dict[str, object]:
    """The same conversion with the quality pass reduced to what convert did before it: the
    exact-duplicate check. The difference to `ours_convert` is the quality pass's cost."""
    import importlib

    from tools.data.quality import QualityScan

    convert_module = importlib.import_module("tools.data.convert")  # the module (the package exports the function)

    class DuplicatesOnly(QualityScan):
        def add(self, loc: int, system: str | None, turns: list[tuple[str, str]],
                json_line: bytes | None = None) -> None:
            self.rows += 1

    convert_module.QualityScan = DuplicatesOnly  # type: ignore[attr-defined]
    return ours_convert(src, out)


def datasets_convert(src: str, out: str) -> dict[str, object]:
    """The obvious `datasets` pipeline: load_dataset csv → filter → map → train_test_split → to_json."""
    import datasets

    datasets.disable_progress_bars()
    ds = datasets.load_dataset("csv", data_files=src, split="train", cache_dir=str(Path(out) / "hf-cache"))
    ds = ds.filter(lambda r: bool(r["question"] and r["question"].strip())
                   and bool(r["answer"] and r["answer"].strip()))
    ds = ds.map(lambda r: {"messages": [{"role": "user", "content": r["question"]},
                                        {"role": "assistant", "content": r["answer"]}]},
                remove_columns=ds.column_names)
    parts = ds.train_test_split(test_size=0.2, seed=42)
    parts["train"].to_json(str(Path(out) / "train.jsonl"))
    parts["test"].to_json(str(Path(out) / "validation.jsonl"))
    return {"train_rows": len(parts["train"]), "val_rows": len(parts["test"])}


def ours_validate(path: str, _out: str) -> dict[str, object]:
    from tools.data import validate_jsonl

    report = validate_jsonl(path, "messages")
    return {"rows": report.rows, "ok": report.ok, "counts": report.counts}


def json_loads_validate(path: str, _out: str) -> dict[str, object]:
    """The obvious validator: json.loads each line and check it the straightforward way.

    Same checks as ours: a JSON object with a non-empty `messages` list; each message an
    object with a known role and non-empty string content; system messages first, then
    user/assistant alternating, ending with assistant; exact duplicate lines.
    """
    rows = bad = 0
    seen: set[str] = set()
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            rows += 1
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                bad += 1
                continue
            msgs = obj.get("messages") if isinstance(obj, dict) else None
            ok = isinstance(msgs, list) and len(msgs) > 0
            expected = "user"
            started = False
            for m in msgs if ok else []:
                role = m.get("role") if isinstance(m, dict) else None
                content = m.get("content") if isinstance(m, dict) else None
                if not isinstance(content, str) or not content.strip():
                    ok = False
                if role == "system" and not started:
                    continue
                started = True
                if role != expected:
                    ok = False
                expected = "assistant" if expected == "user" else "user"
            if ok and expected != "user":
                ok = False  # did not end with the assistant's turn
            if line in seen:
                ok = False
            seen.add(line)
            bad += not ok
    return {"rows": rows, "bad": bad}


def json_loads_only(path: str, _out: str) -> dict[str, object]:
    """For reference: parsing alone, no checks at all (a floor for any json.loads validator)."""
    rows = 0
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            json.loads(line)
            rows += 1
    return {"rows": rows}


PIPELINES = {f.__name__: f for f in (ours_convert, ours_convert_no_quality, datasets_convert, ours_validate,
                                     json_loads_validate, json_loads_only)}

if __name__ == "__main__":
    name, src, out = sys.argv[1:4]
    started = time.perf_counter()
    result = PIPELINES[name](src, out)
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak_mb = usage.ru_maxrss / 1024
    print(json.dumps({"pipeline": name, "seconds": round(seconds, 2),
                      "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2), "peak_rss_mb": round(peak_mb, 1),
                      **result}))
