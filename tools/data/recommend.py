"""Propose which columns are the prompt, the completion and the system prompt — without an LLM.

Each text column is profiled on the first rows (length, emptiness, variety, how
question-like it reads) and scored by its name and its content. Known shapes
(chat messages, ShareGPT, Alpaca, Gemini, prompt/completion) need no mapping at all.
"""

from __future__ import annotations

import math
import re
from typing import Any

from tools.data.models import ColumnChoice, ColumnInfo, Inspection, MappingRecommendation

_PROMPT_NAMES = {"prompt": 3.0, "question": 3.0, "instruction": 2.5, "query": 2.5, "input": 2.0,
                 "user": 2.0, "request": 2.0, "problem": 2.0, "text": 1.0, "context": 0.8,
                 "source": 1.0, "title": 0.5, "human": 2.0, "ask": 1.5}
_COMPLETION_NAMES = {"completion": 3.0, "answer": 3.0, "response": 3.0, "output": 2.5, "target": 2.0,
                     "reply": 2.5, "solution": 2.5, "assistant": 2.0, "summary": 2.0, "label": 1.0,
                     "chosen": 2.0, "gpt": 2.0, "result": 1.5, "translation": 1.5, "bot": 1.5}
_SYSTEM_NAMES = {"system": 3.0, "system_prompt": 3.5, "persona": 2.0, "role": 0.5, "preamble": 2.0}
_QUESTION_START = re.compile(
    r"^\s*(who|what|when|where|why|how|which|is|are|can|could|does|do|did|should|would|will|explain|"
    r"describe|write|summari[sz]e|translate|list|give|tell|classify|generate|create|find|please)\b",
    re.IGNORECASE)
_SHAPE_WORDS = {
    "messages": "chat `messages` (roles and contents)",
    "prompt_completion": "`prompt`/`completion` pairs",
    "gemini": "Gemini `contents` with `parts`",
    "sharegpt": "ShareGPT (`conversations` with `from`/`value`)",
    "alpaca": "Alpaca (`instruction`/`input`/`output`)",
}


def question_like(text: str) -> bool:
    """A value that reads like a question or a request."""
    stripped = text.strip()
    return stripped.endswith("?") or bool(_QUESTION_START.match(stripped))


def profile_columns(columns: list[ColumnInfo], records: list[dict[str, Any]]) -> list[ColumnInfo]:
    """Fill the per-column statistics the recommender scores on (from the given rows)."""
    out = []
    for col in columns:
        values = [r.get(col.name) for r in records]
        texts = [v for v in values if isinstance(v, str) and v.strip()]
        empty = sum(1 for v in values if v is None or (isinstance(v, str) and not v.strip())
                    or (isinstance(v, float) and math.isnan(v)))
        n = len(values) or 1
        out.append(col.model_copy(update={
            "avg_chars": round(sum(len(t) for t in texts) / len(texts), 1) if texts else 0.0,
            "empty_fraction": round(empty / n, 3),
            "distinct_fraction": round(len(set(texts)) / len(texts), 3) if texts else 0.0,
            "question_fraction": (round(sum(question_like(t) for t in texts) / len(texts), 3)
                                  if texts else 0.0),
        }))
    return out


def _name_score(name: str, table: dict[str, float]) -> tuple[float, str | None]:
    low = name.strip().lower()
    if low in table:
        return table[low], low
    tokens = re.split(r"[^a-z0-9]+", low)
    best = max(((table[t], t) for t in tokens if t in table), default=(0.0, None))
    return best[0] * 0.8, best[1]


def _is_text(col: ColumnInfo) -> bool:
    return col.type in ("string", "large_string", "str", "empty") or col.type.startswith("string")


