"""A fake Vertex AI REST service on 127.0.0.1, for running the real SDKs in tests.

Speaks the REST paths that google-genai (`client.tunings`, `generate_content`) and the
google-cloud-aiplatform REST transport (Model Garden deploy, operations, endpoints,
predict) call. Every request is recorded (`fake.requests`) so tests can assert on the
exact body an SDK sent; unknown routes answer 404 and are printed loudly and kept in
`fake.unknown` so a missing route is found at once. Faults are queued per route key
(`fake.inject("tuningJobs.create", 503)`). Every body is parsed into its route's proto
from the installed SDK (`BODY_MESSAGES`, `tests.fake_vertex.schema`): an unknown field,
a wrong type or an enum name the proto lacks gets the service's 400.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fake_vertex.schema import check_body
from tests.fake_vertex.state import PROJECT_NUMBER, ApiError, FakeState

JOB_STATES = ["JOB_STATE_UNSPECIFIED", "JOB_STATE_QUEUED", "JOB_STATE_PENDING", "JOB_STATE_RUNNING",
              "JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLING",
              "JOB_STATE_CANCELLED", "JOB_STATE_PAUSED", "JOB_STATE_EXPIRED",
              "JOB_STATE_UPDATING", "JOB_STATE_PARTIALLY_SUCCEEDED"]
TUNING_MODES = {"TUNING_MODE_UNSPECIFIED": 0, "TUNING_MODE_FULL": 1, "TUNING_MODE_PEFT_ADAPTER": 2}
ADAPTER_SIZES = {"ADAPTER_SIZE_UNSPECIFIED": 0, "ADAPTER_SIZE_ONE": 1, "ADAPTER_SIZE_FOUR": 2,
                 "ADAPTER_SIZE_EIGHT": 3, "ADAPTER_SIZE_SIXTEEN": 4, "ADAPTER_SIZE_THIRTY_TWO": 5,
                 "ADAPTER_SIZE_TWO": 6}
ENUM_FIELDS: dict[str, dict[str, int]] = {
    "state": {s: i for i, s in enumerate(JOB_STATES)},
    "tuningMode": TUNING_MODES,
    "adapterSize": ADAPTER_SIZES,
}

V = r"/(?P<version>v1|v1beta1)"
P = r"projects/(?P<project>[^/]+)/locations/(?P<location>[^/:]+)"
ROUTES: list[tuple[str, str, str]] = [
    ("POST", rf"{V}/{P}/tuningJobs", "tuningJobs.create"),
    ("GET", rf"{V}/{P}/tuningJobs", "tuningJobs.list"),
    ("GET", rf"{V}/{P}/tuningJobs/(?P<id>[^/:]+)", "tuningJobs.get"),
    ("POST", rf"{V}/{P}/tuningJobs/(?P<id>[^/:]+):cancel", "tuningJobs.cancel"),
    ("GET", rf"{V}/publishers/(?P<publisher>[^/]+)/models", "publisherModels.list"),
    ("POST", rf"{V}/{P}:deploy", "deploy"),
    ("GET", rf"(?:/ui|{V})/{P}/operations/(?P<id>[^/:]+)", "operations.get"),
    ("GET", rf"{V}/{P}/endpoints", "endpoints.list"),
    ("GET", rf"{V}/{P}/endpoints/(?P<id>[^/:]+)", "endpoints.get"),
    ("POST", rf"{V}/{P}/endpoints/(?P<id>[^/:]+):predict", "endpoints.predict"),
    ("POST", rf"{V}/{P}/endpoints/(?P<id>[^/:]+):generateContent", "endpoints.generateContent"),
]

#: The proto message each route's JSON body must parse into (module, class), per API version.
#: Routes without a body (GETs) are not listed.
BODY_MESSAGES: dict[str, tuple[str, str]] = {
    "tuningJobs.create": ("types", "TuningJob"),
    "tuningJobs.cancel": ("types", "CancelTuningJobRequest"),
    "deploy": ("types", "DeployRequest"),
    "endpoints.predict": ("types", "PredictRequest"),
    "endpoints.generateContent": ("types", "GenerateContentRequest"),
}


def body_message(route: str, version: str) -> Any:
    """The proto-plus class a route's body is parsed into, from the installed aiplatform SDK."""
    import importlib

    module, name = BODY_MESSAGES[route]
    package = "google.cloud.aiplatform_v1beta1" if version == "v1beta1" else "google.cloud.aiplatform_v1"
    return getattr(importlib.import_module(f"{package}.{module}"), name)


