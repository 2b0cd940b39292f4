"""The real `langgraph dev` server with API keys: who may call it, and what each user can reach.

Alice and Bob each have a key (tests/server_fixtures.py). Bob must not list, read, resume,
update or delete Alice's threads, nor reach her files through bucket search or `local://`
paths; paths outside a user's upload root are refused without content or listing; big
messages are refused at once while the health check stays fast.
"""

from __future__ import annotations

import os
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.server_fixtures import ASSISTANT, USERS, ApiThread, DevServer, write_dataset

pytestmark = pytest.mark.slow

SECRET = "s3cr3t-content-that-must-never-show"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    root = tmp_path_factory.mktemp("auth")
    with DevServer(root / "work", root / "home", jobs=6) as srv:
        yield srv


@pytest.fixture(scope="module")
def alice_thread(server: DevServer) -> ApiThread:
    """Alice's conversation, stopped at the column-mapping card (her data in her upload folder)."""
    data = write_dataset(server.upload_dir("alice") / "alice.csv", "alice-private")
    t = ApiThread(server.client("alice"))
    t.say("I want to tune a model")
    t.approve()
    t.say(f"use {data.name}")
    assert t.action == "confirm_column_mapping", t.tail()
    return t


def _status(call: Any) -> int:
    from langgraph_sdk.errors import APIStatusError

    try:
        call()
    except APIStatusError as err:
        return int(err.status_code)
    except Exception as err:  # httpx errors carry the response
        response = getattr(err, "response", None)
        if response is not None:
            return int(response.status_code)
        raise
    return 200


