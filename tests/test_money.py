"""Money is written so that no markdown renderer reads it as math (tools/money.py)."""

from __future__ import annotations

import json
from pathlib import Path

from tools import money
from tools.cost import estimate_training_cost
from tools.recommend import suggest_models


def test_amounts_carry_the_currency_code_and_no_dollar_sign() -> None:
    assert money.usd(3) == "USD 3.00"
    assert money.usd(1234.5) == "USD 1,234.50"
    assert money.usd(0.004) == "under USD 0.01"
    assert money.per_hour(1.15) == "USD 1.15/hour"
    assert money.per_million_tokens(0.5) == "USD 0.5 per 1M training tokens"


def test_cost_labels_and_suggestion_tables_have_no_dollar_sign(tmp_path: Path) -> None:
    data = tmp_path / "train.jsonl"
    record = {"messages": [{"role": "user", "content": "question"}, {"role": "assistant", "content": "a"}]}
    data.write_text("".join(json.dumps(record) + "\n" for _ in range(20)))
    est = estimate_training_cost(data, "gemini-2.5-flash", epochs=3)
    assert "$" not in est.label and "$" not in " ".join(est.assumptions)
    for pick in suggest_models("answer trivia questions"):
        assert "$" not in " ".join(pick.pros + pick.cons)
