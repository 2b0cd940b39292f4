"""agent/background.py against the real `langgraph dev`: a job that ended while nobody watched is
reported in its thread, once, and the conversation carries on."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.background import check_once
from tests.local_fixtures import upload_dataset, wait_until, write_rows
from tests.server_fixtures import USERS, ApiThread, DevServer, write_dataset
from tools.platforms.base import JobSpec
from tools.platforms.local import LocalPlatform

pytestmark = pytest.mark.slow

#: The job checker's key: the one caller allowed to write a thread's state (agent/auth.py).
CHECKER_KEY = "test-checker-key-0123456789abcdef"


def checker_client(server: DevServer) -> Any:
    from langgraph_sdk import get_sync_client

    return get_sync_client(url=server.url, api_key=CHECKER_KEY)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[DevServer]:
    home = tmp_path / "home"
    with DevServer(tmp_path / "work", home, extra_env={"TUNING_AGENT_CHECKER_KEY": CHECKER_KEY}) as running:
        yield running
    from tools.local import jobs as local_jobs

    for pid_file in home.rglob("jobs/*/pid.json"):
        info = json.loads(pid_file.read_text())
        if local_jobs.pid_alive(info):
            os.killpg(int(info["pid"]), signal.SIGKILL)


def failing_job(platform: LocalPlatform, folder: Path) -> str:
    """A real local job that fails at line 5 (no assistant turn): it ends within seconds."""
    train = write_rows(folder / "t.jsonl", "messages", 4)
    with train.open("a") as fh:
        fh.write('{"messages": [{"role": "user", "content": "no answer"}]}\n')
    train_uri, _, output_uri = upload_dataset(platform.storage, train)
    return platform.submit_job(JobSpec(run_id="run-bg", category="local", base_model="local/tiny",
                                       train_uri=train_uri, output_uri=output_uri, epochs=1)).name


def test_a_job_that_ended_unwatched_is_posted_once_to_its_thread(server: DevServer, tmp_path: Path) -> None:
    client = server.client()
    platform = LocalPlatform(server.home / "users" / "alice")  # the owner's workspace
    t = ApiThread(client)
    t.say("I want to tune a model to answer support questions")
    t.approve()
    assert t.action is None and client.threads.get(t.thread_id)["status"] == "idle"
    other = ApiThread(client)
    other.say("hi")  # a thread with no job: left alone

    name = failing_job(platform, tmp_path)
    # The job record as the submit step leaves it when the user declines to watch and leaves.
    forged = {"job": {"name": name, "state": "JOB_STATE_PENDING", "ended": False, "watch": False}}
    from langgraph_sdk.errors import PermissionDeniedError

    with pytest.raises(PermissionDeniedError):  # a client may not write state; only the checker may
        client.threads.update_state(t.thread_id, forged)
    checker = checker_client(server)
    checker.threads.update_state(t.thread_id, forged)
    assert client.threads.get(t.thread_id)["metadata"]["owner"] == "alice", "the checker steals nothing"
    assert wait_until(lambda: platform.get_job(name).ended, timeout_s=120)
    messages_before = len(t.values["messages"])

    posted = check_once(checker, lambda _name, _owner=None: platform)
    assert [(p.thread_id, p.job, p.state) for p in posted] == [(t.thread_id, name, "JOB_STATE_FAILED")]
    values = t.values
    assert len(values["messages"]) == messages_before + 1
    last = values["messages"][-1]
    assert last["type"] == "ai" and last["content"].startswith(f"❌ The job `{name}` ended as **failed**")
    assert "line 5" in last["content"]
    assert values["job"]["ended"] is True and values["job"]["state"] == "JOB_STATE_FAILED"
    assert client.threads.get(t.thread_id)["status"] == "idle"

    assert check_once(checker, lambda _name, _owner=None: platform) == []  # reported once
    assert client.threads.get(t.thread_id)["metadata"]["owner"] == "alice"
    assert client.threads.get(t.thread_id)["metadata"]["title"] == "Answer support questions"
    assert client.threads.get(other.thread_id)["metadata"].get("title") is None, "a greeting is not a purpose"
    # The conversation carries on from where it was.
    t.say(f"use {write_dataset(server.upload_dir() / 'support.csv', 'bg')}")
    assert t.action is not None, t.tail()


def test_the_server_runs_the_check_as_the_job_checker_assistant_and_installs_its_cron(
        server: DevServer, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """What the cron does each tick: a run of `job_checker`, in the server, posting to the thread."""
    from agent.background import CHECKER, main

    client = server.client()
    platform = LocalPlatform(server.home / "users" / "alice")  # the owner's workspace
    t = ApiThread(client)
    t.say("I want to tune a model to answer support questions")
    t.approve()
    name = failing_job(platform, tmp_path)
    checker_client(server).threads.update_state(
        t.thread_id, {"job": {"name": name, "state": "JOB_STATE_RUNNING", "ended": False}})
    assert client.threads.get(t.thread_id)["status"] == "idle"
    assert wait_until(lambda: platform.get_job(name).ended, timeout_s=120)

    # Anyone may run the check, but its result names only the runner's own threads: bob's run posts
    # alice's result to her thread and tells bob nothing about it.
    assert server.client("bob").runs.wait(None, CHECKER, input={}, raise_error=True)["posted"] == []
    assert t.values["messages"][-1]["content"].startswith(f"❌ The job `{name}` ended as **failed**")
    checker_client(server).threads.update_state(
        t.thread_id, {"job": {"name": name, "state": "JOB_STATE_RUNNING", "ended": False}})
    result = client.runs.wait(None, CHECKER, input={}, raise_error=True)
    assert result["posted"] == [{"thread_id": t.thread_id, "job": name, "state": "JOB_STATE_FAILED"}]
    assert t.values["messages"][-1]["content"].startswith(f"❌ The job `{name}` ended as **failed**")
    assert client.runs.wait(None, CHECKER, input={}, raise_error=True)["posted"] == []

    monkeypatch.setenv("TUNING_AGENT_API_KEY", USERS["alice"])  # a cron is its user's
    assert main(["--url", server.url, "--install-cron", "*/5 * * * *"]) == 0
    assert main(["--url", server.url, "--install-cron", "*/5 * * * *"]) == 0  # not installed twice
    checker = client.assistants.search(graph_id=CHECKER)[0]["assistant_id"]
    crons = client.crons.search(assistant_id=checker)
    assert [c["schedule"] for c in crons] == ["*/5 * * * *"]
    assert capsys.readouterr().out.count(f"runs {CHECKER} on '*/5 * * * *'") == 2


def test_main_checks_once_against_a_server_url(server: DevServer, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from agent.background import main

    monkeypatch.setenv("TUNING_AGENT_CHECKER_KEY", CHECKER_KEY)
    assert main(["--url", server.url]) == 0
    assert capsys.readouterr().out == ""  # nothing to report on an empty server
    with pytest.raises(SystemExit):
        main(["--url", server.url, "--every", "1"])
