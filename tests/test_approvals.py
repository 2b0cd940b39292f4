"""The approval protocol itself (graph/approvals.py), one card at a time, through real LangGraph interrupts.

Every step that spends money or changes a project asks through this protocol, so what it must
guarantee is checked here directly, on a one-node graph: a card carries its own id and opening
time; only an answer meant for that card decides it; an edit is checked against the card's own
action and fields; every decision lands in the audit trail with one line saying what happened;
an answer that cannot decide the card shows the card again (a new id) and says why.
"""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path
from typing import Any, TypedDict

import pytest
from langchain_core.messages import AIMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command
from pydantic import BaseModel, Field, field_validator

from graph.approvals import (
    REQUEST_START_KEY,
    RESOLVE_RESUME,
    RESUME_SCHEMA,
    Outcome,
    Reask,
    Resolved,
    ask,
    await_decision,
    payload,
    propose,
    run_created_at,
    stale,
    title,
)

ACTION = "approve_configuration"
TITLE = "Approve the model and settings"


class Settings(BaseModel):
    """The card's arguments as the configure step validates them."""

    epochs: int = Field(ge=1)
    learning_rate: float = Field(gt=0)


class CardState(TypedDict, total=False):
    pending: dict[str, Any] | None
    facts: dict[str, Any] | None
    job: dict[str, Any] | None
    category: str | None


def card(allowed: tuple[Any, ...] = ("approve", "edit", "reject"), **args: Any) -> dict[str, Any]:
    return propose("configure", ACTION, args or {"epochs": 3, "learning_rate": 0.0002},
                   "Tune for 3 epochs.", allowed=allowed)["pending"]


class Harness:
    """A one-node graph whose node awaits the decision on `pending`, as every step does."""

    def __init__(self, pending: dict[str, Any], facts: dict[str, Any] | None = None,
                 args_model: type[BaseModel] | None = Settings, *, job: dict[str, Any] | None = None,
                 category: str | None = "open", user: str | None = None) -> None:
        self.results: list[Outcome | Reask | Resolved] = []

        def step(state: CardState) -> dict[str, Any]:
            try:
                self.results.append(await_decision(state, args_model))  # type: ignore[arg-type]
            except (Reask, Resolved) as err:
                self.results.append(err)
            return {}

        builder = StateGraph(CardState)
        builder.add_node("step", step)
        builder.add_edge(START, "step")
        builder.add_edge("step", END)
        self.graph = builder.compile(checkpointer=InMemorySaver())
        self.config: dict[str, Any] = {"configurable": {"thread_id": uuid.uuid4().hex}}
        if user:  # what the LangGraph server sets for an authenticated person
            self.config["configurable"]["langgraph_auth_user_id"] = user
        self.first = self.graph.invoke({"pending": pending, "facts": facts or {}, "category": category,
                                        "job": job}, self.config)

    @property
    def interrupt_value(self) -> Any:
        return self.first["__interrupt__"][0].value

    def resume(self, value: Any, created_ms: int | None = None) -> Outcome | Reask | Resolved:
        config = self.config
        if created_ms is not None:
            config = {"configurable": {**config["configurable"], REQUEST_START_KEY: created_ms}}
        self.graph.invoke(Command(resume=value), config)
        assert len(self.results) == 1, "the node decides once per resume"
        return self.results[0]


def outcome(result: Any) -> Outcome:
    assert isinstance(result, Outcome), f"expected a decision, got {result!r}"
    return result


def reask(result: Any) -> dict[str, Any]:
    assert isinstance(result, Reask), f"expected the card to be shown again, got {result!r}"
    return result.update


def line(update: dict[str, Any]) -> str:
    (message,) = update["messages"]
    assert isinstance(message, AIMessage)
    return str(message.content)


# -- opening a card ----------------------------------------------------------


