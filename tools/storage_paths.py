"""Bucket URIs shared by every storage backend: split them, and name a job's folder.

Both platforms address objects as `SCHEME://BUCKET/KEY` (`gs://` on Google Cloud,
`local://` on this machine). Keeping the parsing and the timestamped job-prefix rule
in one neutral module means both backends agree on what a URI means and where a
run's files go. A user-named bucket is used exactly as named; only a leading
`SCHEME://` is stripped.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from tools.errors import ToolError

_URI = re.compile(r"^(?P<scheme>[a-z][a-z0-9+.-]*)://(?P<bucket>[^/]*)(?:/(?P<key>.*))?$")
#: Cloud Storage bucket naming rules (3-63 characters; dotted names up to 222): lowercase
#: letters, digits, `-`, `_`, `.`, starting and ending with a letter or digit.
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$")
#: Schemes whose bucket part is a real bucket (other schemes, e.g. hf://, name something else).
BUCKET_SCHEMES = ("gs", "local")

#: Folder name prefix for every run's files inside a bucket.
JOB_PREFIX_STEM = "tuning_agent_job_"


def split_uri(uri: str) -> tuple[str, str, str]:
    """`gs://b/a/c.jsonl` -> ("gs", "b", "a/c.jsonl"); the key may be "" (a bucket URI).

    Raises ToolError for anything that is not `SCHEME://BUCKET[/KEY]`.
    """
    match = _URI.match(uri.strip())
    if not match or not match.group("bucket"):
        raise ToolError(
            f"Not a storage URI: {uri!r}",
            "Write it as SCHEME://BUCKET/PATH, e.g. gs://my-bucket/data/train.jsonl.",
        )
    scheme, bucket = match.group("scheme"), match.group("bucket")
    if scheme in BUCKET_SCHEMES and (".." in bucket or bucket.startswith(".")):
        check_bucket_name(bucket)  # never a folder walk (`local://../x`); full rules where buckets are made
    return scheme, bucket, match.group("key") or ""


def check_bucket_name(bucket: str) -> str:
    """`bucket` if it follows Cloud Storage's naming rules, else a ToolError (so `..` never names a folder)."""
    parts = bucket.split(".")
    if not _BUCKET_RE.match(bucket) or ".." in bucket or (len(parts) == 1 and len(bucket) > 63) \
            or any(len(p) > 63 for p in parts):
        raise ToolError(f"{bucket!r} is not valid as a bucket name.",
                        "Use 3-63 lowercase letters, digits, '-', '_' or '.', starting and ending with a "
                        "letter or digit (no '..').")
    return bucket


def bucket_name(name: str, scheme: str = "gs") -> str:
    """The bucket as the user named it: strip a leading `SCHEME://` and trailing `/`, nothing else."""
    text = name.strip()
    prefix = f"{scheme}://"
    if text.startswith(prefix):
        text = text[len(prefix):]
    text = text.rstrip("/")
    if not text or "/" in text:
        raise ToolError(
            f"Not a bucket name: {name!r}",
            f"Give just the bucket, e.g. my-bucket or {scheme}://my-bucket.",
        )
    return text


_JOB_FOLDER = re.compile(rf"^{JOB_PREFIX_STEM}\d{{8}}_\d{{6}}(?:_[A-Za-z0-9-]{{1,64}})?/?$")


def check_job_destination(destination: str, bucket: str) -> str:
    """The run folder `destination` names, placed in `bucket`; a ToolError unless `job_prefix` could have made it.

    An upload card's destination may be edited; only the bucket is the user's choice, the
    folder inside it follows the server's naming rule (so an edit cannot aim the upload at
    `local://../elsewhere/` or into another run's folder name pattern with `..`).
    """
    scheme, _, key = split_uri(destination)
    if scheme not in BUCKET_SCHEMES or not _JOB_FOLDER.match(key):
        raise ToolError(f"{destination!r} is not a run folder.",
                        f"Keep the proposed destination ({scheme}://BUCKET/{JOB_PREFIX_STEM}<time>/); "
                        "change only the bucket.")
    return join_uri(scheme, check_bucket_name(bucket_name(bucket, scheme)), key)


def join_uri(scheme: str, bucket: str, key: str = "") -> str:
    """`SCHEME://BUCKET/KEY` (no double slashes)."""
    return f"{scheme}://{bucket}/{key.lstrip('/')}"


def job_prefix(scheme: str, bucket: str, now: datetime | None = None, run_id: str | None = None) -> str:
    """The folder for one run: `SCHEME://BUCKET/tuning_agent_job_<YYYYmmdd_HHMMSS>[_<run_id>]/`.

    `now` defaults to the current UTC time; an aware datetime is converted to UTC, a
    naive one is used as given (tests pass fixed times). `run_id` keeps two conversations
    that upload in the same second (many users on one server) out of each other's folder.
    """
    when = now or datetime.now(UTC)
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    suffix = f"_{run_id}" if run_id else ""
    return f"{scheme}://{bucket_name(bucket, scheme)}/{JOB_PREFIX_STEM}{when:%Y%m%d_%H%M%S}{suffix}/"
