"""What an Agent Chat UI user sees, pinned through the real `langgraph dev` server: each card's
explanation is the last assistant message before it, each decision leaves a line, a local job's
progress is one message rewritten in place as it trains, a watch survives a cancelled run or an
absent client, and "Mark as Resolved" ends the thread with a summary."""

from __future__ import annotations

import json
import os
import re
import signal
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.local_fixtures import wait_until
from tests.server_fixtures import ASSISTANT, ApiThread, DevServer

pytestmark = pytest.mark.slow

#: Quick polls, and runs that watch only a few seconds (so the tests see a watch outlive its run).
WATCH_ENV = {"TUNING_AGENT_POLL_S": "0.3", "TUNING_AGENT_WATCH_S": "6"}
#: The decision lines approvals.py posts after a card is answered.
DECISION = re.compile(r"^(Approved: |Changed |Declined: )")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    root = tmp_path_factory.mktemp("monitor-server")
    home = root / "home"
    with DevServer(root / "work", home, jobs=4, extra_env=WATCH_ENV) as srv:
        yield srv
    from tools.local import jobs as local_jobs

    for pid_file in home.rglob("jobs/*/pid.json"):  # no trainer outlives the tests
        info = json.loads(pid_file.read_text())
        if local_jobs.pid_alive(info):
            os.killpg(int(info["pid"]), signal.SIGKILL)


