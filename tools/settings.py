"""Where tuning-agent keeps its files on this machine.

`$TUNING_AGENT_HOME` (default `~/.tuning-agent`) holds the chat checkpoints
(`threads.sqlite`), the local platform's bucket folders (`buckets/`), local jobs
(`jobs/`), downloaded or built models (`models/`) and, on a server, one folder per user
(`users/<user>/`, see `tools.workspace`).

Everything in it is private to the account that runs the agent, because checkpoints hold
conversations, dataset samples and project ids: the home and the folders made with
`private_dir` are 0700 (so nothing inside can be reached by other accounts, whatever a
library's file mode), and the files we write ourselves are 0600 (`private_file`).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) readable by this account only; tighten it if it already exists."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        with contextlib.suppress(OSError):  # not ours (a shared mount): leave it as it is
            path.chmod(0o700)
    return path


def tuning_agent_home() -> Path:
    """The home folder, created 0700 on first use (an existing one is tightened to 0700)."""
    home = Path(os.environ.get("TUNING_AGENT_HOME") or Path.home() / ".tuning-agent").expanduser()
    return private_dir(home)


#: Files SQLite keeps next to a database (write-ahead log, shared memory, rollback journal).
SQLITE_SIDECARS = ("-wal", "-shm", "-journal")


def private_file(path: Path) -> Path:
    """Make an existing file (a SQLite database, a log) readable by this account only.

    A SQLite database's `-wal`, `-shm` and `-journal` files are tightened with it: they hold
    the newest checkpoints, and SQLite creates them with the database's mode, so once the
    database is 0600 later ones are too.
    """
    for candidate in (path, *(path.with_name(path.name + suffix) for suffix in SQLITE_SIDECARS)):
        with contextlib.suppress(FileNotFoundError):
            if candidate.stat().st_mode & 0o077:
                candidate.chmod(0o600)
    return path
