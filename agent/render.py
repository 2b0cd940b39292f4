"""How the terminal chat looks: the banner, assistant replies, approval cards and progress.

Everything here writes through one rich `Console`. On a terminal it renders markdown
with colour, live progress bars and spinners; when stdout is not a terminal (a script,
a pipe) the same calls print plain text with no colour codes and no live redrawing,
so a transcript stays readable. Nothing here talks to the graph: the chat loop passes
in plain values (message text, the interrupt payload, custom stream events).
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from tools.safe_text import strip_controls

#: What each key at an approval card does, in the order the card offers them.
DECISION_KEYS: dict[str, tuple[str, str]] = {
    "approve": ("y", "[y]es"),
    "edit": ("e", "[e]dit"),
    "reject": ("n", "[n]o"),
}

#: Spinner labels for the steps that run while the human waits.
STEP_LABELS = {
    "intake": "Reading your message", "answer": "Looking that up", "category": "Choosing models",
    "project_region": "Checking project and region", "environment": "Checking the environment",
    "dataset_source": "Reading the dataset", "columns": "Reading the columns", "split": "Planning the split",
    "prepare": "Preparing the data", "upload": "Uploading", "configure": "Choosing the configuration",
    "preflight": "Running preflight checks", "submit": "Submitting the job", "monitor": "Watching the job",
    "deploy": "Deploying", "done": "Summarising",
}


def make_console(interactive: bool | None = None) -> Console:
    """A console for the chat: styled on a terminal, plain text (no colour, no live output) otherwise."""
    if interactive is None:
        interactive = sys.stdout.isatty()
    if interactive:
        return Console(highlight=False)
    return Console(force_terminal=False, no_color=True, highlight=False, emoji=False, width=100,
                   soft_wrap=True)


def format_value(value: Any) -> str:
    """An argument value as the human reads (and edits) it: strings bare, the rest as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return strip_controls(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return strip_controls(json.dumps(value, ensure_ascii=False))


class Renderer:
    """Draws the chat on one console."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or make_console()

    @property
    def styled(self) -> bool:
        """True on a terminal (colours and live progress), False for plain output."""
        return self.console.is_terminal

    def banner(self, platform: str, platform_reason: str, llm: str, llm_reason: str, thread_id: str,
               new: bool) -> None:
        """Who is doing the work and why, and how to come back to this conversation."""
        from agent import __version__

        lines = Text()
        lines.append(f"tuning-agent {__version__}", style="bold")
        lines.append(" — fine-tune a model, step by step\n")
        lines.append("Platform: ", style="bold")
        lines.append(f"{platform}  ({platform_reason})\n")
        lines.append("LLM:      ", style="bold")
        lines.append(f"{llm}  ({llm_reason})\n")
        lines.append("Thread:   ", style="bold")
        lines.append(f"{thread_id}  ({'new' if new else 'resumed'})", style="cyan")
        lines.append("   quit, exit or Ctrl-D to leave; the conversation is saved at every step", style="dim")
        if self.styled:
            self.console.print(Panel(lines, expand=False, border_style="blue"))
        else:
            self.console.print(lines)
            self.console.print()

    def reply(self, text: str, status: bool = False) -> None:
        """One assistant message: markdown, or a short dimmed status line."""
        from rich.markdown import Markdown

        text = strip_controls(text).strip()  # dataset cells and model answers may carry escape sequences
        if not text:
            return
        if not self.styled:  # plain output: the markdown source reads well and stays greppable
            self.console.print(Text(("· " if status else "") + text))
            self.console.print()
            return
        if status:
            self.console.print(Markdown("· " + text, style="dim"))
        else:
            self.console.print(Markdown(text))
        self.console.print()

    def note(self, text: str, style: str = "dim") -> None:
        """A line from the chat itself (not the agent), e.g. hints and warnings."""
        self.console.print(Text(strip_controls(text), style=style))

    def error(self, message: str, hint: str | None = None) -> None:
        self.console.print(Text("Error: ", style="bold red") + Text(strip_controls(message)))
        if hint:
            self.console.print(Text(f"What to do: {strip_controls(hint)}", style="yellow"))

    def card(self, payload: dict[str, Any]) -> None:
        """An approval card: the action, its arguments, the description, and the keys to answer."""
        from rich.markdown import Markdown

        request = payload["action_requests"][0]
        request = {**request, "name": strip_controls(str(request.get("name", ""))),
                   "description": strip_controls(str(request.get("description") or ""))}
        allowed = allowed_decisions(payload)
        keys = " / ".join(DECISION_KEYS[d][1] for d in DECISION_KEYS if d in allowed)
        hint = "   (or type what you want instead; a question is answered first)"
        title = f"Approve: {request['name']}"
        if not self.styled:
            lines = [f"== {title} ==", (request.get("description") or "").strip(), ""]
            lines += [f"  {strip_controls(name)}: {format_value(value) or '—'}"
                      for name, value in (request.get("args") or {}).items()]
            lines += ["", keys + hint, ""]
            self.console.print(Text("\n".join(lines)))
            return
        table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
        table.add_column("argument", style="cyan", no_wrap=True)
        table.add_column("value", overflow="fold")
        for name, value in (request.get("args") or {}).items():
            table.add_row(strip_controls(name), escape(format_value(value)) or "—")
        footer = Text(keys, style="bold")
        footer.append(hint, style="dim")
        body = Group(Markdown(request.get("description") or ""), Text(""), table, Text(""), footer)
        self.console.print(Panel(body, title=title, title_align="left", border_style="yellow", expand=True))

    def loss_plot(self, plot: str, png: str | None) -> None:
        """The job's loss curve as text, and where the PNG went."""
        self.console.print(Text("Training loss", style="bold"))
        self.console.print(Text(strip_controls(plot)))
        if png:
            self.console.print(Text(f"Loss plot saved to {png}", style="dim"), soft_wrap=True)
        self.console.print()

    def progress(self) -> ProgressView:
        """A progress display for one turn (bars and a spinner on a terminal, sparse lines otherwise)."""
        return ProgressView(self)


def allowed_decisions(payload: dict[str, Any]) -> list[str]:
    """The decisions the card allows (all three when the payload does not say)."""
    configs = payload.get("review_configs") or []
    name = payload["action_requests"][0]["name"]
    for config in configs:
        if config.get("action_name") == name:
            return [d for d in config.get("allowed_decisions") or [] if d in DECISION_KEYS]
    return list(DECISION_KEYS)


def _unit(done: float, total: float | None, unit: str) -> str:
    if unit == "bytes":
        def size(n: float) -> str:
            for suffix, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
                if n >= scale:
                    return f"{n / scale:.1f} {suffix}"
            return f"{int(n)} B"

        return f"{size(done)}/{size(total)}" if total else size(done)
    return f"{int(done):,}/{int(total):,} {unit}" if total else f"{int(done):,} {unit}"


class ProgressView:
    """Bars for the graph's custom progress events and a spinner naming the running step.

    Use as a context manager around one streamed turn; `stop()` it before asking the
    human anything (the chat does that when the stream ends).
    """

    def __init__(self, renderer: Renderer) -> None:
        self.renderer = renderer
        self.console = renderer.console
        self._progress: Any = None
        self._spinner: Any = None
        self._bars: dict[str, Any] = {}
        self._last_line = ""
        self._last_line_t = 0.0

    def __enter__(self) -> ProgressView:
        if self.renderer.styled:
            from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self._progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(bar_width=30),
                                      TextColumn("{task.fields[detail]}"), TimeElapsedColumn(),
                                      console=self.console, transient=True)
            self._progress.start()
            self._spinner = self._progress.add_task("Working", total=None, detail="")
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
            self._bars.clear()

    def step(self, node: str) -> None:
        """A step started: name it on the spinner."""
        if self._progress is not None and self._spinner is not None:
            self._progress.update(self._spinner, description=STEP_LABELS.get(node, node) + "…")

    def event(self, data: dict[str, Any]) -> None:
        """One custom stream event from `graph.common.progress`."""
        node = str(data.get("node") or "")
        if node == "monitor":
            self._monitor(data)
        elif "done" in data:
            label = {"prepare": "Converting", "upload": f"Uploading {data.get('file') or ''}".strip()}.get(
                node, node.capitalize())
            key = f"{node}:{data.get('file') or ''}"
            unit = str(data.get("unit") or "")
            self._bar(key, label, float(data.get("done") or 0), _num(data.get("total")),
                      _unit(float(data.get("done") or 0), _num(data.get("total")), unit))

    def _monitor(self, data: dict[str, Any]) -> None:
        state = str(data.get("state") or "").removeprefix("JOB_STATE_").lower()
        step, total = data.get("step"), _num(data.get("total"))
        parts = [state] if state else []
        if step is not None:
            parts.append(f"step {step}/{int(total)}" if total else f"step {step}")
        if data.get("loss") is not None:
            parts.append(f"loss {float(data['loss']):.3f}")
        eta = data.get("eta_s")
        if eta:
            parts.append(f"~{float(eta) / 60:.0f} min left" if float(eta) >= 60 else f"~{float(eta):.0f} s left")
        detail = ", ".join(parts)
        self._bar("monitor", "Training", float(step or 0), total, detail)

    def _bar(self, key: str, label: str, done: float, total: float | None, detail: str) -> None:
        if self._progress is None:
            self._plain(f"{label}: {detail}")
            return
        if key not in self._bars:
            self._bars[key] = self._progress.add_task(label, total=total, detail=detail)
        self._progress.update(self._bars[key], completed=done, total=total, detail=detail, description=label)

    def _plain(self, line: str) -> None:
        """Without a terminal: print a progress line when it changes, at most every 10 s."""
        now = time.monotonic()
        if line != self._last_line and now - self._last_line_t >= 10:
            self.console.print(Text(strip_controls(line)))
            self._last_line, self._last_line_t = line, now


def _num(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
