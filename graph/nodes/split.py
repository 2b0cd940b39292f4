"""split: hold out a validation set, or not — the user decides.

Proposes 80/20, or less when 20 % would hold out more rows than the service accepts (or uses a
validation file the user named). The service limits (`limit_rule`,
the one wording of them) are enforced later, when the files are written, and any shrinking
is reported then. The count held out is round(rows × share), as `tools.data.split` writes it.
"""

from __future__ import annotations

import math
import re
from typing import Any

from pydantic import BaseModel, Field, create_model

from graph import parse
from graph.approvals import await_decision, propose
from graph.common import combine, facts, rec, say
from graph.deps import Deps
from graph.state import TuningState
from knowledge import load_catalog
from tools.data.split import validation_rows

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


def pct(share: float) -> str:
    """A share as a percentage with only the decimals it needs (20%, 5.1%)."""
    return f"{share * 100:.3f}".rstrip("0").rstrip(".") + "%"


def fitting_share(rows: int, share: float, category: str | None) -> float:
    """`share`, or less when `rows` × share would hold out more rows than the service accepts: the largest
    share (in tenths of a percent, finer only for millions of rows) whose count stays within the limit."""
    cap = _cap(category)
    if not rows or validation_rows(rows, share) <= cap:
        return share
    for step in (1000, 100_000):
        fit = math.floor(cap / rows * step) / step
        while fit > 0 and validation_rows(rows, fit) > cap:
            fit = round(fit - 1 / step, 6)
        if fit > 0:
            return fit
    return share  # more rows than any share can express: the files are trimmed when written


def _cap(category: str | None) -> int:
    limits = load_catalog().limits
    return limits.gemini_validation_max_rows if category == "gemini" else limits.validation_max_rows


def _count(rows: int, share: float) -> str:
    """" (N rows)" for a share of `rows`, as the files will hold it; empty when the count is unknown."""
    return f" ({validation_rows(rows, share):,} rows)" if rows else ""


def _category_words(category: str | None) -> str:
    return "Gemini models" if category == "gemini" else "open models"


def _args_model(most: float) -> type[BaseModel]:
    return create_model("SplitArgs", validation_split=(float, Field(gt=0, le=most)))


def limit_rule(category: str | None) -> str:
    """The validation limit for `category`, in the one wording the card, the refusal and the README use."""
    limits = load_catalog().limits
    most = max_share(category)
    if category == "gemini":
        why = (f"the validation file may hold at most {limits.gemini_validation_max_ratio:.0%} as many "
               f"examples as the training file, and at most {limits.gemini_validation_max_rows:,} rows")
    else:
        why = (f"the validation file may be at most {limits.validation_max_bytes_ratio:.0%} of the training "
               f"file's size, and at most {limits.validation_max_rows:,} rows")
    return f"at most **{most:.0%}** of the rows can be held out ({why})"


def _too_large(share: float, most: float, category: str | None) -> str:
    return (f"**{share:.0%}** is more than can be held out: {limit_rule(category)}, so the most is "
            f"**{most:.0%}**. Say a share up to {most:.0%}, approve {most:.0%}, or say no to train on everything.")


#: "hold out 150": a number said without a percent sign (rows? percent?), read by `_not_a_share`.
_BARE = re.compile(r"\bhold(?:ing)?[- ]?out\s+(-?\d+(?:\.\d+)?)\s*(?:rows?|examples?)?\s*[.!]?\s*$", re.I)


def refusal(share: float, category: str | None) -> str | None:
    """Why `share` can't be held out (negative, or more than the service accepts); None when it can."""
    most = max_share(category)
    if share < 0:
        return (f"**{pct(share)}** can't be held out: a share is between 0% and {most:.0%}. Say a share up to "
                f"{most:.0%}, approve the card, or say no to train on everything.")
    return _too_large(share, most, category) if share > most else None


def _not_a_share(message: str, category: str | None) -> str | None:
    """What to say to a number without a percent sign ("hold out 150"): it is not read as a share."""
    bare = _BARE.search(message)
    if not bare:
        return None
    most = max_share(category)
    return (f"**{bare.group(1)}** is not a share I can use: say it in percent, up to {most:.0%} "
            f"(e.g. `hold out 10%`), approve the card, or say no to train on everything.")


def _decided(split: float, rows: int) -> dict[str, Any]:
    if split <= 0:
        return combine({"dataset": {"split_decided": True, "validation_split": 0.0}},
                       say("No validation file: all rows go to training."))
    held = validation_rows(rows, split)
    count = f" — **{held:,}** of your {rows:,} rows ({held / rows:.0%})" if rows and held else ""
    return combine({"dataset": {"split_decided": True, "validation_split": split}},
                   say(f"Validation split: {pct(split)} of the rows (seeded, reproducible){count}."))


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
        usual = limits.proposed_validation_split
        asked = known.get("validation_split")
        refused = refusal(float(asked), state.get("category")) if asked is not None else None
        if refused:  # said at a later card ("hold out 200%"): the card opens with what can be held out
            asked = max_share(state.get("category")) if float(asked or 0) > 0 else None
            note = {**say(refused), "facts": {"validation_split": None}}
        else:
            note = {}
        proposal = asked or fitting_share(rows, usual, state.get("category"))
        why = "" if proposal >= usual or asked else (
            f" (not the usual {pct(usual)}: that would be {validation_rows(rows, usual):,} rows, and the service "
            f"accepts at most {_cap(state.get('category')):,} "
            "validation rows)")
        return combine(note, propose("split", ACTION, {"validation_split": proposal},
                       f"You have only training data ({rows:,} rows). Hold out **{pct(proposal)}**"
                       f"{_count(rows, proposal)} as a validation set to measure generalisation{why}?\n\n"
                       f"For {_category_words(state.get('category'))}, {limit_rule(state.get('category'))}; "
                       "I shrink it to fit if needed and tell you. Reject to train on everything."))
    category = state.get("category")
    most = max_share(category)
    outcome = await_decision(state, _args_model(most))
    consumed = {"facts": {"validation_split": None}}
    rows = rec(state, "dataset").get("rows") or 0
    if outcome.approved:
        return combine(outcome.updates, consumed, _decided(float(outcome.args["validation_split"]), rows))
    ratio = parse.validation_split(outcome.message or "")
    refused = refusal(ratio, category) if ratio is not None else _not_a_share(outcome.message or "", category)
    if refused:
        # More than the limit allows, negative, or not a share: say why, and the card stays open (with
        # the most that can be held out when more was asked for).
        shown = float((pending.get("args") or {}).get("validation_split") or most)
        share = most if ratio is not None and ratio > most else shown
        return combine(outcome.refused(), consumed, propose(
            "split", ACTION, {"validation_split": share},
            f"{refused}\n\nYou have {rows:,} rows. Hold out **{pct(share)}**?"))
    if ratio is not None and ratio > 0:
        return combine(outcome.updates, consumed, _decided(ratio, rows))
    return combine(outcome.updates, consumed, _decided(0.0, rows))
