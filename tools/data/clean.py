"""Cleaning during conversion (`data convert --clean ...`): never silent, always counted with examples.

Actions:
- `dedupe`: drop rows that repeat an earlier row exactly (convert does this by default too);
- `dedupe-prompts`: keep only the first row of each prompt (single-exchange rows; different
  answers to one prompt give the model mixed signals);
- `strip-control`: remove ANSI escape codes, NUL, other control characters and invisible
  format characters from every text (tabs and newlines stay); a turn left empty drops its row;
- `drop-long`: drop rows longer than the model accepts (needs a model; convert with a model
  does this anyway, this makes it explicit and shows examples).
"""

from __future__ import annotations

from collections.abc import Iterable

from tools.data.lines import line_key
from tools.data.models import CleanReport
from tools.data.quality import MAX_TRACKED_PROMPTS, _snippet, has_control, strip_control
from tools.data.shapes import EMPTY_TURN, Conversation, Drop
from tools.errors import DataError

DEDUPE, DEDUPE_PROMPTS, STRIP_CONTROL, DROP_LONG = "dedupe", "dedupe-prompts", "strip-control", "drop-long"
CLEAN_ACTIONS = (DEDUPE, DEDUPE_PROMPTS, STRIP_CONTROL, DROP_LONG)
_EXAMPLES = 3
_EXAMPLE_CHARS = 100


def parse_clean(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """`"dedupe,strip-control"` (or a list) → the actions in order; a DataError names an unknown one."""
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)
    actions: list[str] = []
    for raw in items:
        action = raw.strip().lower().replace("_", "-")
        if not action:
            continue
        if action not in CLEAN_ACTIONS:
            raise DataError(f"unknown cleaning action {raw!r}", "Use any of: " + ", ".join(CLEAN_ACTIONS))
        if action not in actions:
            actions.append(action)
    return tuple(actions)


def _show(text: str) -> str:
    return _snippet(text[:_EXAMPLE_CHARS])


class Cleaner:
    """Applies the chosen actions row by row and remembers what it did (counts and examples)."""

    def __init__(self, actions: Iterable[str]) -> None:
        self.actions = tuple(actions)
        self.changed: dict[str, int] = {a: 0 for a in self.actions}
        self.examples: dict[str, list[str]] = {a: [] for a in self.actions}
        self.prompts: set[int] = set()

    def __contains__(self, action: str) -> bool:
        return action in self.actions

    def record(self, action: str, loc: int, what: str) -> None:
        self.changed[action] = self.changed.get(action, 0) + 1
        examples = self.examples.setdefault(action, [])
        if len(examples) < _EXAMPLES:
            examples.append(f"line {loc}: {what}")

    def strip(self, loc: int, conv: Conversation) -> Conversation:
        """The conversation with control and invisible characters removed (counted when anything changed)."""
        system, turns = conv
        new_system = strip_control(system) if system else system
        new_turns = [(role, strip_control(text)) for role, text in turns]
        changed = new_system != system or any(a[1] != b[1] for a, b in zip(turns, new_turns, strict=True))
        if changed:
            before = next((t for t in [system or "", *(x for _, x in turns)] if has_control(t)), "")
            self.record(STRIP_CONTROL, loc, _show(before))
            if any(not text.strip() for _, text in new_turns):
                raise Drop(EMPTY_TURN)
        return (new_system or None), new_turns

    def repeated_prompt(self, loc: int, conv: Conversation) -> bool:
        """True (and counted) if this single-exchange row's prompt came earlier."""
        _, turns = conv
        if len(turns) != 2:
            return False
        key = line_key(turns[0][1].encode("utf-8", "surrogatepass"))
        if key in self.prompts:
            self.record(DEDUPE_PROMPTS, loc, _show(turns[0][1]))
            return True
        if len(self.prompts) < MAX_TRACKED_PROMPTS:
            self.prompts.add(key)
        return False

    def report(self, rows_before: int, rows_after: int) -> CleanReport:
        return CleanReport(actions=list(self.actions), rows_before=rows_before, rows_after=rows_after,
                           changed=self.changed, examples={a: e for a, e in self.examples.items() if e})


def clean_report_markdown(report: CleanReport) -> str:
    """What a cleaning run changed, for the chat: rows before and after, then per action a count and examples."""
    lines = [f"**Cleaning** ({', '.join(report.actions)}): {report.rows_before:,} rows before, "
             f"{report.rows_after:,} written."]
    for action in report.actions:
        lines.append(f"- `{action}`: {report.changed.get(action, 0):,} rows")
        lines += [f"  - e.g. `{ex.replace('`', '´')}`" for ex in report.examples.get(action, [])[:3]]
    return "\n".join(lines)
