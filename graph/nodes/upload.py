"""upload: put the prepared files in `gs://BUCKET/tuning_agent_job_<timestamp>/` (or the
local bucket folder). A user-named bucket is used verbatim; a new bucket only after
`create_bucket` is approved. Uploads skip objects already there with the same checksum,
so a resumed thread never uploads twice.
"""

from __future__ import annotations

import os
import re
from typing import Any

from pydantic import BaseModel, field_validator, model_validator

from graph import parse
from graph.approvals import ask, await_decision, propose
from graph.common import combine, facts, platform_of, progress, rec, run_id, say
from graph.deps import Deps
from graph.invalidate import invalidate
from graph.state import TuningState

NAME = "upload"

CREATE, UPLOAD = "create_bucket", "upload_dataset"
#: Bucket names as Cloud Storage accepts them (and the local bucket folder, which must stay one folder).
BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$")


class BucketArgs(BaseModel):
    bucket: str
    location: str

    @field_validator("bucket")
    @classmethod
    def _name(cls, value: str) -> str:
        value = value.strip().removeprefix("gs://").strip("/")
        if not BUCKET_RE.match(value) or ".." in value:
            raise ValueError(f"{value!r} is not a valid bucket name: 3–63 lowercase letters, digits, dots, "
                             "hyphens and underscores, starting and ending with a letter or digit")
        return value


class UploadArgs(BaseModel):
    bucket: str
    destination: str
    files: list[str]

    @field_validator("bucket")
    @classmethod
    def _bucket(cls, value: str) -> str:
        return BucketArgs._name(value)
    @model_validator(mode="after")
    def _server_made_destination(self) -> UploadArgs:  # an edit may change the bucket, not the folder rule
        from tools.errors import ToolError
        from tools.storage_paths import check_job_destination

        try:
            self.destination = check_job_destination(self.destination, self.bucket)
        except ToolError as err:
            raise ValueError(str(err)) from None
        return self


    @field_validator("destination")
    @classmethod
    def _destination(cls, value: str) -> str:
        scheme, sep, rest = value.partition("://")
        parts = rest.rstrip("/").split("/")
        if not sep or scheme not in {"gs", "local"} or any(part in {"", ".", ".."} for part in parts):
            raise ValueError(f"{value!r} is not a folder URI like gs://BUCKET/FOLDER/")
        return value


def _default_bucket(state: TuningState, deps: Deps) -> str:
    return platform_of(state, deps).default_bucket(rec(state, "project").get("project"))


def _bucket_location(state: TuningState, deps: Deps) -> str:
    return platform_of(state, deps).bucket_location(rec(state, "project").get("region"))


def _upload(state: TuningState, deps: Deps, args: dict[str, Any]) -> dict[str, Any]:
    storage = platform_of(state, deps).storage
    ds = rec(state, "dataset")
    prefix = args["destination"].rstrip("/") + "/"
    uris: dict[str, str | None] = {"train_uri": None, "validation_uri": None}
    for key, path_key, name in (("train_uri", "train_path", "train.jsonl"),
                                ("validation_uri", "validation_path", "validation.jsonl")):
        path = ds.get(path_key)
        if not path:
            continue
        def on_progress(done: int, size: int, label: str = name) -> None:
            progress("upload", file=label, done=done, total=size, unit="bytes")

        info = storage.upload(str(path), prefix + name, on_progress)
        uris[key] = info.uri
    return combine(invalidate("upload"), {"dataset": {**uris, "uploaded": True},
                   "storage": {"bucket": args["bucket"], "prefix": prefix, "output_uri": prefix + "output"}})


def _missing_files(state: TuningState) -> dict[str, Any] | None:
    """When a prepared file vanished, start the dataset over instead of uploading nothing."""
    ds = rec(state, "dataset")
    gone = [p for p in (ds.get("train_path"), ds.get("validation_path")) if p and not os.path.isfile(p)]
    if not gone:
        return None
    return combine(invalidate("dataset"), {"pending": None},
                   say(f"The prepared file {', '.join(gone)} is missing, so there is nothing to upload and no "
                       "cost to estimate. Give me the dataset again (a valid path or URI)."))


