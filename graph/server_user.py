"""The one place the graph learns which server user a run belongs to (None in the terminal chat).

The LangGraph server puts the authenticated user (see `agent/auth.py`) in the run's config
as `configurable.langgraph_auth_user_id`. Nodes that read a local path typed by the user
pass it through `user_local_source`, which keeps it inside that user's upload root
(`tools.workspace`); the terminal chat has no user and keeps full file access.
"""

from __future__ import annotations

import re
from typing import Any

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
    other file and lists no folder. Bucket URIs pass unchanged; a Hugging Face id passes as `hf://OWNER/NAME`
    only when it can name nothing on the server's disk.
    """
    user = server_user()
    text = source.strip()
    if user is None or text.startswith(("gs://", "local://")):
        return source, None
    if text.startswith("hf://"):
        return _hub_only(source, text.removeprefix("hf://").split("?", 1)[0].strip("/"))
    from tools.errors import ToolError
    from tools.workspace import resolve_user_path

    try:
        path = resolve_user_path(user, text)
    except ToolError as err:
        path = None
        refusal = f"I can't use that path: {err}"
    else:
        refusal = (f"I can't find **{text}** in your upload folder. Put the file there (ask whoever runs this "
                   "server where that is), then give its name relative to the folder.")
    if path is not None and path.is_file():
        return str(path), None
    from tools.data.sources import is_hub_id

    if "/" in text and is_hub_id(text) and not _DATA_SUFFIX.search(text):
        # Not in the user's folder, so an `owner/name` is a Hugging Face id, said explicitly: a bare one
        # would be looked up relative to the server's working folder (`pkg.egg-info/SOURCES.txt` was read).
        return _hub_only(f"hf://{text}", text)
    return source, refusal


def _hub_only(source: str, dataset_id: str) -> tuple[str, str | None]:
    """A Hugging Face id as the server may read it: `owner/name` from the Hub, never a folder on the server
    (the `datasets` library loads a local folder of that name instead, and `hf://../..` reached any folder)."""
    import os

    from tools.data.sources import is_hub_id

    if not is_hub_id(dataset_id) or os.path.exists(dataset_id):
        return source, (f"**{dataset_id}** is not a Hugging Face dataset id this server can read: write it as "
                        "`OWNER/NAME` (e.g. `hf://tatsu-lab/alpaca`), or put your file in your upload folder.")
    return source, None
