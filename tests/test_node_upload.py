"""The upload step against the Cloud Storage emulator: a bucket is created only after its card is
approved, in the project's location and under the name shown; files go to this run's folder in the
bucket the person chose, only after the upload card is approved; a "no" creates and uploads nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from graph.approvals import Reask
from graph.deps import Deps
from graph.nodes import upload
from tests.gcs_fixtures import gcs_emulator_fixture  # noqa: F401
from tests.node_helpers import RUN_ID, answered, said, streamed
from tests.test_storage_gcs import http_log  # noqa: F401

PROJECT = "demo-proj-123"


@pytest.fixture
def deps(gcs_emulator: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Deps:
    monkeypatch.setenv("TUNING_AGENT_HOME", str(tmp_path / "home"))
    return Deps(platform_name="vertex", project=PROJECT, region="europe-west4")


def prepared(tmp_path: Path, region: str = "europe-west4", validation: bool = True,
             **facts: Any) -> dict[str, Any]:
    """A conversation whose dataset is prepared on disk (train, and validation unless told)."""
    train = tmp_path / "train.jsonl"
    train.write_text('{"prompt": "q1", "completion": "a1"}\n' * 3, encoding="utf-8")
    dataset: dict[str, Any] = {"train_path": str(train), "validation_path": None}
    if validation:
        val = tmp_path / "validation.jsonl"
        val.write_text('{"prompt": "q2", "completion": "a2"}\n', encoding="utf-8")
        dataset["validation_path"] = str(val)
    return {"platform": "vertex", "category": "open", "run_id": RUN_ID, "dataset": dataset,
            "project": {"project": PROJECT, "region": region, "confirmed": True}, "facts": dict(facts)}


def buckets(deps: Deps) -> list[str]:
    return sorted(deps.platform("vertex").storage.list_buckets())


def test_a_missing_bucket_is_proposed_in_the_projects_region_and_made_only_on_approval(
        deps: Deps, tmp_path: Path, http_log: list[dict[str, Any]]) -> None:
    state = prepared(tmp_path)
    card = upload.run(state, deps)  # type: ignore[arg-type]
    bucket = f"{PROJECT}-tuning-agent"
    assert card["pending"]["action"] == "create_bucket"
    assert card["pending"]["args"] == {"bucket": bucket, "location": "europe-west4"}
    assert card["storage"]["bucket"] == bucket
    assert buckets(deps) == [], "nothing is created before the card is approved"
    made = upload.run(answered(state, card, "approve"), deps)  # type: ignore[arg-type]
    assert buckets(deps) == [bucket]
    created = [r for r in http_log if r["method"] == "POST" and r["url"].split("?")[0].endswith("/storage/v1/b")]
    assert len(created) == 1
    sent = created[0]["json"] or json.loads(created[0]["data"])
    assert (sent["name"], sent["location"]) == (bucket, "europe-west4"), "made where the card said"
    assert made["storage"] == {"bucket": bucket, "bucket_exists": True}
    assert made["pending"] is None and made["approvals"][0]["action"] == "create_bucket"
    assert f"Created bucket **{bucket}**" in said(made)
    # A resumed run that answers the same card again finds the bucket and does not fail or make another.
    again = upload.run(answered(state, card, "approve"), deps)  # type: ignore[arg-type]
    assert again["storage"]["bucket"] == bucket and buckets(deps) == [bucket]


def test_the_proposed_bucket_belongs_to_the_conversations_project(deps: Deps, tmp_path: Path) -> None:
    state = prepared(tmp_path)
    state["project"] = {**state["project"], "project": "other-proj-456"}  # chosen on the card, not the default
    card = upload.run(state, deps)  # type: ignore[arg-type]
    assert card["pending"]["args"]["bucket"] == "other-proj-456-tuning-agent"


def test_a_global_job_keeps_its_bucket_in_the_us_multi_region(deps: Deps, tmp_path: Path) -> None:
    card = upload.run(prepared(tmp_path, region="global"), deps)  # type: ignore[arg-type]
    assert card["pending"]["args"]["location"] == "US"


def test_a_declined_bucket_is_not_made_and_not_proposed_again(deps: Deps, tmp_path: Path) -> None:
    state = prepared(tmp_path)
    card = upload.run(state, deps)  # type: ignore[arg-type]
    update = upload.run(answered(state, card, "reject"), deps)  # type: ignore[arg-type]
    assert buckets(deps) == []
    assert update["storage"] == {"bucket": None, "bucket_declined": True}
    assert update["approvals"][0]["action"] == "create_bucket" and update["approvals"][0]["decision"] == "reject"
    assert update["pending"]["kind"] == "question" and update["pending"]["step"] == "upload"
    assert "bucket" in update["pending"]["question"]
    assert "No bucket created" in said(update)
    later = {**state, "storage": update["storage"], "pending": None}
    asked = upload.run(later, deps)  # type: ignore[arg-type]
    assert asked["pending"]["kind"] == "question", "asks for an existing bucket instead of the same card"
    assert buckets(deps) == []


def test_a_no_naming_another_bucket_proposes_that_one(deps: Deps, tmp_path: Path) -> None:
    state = prepared(tmp_path)
    card = upload.run(state, deps)  # type: ignore[arg-type]
    update = upload.run(answered(state, card, "reject", "use bucket my-own-bucket"), deps)  # type: ignore[arg-type]
    assert update["facts"]["bucket"] == "my-own-bucket"
    assert update["pending"] is None and buckets(deps) == []
    again = upload.run({**state, "facts": update["facts"], "storage": {"bucket": None, "bucket_declined": True}},
                       deps)  # type: ignore[arg-type]
    assert again["pending"]["args"]["bucket"] == "my-own-bucket", "a named bucket is proposed even after a no"


def test_upload_goes_to_this_runs_folder_only_after_approval(deps: Deps, tmp_path: Path) -> None:
    storage = deps.platform("vertex").storage
    storage.create_bucket("team-data", "europe-west4")
    state = prepared(tmp_path, bucket="team-data")
    card = upload.run(state, deps)  # type: ignore[arg-type]
    args = card["pending"]["args"]
    assert card["pending"]["action"] == "upload_dataset"
    assert args["bucket"] == "team-data", "a bucket the person named is used as named"
    assert args["destination"].startswith("gs://team-data/tuning_agent_job_")
    assert args["destination"].endswith(f"_{RUN_ID}/")
    assert args["files"] == [state["dataset"]["train_path"], state["dataset"]["validation_path"]]
    assert card["facts"] == {"bucket": None} and card["storage"] == {"bucket": "team-data"}
    assert "`train.jsonl` (111 bytes)" in card["pending"]["description"]
    assert storage.list("gs://team-data/") == [], "nothing is uploaded before the card is approved"
    done, events = streamed(lambda: upload.run(answered(state, card, "approve"), deps))  # type: ignore[arg-type]
    prefix = args["destination"]
    finals = [e for e in events if e["done"] == e["total"]]
    assert {(e["node"], e["file"], e["total"], e["unit"]) for e in finals} == {
        ("upload", "train.jsonl", 111, "bytes"), ("upload", "validation.jsonl", 37, "bytes")}
    assert sorted(o.uri for o in storage.list(prefix)) == [prefix + "train.jsonl", prefix + "validation.jsonl"]
    assert done["dataset"] == {"train_uri": prefix + "train.jsonl", "validation_uri": prefix + "validation.jsonl",
                               "uploaded": True}
    assert done["storage"] == {"bucket": "team-data", "prefix": prefix, "output_uri": prefix + "output"}
    assert done["hparams"] == {"output_uri": None}, "the job's output follows the new folder"
    assert done["preflight"] is None, "the new files are checked again before submitting"
    assert f"Uploaded to `{prefix}`" in said(done)
    assert upload.done({"dataset": done["dataset"]})  # type: ignore[typeddict-item]
    assert not upload.done({"dataset": {"uploaded": False}})  # type: ignore[typeddict-item]


def test_without_a_validation_file_only_the_training_file_goes_up(deps: Deps, tmp_path: Path) -> None:
    deps.platform("vertex").storage.create_bucket("team-data", "europe-west4")
    state = prepared(tmp_path, validation=False, bucket="team-data")
    card = upload.run(state, deps)  # type: ignore[arg-type]
    assert card["pending"]["args"]["files"] == [state["dataset"]["train_path"]]
    done = upload.run(answered(state, card, "approve"), deps)  # type: ignore[arg-type]
    assert done["dataset"]["validation_uri"] is None and done["dataset"]["train_uri"].endswith("/train.jsonl")


def test_a_declined_upload_uploads_nothing(deps: Deps, tmp_path: Path) -> None:
    storage = deps.platform("vertex").storage
    storage.create_bucket("team-data", "europe-west4")
    state = prepared(tmp_path, bucket="team-data")
    card = upload.run(state, deps)  # type: ignore[arg-type]
    update = upload.run(answered(state, card, "reject"), deps)  # type: ignore[arg-type]
    assert storage.list("gs://team-data/") == []
    assert "dataset" not in update and "Nothing uploaded" in said(update)
    assert update["pending"]["kind"] == "question"
    switch = upload.run(answered(state, card, "reject", "no, use bucket other-bucket"), deps)  # type: ignore[arg-type]
    assert switch["facts"]["bucket"] == "other-bucket" and storage.list("gs://team-data/") == []


@pytest.mark.parametrize("gone", ["train_path", "validation_path"])
def test_a_vanished_prepared_file_starts_the_dataset_over(deps: Deps, tmp_path: Path, gone: str) -> None:
    state = prepared(tmp_path)
    Path(state["dataset"][gone]).unlink()
    update = upload.run(state, deps)  # type: ignore[arg-type]
    assert update["pending"] is None and buckets(deps) == []
    assert f"{Path(state['dataset'][gone]).name} is missing" in said(update)
    assert update["dataset"]["train_path"] is None and update["dataset"]["validation_path"] is None


def test_an_approved_card_with_an_invalid_bucket_or_folder_is_asked_again_not_sent(deps: Deps,
                                                                                   tmp_path: Path) -> None:
    state = prepared(tmp_path)
    card = upload.run(state, deps)  # type: ignore[arg-type]
    card["pending"]["args"]["bucket"] = "Not_A_Bucket"
    with pytest.raises(Reask):
        upload.run(answered(state, card, "approve"), deps)  # type: ignore[arg-type]
    assert buckets(deps) == []
    storage = deps.platform("vertex").storage
    storage.create_bucket("team-data", "europe-west4")
    named = prepared(tmp_path, bucket="team-data")
    card = upload.run(named, deps)  # type: ignore[arg-type]
    card["pending"]["args"]["destination"] = "gs://team-data/elsewhere/"
    with pytest.raises(Reask):
        upload.run(answered(named, card, "approve"), deps)  # type: ignore[arg-type]
    assert storage.list("gs://team-data/") == []


def test_an_approved_bucket_is_created_by_its_plain_name(deps: Deps, tmp_path: Path) -> None:
    state = prepared(tmp_path)
    card = upload.run(state, deps)  # type: ignore[arg-type]
    card["pending"]["args"]["bucket"] = "gs://fresh-bucket/"
    made = upload.run(answered(state, card, "approve"), deps)  # type: ignore[arg-type]
    assert buckets(deps) == ["fresh-bucket"] and made["storage"]["bucket"] == "fresh-bucket"


@pytest.mark.parametrize("name", ["ab", "Team-Data", "-team", "team..data", "a" * 64, "team/data"])
def test_a_bucket_name_storage_refuses_is_refused_on_the_card(name: str) -> None:
    with pytest.raises(ValueError):
        upload.BucketArgs(bucket=name, location="US")


def test_a_bucket_name_is_read_without_its_scheme() -> None:
    assert upload.BucketArgs(bucket=" gs://team-data/ ", location="US").bucket == "team-data"
    assert upload.BucketArgs(bucket="a.b_c-9", location="US").bucket == "a.b_c-9"


def test_an_edited_upload_may_change_the_bucket_but_not_the_folder() -> None:
    folder = f"tuning_agent_job_20260101_000000_{RUN_ID}/"
    ok = upload.UploadArgs(bucket="other-bucket", destination=f"gs://team-data/{folder}", files=[])
    assert ok.destination == f"gs://other-bucket/{folder}"
    for bad in ("gs://team-data/elsewhere/", "gs://team-data/../x/", "team-data/x", "s3://team-data/" + folder):
        with pytest.raises(ValueError):
            upload.UploadArgs(bucket="team-data", destination=bad, files=[])
