"""Each server user's own folder, and the check that a path they type stays inside it.

In server mode (many people on one `langgraph dev` / LangGraph server) every user works in
`$TUNING_AGENT_HOME/users/<user>/`:

- `files/`   the upload root: the only place their local dataset paths may point to
             (an operator copies files there, or a frontend uploads them there);
- `buckets/` their local platform's buckets (`local://...`), `jobs/` their local jobs,
             `runs/` their prepared data.

A path typed in chat is accepted only when, with every symlink resolved, it lies inside
`files/`. Refusals never say what is at the path nor list any folder, so a probe learns
nothing about the server's disk. The terminal chat (one person on their own machine)
never calls this: it keeps full file access.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from tools.errors import ToolError
from tools.settings import private_dir, tuning_agent_home

USERS_DIR = "users"
UPLOAD_DIR = "files"

#: A user name as a folder: lowercase letters, digits, `.`, `_`, `-`, `@` (e-mail addresses from ID tokens).
_USER_RE = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,127}$")
#: What a chat path may not be: a URL other than storage (`file://`, `http://`), or `~` (someone's home).
_URL_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def check_user_id(user: str) -> str:
    """`user` if it is safe as a folder name, else a ToolError (never `..`, `/`, or empty)."""
    name = user.strip().lower()
    if not _USER_RE.match(name) or ".." in name:
        raise ToolError(f"User name {user!r} cannot be used as a folder name.",
                        "Use lowercase letters, digits, '.', '_', '-' or '@' (e.g. alice).")
    return name


def user_home(user: str) -> Path:
    """`$TUNING_AGENT_HOME/users/<user>/` (created 0700): the user's whole workspace."""
    return private_dir(private_dir(tuning_agent_home() / USERS_DIR) / check_user_id(user))


def upload_root(user: str) -> Path:
    """`$TUNING_AGENT_HOME/users/<user>/files/` (created 0700): where that user's local files live."""
    return private_dir(user_home(user) / UPLOAD_DIR)


def data_home(user: str | None) -> Path:
    """Where runs, buckets and jobs go: the user's folder in server mode, `$TUNING_AGENT_HOME` otherwise."""
    return user_home(user) if user else tuning_agent_home()


def _refuse(text: str, why: str) -> ToolError:
    return ToolError(f"{text!r} {why}.",
                     "On this server you can only use files in your upload folder: give a path relative "
                     "to it (e.g. `data/train.csv`), a local:// URI, a gs:// URI or a Hugging Face id.")


def resolve_user_path(user: str, text: str) -> Path:
    """The file `text` names inside `user`'s upload root, or a ToolError that reveals nothing.

    Accepted: a path relative to the upload root, or an absolute path that is inside it.
    Refused: `~`, `file://` and other URLs, any `..` component, and anything that lands
    outside the root once symlinks are resolved (a symlink inside that points out is refused).
    The file need not exist yet (the caller says "not found", with suggestions from inside
    the root only).
    """
    raw = text.strip()
    if not raw or "\x00" in raw:
        raise _refuse(raw, "is not a file name")
    if raw.startswith("~"):
        raise _refuse(raw, "points into a home folder on the server")
    if _URL_RE.match(raw):
        raise _refuse(raw, "is a URL this server does not read")
    if ".." in Path(raw).parts:
        raise _refuse(raw, "leaves your upload folder (`..`)")
    root = upload_root(user).resolve()
    candidate = Path(raw) if os.path.isabs(raw) else root / raw
    resolved = Path(os.path.realpath(candidate))
    if resolved != root and root not in resolved.parents:
        raise _refuse(raw, "is outside your upload folder")
    return resolved


def display_paths(text: str, user: str | None) -> str:
    """`text` with the server's absolute path of `user`'s folder taken out, for showing to that user.

    On a server a message or card reads `files/train.csv` or `runs/<id>/data/train.jsonl`
    (relative to the user's folder) rather than where the server keeps it, which tells other
    people nothing about the machine. Outside a server (`user` None) `text` is unchanged.
    """
    if not user or not text:
        return text
    home = tuning_agent_home() / USERS_DIR / check_user_id(user)
    for prefix in {str(home), os.path.realpath(home)}:
        text = text.replace(prefix + os.sep, "")
    return text
