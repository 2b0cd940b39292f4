"""Local tuning jobs: start the trainer as a detached process and read its state back from disk.

A job is a folder `$TUNING_AGENT_HOME/jobs/<job_id>/` holding `job.json` (what to do),
`status.json` (written by the trainer), `pid.json` and `train.log`. Everything needed to
report on a job is on disk, so a fresh agent process — after a crash or a restart —
sees the same jobs, and a trainer whose process died without saying so is reported
FAILED instead of RUNNING forever. Submitting twice with the same run id returns the
first job (an O_EXCL marker file per run id makes that hold even for racing callers).
"""

from __future__ import annotations

import builtins
import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tools.errors import CloudError
from tools.local.estimate import estimate_for_submit
from tools.local.status import STATUS_FILE, now_iso, read_json, update_status, write_json_atomic
from tools.monitoring import format_duration
from tools.platforms.base import TERMINAL_STATES, JobInfo, LossPoint
from tools.settings import tuning_agent_home

JOB_FILE, PID_FILE, LOG_FILE, CANCEL_FILE = "job.json", "pid.json", "train.log", "cancel_requested"
_children: dict[int, subprocess.Popen[bytes]] = {}


def _proc_start_ticks(pid: int) -> int | None:
    """Process start time from /proc (Linux), used to tell our trainer from a reused pid."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[19])
    except (OSError, IndexError, ValueError):
        return None


def _proc_state(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def pid_alive(info: dict[str, Any]) -> bool:
    """Whether the trainer recorded in `pid.json` is still running."""
    pid = info.get("pid")
    if not isinstance(pid, int):
        return False
    child = _children.get(pid)
    if child is not None:
        return child.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if _proc_state(pid) == "Z":
        return False
    ticks = info.get("start_ticks")
    return not (ticks is not None and _proc_start_ticks(pid) not in (None, ticks))


#: The server's secrets (users' API keys, the job checker's key, database URIs with passwords):
#: a training process needs none of them, so it never sees them.
SERVER_SECRETS = frozenset({"TUNING_AGENT_API_KEYS", "TUNING_AGENT_CHECKER_KEY", "TUNING_AGENT_SERVER_DB",
                            "DATABASE_URI", "REDIS_URI", "LANGSMITH_API_KEY", "LANGGRAPH_AUTH_SECRET"})

class LocalJobs:
    """The job folders under `root` (default `$TUNING_AGENT_HOME/jobs`)."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root else tuning_agent_home() / "jobs"
        (self.root / "runs").mkdir(parents=True, exist_ok=True)

    def job_dir(self, job_id: str) -> Path:
        name = job_id.rsplit("/", 1)[-1]
        path = self.root / name
        if name in {"", ".", "..", "runs"} or not (path / JOB_FILE).is_file():
            known = ", ".join(j.name for j in self.list()[:5]) or "none"
            raise CloudError(f"No local job named {job_id!r}.", f"Known jobs (newest first): {known}.",
                             code=404, status="NOT_FOUND")
        return path

    def _run_marker(self, run_id: str) -> Path:
        return self.root / "runs" / (hashlib.sha256(run_id.encode()).hexdigest()[:32] + ".json")

    # -- submit --------------------------------------------------------------
    def submit(self, config: dict[str, Any]) -> JobInfo:
        """Write the job folder and start the trainer; a repeated run id returns the first job."""
        run_id = str(config["run_id"])
        existing = self.find(run_id)
        if existing is not None:
            return existing
        estimate = estimate_for_submit(config) if config.get("estimate", True) else {}
        if estimate.get("threads"):
            config = dict(config, threads=estimate["threads"])
        job_id = f"local-{datetime.now(UTC):%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"
        job_dir = self.root / job_id
        job_dir.mkdir(parents=True)
        cfg = dict(config, job_id=job_id, job_dir=str(job_dir), create_time=now_iso(), estimate=estimate)
        write_json_atomic(job_dir / JOB_FILE, cfg)
        update_status(job_dir, state="JOB_STATE_PENDING", phase="starting")
        try:
            fd = os.open(self._run_marker(run_id), os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:  # another caller won the race: theirs is the job
            (job_dir / JOB_FILE).unlink()
            (job_dir / STATUS_FILE).unlink()
            job_dir.rmdir()
            found = self.find(run_id)
            if found is None:
                raise CloudError(f"Run {run_id} is being submitted by another process.",
                                 "Wait a few seconds and look again.", retryable=True) from None
            return found
        with os.fdopen(fd, "w") as fh:
            json.dump({"run_id": run_id, "job_id": job_id}, fh)
        self._spawn(job_dir)
        return self.get(job_id)

    def _spawn(self, job_dir: Path) -> None:
        repo_root = str(Path(__file__).resolve().parents[2])
        env = {k: v for k, v in os.environ.items() if k not in SERVER_SECRETS}
        env["PYTHONPATH"] = os.pathsep.join(p for p in (repo_root, env.get("PYTHONPATH")) if p)
        try:
            with (job_dir / LOG_FILE).open("ab") as log:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "tools.local.train", "--config", str(job_dir / JOB_FILE)],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=repo_root, env=env,
                    start_new_session=True, close_fds=True)
        except OSError as err:
            update_status(job_dir, state="JOB_STATE_FAILED", phase="failed", end_time=now_iso(),
                          error=f"could not start the training process: {err}")
            raise CloudError(f"Could not start the local training process: {err}",
                             f"Check that {sys.executable} runs, then submit again.") from err
        _children[proc.pid] = proc
        write_json_atomic(job_dir / PID_FILE, {"pid": proc.pid, "start_ticks": _proc_start_ticks(proc.pid)})

    # -- read ----------------------------------------------------------------
    def get(self, job_id: str) -> JobInfo:
        """The job as its files say now; a vanished trainer turns a live state into FAILED."""
        job_dir = self.job_dir(job_id)
        status = read_json(job_dir / STATUS_FILE)
        if status.get("state") not in TERMINAL_STATES and self._trainer_gone(job_dir):
            status = read_json(job_dir / STATUS_FILE)  # it may have finished just now
            if status.get("state") not in TERMINAL_STATES:
                status = self._mark_dead(job_dir)
        return self._info(job_dir, status)

    @staticmethod
    def _trainer_gone(job_dir: Path) -> bool:
        """No live trainer; a job just being submitted (no pid yet) gets 30 s of grace."""
        if pid_alive(read_json(job_dir / PID_FILE)):
            return False
        return (job_dir / PID_FILE).is_file() or time.time() - (job_dir / JOB_FILE).stat().st_mtime > 30

    def _mark_dead(self, job_dir: Path) -> dict[str, Any]:
        if (job_dir / CANCEL_FILE).exists():
            return update_status(job_dir, state="JOB_STATE_CANCELLED", phase="cancelled",
                                 end_time=now_iso(), error="cancelled by request")
        tail = log_tail(job_dir / LOG_FILE)
        message = "training process ended unexpectedly" + (f"; last log lines:\n{tail}" if tail else "")
        return update_status(job_dir, state="JOB_STATE_FAILED", phase="failed", end_time=now_iso(),
                             error=message)

    def _info(self, job_dir: Path, status: dict[str, Any]) -> JobInfo:
        cfg = read_json(job_dir / JOB_FILE)
        state = str(status.get("state") or "JOB_STATE_PENDING")
        stats = dict(status.get("data_stats") or {})
        for key in ("tokens_per_s", "device", "phase"):
            if status.get(key) is not None:
                stats[key] = status[key]
        stats["log_path"] = str(job_dir / LOG_FILE)
        stats.update(outcome_stats(cfg, status))
        succeeded = state == "JOB_STATE_SUCCEEDED"
        advice = status.get("overfitting") if succeeded else None
        if state == "JOB_STATE_FAILED":
            advice = f"The full training log is in {job_dir / LOG_FILE}."
        return JobInfo(
            name=str(cfg.get("job_id", job_dir.name)), state=state, base_model=cfg.get("model_id"),
            run_id=cfg.get("run_id"), location="local", real_region="local",
            create_time=cfg.get("create_time"), start_time=status.get("start_time"),
            end_time=status.get("end_time"), elapsed_s=status.get("elapsed_s"),
            error_message=status.get("error") if state != "JOB_STATE_SUCCEEDED" else None,
            advice=advice, output_uri=cfg.get("output_uri"),
            final_checkpoint_uri=cfg.get("final_checkpoint_uri") if succeeded else None,
            tuned_model=cfg.get("final_path") if succeeded else None, data_stats=stats,
            step=status.get("step"), total_steps=status.get("total_steps"), epoch=status.get("epoch"),
            eta_s=status.get("eta_s"),
            train_loss=[LossPoint(**p) for p in status.get("train_loss") or []],
            val_loss=[LossPoint(**p) for p in status.get("val_loss") or []])

    def list(self) -> builtins.list[JobInfo]:
        """Every job, newest first."""
        dirs = sorted((p for p in self.root.iterdir() if (p / JOB_FILE).is_file()),
                      key=lambda p: p.name, reverse=True)
        return [self.get(p.name) for p in dirs]

    def find(self, run_id: str) -> JobInfo | None:
        """The job submitted with `run_id`, if any (the idempotency check before a submit)."""
        marker = read_json(self._run_marker(run_id))
        job_id = marker.get("job_id")
        if isinstance(job_id, str) and (self.root / job_id / JOB_FILE).is_file():
            return self.get(job_id)
        return None

    # -- control -------------------------------------------------------------
    def cancel(self, job_id: str, grace_s: float = 20.0) -> JobInfo:
        """Ask the trainer to stop (SIGTERM to its process group); force it after `grace_s`."""
        job_dir = self.job_dir(job_id)
        info = self.get(job_id)
        if info.ended:
            return info
        (job_dir / CANCEL_FILE).write_text(now_iso())
        pid_info = read_json(job_dir / PID_FILE)
        pid = pid_info.get("pid")
        if isinstance(pid, int) and pid_alive(pid_info):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGTERM)
            deadline = time.monotonic() + grace_s
            while pid_alive(pid_info) and time.monotonic() < deadline:
                time.sleep(0.2)
            if pid_alive(pid_info):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)
                while pid_alive(pid_info) and time.monotonic() < deadline + 5:
                    time.sleep(0.1)
        if read_json(job_dir / STATUS_FILE).get("state") not in TERMINAL_STATES:
            update_status(job_dir, state="JOB_STATE_CANCELLED", phase="cancelled", end_time=now_iso(),
                          error="cancelled by request")
        return self.get(job_id)

    def watch(self, job_id: str, poll_s: float = 2.0, timeout_s: float | None = None) -> Iterator[JobInfo]:
        """Yield the job each time it changes; stop when it ends or after `timeout_s` seconds."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        last: tuple[Any, ...] | None = None
        while True:
            info = self.get(job_id)
            key = (info.state, info.step, len(info.train_loss), len(info.val_loss),
                   info.data_stats.get("phase"))
            if key != last:
                last = key
                yield info
            if info.ended:
                return
            if deadline is not None and time.monotonic() >= deadline:
                return
            wait = poll_s if deadline is None else min(poll_s, max(0.0, deadline - time.monotonic()))
            time.sleep(wait)


def _loss(value: float) -> str:
    """3.41, 0.87, 0.0042: two decimals, or two significant digits below 0.01."""
    return f"{value:.2f}" if value >= 0.01 else f"{value:.2g}"


def outcome_stats(cfg: dict[str, Any], status: dict[str, Any]) -> dict[str, object]:
    """What a job's summary says beyond its data: losses before and after, estimate vs actual time."""
    out: dict[str, object] = {}
    base, final = status.get("base_val_loss"), status.get("final_val_loss")
    if isinstance(base, (int, float)) and isinstance(final, (int, float)):
        out["validation_loss"] = f"{_loss(base)} → {_loss(final)} (base → tuned, same held-out rows)"
    elif isinstance(base, (int, float)):
        out["base_validation_loss"] = round(float(base), 3)
    estimate = (cfg.get("estimate") or {}).get("estimate_s")
    if isinstance(estimate, (int, float)):
        out["estimated_time"] = format_duration(estimate)
    actual = status.get("total_s")
    if isinstance(actual, (int, float)):
        out["actual_time"] = format_duration(actual)
        if isinstance(estimate, (int, float)) and estimate > 0:
            out["estimate_error"] = f"{(estimate - actual) / actual:+.0%}"
    return out


def log_tail(path: Path, lines: int = 5) -> str:
    """The last few lines of a log file ('' when there is none)."""
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 8192))
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])
