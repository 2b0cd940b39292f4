"""Graph behaviour the product promises, driven only through the Session's public methods.

Written from the requirement, not the code (and kept to `say/approve/edit/reject`, `state`,
`interrupt` and `action`, so they hold through a rewrite of graph/):

- a card accepts only the decisions it lists; anything else re-asks the same card and
  changes nothing; an edit naming a field the card does not have is re-asked the same way;
- preflight problems stop the chat before the submit card: no tuning job is created;
- nothing is uploaded while the upload card is open, nor after it is refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graph.deps import Deps
from tests.fake_admin import fake_admin_fixture  # noqa: F401
from tests.fake_vertex.fixtures import fake_vertex_fixture  # noqa: F401
from tests.gcs_fixtures import gcs_emulator_fixture  # noqa: F401
from tests.graph_helpers import Session
from tests.test_graph_session import TRIVIA, write_csv


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TUNING_AGENT_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def card(s: Session) -> dict[str, Any]:
    payload = s.interrupt
    assert payload is not None, f"no card open; last replies: {s.text()}"
    request = payload["action_requests"][0]
    return {"name": request["name"], "args": request["args"], "description": request["description"],
            "allowed": payload["review_configs"][0]["allowed_decisions"]}


def assert_reasked(s: Session, before: dict[str, Any], said: str) -> None:
    after = card(s)
    assert after["name"] == before["name"], f"{before['name']} was decided: now {after['name']}"
    assert after["args"] == before["args"]
    # The reason is shown on the re-asked card (or said in the chat).
    assert said in after["description"] or said in s.text(), (after["description"], s.text())


def test_every_card_refuses_what_it_does_not_allow(home: Path) -> None:
    s = Session()
    s.say("I want to tune a model to answer trivia questions")
    seen: dict[str, list[str]] = {}
    for _ in range(12):
        current = card(s)
        name = current["name"]
        if name in seen:
            break
        seen[name] = current["allowed"]
        if "edit" in current["allowed"]:
            s.edit(no_such_field=1)
            assert_reasked(s, current, "no_such_field")
        else:
            s.edit(**current["args"])  # an edit where only yes or no is allowed: not an approval
            assert_reasked(s, current, "'edit' is not allowed here")
        if name == "choose_model_category":
            s.approve()
            s.say(f"use {write_csv(home)}")
        elif name == "submit_tuning_job":
            break
        else:
            s.approve()
    assert "submit_tuning_job" in seen, seen
    assert seen["submit_tuning_job"] == ["approve", "reject"]
    assert {"choose_model_category", "approve_configuration", "upload_dataset"} <= set(seen), seen
    assert s.action == "submit_tuning_job"
    assert not (s.state.get("job") or {}).get("name"), "no job may start from a refused decision"


@pytest.fixture
def cloud(fake_vertex, fake_admin, gcs_emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    return fake_vertex


def vertex_session() -> Session:
    return Session(Deps(platform_name="vertex", poll_s=0.01, watch_timeout_s=30))


def blobs() -> list[str]:
    from google.cloud import storage

    client = storage.Client(project="tuning-test-project")
    return [b.name for bucket in client.list_buckets() for b in client.list_blobs(bucket.name)]


@pytest.mark.slow
def test_preflight_problems_stop_before_the_submit_card(cloud, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # gemma 3 12b is in the catalog but not in this project's live publisher-model list.
    assert ("publishers/google/models/gemma3", "gemma-3-12b-it") not in cloud.state.publisher_models
    s = vertex_session()
    s.say("I want to tune gemma 3 12b to answer trivia questions")
    assert s.action == "confirm_project_region"
    s.approve()
    s.say(f"use {write_csv(tmp_path, TRIVIA * 10)}")
    for _ in range(12):
        if s.action in (None, "submit_tuning_job"):
            break
        s.approve()
    assert "Preflight found problems — nothing was submitted" in s.text(), s.text()
    assert "gemma-3-12b-it is not in the live publisher-model list" in s.text()
    assert s.action != "submit_tuning_job"
    s.say("yes, submit")  # a go-ahead cannot skip the problems either
    assert s.action != "submit_tuning_job"
    assert cloud.calls("tuningJobs.create") == []


@pytest.mark.slow
def test_nothing_is_uploaded_while_the_card_is_open_or_after_a_reject(cloud, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cloud.state.publisher_models.append(("publishers/google/models/gemma3", "gemma-3-12b-it"))
    s = vertex_session()
    s.say("I want to tune gemma 3 12b to answer trivia questions")
    s.approve()
    s.say(f"use {write_csv(tmp_path, TRIVIA * 10)}")
    s.approve_until("upload_dataset")
    assert blobs() == []  # the card is open: nothing sent yet
    s.reject("not now")
    assert s.action != "upload_dataset"
    assert blobs() == []  # refused: still nothing
    assert not s.state["dataset"].get("uploaded")
    s.say("upload")
    assert s.action == "upload_dataset"
    assert blobs() == []
    s.approve()
    uploaded = blobs()
    assert sorted(name.rsplit("/", 1)[-1] for name in uploaded) == ["train.jsonl", "validation.jsonl"]
