"""Write train/validation JSONL in one pass, then make the validation file meet the service limits.

Every row is first written to one hidden temporary file; when the count n is known,
exactly round(n × share) rows (at least 1) are drawn for validation by a
seeded sample (same seed, same input → same split), and the temporary file is copied
once into the two files. A per-row coin flip would miss the share the person asked for
on small files (10 % of 25 rows could hold out 5). Both files are written to hidden
temporary names and renamed only when complete, so a failure never leaves a
half-written file behind. If the validation file breaks a limit (rows, bytes
relative to training, or Gemini's rows relative to training), its tail rows are
moved to the training file and that is reported in neutral words (the share drawn is
usually the tool's own default, not a fault in the data).
"""

from __future__ import annotations

import bisect
import contextlib
import math
import os
import random
import shutil
import tempfile
from array import array
from pathlib import Path

from tools.data.limits import SplitLimits

TRAIN_NAME = "train.jsonl"
VALIDATION_NAME = "validation.jsonl"


def validation_rows(rows: int, share: float) -> int:
    """Rows held out of `rows`: round(rows × share), halves up (10 % of 25 is 3), at least 1; none of one row."""
    if share <= 0 or rows < 2:
        return 0
    return max(1, math.floor(rows * share + 0.5))


def _temp(out_dir: Path, name: str) -> tuple[Path, object]:
    fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=f".{name}.", suffix=".tmp")
    return Path(tmp), os.fdopen(fd, "wb", buffering=1 << 20)


