"""A loopback fake of the Service Usage and Resource Manager REST APIs, for env checks.

It answers the calls `tools.vertex.env` makes, with the real services' JSON shapes:

- CRM v3   GET  /v3/projects/{id}                      -> {"name": "projects/NUM", "projectId", "state"}
- CRM v3   POST /v3/projects/{id}:testIamPermissions   -> {"permissions": [held subset]}
- CRM v3   POST /v3/projects/{id}:getIamPolicy         -> {"version", "etag", "bindings": [...]}
- SU v1    GET  /v1/projects/{id}/services/{svc}       -> {"name", "parent", "state": ENABLED|DISABLED}
- SU v1    POST /v1/projects/{id}/services:batchEnable -> {"name": "operations/..."} (poll below)
- SU v1    GET  /v1/operations/{op}                    -> {"done": true, "response": {...}} after N polls
- GCS      any /storage/v1/... path                     -> 403 (a bucket that refuses this caller)

State is a plain dataclass the test edits (`server.state`): which APIs are on, which
permissions the caller holds, the IAM bindings, which calls answer 403 or 503, and
the bearer token it insists on. Every request is recorded in `server.requests`.
Errors use Google's `{"error": {"code", "message", "status"}}` form. Every POST body is
parsed into the real request proto (`BODY_MESSAGES`; unknown fields and enum names
refused with the service's 400), as the real JSON front end does.

Use the `fake_admin` fixture (`from tests.fake_admin import fake_admin_fixture  # noqa: F401`):
it starts one server per test and points
`TUNING_AGENT_SERVICEUSAGE_ENDPOINT`, `TUNING_AGENT_RESOURCEMANAGER_ENDPOINT`,
`TUNING_AGENT_ACCESS_TOKEN` and `GOOGLE_CLOUD_PROJECT` at it (monkeypatched).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.fake_vertex.schema import check_body
from tests.fake_vertex.state import ApiError

PROJECT = "tuning-test-project"
NUMBER = "123456789012"
TOKEN = "fake-admin-token"
USER = "user:ada@example.com"


def default_bindings(number: str = NUMBER) -> list[dict[str, Any]]:
    """A healthy project's policy: the caller, and all three service agents with their roles."""
    return [
        {"role": "roles/aiplatform.user", "members": [USER]},
        {"role": "roles/aiplatform.serviceAgent",
         "members": [f"serviceAccount:service-{number}@gcp-sa-aiplatform.iam.gserviceaccount.com"]},
        {"role": "roles/aiplatform.tuningServiceAgent",
         "members": [f"serviceAccount:service-{number}@gcp-sa-vertex-tune.iam.gserviceaccount.com"]},
        {"role": "roles/storage.objectUser",
         "members": [f"serviceAccount:service-{number}@gcp-sa-vertex-moss-ft.iam.gserviceaccount.com"]},
    ]


@dataclass
class AdminState:
    """What the fake project looks like; tests change fields to inject failures."""

    project_id: str = PROJECT
    project_number: str = NUMBER
    project_state: str = "ACTIVE"
    services: dict[str, str] = field(default_factory=lambda: {
        "aiplatform.googleapis.com": "ENABLED", "storage.googleapis.com": "ENABLED"})
    #: Permissions the caller holds; None means every permission asked about.
    permissions: set[str] | None = None
    bindings: list[dict[str, Any]] = field(default_factory=default_bindings)
    #: Call kinds that answer 403: get_project, get_service, test_permissions, get_iam_policy,
    #: batch_enable, get_operation.
    forbidden: set[str] = field(default_factory=set)
    #: Call kinds that answer 503 this many more times (then succeed).
    unavailable: dict[str, int] = field(default_factory=dict)
    #: Polls of an enable operation before it reports done (0: done in the batchEnable reply).
    operation_polls: int = 1
    operation_error: dict[str, Any] | None = None
    token: str | None = TOKEN
    operations: dict[str, dict[str, Any]] = field(default_factory=dict)


