"""Benchmark: CSV → `messages` with an 80/20 split, ours against the obvious `datasets` pipeline.

Targets (issue 3): at least 5× faster than load_dataset → filter → map →
train_test_split → to_json, measured in the same run, and peak memory under
300 MB (streaming). Each pipeline runs in its own subprocess so its peak RSS is its own.

Target (issue 14): the data quality pass adds at most 30% to the conversion's time. The same
conversion runs with the quality pass and without it (`ours_convert_no_quality`: only the
duplicate check convert had before), interleaved BENCH_REPEATS times (default 5) so both see
the same machine load; the overhead is the median of the per-pair ratios, wall clock and CPU.
Size: BENCH_ROWS (default 200,000 rows ≈ 280 MB).
"""

from __future__ import annotations

import json
import os
import statistics
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


def quality_overhead(src: Path, out: Path, repeats: int) -> tuple[float, float, float, float]:
    """Median overhead of the quality pass (wall, CPU, as fractions) and both peak RSS figures (MB)."""
    wall: list[float] = []
    cpu: list[float] = []
    peaks = {"ours_convert": 0.0, "ours_convert_no_quality": 0.0}
    for i in range(repeats):
        order = ("ours_convert", "ours_convert_no_quality") if i % 2 == 0 else \
            ("ours_convert_no_quality", "ours_convert")
        got = {name: measure(name, src, out / name) for name in order}
        on, off = got["ours_convert"], got["ours_convert_no_quality"]
        wall.append(_f(on["seconds"]) / _f(off["seconds"]) - 1)
        cpu.append(_f(on["cpu_seconds"]) / _f(off["cpu_seconds"]) - 1)
        for name, figures in got.items():
            peaks[name] = max(peaks[name], _f(figures["peak_rss_mb"]))
        print(f"  pair {i + 1}: quality on {on['seconds']} s ({on['cpu_seconds']} s CPU), "
              f"off {off['seconds']} s ({off['cpu_seconds']} s CPU)", flush=True)
    return (statistics.median(wall), statistics.median(cpu), peaks["ours_convert"],
            peaks["ours_convert_no_quality"])


def _f(value: object) -> float:
    return float(value)  # type: ignore[arg-type]


def run() -> bool:
    rows = int(os.environ.get("BENCH_ROWS", "200000"))
    repeats = int(os.environ.get("BENCH_REPEATS", "5"))
    with tempfile.TemporaryDirectory(prefix="bench-convert-") as tmp:
        src = Path(tmp) / "qa.csv"
        size = write_csv(src, rows)
        print(f"input: {src.name}, {rows:,} rows, {size / 1e6:,.0f} MB")
        ours = measure("ours_convert", src, Path(tmp) / "ours")
        print(f"ours:     {ours}")
        base = measure("datasets_convert", src, Path(tmp) / "hf")
        print(f"datasets: {base}")
        print(f"quality pass on/off, {repeats} interleaved pairs:")
        wall, cpu, peak_on, peak_off = quality_overhead(src, Path(tmp) / "quality", repeats)
    speedup = _f(base["seconds"]) / _f(ours["seconds"])
    peak = _f(ours["peak_rss_mb"])
    print(f"speed-up: {speedup:.1f}× (target ≥ 5×); our peak RSS: {peak:.0f} MB (target < 300 MB)")
    print(f"quality pass: +{wall:.0%} wall clock, +{cpu:.0%} CPU (medians; target ≤ +30%); "
          f"peak RSS {peak_on:.0f} MB with it, {peak_off:.0f} MB without")
    return speedup >= 5 and peak < 300 and wall <= 0.30
