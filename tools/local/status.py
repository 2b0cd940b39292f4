"""The job status file: the one channel from the training subprocess back to the agent.

The trainer rewrites `status.json` atomically (temp file + rename), so a reader — the
agent, a later agent process after a restart, or a human with `cat` — never sees half
a file. Fields: state (JOB_STATE_*), step, total_steps, epoch, train_loss / val_loss
([{step, loss, epoch}]), eta_s, tokens_per_s, elapsed_s, start_time, end_time, error,
data_stats, device, updated.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

STATUS_FILE = "status.json"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def write_json_atomic(path: str | Path, data: dict[str, Any]) -> None:
    """Write JSON so that readers see either the old or the new file, never a partial one."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, target)


def read_json(path: str | Path) -> dict[str, Any]:
    """The JSON object in `path`, or {} when it is missing or unreadable."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def update_status(job_dir: str | Path, **fields: Any) -> dict[str, Any]:
    """Merge `fields` into the job's status file (stamping `updated`) and return the new status."""
    path = Path(job_dir) / STATUS_FILE
    status = read_json(path)
    status.update(fields)
    status["updated"] = now_iso()
    write_json_atomic(path, status)
    return status
