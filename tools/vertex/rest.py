"""A small authorized JSON/REST client for the admin APIs the environment checks use.

Service Usage (are the APIs on?), Cloud Resource Manager (project number, the
caller's permissions, the IAM policy) and the Cloud Storage JSON API have no
lightweight SDK we want to depend on, so they are called over plain HTTPS with an
`AuthorizedSession` and the credentials of `tools.vertex.auth.get_credentials()`.

Base URLs (no trailing slash) can be overridden for tests and private endpoints:

- `TUNING_AGENT_SERVICEUSAGE_ENDPOINT` (default https://serviceusage.googleapis.com)
- `TUNING_AGENT_RESOURCEMANAGER_ENDPOINT` (default https://cloudresourcemanager.googleapis.com)
- `STORAGE_EMULATOR_HOST` for the Cloud Storage JSON API (default https://storage.googleapis.com)

GET requests are retried on 429 and 5xx (they change nothing); other methods are
sent once. Every HTTP failure becomes a `CloudError` with the HTTP code, the
service's status string and plain advice.
"""

from __future__ import annotations

import os
import time
from typing import Any

from tools.errors import CloudError

SERVICEUSAGE_ENV = "TUNING_AGENT_SERVICEUSAGE_ENDPOINT"
RESOURCEMANAGER_ENV = "TUNING_AGENT_RESOURCEMANAGER_ENDPOINT"

CREDENTIALS_HINT = ("Run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS "
                    "to a service-account key file, or TUNING_AGENT_ACCESS_TOKEN to an access token.")


def serviceusage_base() -> str:
    """Base URL of the Service Usage API."""
    return (os.environ.get(SERVICEUSAGE_ENV) or "https://serviceusage.googleapis.com").rstrip("/")


def resourcemanager_base() -> str:
    """Base URL of the Cloud Resource Manager API."""
    return (os.environ.get(RESOURCEMANAGER_ENV) or "https://cloudresourcemanager.googleapis.com").rstrip("/")


def storage_json_base() -> str:
    """Base URL of the Cloud Storage JSON API (the emulator when STORAGE_EMULATOR_HOST is set)."""
    return (os.environ.get("STORAGE_EMULATOR_HOST") or "https://storage.googleapis.com").rstrip("/")


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


def _advice(code: int, status: str, message: str, reason: str | None, service: str | None) -> str:
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


def http_error(response: Any, what: str) -> CloudError:
    """A CloudError from a non-2xx response of a Google API."""
    code = int(response.status_code)
    status, message, reason, service = "", response.reason or "", None, None
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        status = str(error.get("status") or "")
        message = str(error.get("message") or message)
        for detail in error.get("details") or []:
            if isinstance(detail, dict) and detail.get("reason"):
                reason = str(detail["reason"])
                service = (detail.get("metadata") or {}).get("service")
    elif response.text:
        message = response.text[:300]
    text = f"{what} failed: HTTP {code}{' ' + status if status else ''}: {message}"
    return CloudError(text, _advice(code, status, message, reason, service), code=code,
                      status=status or None, retryable=code == 429 or code >= 500)


class RestClient:
    """JSON over HTTPS with Google credentials; one session, reused."""

    def __init__(self, credentials: Any = None, *, timeout: float = 30.0,
                 retries: int = 3, backoff_s: float = 0.5) -> None:
        self._credentials = credentials
        self.timeout = timeout
        self.retries = retries
        self.backoff_s = backoff_s
        self._session: Any = None

    @property
    def credentials(self) -> Any:
        if self._credentials is None:
            from tools.vertex.auth import get_credentials

            self._credentials = get_credentials()
        return self._credentials

    @property
    def session(self) -> Any:
        if self._session is None:
            from google.auth.transport.requests import AuthorizedSession

            self._session = AuthorizedSession(self.credentials)
        return self._session

    def get(self, url: str, params: dict[str, Any] | None = None, *, what: str = "") -> dict[str, Any]:
        """GET a JSON document (retried on 429/5xx)."""
        return self._request("GET", url, params=params, what=what or f"GET {url}")

    def post(self, url: str, body: dict[str, Any] | None = None, *, what: str = "") -> dict[str, Any]:
        """POST a JSON body once and return the JSON reply."""
        return self._request("POST", url, json=body or {}, what=what or f"POST {url}")

    def _request(self, method: str, url: str, *, what: str, **kwargs: Any) -> dict[str, Any]:
        import requests
        from google.auth import exceptions as auth_exc

        attempts = self.retries if method == "GET" else 1
        for attempt in range(1, attempts + 1):
            try:
                response = self.session.request(method, url, timeout=self.timeout, **kwargs)
            except auth_exc.GoogleAuthError as err:
                raise CloudError(f"{what} failed: the credentials were refused: {err}", CREDENTIALS_HINT,
                                 code=401, status="UNAUTHENTICATED") from err
            except requests.exceptions.RequestException as err:
                host = url.split("/")[2] if "://" in url else url
                raise CloudError(f"{what} failed: could not reach {host}: {err}",
                                 "Check the network connection (or the endpoint override) and try again.",
                                 status="UNAVAILABLE", retryable=True) from err
            code = response.status_code
            if code < 400:
                if not response.content:
                    return {}
                try:
                    data = response.json()
                except ValueError as err:
                    raise CloudError(f"{what} returned something that is not JSON (HTTP {code}).",
                                     "Check the endpoint override, if any.") from err
                return data if isinstance(data, dict) else {"value": data}
            if attempt < attempts and (code == 429 or code >= 500):
                delay = self.backoff_s * 2 ** (attempt - 1)
                retry_after = response.headers.get("Retry-After", "")
                if retry_after.isdigit():
                    delay = min(float(retry_after), 10.0)
                time.sleep(delay)
                continue
            raise http_error(response, what)
        raise AssertionError("unreachable")  # pragma: no cover
