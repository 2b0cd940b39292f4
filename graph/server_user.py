"""The one place the graph learns which server user a run belongs to (None in the terminal chat).

The LangGraph server puts the authenticated user (see `agent/auth.py`) in the run's config
as `configurable.langgraph_auth_user_id`. Nodes that read a local path typed by the user
pass it through `user_local_source`, which keeps it inside that user's upload root
(`tools.workspace`); the terminal chat has no user and keeps full file access.
"""

from __future__ import annotations

import re
from typing import Any

_HF_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*$")
_DATA_SUFFIX = re.compile(r"\.(?:csv|tsv|jsonl|json|parquet)$", re.I)


def server_user(config: dict[str, Any] | None = None) -> str | None:
    """The authenticated user of the current server run, or None outside a server run."""
    if config is None:
        from langgraph.config import get_config

        try:
            config = dict(get_config())
        except RuntimeError:  # called outside a run (tests of a single node)
            return None
    user = (config.get("configurable") or {}).get("langgraph_auth_user_id")
    return str(user) if user else None


def user_local_source(source: str) -> tuple[str, str | None]:
    """(`source`, None) when it may be read as given, else (source, why not) in words for the user.

    In a server run a local path becomes the real file inside the user's upload root; a
    path outside it, a missing file, `~`, `..` or `file://` gets a refusal that names no
    other file and lists no folder. URIs and Hugging Face ids pass unchanged.
    """
    user = server_user()
    text = source.strip()
    if user is None or text.startswith(("gs://", "local://", "hf://")) or \
            (_HF_ID.match(text) and not _DATA_SUFFIX.search(text)):
        return source, None
    from tools.errors import ToolError
    from tools.workspace import resolve_user_path

    try:
        path = resolve_user_path(user, text)
    except ToolError as err:
        return source, f"I can't use that path: {err}"
    if not path.is_file():
        return source, (f"I can't find **{text}** in your upload folder. Put the file there (ask whoever runs "
                        "this server where that is), then give its name relative to the folder.")
    return str(path), None
