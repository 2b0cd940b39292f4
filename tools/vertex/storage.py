"""Google Cloud Storage for the `vertex` platform, through google-cloud-storage.

`GcsStorage` implements the `Storage` protocol of `tools.platforms.base` with the
`gs` scheme. It is what the upload step, the bucket search and the platform's
output checks call. Why it looks the way it does:

- uploads are resumable and chunked, so the caller can show progress and a large
  file survives a dropped connection; after the upload the object's MD5 and CRC32C
  (as the server reports them) are compared with the local file's, and a mismatch
  is an error, never a silent success;
- uploads are idempotent by content: an existing destination with the same MD5 is
  returned as is, so a resumed session never uploads twice;
- a bucket the user names is used exactly as named (a leading `gs://` is stripped);
  a new bucket is made only by the explicit `create_bucket`; a name Cloud Storage
  would refuse (`check_bucket_name`) is refused here with the rule it breaks, before
  any call, so the user learns the rules instead of reading a raw 400;
- the dataset search reads only the first 64 KiB of each candidate (a ranged read;
  Parquet reads its footer and first row group through a seekable reader);
- every google.api_core error becomes a `CloudError` that says what was refused and
  what to grant to whom.

`STORAGE_EMULATOR_HOST` points the client at an emulator; the client then uses
anonymous credentials (google-cloud-storage's own rule) unless some are given.
"""

from __future__ import annotations

import base64
import builtins
import hashlib
import ipaddress
import itertools
import mimetypes
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tools.errors import CloudError, ToolError
from tools.platforms.base import DatasetCandidate, ObjectInfo, ProgressCallback, Storage
from tools.storage_paths import bucket_name, job_prefix, join_uri, split_uri
from tools.storage_preview import (
    DATASET_EXTENSIONS,
    HEAD_BYTES,
    is_checkpoint_file,
    is_tuning_data,
    preview_parquet,
    preview_text,
)
from tools.vertex.storage_errors import storage_error

MiB = 1024 * 1024
#: Resumable-upload chunk size; must be a multiple of 256 KiB.
DEFAULT_CHUNK_SIZE = 8 * MiB
#: Objects listed per bucket by the dataset search before it stops looking there.
SEARCH_SCAN_LIMIT = 5000

#: What Cloud Storage allows in a bucket name, said once for every refusal.
BUCKET_RULES = ("Bucket names use 3-63 lowercase letters, digits, '-', '_' and '.', start and end with a "
                "letter or digit, are not IP addresses, do not start with 'goog' and do not contain "
                "'google' (dotted names may be up to 222 characters, 63 per part). E.g. my-project-tuning.")
_BUCKET_CHARS = re.compile(r"^[a-z0-9][a-z0-9._-]*[a-z0-9]$")
_GOOGLE_LOOKALIKE = re.compile(r"g[o0][o0]g[l1]e")


def check_bucket_name(name: str) -> str:
    """`name` if Cloud Storage accepts it as a bucket name; else a ToolError naming the broken rule."""
    problem = None
    parts = name.split(".")
    if not 3 <= len(name) <= (222 if "." in name else 63):
        problem = f"it has {len(name)} characters"
    elif not _BUCKET_CHARS.match(name):
        problem = ("it has an uppercase letter or a character other than a-z, 0-9, '-', '_' and '.'"
                   if re.search(r"[^a-z0-9._-]", name) else "it does not start and end with a letter or digit")
    elif any(not 1 <= len(part) <= 63 for part in parts):
        problem = "a dot-separated part is empty or longer than 63 characters"
    elif name.startswith("goog"):
        problem = "it starts with 'goog'"
    elif _GOOGLE_LOOKALIKE.search(name):
        problem = "it contains 'google' or a look-alike"
    else:
        try:
            ipaddress.IPv4Address(name)
            problem = "it is an IP address"
        except ValueError:
            pass
    if problem:
        raise ToolError(f"{name!r} is not a valid Cloud Storage bucket name: {problem}.", BUCKET_RULES)
    return name


def new_job_prefix(bucket: str, now: Any = None) -> str:
    """`gs://BUCKET/tuning_agent_job_<YYYYmmdd_HHMMSS>/` for one run's files."""
    return job_prefix("gs", bucket, now)


def local_checksums(path: str | Path) -> tuple[str, str, int]:
    """(MD5, CRC32C, size) of a local file; hashes base64-encoded as GCS reports them."""
    import google_crc32c

    md5 = hashlib.md5()
    crc = google_crc32c.Checksum()
    size = 0
    with open(path, "rb") as handle:
        while block := handle.read(MiB):
            md5.update(block)
            crc.update(block)
            size += len(block)
    return (base64.b64encode(md5.digest()).decode("ascii"),
            base64.b64encode(crc.digest()).decode("ascii"), size)