def _raw(server: DevServer, path: str, headers: dict[str, str] | None = None) -> int:
    post = path.endswith("/search")  # search endpoints are POSTs
    request = urllib.request.Request(f"{server.url}{path}", data=b"{}" if post else None,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as err:
        return int(err.code)


def test_no_key_or_a_wrong_key_is_refused(server: DevServer) -> None:
    assert _raw(server, "/ok") == 200  # the health check needs no key
    for headers in ({}, {"x-api-key": "wrong-key-0123456789"}, {"Authorization": "Bearer nope"},
                    {"x-auth-scheme": "langsmith"}):  # the Studio bypass is switched off
        assert _raw(server, "/threads/search", headers) in (401, 403), headers
        assert _status(lambda h=headers: server.client(None).threads.search(headers=h)) in (401, 403)
    assert _raw(server, "/assistants/search", {"Authorization": f"Bearer {USERS['alice']}"}) == 200
    assert _status(lambda: server.client("alice").threads.search()) == 200


def test_bob_cannot_reach_alices_threads(server: DevServer, alice_thread: ApiThread) -> None:
    alice, bob = server.client("alice"), server.client("bob")
    tid = alice_thread.thread_id
    assert tid in {t["thread_id"] for t in alice.threads.search()}
    assert tid not in {t["thread_id"] for t in bob.threads.search()}
    assert alice.threads.get(tid)["metadata"]["owner"] == "alice"
    assert _status(lambda: bob.threads.get(tid)) == 404
    assert _status(lambda: bob.threads.get_state(tid)) in (403, 404)
    assert _status(lambda: bob.threads.get_history(tid)) in (403, 404)
    assert _status(lambda: bob.threads.update(tid, metadata={"owner": "bob"})) in (403, 404)
    assert _status(lambda: bob.runs.wait(tid, ASSISTANT, command={"resume": {"decisions": [{"type": "approve"}]}},
                                         raise_error=True)) in (403, 404)
    assert _status(lambda: bob.threads.delete(tid)) in (403, 404)
    assert _status(lambda: bob.runs.list(tid)) in (403, 404) or bob.runs.list(tid) == []
    # Alice's card is untouched, and she still owns it.
    assert alice_thread.action == "confirm_column_mapping"
    assert alice.threads.get(tid)["metadata"]["owner"] == "alice"
    # Nobody writes a thread's state directly, not even its owner.
    assert _status(lambda: alice.threads.update_state(tid, {"category": "gemini"})) == 403
    # A client-chosen owner is overwritten by the server.
    made = bob.threads.create(metadata={"owner": "alice"})
    assert bob.threads.get(made["thread_id"])["metadata"]["owner"] == "bob"
    assert made["thread_id"] not in {t["thread_id"] for t in alice.threads.search()}


def test_store_items_are_under_their_owner(server: DevServer) -> None:
    alice, bob = server.client("alice"), server.client("bob")
    alice.store.put_item(("alice", "notes"), "k", {"v": 1})
    assert alice.store.get_item(("alice", "notes"), "k")["value"] == {"v": 1}
    assert _status(lambda: bob.store.get_item(("alice", "notes"), "k")) == 403
    assert _status(lambda: bob.store.put_item(("alice", "notes"), "k", {"v": 2})) == 403


def _last_text(t: ApiThread) -> str:
    return str(t.values["messages"][-1]["content"])


def test_paths_outside_the_upload_root_are_refused_without_content(server: DevServer, tmp_path: Path) -> None:
    outside = tmp_path / "outside.csv"
    outside.write_text(f"question,answer\n{SECRET},x\n", encoding="utf-8")
    root = server.upload_dir("bob")
    (root / "link.csv").symlink_to(outside)
    alice_files = server.upload_dir("alice")
    for name in ("server-notes/SOURCES.txt", "server-data/train.csv"):  # the operator's, next to the server
        (server.workdir / name).parent.mkdir(exist_ok=True)
        (server.workdir / name).write_text(f"question,answer\n{SECRET},x\n", encoding="utf-8")
    t = ApiThread(server.client("bob"))
    t.say("hi")
    t.approve()
    for attempt in (str(outside), "~/outside.csv", "../alice/files/alice.csv", "link.csv",
                    f"file://{outside}", str(alice_files / "alice.csv"), "/etc/passwd.csv",
                    "local://../runs/x.csv", "local://../../alice/buckets/x.csv",
                    # relative to the server's working folder, looking like Hugging Face ids
                    "the dataset server-notes/SOURCES.txt", "hf://server-data",
                    # the `datasets` library would load a local folder: `..` reached any of them
                    f"hf://../../../../../..{tmp_path}?split=train"):
        t.say(f"use {attempt}")
        text = _last_text(t)
        assert SECRET not in text and "alice-private" not in text, (attempt, text)
        assert "outside.csv" not in text.replace(attempt, "") or attempt.endswith("outside.csv"), text
        assert not t.values.get("dataset", {}).get("inspected"), (attempt, text)


def test_bucket_search_and_local_uris_see_only_your_own_files(server: DevServer, alice_thread: ApiThread) -> None:
    alice_thread.approve_until("upload_dataset")
    alice_thread.approve()
    uploaded = alice_thread.values["dataset"]["train_uri"]
    assert uploaded.startswith("local://")
    assert (server.home / "users" / "alice" / "buckets").is_dir()
    # Bob searches his buckets: nothing of Alice's.
    t = ApiThread(server.client("bob"))
    t.say("hi")
    t.approve()
    t.say("search my buckets")
    if t.action == "search_buckets":
        t.approve()
    assert "alice" not in _last_text(t) and uploaded not in _last_text(t)
    # Bob names Alice's object: it is not in his buckets.
    t.say(f"use {uploaded}")
    assert "alice-private" not in _last_text(t)
    assert not t.values.get("dataset", {}).get("inspected")


def test_big_messages_are_refused_at_once_and_health_stays_fast(server: DevServer) -> None:
    client = server.client("carol", timeout=30)
    tid = client.threads.create()["thread_id"]
    figures = {}
    for label, text in (("40k", "a." * 20_000), ("1MB", "x" * (1 << 20))):
        message = {"type": "human", "content": [{"type": "text", "text": text}]}
        start = time.monotonic()
        status = _status(lambda m=message: client.runs.wait(tid, ASSISTANT, input={"messages": [m]},
                                                            raise_error=True))
        figures[label] = time.monotonic() - start
        assert status == 413, (label, status)
        start = time.monotonic()
        assert _raw(server, "/ok") == 200
        figures[f"ok after {label}"] = time.monotonic() - start
    print("timings (s):", {k: round(v, 3) for k, v in figures.items()})
    assert figures["40k"] < 1.0 and figures["1MB"] < 1.0, figures
    assert max(v for k, v in figures.items() if k.startswith("ok")) < 1.0, figures
    # A normal message right after is answered.
    t = ApiThread(client, thread_id=tid)
    t.say("hello")
    assert t.action == "choose_model_category"


def test_home_is_private(server: DevServer, alice_thread: ApiThread) -> None:
    assert (server.home.stat().st_mode & 0o077) == 0
    users = server.home / "users"
    for folder in (users, users / "alice", users / "alice" / "files"):
        assert folder.stat().st_mode & 0o077 == 0, (folder, oct(folder.stat().st_mode))
    assert os.access(server.home, os.R_OK)
