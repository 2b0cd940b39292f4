"""`tuning-agent models list`: the models tuning-agent can tune, from the catalog or live."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("models", help="list the models that can be tuned")
    sub = parser.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    lst = sub.add_parser("list", help="List tunable models (catalog; --live checks Vertex AI).")
    lst.add_argument("--category", choices=["open", "gemini"], help="Only this category.")
    lst.add_argument("--live", action="store_true",
                     help="Check each name against Vertex AI's live publisher-model list.")
    lst.add_argument("--json", action="store_true", help="Print JSON.")
    lst.set_defaults(handler=list_models)


def _rows(category: str | None, live: list[str] | None) -> list[dict[str, Any]]:
    from knowledge import active_gemini_models, load_catalog
    from tools.vertex.models_live import is_live

    rows: list[dict[str, Any]] = []
    if category in (None, "open"):
        for m in load_catalog().open_models:
            rows.append({"name": m.base_model, "display_name": m.display_name, "category": "open",
                         "modes": list(m.modes), "max_seq_len": m.max_seq_len,
                         "live": is_live(m.base_model, live) if live is not None else None})
    if category in (None, "gemini"):
        for g in active_gemini_models():
            rows.append({"name": g.id, "display_name": g.display_name, "category": "gemini",
                         "regions": g.tuning_regions, "adapter_sizes": g.adapter_sizes,
                         "live": is_live(g.id, live) if live is not None else None})
    return rows


def list_models(args: argparse.Namespace) -> int:
    from agent.commands.common import print_json

    live: list[str] | None = None
    source, note = "catalog", ""
    if args.live:
        from tools.vertex.models_live import live_models

        found = live_models()
        source, note = found.source, found.note
        live = found.names if found.source == "live" else None
    rows = _rows(args.category, live)
    if args.json:
        print_json({"source": source, "note": note, "models": rows})
        return 0
    if note:
        print(note)
    width = max((len(r["name"]) for r in rows), default=10)
    for r in rows:
        detail = ", ".join(r.get("modes") or r.get("regions") or [])
        mark = "" if r["live"] is None else ("  live" if r["live"] else "  NOT LIVE")
        print(f"{r['name']:<{width}}  {r['category']:<6}  {r['display_name']} ({detail}){mark}")
    return 0
