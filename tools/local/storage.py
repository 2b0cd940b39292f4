"""LocalStorage: a folder per bucket under `$TUNING_AGENT_HOME/buckets/`, addressed as `local://BUCKET/KEY`.

It behaves like the GCS backend where the agent can tell: uploads report progress,
carry an MD5 checksum, and skip when the same bytes are already there; writes are
atomic (temp file + rename), so a crash never leaves half an object; listing is by
key prefix, like GCS, not by folder.
"""

from __future__ import annotations

import base64
import builtins
import hashlib
import os
import shutil
import threading
from datetime import UTC, datetime
from pathlib import Path

from tools.errors import CloudError, ToolError
from tools.platforms.base import DatasetCandidate, ObjectInfo, ProgressCallback
from tools.settings import private_dir, tuning_agent_home
from tools.storage_paths import check_bucket_name, join_uri, split_uri
from tools.storage_preview import DATASET_EXTENSIONS, is_checkpoint_file, is_tuning_data

SCHEME = "local"
CHUNK = 1 << 20
_TMP_PREFIX = ".tmp-upload-"


def file_md5_base64(path: str | Path) -> str:
    """MD5 of a file, base64 encoded like GCS's `md5Hash`."""
    digest = hashlib.md5()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            digest.update(block)
    return base64.b64encode(digest.digest()).decode()


