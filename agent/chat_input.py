"""Reading lines from the human: prompt_toolkit on a terminal, plain stdin otherwise.

On a terminal the chat gets line editing, a history kept in `$TUNING_AGENT_HOME/chat_history`
(Up/Down, Ctrl-R to search) and prefilled defaults when editing a card's arguments.
When stdin is not a terminal (a pipe, a script) it reads plain lines and echoes each
answer after its prompt, so the transcript shows the conversation; no escape codes.
Both raise `EOFError` at the end of input and `KeyboardInterrupt` on Ctrl-C.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Protocol


class LineReader(Protocol):
    """Something that asks the human for one line."""

    def ask(self, prompt: str, default: str = "", history: bool = True) -> str:
        """One line of input; `default` is prefilled (terminal) or used when the line is empty (plain)."""
        ...

    def prepare(self) -> None:
        """Load what the first prompt needs (called before the graph starts loading in the background)."""
        ...


class PlainReader:
    """Line input from a non-terminal stdin: no editing, no colours; answers are echoed."""

    def __init__(self, stream: Any = None, out: Any = None) -> None:
        self.stream = stream or sys.stdin
        self.out = out or sys.stdout

    def prepare(self) -> None:
        return None

    def ask(self, prompt: str, default: str = "", history: bool = True) -> str:
        shown = f"{prompt}[{default}] " if default else prompt
        self.out.write(shown)
        self.out.flush()
        line = self.stream.readline()
        if not line:
            self.out.write("\n")
            self.out.flush()
            raise EOFError
        text = line.rstrip("\r\n")
        if not _isatty(self.stream):  # a terminal has echoed it already
            self.out.write(text + "\n")
            self.out.flush()
        return text if text.strip() else default


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class TerminalReader:
    """prompt_toolkit input with history; built on first use so the first prompt appears fast."""

    def __init__(self, history_path: Path) -> None:
        self.history_path = history_path
        self._session: Any = None
        self._plain_session: Any = None

    def _sessions(self) -> tuple[Any, Any]:
        if self._session is None:
            from prompt_toolkit import PromptSession
            from prompt_toolkit.history import FileHistory, InMemoryHistory

            self._session = PromptSession(history=FileHistory(str(self.history_path)))
            self._plain_session = PromptSession(history=InMemoryHistory())
        return self._session, self._plain_session

    def prepare(self) -> None:
        self._sessions()

    def ask(self, prompt: str, default: str = "", history: bool = True) -> str:
        from prompt_toolkit.formatted_text import ANSI

        with_history, without = self._sessions()
        session = with_history if history else without
        return str(session.prompt(ANSI(f"\x1b[1;32m{prompt}\x1b[0m"), default=default))


def make_reader(interactive: bool, history_path: Path) -> LineReader:
    """The reader for this process: prompt_toolkit on a terminal, plain lines otherwise."""
    return TerminalReader(history_path) if interactive else PlainReader()
