"""The real `langgraph dev` server, driven through its HTTP API the way Agent Chat UI drives it.

One server (the repo's langgraph.json, local platform, no LLM) serves a whole session
with approve / edit (string args) / reject decisions and local training, then twenty
users at once. A second server (langgraph.dev.json: the SQLite checkpointer hook) is
stopped mid-conversation and started again to show that threads survive a restart.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.server_fixtures import ASSISTANT, ApiThread, DevServer, hitl_shape_problems, write_dataset
from tests.server_fixtures import USERS as API_USERS

pytestmark = pytest.mark.slow

USERS = 20


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    root = tmp_path_factory.mktemp("server")
    with DevServer(root / "work", root / "home", jobs=8) as srv:
        yield srv


def _messages(values: dict[str, Any]) -> list[dict[str, Any]]:
    return list(values.get("messages", []))


def test_whole_session_with_approve_edit_and_reject(server: DevServer) -> None:
    data = write_dataset(server.upload_dir() / "solo.csv", "solo")
    client = server.client()
    assert sorted(a["graph_id"] for a in client.assistants.search()) == ["job_checker", ASSISTANT]
    t = ApiThread(client)

    t.say("I want to tune a model")
    assert t.action == "choose_model_category"
    # The same card three ways: the thread's state, the run's result, the thread record.
    card = t.card
    assert [i["value"] for i in t.last["__interrupt__"]] == [card]
    assert [i["value"] for items in t.thread["interrupts"].values() for i in items] == [card]
    assert t.thread["status"] == "interrupted"
    assert hitl_shape_problems(card) == []
    assert card["review_configs"][0]["allowed_decisions"] == ["approve", "edit", "reject"]

    assert t.approve() is None  # category chosen; now a plain question: which dataset?
    assert t.values["category"] == "open"
    assert t.thread["status"] == "idle"

    t.say(f"use {data}")
    assert t.action == "confirm_column_mapping"
    card = t.card
    assert hitl_shape_problems(card) == []
    assert card["action_requests"][0]["args"]["prompt_column"] == "question"
    assert "[solo] what is 0 plus 0?" in card["action_requests"][0]["description"]

    t.approve()
    assert t.action == "split_validation"
    t.edit(validation_split="lots")  # the UI sends edited fields as strings; a bad one re-asks
    assert t.action == "split_validation"
    assert "not accepted" in t.card["action_requests"][0]["description"]
    t.edit(validation_split="0.15")  # at most 20 % for open models (the service limit)
    assert t.values["dataset"]["validation_split"] == 0.15

    t.approve_until("upload_dataset")
    # Agent Chat UI streams values (and messages); resume this card the same way.
    chunks = list(client.runs.stream(t.thread_id, ASSISTANT, command={"resume": {"decisions": [{"type": "approve"}]}},
                                     stream_mode=["values", "custom"]))
    events = {c.event for c in chunks}
    assert "values" in events, events
    assert any(c.event == "custom" and c.data.get("node") == "upload" for c in chunks), "no upload progress events"
    last_values = [c.data for c in chunks if c.event == "values"][-1]
    assert last_values["dataset"]["uploaded"] is True

    t.approve_until("deploy_model", limit=10)
    t.reject("not now")
    assert t.action is None
    assert t.thread["status"] == "idle"

    values = t.values
    assert values["dataset"]["source"] == str(data)
    assert values["job"]["succeeded"] is True, values["job"]
    assert values["deployment"]["wanted"] is False
    trail = [(a["action"], a["decision"]) for a in values["approvals"]]
    assert ("split_validation", "edit") in trail and trail[-1] == ("deploy_model", "reject")
    assert values["approvals"][-1]["message"] == "not now"
    # Progress shows in the transcript as short assistant messages tagged as status.
    status = [m for m in _messages(values) if m["type"] == "ai" and m.get("additional_kwargs", {}).get("status")]
    assert len(status) >= 4
    assert all(0 < len(m["content"]) <= 400 for m in status)
    assert any("Job submitted" in m["content"] for m in status)


def _user_of(k: int) -> str:
    return sorted(API_USERS)[k % len(API_USERS)]


def _drive_user(server: DevServer, k: int) -> dict[str, Any]:
    """One conversation (several per API user); number 0 goes to the end, the others decline the submit card."""
    marker = f"user{k:02d}"
    data = write_dataset(server.upload_dir(_user_of(k)) / f"{marker}.csv", marker, rows=30 + k)
    t = ApiThread(server.client(_user_of(k)))
    t.say("hi")
    assert t.action == "choose_model_category", t.tail()
    t.approve()
    t.say(f"use {data}")
    t.approve_until("submit_tuning_job")
    if k == 0:
        t.approve_until("deploy_model", limit=10)
        t.reject("no endpoint")
    else:
        t.reject("not yet")
    return {"k": k, "marker": marker, "data": str(data), "thread": t.thread, "values": t.values,
            "thread_id": t.thread_id}


def test_twenty_users_at_once_keep_their_own_state(server: DevServer) -> None:
    with ThreadPoolExecutor(max_workers=USERS) as pool:
        futures = [pool.submit(_drive_user, server, k) for k in range(USERS)]
    failed = {k: repr(f.exception()) for k, f in enumerate(futures) if f.exception() is not None}
    errors = [line for line in server.log_tail(4000).splitlines() if "Run encountered an error" in line]
    assert not failed, f"{len(failed)} of {USERS} users failed: {failed}\nserver errors:\n" + "\n".join(errors[:5])
    results = [f.result() for f in futures]

    from tools.platforms.local import LocalPlatform

    assert len({r["thread_id"] for r in results}) == USERS
    assert len({r["values"]["run_id"] for r in results}) == USERS
    for r in results:
        values, marker = r["values"], r["marker"]
        assert r["thread"]["status"] == "idle", (marker, r["thread"]["status"])
        assert values["dataset"]["source"] == r["data"]
        assert values["dataset"]["rows"] == 30 + r["k"]
        assert values["run_id"] in values["dataset"]["train_path"]
        # The uploaded training file, in this user's own buckets, holds these rows and nobody else's.
        storage = LocalPlatform(server.home / "users" / _user_of(r["k"])).storage
        train = storage.local_path(values["dataset"]["train_uri"]).read_text(encoding="utf-8")
        assert train.count(f"[{marker}]") >= 2 * 20 and "[user" not in train.replace(f"[{marker}]", ""), marker
        transcript = " ".join(str(m["content"]) for m in _messages(values))
        assert r["data"] in transcript
        assert all(other["data"] not in transcript for other in results if other is not r)
        decisions = [(a["action"], a["decision"]) for a in values["approvals"]]
        if r["k"] == 0:
            assert values["job"]["succeeded"] is True and decisions[-1] == ("deploy_model", "reject")
        else:
            assert not values["job"].get("name") and decisions[-1] == ("submit_tuning_job", "reject")
    prefixes = [r["values"]["storage"]["prefix"] for r in results]
    assert len(set(prefixes)) == USERS, f"users share upload folders: {sorted(prefixes)}"


def test_dev_threads_survive_a_crash_with_the_sqlite_hook(tmp_path: Path) -> None:
    """langgraph.dev.json keeps checkpoints in SQLite at every step: a killed server loses nothing.

    The second server runs in a fresh folder, so the dev server's own `.langgraph_api/`
    files are gone too: the conversation comes back from the SQLite file alone.
    """
    home = tmp_path / "home"
    (home / "users" / "alice" / "files").mkdir(parents=True)
    data = write_dataset(home / "users" / "alice" / "files" / "restart.csv", "restart")
    first = DevServer(tmp_path / "work1", home, config="langgraph.dev.json").start()
    try:
        t = ApiThread(first.client())
        t.say("hi")
        t.approve()
        t.say(f"use {data}")
        assert t.action == "confirm_column_mapping"
        thread_id, run_id = t.thread_id, t.values["run_id"]
        assert "Using custom checkpointer: AsyncSqliteSaver" in first.log.read_text(encoding="utf-8")
    finally:
        first.stop(signal.SIGKILL)
    assert (home / "server-threads.sqlite").stat().st_size > 0
    with DevServer(tmp_path / "work2", home, config="langgraph.dev.json") as second:
        client = second.client()
        # The dev server's thread list went with its folder; the conversation is in SQLite.
        client.threads.create(thread_id=thread_id, if_exists="do_nothing", metadata={"graph_id": ASSISTANT})
        t = ApiThread(client, thread_id=thread_id)
        assert t.action == "confirm_column_mapping"
        assert t.values["run_id"] == run_id
        t.approve()
        assert t.action == "split_validation"
        assert t.values["dataset"]["mapping_confirmed"] is True
