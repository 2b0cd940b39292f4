"""Quiet output: library warnings and log records go to a file, never into the chat or CLI output.

Why: cloud SDKs (grpc, google-auth, google-cloud-*) emit dozens of `FutureWarning`s and log
lines at import and call time; printed between cards they bury what matters. `setup_output`
routes Python warnings (through `logging.captureWarnings`) and every log record to
`$TUNING_AGENT_HOME/logs/tuning-agent.log`; `--verbose` also shows them on stderr. It also
counts the graph's LLM fallbacks so the chat can say truthfully when the LLM was not used.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from pathlib import Path

LOG_NAME = "tuning-agent.log"
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_OUR_LOGGERS = ("agent", "graph", "tools", "knowledge")


class LLMFallbacks(logging.Handler):
    """Remembers each "LLM call failed" record the graph logs, until the chat reads them."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self._seen: list[str] = []
        self._lock_seen = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.name.startswith("graph") and "LLM call failed" in message:
            with self._lock_seen:
                self._seen.append(message)

    def take(self) -> list[str]:
        """The fallbacks since the last call (and forget them)."""
        with self._lock_seen:
            seen, self._seen = self._seen, []
        return seen


class _FileHandler(logging.FileHandler):
    """A file handler that never prints "--- Logging error ---" to the screen if its folder vanished."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
            super().emit(record)
        except OSError:
            pass

    def handleError(self, record: logging.LogRecord) -> None:
        """Quiet by design: a failing log file must not reach the chat."""


_installed: list[logging.Handler] = []
fallbacks = LLMFallbacks()


def log_path(home: Path | None = None) -> Path:
    """Where warnings and log records go."""
    if home is None:
        from tools.settings import tuning_agent_home

        home = tuning_agent_home()
    return home / "logs" / LOG_NAME


def setup_output(verbose: bool = False, home: Path | None = None) -> Path:
    """Send warnings and log records to the log file (and to stderr when `verbose`); returns the file.

    Safe to call again (tests, a second `main()`): the handlers it added before are replaced.
    """
    try:
        path = log_path(home)
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        path = Path(home or Path.home() / ".tuning-agent") / "logs" / LOG_NAME
        pass  # an unwritable home: records are dropped rather than printed into the output
    root = logging.getLogger()
    for handler in _installed:
        root.removeHandler(handler)
        handler.close()
    _installed.clear()

    file_handler = _FileHandler(path, encoding="utf-8", delay=True)
    file_handler.setFormatter(logging.Formatter(_FORMAT))
    file_handler.setLevel(logging.DEBUG if verbose else logging.INFO)
    _installed.append(file_handler)
    if verbose:
        stderr = logging.StreamHandler(sys.stderr)
        stderr.setFormatter(logging.Formatter(_FORMAT))
        _installed.append(stderr)
    _installed.append(fallbacks)
    for handler in _installed:
        root.addHandler(handler)
    root.setLevel(logging.WARNING)  # libraries: warnings and above
    for name in _OUR_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.INFO)
    logging.captureWarnings(True)  # warnings.warn(...) → logger "py.warnings" → the file
    if not verbose:
        # grpc's C core writes to stderr directly unless told otherwise.
        os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
        os.environ.setdefault("GLOG_minloglevel", "2")
        quiet_progress_bars()
    return path


def quiet_progress_bars() -> None:
    """No tqdm bars from transformers / huggingface_hub ("Loading weights 0/20", "Writing model
    shards") in the chat: they are not ours, and the chat shows its own progress.

    Read by huggingface_hub (and through it transformers) when imported, so it is set before
    either is; a library imported already is told directly. Errors and warnings are unaffected
    (they are raised or logged to the file); `HF_HUB_DISABLE_PROGRESS_BARS=0` brings the bars back.
    """
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    if os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] != "1":
        return
    if "huggingface_hub" in sys.modules:
        from huggingface_hub.utils import disable_progress_bars

        disable_progress_bars()
    if "transformers" in sys.modules:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()


def reset_output() -> None:
    """Remove what `setup_output` installed (tests; an embedding application that logs its own way)."""
    root = logging.getLogger()
    for handler in _installed:
        root.removeHandler(handler)
        handler.close()
    _installed.clear()
    logging.captureWarnings(False)