@dataclass
class Fault:
    """An injected failure: HTTP status (or a delay only), applied before or after the real work."""

    status: int | None
    message: str = "injected fault"
    delay_s: float = 0.0
    after: bool = False  # do the work, then answer with the error (an "ambiguous" failure)
    drop: bool = False  # close the connection without an answer (a timeout: no HTTP code at all)


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    route: str | None
    headers: dict[str, str]


STATUS_NAMES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
                404: "NOT_FOUND", 409: "ALREADY_EXISTS", 429: "RESOURCE_EXHAUSTED",
                500: "INTERNAL", 503: "UNAVAILABLE"}


@dataclass
class FakeVertex:
    """The running fake: `url`, `state`, recorded `requests`, `inject()` for faults."""

    state: FakeState = field(default_factory=FakeState)
    requests: list[Recorded] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    require_token: bool = True
    #: Parse every body into the route's proto (unknown fields and enum names refused), as
    #: the real front end does. Refusals are kept in `refused` for the test to read.
    strict: bool = True
    refused: list[str] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeVertex:
        handler = _make_handler(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def inject(self, route: str, status: int | None, message: str | None = None, *,
               times: int = 1, delay_s: float = 0.0, after: bool = False, drop: bool = False) -> None:
        """Queue `times` faults for a route key such as `tuningJobs.get` or `deploy`.

        `drop=True` hangs up without any answer (before the work, or after it with `after=True`),
        which the client sees as a transport error with no HTTP code.
        """
        default = f"{STATUS_NAMES.get(status or 0, 'ERROR')}: injected fault"
        for _ in range(times):
            self.faults.setdefault(route, []).append(
                Fault(status, message or default, delay_s, after, drop))

    def calls(self, route: str) -> list[Recorded]:
        """The recorded requests that hit a route key."""
        return [r for r in self.requests if r.route == route]

    def _take_fault(self, route: str) -> Fault | None:
        queue = self.faults.get(route)
        return queue.pop(0) if queue else None


def _to_int_enums(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: (ENUM_FIELDS[k].get(v, 0) if k in ENUM_FIELDS and isinstance(v, str)
                    else _to_int_enums(v)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_to_int_enums(v) for v in obj]
    return obj


def _norm(name: str) -> str:
    """Names with a project id become names with the project number, as the service stores them."""
    return re.sub(r"^projects/[^/]+/", f"projects/{PROJECT_NUMBER}/", name)


def _make_handler(fake: FakeVertex) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_DELETE(self) -> None:
            self._handle("DELETE")

        def _handle(self, method: str) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except json.JSONDecodeError:
                body = raw.decode("utf-8", "replace")
            route, params = None, {}
            for verb, pattern, key in ROUTES:
                match = re.fullmatch(pattern, parts.path)
                if verb == method and match:
                    route, params = key, match.groupdict()
                    break
            fake.requests.append(Recorded(method, parts.path, query, body, route,
                                          {k.lower(): v for k, v in self.headers.items()}))
            int_enums = any("enum-encoding=int" in v for v in query.get("$alt", []))
            if route is None:
                line = f"{method} {self.path}"
                fake.unknown.append(line)
                print(f"\n*** FAKE VERTEX: UNKNOWN ROUTE {line}\n", file=sys.stderr)
                self._send(404, ApiError(404, "NOT_FOUND", f"fake: no route {line}").body())
                return
            if fake.require_token and not self.headers.get("Authorization", "").startswith("Bearer "):
                self._send(401, ApiError(401, "UNAUTHENTICATED",
                                         "Request is missing required authentication credential.").body())
                return
            if route in BODY_MESSAGES and fake.strict:
                try:
                    check_body(body_message(route, params.get("version") or "v1beta1"), body, route)
                except ApiError as err:
                    fake.refused.append(f"{method} {parts.path}: {err.message}")
                    self._send(err.http, err.body())
                    return
            fault = fake._take_fault(route)
            if fault and fault.delay_s:
                time.sleep(fault.delay_s)
            if fault and (fault.status or fault.drop) and not fault.after:
                self._send_fault(fault)
                return
            try:
                result = _dispatch(fake, route, params, query, body)
            except ApiError as err:
                self._send(err.http, err.body())
                return
            if fault and (fault.status or fault.drop):
                self._send_fault(fault)
                return
            self._send(200, _to_int_enums(result) if int_enums else result)

        def _send_fault(self, fault: Fault) -> None:
            if fault.drop:
                self.close_connection = True
                self.connection.shutdown(2)  # SHUT_RDWR: the client reads EOF, no status line
                return
            status = fault.status or 500
            err = ApiError(status, STATUS_NAMES.get(status, "UNKNOWN"), fault.message)
            self._send(status, err.body())

        def _send(self, status: int, payload: Any) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


Handler = Callable[[FakeVertex, dict[str, str], dict[str, list[str]], Any], Any]


def _parent(params: dict[str, str]) -> str:
    return f"projects/{PROJECT_NUMBER}/locations/{params['location']}"


def _label_filter(expr: str) -> dict[str, str]:
    return {k: v for k, v in re.findall(r'labels\.([\w-]+)\s*=\s*"?([\w.-]+)"?', expr)}


def _page(items: list[Any], query: dict[str, list[str]], key: str) -> dict[str, Any]:
    size = int((query.get("pageSize") or ["100"])[0] or 100)
    start = int((query.get("pageToken") or ["0"])[0] or 0)
    out: dict[str, Any] = {key: items[start:start + size]}
    if start + size < len(items):
        out["nextPageToken"] = str(start + size)
    return out


def _dispatch(fake: FakeVertex, route: str, params: dict[str, str],
              query: dict[str, list[str]], body: Any) -> Any:
    state = fake.state
    parent = _parent(params) if "location" in params else ""
    if route == "tuningJobs.create":
        return state.create_job(params["project"], params["location"], body or {},
                                params["version"])
    if route == "tuningJobs.get":
        return state.get_job(f"{parent}/tuningJobs/{params['id']}")
    if route == "tuningJobs.list":
        jobs = state.list_jobs(parent, _label_filter((query.get("filter") or [""])[0]))
        return _page(jobs, query, "tuningJobs")
    if route == "tuningJobs.cancel":
        state.cancel_job(f"{parent}/tuningJobs/{params['id']}")
        return {}
    if route == "publisherModels.list":
        models = [{"name": n, "versionId": v, "launchStage": "GA",
                   "openSourceCategory": "GOOGLE_OWNED_OSS_WITH_GOOGLE_CHECKPOINT"
                   if "gemini" not in n else "PROPRIETARY"}
                  for n, v in state.publisher_models
                  if params["publisher"] in ("*", "-") or n.split("/")[1] == params["publisher"]]
        return _page(models, query, "publisherModels")
    if route == "deploy":
        return state.deploy(params["project"], params["location"], body or {})
    if route == "operations.get":
        return state.get_operation(f"{parent}/operations/{params['id']}")
    if route == "endpoints.list":
        wanted = re.search(r'display_name\s*=\s*"([^"]*)"', (query.get("filter") or [""])[0])
        return _page(state.list_endpoints(parent, wanted.group(1) if wanted else None), query,
                     "endpoints")
    if route == "endpoints.get":
        return state.get_endpoint(f"{parent}/endpoints/{params['id']}")
    if route == "endpoints.predict":
        endpoint = state.get_endpoint(f"{parent}/endpoints/{params['id']}")
        instances = (body or {}).get("instances") or []
        preds = [(f"fake answer to: {i.get('prompt', '')}" if i.get("raw_response")
                  else f"Prompt:\n{i.get('prompt', '')}\nOutput:\nfake answer to: {i.get('prompt', '')}")
                 for i in instances]
        return {"predictions": preds, "deployedModelId": endpoint["deployedModels"][0]["id"],
                "model": endpoint["deployedModels"][0]["model"].split("@")[0]}
    if route == "endpoints.generateContent":
        state.get_endpoint(f"{parent}/endpoints/{params['id']}")
        texts = [p.get("text", "") for c in (body or {}).get("contents", [])
                 for p in c.get("parts", [])]
        return {"candidates": [{"content": {"role": "model", "parts": [
            {"text": f"fake answer to: {' '.join(texts)}"}]}, "finishReason": "STOP"}],
                "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 7,
                                  "totalTokenCount": 12}}
    raise ApiError(404, "NOT_FOUND", f"fake: route {route} has no handler")
