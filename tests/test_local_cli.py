"""The local platform from the command line: `data upload`, `job submit` with file paths, `try`,
and `job status` on a job with no end time. Each with its bad inputs (missing file, a directory,
a file that is not what was asked for), which must end in a message, not a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.cli import main
from agent.commands.job import describe
from tests.local_fixtures import write_rows
from tools.local.storage import LocalStorage
from tools.local.tiny import build_tiny
from tools.platforms.base import JobInfo


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "home"
    monkeypatch.setenv("TUNING_AGENT_HOME", str(folder))
    return folder


def test_data_upload_verifies_and_skips_identical_objects(
        tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write_rows(tmp_path / "train.jsonl", "messages", 5)
    assert main(["data", "upload", str(src), "local://mine/sets/", "--create-bucket"]) == 0
    assert "checksum" in capsys.readouterr().out
    stored = home / "buckets" / "mine" / "sets" / "train.jsonl"
    assert stored.read_bytes() == src.read_bytes()
    assert main(["data", "upload", str(src), "local://mine/sets/train.jsonl", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["skipped_identical"] is True and report["size"] == src.stat().st_size


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: p / "missing.jsonl", "no such file"),
    (lambda p: p, "is a directory"),
])
def test_data_upload_bad_sources(tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str],
                                 make: object, message: str) -> None:
    LocalStorage(home / "buckets").create_bucket("mine")
    src = make(tmp_path)  # type: ignore[operator]
    assert main(["data", "upload", str(src), "local://mine/x.jsonl"]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_data_upload_needs_a_bucket_uri(tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write_rows(tmp_path / "train.jsonl", "messages", 2)
    assert main(["data", "upload", str(src), str(tmp_path / "copy.jsonl")]) == 1
    assert "is not a bucket URI" in capsys.readouterr().err


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: p / "missing.jsonl", "no such file"),
    (lambda p: p, "is a directory"),
    (lambda p: _write(p / "model.bin", b"\x00\x01binary weights"), "is not a JSONL dataset"),
])
def test_job_submit_local_bad_paths(tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str],
                                    make: object, message: str) -> None:
    src = make(tmp_path)  # type: ignore[operator]
    code = main(["job", "submit", "--platform", "local", "--base-model", "local/tiny", "--train", str(src),
                 "--epochs", "1", "--yes"])
    err = capsys.readouterr().err
    assert code == 1 and message in err and "Traceback" not in err


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_job_submit_local_takes_a_plain_file_path(tmp_path: Path, home: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from tools.platforms.local import LocalPlatform

    submitted: list[object] = []
    monkeypatch.setattr(LocalPlatform, "submit_job", lambda self, spec: submitted.append(spec) or _job())
    train = write_rows(tmp_path / "train.jsonl", "messages", 5)
    code = main(["job", "submit", "--platform", "local", "--base-model", "local/tiny", "--train", str(train),
                 "--epochs", "1", "--yes", "--skip-preflight"])
    assert code == 0, capsys.readouterr().err
    spec = submitted[0]
    uri = spec.train_uri  # type: ignore[attr-defined]
    assert uri.startswith("local://uploads/") and uri.endswith("/train.jsonl")
    assert LocalStorage(home / "buckets").local_path(uri).read_bytes() == train.read_bytes()


def _job(**kw: object) -> JobInfo:
    return JobInfo(name="local-x", state="JOB_STATE_RUNNING", **kw)  # type: ignore[arg-type]


def test_status_of_an_ended_job_with_no_end_time_shows_no_made_up_duration() -> None:
    ended = JobInfo(name="j", state="JOB_STATE_FAILED", start_time="2026-11-28T00:00:00Z", elapsed_s=232380.0)
    assert "min" not in describe(ended)
    finished = JobInfo(name="j", state="JOB_STATE_SUCCEEDED", end_time="2026-11-28T00:10:00Z", elapsed_s=600.0)
    assert "elapsed: 10 min 0 s" in describe(finished)


@pytest.fixture
def tiny_checkpoint(home: Path) -> str:
    """A model folder inside a local bucket, where a job's final checkpoint would be."""
    folder = home / "buckets" / "out" / "job" / "postprocess" / "node-0" / "checkpoints" / "final"
    build_tiny(folder, ["What is the capital of France? Paris."] * 20)
    return "local://out/job/postprocess/node-0/checkpoints/final"


def test_try_takes_the_local_uri_job_status_prints(home: Path, tiny_checkpoint: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["try", tiny_checkpoint, "What is the capital of France?", "--max-tokens", "4", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["answer"] or report["empty_because"]  # never nothing without a reason


def test_try_says_why_an_answer_is_empty(home: Path, tiny_checkpoint: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    folder = home / "buckets" / "out" / "job" / "postprocess" / "node-0" / "checkpoints" / "final"
    config = json.loads((folder / "generation_config.json").read_text())
    eos = int(config["eos_token_id"])
    vocab = json.loads((folder / "config.json").read_text())["vocab_size"]
    config["suppress_tokens"] = [i for i in range(vocab) if i != eos]  # it can only end its turn
    (folder / "generation_config.json").write_text(json.dumps(config))
    assert main(["try", tiny_checkpoint, "Hello?"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("(no answer: the model ended its turn at once")


@pytest.mark.parametrize(("endpoint", "message"), [
    ("local://out/nothing/here", "no such checkpoint"),
    ("{tmp}/notes.txt", "is a file, not a model folder"),
    ("{tmp}", "no model there"),
])
def test_try_bad_endpoints(tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str],
                           endpoint: str, message: str) -> None:
    LocalStorage(home / "buckets").create_bucket("out")
    (tmp_path / "notes.txt").write_text("not a model")
    assert main(["try", endpoint.format(tmp=tmp_path), "Hi", "--platform", "local"]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
