"""Untrusted datasets are refused before they cost memory: each refusal names its limit.

The reads run in a fresh Python process that reports its peak RSS (`VmHWM`, or `resource.getrusage`),
so the memory bound is measured, not assumed: a zstd "bomb" Parquet (a few KB on disk,
128 MiB of text once decompressed), a 100,000-column CSV and a JSON array bigger than the
server's limit are all refused while the process stays under `RSS_BOUND_MB`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tools.data import limits
from tools.errors import DataError

REPO = Path(__file__).resolve().parent.parent
#: Peak RSS allowed for a refused read (Python + pyarrow alone take about 100 MB).
RSS_BOUND_MB = 300

_PROBE = """
import json, resource, sys
from tools.data import inspect_source
from tools.errors import DataError
try:
    inspect_source(sys.argv[1], sample_rows=5)
    outcome = {"refused": False, "message": ""}
except DataError as err:
    outcome = {"refused": True, "message": str(err)}
# VmHWM is this program's own peak; getrusage's ru_maxrss would include the forking test process.
with open("/proc/self/status") as fh:
    hwm = [line for line in fh if line.startswith("VmHWM:")]
outcome["peak_mb"] = (int(hwm[0].split()[1]) if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024
print(json.dumps(outcome))
"""


def _inspect_in_subprocess(path: Path, server: bool = False) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop(limits.SERVER_MODE_ENV, None)
    if server:
        env[limits.SERVER_MODE_ENV] = "1"
    done = subprocess.run([sys.executable, "-c", _PROBE, str(path)], capture_output=True, text=True, env=env,
                          timeout=300, check=True)
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    print(path.name, result)
    return result


def test_a_parquet_bomb_is_refused_from_its_metadata(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    bomb = tmp_path / "bomb.parquet"
    cell = "a" * (64 << 20)  # two 64 MiB cells: 128 MiB decompressed, a few KB compressed
    table = pa.table({"prompt": pa.array([cell, cell], pa.large_string()), "completion": ["x", "y"]})
    pq.write_table(table, bomb, compression="zstd", use_dictionary=False)
    del table, cell
    assert bomb.stat().st_size < 64 * 1024
    result = _inspect_in_subprocess(bomb)
    assert result["refused"] and "per row" in str(result["message"]) and "row size" in str(result["message"])
    assert float(str(result["peak_mb"])) < RSS_BOUND_MB


def test_a_100k_column_csv_is_refused_at_the_header(tmp_path: Path) -> None:
    wide = tmp_path / "wide.csv"
    with wide.open("w", encoding="utf-8") as fh:
        fh.write(",".join(f"c{i}" for i in range(100_000)) + "\n")
        for _ in range(20):
            fh.write(",".join("v" for _ in range(100_000)) + "\n")
    result = _inspect_in_subprocess(wide)
    assert result["refused"] and "100,000 columns" in str(result["message"])
    assert "column count" in str(result["message"])
    assert float(str(result["peak_mb"])) < RSS_BOUND_MB


def test_an_oversized_json_array_is_refused_on_a_server(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    row = json.dumps({"prompt": "p" * 1000, "completion": "c" * 1000})
    with big.open("w", encoding="utf-8") as fh:
        fh.write("[")
        for i in range(36_000):  # about 72 MB: over the server's 64 MiB JSON limit
            fh.write(("," if i else "") + row)
        fh.write("]")
    result = _inspect_in_subprocess(big, server=True)
    assert result["refused"] and "JSON file size" in str(result["message"])
    assert float(str(result["peak_mb"])) < RSS_BOUND_MB
    assert limits.json_max_bytes(1 << 30) == 1 << 30 or limits.server_mode()  # the terminal keeps 1 GiB


def test_a_nul_byte_anywhere_is_refused_with_its_line(tmp_path: Path) -> None:
    from tools.data import inspect_source
    from tools.data.convert import convert

    path = tmp_path / "nul.csv"
    lines = ["question,answer"] + [f"q{i},a{i}" for i in range(20_000)]  # well past the first 64 KB
    lines[15_000] = "q\x00bad,a"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert path.stat().st_size > 64 * 1024
    with pytest.raises(DataError, match="line 15001.*NUL"):  # noqa: RUF043
        inspect_source(str(path), sample_rows=5)  # the head is clean; counting the rows finds it
    with pytest.raises(DataError, match="line 15001.*NUL"):  # noqa: RUF043
        convert(str(path), "messages", {"prompt": "question", "completion": "answer", "system": None},
                tmp_path / "out")
    jpath = tmp_path / "nul.json"
    records = [json.dumps({"prompt": f"p{i}" * 10, "completion": "c" * 40}) for i in range(3000)]
    records[2500] = records[2500].replace('"c', '"\x00c', 1)  # a raw NUL, after the first 64 KB
    jpath.write_text("[\n" + ",\n".join(records) + "\n]", encoding="utf-8")
    with pytest.raises(DataError, match="line 2502.*NUL"):  # noqa: RUF043
        inspect_source(str(jpath), sample_rows=5)


def test_parquet_batches_shrink_with_the_row_size(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "rows.parquet"
    pq.write_table(pa.table({"prompt": ["p" * 100_000] * 50, "completion": ["c"] * 50}), path,
                   use_dictionary=False)
    rows = limits.parquet_batch_rows("rows.parquet", pq.ParquetFile(path).metadata)
    assert 1 <= rows <= limits.PARQUET_BATCH_BYTES // 100_000


def test_dataset_path_parsing_is_linear() -> None:
    from graph.parse import dataset_ref

    assert dataset_ref("please use ~/data/train.csv now") == "~/data/train.csv"
    assert dataset_ref("use ./a.b/c.JSONL, thanks") == "./a.b/c.JSONL"
    assert dataset_ref("file data.csv.gz") == "data.csv.gz", "an archive is named whole (and refused with advice)"
    start = time.monotonic()
    for text in ("a." * 20_000, "a/" * 20_000, "a" * 40_000 + "/", "x-" * 20_000 + ".cs"):
        dataset_ref(text)
    elapsed = time.monotonic() - start
    print(f"four 40k-character messages parsed in {elapsed:.3f} s")
    assert elapsed < 1.0  # the quadratic regex took 13.5 s for one
