"""The LLM as an advisor: structured answers that the graph checks, with deterministic fallbacks.

Every function here returns None (or the fallback) when there is no LLM, when the call
fails, or when its output names a model, column or region that does not exist. Nothing
here can act: the graph decides what to do with the advice.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel, Field

from graph import prompts
from knowledge import find_model, valid_regions

log = logging.getLogger(__name__)


class ExtractedFacts(BaseModel):
    """Facts an LLM may read from one message (all optional)."""

    purpose: str | None = Field(default=None, description="what the tuned model should do")
    category: str | None = Field(default=None, description="'open' or 'gemini'")
    model: str | None = Field(default=None, description="a model the person names")
    project: str | None = None
    region: str | None = None
    dataset: str | None = Field(default=None, description="a file path, gs:// URI or Hugging Face id")
    validation_split: float | None = None
    answer: str | None = Field(default=None, description="approve, reject, or the answer in their words")
    side_question: str | None = None


class ColumnChoice(BaseModel):
    prompt_column: str
    completion_column: str
    system_column: str | None = None


class Answer(BaseModel):
    text: str


def _structured(llm: Any, schema: type[BaseModel], prompt: str) -> Any:
    if llm is None:
        return None
    try:
        return llm.with_structured_output(schema).invoke(prompt)
    except Exception as err:  # any provider error falls back to the deterministic path
        log.warning("LLM call failed (%s); using the deterministic path", type(err).__name__)
        return None


def extract_facts(llm: Any, text: str, pending: str, category: str | None) -> dict[str, Any]:
    """Checked facts from one message; an empty dict without an LLM or on bad output."""
    raw = _structured(llm, ExtractedFacts, prompts.EXTRACT_FACTS.format(pending=pending, text=text))
    if not isinstance(raw, ExtractedFacts):
        return {}
    out: dict[str, Any] = {}
    if raw.category in {"open", "gemini"}:
        out["category"] = raw.category
    if raw.model:
        out["model"] = raw.model  # checked later against the catalog (nearest_supported)
    if raw.region and raw.region in set(valid_regions("open")) | set(valid_regions("gemini")):
        out["region"] = raw.region
    if raw.project:
        out["project"] = raw.project.strip()
    if raw.dataset:
        out["dataset"] = raw.dataset.strip()
    if raw.validation_split is not None and 0 <= raw.validation_split < 0.5:
        out["validation_split"] = raw.validation_split
    if raw.purpose:
        out["purpose"] = raw.purpose
    if raw.answer:
        out["answer_text"] = raw.answer
    if raw.side_question:
        out["side_question"] = raw.side_question
    if raw.model and find_model(raw.model) is not None:
        out["model"] = find_model(raw.model).base_model  # type: ignore[union-attr]
    return out


def map_columns(llm: Any, columns: list[str], samples: list[dict[str, Any]],
                heuristic: dict[str, Any]) -> dict[str, Any] | None:
    """An LLM column mapping, only if every column it names exists."""
    shown = [{k: str(v)[:200] for k, v in row.items()} for row in samples[:3]]
    raw = _structured(llm, ColumnChoice, prompts.MAP_COLUMNS.format(
        columns=", ".join(columns), heuristic=heuristic, samples=shown))
    if not isinstance(raw, ColumnChoice):
        return None
    chosen = [raw.prompt_column, raw.completion_column] + ([raw.system_column] if raw.system_column else [])
    if any(c not in columns for c in chosen) or raw.prompt_column == raw.completion_column:
        log.warning("LLM column mapping named unknown or duplicate columns: %s", chosen)
        return None
    return raw.model_dump()


def rationale(llm: Any, purpose: str, suggestions: str) -> str | None:
    """A short LLM rationale for catalog suggestions (None without an LLM)."""
    raw = _structured(llm, Answer, prompts.RATIONALE.format(purpose=purpose, suggestions=suggestions))
    return raw.text if isinstance(raw, Answer) else None


def answer_question(llm: Any, question: str) -> str:
    """A short answer from the best-matching `knowledge/texts` section, naming it (tools/answers.py).

    With an LLM, the model rephrases the same top sections (grounded); on any failure, or an
    empty reply, the deterministic answer stands.
    """
    from tools.answers import Answer as Found
    from tools.answers import answer, grounded_prompt, rank

    found = answer(question)
    best = rank(question, k=1)
    if best and "checklist" in best[0][0].title.lower():
        found = Found(best[0][0].body, found.source)  # a checklist is shown whole: every step matters
    raw = _structured(llm, Answer, grounded_prompt(question)) if found.found else None
    if isinstance(raw, Answer) and raw.text.strip():
        text = raw.text.strip()
        return text if "source:" in text.lower() else f"{text}\n(Source: {found.source})"
    return found.render()
