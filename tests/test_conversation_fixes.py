"""The graph's reading of messages that used to be misread (issue #12), as the server path sees them.

The terminal chat's behaviour is covered by tests/scenarios; these check the same readings where
free text arrives as a chat message or a card's resume (Agent Chat UI), without the terminal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graph import understand
from tests.graph_helpers import Session


def _at(action: str) -> dict[str, object]:
    return {"kind": "approval", "action": action, "step": "x", "id": "card-1"}


@pytest.mark.parametrize("word", ["stop", "cancel", "quit", "Cancel.", "stop it"])
@pytest.mark.parametrize("action", ["choose_model_category", "confirm_column_mapping", "approve_configuration",
                                    "submit_tuning_job"])
def test_stop_at_a_card_decides_nothing_and_says_where(word: str, action: str) -> None:
    meant = understand.meaning(word, _at(action), category_chosen=action != "choose_model_category",
                               job_exists=False)
    assert meant.stop and not meant.answers_card
    update = understand.redirect(meant, _at(action), {})
    said = str(update["messages"][0].content)
    assert update["pending"] == _at(action)  # the card stays open
    assert "Stopped at the card" in said and "nothing on it was decided" in said


@pytest.mark.parametrize("action", ["deploy_model"])
def test_cards_that_read_stop_themselves_still_get_it(action: str) -> None:
    meant = understand.meaning("stop", _at(action), category_chosen=True, job_exists=True)
    assert not meant.stop and meant.answers_card


def test_go_with_another_category_is_a_change_not_a_yes() -> None:
    meant = understand.meaning("let's go with gemini instead", _at("confirm_column_mapping"), category_chosen=True,
                               job_exists=False)
    assert meant.elsewhere == {"category": "gemini"} and not meant.answers_card
    plain = understand.meaning("let's go with that", _at("confirm_column_mapping"), category_chosen=True,
                               job_exists=False)
    assert plain.answers_card and not plain.elsewhere


def test_help_with_the_data_is_a_question_not_a_purpose() -> None:
    meant = understand.meaning("I need help with my data — it has three columns", _at("choose_model_category"),
                               category_chosen=False, job_exists=False)
    assert meant.question and meant.purpose is None and not meant.answers_card


def test_cheaper_options_are_priced_on_the_data_and_really_cheaper(tmp_path: Path) -> None:
    from tools.cost import cheaper_options

    data = tmp_path / "train.jsonl"
    record = {"messages": [{"role": "user", "content": "What is the capital of France? " * 5},
                           {"role": "assistant", "content": "Paris"}]}
    data.write_text("".join(json.dumps(record) + "\n" for _ in range(300)))
    current, options = cheaper_options(data, "gemini-2.5-pro", None, 4)
    assert current.usd and options
    assert {next(iter(o.change)) for o in options} == {"epochs", "base_model"}
    assert all(o.estimate.usd is not None and o.estimate.usd < current.usd for o in options)
    assert next(o for o in options if "epochs" in o.change).change == {"epochs": 2}


def test_a_family_lists_only_its_own_models() -> None:
    from tools.recommend import family_models, family_named

    assert family_named("can I use Llama instead?") == "llama" and family_named("use gemini") is None
    llamas = family_models("llama")
    assert llamas and all(m.lineage == "llama" for m in llamas)
    assert llamas[0].instruct  # instruction-tuned first


def test_a_broken_csv_row_names_line_and_column_and_can_be_skipped(tmp_path: Path) -> None:
    from tools.data import convert, inspect_source
    from tools.errors import BadRowError

    data = tmp_path / "rows.csv"
    data.write_text("question,answer\nWhat is 2+2?,4\nCapital of Italy?,Rome\nWho wrote Hamlet?,Shakespeare,x,y\n"
                    "Largest planet?,Jupiter\n")
    with pytest.raises(BadRowError) as caught:
        inspect_source(data)
    assert (caught.value.path, caught.value.line, caught.value.column) == (str(data), 4, 3)
    assert "line 4 has 4 fields" in caught.value.message and "'x'" in caught.value.message
    found = inspect_source(data, skip_bad_rows=True)
    assert found.skipped_lines == [4] and found.row_count == 3
    report = convert(data, "messages", {"prompt": "question", "completion": "answer"}, tmp_path / "out",
                     skip_bad_rows=True)
    assert report.rows_written_train == 3 and any("unreadable" in reason for reason in report.dropped)


@pytest.mark.parametrize("word", ["status", "help", "go back a step", "back", "undo", "previous step", "go back"])
@pytest.mark.parametrize("action", ["create_bucket", "split_validation", "deploy_model", "submit_tuning_job"])
def test_status_help_and_back_never_decide_a_card(word: str, action: str) -> None:
    """"status", "help" and "go back" typed at any card (also the deploy card) are never a decline."""
    meant = understand.meaning(word, _at(action), category_chosen=True, job_exists=action == "deploy_model")
    assert not meant.answers_card
    assert meant.status or meant.help or meant.back


def test_status_at_a_card_says_where_we_are_and_keeps_it() -> None:
    state = {"approvals": [{"action": "choose_model_category", "decision": "approve"}], "platform": "local"}
    update = understand.redirect(understand.meaning("status", _at("create_bucket"), category_chosen=True,
                                                    job_exists=False), _at("create_bucket"), state)
    said = str(update["messages"][0].content)
    assert update["pending"] == _at("create_bucket")
    assert "No job yet" in said and "Create the bucket" in said and "Choose the model category" in said


def test_status_with_a_job_gives_its_state() -> None:
    state = {"job": {"name": "job-7", "state": "JOB_STATE_SUCCEEDED"}, "platform": "local"}
    update = understand.redirect(understand.meaning("status", _at("deploy_model"), category_chosen=True,
                                                    job_exists=True), _at("deploy_model"), state)
    assert "job-7" in str(update["messages"][0].content) and "JOB_STATE_SUCCEEDED" in str(update["messages"][0].content)
    assert update["pending"] == _at("deploy_model")


def test_help_at_a_card_lists_what_can_be_said() -> None:
    update = understand.redirect(understand.meaning("help", _at("split_validation"), category_chosen=True,
                                                    job_exists=False), _at("split_validation"), {})
    said = str(update["messages"][0].content)
    assert "Hold out a validation set" in said and "status" in said and "back" in said
    assert update["pending"] == _at("split_validation")


def test_back_reopens_the_previous_card_or_says_there_is_none() -> None:
    at_split = {"approvals": [{"action": "choose_model_category"}, {"action": "confirm_column_mapping"}]}
    update = understand.redirect(understand.meaning("go back", _at("split_validation"), category_chosen=True,
                                                    job_exists=False), _at("split_validation"), at_split)
    assert update["pending"] is None  # the current card is left undecided; the router reopens the mapping
    assert update["dataset"]["mapping_confirmed"] is False and update["dataset"]["split_decided"] is False
    assert not update.get("approvals")
    first = understand.redirect(understand.meaning("undo", _at("choose_model_category"), category_chosen=False,
                                                   job_exists=False), _at("choose_model_category"), {})
    assert "nothing to go back to" in str(first["messages"][0].content)
    assert first["pending"] == _at("choose_model_category")


@pytest.mark.parametrize(("text", "action", "line"), [
    ("use 5 epochs", "approve_configuration", "Changed epochs 3 → 5"),
    ("let's use gemini instead", "confirm_column_mapping", "Switched to Gemini"),
    ("skip them", "skip_bad_rows", "Skipped the bad rows"),
    ("not now", "monitor_job", "Declined: not now"),
    ("use llama", "choose_model_category", "Chose **open**"),
])
def test_the_decision_line_says_what_happened(text: str, action: str, line: str) -> None:
    from graph.card_talk import decision_line

    assert decision_line(text, {"kind": "approval", "action": action, "args": {"epochs": 3}}).startswith(line)


# ---- said plainly, meant plainly (third pass): typed as chat messages, as Agent Chat UI sends them ----------


def _session_at(card: str, tmp_path: Path) -> Session:
    from tests.test_graph_session import start, write_csv

    s = Session()
    if card == "choose_model_category":
        s.say("I want to tune a model to answer trivia questions")
    else:
        start(s, write_csv(tmp_path))
        s.approve_until(card)
    assert s.action == card
    return s


@pytest.mark.parametrize("said", ["no, too expensive", "that's too expensive", "too pricey"])
@pytest.mark.parametrize("card", ["approve_configuration", "submit_tuning_job"])
def test_too_expensive_asks_for_cheaper_and_declines_nothing(said: str, card: str, home: Path,
                                                             tmp_path: Path) -> None:
    s = _session_at(card, tmp_path)
    decided = len(s.state.get("approvals") or [])
    s.say(said)
    assert s.action == card, s.text()  # the same card, still open
    assert len(s.state.get("approvals") or []) == decided and not s.state.get("job", {}).get("name")
    assert "already free" in s.text() and "Declined" not in s.text()  # on this machine: nothing to save


@pytest.mark.parametrize("said", ["use llama", "llama"])
def test_a_family_at_the_category_card_chooses_open_and_lists_it(said: str, home: Path, tmp_path: Path) -> None:
    s = _session_at("choose_model_category", tmp_path)
    s.say(said)
    assert s.state["category"] == "open"
    # On this machine no Llama model tunes: said, with the local models that do, not Vertex's Llama list.
    assert "No Llama model can be tuned" in s.text() and "local/gemma-3-270m" in s.text()
    assert "Llama 3.1 8B Instruct" not in s.text()
    assert "not offered" not in s.text() and not (s.state.get("model") or {}).get("base_model"), s.text()


@pytest.mark.parametrize(("said", "model"), [("gemma", "local/gemma-3-270m"), ("llama", "No Llama model can be tuned")])
@pytest.mark.parametrize("card", ["confirm_column_mapping", "approve_configuration"])
def test_a_bare_family_word_later_lists_the_family(said: str, model: str, card: str, home: Path,
                                                   tmp_path: Path) -> None:
    s = _session_at(card, tmp_path)
    s.say(said)
    assert s.action == card and s.state["category"] == "open"
    assert model in s.text() and "Switch from" not in s.text() and "Declined" not in s.text()


def test_a_refused_change_says_only_why(home: Path, tmp_path: Path) -> None:
    s = _session_at("approve_configuration", tmp_path)
    epochs = s.interrupt["action_requests"][0]["args"]["epochs"]  # type: ignore[index]
    s.reject("use 0 epochs")  # free text sent as the card's answer (the terminal chat does this)
    assert s.action == "approve_configuration"
    assert s.interrupt["action_requests"][0]["args"]["epochs"] == epochs  # type: ignore[index]
    assert "epochs must be ≥ 1" in s.text() and "Changed" not in s.text(), s.text()


def test_settings_said_at_the_dataset_question_are_kept_for_the_card(home: Path, tmp_path: Path) -> None:
    from tests.test_graph_session import write_csv

    s = _session_at("choose_model_category", tmp_path)
    s.approve()
    s.say("use 2 epochs")
    s.say("learning rate 0.001")
    assert "Noted" in s.text() and s.state["facts"]["config_changes"] == {"epochs": 2, "learning_rate": 0.001}
    s.say(f"use {write_csv(tmp_path)}")
    s.approve_until("approve_configuration")
    args = s.interrupt["action_requests"][0]["args"]  # type: ignore[index]
    assert (args["epochs"], args["learning_rate"]) == (2, 0.001)


def test_an_unclosed_quote_names_where_it_opened_and_can_be_skipped(tmp_path: Path) -> None:
    from tools.data import convert, inspect_source
    from tools.errors import BadRowError, DataError

    data = tmp_path / "rows.csv"
    data.write_text('question,answer\nWhat is 2+2?,4\nCapital of Italy?,"Rome\nWho wrote Hamlet?,Shakespeare\n'
                    "Largest planet?,Jupiter\n")
    with pytest.raises(BadRowError) as caught:
        inspect_source(data)
    assert (caught.value.path, caught.value.line, caught.value.column) == (str(data), 3, 2)
    assert "never closed" in caught.value.message and "2 lines after it" in caught.value.message
    assert "Close the quote" in str(caught.value.hint) and "skip such rows" in str(caught.value.hint)
    found = inspect_source(data, skip_bad_rows=True)
    assert found.skipped_lines == [3] and found.row_count == 3  # the lines after the quote are rows again
    report = convert(data, "messages", {"prompt": "question", "completion": "answer"}, tmp_path / "out",
                     skip_bad_rows=True)
    assert report.rows_written_train == 3
    header = tmp_path / "header.csv"
    header.write_text('question,"answer\nWhat is 2+2?,4\n')
    with pytest.raises(DataError) as broken:  # no header, nothing to read: not offered as skippable
        inspect_source(header, skip_bad_rows=True)
    assert not isinstance(broken.value, BadRowError) and "line 1" in broken.value.message


def test_quotes_that_close_still_read_as_before(tmp_path: Path) -> None:
    from tools.data import inspect_source

    data = tmp_path / "ok.csv"
    data.write_text('question,answer\nTwo lines?,"one\ntwo"\nA 5" screen?,"yes" \nQuoted ""word""?,"say ""hi"""\n')
    found = inspect_source(data)
    assert found.row_count == 3 and not found.skipped_lines