def done(state: TuningState) -> bool:
    """The prepared files are in the bucket."""
    return bool((state.get("dataset") or {}).get("uploaded"))


def run(state: TuningState, deps: Deps) -> dict[str, Any]:
    missing = _missing_files(state)
    if missing:
        return missing
    storage_rec, known = rec(state, "storage"), facts(state)
    pending = state.get("pending") or {}
    storage = platform_of(state, deps).storage
    if pending.get("action") == CREATE:
        outcome = await_decision(state, BucketArgs)
        if outcome.type == "edit" and outcome.message:
            # A bucket named in words ("bucket my-data"): an existing one is used, a new one is shown on the
            # card again, since only a yes creates a bucket.
            return combine(outcome.updates, {"facts": {"bucket": outcome.args["bucket"]}})
        if not outcome.approved:
            if parse.bucket(outcome.message or ""):  # "use bucket X": propose again with X
                return combine(outcome.updates, {"facts": {"bucket": parse.bucket(outcome.message or "")}})
            return combine(outcome.updates, {"storage": {"bucket": None, "bucket_declined": True}},
                           say("No bucket created. Name an existing bucket (`bucket NAME`) to upload to."),
                           ask("upload", "Which existing bucket should I use?"))
        if not storage.bucket_exists(outcome.args["bucket"]):  # a resumed run may have created it already
            storage.create_bucket(outcome.args["bucket"], outcome.args["location"])
        return combine(outcome.updates, {"storage": {"bucket": outcome.args["bucket"], "bucket_exists": True}},
                       say(f"Created bucket **{outcome.args['bucket']}**.", status=True))
    if pending.get("action") == UPLOAD:
        outcome = await_decision(state, UploadArgs)
        if not outcome.approved:
            if parse.bucket(outcome.message or ""):  # "use bucket X": propose again with X
                return combine(outcome.updates, {"facts": {"bucket": parse.bucket(outcome.message or "")}})
            return combine(outcome.updates, say("Nothing uploaded. Say **upload** when you're ready, or name "
                                                "another bucket."), ask("upload", "Upload now?"))
        result = _upload(state, deps, outcome.args)
        return combine(outcome.updates, result,
                       say(f"Uploaded to `{result['storage']['prefix']}`.", status=True))
    bucket = known.get("bucket") or storage_rec.get("bucket") or _default_bucket(state, deps)
    update: dict[str, Any] = {"facts": {"bucket": None}, "storage": {"bucket": bucket}}
    if not storage.bucket_exists(bucket):
        if storage_rec.get("bucket_declined") and not known.get("bucket") and not known.get("yes"):
            # Asked again each time it comes up unanswered, so the person always sees what is wanted.
            return combine(update, say(f"No bucket yet. Name an existing bucket (`bucket NAME`) to upload to, or "
                                       f"say **yes** to see the card that creates **{bucket}** again."),
                           ask("upload", "Which existing bucket should I use?"))
        update["storage"]["bucket_declined"] = False  # "yes" after a no: the bucket card again
        location = _bucket_location(state, deps)
        return combine(update, propose("upload", CREATE, {"bucket": bucket, "location": location},
                                       platform_of(state, deps).bucket_proposal(bucket, location)))
    from tools.storage_paths import job_prefix

    prefix = job_prefix(storage.scheme, bucket, run_id=run_id(state))
    ds = rec(state, "dataset")
    files = [p for p in (ds.get("train_path"), ds.get("validation_path")) if p]
    sizes = ", ".join(f"`{os.path.basename(p)}` ({os.path.getsize(p):,} bytes)" for p in files)
    return combine(update, propose("upload", UPLOAD, {"bucket": bucket, "destination": prefix, "files": files},
                                   f"Upload {sizes} to `{prefix}`?"))
