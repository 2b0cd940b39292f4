"""Multi-user persistence on PostgreSQL: conversations outlive the process that held them.

Skipped unless `TUNING_AGENT_TEST_POSTGRES_URI` names a database (`.ci/postgres.sh`
starts one and prints the URI). Two checks:

- the graph itself with langgraph-checkpoint-postgres's `PostgresSaver`: run to an
  approval, drop the saver and its connection ("restart"), build a new graph and saver,
  resume the same thread and carry on;
- the server: `langgraph dev` with the checkpointer hook pointed at PostgreSQL
  (`TUNING_AGENT_SERVER_DB`), several users at once, killed, started again in an empty
  folder, and every user continues from their own card.
"""

from __future__ import annotations

import os
import signal
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.server_fixtures import ASSISTANT, ApiThread, DevServer, write_dataset

URI = os.environ.get("TUNING_AGENT_TEST_POSTGRES_URI", "")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not URI, reason="set TUNING_AGENT_TEST_POSTGRES_URI (see .ci/postgres.sh)"),
]


def test_graph_thread_survives_a_restart_on_postgres(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from langgraph.checkpoint.postgres import PostgresSaver

    from graph.deps import Deps
    from tests.graph_helpers import Session

    monkeypatch.setenv("TUNING_AGENT_HOME", str(tmp_path / "home"))
    data = write_dataset(tmp_path / "pg.csv", "pg")
    thread_id = f"pg-test-{uuid.uuid4().hex}"

    with PostgresSaver.from_conn_string(URI) as saver:
        saver.setup()
        before = Session(Deps(platform_name="local", poll_s=0.2), checkpointer=saver, thread_id=thread_id)
        before.say("hi")
        before.approve()
        before.say(f"use {data}")
        assert before.action == "confirm_column_mapping"
        before.approve()
        assert before.action == "split_validation"
        run_id = before.state["run_id"]
    del before, saver  # the process "restarts": no graph, no saver, no connection survive

    with PostgresSaver.from_conn_string(URI) as saver:
        after = Session(Deps(platform_name="local", poll_s=0.2), checkpointer=saver, thread_id=thread_id)
        assert after.action == "split_validation"
        assert after.state["run_id"] == run_id
        assert after.state["dataset"]["mapping_confirmed"] is True
        after.edit(validation_split="0.2")
        after.approve_until("approve_configuration")
        state = after.state
        assert state["dataset"]["validation_split"] == 0.2
        assert state["dataset"]["uploaded"] is True and state["dataset"]["source"] == str(data)
        assert [a["action"] for a in state["approvals"]][:2] == ["choose_model_category", "confirm_column_mapping"]


def test_server_on_postgres_keeps_every_users_thread_across_a_crash(tmp_path: Path) -> None:
    users = 5
    home = tmp_path / "home"
    env = {"TUNING_AGENT_SERVER_DB": URI}

    def start(k: int, server: DevServer) -> tuple[str, str]:
        data = write_dataset(server.upload_dir() / f"pg{k}.csv", f"pg{k}", rows=30 + k)
        t = ApiThread(server.client())
        t.say("hi")
        t.approve()
        t.say(f"use {data}")
        t.approve_until("split_validation")
        return t.thread_id, t.values["run_id"]

    first = DevServer(tmp_path / "work1", home, config="langgraph.dev.json", extra_env=env).start()
    try:
        assert "Using custom checkpointer: AsyncPostgresSaver" in first.log.read_text(encoding="utf-8")
        with ThreadPoolExecutor(max_workers=users) as pool:
            started = list(pool.map(lambda k: start(k, first), range(users)))
    finally:
        first.stop(signal.SIGKILL)

    def resume(k: int, server: DevServer) -> dict[str, object]:
        thread_id, _ = started[k]
        client = server.client()
        client.threads.create(thread_id=thread_id, if_exists="do_nothing", metadata={"graph_id": ASSISTANT})
        t = ApiThread(client, thread_id=thread_id)
        assert t.action == "split_validation"
        t.edit(validation_split=f"{0.05 + 0.03 * k:.2f}")  # a string, as the UI sends it
        t.approve_until("approve_configuration")
        return t.values

    with DevServer(tmp_path / "work2", home, config="langgraph.dev.json", extra_env=env) as second, \
            ThreadPoolExecutor(max_workers=users) as pool:
        finished = list(pool.map(lambda k: resume(k, second), range(users)))
    assert not (home / "server-threads.sqlite").exists()  # everything went to PostgreSQL
    for k, values in enumerate(finished):
        dataset = values["dataset"]
        assert isinstance(dataset, dict)
        assert values["run_id"] == started[k][1]
        assert dataset["source"] == str(first.upload_dir() / f"pg{k}.csv")
        assert dataset["rows"] == 30 + k
        assert dataset["validation_split"] == pytest.approx(0.05 + 0.03 * k)
        assert dataset["uploaded"] is True