# ---- only a plain yes spends money: a yes that hesitates holds the card ---------------------------------

NOT_A_YES = ["ok wait", "right, hold on", "go away", "correct me if wrong", "submit it later maybe",
             "yes but not now", "wait"]


def _no_job(s: Session) -> bool:
    return not (s.state.get("job") or {}).get("name")


@pytest.mark.parametrize("said", NOT_A_YES)
def test_a_hesitant_yes_typed_at_the_submit_card_submits_nothing(said: str, home: Path, tmp_path: Path) -> None:
    """Typed as a chat message (Agent Chat UI): nothing is submitted and the same card stays open."""
    s = _session_at("submit_tuning_job", tmp_path)
    s.say(said)
    assert _no_job(s) and s.action == "submit_tuning_job", s.text()
    assert "Not submitted" in s.text() and "**yes**" in s.text()
    assert all(r.get("action") != "submit_tuning_job" for r in s.state.get("approvals") or [])
    s.say("yes")  # a plain yes afterwards still submits
    assert not _no_job(s) and s.action == "monitor_job"


@pytest.mark.parametrize("said", ["ok wait", "go away", "submit it later maybe"])
def test_a_hesitant_yes_sent_as_the_cards_answer_submits_nothing(said: str, home: Path, tmp_path: Path) -> None:
    """Sent as the card's free-text answer (the terminal chat does this): the card is held the same way."""
    s = _session_at("submit_tuning_job", tmp_path)
    s.reject(said)
    assert _no_job(s) and s.action == "submit_tuning_job", s.text()
    assert "Not submitted" in s.text()