class GcsStorage:
    """Object storage on Google Cloud Storage (`gs://BUCKET/KEY`)."""

    scheme = "gs"

    def __init__(self, project: str | None, credentials: Any = None, *,
                 chunk_size: int = DEFAULT_CHUNK_SIZE, retry_timeout_s: float = 60.0) -> None:
        if chunk_size <= 0 or chunk_size % (256 * 1024):
            raise ValueError("chunk_size must be a positive multiple of 256 KiB")
        self.project = project
        self._credentials = credentials
        self.chunk_size = chunk_size
        #: How long one call keeps retrying transient failures (the SDK default is 120 s).
        self.retry_timeout_s = retry_timeout_s
        self._client: Any = None

    @property
    def _retry(self) -> Any:
        from google.cloud.storage.retry import DEFAULT_RETRY

        return DEFAULT_RETRY.with_timeout(self.retry_timeout_s)

    # -- plumbing -----------------------------------------------------------

    @property
    def client(self) -> Any:
        """The google-cloud-storage client, built on first use."""
        if self._client is None:
            from google.cloud.storage import Client

            from tools.vertex import auth

            project = self.project or auth.detect_project().value
            credentials = self._credentials
            if credentials is None and not os.environ.get("STORAGE_EMULATOR_HOST"):
                credentials = auth.get_credentials()
            self._client = Client(project=project, credentials=credentials)
        return self._client

    @contextmanager
    def _errors(self, what: str, bucket: str | None = None) -> Iterator[None]:
        try:
            yield
        except ToolError:
            raise
        except Exception as err:  # every SDK/transport failure is turned into words
            raise storage_error(err, what, bucket=bucket, project=self.project) from err

    def _parse(self, uri: str) -> tuple[str, str]:
        scheme, bucket, key = split_uri(uri)
        if scheme != self.scheme:
            raise ToolError(f"Not a Cloud Storage URI: {uri!r}",
                            "Cloud Storage paths start with gs://, e.g. gs://my-bucket/data/train.jsonl.")
        return bucket, key

    def _info(self, blob: Any) -> ObjectInfo:
        return ObjectInfo(
            uri=join_uri(self.scheme, blob.bucket.name, blob.name),
            size=int(blob.size or 0),
            md5_base64=blob.md5_hash,
            crc32c_base64=blob.crc32c,
            updated=blob.updated.isoformat() if blob.updated else None,
        )

    # -- reading --------------------------------------------------------------

    def stat(self, uri: str) -> ObjectInfo | None:
        """The object's size and checksums, or None when it does not exist."""
        bucket, key = self._parse(uri)
        if not key:
            raise ToolError(f"{uri} names a bucket, not an object.", "Add the object path after the bucket.")
        with self._errors(f"reading {uri}", bucket):
            blob = self.client.bucket(bucket).get_blob(key, retry=self._retry)
        return self._info(blob) if blob is not None else None

    def list(self, prefix_uri: str, limit: int | None = None) -> builtins.list[ObjectInfo]:
        """The objects under a prefix (`gs://B/` lists the whole bucket), the first `limit` of them if given."""
        bucket, prefix = self._parse(prefix_uri)
        with self._errors(f"listing {prefix_uri}", bucket):
            blobs = self.client.list_blobs(bucket, prefix=prefix or None, max_results=limit, retry=self._retry)
            # (also cut here: the service pages by maxResults, the emulator ignores it)
            return [self._info(b) for b in itertools.islice(blobs, limit)]

    def list_buckets(self) -> builtins.list[str]:
        """Names of the buckets in the project."""
        with self._errors(f"listing the buckets of project {self.project or '(default)'}"):
            return [b.name for b in self.client.list_buckets(retry=self._retry)]

    def bucket_exists(self, bucket: str) -> bool:
        """Whether the bucket exists (and this account may see it)."""
        name = check_bucket_name(bucket_name(bucket))
        with self._errors(f"looking up bucket gs://{name}", name):
            return self.client.lookup_bucket(name, retry=self._retry) is not None

    def download(self, uri: str, local_path: str) -> str:
        """Copy an object to a local file (checksum-verified by the client); return the path."""
        bucket, key = self._parse(uri)
        target = Path(local_path)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
        os.close(fd)
        try:
            with self._errors(f"downloading {uri}", bucket):
                self.client.bucket(bucket).blob(key).download_to_filename(tmp, retry=self._retry)
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return str(target)

    def read_head(self, uri: str, size: int = HEAD_BYTES) -> bytes:
        """The first `size` bytes of an object (one ranged read)."""
        bucket, key = self._parse(uri)
        with self._errors(f"reading {uri}", bucket):
            blob = self.client.bucket(bucket).blob(key)
            return bytes(blob.download_as_bytes(start=0, end=size - 1, retry=self._retry))

    # -- writing --------------------------------------------------------------

    def create_bucket(self, bucket: str, location: str | None = None) -> None:
        """Create a bucket with uniform bucket-level access (mutating; call after approval).

        The name is used exactly as given, and refused before any call when Cloud Storage
        would refuse it. `location` is a region such as `us-central1` (best next to the
        tuning region); None lets the service choose.
        """
        name = check_bucket_name(bucket_name(bucket))
        with self._errors(f"creating bucket gs://{name}", name):
            new = self.client.bucket(name)
            new.iam_configuration.uniform_bucket_level_access_enabled = True
            self.client.create_bucket(new, location=location)  # not retried: a create is not idempotent

    def upload(self, local_path: str, dest_uri: str,
               progress: ProgressCallback | None = None) -> ObjectInfo:
        """Upload a file in chunks, verify its checksums, and skip it if already there.

        `progress(bytes_done, bytes_total)` is called after each chunk is sent.
        Returns the object as the server describes it.
        """
        bucket, key = self._parse(dest_uri)
        if not key or key.endswith("/"):
            raise ToolError(f"Upload destination {dest_uri} is not an object path.",
                            "Give the full object path, e.g. gs://bucket/folder/train.jsonl.")
        source = Path(local_path)
        if not source.is_file():
            raise ToolError(f"File to upload not found: {local_path}", "Check the path and try again.")
        md5, crc, size = local_checksums(source)

        existing = self.stat(dest_uri)
        if existing is not None and existing.size == size and (
            existing.md5_base64 == md5 if existing.md5_base64 else existing.crc32c_base64 == crc
        ):
            if progress:
                progress(size, size)
            return existing

        content_type = ("application/jsonl" if source.suffix.lower() == ".jsonl"
                        else mimetypes.guess_type(source.name)[0] or "application/octet-stream")
        with self._errors(f"uploading {local_path} to {dest_uri}", bucket):
            blob = self.client.bucket(bucket).blob(key)
            if progress:
                progress(0, size)
            done = 0
            with open(source, "rb") as handle, blob.open(
                "wb", chunk_size=self.chunk_size, content_type=content_type, retry=self._retry
            ) as writer:
                # Writing exactly one chunk at a time makes the writer send it at once,
                # so the progress reported is what the server has received.
                while block := handle.read(self.chunk_size):
                    writer.write(block)
                    done += len(block)
                    if progress and done < size:
                        progress(done, size)
            blob.reload(retry=self._retry)
        if progress:
            progress(size, size)
        info = self._info(blob)
        mismatch = [name for name, remote, local in (("MD5", info.md5_base64, md5),
                                                     ("CRC32C", info.crc32c_base64, crc))
                    if remote and remote != local]
        if mismatch or info.size != size or not (info.md5_base64 or info.crc32c_base64):
            raise CloudError(
                f"Upload of {local_path} to {dest_uri} did not verify: "
                + (f"{' and '.join(mismatch)} differ" if mismatch
                   else f"size {info.size} != {size}" if info.size != size
                   else "the server reported no checksum"),
                "The copy in the bucket is not the local file. Upload it again; if this repeats, "
                "check that nothing else writes to that path.",
                code=None, status="DATA_LOSS", retryable=True,
            )
        return info

    # -- dataset search -----------------------------------------------------

    def search_datasets(self, buckets: builtins.list[str] | None = None,
                        limit: int = 20) -> builtins.list[DatasetCandidate]:
        """Files that parse as tuning data (.jsonl/.json/.csv/.parquet), with first records.

        Searches the named buckets, or every bucket of the project. A bucket this
        account may not read is skipped, unless every bucket fails.
        """
        names = [bucket_name(b) for b in buckets] if buckets else self.list_buckets()
        found: builtins.list[DatasetCandidate] = []
        failures: builtins.list[CloudError] = []
        for name in names:
            if len(found) >= limit:
                break
            try:
                with self._errors(f"listing gs://{name}", name):
                    blobs = builtins.list(self.client.list_blobs(name, max_results=SEARCH_SCAN_LIMIT,
                                                                 retry=self._retry))
            except CloudError as err:
                failures.append(err)
                continue
            for blob in blobs:
                suffix = Path(blob.name).suffix.lower()
                fmt = DATASET_EXTENSIONS.get(suffix)
                if fmt is None or not blob.size or is_checkpoint_file(blob.name):
                    continue
                candidate = self._candidate(blob, fmt)
                if not is_tuning_data(blob.name, fmt, candidate.first_records, candidate.columns):
                    continue
                found.append(candidate)
                if len(found) >= limit:
                    break
        if failures and len(failures) == len(names):
            raise failures[0]
        return found

    def _candidate(self, blob: Any, fmt: str) -> DatasetCandidate:
        uri = join_uri(self.scheme, blob.bucket.name, blob.name)
        records: builtins.list[dict[str, object]] = []
        columns: builtins.list[str] = []
        try:
            if fmt == "parquet":
                with self._errors(f"reading {uri}", blob.bucket.name), \
                        blob.open("rb", chunk_size=HEAD_BYTES) as reader:
                    records, columns = preview_parquet(reader)
            else:
                head = blob.download_as_bytes(start=0, end=HEAD_BYTES - 1, retry=self._retry)
                records, columns = preview_text(bytes(head), fmt, complete=int(blob.size) <= HEAD_BYTES)
        except Exception:  # an unreadable candidate is still a candidate; the dataset step says why
            records, columns = [], []
        return DatasetCandidate(uri=uri, size=int(blob.size), format=fmt,
                                first_records=records, columns=columns)


def _conforms(storage: GcsStorage) -> Storage:
    """Type-level proof (for mypy) that GcsStorage implements the Storage protocol."""
    return storage
