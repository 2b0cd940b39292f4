"""The terminal side of long jobs: `threads` shows job state and a title, resume reports a job that
ended while away, and `--notify` rings when a watched job ends.

A real local job is used (one with a bad row, so it fails within seconds, without training); the
thread's saved job record is written through LangGraph's own `update_state`, as the submit step
would have left it.
"""

from __future__ import annotations

import io
import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from agent.chat import ChatOptions, run_chat
from agent.render import Renderer
from tests.chat_fixtures import offline_home, write_trivia_csv
from tests.local_fixtures import upload_dataset, wait_until, write_rows
from tests.test_chat_render import ScriptReader
from tools.platforms.base import JobSpec
from tools.platforms.local import LocalPlatform


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = offline_home(tmp_path, monkeypatch)
    yield home
    from tools.local import jobs as local_jobs

    for pid_file in home.glob("jobs/*/pid.json"):  # no trainer outlives its test
        info = json.loads(pid_file.read_text())
        if local_jobs.pid_alive(info):
            os.killpg(int(info["pid"]), signal.SIGKILL)


def chat(answers: list[str], thread: str | None = None, notify: bool = False) -> tuple[str, Renderer]:
    out = io.StringIO()
    renderer = Renderer(Console(file=out, force_terminal=False, no_color=True, width=120, soft_wrap=True))
    code = run_chat(ChatOptions(platform="local", llm="none", thread=thread, notify=notify),
                    reader=ScriptReader(answers), renderer=renderer)
    assert code == 0
    return out.getvalue(), renderer


def thread_of(text: str) -> str:
    return text.rsplit("Resume with: tuning-agent chat --thread ", 1)[1].split()[0]


def failing_job(home: Path, tmp_path: Path) -> str:
    """A real local job that fails at its 5th line (no assistant turn): ends in seconds."""
    platform = LocalPlatform(home)
    train = write_rows(tmp_path / "t.jsonl", "messages", 4)
    with train.open("a") as fh:
        fh.write('{"messages": [{"role": "user", "content": "no answer"}]}\n')
    train_uri, _, output_uri = upload_dataset(platform.storage, train)
    return platform.submit_job(JobSpec(run_id="run-away", category="local", base_model="local/tiny",
                                       train_uri=train_uri, output_uri=output_uri, epochs=1)).name


def save_job(home: Path, thread: str, job: dict[str, Any]) -> None:
    """Write `job` into the thread's latest checkpoint, as the submit step records it."""
    from agent.sessions import db_path, open_saver, thread_config
    from graph.builder import build_graph
    from graph.deps import Deps

    saver = open_saver(db_path(home))
    try:
        graph = build_graph(Deps(platform_name="local"), checkpointer=saver)
        config = thread_config(thread)
        graph.update_state(config, {"job": job}, as_node=graph.get_state(config).tasks[0].name)
    finally:
        saver.conn.close()


