"""Catalog-grounded recommendations: which task, which models, which hyperparameters.

Pure functions over `knowledge/`; the LLM may phrase the rationale, but every model it
could name comes from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from knowledge import (
    GeminiModel,
    LocalModel,
    OpenModel,
    SizeBand,
    TaskGuide,
    active_gemini_models,
    load_catalog,
)


def detect_task(text: str | None) -> TaskGuide:
    """The task guide whose keywords best match `text` (the `general` guide otherwise)."""
    tasks = load_catalog().tasks
    low = (text or "").lower()
    scored = [(sum(kw in low for kw in t.keywords), t) for t in tasks]
    best = max(scored, key=lambda pair: pair[0])
    return best[1] if best[0] > 0 else next(t for t in tasks if t.name == "general")


@dataclass
class ModelSuggestion:
    """One suggested model with the reasons for and against it."""

    role: str  # "open", "gemini" or "general pick"
    model: OpenModel | GeminiModel
    why: str
    pros: list[str] = field(default_factory=list)
    cons: list[str] = field(default_factory=list)


def _pick_open(task: TaskGuide) -> OpenModel:
    catalog = load_catalog()
    low, high = catalog.sizes[task.size_hint]
    pool = [m for m in catalog.open_models if not m.multimodal and m.instruct]
    if task.name == "medical":
        medical = [m for m in pool if "medical" in m.domains]
        if medical:
            return medical[0]
    pool = [m for m in pool if not m.domains]
    fitting = [m for m in pool if low <= m.size_b <= high and m.lineage in task.open_lineages]
    priced = [m for m in fitting if any(s.price_per_1m_tokens for s in m.modes.values())]
    candidates = priced or fitting or pool
    # Prefer the task's first lineage, then the newest generation, then PEFT support, then the larger size.
    lineages = task.open_lineages
    candidates.sort(key=lambda m: (lineages.index(m.lineage) if m.lineage in lineages else 9,
                                   -m.generation, "PEFT_ADAPTER" not in m.modes, -m.size_b))
    return candidates[0]


def _pick_gemini(task: TaskGuide, today: date | None) -> GeminiModel:
    active = active_gemini_models(today)
    same_tier = [m for m in active if m.tier == task.gemini_tier]
    pool = same_tier or active
    pool.sort(key=lambda m: m.ga_date or date.min, reverse=True)
    return pool[0]


def _open_price(model: OpenModel) -> str:
    prices = [s.price_per_1m_tokens for s in model.modes.values() if s.price_per_1m_tokens]
    return f"${min(prices):.2f} per 1M training tokens" if prices else "no published training price"


def suggest_models(purpose: str | None, today: date | None = None) -> list[ModelSuggestion]:
    """Three suggestions for a purpose: one open model, one Gemini model, one general pick."""
    task = detect_task(purpose)
    open_model = _pick_open(task)
    gemini = _pick_gemini(task, today)
    open_s = ModelSuggestion(
        "open", open_model, task.note,
        pros=[f"{open_model.size_b:g}B parameters, {_open_price(open_model)}",
              "you own the weights: deploy anywhere, or try it locally first",
              "modes: " + ", ".join("LoRA" if m == "PEFT_ADAPTER" else "full" for m in open_model.modes)],
        cons=["you deploy and pay for serving hardware by the hour",
              f"max sequence length {open_model.max_seq_len} tokens"],
    )
    price = (f"${gemini.price_per_1m_tokens:g} per 1M training tokens"
             + ("" if gemini.price_verified else " (unverified)")) if gemini.price_per_1m_tokens else \
        "training price not published in our sources"
    gemini_s = ModelSuggestion(
        "gemini", gemini, f"{gemini.display_name} is the current {gemini.tier} tier.",
        pros=["no serving to manage: the tuned model gets an endpoint automatically",
              f"long examples (up to {gemini.max_example_tokens:,} tokens)", price],
        cons=[f"tunes only in {', '.join(gemini.tuning_regions)}", "weights stay with Google",
              gemini.serving or "served by Google"],
    )
    general_model: OpenModel | GeminiModel = gemini if task.gemini_tier == "flash-lite" else open_model
    general = ModelSuggestion(
        "general pick", general_model,
        "Cheapest way to a useful first result for this task; tune, look at the answers, then scale up.",
        pros=["good first experiment"], cons=["may need a larger model for harder tasks"],
    )
    return [open_s, gemini_s, general]


def size_band(rows: int) -> SizeBand:
    """The heuristic band for a training set of `rows` examples."""
    return next(b for b in load_catalog().size_bands if rows <= b.max_examples)


def recommend_hparams(model: OpenModel | GeminiModel | LocalModel, rows: int) -> dict[str, object]:
    """Hyperparameters from the catalog baseline adjusted by the dataset-size heuristics."""
    band = size_band(rows)
    if isinstance(model, GeminiModel):
        sizes = model.adapter_sizes
        adapter = max((s for s in sizes if s <= band.adapter_size), default=sizes[0])
        return {"tuning_mode": None, "epochs": band.epochs, "learning_rate": None,
                "learning_rate_multiplier": 1.0 if band.lr_factor >= 1 else 0.5, "adapter_size": adapter,
                "reason": band.advice}
    if isinstance(model, LocalModel):
        return {"tuning_mode": "FULL" if model.full_tuning else "PEFT_ADAPTER", "epochs": model.epochs,
                "learning_rate": model.learning_rate, "learning_rate_multiplier": None,
                "adapter_size": model.lora_rank or None, "reason": "Local model defaults."}
    mode = band.mode if band.mode in model.modes else model.default_mode()
    spec = model.modes[mode]
    open_adapter: int | None = band.adapter_size if mode == "PEFT_ADAPTER" else None
    factor = band.lr_factor if mode == band.mode else 1.0
    return {"tuning_mode": mode, "epochs": min(band.epochs, spec.epochs),
            "learning_rate": spec.learning_rate * factor, "learning_rate_multiplier": None,
            "adapter_size": open_adapter, "reason": band.advice}
