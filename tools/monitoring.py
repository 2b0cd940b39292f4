"""Watching a tuning job as a series of single polls: one poll becomes one progress record.

Real Vertex AI jobs run for hours, so nothing here loops or sleeps. A caller (a short,
checkpointed graph step, the server's background check, the terminal chat) calls `poll`
once, shows `Progress.message` (the same one line everywhere: Studio, Agent Chat UI, the
terminal) and decides when to poll again with `next_poll_s`. When the job has ended,
`final_message` gives the closing report with the loss figures.

Plain functions over `JobInfo`; no LangGraph import, no I/O except the one `get_job` call.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from tools.platforms.base import JobInfo, LossPoint, Platform

#: Job states that end badly (a failure to explain, not a result to report).
FAILED_STATES = frozenset({"JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED"})


@dataclass(frozen=True)
class Progress:
    """Where one job stands after one poll; `message` is the line every frontend shows."""

    job: str
    state: str
    """The short state word: queued, pending, running, succeeded, failed, cancelled, …"""
    ended: bool
    succeeded: bool
    step: int | None
    total: int | None
    loss: float | None
    eta_s: float | None
    message: str

    def as_record(self) -> dict[str, Any]:
        """JSON-friendly (graph state, a `custom` stream event, `--json` output)."""
        return asdict(self)


def poll(platform: Platform, name: str) -> Progress:
    """One look at the job (a single `get_job` call)."""
    return progress_of(platform.get_job(name))


def progress_of(info: JobInfo) -> Progress:
    """The progress record for a job as the platform reported it."""
    loss = info.train_loss[-1].loss if info.train_loss else None
    return Progress(job=info.name, state=state_word(info.state), ended=info.ended, succeeded=info.succeeded,
                    step=info.step, total=info.total_steps, loss=loss, eta_s=info.eta_s,
                    message=progress_line(info))


def state_word(state: str | None) -> str:
    """`JOB_STATE_RUNNING` → `running` (unknown or missing → `unknown`)."""
    if not state:
        return "unknown"
    return state.removeprefix("JOB_STATE_").lower().replace("_", " ")


def format_eta(seconds: float | None) -> str | None:
    """A rough time left: "about 3 h 10 min left", "about 12 min left", "40 s left"."""
    if seconds is None or seconds <= 0:
        return None
    if seconds < 60:
        return f"{seconds:.0f} s left"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"about {minutes} min left"
    hours, rest = divmod(minutes, 60)
    return f"about {hours} h {rest} min left" if rest else f"about {hours} h left"


def short_name(name: str) -> str:
    """The job's id without its resource path (`projects/…/tuningJobs/123` → `123`)."""
    return name.rsplit("/", 1)[-1]


def progress_line(info: JobInfo) -> str:
    """One markdown line: "Job `123`: **running**, step 12/40 (30%), loss 1.234, about 5 min left."."""
    parts = [f"Job `{short_name(info.name)}`: **{state_word(info.state)}**"]
    if info.step is not None and info.total_steps:
        percent = min(100, round(100 * info.step / info.total_steps))
        parts.append(f"step {info.step}/{info.total_steps} ({percent}%)")
    elif info.step is not None:
        parts.append(f"step {info.step}")
    if info.train_loss:
        parts.append(f"loss {info.train_loss[-1].loss:.3f}")
    if not info.ended:
        eta = format_eta(info.eta_s)
        if eta:
            parts.append(eta)
    return ", ".join(parts) + "."


def loss_summary(info: JobInfo) -> str | None:
    """The loss figures in one sentence, or None when the job reported no loss at all.

    "Training loss 2.413 → 0.912 over 40 steps; validation loss 1.020 (best 0.987 at step 30)."
    """
    sentences = []
    if info.train_loss:
        first, last = info.train_loss[0], info.train_loss[-1]
        if len(info.train_loss) == 1:
            sentences.append(f"training loss {last.loss:.3f} at step {last.step}")
        else:
            sentences.append(f"training loss {first.loss:.3f} → {last.loss:.3f} over {last.step} steps")
    if info.val_loss:
        last_val = info.val_loss[-1]
        best = _best(info.val_loss)
        text = f"validation loss {last_val.loss:.3f}"
        if best is not last_val and best.loss < last_val.loss:
            text += f" (best {best.loss:.3f} at step {best.step})"
        sentences.append(text)
    if not sentences:
        return None
    joined = "; ".join(sentences)
    return joined[0].upper() + joined[1:] + "."


def _best(points: list[LossPoint]) -> LossPoint:
    return min(points, key=lambda p: p.loss)


def final_message(info: JobInfo) -> str:
    """The closing report for an ended job: the outcome, the loss figures, and what to do on failure.

    Lines are separate markdown paragraphs, so every frontend keeps them apart.
    """
    name = short_name(info.name)
    if info.succeeded:
        lines = [f"✅ The job `{name}` succeeded."]
        summary = loss_summary(info)
        if summary:
            lines.append(summary)
        if info.took_s is not None:
            lines.append(f"It took {format_duration(info.took_s)}.")
        return "\n\n".join(lines)
    lines = [f"❌ The job `{name}` ended as **{state_word(info.state)}**: {info.error_message or 'no message'}"]
    summary = loss_summary(info)
    if summary:
        lines.append(f"Before it stopped: {summary[0].lower()}{summary[1:]}")
    if info.advice:
        lines.append(f"What to do: {info.advice}")
    return "\n\n".join(lines)


def format_duration(seconds: float) -> str:
    """'45 s', '7 min 12 s', '1 h 05 min': one way of writing a duration everywhere."""
    seconds = max(0.0, float(seconds))
    if seconds < 90:
        return f"{round(seconds)} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min {int(seconds % 60):02d} s"
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"


def next_poll_s(polls_done: int, base_s: float = 5.0, max_s: float = 60.0) -> float:
    """How long to wait before the next poll: `base_s` for the first few, then doubling up to `max_s`.

    Early polls are quick so a short local job shows movement; an hours-long cloud job is then
    checked about once a minute, which is plenty and stays well inside the service's quotas.
    """
    if polls_done < 3:
        return base_s
    return float(min(max_s, base_s * 2 ** (polls_done - 2)))


def ended_while_away(job: dict[str, Any] | None, info: JobInfo) -> bool:
    """Whether a saved job record (graph state's `job`) still shows it running but it has ended since."""
    return bool(job and job.get("name") and not job.get("ended") and info.ended)


def saved_job_state(job: dict[str, Any] | None) -> str:
    """The job column of `tuning-agent threads`, from the checkpoint alone (no platform call).

    "—" before submission, "declined" when the submit card was refused, else the state word
    as last saved, e.g. "running (watching)" or "succeeded".
    """
    if not job:
        return "—"
    if job.get("declined") and not job.get("name"):
        return "declined"
    if not job.get("name"):
        return "—"
    word = state_word(job.get("state"))
    if job.get("ended"):
        return word
    return f"{word} (watching)" if job.get("watch") else word
