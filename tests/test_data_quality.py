"""The data quality report: each problem in a generated file is found with counts, lines and examples;
clean data gives no findings; `--clean` output passes validation and says what it removed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agent.cli import main
from knowledge import find_model
from tests.data_fixtures import QA, messages_rows, read_jsonl, write_csv, write_jsonl
from tools.data import convert, inspect_source, validate_jsonl
from tools.data.heldout import distinct_prompts
from tools.data.models import QualityReport
from tools.data.quality import (
    ANSI_ESCAPES,
    CONFLICTING_ANSWERS,
    CONSTANT_COMPLETION,
    CONSTANT_PROMPT,
    CONTROL_CHARS,
    DUPLICATE_ROWS,
    EMPTY_TURNS,
    INVISIBLE_CHARS,
    MISSING_SYSTEM,
    NON_LATIN,
    NUL_CHARS,
    OVER_LIMIT,
    SHORT_EXAMPLES,
    quality_report_markdown,
    strip_control,
    suggested_cleaning,
)

QUOTES = ["床前明月光，疑是地上霜。", "举头望明月，低头思故乡。", "春眠不觉晓，处处闻啼鸟。",
          "白日依山尽，黄河入海流。", "欲穷千里目，更上一层楼。", "海内存知己，天涯若比邻。",
          "野火烧不尽，春风吹又生。", "谁知盘中餐，粒粒皆辛苦。"]


def _finding(report: QualityReport | None, kind: str) -> Any:
    assert report is not None
    found = [f for f in report.findings if f.kind == kind]
    assert found, f"no {kind!r} finding in {[f.kind for f in report.findings]}"
    return found[0]


def _pc(prompt: str, completion: str) -> dict[str, str]:
    return {"prompt": prompt, "completion": completion}


def test_constant_prompt_and_ansi_codes_like_the_chinese_quotations(tmp_path: Path) -> None:
    rows = [_pc("请说一句古诗或名言。", f"\x1b[33m{QUOTES[i % 8]}（第{i}首）\x1b[0m") for i in range(40)]
    report = convert(write_jsonl(tmp_path / "q.jsonl", rows), "messages", None, tmp_path / "out").quality
    constant = _finding(report, CONSTANT_PROMPT)
    assert constant.severity == "high" and constant.count == 40 and "请说一句古诗或名言。" in constant.examples[0]
    ansi = _finding(report, ANSI_ESCAPES)
    assert ansi.severity == "high" and ansi.count == 40 and ansi.lines == [1, 2, 3]
    assert "\\x1b[33m" in ansi.examples[0] and "床前明月光" in ansi.examples[0]  # escapes shown, text kept
    assert "strip-control" in ansi.fix
    mix = _finding(report, NON_LATIN)
    assert report is not None and report.script_mix["cjk"] > 0.8 and report.tokens_per_char > 0.5
    assert mix.severity == "info"
    text = quality_report_markdown(report)
    assert "constant prompt" in text and "ANSI escape codes" in text and "Fix:" in text


def test_control_nul_and_invisible_characters_counted_per_row(tmp_path: Path) -> None:
    rows = [_pc(f"Question {i}?", f"Answer number {i} is fine.") for i in range(20)]
    rows[3] = _pc("Question 3?", "Bad\x00answer with a NUL")
    rows[5] = _pc("Ring the bell\x07 please?", "Rung.\x07\x07")
    rows[8] = _pc("Zero\u200bwidth?", "Has a BOM\ufeff and a soft\u00adhyphen.")
    for target in ("messages", "gemini", "prompt_completion"):
        report = convert(write_jsonl(tmp_path / "c.jsonl", rows), target, None, tmp_path / target).quality
        nul, control, invisible = (_finding(report, k) for k in (NUL_CHARS, CONTROL_CHARS, INVISIBLE_CHARS))
        assert (nul.count, nul.lines, nul.severity) == (1, [4], "high")
        assert (control.count, control.lines) == (1, [6]) and "\\x07" in control.examples[0]
        assert (invisible.count, invisible.lines) == (1, [9]) and "3 in all" in invisible.message
    assert strip_control("a\x1b[1;31mred\x1b[0m\x00b\u200bc\td\n") == "aredbc\td\n"


def test_duplicates_and_conflicting_answers(tmp_path: Path) -> None:
    rows = [_pc(f"Question {i}?", f"Answer {i}.") for i in range(30)]
    rows += [rows[2], rows[2], rows[7]]  # lines 31-33: exact duplicates
    rows += [_pc("Question 4?", "A different answer."), _pc("Question 9?", "Another one.")]  # lines 34-35
    src = write_jsonl(tmp_path / "d.jsonl", rows)
    report = convert(src, "messages", None, tmp_path / "out")
    assert report.dropped == {"duplicate": 3}
    dup = _finding(report.quality, DUPLICATE_ROWS)
    assert dup.count == 3 and dup.lines == [31, 32, 33] and dup.severity == "info"  # convert dropped them
    conflict = _finding(report.quality, CONFLICTING_ANSWERS)
    assert conflict.count == 2 and conflict.lines == [34, 35]
    assert conflict.examples == ["Question 4? → A different answer.", "Question 9? → Another one."]
    # The validator finds the same in its own pass over a JSONL in the target format.
    msgs = write_jsonl(tmp_path / "m.jsonl", [{"messages": [{"role": "user", "content": r["prompt"]},
                                                            {"role": "assistant", "content": r["completion"]}]}
                                              for r in rows])
    checked = validate_jsonl(msgs, "messages", quality=True)
    assert _finding(checked.quality, DUPLICATE_ROWS).lines == [31, 32, 33]
    assert _finding(checked.quality, DUPLICATE_ROWS).severity == "warning"
    assert _finding(checked.quality, CONFLICTING_ANSWERS).count == 2


def test_a_different_answer_under_another_system_prompt_is_no_conflict(tmp_path: Path) -> None:
    """The same question may rightly get a different answer under a different system prompt (a persona,
    a language); only the same system prompt and question with two answers is a mixed signal."""
    def row(system: str, prompt: str, answer: str) -> dict[str, Any]:
        return {"messages": [{"role": "system", "content": system}, {"role": "user", "content": prompt},
                             {"role": "assistant", "content": answer}]}

    rows = [row("Answer in English.", f"Question {i}?", f"Answer {i}.") for i in range(12)]
    rows += [row("Answer in French.", "Question 3?", "Réponse 3."),  # line 13: another system prompt
             row("Answer in English.", "Question 5?", "A second answer."),  # line 14: a conflict
             row("Answer in French.", "Question 3?", "Autre réponse.")]  # line 15: a conflict with line 13
    src = write_jsonl(tmp_path / "s.jsonl", rows)
    converted = convert(src, "messages", None, tmp_path / "out")
    checked = validate_jsonl(src, "messages", quality=True)
    for report in (converted.quality, checked.quality):
        conflict = _finding(report, CONFLICTING_ANSWERS)
        assert conflict.count == 2 and conflict.lines == [14, 15]


def test_one_prompt_for_every_row_is_not_cleaned_away(tmp_path: Path) -> None:
    """Keeping one answer per prompt would leave 1 row of 500 quotations that share a prompt: it is not
    suggested, and the fix says why and what to do instead."""
    rows = [_pc("请说一句古诗或名言。", f"{QUOTES[i % len(QUOTES)]}（第{i}首）") for i in range(500)]
    report = convert(write_jsonl(tmp_path / "q.jsonl", rows), "messages", None, tmp_path / "out").quality
    assert report is not None
    conflict = _finding(report, CONFLICTING_ANSWERS)
    assert conflict.count == 499 and "leave only 1 of 500 rows" in conflict.fix
    assert "dedupe-prompts" not in suggested_cleaning(report)
    assert _finding(report, CONSTANT_PROMPT).severity == "high"
    # A few repeated prompts among varied ones are still cleaned by keeping the first answer.
    some = [_pc(f"Question {i}?", f"Answer {i}.") for i in range(40)] + [_pc("Question 3?", "Another.")]
    few = convert(write_jsonl(tmp_path / "f.jsonl", some), "messages", None, tmp_path / "out2").quality
    assert few is not None and suggested_cleaning(few) == ["dedupe-prompts"]


def test_the_sample_covers_the_whole_file(tmp_path: Path) -> None:
    """A prompt that fills the second half of a large file is reported with about its real share: the
    sample behind the script mix and the most frequent values is drawn from every part of the file."""
    rows = [_pc(f"Question number {i}?", f"Answer {i}.") for i in range(6000)]
    rows += [_pc("Same question again?", f"Answer {i}.") for i in range(6000)]
    src = write_jsonl(tmp_path / "half.jsonl", rows)
    for report in (convert(src, "messages", None, tmp_path / "out").quality,
                   validate_jsonl(write_jsonl(tmp_path / "half-m.jsonl", [
                       {"messages": [{"role": "user", "content": r["prompt"]},
                                     {"role": "assistant", "content": r["completion"]}]} for r in rows]),
                       "messages", quality=True).quality):
        constant = _finding(report, CONSTANT_PROMPT)
        assert constant.severity == "high" and "Same question again?" in constant.message
        assert 0.42 <= constant.count / 12000 <= 0.58  # 50% measured on a sample of 512 rows


def test_near_constant_completion_and_short_answers(tmp_path: Path) -> None:
    rows = [_pc(f"Is {i} even?", "yes" if i % 10 < 3 else f"No, {i} is not a multiple of two, it is odd.")
            for i in range(40)]
    rows[0] = _pc("Is zero a number?", "Y")
    report = convert(write_jsonl(tmp_path / "s.jsonl", rows), "messages", None, tmp_path / "o").quality
    constant = _finding(report, CONSTANT_COMPLETION)
    assert constant.severity == "warning" and constant.count == 11 and "28%" in constant.message
    short = _finding(report, SHORT_EXAMPLES)
    assert short.count == 1 and short.lines == [1] and short.severity == "info"


def test_over_the_model_limit_and_empty_turns(tmp_path: Path) -> None:
    model = find_model("gemma 3 1b it")
    assert model is not None
    long_answer = "word " * (model.max_seq_len * 2)
    rows = [_pc(f"Question {i}?", f"Answer {i}.") for i in range(12)]
    rows[4] = _pc("Tell me everything?", long_answer)
    msgs = [{"messages": [{"role": "user", "content": r["prompt"]}, {"role": "assistant", "content": r["completion"]}]}
            for r in rows]
    msgs[6]["messages"][1]["content"] = "   "
    path = write_jsonl(tmp_path / "l.jsonl", msgs)
    checked = validate_jsonl(path, "messages", model=model.display_name, quality=True)
    over = _finding(checked.quality, OVER_LIMIT)
    assert over.count == 1 and over.lines == [5] and over.severity == "high"  # over 5% of the rows
    assert f"{model.max_seq_len:,} tokens" in over.message and "over)" in over.message
    assert _finding(checked.quality, EMPTY_TURNS).count == 1
    converted = convert(path, "messages", None, tmp_path / "o", model=model.display_name)
    assert _finding(converted.quality, OVER_LIMIT).message.endswith("dropped, not written")
    assert _finding(converted.quality, EMPTY_TURNS).count == 1


def test_chat_turns_and_missing_system_prompts(tmp_path: Path) -> None:
    rows = []
    for i in range(20):
        msgs = [{"role": "system", "content": "You are terse."}] if i % 5 else []
        for turn in range(1 + i % 3):
            msgs += [{"role": "user", "content": f"Row {i} question {turn}?"},
                     {"role": "assistant", "content": f"Row {i} answer {turn}."}]
        rows.append({"messages": msgs})
    report = validate_jsonl(write_jsonl(tmp_path / "chat.jsonl", rows), "messages", quality=True).quality
    assert report is not None and report.turns == {1: 7, 2: 7, 3: 6} and report.system_share == 0.8
    missing = _finding(report, MISSING_SYSTEM)
    assert missing.count == 4 and "80%" in missing.message and missing.lines == [1, 6, 11]


def test_parallel_validation_gives_the_same_report(tmp_path: Path) -> None:
    rows = [{"messages": [{"role": "user", "content": f"Question {i}?"},
                          {"role": "assistant", "content": f"Answer {i}." + ("\x1b[0m" if i % 50 == 7 else "")}]}
            for i in range(600)]
    rows += rows[:5]
    path = write_jsonl(tmp_path / "p.jsonl", rows)
    one = validate_jsonl(path, "messages", quality=True, workers=1)
    many = validate_jsonl(path, "messages", quality=True, workers=3, parallel_min_bytes=1)
    for report in (one.quality, many.quality):
        assert _finding(report, ANSI_ESCAPES).count == 12
        assert _finding(report, ANSI_ESCAPES).lines == [8, 58, 108]
        assert _finding(report, DUPLICATE_ROWS).count == 5
        assert report is not None and report.rows == 605


def test_clean_data_has_no_findings(tmp_path: Path) -> None:
    csv_report = convert(write_csv(tmp_path / "qa.csv", QA), "messages",
                         {"prompt": "question", "completion": "answer"}, tmp_path / "o1").quality
    assert csv_report is not None and csv_report.findings == []
    good = write_jsonl(tmp_path / "good.jsonl", messages_rows(60))
    for report in (validate_jsonl(good, "messages", quality=True).quality,
                   convert(good, "gemini", None, tmp_path / "o2").quality, inspect_source(good).quality):
        assert report is not None and report.findings == [], [f.message for f in report.findings]
        assert report.rows == 60 and report.script_mix == {"latin": 1.0}
    assert "no problems found" in quality_report_markdown(csv_report)


def test_clean_flags_output_validates_and_reports_what_was_removed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [_pc(f"Question {i}?", f"\x1b[32mAnswer {i}.\x1b[0m") for i in range(10)]
    rows += [rows[1], _pc("Question 2?", "Another answer."), _pc("Question 3?", "\x1b[0m")]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out"
    assert main(["data", "convert", str(src), "--format", "messages", "--out", str(out),
                 "--clean", "dedupe,strip-control,dedupe-prompts", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    cleaned = data["cleaned"]
    assert cleaned["rows_before"] == 13 and cleaned["rows_after"] == 10
    assert cleaned["changed"] == {"dedupe": 1, "strip-control": 12, "dedupe-prompts": 1}
    assert cleaned["examples"]["strip-control"][0] == "line 1: \\x1b[32mAnswer 0.\\x1b[0m"
    assert cleaned["examples"]["dedupe-prompts"] == ["line 12: Question 2?"]
    assert data["dropped"] == {"duplicate": 1, "empty turn": 1, "repeated prompt": 1}
    written = read_jsonl(out / "train.jsonl")
    assert written[0]["messages"][1]["content"] == "Answer 0." and len(written) == 10
    assert main(["data", "validate", str(out / "train.jsonl"), "--format", "messages", "--json"]) == 0
    checked = json.loads(capsys.readouterr().out)
    assert checked["ok"] and checked["quality"]["findings"] == []
    # Human output names the actions and the examples; an unknown action is a clear error.
    assert main(["data", "convert", str(src), "--format", "messages", "--out", str(out),
                 "--clean", "strip-control"]) == 0
    text = capsys.readouterr().out
    assert "Cleaning (strip-control): 13 rows before" in text and "e.g. line 1:" in text
    assert main(["data", "convert", str(src), "--format", "messages", "--out", str(out), "--clean", "shine",
                 "--json"]) == 1
    assert "unknown cleaning action" in json.loads(capsys.readouterr().out)["error"]
    assert main(["data", "convert", str(src), "--format", "messages", "--out", str(out), "--clean", "drop-long",
                 "--json"]) == 1
    assert "needs a model" in json.loads(capsys.readouterr().out)["error"]


def test_quality_in_cli_json_and_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [_pc("Same prompt?", f"Answer {i}.") for i in range(12)]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    assert main(["data", "inspect", str(src), "--json"]) == 0
    kinds = [f["kind"] for f in json.loads(capsys.readouterr().out)["quality"]["findings"]]
    assert CONSTANT_PROMPT in kinds and CONFLICTING_ANSWERS in kinds
    assert main(["data", "inspect", str(src)]) == 0
    assert "[high] constant prompt" in capsys.readouterr().out


def test_held_out_comparison_prompts_are_distinct() -> None:
    rows = [{"prompt": p, "expected": str(i)} for i, p in
            enumerate(["Say a poem.", "say  a poem.", "Say a poem.", "Name a river.", "", "Count to 3."])]
    assert [r["prompt"] for r in distinct_prompts(rows, 3)] == ["Say a poem.", "Name a river.", "Count to 3."]
    assert len(distinct_prompts(rows[:3], 3)) == 1


def test_suggested_cleaning_and_its_markdown(tmp_path: Path) -> None:
    from tools.data.clean import clean_report_markdown
    from tools.data.quality import suggested_cleaning

    rows = [_pc(f"Q{i}?", f"A{i}.\x1b[0m") for i in range(10)] + [_pc("Q1?", "Other.")]
    first = convert(write_jsonl(tmp_path / "in.jsonl", rows), "messages", None, tmp_path / "o")
    assert first.quality is not None
    actions = suggested_cleaning(first.quality)
    assert actions == ["dedupe-prompts", "strip-control"]
    second = convert(tmp_path / "in.jsonl", "messages", None, tmp_path / "o2", clean=actions)
    assert second.cleaned is not None and suggested_cleaning(second.quality) == []  # type: ignore[arg-type]
    text = clean_report_markdown(second.cleaned)
    assert "11 rows before, 10 written" in text and "`strip-control`: 10 rows" in text


def test_the_chat_report_marks_more_lines_only_when_there_are_more(tmp_path: Path) -> None:
    """"(lines 31, 32, 33…)" promises more rows than listed: only said when the finding has more."""
    rows = [_pc(f"Question {i}?", f"Answer {i}.") for i in range(30)]
    three = convert(write_jsonl(tmp_path / "3.jsonl", [*rows, rows[1], rows[2], rows[3]]), "messages", None,
                    tmp_path / "o3", drop_duplicates=False).quality
    four = convert(write_jsonl(tmp_path / "4.jsonl", [*rows, rows[1], rows[2], rows[3], rows[4]]), "messages", None,
                   tmp_path / "o4", drop_duplicates=False).quality
    assert three is not None and four is not None
    assert "(lines 31, 32, 33)" in quality_report_markdown(three)
    assert "(lines 31, 32, 33…)" in quality_report_markdown(four)
