"""Where tuning-agent keeps its files on this machine.

`$TUNING_AGENT_HOME` (default `~/.tuning-agent`) holds the chat checkpoints
(`threads.sqlite`), the local platform's bucket folders (`buckets/`), local jobs
(`jobs/`) and downloaded or built models (`models/`).
"""

from __future__ import annotations

import os
from pathlib import Path


def tuning_agent_home() -> Path:
    """The home folder, created on first use."""
    home = Path(os.environ.get("TUNING_AGENT_HOME") or Path.home() / ".tuning-agent").expanduser()
    home.mkdir(parents=True, exist_ok=True)
    return home
