"""What people say is kept (issue 12): the split holds out the share asked for, and says how many;
the split card and its refusal state the same limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.graph_helpers import Session
from tests.test_graph_session import start, write_csv
from tools.data.limits import SplitLimits
from tools.data.split import SplitWriter, validation_rows

ROWS_25 = [(f"What is {i} plus {i}?", str(2 * i)) for i in range(25)]


def held_out(tmp_path: Path, rows: int, share: float) -> int:
    writer = SplitWriter(tmp_path, share, seed=42, limits=SplitLimits(max_rows=5000, max_bytes_ratio=0.25))
    for i in range(rows):
        writer.write(b'{"n": %d}\n' % (i % 10))  # rows of equal size: the bytes limit is the share of rows
    writer.finish()
    return writer.val_rows


def test_ten_percent_of_25_rows_holds_out_3_and_twenty_percent_holds_out_5(tmp_path: Path) -> None:
    assert held_out(tmp_path / "a", 25, 0.10) == 3
    assert held_out(tmp_path / "b", 25, 0.20) == 5
    assert held_out(tmp_path / "c", 1000, 0.10) == 100
    assert validation_rows(3, 0.05) == 1, "a share of a small file holds out at least one row"


def test_the_same_seed_holds_out_the_same_rows(tmp_path: Path) -> None:
    for name in ("a", "b"):
        writer = SplitWriter(tmp_path / name, 0.2, seed=7, limits=None)
        for i in range(50):
            writer.write(b'{"n": %d}\n' % i)
        writer.finish()
    assert (tmp_path / "a" / "validation.jsonl").read_bytes() == (tmp_path / "b" / "validation.jsonl").read_bytes()
    assert validation_rows(1, 0.2) == 0 and validation_rows(25, 0.0) == 0


def test_hold_out_10_percent_says_the_count(home: Path) -> None:
    s = Session()
    start(s, write_csv(home, ROWS_25))
    s.approve()
    assert s.action == "split_validation"
    card = s.text()
    assert "Hold out **20%** (5 rows)" in card, card
    s.say("no, hold out 10%")
    assert "**3** of your 25 rows (12%)" in s.text(), s.text()


def test_the_split_card_and_the_refusal_state_the_same_limit(home: Path) -> None:
    s = Session()
    start(s, write_csv(home, ROWS_25))
    s.approve()
    card = s.text()
    rule = ("at most **20%** of the rows can be held out (the validation file may be at most 25% of the "
            "training file's size, and at most 5,000 rows)")
    assert rule in card, card
    s.say("hold out 90%")
    assert rule in s.text(), s.text()
    assert s.action == "split_validation"
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    assert "for open models at most **20%** of the rows can be held out (the validation file may be at most " \
           "25% of the training file's size, and at most 5,000 rows)" in readme


@pytest.mark.parametrize("said", ["book.xlsx", "/path/book.xlsx", "use my excel file book.xlsx"])
def test_an_excel_file_is_named_with_how_to_save_it_as_csv(home: Path, said: str) -> None:
    s = Session()
    s.say("I want to tune a model to answer trivia questions")
    s.approve()
    s.say(said)
    reply = s.text()
    assert "book.xlsx" in reply and "Excel workbook" in reply, reply
    assert "File → Save As → CSV UTF-8" in reply and "book.csv" in reply, reply
    assert "I need a dataset" not in reply, "not the generic list"
    assert not (s.state.get("dataset") or {}).get("source")


def test_an_excel_file_later_keeps_the_dataset_already_read(home: Path) -> None:
    s = Session()
    start(s, write_csv(home, ROWS_25))
    s.approve_until("create_bucket")
    s.say("use book.xlsx instead")
    assert "Excel workbook" in s.text() and "kept the dataset" in s.text(), s.text()
    assert s.state["dataset"]["source"].endswith("trivia.csv")
    assert s.state["dataset"]["split_decided"], "nothing decided for the dataset is thrown away"


@pytest.mark.parametrize(("name", "what"), [("sheet.ods", "spreadsheet"), ("notes.docx", "Word document"),
                                            ("data.pdf", "PDF"), ("data.zip", "ZIP archive"),
                                            ("data.jsonl.gz", "gzip"), ("old.xls", "Excel workbook")])
def test_data_inspect_names_an_unsupported_type_and_what_to_do(tmp_path: Path, name: str, what: str,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    from agent.cli import main

    (tmp_path / name).write_bytes(b"PK\x03\x04 not a data file")
    assert main(["data", "inspect", str(tmp_path / name)]) != 0
    err = capsys.readouterr()
    out = err.out + err.err
    assert name in out and what in out and "Traceback" not in out, out


def _card_args(s: Session) -> dict[str, object]:
    return dict(s.interrupt["action_requests"][0]["args"])  # type: ignore[index]


def test_epochs_chosen_at_the_card_survive_a_split_change(home: Path) -> None:
    s = Session()
    start(s, write_csv(home, ROWS_25))
    s.approve_until("approve_configuration")
    s.say("use 5 epochs")
    assert _card_args(s)["epochs"] == 5
    s.say("actually hold out 10% for validation")
    s.approve_until("approve_configuration")
    assert s.state["dataset"]["validation_split"] == 0.1
    assert _card_args(s)["epochs"] == 5, s.text()


def test_settings_chosen_survive_another_dataset_and_are_named(home: Path) -> None:
    s = Session()
    start(s, write_csv(home, ROWS_25))
    s.approve_until("approve_configuration")
    s.say("use 4 epochs")
    s.approve()
    assert s.state["hparams"]["approved"]
    other = write_csv(home, [(f"Name a colour, number {i}", "Red") for i in range(30)], "colours.csv")
    s.say(f"use {other} instead")
    s.approve_until("approve_configuration")
    assert _card_args(s)["epochs"] == 4, s.text()
    assert "Kept what you chose: epochs = 4" in s.text(), s.text()


def test_a_model_named_at_the_category_card_is_kept_and_its_local_stand_in_is_said_once(home: Path) -> None:
    s = Session()
    s.say("I want to tune a model to answer trivia questions")
    assert s.action == "choose_model_category"
    s.say("use Llama 3.2 1B Instruct")
    said = s.text()
    assert s.state["category"] == "open"
    assert "Llama 3.2 1B" in s.state["model"]["display_name"], s.state["model"]
    assert "Kept as your model" in said and "stands in for Llama 3.2 1B" in said, said
    s.say(f"use {write_csv(home, ROWS_25)}")
    s.approve_until("approve_configuration")
    card = s.text()
    assert s.state["model"]["base_model"] in card, "the configuration names the model it stands in for"
    assert "stands in for Llama" not in card, "the stand-in is explained once, where the model was chosen"


def test_a_model_named_in_the_answer_to_the_category_card_is_kept(home: Path) -> None:
    s = Session()
    s.say("I want to tune a model to answer trivia questions")
    s.reject("use Llama 3.2 1B Instruct")  # how the terminal chat answers an open card in words
    assert s.state["category"] == "open"
    assert "Llama 3.2 1B" in s.state["model"]["display_name"], s.text()
    assert "Kept as your model" in s.text(), s.text()
