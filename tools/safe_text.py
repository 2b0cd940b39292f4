"""Text that is safe to show on a terminal or in a web UI: no control characters.

Dataset cells, model answers and error messages are untrusted: an escape sequence in a
CSV cell can clear the screen, retitle the window or write the clipboard (OSC 52) when it
reaches a terminal raw. `strip_controls` removes every C0 control except newline and tab,
DEL, and every C1 control (U+0080-U+009F, which some terminals also obey), so escape
sequences lose their ESC and print as harmless text.
"""

from __future__ import annotations

import re

_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def strip_controls(text: str) -> str:
    """`text` without C0 (except `\\n`, `\\t`), DEL or C1 control characters."""
    return _CONTROLS.sub("", text) if _CONTROLS.search(text) else text
