"""Run gcp-storage-emulator with Cloud Storage's bucket-naming rules in front of bucket creation.

The emulator creates a bucket under any name (`UPPER`, `goog-data`, `bad..dots`), which
Cloud Storage refuses. This entry point swaps its bucket-insert handler for one that first
checks the name with the same rules the product applies (`tools.vertex.storage.check_bucket_name`)
and answers 400 `Invalid bucket name` as the service does, so a name that slips past the
product's own check still fails in tests. It also ends itself when the process that started it
is gone: a test process that exits without running `atexit` (a forked worker, as mutmut's, leaves
with `os._exit`) would otherwise leave one idle emulator behind per run. Usage (what `tests.gcs_fixtures` runs):

    python -m tests.gcs_strict_emulator start --host 127.0.0.1 --port PORT --in-memory
"""

from __future__ import annotations

import os
import sys
import threading
import time
from http import HTTPStatus
from typing import Any

from gcp_storage_emulator import server
from gcp_storage_emulator.__main__ import main
from gcp_storage_emulator.handlers import buckets

from tools.errors import ToolError
from tools.vertex.storage import check_bucket_name


def _checked_insert(request: Any, response: Any, storage: Any, *args: Any, **kwargs: Any) -> Any:
    name = (request.data or {}).get("name") if isinstance(request.data, dict) else None
    if name:
        try:
            check_bucket_name(name)
        except ToolError as err:
            response.status = HTTPStatus.BAD_REQUEST
            return response.json({"error": {
                "code": 400, "message": f"Invalid bucket name: '{name}'", "status": "INVALID_ARGUMENT",
                "errors": [{"message": f"Invalid bucket name: '{name}'", "domain": "global",
                            "reason": "invalid", "debugInfo": err.message}]}})
    return buckets.insert(request, response, storage, *args, **kwargs)


def install() -> None:
    """Put the checking handler wherever the emulator routes bucket inserts."""
    for _pattern, handlers in server.HANDLERS:
        for verb, handler in list(handlers.items()):
            if handler is buckets.insert:
                handlers[verb] = _checked_insert


def exit_with_parent(poll_s: float = 0.5) -> threading.Thread:
    """End this process (at once, it holds nothing worth saving) when its parent has exited."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_s)
        os._exit(0)

    watcher = threading.Thread(target=watch, name="exit-with-parent", daemon=True)
    watcher.start()
    return watcher


if __name__ == "__main__":
    exit_with_parent()
    install()
    sys.exit(main(sys.argv[1:]))
