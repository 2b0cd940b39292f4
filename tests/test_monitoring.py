"""tools/monitoring.py: one poll → one progress record, and the lines every frontend shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.monitoring import (
    ended_while_away,
    final_message,
    format_eta,
    loss_summary,
    next_poll_s,
    poll,
    progress_line,
    progress_of,
    saved_job_state,
    state_word,
)
from tools.platforms.base import JobInfo, LossPoint

NAME = "projects/p/locations/us-central1/tuningJobs/123"


def job(state: str = "JOB_STATE_RUNNING", **fields: object) -> JobInfo:
    return JobInfo(name=NAME, state=state, **fields)  # type: ignore[arg-type]


def points(*values: float, every: int = 10) -> list[LossPoint]:
    return [LossPoint(step=every * (i + 1), loss=v) for i, v in enumerate(values)]


def test_running_job_line_has_state_step_loss_and_eta() -> None:
    info = job(step=12, total_steps=40, train_loss=points(2.5, 1.2345), eta_s=300)
    assert progress_line(info) == "Job `123`: **running**, step 12/40 (30%), loss 1.234, about 5 min left."
    record = progress_of(info).as_record()
    assert record == {"job": NAME, "state": "running", "ended": False, "succeeded": False, "step": 12,
                      "total": 40, "loss": 1.2345, "eta_s": 300, "message": progress_line(info)}


def test_queued_job_line_is_just_the_state() -> None:
    assert progress_line(job("JOB_STATE_PENDING")) == "Job `123`: **pending**."
    assert progress_line(job(step=3)) == "Job `123`: **running**, step 3."


def test_ended_job_line_drops_the_eta() -> None:
    info = job("JOB_STATE_SUCCEEDED", step=40, total_steps=40, eta_s=0.0, train_loss=points(0.5))
    assert progress_line(info) == "Job `123`: **succeeded**, step 40/40 (100%), loss 0.500."


@pytest.mark.parametrize(("seconds", "text"), [
    (None, None), (0, None), (42, "42 s left"), (90, "about 2 min left"), (3600, "about 1 h left"),
    (3 * 3600 + 600, "about 3 h 10 min left"),
])
def test_eta_wording(seconds: float | None, text: str | None) -> None:
    assert format_eta(seconds) == text


def test_state_words() -> None:
    assert state_word("JOB_STATE_PARTIALLY_SUCCEEDED") == "partially succeeded"
    assert state_word(None) == "unknown"


def test_loss_summary_reports_first_last_and_best_validation() -> None:
    info = job("JOB_STATE_SUCCEEDED", train_loss=points(2.4131, 1.5, 0.9124),
               val_loss=points(1.2, 0.987, 1.02, every=15))
    assert loss_summary(info) == ("Training loss 2.413 → 0.912 over 30 steps; "
                                  "validation loss 1.020 (best 0.987 at step 30).")
    assert loss_summary(job(train_loss=points(0.7))) == "Training loss 0.700 at step 10."
    assert loss_summary(job(val_loss=points(0.9, 0.8))) == "Validation loss 0.800."
    assert loss_summary(job()) is None


def test_final_message_for_success_has_loss_figures_and_duration() -> None:
    info = job("JOB_STATE_SUCCEEDED", train_loss=points(2.0, 1.0), elapsed_s=3 * 3600 + 120)
    text = final_message(info)
    assert text.split("\n\n") == ["✅ The job `123` succeeded.", "Training loss 2.000 → 1.000 over 20 steps.",
                                  "It took 3 h 02 min."]


def test_final_message_for_failure_explains_and_advises() -> None:
    info = job("JOB_STATE_FAILED", error_message="Dataset has 3 invalid rows.", advice="Run data validate.",
               train_loss=points(2.0))
    assert final_message(info).split("\n\n") == [
        "❌ The job `123` ended as **failed**: Dataset has 3 invalid rows.",
        "Before it stopped: training loss 2.000 at step 10.",
        "What to do: Run data validate."]
    assert "no message" in final_message(job("JOB_STATE_CANCELLED"))


def test_poll_backoff_starts_quick_and_settles_at_the_cap() -> None:
    delays = [next_poll_s(n, base_s=5, max_s=60) for n in range(8)]
    assert delays == [5, 5, 5, 10, 20, 40, 60, 60]


def test_ended_while_away_compares_the_saved_record_with_the_platform() -> None:
    done = job("JOB_STATE_SUCCEEDED")
    assert ended_while_away({"name": NAME, "state": "JOB_STATE_RUNNING", "ended": False}, done)
    assert not ended_while_away({"name": NAME, "ended": True}, done)
    assert not ended_while_away({"name": NAME, "ended": False}, job())
    assert not ended_while_away(None, done)


def test_saved_job_state_reads_the_checkpoint_record() -> None:
    assert saved_job_state(None) == "—"
    assert saved_job_state({"declined": True}) == "declined"
    assert saved_job_state({"name": NAME, "state": "JOB_STATE_RUNNING", "watch": True}) == "running (watching)"
    assert saved_job_state({"name": NAME, "state": "JOB_STATE_RUNNING", "watch": False}) == "running"
    assert saved_job_state({"name": NAME, "state": "JOB_STATE_SUCCEEDED", "ended": True}) == "succeeded"


def test_poll_reads_a_real_local_job_once(tmp_path: Path) -> None:
    """Against the local platform: a job that does not exist is a clear error, a finished one a record."""
    from tools.errors import ToolError
    from tools.platforms.local import LocalPlatform

    platform = LocalPlatform(tmp_path)
    with pytest.raises(ToolError):
        poll(platform, "no-such-job")
