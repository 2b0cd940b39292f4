"""Checks on the ids a person types that end up in commands, API paths and hosts.

One place for each rule, so a card, the runtime context and the CLI refuse the same values
with the same words (`x;touch pwned;#` never reaches a command line or an API path).
"""

from __future__ import annotations

import re

#: A Google Cloud project id: 6-30 lowercase letters, digits and hyphens, starting with a letter and
#: not ending with a hyphen; an old domain-scoped id carries a `domain:` prefix.
PROJECT_ID_RE = re.compile(r"^(?:[a-z0-9][a-z0-9.-]{0,61}[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$")


def check_project_id(value: str) -> str:
    """`value` (stripped) if it is a well-formed project id, else a ValueError saying what one looks like."""
    text = (value or "").strip()
    if not PROJECT_ID_RE.match(text):
        raise ValueError(f"{text[:64]!r} is not a Google Cloud project id: use 6-30 lowercase letters, digits "
                         "and hyphens, starting with a letter (e.g. my-project-123)")
    return text
