"""split: hold out a validation set, or not — the user decides.

Proposes 80/20 (or uses a validation file the user named). The service limits
(validation ≤ 25 % of the training bytes and ≤ 5000 rows) are enforced later, when the
files are written, and any shrinking is reported then.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, Field, create_model

from graph import parse
from graph.approvals import await_decision, propose
from graph.common import combine, facts, rec, say
from graph.deps import Deps
from graph.state import TuningState
from knowledge import load_catalog

NAME = "split"

ACTION = "split_validation"


def max_share(category: str | None) -> float:
    """The largest share of the rows that can be held out within the service limit (knowledge/limits).

    The validation file may be at most a ratio r of the training file (25 % of its bytes for
    open models, 30 % of its examples for Gemini), so at most r / (1 + r) of all rows: 20 % and
    23 %, rounded down to a whole percent."""
    limits = load_catalog().limits
    ratio = limits.gemini_validation_max_ratio if category == "gemini" else limits.validation_max_bytes_ratio
    return math.floor(ratio / (1 + ratio) * 100 + 1e-9) / 100


def _args_model(most: float) -> type[BaseModel]:
    return create_model("SplitArgs", validation_split=(float, Field(gt=0, le=most)))


def _too_large(share: float, most: float, category: str | None) -> str:
    limits = load_catalog().limits
    rule = (f"{limits.gemini_validation_max_ratio:.0%} of the training examples" if category == "gemini" else
            f"{limits.validation_max_bytes_ratio:.0%} of the training file's size")
    return (f"**{share:.0%}** is more than can be held out: the service takes a validation file of at most {rule}, "
            f"so the most is **{most:.0%}** of the rows. Say a share up to {most:.0%}, approve "
            f"{most:.0%}, or say no to train on everything.")


def _decided(split: float) -> dict[str, Any]:
    if split <= 0:
        return combine({"dataset": {"split_decided": True, "validation_split": 0.0}},
                       say("No validation file: all rows go to training."))
    return combine({"dataset": {"split_decided": True, "validation_split": split}},
                   say(f"Validation split: {split:.0%} of the rows (seeded, reproducible)."))


def done(state: TuningState) -> bool:
    """Validation decided (a split, a validation file, or none)."""
    return bool((state.get("dataset") or {}).get("split_decided"))


def run(state: TuningState, deps: Deps) -> dict[str, Any]:
    known = facts(state)
    if known.get("validation_dataset"):
        return combine({"dataset": {"validation_source": known["validation_dataset"], "split_decided": True,
                                    "validation_split": 0.0}, "facts": {"validation_dataset": None}},
                       say(f"Using **{known['validation_dataset']}** as the validation file."))
    pending = state.get("pending") or {}
    if pending.get("action") != ACTION:
        limits = load_catalog().limits
        rows = rec(state, "dataset").get("rows") or 0
        proposal = known.get("validation_split") or limits.proposed_validation_split
        return propose("split", ACTION, {"validation_split": proposal},
                       f"You have only training data ({rows:,} rows). Hold out **{proposal:.0%}** as a "
                       f"validation set to measure generalisation?\n\nThe service accepts a validation file up "
                       f"to {limits.validation_max_bytes_ratio:.0%} of the training file's size and "
                       f"{limits.validation_max_rows:,} rows; I shrink it to fit if needed and tell you. "
                       "Reject to train on everything.")
    category = state.get("category")
    most = max_share(category)
    outcome = await_decision(state, _args_model(most))
    consumed = {"facts": {"validation_split": None}}
    if outcome.approved:
        return combine(outcome.updates, consumed, _decided(float(outcome.args["validation_split"])))
    ratio = parse.validation_split(outcome.message or "")
    if ratio is not None and ratio > most:
        # Asked for more than the limit allows: say the most, and the card stays open.
        rows = rec(state, "dataset").get("rows") or 0
        return combine(outcome.updates, consumed, propose(
            "split", ACTION, {"validation_split": most},
            f"{_too_large(ratio, most, category)}\n\nYou have {rows:,} rows. Hold out **{most:.0%}**?"))
    if ratio is not None and ratio > 0:
        return combine(outcome.updates, consumed, _decided(ratio))
    return combine(outcome.updates, consumed, _decided(0.0))
