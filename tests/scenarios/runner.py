"""Runs one scripted conversation through the terminal chat's plain mode and slices the output by turn.

Why a runner: each scenario is data (turns + what a person expects), so adding one is adding
a row to `conversations.py`, not writing another test. The chat runs in-process against the
real graph and SQLite checkpoints on the local platform (no training is started unless a
scenario approves the job), with `--llm none` or a scripted fake LLM.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

import tools.workspace
from agent.chat import ChatOptions, run_chat
from agent.render import Renderer
from tests.chat_fixtures import write_trivia_csv


@dataclass(frozen=True)
class Turn:
    """One line the person types and what they expect to see in reply to it.

    `expect`/`expect_not`: words or phrases (case-insensitive) that must / must not appear in the
    reply. `card`: the approval card that should be open after this turn (None: don't check).
    `{data}` in `say` is replaced by the path of a small trivia CSV, `{data2}` by a second one, `{folder}`
    by a folder holding a copy of the first, a JSONL file in a subfolder and a text file (not data); the
    chat runs in a folder that holds `datasets/` (a copy of the first CSV and a JSONL file),
    `{broken}` by a trivia CSV whose line 4 has two fields more than its header, `{unclosed}` by a trivia CSV
    whose line 3 opens a quote in its second column that is never closed, `{dirty}` by one with terminal
    colours in three answers and two repeated rows (the Clean dataset card opens). The local bucket
    `team-data` holds `support/trivia.csv`, `support/2026/extra.jsonl`, a text file and a tuning job's
    output (`support/tuning_agent_job_1/output/config.json`, not data).
    """

    say: str
    expect: tuple[str, ...] = ()
    expect_not: tuple[str, ...] = ()
    card: str | None = None


@dataclass(frozen=True)
class Conversation:
    """A scenario: who the person is, what they type, and why it matters (`about`)."""

    name: str
    about: str
    turns: tuple[Turn, ...]
    platform: str = "local"
    llms: tuple[str, ...] = ("none", "fake")  # also "failing": an LLM that fails on every call
    known_gap: str | None = None  # set while the behaviour is still being built: the test is a strict xfail


@dataclass
class TurnResult:
    said: str
    reply: str


@dataclass
class _SlicingReader:
    """Feeds the scripted lines and records where in the output each reply starts."""

    lines: list[str]
    out: io.StringIO
    marks: list[tuple[str, int]] = field(default_factory=list)

    def prepare(self) -> None:
        return None

    def ask(self, prompt: str, default: str = "", history: bool = True) -> str:
        if not self.lines:
            raise EOFError
        line = self.lines.pop(0)
        self.marks.append((line, len(self.out.getvalue())))
        return line if line else default


def fake_llm_factory() -> Callable[[str | None], Any]:
    """`make_llm` for the `fake` mode: a scripted model with no answers (each call fails and the graph
    must carry on deterministically); scenarios that need answers add them here."""
    from tests.fake_llm import RecordingFakeLLM

    def make(spec: str | None = None) -> Any:
        return RecordingFakeLLM()

    return make


def failing_llm_factory() -> Callable[[str | None], Any]:
    """`make_llm` for the `failing` mode: a model that starts, then fails on every call (text and
    structured), as a provider does during an outage; the chat must carry on deterministically."""
    from langchain_core.language_models import BaseChatModel
    from langchain_core.runnables import RunnableLambda

    class OutageLLM(BaseChatModel):
        @property
        def _llm_type(self) -> str:
            return "outage"

        def _generate(self, messages: Any, stop: Any = None, run_manager: Any = None, **kwargs: Any) -> Any:
            raise ConnectionError("503 Service Unavailable: the model is overloaded")

        def with_structured_output(self, schema: Any, **kwargs: Any) -> Any:  # type: ignore[override]
            def call(prompt: Any) -> Any:
                raise ConnectionError("503 Service Unavailable: the model is overloaded")

            return RunnableLambda(call)

    def make(spec: str | None = None) -> Any:
        return OutageLLM()

    return make


def run(conversation: Conversation, llm: str, tmp_path: Path) -> list[TurnResult]:
    """Play the conversation; returns each turn's reply (the output printed until the next prompt)."""
    data = write_trivia_csv(tmp_path / "trivia.csv")
    data2 = write_trivia_csv(tmp_path / "trivia2.csv")
    folder = tmp_path / "my data"
    (folder / "more").mkdir(parents=True)
    write_trivia_csv(folder / "trivia.csv")
    (folder / "more" / "extra.jsonl").write_text('{"prompt": "2+2?", "completion": "4"}\n')
    (folder / "notes.txt").write_text("not a dataset\n")
    (tmp_path / "datasets").mkdir()  # `datasets/`: a folder named relative to where the chat runs
    write_trivia_csv(tmp_path / "datasets" / "trivia.csv")
    (tmp_path / "datasets" / "extra.jsonl").write_text('{"prompt": "2+2?", "completion": "4"}\n')
    bucket = tools.workspace.tuning_agent_home() / "buckets" / "team-data" / "support"
    (bucket / "2026").mkdir(parents=True)
    write_trivia_csv(bucket / "trivia.csv")
    (bucket / "2026" / "extra.jsonl").write_text('{"prompt": "2+2?", "completion": "4"}\n')
    (bucket / "readme.txt").write_text("not a dataset\n")
    (bucket / "tuning_agent_job_1" / "output").mkdir(parents=True)
    (bucket / "tuning_agent_job_1" / "output" / "config.json").write_text("{}\n")
    broken = write_trivia_csv(tmp_path / "broken.csv")
    lines_of = broken.read_text().splitlines(keepends=True)
    lines_of[3] = lines_of[3].rstrip("\r\n") + ",extra,cols\n"
    broken.write_text("".join(lines_of))
    unclosed = write_trivia_csv(tmp_path / "unclosed.csv")
    lines_of = unclosed.read_text().splitlines(keepends=True)
    lines_of[2] = lines_of[2].split(",")[0] + ',"Paris, of course\n'  # the quote is never closed
    unclosed.write_text("".join(lines_of))
    dirty = tmp_path / "dirty.csv"  # terminal colours in three answers and two repeated rows: the cleaning card
    rows = write_trivia_csv(tmp_path / "clean.csv").read_text().splitlines(keepends=True)
    rows[1:4] = [r.replace(",", ",\x1b[33m", 1).rstrip("\r\n") + "\x1b[0m\n" for r in rows[1:4]]
    dirty.write_text("".join(rows + rows[6:8]))
    lines = [t.say.replace("{data}", str(data)).replace("{dirty}", str(dirty)).replace("{data2}", str(data2))
             .replace("{folder}", str(folder))
             .replace("{broken}", str(broken)).replace("{unclosed}", str(unclosed))
             for t in conversation.turns] + ["quit"]
    out = io.StringIO()
    renderer = Renderer(Console(file=out, force_terminal=False, no_color=True, width=160, soft_wrap=True))
    reader = _SlicingReader(lines, out)
    options = ChatOptions(platform=conversation.platform, llm="none" if llm == "none" else f"fake:{llm}",
                          thread=re.sub(r"[^A-Za-z0-9_.-]", "-", conversation.name)[:60])
    assert run_chat(options, reader=reader, renderer=renderer) == 0  # type: ignore[arg-type]
    text = out.getvalue()
    ends = [pos for _, pos in reader.marks[1:]] + [len(text)]
    return [TurnResult(said, text[start:end]) for (said, start), end in zip(reader.marks, ends, strict=False)]


def check(conversation: Conversation, results: list[TurnResult]) -> list[str]:
    """What a person would find wrong, turn by turn (empty: the conversation went as expected)."""
    problems: list[str] = []
    for i, (turn, result) in enumerate(zip(conversation.turns, results, strict=False), 1):
        reply = result.reply.lower()
        for phrase in turn.expect:
            if phrase.lower() not in reply:
                problems.append(f"turn {i} ({turn.say!r}): expected {phrase!r} in the reply")
        for phrase in turn.expect_not:
            if phrase.lower() in reply:
                problems.append(f"turn {i} ({turn.say!r}): did not expect {phrase!r} in the reply")
        if turn.card is not None and f"== approve: {turn.card.lower()} ==" not in reply:
            problems.append(f"turn {i} ({turn.say!r}): expected the {turn.card} card")
    if len(results) < len(conversation.turns):
        problems.append(f"the chat stopped after {len(results)} of {len(conversation.turns)} turns")
    return problems
