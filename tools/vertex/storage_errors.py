"""Cloud Storage failures in words: what was refused, and what to grant to whom.

google-cloud-storage raises google.api_core exceptions (and, for transfers,
google.resumable_media / transport errors). `storage_error` turns any of them into
a `CloudError` whose hint is the exact command that fixes the usual cause.
"""

from __future__ import annotations

import re

from tools.errors import CloudError
from tools.shell import shell_command

_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
           409: "ALREADY_EXISTS", 412: "FAILED_PRECONDITION", 429: "RESOURCE_EXHAUSTED",
           500: "INTERNAL", 502: "UNAVAILABLE", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}

_CREDENTIALS_HINT = ("Run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS "
                     "to a service-account key file, or TUNING_AGENT_ACCESS_TOKEN to an access token.")


def _member() -> str:
    from tools.vertex.rest import caller_member

    try:
        return caller_member() or "user:YOUR_EMAIL"
    except Exception:  # the hint must never fail because identity lookup did
        return "user:YOUR_EMAIL"


def storage_error(err: BaseException, what: str, *, bucket: str | None = None,
                  project: str | None = None) -> CloudError:
    """A CloudError for a failed storage call; `what` says what was being done."""
    from google.api_core import exceptions as gexc
    from google.auth import exceptions as auth_exc

    if isinstance(err, CloudError):
        return err
    if isinstance(err, gexc.RetryError) and err.cause is not None:
        mapped = storage_error(err.cause, what, bucket=bucket, project=project)
        mapped.message = f"{mapped.message} (still failing after retries)"
        return mapped
    response = getattr(err, "response", None)
    if type(err).__name__ == "InvalidResponse" and hasattr(response, "status_code"):
        # Raw transfer errors (resumable uploads) carry the HTTP response: read it as an API error.
        err = gexc.from_http_response(response)
    if isinstance(err, auth_exc.GoogleAuthError):
        return CloudError(f"Cloud Storage refused the credentials while {what}: {err}",
                          _CREDENTIALS_HINT, code=401, status="UNAUTHENTICATED")
    if isinstance(err, gexc.GoogleAPICallError):
        code = int(err.code) if err.code is not None else None
        # api_core prefixes "METHOD URL: "; the URL says nothing the user needs.
        message = re.sub(r"^[A-Z]+ \S+: ", "", getattr(err, "message", None) or str(err))
        status = _STATUS.get(code or 0)
        text = f"Cloud Storage error (HTTP {code} {status or ''}) while {what}: {message}".replace(" )", ")")
        hint: str | None
        if code == 401:
            hint = _CREDENTIALS_HINT
        elif code == 403:
            member = _member()
            if bucket:
                grant = shell_command("gcloud", "storage", "buckets", "add-iam-policy-binding", f"gs://{bucket}",
                                      f"--member={member}", "--role=roles/storage.objectAdmin")
                hint = (f"Grant {member} object access on the bucket: `{grant}` (listing buckets needs "
                        "roles/storage.admin "
                        f"on the project). If gs://{bucket} is not your bucket at all, choose another "
                        f"name: bucket names are global.")
            else:
                grant = shell_command("gcloud", "projects", "add-iam-policy-binding", project or "PROJECT_ID",
                                      f"--member={member}", "--role=roles/storage.admin")
                hint = f"Grant {member} a storage role on the project: `{grant}`."
        elif code == 404:
            hint = (f"Bucket gs://{bucket} or the object was not found: check the name "
                    f"(`{shell_command('gcloud', 'storage', 'ls', f'gs://{bucket}')}`)." if bucket
                    else "Check the name and the project.")
            text = f"Not found (HTTP 404) while {what}: {message}"
        elif code == 409:
            hint = ("Bucket names are global across all of Google Cloud: pick another name, "
                    "or use the existing bucket if it is yours.")
        elif code == 429 or (code or 0) >= 500:
            hint = "A temporary service problem: wait a moment and try again."
        else:
            hint = None
        return CloudError(text, hint, code=code, status=status,
                          retryable=code == 429 or (code or 0) >= 500)
    name = type(err).__name__
    if name in {"DataCorruption", "InvalidResponse"}:
        return CloudError(f"Transfer failed while {what}: {err}",
                          "The data did not arrive intact. Try again.", status="DATA_LOSS", retryable=True)
    import requests

    if isinstance(err, requests.exceptions.RequestException):
        return CloudError(f"Could not reach Cloud Storage while {what}: {err}",
                          "Check the network connection (and STORAGE_EMULATOR_HOST if you set it), "
                          "then try again.", status="UNAVAILABLE", retryable=True)
    if isinstance(err, OSError):
        return CloudError(f"Local file problem while {what}: {err}",
                          "Check that the path exists and that you may read/write it.")
    if isinstance(err, ValueError):
        return CloudError(f"Cloud Storage call failed while {what}: {err}",
                          "Set the project: `gcloud config set project PROJECT_ID` or GOOGLE_CLOUD_PROJECT."
                          if "project" in str(err).lower() else None)
    return CloudError(f"Cloud Storage call failed while {what}: {name}: {err}")
