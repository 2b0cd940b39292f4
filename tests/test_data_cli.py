"""`tuning-agent data …` exit codes and JSON output (0 ok, 1 invalid data, 2 usage)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.cli import main
from tests.data_fixtures import QA, messages_rows, write_csv, write_jsonl


def _json(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    out = capsys.readouterr().out
    return dict(json.loads(out))


def test_inspect_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write_csv(tmp_path / "qa.csv", QA)
    assert main(["data", "inspect", str(src), "--json"]) == 0
    data = _json(capsys)
    assert data["ok"] is True and data["row_count"] == 4 and data["shape"] == "plain"
    assert data["recommendation"]["prompt"] == "question"  # type: ignore[index]


def test_inspect_text_and_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write_csv(tmp_path / "qa.csv", QA)
    assert main(["data", "inspect", str(src)]) == 0
    assert "Recommended mapping: prompt=question, completion=answer" in capsys.readouterr().out
    assert main(["data", "inspect", str(tmp_path / "qa.cvs")]) == 1
    err = capsys.readouterr().err
    assert "no such file" in err and "qa.csv" in err and "Traceback" not in err
    assert main(["data", "inspect", str(tmp_path / "qa.cvs"), "--json"]) == 1
    assert _json(capsys)["ok"] is False


def test_convert_json_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write_csv(tmp_path / "qa.csv", [*QA, {"question": "", "answer": "x"}])
    code = main(["data", "convert", str(src), "--format", "gemini", "--prompt-col", "question",
                 "--completion-col", "answer", "--validation-split", "0.25", "--seed", "3",
                 "--out", str(tmp_path / "out"), "--json"])
    assert code == 0
    data = _json(capsys)
    assert data["rows_in"] == 5 and data["dropped"] == {"empty prompt": 1}
    assert Path(str(data["train_path"])).stat().st_size == data["bytes_train"]
    assert data["rows_written_train"] + data["rows_written_val"] == 4  # type: ignore[operator]


def test_convert_bad_mapping_is_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write_csv(tmp_path / "qa.csv", QA)
    code = main(["data", "convert", str(src), "--format", "messages", "--prompt-col", "nope",
                 "--completion-col", "answer", "--out", str(tmp_path / "o")])
    assert code == 1
    err = capsys.readouterr().err
    assert "'nope'" in err and "question, answer" in err


@pytest.mark.parametrize("argv", [
    ["--format", "chatml"],
    ["--format", "messages", "--validation-split", "1.5"],
    ["--format", "messages", "--prompt-col", "question"],
])
def test_convert_usage_errors_are_exit_2(tmp_path: Path, argv: list[str]) -> None:
    src = write_csv(tmp_path / "qa.csv", QA)
    assert main(["data", "convert", str(src), "--out", str(tmp_path / "o"), *argv]) == 2


def test_validate_exit_codes_and_drop(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write_jsonl(tmp_path / "good.jsonl", messages_rows(3))
    assert main(["data", "validate", str(good), "--format", "messages", "--json"]) == 0
    assert _json(capsys)["ok"] is True
    bad = tmp_path / "bad.jsonl"
    bad.write_text(good.read_text() + "{oops\n", encoding="utf-8")
    assert main(["data", "validate", str(bad), "--format", "messages", "--json",
                 "--drop-bad-rows", str(tmp_path / "clean.jsonl")]) == 1
    data = _json(capsys)
    assert data["counts"] == {"invalid JSON": 1}
    assert data["problems"][0]["line"] == 4  # type: ignore[index]
    assert data["cleaned"]["rows_kept"] == 3  # type: ignore[index]
    assert main(["data", "validate", str(bad), "--format", "messages"]) == 1
    assert "line 4, column" in capsys.readouterr().out
    assert main(["data", "validate", str(bad), "--format", "gemini-ish"]) == 2


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """`tuning-agent data validate … | head -1`: when the reader has gone, the command stops with the
    shell's SIGPIPE code and no traceback."""
    import os
    import subprocess
    import sys

    path = write_jsonl(tmp_path / "rows.jsonl", [{"prompt": f"q{i}", "completion": "a"} for i in range(50)])
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before anything is written
    try:
        proc = subprocess.run([sys.executable, "-m", "agent", "data", "validate", str(path), "--format", "messages"],
                              stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120, check=False,
                              cwd=Path(__file__).resolve().parent.parent)
    finally:
        os.close(write_end)
    assert proc.returncode == 141 and "Traceback" not in proc.stderr, proc.stderr
