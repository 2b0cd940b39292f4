"""What a conversation says at its ends fits every frontend: an Agent Chat UI user has no terminal,
so no closing line, job result, failure advice or "Mark as Resolved" summary tells them to run a
`tuning-agent` command (the cards' *equivalent* commands are shown as such, for those who want them)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage
from langgraph.types import Command

from graph.approvals import RESOLVE_RESUME
from tests.graph_helpers import Session
from tests.test_graph_session import start, write_csv
from tools.monitoring import final_message
from tools.platforms.base import JobInfo
from tools.vertex.advice import BY_STATUS, KNOWN_FAILURES

#: A command to run: ours, or one of our CLI flags.
COMMAND = re.compile(r"tuning-agent |`--[a-z]")


def _said_after(s: Session, before: int) -> list[str]:
    return [str(m.content) for m in s.state["messages"][before:] if isinstance(m, AIMessage)]


@pytest.mark.parametrize("advice", [text for _, text in KNOWN_FAILURES] + list(BY_STATUS.values()))
def test_failure_advice_names_no_tuning_agent_command(advice: str) -> None:
    failed = JobInfo(name="projects/p/locations/us-central1/tuningJobs/1", state="JOB_STATE_FAILED",
                     error_message="boom", advice=advice)
    assert "tuning-agent " not in final_message(failed)


def test_the_end_of_a_session_and_mark_as_resolved_name_no_command(home: Path) -> None:
    s = Session()
    start(s, write_csv(home))
    s.approve_until("deploy_model")
    before = len(s.state["messages"])
    s._run(Command(resume=RESOLVE_RESUME))  # what the server makes of "Mark as Resolved"
    resolved = _said_after(s, before)
    assert resolved and resolved[-1].startswith("Marked as resolved."), resolved
    assert not [text for text in resolved if COMMAND.search(text)], resolved
    s.say("let's go on")
    assert s.action == "deploy_model", s.text()
    before = len(s.state["messages"])
    s.reject("not now")
    closing = _said_after(s, before)
    assert any(text.startswith("Summary:") for text in closing), closing
    assert not [text for text in closing if COMMAND.search(text)], closing