def slow_dataset(server: DevServer, marker: str, rows: int = 1500) -> str:
    """Enough rows that the tiny local model trains for a while (several polls)."""
    path = server.upload_dir() / f"{marker}.csv"
    lines = ["question,answer"] + [f"[{marker}] what is {i} plus {i}?,[{marker}] the sum is {2 * i}"
                                   for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def ai_texts(values: dict[str, Any]) -> list[str]:
    return [str(m.get("content")) for m in values.get("messages", []) if m.get("type") == "ai"]


def assert_card_explained(t: ApiThread) -> None:
    """The last assistant message is the open card's explanation (what the UI shows above the card)."""
    description = t.card["action_requests"][0]["description"]
    last = ai_texts(t.values)[-1]
    assert description.split("\n\n", 1)[-1][:200] in last, (t.action, last[:300])


def decide(t: ApiThread, decision: dict[str, Any]) -> None:
    """Answer the open card (after checking it was explained); a line must record the decision."""
    assert_card_explained(t)
    before = len(t.values["messages"])
    t.resume(decision)
    new = [str(m.get("content")) for m in t.values["messages"][before:] if m.get("type") == "ai"]
    assert any(DECISION.match(text) for text in new), new


def to_monitor_card(server: DevServer, marker: str, epochs: int = 3) -> ApiThread:
    t = ApiThread(server.client())
    t.say("I want to tune a model to answer arithmetic questions")
    decide(t, {"type": "approve"})
    t.say(f"use {slow_dataset(server, marker)}")
    for _ in range(12):
        action = t.action
        assert action is not None, t.tail()
        if action == "monitor_job":
            return t
        if action == "approve_configuration":
            text = ai_texts(t.values)[-1]
            assert re.search(r"cost|free|\$|min", text, re.I), text  # the cost line is in the explanation
            decide(t, {"type": "edit", "edited_action": {"name": action, "args": {"epochs": str(epochs)}}})
        else:
            decide(t, {"type": "approve"})
    raise AssertionError(f"no monitor card; last messages: {t.tail()}")


def progress_messages(values: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in values.get("messages", []) if str(m.get("id") or "").startswith("job-progress-")]


def result_messages(values: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in values.get("messages", []) if str(m.get("id") or "").startswith("job-result-")]


def watch_until_ended(t: ApiThread, limit: int = 40) -> None:
    """Say something while the run ends "still watching" (what a person returning does)."""
    for _ in range(limit):
        if (t.values.get("job") or {}).get("ended"):
            return
        t.say("keep watching")
    raise AssertionError(f"the job never ended; last messages: {t.tail()}")


def test_progress_moves_in_one_message_and_the_result_has_the_losses(server: DevServer) -> None:
    t = to_monitor_card(server, "moves")
    assert_card_explained(t)
    client = server.client()
    run = client.runs.create(t.thread_id, ASSISTANT, command={"resume": {"decisions": [{"type": "approve"}]}})
    seen: list[str] = []
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        values = t.values
        shown = progress_messages(values)
        assert len(shown) <= 1, "one progress message, rewritten in place"
        if (values.get("job") or {}).get("ended"):
            break
        if shown and (not seen or seen[-1] != shown[0]["content"]):
            seen.append(str(shown[0]["content"]))
        if client.runs.get(t.thread_id, run["run_id"])["status"] not in ("pending", "running"):
            t.say("keep watching")  # the run watched its few seconds; a message goes on watching
        time.sleep(0.15)
    assert len(seen) >= 3, f"the progress message changed fewer than twice before the job ended: {seen}"
    assert any(re.search(r"step \d+/\d+ \(\d+%\), loss \d", text) for text in seen), seen
    watch_until_ended(t)
    values = t.values
    assert len(result_messages(values)) == 1
    result = str(result_messages(values)[0]["content"])
    assert result.startswith("✅ The job") and "Training loss" in result, result

    assert t.action == "deploy_model", t.tail()
    assert "tuning-agent deploy" in ai_texts(t.values)[-1], "the deploy card shows the literal command"
    decide(t, {"type": "reject", "message": "not now"})
    assert "Declined: not now" in ai_texts(t.values)


def test_a_cancelled_watch_leaves_the_job_running_and_the_next_message_reports_it(server: DevServer) -> None:
    from tools.platforms.local import LocalPlatform

    t = to_monitor_card(server, "cancel", epochs=4)
    client = server.client()
    run = client.runs.create(t.thread_id, ASSISTANT, command={"resume": {"decisions": [{"type": "approve"}]}})

    def training() -> bool:
        nonlocal run
        shown = progress_messages(t.values)
        if shown and "step" in str(shown[0]["content"]):
            return True
        if client.runs.get(t.thread_id, run["run_id"])["status"] not in ("pending", "running"):
            message = {"type": "human", "content": "keep watching", "id": f"more-{time.monotonic()}"}
            run = client.runs.create(t.thread_id, ASSISTANT, input={"messages": [message]})
        return False

    assert wait_until(training, timeout_s=120)
    try:
        client.runs.cancel(t.thread_id, run["run_id"], wait=True)  # a reload or a closed page
    except Exception as err:  # its few seconds of watching had just ended: nothing left to cancel
        if "404" not in str(err):
            raise
    name = t.values["job"]["name"]
    platform = LocalPlatform(server.home / "users" / "alice")
    assert not platform.get_job(name).ended, "cancelling the watch does not stop the job"
    assert len(t.values.get("approvals") or []) >= 1

    before = str(progress_messages(t.values)[0]["content"])
    time.sleep(2)
    t.say("status")
    values = t.values
    now = str(progress_messages(values)[0]["content"])
    assert now != before or values["job"].get("ended"), "the next message polls the job again"
    watch_until_ended(t)
    assert len(result_messages(t.values)) == 1


def test_a_watch_that_outlives_its_client_ends_with_one_job_and_one_result(server: DevServer) -> None:
    from agent.background import CHECKER
    from tools.platforms.local import LocalPlatform

    t = to_monitor_card(server, "away")
    client = server.client()
    client.runs.create(t.thread_id, ASSISTANT, command={"resume": {"decisions": [{"type": "approve"}]}})
    assert wait_until(lambda: bool((t.values.get("job") or {}).get("name")) and progress_messages(t.values),
                      timeout_s=60)
    name = t.values["job"]["name"]
    platform = LocalPlatform(server.home / "users" / "alice")
    assert wait_until(lambda: platform.get_job(name).ended, timeout_s=300)
    assert wait_until(lambda: client.threads.get(t.thread_id)["status"] == "idle", timeout_s=60)
    client.runs.wait(None, CHECKER, input={}, raise_error=True)  # what the cron does every few minutes
    values = t.values
    assert values["job"]["ended"] is True and values["job"]["name"] == name
    assert len(result_messages(values)) == 1
    t.say("hello again")
    values = t.values
    assert len(result_messages(values)) == 1, "the result is not reported twice"
    assert len({m["id"] for m in progress_messages(values)}) == 1
    assert t.action == "deploy_model", t.tail()


def test_mark_as_resolved_ends_the_thread_with_a_summary(server: DevServer) -> None:
    from langgraph.constants import END

    t = ApiThread(server.client())
    t.say("I want to tune a model to answer arithmetic questions")
    assert t.action == "choose_model_category"
    # What Agent Chat UI's "Mark as Resolved" sends: thread.submit({}, {command: {goto: END}}).
    server.client().runs.wait(t.thread_id, ASSISTANT, input={}, command={"goto": END}, raise_error=True)
    assert t.interrupt is None and t.thread["status"] == "idle"
    last = ai_texts(t.values)[-1]
    assert last.startswith("Marked as resolved.") and "Summary:" in last and "| purpose |" in last, last
    t.say("let's go on")
    assert t.action == "choose_model_category", "the thread picks up where it was"


def _title_becomes(thread: ApiThread, title: str, timeout_s: float = 10.0) -> bool:
    """The thread's metadata title is `title` by the end of its run, or moments after (the write never
    holds a reply for more than a second)."""
    deadline = time.monotonic() + timeout_s
    while thread.thread["metadata"].get("title") != title:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def test_threads_are_titled_in_their_metadata_and_first_say_platform_and_llm(server: DevServer) -> None:
    """Each thread's metadata `title` is set during the run that makes the purpose known, and gains
    the dataset's name when it is chosen; the first assistant message names the platform and LLM mode.
    Agent Chat UI's history lists a thread by its first message: the person's own purpose."""
    client = server.client()
    first, second = ApiThread(client), ApiThread(client)
    first.say("I want to tune a model to answer arithmetic questions")
    second.say("Fine-tune a model to summarise support tickets")
    setup = ai_texts(first.values)[0]
    assert setup.startswith("Platform: this machine (local platform") and "deterministic mode" in setup, setup
    assert _title_becomes(first, "Answer arithmetic questions")
    assert _title_becomes(second, "Summarise support tickets")
    listed = {t["thread_id"]: t for t in client.threads.search(metadata={"graph_id": ASSISTANT}, limit=100)}
    assert listed[first.thread_id]["values"]["messages"][0]["type"] == "human"
    first.approve()
    first.say(f"use {slow_dataset(server, 'titled', rows=40)}")
    assert _title_becomes(first, "Answer arithmetic questions · titled.csv")
    assert first.thread["metadata"]["owner"] == "alice", "the title write keeps the other metadata"
