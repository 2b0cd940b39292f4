"""Bucket names Cloud Storage refuses are refused here first, with the rules, before any call."""

from __future__ import annotations

import pytest

from tests.gcs_fixtures import gcs_emulator_fixture  # noqa: F401
from tools.errors import ToolError
from tools.vertex.storage import BUCKET_RULES, GcsStorage, check_bucket_name

INVALID = {
    "Team_Data.2026": "uppercase",
    "UPPER": "uppercase",
    "ab": "2 characters",
    "a" * 64: "64 characters",
    "x" * 70: "70 characters",
    "goog-data": "starts with 'goog'",
    "my-google-bucket": "'google'",
    "my-g00gle-bucket": "'google'",
    "bad..dots": "part is empty",
    "-dash-first": "start and end",
    "dash-last-": "start and end",
    "has space": "character other than",
    "192.168.5.4": "IP address",
    "a." + "b" * 64: "longer than 63",
}
VALID = ["abc", "a" * 63, "my-project-tuning", "data_2026", "team.data.2026", "0-9",
         ".".join(["a" * 63] * 3) + ".abc"]


@pytest.mark.parametrize(("name", "why"), sorted(INVALID.items()))
def test_invalid_names_are_refused_with_the_reason(name: str, why: str) -> None:
    with pytest.raises(ToolError) as info:
        check_bucket_name(name)
    assert why in info.value.message and repr(name) in info.value.message
    assert info.value.hint == BUCKET_RULES


@pytest.mark.parametrize("name", VALID)
def test_valid_names_pass_unchanged(name: str) -> None:
    assert check_bucket_name(name) == name


@pytest.mark.parametrize("name", ["Team_Data.2026", "goog-data", "bad..dots"])
def test_create_bucket_refuses_before_any_call(name: str) -> None:
    storage = GcsStorage("demo-project")
    with pytest.raises(ToolError, match="not a valid Cloud Storage bucket name"):
        storage.create_bucket(name)
    with pytest.raises(ToolError, match="not a valid Cloud Storage bucket name"):
        storage.bucket_exists(f"gs://{name}")
    assert storage._client is None  # the client was never built, so nothing was sent


def test_the_emulator_refuses_what_cloud_storage_refuses(gcs_emulator: str) -> None:
    """The thin check in front of the emulator: a name slipping past GcsStorage still fails."""
    from google.api_core.exceptions import BadRequest
    from google.cloud import storage

    client = storage.Client(project="demo-project")
    with pytest.raises(BadRequest, match="Invalid bucket name"):
        client.create_bucket("UPPER")
    assert [b.name for b in client.list_buckets()] == []
    client.create_bucket("fine-name")
    assert [b.name for b in client.list_buckets()] == ["fine-name"]