def listing(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    from agent.cli import main

    assert main(["threads", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["threads"]
    return {row["thread_id"]: row for row in rows}


def test_threads_show_a_title_and_the_saved_job_state(home: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    data = write_trivia_csv(tmp_path / "trivia.csv")
    text, _ = chat(["I want to tune a model to answer trivia questions", "y", str(data), "quit"])
    thread = thread_of(text)
    row = listing(capsys)[thread]
    assert row["title"] == "Answer trivia questions · trivia.csv"
    assert row["job"] == "—"

    save_job(home, thread, {"name": "local-job-1", "state": "JOB_STATE_RUNNING", "ended": False, "watch": True})
    assert listing(capsys)[thread]["job"] == "running (watching)"

    from agent.cli import main

    assert main(["threads"]) == 0
    table = capsys.readouterr().out
    header = next(line for line in table.splitlines() if line.startswith("thread"))
    assert header.split() == ["thread", "step", "job", "last", "activity", "platform", "title"]
    assert "running (watching)" in table and "Answer trivia questions · trivia.csv" in table


def test_resume_reports_a_job_that_ended_while_away_first(home: Path, tmp_path: Path) -> None:
    data = write_trivia_csv(tmp_path / "trivia.csv")
    text, _ = chat(["I want to tune a model to answer trivia questions", "y", str(data), "quit"])
    thread = thread_of(text)
    name = failing_job(home, tmp_path)
    save_job(home, thread, {"name": name, "state": "JOB_STATE_RUNNING", "ended": False, "watch": True})
    assert wait_until(lambda: LocalPlatform(home).get_job(name).ended, timeout_s=120)

    text, _ = chat(["quit"], thread=thread)
    assert "While you were away, the job ended:" in text
    assert f"❌ The job `{name}` ended as **failed**" in text and "line 5" in text
    # The result comes first: before the recap of the last turn.
    assert text.index("While you were away") < text.index("Read **") < text.index("Resume with:")


def test_resume_with_a_job_that_cannot_be_read_says_so_and_goes_on(home: Path, tmp_path: Path) -> None:
    data = write_trivia_csv(tmp_path / "trivia.csv")
    text, _ = chat(["I want to tune a model to answer trivia questions", "y", str(data), "quit"])
    thread = thread_of(text)
    save_job(home, thread, {"name": "no-such-job", "state": "JOB_STATE_RUNNING", "ended": False})
    text, _ = chat(["quit"], thread=thread)
    assert "Could not check the job no-such-job" in text  # a clear note, no traceback
    assert text.index("Could not check the job") < text.index("Read **") and "Traceback" not in text


def test_notify_rings_the_bell_and_prints_a_line(home: Path, tmp_path: Path) -> None:
    from agent.chat import Chat, _Loader
    from agent.sessions import db_path

    name = failing_job(home, tmp_path)
    assert wait_until(lambda: LocalPlatform(home).get_job(name).ended, timeout_s=120)
    out = io.StringIO()
    renderer = Renderer(Console(file=out, force_terminal=False, no_color=True, width=120))
    options = ChatOptions(platform="local", llm="none", notify=True)
    session = Chat("bell-test", _Loader(options, "local", "none", db_path(home)), ScriptReader([]), renderer)
    try:
        session.notify_ended(name)
    finally:
        session.close()
    assert out.getvalue() == f"\a🔔 Job {name} ended: failed.\n"


def test_notify_is_a_chat_option() -> None:
    from agent.cli import build_parser

    args = build_parser().parse_args(["chat", "--notify"])
    assert args.notify is True


def test_a_result_reported_on_resume_is_recorded_and_not_reported_again(home: Path, tmp_path: Path) -> None:
    from agent.sessions import db_path, open_saver, thread_config
    from graph.builder import build_graph
    from graph.deps import Deps
    from graph.nodes.monitor import result_id

    text, _ = chat(["I want to tune a model to answer trivia questions", "quit"])
    thread = thread_of(text)
    name = failing_job(home, tmp_path)
    waiting = {"kind": "question", "step": "monitor", "awaiting": True, "question": "Ask for the status any time."}
    saver = open_saver(db_path(home))
    try:  # the job as the monitor leaves it when the person stops watching: no card open
        graph = build_graph(Deps(platform_name="local"), checkpointer=saver)
        config = thread_config(thread)
        graph.update_state(config, {"job": {"name": name, "state": "JOB_STATE_RUNNING", "ended": False,
                                            "watch": False}, "pending": waiting},
                           as_node=graph.get_state(config).tasks[0].name)
    finally:
        saver.conn.close()
    assert wait_until(lambda: LocalPlatform(home).get_job(name).ended, timeout_s=120)

    text, _ = chat(["quit"], thread=thread)
    assert "While you were away, the job ended:" in text
    saver = open_saver(db_path(home))
    try:
        values = build_graph(Deps(platform_name="local"), checkpointer=saver).get_state(thread_config(thread)).values
    finally:
        saver.conn.close()
    assert values["job"]["ended"] is True and values["job"]["state"] == "JOB_STATE_FAILED"
    results = [m for m in values["messages"] if m.id == result_id(name)]
    assert len(results) == 1 and "line 5" in str(results[0].content)

    again, _ = chat(["quit"], thread=thread)
    assert "While you were away" not in again, "a recorded result is not reported twice"


def test_resume_at_the_offer_to_watch_a_job_that_ended_shows_the_result_once(
        home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Left at "Watch it here?", back after the job ended: the result once, no stale lines, no offer."""
    from agent.sessions import db_path, open_saver
    from graph.deps import Deps
    from graph.nodes.monitor import result_id
    from tests.graph_helpers import Session
    from tests.test_graph_session import start, write_csv

    monkeypatch.setenv("TUNING_AGENT_LOCAL_MODEL", "local/tiny")
    saver = open_saver(db_path(home))
    try:
        s = Session(Deps(platform_name="local", poll_s=0.2), checkpointer=saver, thread_id="away-watch")
        start(s, write_csv(tmp_path))
        s.approve_until("monitor_job")
        name = s.state["job"]["name"]
    finally:
        saver.conn.close()
    assert wait_until(lambda: LocalPlatform(home).get_job(name).ended, timeout_s=240)

    text, _ = chat(["quit"], thread="away-watch")
    assert text.count("While you were away, the job ended:") == 1
    assert text.count(f"The job `{name}`") == 1, "the result is shown once"
    assert "JOB_STATE_PENDING" not in text and "Job submitted" not in text, "no stale lines replayed"
    assert "Watch it here" not in text and "monitor_job" not in text, "no offer to watch an ended job"
    assert "deploy_model" in text, "the conversation goes on to the next step"

    again, _ = chat(["quit"], thread="away-watch")
    assert "While you were away" not in again and "Watch it here" not in again
    saver = open_saver(db_path(home))
    try:
        values = Session(Deps(platform_name="local"), checkpointer=saver, thread_id="away-watch").state
    finally:
        saver.conn.close()
    assert len([m for m in values["messages"] if m.id == result_id(name)]) == 1