_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("GET", re.compile(r"/v3/projects/(?P<p>[^/:]+)"), "get_project"),
    ("POST", re.compile(r"/v3/projects/(?P<p>[^/:]+):testIamPermissions"), "test_permissions"),
    ("POST", re.compile(r"/v3/projects/(?P<p>[^/:]+):getIamPolicy"), "get_iam_policy"),
    ("GET", re.compile(r"/v1/projects/(?P<p>[^/:]+)/services/(?P<s>[^/:]+)"), "get_service"),
    ("POST", re.compile(r"/v1/projects/(?P<p>[^/:]+)/services:batchEnable"), "batch_enable"),
    ("GET", re.compile(r"/v1/(?P<op>operations/[^/]+)"), "get_operation"),
]

#: The request proto each POST body must parse into (module, class).
BODY_MESSAGES: dict[str, tuple[str, str]] = {
    "test_permissions": ("google.iam.v1.iam_policy_pb2", "TestIamPermissionsRequest"),
    "get_iam_policy": ("google.iam.v1.iam_policy_pb2", "GetIamPolicyRequest"),
    "batch_enable": ("google.cloud.service_usage_v1.types", "BatchEnableServicesRequest"),
}


def _body_message(kind: str) -> Any:
    import importlib

    module, name = BODY_MESSAGES[kind]
    return getattr(importlib.import_module(module), name)


class _Handler(BaseHTTPRequestHandler):
    server: FakeAdminServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _send(self, code: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, code: int, status: str, message: str) -> None:
        self._send(code, {"error": {"code": code, "message": message, "status": status}})

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else {}
        path = self.path.split("?", 1)[0]
        with self.server.lock:
            self.server.requests.append({"method": method, "path": path, "body": body,
                                         "authorization": self.headers.get("Authorization")})
            state = self.server.state
            if path.startswith(("/storage/", "/upload/storage/", "/download/storage/")):
                # Point STORAGE_EMULATOR_HOST here to see how a refusing Cloud Storage is reported.
                return self._error(403, "PERMISSION_DENIED", f"{USER.split(':', 1)[1]} does not have "
                                   "storage.objects.list access to the Google Cloud Storage bucket.")
            if state.token and self.headers.get("Authorization") != f"Bearer {state.token}":
                return self._error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
            for verb, pattern, kind in _ROUTES:  # noqa: B007 - kind is used after the loop
                match = pattern.fullmatch(path)
                if verb == method and match:
                    break
            else:
                return self._error(404, "NOT_FOUND", f"No route for {method} {path}")
            if state.unavailable.get(kind, 0) > 0:
                state.unavailable[kind] -= 1
                return self._error(503, "UNAVAILABLE", "The service is currently unavailable.")
            if kind in state.forbidden:
                return self._error(403, "PERMISSION_DENIED", "The caller does not have permission")
            if kind in BODY_MESSAGES:
                try:
                    check_body(_body_message(kind), body, kind)
                except ApiError as err:
                    self.server.refused.append(f"{method} {path}: {err.message}")
                    return self._send(err.http, err.body())
            params = match.groupdict()
            project = params.get("p")
            if project is not None and project not in {state.project_id, state.project_number}:
                return self._error(403, "PERMISSION_DENIED",
                                   f"Permission denied on resource project {project} (or it may not exist).")
            self._send(200, getattr(self, f"_{kind}")(state, params, body))

    def _get_project(self, state: AdminState, params: dict[str, str], body: Any) -> dict[str, Any]:
        return {"name": f"projects/{state.project_number}", "projectId": state.project_id,
                "state": state.project_state, "displayName": state.project_id,
                "parent": "organizations/1"}

    def _test_permissions(self, state: AdminState, params: dict[str, str], body: Any) -> dict[str, Any]:
        asked = list(body.get("permissions") or [])
        held = [p for p in asked if state.permissions is None or p in state.permissions]
        return {"permissions": held} if held else {}

    def _get_iam_policy(self, state: AdminState, params: dict[str, str], body: Any) -> dict[str, Any]:
        return {"version": 1, "etag": "BwYfakeEtag=", "bindings": state.bindings}

    def _get_service(self, state: AdminState, params: dict[str, str], body: Any) -> dict[str, Any]:
        service = params["s"]
        return {"name": f"projects/{state.project_number}/services/{service}",
                "parent": f"projects/{state.project_number}",
                "config": {"name": service, "title": service},
                "state": state.services.get(service, "DISABLED")}

    def _batch_enable(self, state: AdminState, params: dict[str, str], body: Any) -> dict[str, Any]:
        ids = list(body.get("serviceIds") or [])
        name = f"operations/acat.p2-{state.project_number}-{len(state.operations) + 1}"
        state.operations[name] = {"ids": ids, "polls": state.operation_polls}
        if state.operation_polls <= 0:  # finished at once, as Service Usage does for no-op enables
            state.operations[name]["polls"] = 1
            return self._get_operation(state, {"op": name}, None)
        return {"name": name, "done": False}

    def _get_operation(self, state: AdminState, params: dict[str, str], body: Any) -> dict[str, Any]:
        name = params["op"]
        op = state.operations.get(name)
        if op is None:
            return {"name": name, "done": True, "error": {"code": 5, "message": "operation not found"}}
        op["polls"] -= 1
        if op["polls"] > 0:
            return {"name": name, "done": False}
        if state.operation_error:
            return {"name": name, "done": True, "error": state.operation_error}
        for service in op["ids"]:
            state.services[service] = "ENABLED"
        return {"name": name, "done": True, "response": {
            "@type": "type.googleapis.com/google.api.serviceusage.v1.BatchEnableServicesResponse",
            "services": [{"name": f"projects/{state.project_number}/services/{s}", "state": "ENABLED"}
                         for s in op["ids"]]}}


