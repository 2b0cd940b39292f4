"""Markdown that keeps separate lines separate in every frontend.

Markdown joins two lines with one newline between them into one paragraph: Agent Chat UI
(and any CommonMark renderer) shows "Wrote 39 rows.\\nThe files pass validation." as one
run-on line, and a line of prose right under a table or list is swallowed by it.
`separate_lines` makes such a single newline a paragraph break, and leaves alone what
depends on single newlines: the rows of a table, the items of a list, fenced code,
indented continuations and existing hard breaks.
"""

from __future__ import annotations

import re

_TABLE = re.compile(r"^\s*\|")
_LIST = re.compile(r"^\s*([-*+]|\d+[.)])\s")
_FENCE = re.compile(r"^\s*(```|~~~)")
_INDENTED = re.compile(r"^\s{2,}\S")


def _kind(line: str) -> str:
    if _TABLE.match(line):
        return "table"
    if _LIST.match(line):
        return "list"
    if _INDENTED.match(line):
        return "indented"
    return "line"


def separate_lines(text: str) -> str:
    """`text` with a paragraph break wherever one newline would join two lines into one, or run prose
    into the table or list above it; rows of one table, items of one list and code stay as they are."""
    lines = text.split("\n")
    out: list[str] = []
    in_code = False
    for i, line in enumerate(lines):
        out.append(line)
        if _FENCE.match(line):
            in_code = not in_code
        if i + 1 == len(lines):
            break
        nxt = lines[i + 1]
        here, there = _kind(line), _kind(nxt)
        keep = (in_code or _FENCE.match(line) or not line.strip() or not nxt.strip()
                or line.endswith(("  ", "\\")) or there == "indented"
                or (here == there and here in ("table", "list")))
        out.append("\n" if keep else "\n\n")
    return "".join(out)
