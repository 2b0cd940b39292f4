"""Resolving local model ids, the clear offline error, and the local time estimate."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.local_fixtures import make_platform, upload_dataset, write_rows
from tools.errors import ToolError
from tools.local.models import CPU_TOKENS_PER_S, estimate_local_time, resolve_model
from tools.platforms.base import JobSpec


@pytest.fixture()
def offline_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty Hugging Face cache and no hub access (as on a machine without network)."""
    import huggingface_hub.constants as hf_constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))


def test_catalog_ids_names_and_hf_ids_resolve() -> None:
    tiny = resolve_model("local/tiny")
    assert tiny.is_tiny and tiny.full_tuning and tiny.path is None
    by_name = resolve_model("SmolLM2 135M Instruct", download=False)
    by_hf = resolve_model("HuggingFaceTB/SmolLM2-135M-Instruct", download=False)
    assert by_name.model_id == by_hf.model_id == "local/smollm2-135m"
    assert not by_name.full_tuning and by_name.lora_rank > 0 and by_name.hf_id


def test_a_model_folder_resolves_to_itself(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    choice = resolve_model(str(tmp_path))
    assert choice.path == str(tmp_path.resolve()) and not choice.full_tuning


def test_unknown_model_lists_the_choices(tmp_path: Path) -> None:
    with pytest.raises(ToolError, match="not a model the local platform knows") as err:
        resolve_model("llama-9000")
    assert "local/tiny" in str(err.value) and "local/qwen3-0.6b" in str(err.value)
    with pytest.raises(ToolError, match=r"no config\.json"):
        resolve_model(str(tmp_path))


@pytest.mark.usefixtures("offline_hub")
def test_offline_catalog_model_says_so_and_offers_tiny() -> None:
    with pytest.raises(ToolError) as err:
        resolve_model("local/smollm2-135m")
    text = str(err.value)
    assert "cannot be loaded" in text and "HF_HUB_OFFLINE" in text
    assert "HuggingFaceTB/SmolLM2-135M-Instruct" in text
    assert "local/tiny" in text and "pipeline check, not a useful model" in text


@pytest.mark.usefixtures("offline_hub")
def test_submit_fails_before_starting_anything_when_weights_are_missing(tmp_path: Path) -> None:
    platform = make_platform(tmp_path / "home")
    train = write_rows(tmp_path / "t.jsonl", "messages", 10)
    train_uri, _, output_uri = upload_dataset(platform.storage, train)
    spec = JobSpec(run_id="r-offline", category="local", base_model="local/smollm2-135m",
                   train_uri=train_uri, output_uri=output_uri)
    assert platform.preflight(spec) and "cannot be loaded" in platform.preflight(spec)[0]
    with pytest.raises(ToolError, match="HuggingFaceTB/SmolLM2-135M-Instruct"):
        platform.submit_job(spec)
    assert platform.list_jobs() == [] and platform.find_job("r-offline") is None


def test_submit_refuses_other_categories_and_missing_files(tmp_path: Path) -> None:
    platform = make_platform(tmp_path / "home")
    train_uri, _, output_uri = upload_dataset(platform.storage, write_rows(tmp_path / "t.jsonl", "messages", 3))
    with pytest.raises(ToolError, match="not 'open'"):
        platform.submit_job(JobSpec(run_id="r", category="open", base_model="local/tiny",
                                    train_uri=train_uri, output_uri=output_uri))
    with pytest.raises(ToolError, match="does not exist"):
        platform.submit_job(JobSpec(run_id="r", category="local", base_model="local/tiny",
                                    train_uri=train_uri.replace("train", "nothing"), output_uri=output_uri))
    with pytest.raises(ToolError, match="Invalid hyperparameters"):
        platform.submit_job(JobSpec(run_id="r", category="local", base_model="local/tiny",
                                    train_uri=train_uri, output_uri=output_uri, epochs=0))
    with pytest.raises(ToolError, match="Invalid hyperparameters"):
        platform.submit_job(JobSpec(run_id="r", category="local", base_model="local/tiny",
                                    train_uri=train_uri, output_uri=output_uri, learning_rate=-1.0))
    assert platform.list_jobs() == []


def test_local_time_estimate_grows_with_tokens_and_model_size() -> None:
    tiny = estimate_local_time(100_000, "local/tiny")
    small = estimate_local_time(100_000, "local/smollm2-135m")
    big = estimate_local_time(100_000, "local/qwen3-0.6b")
    assert 0 < tiny < small < big
    assert estimate_local_time(200_000, "local/smollm2-135m") > small
    assert set(CPU_TOKENS_PER_S) >= {"local/tiny", "local/smollm2-135m", "local/qwen3-0.6b"}


def test_local_cost_line_says_free_and_how_long() -> None:
    from tools.local.models import describe_local_cost

    line = describe_local_cost(90_000, "local/smollm2-135m")
    assert line.startswith("free (local)") and "minutes" in line
    assert "seconds" in describe_local_cost(1_000, "local/tiny")


def test_on_a_server_only_model_folders_in_the_users_own_folder_tune(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Elsewhere a folder path would tell a server user which paths exist: the same refusal as a missing one."""
    from tools.data.limits import SERVER_MODE_ENV
    from tools.platforms.local import LocalPlatform

    home = tmp_path / "users" / "bob"
    mine = home / "buckets" / "b" / "checkpoints" / "final"
    mine.mkdir(parents=True)
    elsewhere = tmp_path / "users" / "alice"
    elsewhere.mkdir(parents=True)
    platform = LocalPlatform(home)
    assert platform.model_problem(str(elsewhere), "open") is None, "the terminal user may name any folder"
    monkeypatch.setenv(SERVER_MODE_ENV, "1")
    assert platform.model_problem(str(mine), "open") is None
    missing = platform.model_problem(str(tmp_path / "nope"), "open")
    assert missing is not None and "can't be used on this machine" in missing
    for outside in (str(elsewhere), "/etc", str(home / ".." / "alice")):
        refused = platform.model_problem(outside, "open")
        assert refused == missing.replace(str(tmp_path / "nope"), outside), outside