@pytest.mark.parametrize("said", ["y", "yes", "ok", "go ahead", "Yes please!", "submit it", "👍"])
def test_a_plain_yes_at_the_submit_card_submits(said: str, home: Path, tmp_path: Path) -> None:
    s = _session_at("submit_tuning_job", tmp_path)
    s.say(said)
    assert not _no_job(s) and s.action == "monitor_job", s.text()


@pytest.mark.parametrize(("card", "said", "line"), [
    ("create_bucket", "ok wait", "No bucket created"),
    ("upload_dataset", "sure, hold on", "Nothing uploaded"),
    ("approve_configuration", "ok wait", "Nothing decided yet"),
    ("split_validation", "yes but not now", "Nothing decided yet"),
])
def test_a_hesitant_yes_holds_other_cards_too(card: str, said: str, line: str, home: Path, tmp_path: Path) -> None:
    s = _session_at(card, tmp_path)
    decided = len(s.state.get("approvals") or [])
    s.say(said)
    assert s.action == card and len(s.state.get("approvals") or []) == decided, s.text()
    assert line in s.text()


def test_the_deploy_card_takes_only_a_plain_yes() -> None:
    from graph import consent

    for said in NOT_A_YES:
        meant = understand.meaning(said, _at("deploy_model"), category_chosen=True, job_exists=True)
        assert meant.held and not meant.answers_card, said
        assert "Not deployed" in str(understand.redirect(meant, _at("deploy_model"), {})["messages"][0].content)
    assert consent.plain_approval("deploy it", "deploy_model")
    assert not consent.plain_approval("deploy it", "submit_tuning_job")  # another card's verb is no yes here
    for said in ("no", "not now", "use g2-standard-12", "don't deploy"):  # still read as before
        assert not understand.meaning(said, _at("deploy_model"), category_chosen=True, job_exists=True).held


