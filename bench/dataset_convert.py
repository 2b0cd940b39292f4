"""Benchmark: CSV → `messages` with an 80/20 split, ours against the obvious `datasets` pipeline.

Targets (issue 3): at least 5× faster than load_dataset → filter → map →
train_test_split → to_json, measured in the same run, and peak memory under
300 MB (streaming). Each pipeline runs in its own subprocess so its peak RSS is its own.
Size: BENCH_ROWS (default 200,000 rows ≈ 280 MB).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.dataset_gen import write_csv

ROOT = Path(__file__).resolve().parent.parent


def measure(pipeline: str, src: Path, out: Path) -> dict[str, object]:
    """Run one pipeline in a fresh interpreter and return its JSON figures."""
    out.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([sys.executable, "-m", "bench._measure", pipeline, str(src), str(out)],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{pipeline} failed:\n{proc.stderr[-3000:]}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def run() -> bool:
    rows = int(os.environ.get("BENCH_ROWS", "200000"))
    with tempfile.TemporaryDirectory(prefix="bench-convert-") as tmp:
        src = Path(tmp) / "qa.csv"
        size = write_csv(src, rows)
        print(f"input: {src.name}, {rows:,} rows, {size / 1e6:,.0f} MB")
        ours = measure("ours_convert", src, Path(tmp) / "ours")
        print(f"ours:     {ours}")
        base = measure("datasets_convert", src, Path(tmp) / "hf")
        print(f"datasets: {base}")
    speedup = float(base["seconds"]) / float(ours["seconds"])  # type: ignore[arg-type]
    peak = float(ours["peak_rss_mb"])  # type: ignore[arg-type]
    print(f"speed-up: {speedup:.1f}× (target ≥ 5×); our peak RSS: {peak:.0f} MB (target < 300 MB)")
    return speedup >= 5 and peak < 300
