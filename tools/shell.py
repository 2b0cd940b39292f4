"""Commands shown to people for copy and paste, built so that pasting runs exactly what is shown.

Every value in a shown command (a project id, a bucket, a member) may come from what
someone typed or from an edited card, so each argument goes through `shlex.quote`
(`shell_command`): `x;touch pwned;#` becomes one quoted word, never a second command.
`shown_commands` finds the commands in a message (the `backticked` spans that start with a
known program), which lets tests check that each one splits back into its arguments.
"""

from __future__ import annotations

import re
import shlex

#: Programs whose command lines we show.
PROGRAMS = ("gcloud", "tuning-agent", "gsutil", "pip", "python", "export")
_BACKTICKED = re.compile(r"`([^`\n]+)`")


def shell_command(*argv: str) -> str:
    """`argv` as one shell command line, each argument quoted only when it needs it."""
    return shlex.join(argv)


def shown_commands(text: str) -> list[str]:
    """The command lines in a message: backticked spans whose first word is one of `PROGRAMS`."""
    return [m.group(1) for m in _BACKTICKED.finditer(text)
            if m.group(1).split(" ", 1)[0] in PROGRAMS]
