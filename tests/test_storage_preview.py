"""Bucket search lists only files that parse as tuning data (never checkpoint or tokenizer files)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools.local.storage import LocalStorage
from tools.storage_preview import is_checkpoint_file, is_tuning_data, preview_text

CONFIG_JSON = {"architectures": ["Gemma3ForCausalLM"], "model_type": "gemma3", "hidden_size": 640,
               "num_hidden_layers": 18, "torch_dtype": "bfloat16", "vocab_size": 262144,
               "transformers_version": "4.50.0", "rope_theta": 1000000.0, "max_position_embeddings": 32768}


@pytest.mark.parametrize("name", ["config.json", "ckpt/checkpoint-100/tokenizer.json", "out/adapter_config.json",
                                  "model.safetensors.index.json", "run/trainer_state.json", "TOKENIZER_CONFIG.JSON"])
def test_checkpoint_names(name: str) -> None:
    assert is_checkpoint_file(name)


@pytest.mark.parametrize(("fmt", "text"), [
    ("jsonl", '{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}\n'),
    ("jsonl", '{"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}\n'),
    ("jsonl", '{"prompt": "2+2?", "completion": "4"}\n'),
    ("json", json.dumps([{"question": "q", "answer": "a", "id": 1}])),
    ("csv", "text,label\nhello,1\nbye,0\n"),
    ("jsonl", '{"text": "a long paragraph of plain text"}\n'),
])
def test_tuning_data_is_kept(fmt: str, text: str) -> None:
    records, columns = preview_text(text.encode(), fmt, complete=True)
    assert is_tuning_data(f"data.{fmt}", fmt, records, columns)


@pytest.mark.parametrize(("name", "fmt", "text"), [
    ("weights/config.json", "json", json.dumps(CONFIG_JSON)),
    ("model_settings.json", "json", json.dumps(CONFIG_JSON)),  # a config under another name: judged by content
    ("losses.csv", "csv", "step,loss\n1,2.5\n2,2.1\n"),
    ("numbers.json", "json", "[1, 2, 3]"),
    ("empty.csv", "csv", "prompt,completion\n"),
])
def test_other_files_are_not_tuning_data(name: str, fmt: str, text: str) -> None:
    records, columns = preview_text(text.encode(), fmt, complete=True)
    assert not is_tuning_data(name, fmt, records, columns)


def test_parquet_too_big_to_preview_is_judged_by_columns() -> None:
    assert is_tuning_data("big.parquet", "parquet", [], ["question", "answer"])
    assert not is_tuning_data("big.parquet", "parquet", [], ["x"])


def test_local_bucket_search_skips_checkpoints(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUNING_AGENT_HOME", str(tmp_path / "home"))
    storage = LocalStorage()
    storage.create_bucket("bkt")
    files = {
        "train.jsonl": '{"prompt": "p", "completion": "c"}\n',
        "model/config.json": json.dumps(CONFIG_JSON),
        "model/tokenizer.json": json.dumps({"version": "1.0", "added_tokens": [], "model": {"type": "BPE"}}),
        "runs/metrics.csv": "step,loss\n1,2.0\n",
    }
    for key, text in files.items():
        local = tmp_path / key.replace("/", "_")
        local.write_text(text)
        storage.upload(str(local), f"local://bkt/{key}")
    found = storage.search_datasets(["bkt"])
    assert [c.uri for c in found] == ["local://bkt/train.jsonl"]
    assert found[0].first_records == [{"prompt": "p", "completion": "c"}]