def test_a_card_opens_with_its_own_id_time_and_explanation() -> None:
    before = time.time()
    update = propose("configure", ACTION, {"epochs": 3}, "Tune for 3 epochs.\nCost: $4.", allowed=("approve",))
    pending = update["pending"]
    assert pending["kind"] == "approval" and pending["step"] == "configure" and pending["action"] == ACTION
    assert pending["args"] == {"epochs": 3} and pending["title"] == TITLE
    assert pending["allowed"] == ["approve"] and pending["error"] is None
    assert before <= pending["opened_at"] <= time.time()
    assert "Cost: $4." in pending["description"] and "Tune for 3 epochs." in pending["description"]
    (message,) = update["messages"]
    assert message.additional_kwargs["card"] == pending["id"]
    assert str(message.content).startswith(f"**{TITLE}**") and "Cost: $4." in str(message.content)
    other = propose("configure", ACTION, {"epochs": 3}, "Tune for 3 epochs.")["pending"]
    assert other["id"] != pending["id"], "two cards for one action are still two cards"
    assert other["allowed"] == ["approve", "edit", "reject"]


def test_the_interrupt_carries_the_card_in_the_human_in_the_loop_shape() -> None:
    pending = card(allowed=("approve", "reject"))
    value = payload(pending)
    assert value["action_requests"] == [{"name": ACTION, "args": pending["args"],
                                         "description": f"**{TITLE}**\n\n{pending['description']}"}]
    assert value["review_configs"] == [{"action_name": ACTION, "allowed_decisions": ["approve", "reject"]}]
    shown = payload({**pending, "error": "epochs must be at least 1"})["action_requests"][0]["description"]
    assert shown.startswith("**Your edit was not accepted:** epochs must be at least 1\n\n")
    first = Harness(pending).first["__interrupt__"][0]
    assert first.value == value
    assert first.response_schema == RESUME_SCHEMA, "clients draw the answer form from the schema"
    assert {"type": "string", "description": "free text"} in RESUME_SCHEMA["anyOf"]


