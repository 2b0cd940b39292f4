"""The three suggestions are three different models, each with pros and cons."""

from __future__ import annotations

from datetime import date

import pytest

from knowledge import GeminiModel, OpenModel
from tools.recommend import suggest_models

TODAY = date(2026, 11, 30)
PURPOSES = [None, "customer support bot", "text to sql for our database", "medical notes", "summarize reports",
            "classify tickets", "I want to tune a model to answer trivia questions"]


@pytest.mark.parametrize("purpose", PURPOSES)
def test_three_different_models(purpose: str | None) -> None:
    picks = suggest_models(purpose, TODAY)
    assert [p.role for p in picks] == ["open", "gemini", "budget pick"]
    assert len({p.model.base_model for p in picks}) == 3
    assert isinstance(picks[0].model, OpenModel) and isinstance(picks[1].model, GeminiModel)
    for pick in picks:
        assert pick.pros and pick.cons and pick.why


def test_budget_pick_is_cheapest_that_fits() -> None:
    open_pick, gemini_pick, budget = suggest_models("customer support bot", TODAY)

    def price(model: OpenModel | GeminiModel) -> float:
        if isinstance(model, GeminiModel):
            return model.price_per_1m_tokens or 1e9
        return min((s.price_per_1m_tokens or 1e9) for s in model.modes.values())

    assert price(budget.model) <= min(price(open_pick.model), price(gemini_pick.model))
    assert "lowest training price among models that fit" in budget.pros[0]
    assert all(pick.price and "$" not in " ".join(pick.pros + pick.cons) for pick in (open_pick, budget)), \
        "prices are kept apart, for the platform to show or not"
    assert "less capable than" in budget.cons[0]


def test_retired_gemini_never_suggested() -> None:
    for pick in suggest_models("summaries", TODAY):
        if isinstance(pick.model, GeminiModel):
            assert not pick.model.is_retired(TODAY)
