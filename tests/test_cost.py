"""Cost estimates from a known tiny file, checked against the catalog values read here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.cli import main
from knowledge import find_model, load_catalog
from tests.data_fixtures import write_jsonl
from tools.cost import deployment_hourly_cost, estimate_training_cost
from tools.errors import ToolError

ROW = {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello there?"},
                    {"role": "assistant", "content": "Hi! How can I help?"}]}
CHARS = len("Be brief.") + len("Hello there?") + len("Hi! How can I help?")


@pytest.fixture(autouse=True)
def no_tokenizer(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests pin the ratio arithmetic: no tokenizer found on the machine (e.g. the converted local
    Gemma's, which counts Gemini tokens exactly) may take over."""
    from tools.data import tokencount

    monkeypatch.setattr(tokencount, "TOKENIZER_LOOKUPS", [])
    monkeypatch.setattr(tokencount, "_FOUND", {})


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "tiny.jsonl", [ROW, ROW, ROW])


def _priced_open_model():  # type: ignore[no-untyped-def]
    for model in load_catalog().open_models:
        for mode, spec in model.modes.items():
            if spec.price_per_1m_tokens and spec.tokens_per_char:
                return model, mode, spec
    raise AssertionError("no priced open model in the catalog")


def test_open_model_cost_arithmetic(tiny: Path) -> None:
    model, mode, spec = _priced_open_model()
    est = estimate_training_cost(tiny, model.base_model, mode, 2)
    tokens = round(3 * CHARS * spec.tokens_per_char) * 2
    assert est.dataset_chars == 3 * CHARS and est.tokens == tokens
    assert est.usd == pytest.approx(tokens / 1e6 * spec.price_per_1m_tokens)
    assert est.label.startswith("Estimated") and est.assumptions


def test_same_cost_for_all_three_formats(tmp_path: Path) -> None:
    model, mode, _ = _priced_open_model()
    pc = write_jsonl(tmp_path / "pc.jsonl", [{"prompt": "Be brief.Hello there?", "completion": "Hi! How can I help?"}])
    contents = [{"role": "user", "parts": [{"text": "Hello there?"}]},
                {"role": "model", "parts": [{"text": "Hi! How can I help?"}]}]
    gem = write_jsonl(tmp_path / "g.jsonl", [{"systemInstruction": {"parts": [{"text": "Be brief."}]},
                                             "contents": contents}])
    msgs = write_jsonl(tmp_path / "m.jsonl", [ROW])
    tokens = {estimate_training_cost(p, model.base_model, mode, 1).tokens for p in (pc, gem, msgs)}
    assert len(tokens) == 1


def test_peft_alias_and_unsupported_mode(tiny: Path) -> None:
    both = next(m for m in load_catalog().open_models if {"PEFT_ADAPTER", "FULL"} <= m.modes.keys())
    assert estimate_training_cost(tiny, both.base_model, "PEFT", 1).tuning_mode == "PEFT_ADAPTER"
    full_only = next(m for m in load_catalog().open_models if set(m.modes) == {"FULL"})
    with pytest.raises(ToolError, match="PEFT_ADAPTER"):
        estimate_training_cost(tiny, full_only.base_model, "PEFT", 1)


def test_gemini_priced_unverified_and_unpriced(tiny: Path) -> None:
    gems = load_catalog().gemini_models
    priced = next(g for g in gems if g.price_per_1m_tokens is not None)
    est = estimate_training_cost(tiny, priced.id, None, 3)
    tokens = round(3 * CHARS * priced.tokens_per_char) * 3
    assert est.tokens == tokens and est.usd == pytest.approx(tokens / 1e6 * priced.price_per_1m_tokens)
    if not priced.price_verified:
        assert "unverified" in est.label and any("UNVERIFIED" in a for a in est.assumptions)
    unpriced = next((g for g in gems if g.price_per_1m_tokens is None), None)
    if unpriced is not None:
        est = estimate_training_cost(tiny, unpriced.id, None, 1)
        assert est.usd is None and "no price" in est.label and est.tokens > 0


def test_local_is_free_with_a_time_estimate(tiny: Path) -> None:
    local = load_catalog().local_models[0]
    est = estimate_training_cost(tiny, local.id, None, 1)
    assert est.usd == 0.0 and est.label.startswith("free (local)")
    assert est.estimated_training_time_s is not None and est.estimated_training_time_s >= 0


def test_deployment_hourly_cost_from_the_machine_catalog() -> None:
    machine = load_catalog().machines[0]
    cost = deployment_hourly_cost(machine.machine_type)
    assert cost.usd_per_hour == machine.hourly_usd and cost.label.startswith("Estimated")
    with pytest.raises(ToolError, match="unknown machine type"):
        deployment_hourly_cost("z9-mega-1")


def test_unknown_model_suggests_catalog_choices(tiny: Path) -> None:
    with pytest.raises(ToolError, match="unknown model"):
        estimate_training_cost(tiny, "Mistral 7B", None, 1)


def test_cost_cli(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model, mode, spec = _priced_open_model()
    cli_mode = "PEFT" if mode == "PEFT_ADAPTER" else "FULL"
    assert main(["cost", "--input", str(tiny), "--model", model.display_name, "--tuning-mode", cli_mode,
                 "--epochs", "3", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["tokens"] == round(3 * CHARS * spec.tokens_per_char) * 3 and data["tuning_mode"] == mode
    assert find_model(model.display_name) is not None
    assert main(["cost", "--input", str(tiny), "--model", model.display_name, "--tuning-mode", "HALF"]) == 2
    assert main(["cost", "--input", str(tiny), "--model", "Mistral 7B"]) == 1


def test_examples_over_the_model_limit_are_named_in_the_estimate(tmp_path: Path) -> None:
    """Data prepared before the model was chosen can hold examples longer than the model accepts: the
    estimate says so (the longest, the limit, that tuning truncates them, how to leave them out)."""
    model, mode, _ = _priced_open_model()
    limit = model.max_seq_len
    long_row = {"messages": [{"role": "user", "content": "Summarise this."},
                             {"role": "assistant", "content": "word " * (limit * 2)}]}  # ≥ 2 × limit tokens
    est = estimate_training_cost(write_jsonl(tmp_path / "long.jsonl", [ROW, long_row]), model.base_model, mode, 1)
    warning = next(a for a in est.assumptions if a.startswith("the longest example"))
    assert f"over the {limit:,} {model.display_name} accepts" in warning and "drop-long" in warning
    short = estimate_training_cost(write_jsonl(tmp_path / "short.jsonl", [ROW]), model.base_model, mode, 1)
    assert not any(a.startswith("the longest example") for a in short.assumptions)
