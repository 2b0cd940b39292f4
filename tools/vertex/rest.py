"""The admin APIs the environment checks use, through Google's official clients.

Cloud Resource Manager (`google-cloud-resource-manager`: project number, the caller's
permissions, the IAM policy) and Service Usage (`google-cloud-service-usage`: are the
APIs on? enable them) are called with their generated clients on the REST transport,
so retries, long-running-operation polling and typed errors come from google-api-core
rather than from code of ours. This module builds those clients, says which calls are
retried, and turns every google-api-core error into a `CloudError` with plain advice.

Endpoints can be overridden for tests and private endpoints (scheme included; a plain
host means https):

- `TUNING_AGENT_SERVICEUSAGE_ENDPOINT` (default https://serviceusage.googleapis.com)
- `TUNING_AGENT_RESOURCEMANAGER_ENDPOINT` (default https://cloudresourcemanager.googleapis.com)

Reads (get project, get service, test permissions, get IAM policy, operation polls) are
retried on 429 and 5xx; `batchEnable` is sent once.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

from tools.errors import CloudError

SERVICEUSAGE_ENV = "TUNING_AGENT_SERVICEUSAGE_ENDPOINT"
RESOURCEMANAGER_ENV = "TUNING_AGENT_RESOURCEMANAGER_ENDPOINT"

CREDENTIALS_HINT = ("Run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS "
                    "to a service-account key file, or TUNING_AGENT_ACCESS_TOKEN to an access token.")

#: How a read is retried: first wait, longest wait, and the whole budget, in seconds.
READ_RETRY_INITIAL_S = 0.5
READ_RETRY_MAX_S = 8.0
READ_RETRY_TIMEOUT_S = 30.0
#: How long one HTTP call may take.
CALL_TIMEOUT_S = 30.0

T = TypeVar("T")


def serviceusage_base() -> str:
    """Base URL of the Service Usage API."""
    return (os.environ.get(SERVICEUSAGE_ENV) or "https://serviceusage.googleapis.com").rstrip("/")


def resourcemanager_base() -> str:
    """Base URL of the Cloud Resource Manager API."""
    return (os.environ.get(RESOURCEMANAGER_ENV) or "https://cloudresourcemanager.googleapis.com").rstrip("/")


def _options(endpoint: str) -> Any:
    from google.api_core.client_options import ClientOptions

    return ClientOptions(api_endpoint=endpoint)


def projects_client(credentials: Any) -> Any:
    """Resource Manager v3 `ProjectsClient` on REST, at the configured endpoint."""
    from google.cloud import resourcemanager_v3

    return resourcemanager_v3.ProjectsClient(credentials=credentials, transport="rest",
                                             client_options=_options(resourcemanager_base()))


def service_usage_client(credentials: Any) -> Any:
    """Service Usage v1 `ServiceUsageClient` on REST, at the configured endpoint."""
    from google.cloud import service_usage_v1

    return service_usage_v1.ServiceUsageClient(credentials=credentials, transport="rest",
                                               client_options=_options(serviceusage_base()))


def read_retry() -> Any:
    """google-api-core's Retry for reads: 429 and 5xx, exponential backoff, bounded."""
    from google.api_core import exceptions, retry

    return retry.Retry(
        predicate=retry.if_exception_type(exceptions.TooManyRequests, exceptions.InternalServerError,
                                          exceptions.BadGateway, exceptions.ServiceUnavailable,
                                          exceptions.GatewayTimeout),
        initial=READ_RETRY_INITIAL_S, maximum=READ_RETRY_MAX_S, multiplier=2.0,
        timeout=READ_RETRY_TIMEOUT_S)


def caller_member(credentials: Any = None) -> str | None:
    """The IAM member for whoever calls (`user:…` or `serviceAccount:…`), if it can be known offline.

    A service account's email is on its credentials; a user's comes from the active
    gcloud configuration (`[core] account`). Without either, None.
    """
    email = getattr(credentials, "service_account_email", None)
    if isinstance(email, str) and "@" in email:
        return f"serviceAccount:{email}"
    from tools.vertex.auth import gcloud_properties

    account = gcloud_properties()[0].get("core", {}).get("account")
    if not account:
        return None
    kind = "serviceAccount" if account.endswith(".gserviceaccount.com") else "user"
    return f"{kind}:{account}"


def _advice(code: int, reason: str | None, service: str | None) -> str:
    if code == 401:
        return CREDENTIALS_HINT
    if reason == "SERVICE_DISABLED" and service:
        return f"Enable the API: `gcloud services enable {service}` (with --project PROJECT_ID)."
    if code == 403:
        return ("The account lacks a permission for this call; ask a project owner to grant "
                "the role named above.")
    if code == 404:
        return "Check the project id (or name) — it does not exist or you cannot see it."
    if code == 429:
        return "Too many requests or quota exhausted: wait a minute and try again."
    if code >= 500:
        return "A temporary service problem: wait a moment and try again."
    return "Check the request values named above."


