"""Benchmark: validating a ~240 MB `messages` JSONL, ours against a line-by-line json.loads check.

Target (issue 3): at least 2× faster than the obvious validator (json.loads per line, then
the same checks in plain Python). Parsing alone with json.loads is printed for reference.
Size: BENCH_VALIDATE_ROWS (default 160,000 rows ≈ 240 MB).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from bench.dataset_convert import measure
from bench.dataset_gen import write_messages_jsonl


def run() -> bool:
    rows = int(os.environ.get("BENCH_VALIDATE_ROWS", "160000"))
    with tempfile.TemporaryDirectory(prefix="bench-validate-") as tmp:
        path = Path(tmp) / "messages.jsonl"
        size = write_messages_jsonl(path, rows)
        print(f"input: {path.name}, {rows:,} rows, {size / 1e6:,.0f} MB")
        ours = measure("ours_validate", path, Path(tmp))
        print(f"ours:       {ours}")
        base = measure("json_loads_validate", path, Path(tmp))
        print(f"json.loads: {base}")
        floor = measure("json_loads_only", path, Path(tmp))
        print(f"json.loads, no checks (reference): {floor}")
    speedup = float(base["seconds"]) / float(ours["seconds"])  # type: ignore[arg-type]
    print(f"speed-up: {speedup:.1f}× (target ≥ 2×)")
    return speedup >= 2
