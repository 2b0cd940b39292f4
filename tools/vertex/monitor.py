"""Job status as a `JobInfo`, and a bounded watch loop that reports state changes.

Status carries what a person needs to follow a job: the console URL, elapsed time,
the real region of a `global` job (read from its sub-resource names), data
statistics once the service has counted them, and for a failed job the service's
message plus advice from the known-failures table.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from tools.platforms.base import TERMINAL_STATES, JobInfo
from tools.vertex.advice import advice_for

RUN_ID_LABEL = "tuning_agent_run_id"
FINAL_CHECKPOINT = "postprocess/node-0/checkpoints/final"
_NAME_RE = re.compile(r"^projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/tuningJobs/(?P<id>[^/]+)$")
_LOCATION_RE = re.compile(r"/locations/([a-z0-9-]+)/")


def parse_job_name(name: str) -> tuple[str, str, str]:
    """(project, location, id) from `projects/P/locations/L/tuningJobs/ID`."""
    from tools.errors import ToolError

    match = _NAME_RE.match(name.strip())
    if not match:
        raise ToolError(f"Not a tuning job name: {name!r}.",
                        "Use the full name, e.g. projects/PROJECT/locations/us-central1/tuningJobs/123 "
                        "(shown by `tuning-agent job submit` and in the console).")
    return match["project"], match["location"], match["id"]


def console_url(name: str) -> str:
    """The Cloud console page of a tuning job."""
    project, location, job_id = parse_job_name(name)
    return (f"https://console.cloud.google.com/vertex-ai/tuning/locations/{location}"
            f"/tuningJob/{job_id}?project={project}")


def real_region(names: list[str | None], submitted: str) -> str | None:
    """The region a job really ran in: from sub-resource names when submitted to `global`."""
    if submitted != "global":
        return submitted
    for name in names:
        match = _LOCATION_RE.search(f"{name or ''}/")
        if match and match.group(1) != "global":
            return match.group(1)
    return None


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return str(value)


def _as_dt(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def data_stats(job: Any) -> dict[str, object]:
    """Examples, billable tokens and steps from `tuningDataStats`, when the service filled them."""
    stats = getattr(getattr(job, "tuning_data_stats", None), "supervised_tuning_data_stats", None)
    if stats is None:
        return {}
    out: dict[str, object] = {}
    for key, attr in (("examples", "tuning_dataset_example_count"),
                      ("billable_tokens", "total_billable_token_count"),
                      ("steps", "tuning_step_count"),
                      ("truncated_examples", "total_truncated_example_count")):
        value = _int(getattr(stats, attr, None))
        if value is not None:
            out[key] = value
    return out


def to_job_info(job: Any, now: datetime | None = None) -> JobInfo:
    """A `google.genai.types.TuningJob` as the platform-neutral `JobInfo`."""
    name = str(job.name)
    _, location, _ = parse_job_name(name)
    state = getattr(job.state, "value", None) or str(job.state or "JOB_STATE_UNSPECIFIED")
    tuned = job.tuned_model
    checkpoints = list(getattr(tuned, "checkpoints", None) or [])
    sub_names = [getattr(tuned, "model", None), getattr(tuned, "endpoint", None),
                 *[getattr(c, "endpoint", None) for c in checkpoints], job.experiment]
    start = _as_dt(job.start_time) or _as_dt(job.create_time)
    end = _as_dt(job.end_time) if state in TERMINAL_STATES else None
    elapsed = ((end or now or datetime.now(UTC)) - start).total_seconds() if start else None
    error = getattr(job.error, "message", None) if job.error else None
    output_uri = job.output_uri
    stats = data_stats(job)
    info = JobInfo(
        name=name, state=state, base_model=job.base_model,
        run_id=(job.labels or {}).get(RUN_ID_LABEL), location=location,
        real_region=real_region(sub_names, location), console_url=console_url(name),
        create_time=_iso(job.create_time), start_time=_iso(job.start_time),
        end_time=_iso(job.end_time), elapsed_s=round(elapsed, 1) if elapsed is not None else None,
        error_message=error, output_uri=output_uri,
        final_checkpoint_uri=(f"{output_uri.rstrip('/')}/{FINAL_CHECKPOINT}"
                              if output_uri and state == "JOB_STATE_SUCCEEDED" else None),
        tuned_model=getattr(tuned, "model", None), tuned_model_endpoint=getattr(tuned, "endpoint", None),
        data_stats=stats, total_steps=_int(stats.get("steps")),
    )
    if state in {"JOB_STATE_FAILED", "JOB_STATE_EXPIRED", "JOB_STATE_PAUSED",
                 "JOB_STATE_PARTIALLY_SUCCEEDED"}:
        info.advice = advice_for(error) or _STATE_ADVICE.get(state)
    return info


_STATE_ADVICE = {
    "JOB_STATE_FAILED": "Read the message above; fix the cause and submit again with a new run id.",
    "JOB_STATE_EXPIRED": "The job waited too long for resources; submit again, perhaps in `global` "
                         "or another region.",
    "JOB_STATE_PAUSED": "The job is paused; resume it in the console or cancel it.",
    "JOB_STATE_PARTIALLY_SUCCEEDED": "Some steps failed; check the console before using the model.",
}


def watch(get: Callable[[], JobInfo], *, poll_s: float = 10.0, max_poll_s: float = 120.0,
          backoff: float = 1.5, timeout_s: float | None = None,
          sleep: Callable[[float], Any] = time.sleep,
          clock: Callable[[], float] = time.monotonic) -> Iterator[JobInfo]:
    """Yield the job now and on every state change; stop at a terminal state or the timeout.

    The poll interval grows by `backoff` while nothing changes (up to `max_poll_s`) and
    snaps back to `poll_s` after a change. A timeout simply ends the iteration; the last
    record yielded then has a non-terminal state.
    """
    started = clock()
    interval = poll_s
    info = get()
    yield info
    last = info.state
    while info.state not in TERMINAL_STATES:
        if timeout_s is not None and clock() - started + interval > timeout_s:
            remaining = timeout_s - (clock() - started)
            if remaining <= 0:
                return
            sleep(remaining)
            info = get()
            if info.state != last:
                yield info
            return
        sleep(interval)
        info = get()
        if info.state != last:
            last = info.state
            interval = poll_s
            yield info
        else:
            interval = min(interval * backoff, max_poll_s)