def api_error(err: Any, what: str) -> CloudError:
    """A CloudError from a google-api-core `GoogleAPICallError` (HTTP code, status name, advice)."""
    code = int(err.code or 0)
    status = err.grpc_status_code.name if err.grpc_status_code is not None else ""
    message = str(err.message or err)
    metadata = err.metadata or {}
    text = f"{what} failed: HTTP {code}{' ' + status if status else ''}: {message}"
    return CloudError(text, _advice(code, err.reason, metadata.get("service")), code=code or None,
                      status=status or None, retryable=code == 429 or code >= 500)


def admin_call(call: Callable[[], T], what: str, endpoint: str) -> T:
    """Run one client call; every failure becomes a CloudError that says what to do."""
    import requests
    from google.api_core import exceptions
    from google.auth import exceptions as auth_exc

    try:
        return call()
    except exceptions.GoogleAPICallError as err:
        raise api_error(err, what) from err
    except exceptions.RetryError as err:
        cause = err.cause
        if isinstance(cause, exceptions.GoogleAPICallError):
            raise api_error(cause, what) from err
        raise CloudError(f"{what} failed: gave up retrying: {err}",
                         "A temporary service problem: wait a moment and try again.",
                         status="UNAVAILABLE", retryable=True) from err
    except auth_exc.GoogleAuthError as err:
        raise CloudError(f"{what} failed: the credentials were refused: {err}", CREDENTIALS_HINT,
                         code=401, status="UNAUTHENTICATED") from err
    except requests.exceptions.RequestException as err:
        host = endpoint.split("://", 1)[-1].split("/", 1)[0]
        raise CloudError(f"{what} failed: could not reach {host}: {err}",
                         "Check the network connection (or the endpoint override) and try again.",
                         status="UNAVAILABLE", retryable=True) from err


class AdminClients:
    """The two admin clients, built on first use with one set of credentials.

    Each method makes one call and returns plain values, so the checks in
    `tools.vertex.env` read like the questions they ask.
    """

    def __init__(self, credentials: Any = None) -> None:
        self._credentials = credentials
        self._projects: Any = None
        self._usage: Any = None

    @property
    def credentials(self) -> Any:
        if self._credentials is None:
            from tools.vertex.auth import get_credentials

            self._credentials = get_credentials()
        return self._credentials

    @property
    def projects(self) -> Any:
        if self._projects is None:
            self._projects = projects_client(self.credentials)
        return self._projects

    @property
    def usage(self) -> Any:
        if self._usage is None:
            self._usage = service_usage_client(self.credentials)
        return self._usage

    def get_project(self, project: str) -> tuple[str, str]:
        """(name, state) of a project: name is `projects/NUMBER`, state e.g. `ACTIVE`."""
        found = admin_call(lambda: self.projects.get_project(
            name=f"projects/{project}", retry=read_retry(), timeout=CALL_TIMEOUT_S),
            f"Reading project {project}", resourcemanager_base())
        return str(found.name), found.state.name

    def service_state(self, project: str, service: str) -> str:
        """`ENABLED`, `DISABLED` or `STATE_UNSPECIFIED` for one API on a project."""
        found = admin_call(lambda: self.usage.get_service(
            request={"name": f"projects/{project}/services/{service}"}, retry=read_retry(),
            timeout=CALL_TIMEOUT_S),
            f"Checking {service}", serviceusage_base())
        return str(found.state.name)

    def held_permissions(self, project: str, permissions: list[str]) -> set[str]:
        """Which of `permissions` the caller holds on the project."""
        reply = admin_call(lambda: self.projects.test_iam_permissions(
            request={"resource": f"projects/{project}", "permissions": permissions},
            retry=read_retry(), timeout=CALL_TIMEOUT_S),
            "Testing the caller's permissions", resourcemanager_base())
        return set(reply.permissions)

    def iam_bindings(self, project: str) -> list[dict[str, Any]]:
        """The project's IAM bindings as `{"role", "members"}` dicts (policy version 3)."""
        policy = admin_call(lambda: self.projects.get_iam_policy(
            request={"resource": f"projects/{project}", "options": {"requested_policy_version": 3}},
            retry=read_retry(), timeout=CALL_TIMEOUT_S),
            "Reading the project IAM policy", resourcemanager_base())
        return [{"role": b.role, "members": list(b.members)} for b in policy.bindings]

    def start_enable(self, project: str, services: list[str]) -> Any:
        """Ask Service Usage to enable APIs (sent once); the google-api-core Operation to wait on."""
        return admin_call(lambda: self.usage.batch_enable_services(
            request={"parent": f"projects/{project}", "service_ids": services},
            retry=None, timeout=CALL_TIMEOUT_S),
            f"Enabling {', '.join(services)} on {project}", serviceusage_base())


def wait_for(operation: Any, *, poll_s: float, timeout_s: float) -> Any:
    """The operation's response, polling every `poll_s` for at most `timeout_s`.

    Raises `concurrent.futures.TimeoutError` while it still runs, and the operation's own
    error as a google-api-core `GoogleAPICallError`.
    """
    from google.api_core.future.polling import DEFAULT_POLLING

    polling = DEFAULT_POLLING.with_delay(initial=poll_s, maximum=poll_s, multiplier=1.0) \
        .with_timeout(timeout_s)
    return operation.result(timeout=timeout_s, polling=polling)