class FakeAdminServer(ThreadingHTTPServer):
    """The fake on 127.0.0.1, in a daemon thread; `url` is its base URL."""

    daemon_threads = True

    def __init__(self, state: AdminState | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state or AdminState()
        self.requests: list[dict[str, Any]] = []
        #: Bodies refused by the proto check, as "METHOD PATH: message".
        self.refused: list[str] = []
        self.lock = threading.Lock()
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeAdminServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def calls(self, method: str, fragment: str) -> list[dict[str, Any]]:
        """Recorded requests with this method whose path contains `fragment`."""
        return [r for r in self.requests if r["method"] == method and fragment in r["path"]]


@pytest.fixture(name="fake_admin")
def fake_admin_fixture(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Iterator[FakeAdminServer]:
    """A running fake, with the environment pointing at it and an isolated gcloud config."""
    server = FakeAdminServer().start()
    config = tmp_path / "gcloud"
    (config / "configurations").mkdir(parents=True)
    (config / "configurations" / "config_default").write_text(
        f"[core]\naccount = {USER.split(':', 1)[1]}\nproject = {PROJECT}\n[compute]\nregion = us-central1\n")
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(config))
    for name in ("GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT", "CLOUDSDK_CORE_PROJECT", "GOOGLE_CLOUD_LOCATION",
                 "CLOUDSDK_COMPUTE_REGION", "CLOUDSDK_ACTIVE_CONFIG_NAME", "GOOGLE_APPLICATION_CREDENTIALS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TUNING_AGENT_SERVICEUSAGE_ENDPOINT", server.url)
    monkeypatch.setenv("TUNING_AGENT_RESOURCEMANAGER_ENDPOINT", server.url)
    monkeypatch.setenv("TUNING_AGENT_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", PROJECT)
    monkeypatch.setenv("TUNING_AGENT_HOME", str(tmp_path / "home"))
    try:
        yield server
    finally:
        server.stop()