def _scores(col: ColumnInfo, longest: float) -> dict[str, tuple[float, str]]:
    """Score one column for each role, with the reason in words."""
    avg = col.avg_chars or 0.0
    empty = col.empty_fraction or 0.0
    distinct = col.distinct_fraction or 0.0
    question = col.question_fraction or 0.0
    text_ok = _is_text(col) and avg > 0
    facts = f"avg {avg:.0f} chars, {distinct:.0%} distinct, {empty:.0%} empty"
    penalty = 0.0 if text_ok else -6.0
    if text_ok and avg < 4:
        penalty -= 2.0  # ids, flags and labels are rarely the text to learn from
    result: dict[str, tuple[float, str]] = {}
    p_name, p_word = _name_score(col.name, _PROMPT_NAMES)
    c_name, c_word = _name_score(col.name, _COMPLETION_NAMES)
    s_name, s_word = _name_score(col.name, _SYSTEM_NAMES)
    length_share = avg / longest if longest else 0.0
    p_score = 2 * p_name + 2.0 * question + distinct - 2 * empty + penalty
    c_score = 2 * c_name + 1.5 * length_share + distinct - 0.5 * question - 2 * empty + penalty
    s_score = 2 * s_name + (1.5 if text_ok and distinct <= 0.2 and avg >= 20 else 0.0) - 2 * empty + penalty
    result["prompt"] = (p_score, "; ".join(filter(None, [
        f"named like a prompt ({p_word!r})" if p_word else None,
        f"{question:.0%} of values read like questions or requests" if question >= 0.3 else None,
        facts if text_ok else f"not text ({col.type})"])))
    result["completion"] = (c_score, "; ".join(filter(None, [
        f"named like an answer ({c_word!r})" if c_word else None,
        "the longest text column" if text_ok and length_share >= 0.999 else None,
        facts if text_ok else f"not text ({col.type})"])))
    result["system"] = (s_score, "; ".join(filter(None, [
        f"named like a system prompt ({s_word!r})" if s_word else None,
        "the same long text on most rows" if text_ok and distinct <= 0.2 and avg >= 20 else None,
        facts if text_ok else f"not text ({col.type})"])))
    return result


def recommend_mapping(inspection: Inspection) -> MappingRecommendation:
    """The best prompt / completion (/ system) columns, alternatives, and a reason for each choice."""
    shape = inspection.shape
    if shape != "plain":
        return MappingRecommendation(
            shape=shape, prompt=None, completion=None, needs_mapping=False,
            reasons={"shape": f"Already {_SHAPE_WORDS[shape]}: converts to any target format "
                              "without a column mapping."})
    columns = inspection.columns
    if columns and columns[0].avg_chars is None:
        columns = profile_columns(columns, inspection.samples)
    longest = max((c.avg_chars or 0.0 for c in columns if _is_text(c)), default=0.0)
    table = {c.name: _scores(c, longest) for c in columns}

    def ranked(role: str, exclude: set[str]) -> list[ColumnChoice]:
        items = [ColumnChoice(column=name, score=round(s[role][0], 2), reason=s[role][1])
                 for name, s in table.items() if name not in exclude]
        return sorted(items, key=lambda c: -c.score)

    text_cols = [c.name for c in columns if _is_text(c)]
    # The prompt must be text; a short numeric or boolean answer ("4", "true") can be the completion.
    if not text_cols or len(columns) < 2:
        return MappingRecommendation(
            shape=shape, prompt=None, completion=None, needs_mapping=True,
            alternatives={"prompt": ranked("prompt", set()), "completion": ranked("completion", set())},
            reasons={"shape": f"Found {len(text_cols)} text column(s) ({', '.join(text_cols) or 'none'}); "
                              "a prompt and a completion column are needed."})
    prompt_rank = ranked("prompt", set())
    completion_rank = ranked("completion", set())
    # Choose the pair with the best combined score (a column cannot play both roles).
    best = max(((p, c) for p in prompt_rank[:4] for c in completion_rank[:4] if p.column != c.column),
               key=lambda pc: pc[0].score + pc[1].score)
    prompt, completion = best
    system_rank = [c for c in ranked("system", {prompt.column, completion.column}) if c.score >= 2.0]
    system = system_rank[0] if system_rank else None
    reasons = {"prompt": prompt.reason, "completion": completion.reason}
    if system:
        reasons["system"] = system.reason
    return MappingRecommendation(
        shape=shape, prompt=prompt.column, completion=completion.column,
        system=system.column if system else None, needs_mapping=True,
        alternatives={
            "prompt": [c for c in prompt_rank if c.column != prompt.column][:3],
            "completion": [c for c in completion_rank if c.column != completion.column][:3],
            "system": system_rank[1:4] if system else [],
        },
        reasons=reasons)
