"""`tuning-agent cost`: the estimated training cost of a dataset on a catalog model."""

from __future__ import annotations

import argparse
from typing import Any

from agent.commands.common import print_json


def register(subparsers: Any) -> None:
    """Add `cost`."""
    cost = subparsers.add_parser("cost", help="estimate what tuning a model on a dataset costs",
                                 description="Estimate the training cost (tokens and dollars) of a "
                                 "dataset on a catalog model. Always an estimate.")
    cost.add_argument("--input", required=True, help="dataset file (JSONL in any target format, or a "
                      "source in a known shape)")
    cost.add_argument("--model", required=True, help="catalog model (display name or resource name)")
    cost.add_argument("--tuning-mode", help="PEFT (LoRA adapter) or FULL (open models)")
    cost.add_argument("--epochs", type=int, help="epochs (default: the catalog baseline)")
    cost.add_argument("--json", action="store_true", help="print one JSON object")
    cost.set_defaults(handler=_cost)


def _cost(args: argparse.Namespace) -> int:
    from agent.cli import UsageError
    from tools.cost import estimate_training_cost, normalize_mode
    from tools.errors import ToolError

    if args.epochs is not None and args.epochs < 1:
        raise UsageError(f"--epochs must be at least 1 (got {args.epochs})")
    try:
        mode = normalize_mode(args.tuning_mode)
    except ToolError as err:
        raise UsageError(str(err)) from None
    try:
        estimate = estimate_training_cost(args.input, args.model, mode, args.epochs)
    except ToolError as err:
        if not args.json:
            raise
        print_json({"ok": False, "error": err.message, "hint": err.hint})
        return 1
    if args.json:
        print_json({"ok": True, **estimate.model_dump(mode="json")})
        return 0
    print(estimate.label)
    mode = f", mode {estimate.tuning_mode}" if estimate.tuning_mode else ""
    print(f"  model: {estimate.model} ({estimate.model_id}){mode}, {estimate.epochs} epochs")
    print(f"  {estimate.dataset_tokens:,} dataset tokens × {estimate.epochs} = "
          f"{estimate.tokens:,} training tokens")
    bound = f", ±{estimate.token_error_pct:.1f}%" if estimate.token_error_pct is not None else ""
    print(f"  tokens counted by {estimate.token_method}{bound}: {estimate.token_detail}")
    print("Assumptions:")
    for line in estimate.assumptions:
        print(f"  - {line}")
    return 0