class LocalStorage:
    """Storage protocol over local folders; `root` defaults to `$TUNING_AGENT_HOME/buckets`."""

    scheme = SCHEME

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = private_dir(Path(root) if root else tuning_agent_home() / "buckets")

    # -- paths ---------------------------------------------------------------
    def local_path(self, uri: str) -> Path:
        """The file (or folder) behind `local://BUCKET/KEY`; refuses keys that escape the bucket."""
        scheme, bucket, key = split_uri(uri)
        if scheme != SCHEME:
            raise ToolError(f"{uri}: the local platform only reads local:// URIs.",
                            "Upload the file with the local platform first, or pass a local:// URI.")
        base = (self.root / check_bucket_name(bucket)).resolve()
        path = (base / key).resolve() if key else base
        if path != base and base not in path.parents:
            raise ToolError(f"{uri}: the key leaves the bucket folder.", "Use a key without `..`.")
        return path

    def uri_for(self, path: str | Path) -> str:
        """The local:// URI of a file inside a bucket folder."""
        rel = Path(path).resolve().relative_to(self.root.resolve())
        bucket, *rest = rel.parts
        return join_uri(SCHEME, bucket, "/".join(rest))

    def _info(self, path: Path, uri: str) -> ObjectInfo:
        st = path.stat()
        return ObjectInfo(uri=uri, size=st.st_size, md5_base64=file_md5_base64(path),
                          updated=datetime.fromtimestamp(st.st_mtime, UTC).isoformat())

    def _require_bucket(self, bucket: str) -> Path:
        folder = self.root / check_bucket_name(bucket)
        if not folder.is_dir():
            raise CloudError(f"Bucket local://{bucket} does not exist.",
                             f"Create it first (`create_bucket('{bucket}')`), or pick one of: "
                             f"{', '.join(self.list_buckets()) or 'none yet'}.",
                             code=404, status="NOT_FOUND")
        return folder

    # -- Storage protocol ----------------------------------------------------
    def stat(self, uri: str) -> ObjectInfo | None:
        path = self.local_path(uri)
        return self._info(path, uri) if path.is_file() else None

    def list(self, prefix_uri: str, limit: int | None = None) -> builtins.list[ObjectInfo]:
        _, bucket, prefix = split_uri(prefix_uri)
        folder = self._require_bucket(bucket)
        found = []
        for path in sorted(folder.rglob("*")):
            if not path.is_file() or path.name.startswith(_TMP_PREFIX):
                continue
            key = path.relative_to(folder).as_posix()
            if key.startswith(prefix):
                found.append(self._info(path, join_uri(SCHEME, bucket, key)))
                if limit is not None and len(found) >= limit:
                    break
        return found

    def list_buckets(self) -> builtins.list[str]:
        return sorted(p.name for p in self.root.iterdir() if p.is_dir())

    def bucket_exists(self, bucket: str) -> bool:
        """Whether the bucket folder exists (an invalid name, e.g. `..`, names no bucket)."""
        try:
            return (self.root / check_bucket_name(bucket)).is_dir()
        except ToolError:
            return False

    def create_bucket(self, bucket: str, location: str | None = None) -> None:
        """Create the bucket folder; names follow GCS rules so a local plan transfers. Idempotent."""
        private_dir(self.root / check_bucket_name(bucket))

    def upload(self, local_path: str, dest_uri: str,
               progress: ProgressCallback | None = None) -> ObjectInfo:
        """Copy a file into the bucket; if the same bytes (MD5) are there already, do nothing."""
        src = Path(local_path)
        if not src.is_file():
            raise ToolError(f"{src}: file not found.", "Check the path of the prepared dataset.")
        _, bucket, key = split_uri(dest_uri)
        if not key or key.endswith("/"):
            raise ToolError(f"{dest_uri}: give the object's full name, not a folder.",
                            f"For example {dest_uri.rstrip('/')}/{src.name}.")
        self._require_bucket(bucket)
        dest = self.local_path(dest_uri)
        total = src.stat().st_size
        src_md5 = file_md5_base64(src)
        if dest.is_file() and dest.stat().st_size == total and file_md5_base64(dest) == src_md5:
            if progress:
                progress(total, total)
            return self._info(dest, dest_uri)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f"{_TMP_PREFIX}{dest.name}.{os.getpid()}.{threading.get_ident()}")  # one per writer
        done = 0
        digest = hashlib.md5()
        try:
            with src.open("rb") as fin, tmp.open("wb") as fout:
                for block in iter(lambda: fin.read(CHUNK), b""):
                    fout.write(block)
                    digest.update(block)
                    done += len(block)
                    if progress:
                        progress(done, total)
            if base64.b64encode(digest.digest()).decode() != src_md5:
                raise CloudError(f"{src} changed while it was being uploaded (checksum mismatch).",
                                 "Upload it again once nothing is writing to it.", retryable=True)
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)
        if progress and total == 0:
            progress(0, 0)
        return self._info(dest, dest_uri)

    def download(self, uri: str, local_path: str) -> str:
        """Copy an object to `local_path` (a file, or an existing folder to put it in)."""
        src = self.local_path(uri)
        if not src.is_file():
            raise CloudError(f"{uri} does not exist.", "List the bucket to see what is there.",
                             code=404, status="NOT_FOUND")
        dest = Path(local_path)
        if dest.is_dir():
            dest = dest / src.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
        return str(dest)

    def search_datasets(self, buckets: builtins.list[str] | None = None,
                        limit: int = 20) -> builtins.list[DatasetCandidate]:
        """Files in the buckets that parse as tuning data, with a peek at their first rows."""
        found: builtins.list[DatasetCandidate] = []
        for bucket in buckets or self.list_buckets():
            folder = self._require_bucket(bucket)
            for path in sorted(folder.rglob("*")):
                fmt = DATASET_EXTENSIONS.get(path.suffix.lower())
                key = path.relative_to(folder).as_posix()  # the same key a gs:// search judges
                if fmt is None or not path.is_file() or path.name.startswith(_TMP_PREFIX) \
                        or is_checkpoint_file(key):
                    continue
                records, columns = peek_records(path, fmt)
                if not is_tuning_data(key, fmt, records, columns):
                    continue
                found.append(DatasetCandidate(uri=self.uri_for(path), size=path.stat().st_size,
                                              format=fmt, first_records=records, columns=columns))
                if len(found) >= limit:
                    return found
        return found


def peek_records(path: Path, fmt: str) -> tuple[list[dict[str, object]], list[str]]:
    """(first records, columns) of a dataset file from its head, through the shared preview
    parser; an unreadable file gives no records (it is still listed)."""
    from tools.storage_preview import HEAD_BYTES, preview_parquet, preview_text

    try:
        with path.open("rb") as handle:
            if fmt == "parquet":
                return preview_parquet(handle)
            head = handle.read(HEAD_BYTES)
        return preview_text(head, fmt, complete=path.stat().st_size <= HEAD_BYTES)
    except Exception:  # damaged files (pyarrow raises its own errors) are listed without a preview
        return [], []
