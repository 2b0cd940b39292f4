"""What choosing a model costs is told by the platform: Vertex AI quotes the catalog's prices; the
local platform charges nothing, so its cards give time on this machine and never a cloud price."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage

from graph.deps import Deps
from tests.graph_helpers import Session
from tests.test_graph_session import write_csv
from tools.platforms.local import LocalPlatform
from tools.platforms.vertex import VertexPlatform

#: A dollar figure, or a per-token price: what a local user must never be quoted.
CLOUD_PRICE = re.compile(r"\$\s?\d|per 1M (training )?tokens|billed by the hour", re.I)


def test_vertex_quotes_each_suggestions_catalog_price() -> None:
    costs = VertexPlatform(project="p", region="us-central1").suggestion_costs(["$1.73 per 1M training tokens",
                                                                                "$5 per 1M training tokens"])
    assert costs.cells == ["$1.73 per 1M training tokens", "$5 per 1M training tokens"] and costs.note is None


def test_local_gives_time_on_this_machine_and_no_price(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUNING_AGENT_LOCAL_MODEL", "local/tiny")
    costs = LocalPlatform(home).suggestion_costs(["$1.73 per 1M training tokens"])
    assert costs.cells is None and costs.note is not None
    assert "no cloud charges" in costs.note and "`local/tiny`" in costs.note
    assert re.search(r"about \d+ (seconds|minutes|hours?) per epoch", costs.note), costs.note
    assert not CLOUD_PRICE.search(costs.note)


def test_a_whole_local_session_never_quotes_a_cloud_price(home: Path) -> None:
    s = Session()
    s.say("I want to tune a model to answer trivia questions")
    category = s.interrupt["action_requests"][0]["description"]  # type: ignore[index]
    assert "no cloud charges" in category and "seconds per epoch" in category, category
    assert "| cost |" not in category
    s.approve()
    s.say(f"use {write_csv(home)}")
    s.approve_until("approve_configuration")
    assert "free (local)" in s.interrupt["action_requests"][0]["description"]  # type: ignore[index]
    s.approve_until("deploy_model")
    s.approve()
    said = [str(m.content) for m in s.state["messages"] if isinstance(m, AIMessage)]
    quoted = [text for text in said if CLOUD_PRICE.search(text)]
    assert not quoted, quoted


def test_the_vertex_category_card_has_a_cost_column(home: Path) -> None:
    s = Session(Deps(platform_name="vertex", project="tuning-test", region="us-central1"))
    s.say("I want to tune a model to answer trivia questions")
    description = s.interrupt["action_requests"][0]["description"]  # type: ignore[index]
    assert "| cost |" in description and "per 1M training tokens" in description
    assert "no cloud charges" not in description
