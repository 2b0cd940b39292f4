"""The scenario suite (issue #12): scripted conversations judged by what a person would expect."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.chat_fixtures import offline_home
from tests.scenarios.conversations import CONVERSATIONS
from tests.scenarios.runner import Conversation, check, failing_llm_factory, fake_llm_factory, run


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = offline_home(tmp_path, monkeypatch)
    return home


def _params() -> list[object]:
    params: list[object] = []
    for conversation in CONVERSATIONS:
        for llm in conversation.llms:
            marks = [pytest.mark.xfail(strict=True, reason=conversation.known_gap)] if conversation.known_gap else []
            params.append(pytest.param(conversation, llm, id=f"{conversation.name}[{llm}]", marks=marks))
    return params


@pytest.mark.parametrize(("conversation", "llm"), _params())
def test_conversation(conversation: Conversation, llm: str, home: Path, tmp_path: Path,
                      monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    if conversation.platform == "vertex":  # the real SDKs against the fake servers (they set their variables)
        for fixture in ("fake_vertex", "fake_admin", "gcs_emulator"):
            request.getfixturevalue(fixture)
        # The suggested open model is live in this fake project (the preflight checks the publisher list).
        request.getfixturevalue("fake_vertex").state.publisher_models.append(
            ("publishers/google/models/gemma4", "gemma-4-e4b-it"))
    monkeypatch.chdir(tmp_path)  # relative paths a person types start here (the runner's files are in it)
    if llm == "fake":
        monkeypatch.setattr("agent.llm.make_llm", fake_llm_factory())
    if llm == "failing":
        from agent.logs import reset_output, setup_output

        monkeypatch.setattr("agent.llm.make_llm", failing_llm_factory())
        setup_output(home=home)  # as the CLI does: failed LLM calls are logged and counted, never printed
        request.addfinalizer(reset_output)
    results = run(conversation, llm, tmp_path)
    problems = check(conversation, results)
    transcript = "\n".join(f">>> {r.said}\n{r.reply}" for r in results)
    assert not problems, "\n".join(problems) + "\n\n" + transcript


def test_table_is_well_formed() -> None:
    names = [c.name for c in CONVERSATIONS]
    assert len(names) == len(set(names)), "scenario names are thread ids: keep them unique"
    assert len(names) >= 40
    assert {c.platform for c in CONVERSATIONS} == {"local", "vertex"}
    for conversation in CONVERSATIONS:
        assert conversation.about and conversation.turns
        assert set(conversation.llms) <= {"none", "fake", "failing"} and conversation.platform in {"local", "vertex"}
