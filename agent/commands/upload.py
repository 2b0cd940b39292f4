"""`tuning-agent data upload SRC DEST`: copy a prepared file into a bucket (gs:// or local://).

The chat's upload step, as a command: the platform follows from DEST's scheme, the copy is
verified by checksum, and an object already holding the same bytes is left alone (and said so).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register_upload(data_subparsers: Any) -> None:
    """Add `upload` under `data`."""
    upload = data_subparsers.add_parser(
        "upload", help="upload a file to a bucket (gs://… or local://…), checksum-verified")
    upload.add_argument("src", metavar="SRC", help="local file to upload")
    upload.add_argument("dest", metavar="DEST",
                        help="object URI (gs://BUCKET/PATH or local://BUCKET/PATH); ending in / keeps "
                             "the file's name")
    upload.add_argument("--create-bucket", action="store_true", help="create the bucket if it is missing")
    upload.add_argument("--json", action="store_true", help="Print JSON.")
    upload.set_defaults(handler=upload_file)


def check_source(src: str) -> Path:
    """The file to upload, or a ToolError that says what is wrong with the path."""
    from tools.errors import ToolError

    path = Path(src).expanduser()
    if path.is_dir():
        raise ToolError(f"{src} is a directory, not a file.", "Give the prepared JSONL file inside it.")
    if not path.exists():
        raise ToolError(f"{src}: no such file.", "Check the path (prepare the data first with "
                        "`tuning-agent data convert`).")
    if not path.is_file():
        raise ToolError(f"{src} is not a regular file.", "Give the prepared JSONL file.")
    return path


def _platform_for(dest: str) -> Any:
    from tools.errors import ToolError
    from tools.platforms import get_platform

    if dest.startswith("gs://"):
        return get_platform("vertex")
    if dest.startswith("local://"):
        return get_platform("local")
    raise ToolError(f"{dest} is not a bucket URI.",
                    "Give gs://BUCKET/PATH (Vertex) or local://BUCKET/PATH (this machine).")


def upload_file(args: argparse.Namespace) -> int:
    from agent.commands.common import print_json
    from tools.storage_paths import split_uri

    source = check_source(args.src)
    dest = args.dest + source.name if args.dest.endswith("/") else args.dest
    platform = _platform_for(dest)
    storage = platform.storage
    _, bucket, _ = split_uri(dest)
    if args.create_bucket and not storage.bucket_exists(bucket):
        storage.create_bucket(bucket)
    before = storage.stat(dest)
    info = storage.upload(str(source), dest)
    skipped = before is not None and before.size == info.size and before.md5_base64 == info.md5_base64 \
        and before.updated == info.updated
    if args.json:
        print_json({"ok": True, "uri": dest, "size": info.size, "md5_base64": info.md5_base64,
                    "skipped_identical": skipped})
    elif skipped:
        print(f"{dest} already holds these bytes (checksum {info.md5_base64}); nothing uploaded.")
    else:
        print(f"Uploaded {source} to {dest} ({info.size:,} bytes, checksum {info.md5_base64} verified).")
    sys.stdout.flush()
    return 0
