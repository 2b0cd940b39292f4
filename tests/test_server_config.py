"""The server's configuration: what `langgraph dev` / `langgraph up` read, checked without starting one."""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import subprocess
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.server_fixtures import LANGGRAPH, REPO, hitl_shape_problems

CONFIGS = ["langgraph.json", "langgraph.dev.json"]


def _server(monkeypatch: pytest.MonkeyPatch, home: Path, **env: str) -> ModuleType:
    monkeypatch.setenv("TUNING_AGENT_HOME", str(home))
    monkeypatch.setenv("TUNING_AGENT_PLATFORM", "local")
    monkeypatch.setenv("TUNING_AGENT_LLM", "none")
    monkeypatch.delenv("TUNING_AGENT_SERVER_DB", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    import agent.server

    return importlib.reload(agent.server)


@pytest.mark.parametrize("name", CONFIGS)
def test_config_is_valid_and_points_at_real_code(name: str) -> None:
    from langgraph_cli.config import get_unknown_keys, validate_config_file

    raw = json.loads((REPO / name).read_text(encoding="utf-8"))
    assert get_unknown_keys(raw) == []
    config = validate_config_file(REPO / name)
    assert config["graphs"] == {"tuning_agent": "./agent/server.py:graph",
                                "job_checker": "./agent/background.py:graph"}
    assert "env" not in raw, "an env file that does not exist breaks `langgraph up`; set variables in the shell"
    specs = [*config["graphs"].values()] + ([raw["checkpointer"]["path"]] if "checkpointer" in raw else [])
    for spec in specs:
        path, _, attr = spec.partition(":")
        source = (REPO / path).read_text(encoding="utf-8")
        assert f"\n{attr} = " in source or f"def {attr}(" in source, spec


def test_production_config_leaves_persistence_to_the_server() -> None:
    raw = json.loads((REPO / "langgraph.json").read_text(encoding="utf-8"))
    assert "checkpointer" not in raw  # `langgraph up` then keeps threads in its PostgreSQL
    dev = json.loads((REPO / "langgraph.dev.json").read_text(encoding="utf-8"))
    assert dev["checkpointer"] == {"path": "./agent/server.py:make_checkpointer"}
    assert {k: v for k, v in dev.items() if k != "checkpointer"} == raw


def test_langgraph_up_can_build_an_image_from_it(tmp_path: Path) -> None:
    """`langgraph up` builds from this Dockerfile; generating it needs no Docker engine."""
    env = {**os.environ, "LANGGRAPH_CLI_NO_ANALYTICS": "1"}
    out = subprocess.run([str(LANGGRAPH), "dockerfile", "-c", str(REPO / "langgraph.json"),
                          str(tmp_path / "Dockerfile")], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=60, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    dockerfile = (tmp_path / "Dockerfile").read_text(encoding="utf-8")
    # The image holds the checkout under /deps/<folder name>, whatever the clone is called.
    graphs = json.dumps({"tuning_agent": f"/deps/{REPO.name}/agent/server.py:graph",
                         "job_checker": f"/deps/{REPO.name}/agent/background.py:graph"})
    assert f"LANGSERVE_GRAPHS='{graphs}'" in dockerfile
    assert "LANGGRAPH_CHECKPOINTER" not in dockerfile


def test_server_graph_has_no_checkpointer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server = _server(monkeypatch, tmp_path)
    assert server.graph.checkpointer is None
    assert server.graph.name == "tuning-agent"


def test_server_db_defaults_to_sqlite_in_the_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server = _server(monkeypatch, tmp_path / "home")
    assert server.server_db() == str(tmp_path / "home" / "server-threads.sqlite")
    monkeypatch.setenv("TUNING_AGENT_SERVER_DB", "postgresql://u:p@db:5432/threads")
    assert server.server_db() == "postgresql://u:p@db:5432/threads"
    monkeypatch.setenv("TUNING_AGENT_SERVER_DB", str(tmp_path / "elsewhere.sqlite"))
    assert server.server_db() == str(tmp_path / "elsewhere.sqlite")


def test_sqlite_hook_keeps_an_open_approval_across_reopen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The hook's saver holds a thread's open card after it is closed and opened again (as on restart)."""
    db = tmp_path / "db" / "threads.sqlite"
    server = _server(monkeypatch, tmp_path / "home", TUNING_AGENT_SERVER_DB=str(db))
    from langchain_core.messages import HumanMessage

    from graph.builder import build_graph
    from graph.deps import Deps

    config: dict[str, Any] = {"configurable": {"thread_id": uuid.uuid4().hex}}

    async def first() -> None:
        async with server.make_checkpointer() as saver:
            assert type(saver).__name__ == "AsyncSqliteSaver"
            graph = build_graph(Deps(platform_name="local"), checkpointer=saver)
            await graph.ainvoke({"messages": [HumanMessage(content="hi")]}, config)

    async def second() -> Any:
        async with server.make_checkpointer() as saver:
            graph = build_graph(Deps(platform_name="local"), checkpointer=saver)
            return await graph.aget_state(config)

    asyncio.run(first())
    assert db.stat().st_size > 0
    snapshot = asyncio.run(second())
    interrupts = [i.value for task in snapshot.tasks for i in task.interrupts]
    assert len(interrupts) == 1 and hitl_shape_problems(interrupts[0]) == []
    assert interrupts[0]["action_requests"][0]["name"] == "choose_model_category"


def test_hitl_shape_check_rejects_what_the_ui_would_not_render() -> None:
    good = {"action_requests": [{"name": "a", "args": {}, "description": "d"}],
            "review_configs": [{"action_name": "a", "allowed_decisions": ["approve", "reject"]}]}
    assert hitl_shape_problems(good) == []
    assert hitl_shape_problems({"action_request": {"action": "a"}, "config": {}}) != []
    assert hitl_shape_problems({**good, "review_configs": [{"action_name": "b", "allowed_decisions": ["approve"]}]})
    assert hitl_shape_problems({**good, "review_configs": [{"action_name": "a", "allowed_decisions": ["accept"]}]})
