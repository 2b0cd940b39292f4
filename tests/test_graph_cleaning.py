"""The chat shows the data quality report before upload and never cleans silently."""

from __future__ import annotations

import json
from pathlib import Path

from tests.graph_helpers import Session
from tests.test_graph_session import TRIVIA, start, write_csv

ANSI = "\x1b[33m"


def dirty_csv(folder: Path) -> Path:
    """The trivia rows, two of them twice, and three answers wrapped in terminal colour codes."""
    rows = [(q, f"{ANSI}{a}\x1b[0m" if i < 3 else a) for i, (q, a) in enumerate(TRIVIA)]
    return write_csv(folder, [*rows, TRIVIA[5], TRIVIA[6]], name="dirty.csv")


def to_cleaning_card(s: Session, csv: Path) -> dict:
    start(s, csv)
    s.approve()  # the column mapping
    s.reject("no validation split")
    assert s.action == "clean_dataset", s.text()
    return s.interrupt["action_requests"][0]  # type: ignore[index]


def rows(path: str) -> list[str]:
    return [json.dumps(json.loads(line)) for line in Path(path).read_text(encoding="utf-8").splitlines()]


def test_quality_report_then_one_cleaning_card_then_cleaned_data_uploaded(home: Path) -> None:
    s = Session()
    request = to_cleaning_card(s, dirty_csv(home))
    shown = "\n".join(m.content for m in s.state["messages"] if isinstance(m.content, str))
    assert "**Data quality:**" in shown and "ANSI escape codes" in shown and "repeat an earlier row" in shown
    assert request["args"] == {"actions": ["dedupe", "strip-control"]}
    card = request["description"]
    assert "`dedupe`" in card and "**2** rows" in card, "counts per action"
    assert "`strip-control`" in card and "**3** rows" in card
    assert "e.g." in card, "examples of what would change"
    assert len(rows(s.state["dataset"]["train_path"])) == 14, "nothing dropped before the decision"

    s.approve()
    assert "**Cleaning** (dedupe, strip-control): 14 rows before, 12 written." in s.text()
    assert "`strip-control`: 3 rows" in s.text() and "`dedupe`: 2 rows" in s.text()
    ds = s.state["dataset"]
    assert ds["prepared"] and ds["prepare_report"]["cleaned"]["rows_after"] == 12
    train = rows(ds["train_path"])
    assert len(train) == 12 and not any("\\u001b" in r for r in train)
    s.approve_until("upload_dataset")
    s.approve()
    uploaded = s.deps.platform("local").storage.download(s.state["dataset"]["train_uri"], str(home / "got.jsonl"))
    assert rows(uploaded) == train, "the cleaned rows are the ones uploaded"


def test_declined_cleaning_keeps_the_original_rows(home: Path) -> None:
    s = Session()
    to_cleaning_card(s, dirty_csv(home))
    s.reject("keep them")
    assert "Kept the rows as they are" in s.text()
    ds = s.state["dataset"]
    assert ds["prepared"] and not ds["prepare_report"].get("cleaned")
    train = rows(ds["train_path"])
    assert len(train) == 14 and sum("\\u001b" in r for r in train) == 3
    assert s.action in ("create_bucket", "upload_dataset")


def test_edited_cleaning_runs_only_the_chosen_action_and_refuses_unknown_ones(home: Path) -> None:
    s = Session()
    to_cleaning_card(s, dirty_csv(home))
    s.edit(actions=["shuffle"])
    assert s.action == "clean_dataset", "an unknown action re-asks"
    s.edit(actions=["strip-control"])
    train = rows(s.state["dataset"]["train_path"])
    assert len(train) == 14 and not any("\\u001b" in r for r in train)


def test_clean_data_gets_a_report_and_no_cleaning_card(home: Path) -> None:
    s = Session()
    start(s, write_csv(home))
    s.approve()
    s.reject("no validation split")
    assert "**Data quality:**" in s.text()
    assert s.action in ("create_bucket", "upload_dataset")


def test_written_files_that_fail_validation_open_the_drop_rows_card(tmp_path: Path) -> None:
    """The written files are checked as the service would read them: a row it would refuse opens the
    drop-rows card (with the line), and exact duplicates the person chose to keep do not."""
    from graph.nodes import prepare

    good = {"messages": [{"role": "user", "content": "Q?"}, {"role": "assistant", "content": "A."}]}
    bad = {"messages": [{"role": "user", "content": "Q2?"}]}  # no answer: the service refuses it
    train = tmp_path / "train.jsonl"
    train.write_text("\n".join(json.dumps(r) for r in (good, bad, good)) + "\n")
    state: dict = {"category": "open", "model": {}}
    update = prepare._validate(state, {"train": str(train), "validation": None}, {}, ["Wrote 3 rows."])  # type: ignore[arg-type]
    assert update["pending"]["action"] == prepare.ACTION and update["pending"]["args"] == {"drop_rows": 2}
    assert "| 2 |" in update["pending"]["description"] and not update.get("dataset", {}).get("prepared")
    train.write_text("\n".join(json.dumps(r) for r in (good, good)) + "\n")  # only a duplicate left
    kept = prepare._validate(state, {"train": str(train), "validation": None}, {}, [], keep_duplicates=True)  # type: ignore[arg-type]
    assert kept["dataset"]["prepared"] and not kept.get("pending")
