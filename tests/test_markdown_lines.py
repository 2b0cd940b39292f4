"""graph/markdown.py: lines said on separate lines stay separate in Markdown frontends."""

from __future__ import annotations

import pytest

from graph.common import say
from graph.markdown import separate_lines


@pytest.mark.parametrize(("text", "shown"), [
    ("Wrote 39 rows.\nThe files pass validation.", "Wrote 39 rows.\n\nThe files pass validation."),
    ("| a | b |\n|---|---|\n| 1 | 2 |\nAfter the table.", "| a | b |\n|---|---|\n| 1 | 2 |\n\nAfter the table."),
    ("Options:\n- one\n- two\n  more of two\nThen this.", "Options:\n\n- one\n- two\n  more of two\n\nThen this."),
    ("Run:\n```\ncmd a\ncmd b\n```", "Run:\n\n```\ncmd a\ncmd b\n```"),
    ("kept  \nhard break", "kept  \nhard break"),
    ("one paragraph\n\nanother", "one paragraph\n\nanother"),
])
def test_single_newlines_between_prose_become_paragraphs(text: str, shown: str) -> None:
    assert separate_lines(text) == shown


def test_say_keeps_each_line_a_line() -> None:
    message = say("**Prepare failed:** the file is empty", "Nothing else was changed.")["messages"][0]
    assert message.content == "**Prepare failed:** the file is empty\n\nNothing else was changed."