def test_a_card_on_a_server_never_shows_where_the_server_keeps_the_users_files(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUNING_AGENT_HOME", str(tmp_path / "home"))
    folder = tmp_path / "home" / "users" / "ada"
    pending = propose("upload", "upload_dataset", {"source": "files/train.csv"},
                      f"Upload {folder}/files/train.csv to gs://b/run/.")["pending"]
    harness = Harness(pending, args_model=None, user="ada")
    shown = harness.interrupt_value["action_requests"][0]["description"]
    assert "Upload files/train.csv to gs://b/run/." in shown and str(tmp_path) not in shown
    update = reask(harness.resume({"decisions": [{"type": "edit", "edited_action": {
        "name": "deploy_model", "args": {}}}]}))
    assert "Upload files/train.csv to gs://b/run/." in line(update) and str(tmp_path) not in line(update)


def test_unknown_actions_get_a_readable_title() -> None:
    assert title("rotate_service_keys") == "Rotate service keys"
    assert title("deploy_model") == "Deploy the tuned model"


# -- deciding it -------------------------------------------------------------


def test_approve_keeps_the_proposal_and_records_it() -> None:
    pending = card()
    result = outcome(Harness(pending).resume({"decisions": [{"type": "approve"}]}))
    assert result.type == "approve" and result.approved and result.message is None
    assert result.args == {"epochs": 3, "learning_rate": 0.0002}
    assert result.updates["pending"] is None
    (record,) = result.updates["approvals"]
    assert record["action"] == ACTION and record["decision"] == "approve" and record["args"] == result.args
    assert record["message"] is None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", record["time"]), "UTC, to the second"
    assert line(result.updates) == f"Approved: {TITLE}."
    assert result.updates["messages"][0].additional_kwargs == {"status": True}
    assert "facts" not in result.updates


def test_an_approved_proposal_is_still_validated() -> None:
    pending = card(epochs=0, learning_rate=0.0002)  # a proposal can be incomplete or wrong
    update = reask(Harness(pending).resume({"decisions": [{"type": "approve"}]}))
    assert update["pending"]["error"].startswith("epochs = ")
    assert "approvals" not in update


def test_an_edit_changes_only_the_named_fields_and_says_what_changed() -> None:
    pending = card()
    result = outcome(Harness(pending).resume({"decisions": [{"type": "edit", "edited_action": {
        "name": ACTION, "args": {"epochs": 5}}}]}))
    assert result.type == "edit" and result.approved
    assert result.args == {"epochs": 5, "learning_rate": 0.0002}
    assert result.updates["approvals"][0]["args"] == result.args
    assert result.updates["approvals"][0]["decision"] == "edit"
    assert line(result.updates) == "Changed epochs 3 → 5"


def test_every_changed_value_is_named() -> None:
    result = outcome(Harness(card()).resume({"decisions": [{"type": "edit", "edited_action": {
        "name": ACTION, "args": {"epochs": 5, "learning_rate": 0.001}}}]}))
    assert line(result.updates) == "Changed epochs 3 → 5, learning_rate 0.0002 → 0.001"


def test_an_edit_that_changes_nothing_reads_as_approved() -> None:
    pending = card()
    result = outcome(Harness(pending).resume({"decisions": [{"type": "edit", "edited_action": {
        "name": ACTION, "args": {"epochs": 3}}}]}))
    assert line(result.updates) == f"Approved: {TITLE}."


def test_an_edit_without_changes_or_an_approve_with_changes_keeps_the_proposal() -> None:
    """Only an edit changes values, and only the values it carries."""
    bare = outcome(Harness(card()).resume({"decisions": [{"type": "edit"}]}))
    assert bare.type == "edit" and bare.args == {"epochs": 3, "learning_rate": 0.0002}
    sneaky = outcome(Harness(card()).resume({"decisions": [{"type": "approve", "edited_action": {
        "name": ACTION, "args": {"epochs": 50}}}]}))
    assert sneaky.type == "approve" and sneaky.args == {"epochs": 3, "learning_rate": 0.0002}


def test_without_an_args_model_the_merged_arguments_are_kept_as_sent() -> None:
    pending = card()
    result = outcome(Harness(pending, args_model=None).resume({"decisions": [{"type": "edit", "edited_action": {
        "name": ACTION, "args": {"epochs": "5"}}}]}))
    assert result.args == {"epochs": "5", "learning_rate": 0.0002}


@pytest.mark.parametrize(("edit", "said"), [
    ({"name": "deploy_model", "args": {"epochs": 5}}, f"open card is `{ACTION}` ({TITLE}); nothing was changed"),
    ({"name": ACTION, "args": {"epochs": 5, "bucket": "x", "aaa": 1}},
     "unknown field(s) aaa, bucket; editable: epochs, learning_rate"),
    ({"name": ACTION, "args": {"epochs": 0}}, "epochs = 0 is not allowed (epochs must be ≥ 1)"),
])
def test_a_wrong_edit_shows_the_card_again_with_the_reason(edit: dict[str, Any], said: str) -> None:
    pending = card()
    update = reask(Harness(pending).resume({"decisions": [{"type": "edit", "edited_action": edit}]}))
    again = update["pending"]
    assert said in again["error"]
    assert again["id"] != pending["id"] and again["opened_at"] >= pending["opened_at"]
    assert again["action"] == ACTION and again["args"] == pending["args"]
    assert line(update).startswith(f"**Not accepted:** {again['error']}\n\n**{TITLE}**")
    assert update["messages"][0].additional_kwargs == {"card": again["id"]}
    assert "approvals" not in update and "facts" not in update


def test_two_validation_problems_are_both_named() -> None:
    pending = card()
    update = reask(Harness(pending).resume({"decisions": [{"type": "edit", "edited_action": {
        "name": ACTION, "args": {"epochs": 0, "learning_rate": -1}}}]}))
    assert update["pending"]["error"] == ("epochs = 0 is not allowed (epochs must be ≥ 1); "
                                          "learning_rate = -1 is not allowed (learning_rate must be > 0)")


class Lora(BaseModel):
    rank: int = Field(ge=1)


class WithLora(BaseModel):
    lora: Lora


def test_a_nested_field_error_names_its_path() -> None:
    pending = propose("configure", ACTION, {"lora": {"rank": 8}}, "LoRA rank 8.")["pending"]
    update = reask(Harness(pending, args_model=WithLora).resume({"decisions": [{"type": "edit", "edited_action": {
        "name": ACTION, "args": {"lora": {"rank": 0}}}}]}))
    assert update["pending"]["error"] == "lora.rank = 0 is not allowed (lora.rank must be ≥ 1)"


def test_a_decision_the_card_does_not_allow_is_refused() -> None:
    pending = card(allowed=("approve", "reject"))
    update = reask(Harness(pending).resume({"decisions": [{"type": "edit", "edited_action": {
        "name": ACTION, "args": {"epochs": 5}}}]}))
    assert update["pending"]["error"] == "'edit' is not allowed here; choose one of ['approve', 'reject']."
    assert "approvals" not in update


def test_a_plain_reject_declines_the_card() -> None:
    pending = card()
    result = outcome(Harness(pending).resume({"decisions": [{"type": "reject"}]}))
    assert result.type == "reject" and not result.approved
    assert result.args == pending["args"]
    assert result.updates["pending"] is None and result.updates["approvals"][0]["decision"] == "reject"
    assert line(result.updates) == f"Declined: {TITLE}."


def test_a_reject_with_reasons_keeps_them_in_the_audit_trail() -> None:
    pending = card()
    result = outcome(Harness(pending).resume({"decisions": [{"type": "reject", "message": "not today"}]}))
    assert result.type == "reject" and result.message == "not today"
    assert result.updates["approvals"][0]["message"] == "not today"
    assert line(result.updates) == "Declined: not today"
    assert "facts" not in result.updates


def test_free_text_naming_a_dataset_goes_back_to_the_dataset_step() -> None:
    pending = card()
    update = reask(Harness(pending).resume("no, use gs://team-data/other.jsonl instead"))
    assert update["facts"]["dataset"] == "gs://team-data/other.jsonl"
    assert "approvals" not in update, "a change another step owns decides nothing here"


def test_a_reply_that_answers_the_card_and_names_a_dataset_keeps_the_dataset() -> None:
    pending = card()
    result = outcome(Harness(pending).resume("yes, use gs://team-data/other.jsonl"))
    assert result.type == "reject", "free text never approves"
    assert result.updates["facts"] == {"dataset": "gs://team-data/other.jsonl"}
    assert line(result.updates) == "Switched the dataset to gs://team-data/other.jsonl."


def test_a_question_sent_as_the_answer_does_not_decide_the_card() -> None:
    pending = card()
    update = reask(Harness(pending).resume("what does the learning rate do?"))
    assert update["side_reply"] == "what does the learning rate do?"
    assert update["pending"]["id"] == pending["id"] and "approvals" not in update


def test_status_sent_as_the_answer_reports_and_keeps_the_card() -> None:
    pending = card()
    update = reask(Harness(pending, job={"name": "projects/p/locations/r/tuningJobs/7", "state": "running"})
                   .resume("status"))
    assert "Job `projects/p/locations/r/tuningJobs/7`: **running**." in line(update)
    assert update["pending"]["id"] == pending["id"] and "approvals" not in update


def test_a_question_in_a_reject_message_does_not_decide_the_card_either() -> None:
    pending = card()
    update = reask(Harness(pending).resume({"decisions": [{"type": "reject",
                                                           "message": "what does the learning rate do?"}]}))
    assert update["side_reply"] == "what does the learning rate do?" and "approvals" not in update


def test_a_typed_question_is_not_read_again_by_the_card() -> None:
    """Intake already read a typed message; the card takes its decision as given."""
    pending = card()
    answer = {"for": ACTION, "card": pending["id"], "decision": "reject", "message": "what does it cost?"}
    result = outcome(Harness(pending, facts={"answer": answer}).results[0])
    assert result.type == "reject" and result.message == "what does it cost?"


def test_a_setting_change_after_the_job_ran_declines_the_card_instead_of_going_back() -> None:
    """Before a job exists, "use region X" at a card walks back to the region step; once the job
    ran there is nothing to go back to, so the words are the card's answer (a decline)."""
    pending = propose("deploy", "deploy_model", {"machine": "g2-standard-12"}, "Deploy it.")["pending"]
    text = "no, use region europe-west4 instead"
    before_job = reask(Harness(pending, args_model=None).resume(text))
    assert before_job["facts"]["region"] == "europe-west4" and "approvals" not in before_job
    after_job = outcome(Harness(pending, args_model=None, job={"name": "projects/p/locations/r/jobs/1"})
                        .resume(text))
    assert after_job.type == "reject" and after_job.message == text
    assert after_job.updates["approvals"][0]["action"] == "deploy_model"


def test_a_purpose_at_the_category_card_asks_again_only_while_no_category_is_chosen() -> None:
    pending = propose("category", "choose_model_category", {"category": "open"}, "Pick one.")["pending"]
    text = "I want to answer support questions"
    assert isinstance(Harness(pending, args_model=None, category=None).resume(text), Reask)
    chosen = outcome(Harness(pending, args_model=None, category="open").resume(text))
    assert chosen.type == "reject" and chosen.message == text


def test_a_card_shown_again_counts_as_opened_now() -> None:
    """An answer already on its way when the card was re-shown must not decide the new card."""
    pending = {**card(), "opened_at": time.time() - 3600}
    update = reask(Harness(pending).resume({"decisions": [{"type": "edit", "edited_action": {
        "name": ACTION, "args": {"epochs": 0}}}]}))
    assert update["pending"]["opened_at"] > time.time() - 60


def test_a_plain_question_waits_for_the_answer() -> None:
    assert ask("dataset_source", "Which file should I use?") == {"pending": {
        "kind": "question", "step": "dataset_source", "question": "Which file should I use?", "awaiting": True}}


def test_mark_as_resolved_ends_the_wait() -> None:
    assert isinstance(Harness(card()).resume(RESOLVE_RESUME), Resolved)


@pytest.mark.parametrize("value", [{"decisions": []}, {"decisions": [{"type": "maybe"}]}, 42, ["yes"],
                                   [{"type": "maybe"}]])
def test_an_unreadable_resume_shows_the_card_again(value: Any) -> None:
    pending = card()
    update = reask(Harness(pending).resume(value))
    assert update["pending"]["error"] == (
        'could not read the answer; send {"decisions": [{"type": "approve"}]}, '
        '{"type": "edit", "edited_action": {...}} or {"type": "reject", "message": "..."}')
    assert update["pending"]["id"] != pending["id"]


# -- the older Agent Chat UI answer ----------------------------------------


def test_legacy_accept_ignore_and_response() -> None:
    assert outcome(Harness(card()).resume([{"type": "accept", "args": None}])).type == "approve"
    ignored = outcome(Harness(card()).resume([{"type": "ignore", "args": None}]))
    assert ignored.type == "reject" and ignored.message is None
    ignored_with_args = outcome(Harness(card()).resume([{"type": "ignore", "args": {"epochs": 9}}]))
    assert ignored_with_args.type == "reject" and ignored_with_args.message is None
    answered = outcome(Harness(card()).resume([{"type": "response", "args": "not today"}]))
    assert answered.type == "reject" and answered.message == "not today"


def test_legacy_edit_of_this_card_applies() -> None:
    result = outcome(Harness(card()).resume([{"type": "edit", "args": {"action": ACTION, "args": {"epochs": 4}}}]))
    assert result.type == "edit" and result.args["epochs"] == 4
    named = outcome(Harness(card()).resume([{"type": "edit", "args": {"name": ACTION, "args": {"epochs": 6}}}]))
    assert named.args["epochs"] == 6


@pytest.mark.parametrize(("args", "said"), [
    ({"action": "deploy_model", "args": {"epochs": 4}}, f"that edit names 'deploy_model', not this card ({ACTION})."),
    ({"action": ACTION}, 'an edit must carry {"action": NAME, "args": {...}}'),
    ("epochs=4", 'an edit must carry {"action": NAME, "args": {...}}'),
])
def test_legacy_edit_for_another_card_or_without_args_is_refused(args: Any, said: str) -> None:
    update = reask(Harness(card()).resume([{"type": "edit", "args": args}]))
    assert update["pending"]["error"] == said


def test_a_long_foreign_action_name_is_cut_when_repeated_back() -> None:
    name = "a" * 100
    update = reask(Harness(card()).resume([{"type": "edit", "args": {"action": name, "args": {}}}]))
    assert update["pending"]["error"] == f"that edit names {'a' * 60!r}, not this card ({ACTION})."


def test_a_new_style_list_naming_another_action_is_refused() -> None:
    """A bare list of new-style decisions reads as the old shape; its action is checked, not assumed."""
    update = reask(Harness(card()).resume([{"type": "edit", "edited_action": {"name": "deploy_model",
                                                                              "args": {"epochs": 4}}}]))
    assert "an edit must carry" in update["pending"]["error"]


# -- answers typed as chat messages ---------------------------------------


def test_a_typed_yes_for_this_card_decides_it_without_an_interrupt() -> None:
    pending = card()
    harness = Harness(pending, facts={"answer": {"for": ACTION, "card": pending["id"], "decision": "approve"}})
    assert "__interrupt__" not in harness.first
    result = outcome(harness.results[0])
    assert result.type == "approve"
    assert result.updates["facts"] == {"answer": None}, "the typed answer is used once"
    assert "messages" not in result.updates  # the person's own message is the transcript line
    assert result.updates["approvals"][0]["decision"] == "approve"


def test_a_typed_no_declines_with_its_words() -> None:
    pending = card()
    answer = {"for": ACTION, "card": pending["id"], "decision": "reject", "message": "not now"}
    result = outcome(Harness(pending, facts={"answer": answer}).results[0])
    assert result.type == "reject" and result.message == "not now"
    empty = {"for": ACTION, "card": pending["id"], "decision": "reject", "message": ""}
    assert outcome(Harness(pending, facts={"answer": empty}).results[0]).message is None


@pytest.mark.parametrize("answer", [
    {"for": ACTION, "card": "an-older-card", "decision": "approve"},
    {"for": "submit_tuning_job", "card": None, "decision": "approve"},
])
def test_a_typed_answer_for_another_card_decides_nothing(answer: dict[str, Any]) -> None:
    pending = card()
    if answer["card"] is None:
        answer = {**answer, "card": pending["id"]}
    harness = Harness(pending, facts={"answer": answer})
    assert harness.results == [] and "__interrupt__" in harness.first, "the card waits for its own answer"


def test_a_typed_answer_not_allowed_here_is_refused_and_used_up() -> None:
    pending = card(allowed=("approve", "edit"))
    answer = {"for": ACTION, "card": pending["id"], "decision": "reject", "message": "no"}
    update = reask(Harness(pending, facts={"answer": answer}).results[0])
    assert update["facts"] == {"answer": None}
    assert "'reject' is not allowed here" in update["pending"]["error"]


def test_a_typed_yes_to_an_invalid_proposal_is_refused_and_used_up() -> None:
    pending = card(epochs=0, learning_rate=0.1)
    answer = {"for": ACTION, "card": pending["id"], "decision": "approve"}
    update = reask(Harness(pending, facts={"answer": answer}).results[0])
    assert update["facts"] == {"answer": None} and update["pending"]["error"].startswith("epochs = 0 is not allowed")


# -- answers sent before the card opened ------------------------------------


def test_an_answer_from_a_run_created_before_the_card_opened_decides_nothing() -> None:
    pending = card()
    opened_ms = int(pending["opened_at"] * 1000)
    update = reask(Harness(pending).resume({"decisions": [{"type": "approve"}]}, created_ms=opened_ms - 50))
    assert update["pending"] == pending, "the same card stays open"
    assert line(update) == (f"An answer sent before the card “{TITLE}” was shown does not decide it; "
                            "it is still open.")
    assert "approvals" not in update


def test_a_run_created_in_the_same_millisecond_as_the_card_may_decide_it() -> None:
    pending = card()
    same_ms = int(pending["opened_at"] * 1000)  # truncated: up to 1 ms before the card's own clock
    assert outcome(Harness(pending).resume({"decisions": [{"type": "approve"}]}, created_ms=same_ms)).approved
    later = int(pending["opened_at"] * 1000) + 5
    assert outcome(Harness(pending).resume({"decisions": [{"type": "approve"}]}, created_ms=later)).approved


def _uuid7(ms: int) -> uuid.UUID:
    return uuid.UUID(int=(ms << 80) | (0x7 << 76) | (0x2 << 62) | 1)


def _created(configurable: dict[str, Any]) -> float | None:
    seen: list[float | None] = []

    def node(state: CardState) -> dict[str, Any]:
        seen.append(run_created_at())
        return {}

    builder = StateGraph(CardState)
    builder.add_node("node", node)
    builder.add_edge(START, "node")
    builder.compile().invoke({}, {"configurable": configurable})
    return seen[0]


def test_when_a_run_was_created() -> None:
    assert _created({REQUEST_START_KEY: 1_700_000_000_123}) == pytest.approx(1_700_000_000.123)
    assert _created({REQUEST_START_KEY: 1_700_000_000_123.0}) == pytest.approx(1_700_000_000.123)
    assert _created({"run_id": str(_uuid7(1_700_000_000_456))}) == pytest.approx(1_700_000_000.456)
    assert _created({REQUEST_START_KEY: 0, "run_id": str(_uuid7(1_700_000_000_456))}) == \
        pytest.approx(1_700_000_000.456)
    assert _created({REQUEST_START_KEY: "1700000000123"}) is None  # only the server's number counts
    assert _created({"run_id": str(uuid.uuid4())}) is None  # a random id says nothing about time
    assert _created({"run_id": "not-a-uuid"}) is None
    assert _created({}) is None
    assert run_created_at() is None  # outside a run nothing is known


def test_stale_needs_both_times() -> None:
    assert not stale({"opened_at": time.time() + 60})  # outside a run: unknown, so not stale
    seen: list[bool] = []

    def node(state: CardState) -> dict[str, Any]:
        opened = time.time()
        seen.extend([stale({"opened_at": opened}), stale({"opened_at": None}), stale({}),
                     stale({"opened_at": opened - 10})])
        return {}

    builder = StateGraph(CardState)
    builder.add_node("node", node)
    builder.add_edge(START, "node")
    builder.compile().invoke({}, {"configurable": {REQUEST_START_KEY: int((time.time() - 5) * 1000)}})
    assert seen == [True, False, False, False]


class Columns(BaseModel):
    prompt_column: str

    @field_validator("prompt_column")
    @classmethod
    def known(cls, value: str) -> str:
        if value not in {"question", "answer"}:
            raise ValueError(f"column {value!r} does not exist; columns: question, answer")
        return value


def test_an_edit_refused_by_a_check_says_why_in_plain_words() -> None:
    """The reason a card's own check gives is shown as it is written, with the value that was given (not
    pydantic's "Value error, …" or "Input should be …")."""
    pending = propose("columns", ACTION, {"prompt_column": "question"}, "Map the columns.")["pending"]
    update = reask(Harness(pending, args_model=Columns).resume({"decisions": [{"type": "edit", "edited_action": {
        "name": ACTION, "args": {"prompt_column": "qestion"}}}]}))
    assert update["pending"]["error"] == ("prompt_column = 'qestion' is not allowed (column 'qestion' does not "
                                          "exist; columns: question, answer)")
