"""Helpers shared by the local-platform tests: small datasets in the three shapes, and a platform.

The data is a toy question-answering task (capitals) so that a two-layer model learns it
visibly in a few dozen steps; nothing is downloaded.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from pathlib import Path

from tools.local.storage import LocalStorage
from tools.platforms.local import LocalPlatform
from tools.storage_paths import job_prefix

CAPITALS = {"France": "Paris", "Spain": "Madrid", "Italy": "Rome", "Germany": "Berlin", "Japan": "Tokyo",
            "Peru": "Lima", "Chile": "Santiago", "Kenya": "Nairobi", "Egypt": "Cairo", "India": "Delhi"}
SYSTEM = "Answer in one sentence."


def qa_record(country: str, fmt: str) -> dict[str, object]:
    """One example in `fmt`: messages | prompt_completion | gemini."""
    question, answer = f"What is the capital of {country}?", f"The capital of {country} is {CAPITALS[country]}."
    if fmt == "messages":
        return {"messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": question},
                             {"role": "assistant", "content": answer}]}
    if fmt == "prompt_completion":
        return {"prompt": question, "completion": answer}
    if fmt == "gemini":
        return {"systemInstruction": {"role": "system", "parts": [{"text": SYSTEM}]},
                "contents": [{"role": "user", "parts": [{"text": question}]},
                             {"role": "model", "parts": [{"text": answer}]}]}
    raise ValueError(fmt)


def write_rows(path: Path, fmt: str, n: int, seed: int = 0) -> Path:
    rng = random.Random(seed)
    countries = sorted(CAPITALS)
    with path.open("w", encoding="utf-8") as fh:
        for _ in range(n):
            fh.write(json.dumps(qa_record(rng.choice(countries), fmt)) + "\n")
    return path


def upload_dataset(storage: LocalStorage, train: Path, validation: Path | None = None,
                   bucket: str = "local-data") -> tuple[str, str | None, str]:
    """Upload into `local://bucket/tuning_agent_job_<ts>/` like the upload step; returns the URIs."""
    storage.create_bucket(bucket)
    prefix = job_prefix("local", bucket)
    train_uri = storage.upload(str(train), prefix + "train.jsonl").uri
    val_uri = storage.upload(str(validation), prefix + "validation.jsonl").uri if validation else None
    return train_uri, val_uri, prefix + "output/"


def make_platform(home: Path) -> LocalPlatform:
    return LocalPlatform(home)


def wait_until(check: Callable[[], bool], timeout_s: float = 60.0, poll_s: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(poll_s)
    return check()