class SplitWriter:
    """Collects encoded JSONL lines into train and (optionally) validation files."""

    def __init__(self, out_dir: str | os.PathLike[str], validation_split: float, seed: int,
                 limits: SplitLimits | None, train_name: str = TRAIN_NAME,
                 validation_name: str = VALIDATION_NAME) -> None:
        if not 0.0 <= validation_split < 1.0:
            raise ValueError("validation_split must be at least 0 and below 1")
        self.out_dir = Path(out_dir).expanduser()
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.split = validation_split
        self.limits = limits
        self.train_final = self.out_dir / train_name
        self.val_final = self.out_dir / validation_name
        self.train_tmp, self._train = _temp(self.out_dir, train_name)
        self.val_tmp: Path | None = None
        self._val: object | None = None
        self.all_tmp: Path | None = None  # every row, until the count is known (named as the pending split)
        self._all: object | None = None
        if validation_split > 0:
            self.all_tmp, self._all = _temp(self.out_dir, validation_name)
        self.seed = seed
        self.rows = 0
        self.train_rows = 0
        self.train_bytes = 0
        self.val_sizes = array("Q")
        self.val_bytes = 0
        self.adjustments: list[str] = []

    def write(self, line: bytes) -> None:
        """Add one encoded line (one JSON record ending in its only newline)."""
        self.rows += 1
        if self._all is not None:
            self._all.write(line)  # type: ignore[attr-defined]
        else:
            self._train.write(line)  # type: ignore[attr-defined]
            self.train_rows += 1
            self.train_bytes += len(line)

    def _draw(self, rows: int) -> list[int]:
        """The indices of the rows held out for validation (seeded)."""
        return random.Random(self.seed).sample(range(rows), validation_rows(rows, self.split))

    def _distribute(self) -> None:
        """Copy the collected rows into train and validation, the drawn ones to validation."""
        assert self.all_tmp is not None
        drawn = array("Q", sorted(self._draw(self.rows)))
        if drawn:
            self.val_tmp, self._val = _temp(self.out_dir, self.val_final.name)
        next_drawn = 0
        with self.all_tmp.open("rb") as src:
            for index, line in enumerate(src):
                if next_drawn < len(drawn) and drawn[next_drawn] == index:
                    next_drawn += 1
                    self._val.write(line)  # type: ignore[union-attr]
                    self.val_sizes.append(len(line))
                    self.val_bytes += len(line)
                else:
                    self._train.write(line)  # type: ignore[attr-defined]
                    self.train_rows += 1
                    self.train_bytes += len(line)
        self.all_tmp.unlink()
        self.all_tmp = None

    def abort(self) -> None:
        """Remove the temporary files (nothing final was written)."""
        for fh in (self._train, self._val, self._all):
            if fh is not None:
                with contextlib.suppress(OSError):
                    fh.close()  # type: ignore[attr-defined]
        for tmp in (self.train_tmp, self.val_tmp, self.all_tmp):
            if tmp is not None:
                with contextlib.suppress(OSError):
                    tmp.unlink()

    def finish(self) -> tuple[Path, Path | None]:
        """Enforce the limits, rename the files into place and return their final paths."""
        if self._all is not None:
            self._all.close()  # type: ignore[attr-defined]
            self._all = None
            self._distribute()
        self._train.close()  # type: ignore[attr-defined]
        if self._val is not None:
            self._val.close()  # type: ignore[attr-defined]
        val_path: Path | None = None
        if self.val_tmp is not None:
            if self.limits is not None:
                self._enforce(self.limits)
            if self.val_sizes:
                os.replace(self.val_tmp, self.val_final)
                val_path = self.val_final
            else:
                self.val_tmp.unlink()
                self.adjustments.append("No validation rows fit within the limits, so no validation "
                                        "file was written; every row is in the training file.")
        elif self.split > 0:
            self.adjustments.append(
                f"Only {self.train_rows} row(s): nothing can be held out for validation "
                f"at a {self.split:.0%} split; no validation file was written.")
        if val_path is None:  # a validation file from an earlier conversion here must not be taken for this one
            self.val_final.unlink(missing_ok=True)
        os.replace(self.train_tmp, self.train_final)
        return self.train_final, val_path

    @property
    def val_rows(self) -> int:
        return len(self.val_sizes)

    def _allowed_rows(self, limits: SplitLimits) -> tuple[int, list[str]]:
        """How many validation rows may stay, and the limit that sets that number (in words, neutral:
        the share drawn is usually the tool's own default, not something wrong with the data)."""
        n_val = len(self.val_sizes)
        total_rows = n_val + self.train_rows
        keep = n_val
        why: list[str] = []
        if keep > limits.max_rows:
            why = ["the most the service accepts"]
            keep = limits.max_rows
        if limits.max_rows_ratio is not None and keep > limits.rows_ratio_above:
            ratio_rows = int(limits.max_rows_ratio * total_rows / (1 + limits.max_rows_ratio))
            cap = max(limits.rows_ratio_above, ratio_rows)
            if keep > cap:
                why = [f"the most the service accepts (above {limits.rows_ratio_above:,} rows, validation may "
                       f"hold at most {limits.max_rows_ratio:.0%} as many rows as training)"]
                keep = cap
        if limits.max_bytes_ratio is not None:
            ratio = limits.max_bytes_ratio
            budget = ratio * (self.train_bytes + self.val_bytes) / (1 + ratio)
            prefix = array("Q", [0])
            running = 0
            for size in self.val_sizes[:keep]:
                running += size
                prefix.append(running)
            by_bytes = bisect.bisect_right(prefix, budget) - 1
            if by_bytes < keep:
                why = [f"the most the service accepts (the validation file may be at most {ratio:.0%} of the "
                       "training file's size)"]
                keep = by_bytes
        return keep, why

    def _enforce(self, limits: SplitLimits) -> None:
        assert self.val_tmp is not None
        keep, why = self._allowed_rows(limits)
        n_val = len(self.val_sizes)
        if keep >= n_val:
            return
        moved = n_val - keep
        kept_bytes = sum(self.val_sizes[:keep])
        moved_bytes = self.val_bytes - kept_bytes
        with self.val_tmp.open("rb") as src, self.train_tmp.open("ab") as dst:
            src.seek(kept_bytes)
            shutil.copyfileobj(src, dst, 1 << 20)
        with self.val_tmp.open("r+b") as fh:
            fh.truncate(kept_bytes)
        before_rows, drawn_share = n_val, self.val_bytes / self.train_bytes if self.train_bytes else 0.0
        self.train_rows += moved
        self.train_bytes += moved_bytes
        del self.val_sizes[keep:]
        self.val_bytes = kept_bytes
        share = self.val_bytes / self.train_bytes if self.train_bytes else 0.0
        self.adjustments.append(
            f"Validation holds {keep:,} rows, {why[-1]}; the other {moved:,} go to training "
            f"({before_rows:,} were drawn, {drawn_share:.2%} of the training file's bytes). Validation is "
            f"{kept_bytes:,} bytes ({share:.2%} of the training file's {self.train_bytes:,} bytes); training has "
            f"{self.train_rows:,} rows.")