def test_edits_and_a_no_at_the_submit_card_are_read_as_before(home: Path, tmp_path: Path) -> None:
    s = _session_at("submit_tuning_job", tmp_path)
    s.say("yes, and use 5 epochs")  # a change: back to the settings, nothing submitted
    assert _no_job(s) and s.action == "approve_configuration", s.text()
    s.approve()
    assert s.action == "submit_tuning_job"
    s.say("no")
    assert _no_job(s) and "Nothing was submitted" in s.text()


def test_a_local_job_states_one_duration_and_the_cards_estimate(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The result line and the summary give the same measured time, and the summary's estimate is the one the
    configuration card gave (not a second estimate made at submission)."""
    import re

    from tests.chat_fixtures import offline_home
    from tests.scenarios.conversations import TO_SUBMIT
    from tests.scenarios.runner import Conversation, Turn, run

    offline_home(tmp_path, monkeypatch)
    monkeypatch.chdir(tmp_path)
    turns = (*TO_SUBMIT, Turn("y"), Turn("y"), Turn("summary"))
    text = "\n".join(r.reply for r in run(Conversation("one-duration", "", turns), "none", tmp_path))
    card = re.search(r"free \(local\): about (\d+) seconds", text)
    took = re.search(r"It took (\d+) s\.", text)
    row = re.search(r"\| time \| (\d+) s \(estimated (\d+) s\) \|", text)
    assert card and took and row, text
    assert row.group(1) == took.group(1)
    assert row.group(2) == card.group(1)
