"""The job / models / deploy / try commands end to end: real SDKs, fake Vertex, GCS emulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.cli import main
from tests.fake_vertex import FakeVertex
from tests.fake_vertex.fixtures import PROJECT, fake_vertex_fixture  # noqa: F401
from tests.gcs_fixtures import gcs_emulator_fixture  # noqa: F401

pytestmark = pytest.mark.slow
needs_gcs = pytest.mark.usefixtures("gcs_emulator")

BUCKET = "cli-bucket"


def upload_dataset(tmp_path: Path, train_lines: int = 40, val_lines: int = 4) -> tuple[str, str]:
    from tools.vertex.storage import GcsStorage

    storage = GcsStorage(PROJECT)
    storage.create_bucket(BUCKET)
    row = json.dumps({"messages": [{"role": "user", "content": "hi"},
                                   {"role": "assistant", "content": "hello"}]})
    uris = []
    for name, count in (("train", train_lines), ("val", val_lines)):
        path = tmp_path / f"{name}.jsonl"
        path.write_text("\n".join([row] * count) + "\n", encoding="utf-8")
        uris.append(storage.upload(str(path), f"gs://{BUCKET}/job/{name}.jsonl").uri)
    return uris[0], uris[1]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def submit_argv(train: str, val: str, *extra: str) -> list[str]:
    return ["job", "submit", "--base-model", "google/gemma3@gemma-3-4b-it", "--train", train,
            "--validation", val, "--output-uri", f"gs://{BUCKET}/job/out", "--tuning-mode", "FULL",
            "--epochs", "2", "--learning-rate", "1e-5", "--location", "global", "--run-id",
            "cli-run-1", *extra]


@needs_gcs
def test_job_submit_status_watch_cancel(fake_vertex: FakeVertex,
                                        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    train, val = upload_dataset(tmp_path)
    code, out, err = run(capsys, *submit_argv(train, val, "--yes", "--json"))
    assert code == 0, err
    result = json.loads(out)
    assert result["ok"] and result["job"]["state"] == "JOB_STATE_QUEUED"
    assert result["command"].startswith("tuning-agent job submit --base-model google/gemma3@gemma-3-4b-it")
    name = result["job"]["name"]
    body = fake_vertex.calls("tuningJobs.create")[0].body
    assert body["supervisedTuningSpec"]["tuningMode"] == "TUNING_MODE_FULL"
    assert body["supervisedTuningSpec"]["hyperParameters"]["learningRate"] == 1e-5

    # Same run id again: the same job, no second create.
    code, out, _ = run(capsys, *submit_argv(train, val, "--yes", "--json"))
    assert code == 0 and json.loads(out)["job"]["name"] == name
    assert len(fake_vertex.calls("tuningJobs.create")) == 1

    code, out, _ = run(capsys, "job", "status", name, "--json")
    assert code == 0 and json.loads(out)["state"] == "JOB_STATE_RUNNING"

    code, out, _ = run(capsys, "job", "status", name)
    assert "console: https://console.cloud.google.com/vertex-ai/tuning/locations/global" in out

    code, out, _ = run(capsys, "job", "watch", name, "--poll", "0.01", "--timeout", "30", "--json")
    states = [json.loads(line)["state"] for line in out.splitlines()]
    assert code == 0 and states[-1] == "JOB_STATE_SUCCEEDED"

    other = json.loads(run(capsys, *submit_argv(train, val, "--yes", "--json")[:-4],
                           "--run-id", "cli-run-2", "--yes", "--json")[1])["job"]["name"]
    code, out, _ = run(capsys, "job", "cancel", other, "--yes", "--json")
    assert code == 0 and json.loads(out)["state"] == "JOB_STATE_CANCELLED"


@needs_gcs
def test_job_submit_preflight_stops_before_spending(fake_vertex: FakeVertex,
                                                    tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    train, _ = upload_dataset(tmp_path)
    argv = submit_argv(train, f"gs://{BUCKET}/job/missing.jsonl", "--yes", "--json")
    argv[argv.index("--learning-rate")] = "--learning-rate-multiplier"
    code, out, _ = run(capsys, *argv)
    result = json.loads(out)
    assert code == 1 and not result["ok"]
    assert any("does not exist" in p for p in result["problems"])
    assert any("multiplier" in p for p in result["problems"])
    assert not fake_vertex.calls("tuningJobs.create")


@needs_gcs
def test_job_submit_without_yes_and_without_terminal_refuses(
        fake_vertex: FakeVertex, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    train, val = upload_dataset(tmp_path)
    code, _, err = run(capsys, *submit_argv(train, val))
    assert code == 1 and "--yes" in err
    assert not fake_vertex.calls("tuningJobs.create")


def test_models_list(fake_vertex: FakeVertex, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "models", "list", "--category", "open", "--live", "--json")
    result = json.loads(out)
    assert code == 0 and result["source"] == "live"
    by_name = {m["name"]: m for m in result["models"]}
    assert by_name["google/gemma3@gemma-3-4b-it"]["live"] is True
    assert by_name["google/gemma3@gemma-3-12b-it"]["live"] is False
    assert all(m["category"] == "open" for m in result["models"])
    code, out, _ = run(capsys, "models", "list", "--category", "gemini")
    assert code == 0 and "gemini-3.5-flash" in out and "google/gemma3" not in out


def test_deploy_and_try(fake_vertex: FakeVertex, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.test_vertex_jobs import open_spec
    from tools.vertex import jobs

    info = jobs.submit_job(open_spec())
    for _ in range(3):
        info = jobs.get_job(info.name)
    code, out, err = run(capsys, "deploy", info.name, "--yes", "--json")
    assert code == 0, err
    endpoint = json.loads(out)
    assert endpoint["region"] == "us-central1"
    assert endpoint["display_name"] == "tuning-agent-run-open-1"
    machine = fake_vertex.calls("deploy")[0].body["deployConfig"]["dedicatedResources"]["machineSpec"]
    assert machine["machineType"]  # the catalog's recommendation was used
    code, out, _ = run(capsys, "deploy", info.name, "--yes", "--json")
    assert json.loads(out)["endpoint"] == endpoint["endpoint"]
    assert len(fake_vertex.calls("deploy")) == 1
    code, out, _ = run(capsys, "try", endpoint["endpoint"], "Say hi")
    assert code == 0 and out.strip() == "fake answer to: Say hi"


def test_bad_job_name_is_a_clear_error(fake_vertex: FakeVertex, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "job", "status", "projects/x/tuningJobs", "--platform", "vertex")
    assert code == 1 and "Not a tuning job name" in err and "Traceback" not in err


@needs_gcs
def test_job_submit_checks_validation_rows_too(fake_vertex: FakeVertex, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    # 5001 validation rows stay under 25 % of the training bytes, so only the row limit catches them.
    train, val = upload_dataset(tmp_path, train_lines=30_000, val_lines=5_001)
    code, out, _ = run(capsys, *submit_argv(train, val, "--yes", "--json"))
    assert code == 1
    assert any("5001 rows" in p for p in json.loads(out)["problems"])
    assert not fake_vertex.calls("tuningJobs.create")
