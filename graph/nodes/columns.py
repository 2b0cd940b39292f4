"""columns: show the columns and samples, recommend a mapping, and get it confirmed.

Nothing is converted before this confirmation. Known shapes (chat messages, ShareGPT,
Alpaca, prompt/completion, Gemini contents) need no mapping, only a yes.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, create_model, field_validator

from graph import advisor, parse
from graph.approvals import await_decision, propose
from graph.common import combine, md_table, rec, say
from graph.deps import Deps
from graph.state import DatasetRecord, TuningState

NAME = "columns"

ACTION = "confirm_column_mapping"
PLAIN = {"plain", "columns", "plain_columns", None}


def _args_model(columns: list[str]) -> type[BaseModel]:
    """A pydantic model whose validators accept only this dataset's columns."""

    def _known(value: str | None) -> str | None:
        if value in (None, "", "none", "None"):
            return None
        if value not in columns:
            raise ValueError(f"column {value!r} does not exist; columns are: {', '.join(columns)}")
        return value

    class Base(BaseModel):
        @field_validator("prompt_column", "completion_column", "system_column", check_fields=False)
        @classmethod
        def _check(cls, value: str | None) -> str | None:
            return _known(value)

    return create_model("MappingArgs", __base__=Base, prompt_column=(str, ...), completion_column=(str, ...),
                        system_column=(str | None, None))


def _samples_table(ds: DatasetRecord) -> str:
    columns: list[str] = ds.get("columns") or []
    rows = [[row.get(c) for c in columns[:6]] for row in (ds.get("samples") or [])[:3]]
    return md_table(columns[:6], rows) if columns else ""


def _alternatives(alternatives: dict[str, Any]) -> str:
    """Other columns that could play each role, best first (so a second choice is one word away)."""
    lines = []
    for role, choices in alternatives.items():
        named = [f"`{c.column}` ({c.reason})" for c in choices if c.score > 0][:2]
        if named:
            lines.append(f"- {role}: {'; '.join(named)}")
    if not lines:
        return ""
    return "\n\nOther possible mappings (say e.g. `prompt=COLUMN completion=COLUMN`):\n" + "\n".join(lines)


def _recommend(ds: DatasetRecord, deps: Deps) -> tuple[dict[str, Any], str]:
    from tools.data import Inspection, recommend_mapping

    rec_ = recommend_mapping(Inspection.model_validate(ds["inspection"]))
    mapping = {"prompt_column": rec_.prompt, "completion_column": rec_.completion, "system_column": rec_.system}
    reasons = "\n".join(f"- {role}: {why}" for role, why in rec_.reasons.items())
    reasons += _alternatives(rec_.alternatives)
    llm_choice = advisor.map_columns(deps.llm, ds["columns"], ds.get("samples") or [], mapping)
    if llm_choice and llm_choice != mapping:
        reasons += "\n- The language model prefers this mapping after reading the samples; the heuristic " \
                   f"suggested {mapping['prompt_column']} → {mapping['completion_column']}."
        mapping = llm_choice
    return mapping, reasons


def done(state: TuningState) -> bool:
    """The column mapping is confirmed."""
    return bool((state.get("dataset") or {}).get("mapping_confirmed"))


def run(state: TuningState, deps: Deps) -> dict[str, Any]:
    ds = rec(state, "dataset")
    shape = ds.get("shape")
    pending = state.get("pending") or {}
    if pending.get("action") != ACTION:
        table = _samples_table(ds)
        if shape not in PLAIN:
            return propose("columns", ACTION, {"shape": shape},
                           f"Your data is already in **{shape}** shape, so it converts without a column "
                           f"mapping.\n\n{table}\n\nConvert it as {shape}?", allowed=("approve", "reject"))
        mapping, reasons = _recommend(ds, deps)
        return propose("columns", ACTION, mapping,
                       f"Columns: {', '.join(f'`{c}`' for c in ds['columns'])}\n\n{table}\n\n"
                       f"Recommended mapping — prompt: **{mapping['prompt_column'] or '—'}**, completion: "
                       f"**{mapping['completion_column'] or '—'}**, system: **{mapping['system_column'] or '—'}**\n"
                       f"{reasons}\n\nApprove, edit the columns, or tell me which to use.")
    model = None if shape not in PLAIN else _args_model(ds["columns"])
    outcome = await_decision(state, model)
    if outcome.approved:
        return combine(outcome.updates, {"dataset": {"mapping": outcome.args, "mapping_confirmed": True}},
                       say("Mapping confirmed."))
    named = parse.column_mapping(outcome.message or "", ds.get("columns") or [])
    if shape in PLAIN and {"prompt_column", "completion_column"} <= set(named):
        mapping = {"system_column": None, **named}
        return combine(outcome.updates, {"dataset": {"mapping": mapping, "mapping_confirmed": True}},
                       say(f"Using prompt **{mapping['prompt_column']}** and completion "
                           f"**{mapping['completion_column']}**."))
    if shape not in PLAIN:
        return combine(outcome.updates, {"dataset": {"shape": "plain"}},
                       say("Then let's map the columns by hand."))
    return combine(outcome.updates, say("Tell me the columns as `prompt=COLUMN completion=COLUMN`, or edit the "
                                        f"card. Columns: {', '.join(ds['columns'])}."))
