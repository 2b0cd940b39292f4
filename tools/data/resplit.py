"""Split a JSONL that is already in a target format (for files the user prepared themselves)."""

from __future__ import annotations

import os
from pathlib import Path

from tools.data.convert import check_target
from tools.data.limits import split_limits
from tools.data.models import ConvertReport
from tools.data.sources import DEFAULT_MAX_LINE_BYTES, _inspect_file
from tools.data.split import SplitWriter
from tools.data.validate import line_batches
from tools.errors import DataError


def split_file(path: str | os.PathLike[str], out_dir: str | os.PathLike[str], validation_split: float, *,
               seed: int = 42, target_format: str = "messages",
               max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> ConvertReport:
    """Write `out_dir/train.jsonl` and `validation.jsonl` from `path`, seeded, within the service limits.

    Lines are copied as they are (validate them first); blank lines are skipped.
    `path` may itself be `out_dir/train.jsonl`: the output replaces it only when complete.
    """
    check_target(target_format)
    if not 0.0 <= validation_split < 1.0:
        raise DataError(f"validation split {validation_split} is out of range",
                        "Give a fraction from 0 to below 1, e.g. 0.2 for an 80/20 split.")
    source = _inspect_file(Path(os.fspath(path)).expanduser(), os.fspath(path))
    assert source.path is not None
    writer = SplitWriter(out_dir, validation_split, seed,
                         split_limits(target_format) if validation_split > 0 else None)
    rows = 0
    try:
        for start, lines, _ in line_batches(source.path, max_line_bytes):
            for offset, raw in enumerate(lines):
                if raw is None:
                    raise DataError(f"{source.name}: line {start + offset} is longer than "
                                    f"{max_line_bytes:,} bytes",
                                    "Run `tuning-agent data validate` on the file first.")
                if not raw.strip():
                    continue
                rows += 1
                writer.write(raw.rstrip(b"\r") + b"\n")
        train, val = writer.finish()
    except BaseException:
        writer.abort()
        raise
    return ConvertReport(source=source.name, target_format=target_format, train_path=str(train),
                         validation_path=str(val) if val else None, rows_in=rows,
                         rows_written_train=writer.train_rows, rows_written_val=writer.val_rows,
                         bytes_train=writer.train_bytes, bytes_val=writer.val_bytes if val else 0,
                         split_adjustments=writer.adjustments)
