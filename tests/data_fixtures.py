"""Small dataset files for the dataset-engine tests, written into tmp_path on demand."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

QA = [
    {"question": "What is the capital of France?", "answer": "Paris is the capital of France."},
    {"question": "How many legs does a spider have?", "answer": "A spider has eight legs."},
    {"question": "Who wrote Hamlet?", "answer": "William Shakespeare wrote Hamlet."},
    {"question": "Why is the sky blue?", "answer": "Sunlight scatters off air molecules; blue scatters most."},
]


def write_csv(path: Path, rows: list[dict[str, Any]], delimiter: str = ",") -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def read_jsonl(path: str | Path) -> list[Any]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def messages_rows(n: int, size: int = 40) -> list[dict[str, Any]]:
    """`n` distinct chat examples whose answers are about `size` characters long."""
    return [{"messages": [{"role": "user", "content": f"Question number {i}?"},
                          {"role": "assistant", "content": f"Answer {i} " + "x" * size}]}
            for i in range(n)]
