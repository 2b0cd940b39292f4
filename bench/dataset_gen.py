"""Synthetic datasets for the dataset benchmarks (no `run()`: a helper, not a benchmark).

Rows look like question/answer data: varied lengths, some non-ASCII, a few quoted
newlines and commas, a few empty answers and exact duplicates, so the converter
does its real work (quoting, dropping, de-duplicating) while being timed.
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

_VOCABULARY = ("the of and to in is that for it as was with be by on not he this are or his from at which "
               "but have an they you were her she there been one all we their has would when if so no will "
               "model data tuning gradient adapter learning rate epoch validation token prompt answer "
               "café naïve über straße résumé 東京 данные, \"quoted\" text")
_WORDS = _VOCABULARY.split()


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choices(_WORDS, k=words))


def write_csv(path: Path, rows: int = 200_000, seed: int = 7) -> int:
    """A question/answer CSV of about 1.4 KB per row (≈280 MB at 200,000 rows); returns its size."""
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "question", "answer", "category"])
        previous: list[str] | None = None
        for i in range(rows):
            question = _text(rng, rng.randint(20, 90)) + "?"
            answer = _text(rng, rng.randint(120, 330))
            if i % 97 == 0:
                answer = answer.replace(" data ", "\ndata\n", 1)
            if i % 1000 == 1:
                answer = "   "
            row = [str(i), question, answer, rng.choice(["geo", "math", "code", "chat"])]
            if i % 500 == 2 and previous is not None:
                row = [str(i), previous[1], previous[2], previous[3]]
            writer.writerow(row)
            previous = row
    return path.stat().st_size


def write_messages_jsonl(path: Path, rows: int = 160_000, seed: int = 11) -> int:
    """A chat `messages` JSONL of about 1.5 KB per row (≈240 MB at 160,000 rows); returns its size."""
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for _ in range(rows):
            msgs = [{"role": "system", "content": "You are a helpful assistant."}]
            for _turn in range(rng.choice([1, 1, 2])):
                msgs.append({"role": "user", "content": _text(rng, rng.randint(20, 80)) + "?"})
                msgs.append({"role": "assistant", "content": _text(rng, rng.randint(80, 200))})
            fh.write(json.dumps({"messages": msgs}, ensure_ascii=False) + "\n")
    return path.stat().st_size
