"""A Cloud Storage front for tests: forwards to the GCS emulator, with the faults a real service has.

The emulator always answers at once and always reports both checksums. Cloud Storage does not:
it answers 503 for a while, a composite object has no MD5, and a broken proxy or a concurrent
writer can report metadata that is not the file sent. `GcsProxy` sits between the client and the
emulator (point `STORAGE_EMULATOR_HOST` at `proxy.url`) and, on request:

- `down_for(seconds)`: answers 503 to everything for that long, then 404 (so a client that keeps
  retrying past its own budget sees a different error, not a slow success);
- `fail_media(n)`: answers 503 to the next `n` object downloads (`alt=media`), then forwards;
- `media_down_for(seconds)`: like `down_for`, for object downloads only;
- `rewrite`: a function applied to every object resource (JSON metadata) on its way back.

It also does one thing the service does and the emulator does not: a listing page holds at most
`maxResults` objects (the emulator ignores the parameter and returns them all).

Object links (`mediaLink`) are rewritten to lead back through the proxy. Resumable upload sessions
go straight to the emulator (the session URL names it), so a rewrite changes only what the client
reads back, never what was stored.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

_HOP = {"connection", "transfer-encoding", "content-length", "keep-alive"}


class GcsProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = urlsplit(upstream).netloc
        self.down_until = 0.0
        self.media_down_until = 0.0
        self.media_failures = 0
        self.rewrite: Callable[[dict[str, Any]], dict[str, Any]] | None = None
        self.requests: list[tuple[str, str]] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                proxy._handle(self)

            do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def down_for(self, seconds: float) -> None:
        self.down_until = time.monotonic() + seconds

    def media_down_for(self, seconds: float) -> None:
        self.media_down_until = time.monotonic() + seconds

    def fail_media(self, n: int) -> None:
        self.media_failures = n

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        self.requests.append((req.command, req.path))
        until = self.down_until or (self.media_down_until if "alt=media" in req.path else 0.0)
        if until:
            if time.monotonic() < until:
                return _error(req, 503, "UNAVAILABLE", "The service is currently unavailable.")
            return _error(req, 404, "NOT_FOUND", "No such object (the service came back without it).")
        if "alt=media" in req.path and self.media_failures > 0:
            self.media_failures -= 1
            return _error(req, 503, "UNAVAILABLE", "The service is currently unavailable.")
        body = req.rfile.read(int(req.headers.get("Content-Length") or 0))
        headers = {k: v for k, v in req.headers.items() if k.lower() not in _HOP | {"host"}}
        conn = http.client.HTTPConnection(self.upstream, timeout=30)
        try:
            conn.request(req.command, req.path, body=body or None, headers=headers)
            response = conn.getresponse()
            data = response.read()
            out_headers = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP]
            status = response.status
        finally:
            conn.close()
        if "alt=media" not in req.path and data[:1] == b"{" and status == 200:
            data = json.dumps(self._rewritten(json.loads(data), req.path)).encode()
        req.send_response(status)
        for key, value in out_headers:
            req.send_header(key, value)
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)

    def _rewritten(self, doc: dict[str, Any], path: str) -> dict[str, Any]:
        own = self.url.split("://", 1)[1]

        def rewrite(item: dict[str, Any]) -> dict[str, Any]:
            # Links the client follows (a listed object's mediaLink) lead back through the proxy.
            item = {k: v.replace(self.upstream, own) if k.endswith("Link") and isinstance(v, str) else v
                    for k, v in item.items()}
            return self.rewrite(item) if self.rewrite else item

        if doc.get("kind") == "storage#object":
            return rewrite(doc)
        if doc.get("kind") == "storage#objects":
            items = [rewrite(item) for item in doc.get("items", [])]
            page = parse_qs(urlsplit(path).query).get("maxResults")
            if page and len(items) > int(page[0]):
                items = items[:int(page[0])]
                doc = {**doc, "nextPageToken": "more"}
            return {**doc, "items": items}
        return doc


def _error(req: BaseHTTPRequestHandler, code: int, status: str, message: str) -> None:
    body = json.dumps({"error": {"code": code, "message": message, "status": status}}).encode()
    req.rfile.read(int(req.headers.get("Content-Length") or 0))
    req.send_response(code)
    req.send_header("Content-Type", "application/json")
    req.send_header("Content-Length", str(len(body)))
    req.end_headers()
    req.wfile.write(body)


def proxy_in_front(upstream: str) -> Iterator[GcsProxy]:
    """Generator for a fixture: a proxy in front of `upstream`, closed afterwards."""
    proxy = GcsProxy(upstream)
    try:
        yield proxy
    finally:
        proxy.close()
