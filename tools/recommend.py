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
from tools import money


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

    role: str  # "open", "gemini" or "budget pick"
    model: OpenModel | GeminiModel
    why: str
    pros: list[str] = field(default_factory=list)
    cons: list[str] = field(default_factory=list)
    price: str = ""
    """What tuning (and serving) it costs on Vertex AI, with the catalog's figures. Kept apart from
    the pros and cons so a platform that does not charge them (local) can leave it out."""


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
    return f"{money.usd(min(prices))} per 1M training tokens" if prices else "no published training price"


def _open_pros_cons(model: OpenModel) -> tuple[list[str], list[str], str]:
    modes = ", ".join("LoRA" if m == "PEFT_ADAPTER" else "full" for m in model.modes)
    pros = [f"{model.size_b:g}B parameters", "you own the weights: deploy anywhere, or try it locally first",
            f"modes: {modes}"]
    cons = ["you deploy and run the serving hardware", f"max sequence length {model.max_seq_len} tokens"]
    return pros, cons, f"{_open_price(model)}; serving hardware billed by the hour"


def _gemini_price(model: GeminiModel) -> str:
    if not model.price_per_1m_tokens:
        return "training price not published in our sources"
    return money.per_million_tokens(model.price_per_1m_tokens) + ("" if model.price_verified else " (unverified)")


def _gemini_pros_cons(model: GeminiModel) -> tuple[list[str], list[str], str]:
    pros = ["no serving to manage: the tuned model gets an endpoint automatically",
            f"long examples (up to {model.max_example_tokens:,} tokens)"]
    cons = [f"tunes only in {', '.join(model.tuning_regions)}", "weights stay with Google",
            model.serving or "served by Google"]
    return pros, cons, _gemini_price(model)


def _price(model: OpenModel | GeminiModel) -> float | None:
    if isinstance(model, GeminiModel):
        return model.price_per_1m_tokens
    prices = [s.price_per_1m_tokens for s in model.modes.values() if s.price_per_1m_tokens]
    return min(prices) if prices else None


def _pick_third(task: TaskGuide, taken: set[str], today: date | None) -> tuple[str, OpenModel | GeminiModel]:
    """A model different from the two picks: the cheapest priced one that fits the task, else the smallest.

    Why: the third suggestion must widen the choice, never repeat a row; "fits" means an open
    model no larger than the task's size band (or a current Gemini model).
    """
    catalog = load_catalog()
    _, high = catalog.sizes[task.size_hint]
    medical = task.name == "medical"
    opens = [m for m in catalog.open_models
             if not m.multimodal and m.instruct and m.size_b <= high and m.base_model not in taken
             and (not m.domains or (medical and "medical" in m.domains))]
    geminis = [m for m in active_gemini_models(today) if m.base_model not in taken]
    pool: list[OpenModel | GeminiModel] = [*opens, *geminis]
    priced = [m for m in pool if _price(m)]
    if priced:
        return "cheapest", min(priced, key=lambda m: (_price(m) or 0.0, getattr(m, "size_b", 0.0)))
    return "smallest", min(opens or pool, key=lambda m: getattr(m, "size_b", 0.0))


def suggest_models(purpose: str | None, today: date | None = None) -> list[ModelSuggestion]:
    """Three different models for a purpose: the best open, the best Gemini, and the cheapest (or smallest)
    other model that fits, each with pros and cons."""
    task = detect_task(purpose)
    open_model = _pick_open(task)
    gemini = _pick_gemini(task, today)
    open_pros, open_cons, open_price = _open_pros_cons(open_model)
    gemini_pros, gemini_cons, gemini_price = _gemini_pros_cons(gemini)
    picks = [ModelSuggestion("open", open_model, task.note, pros=open_pros, cons=open_cons, price=open_price),
             ModelSuggestion("gemini", gemini, f"{gemini.display_name} is the current {gemini.tier} tier.",
                             pros=gemini_pros, cons=gemini_cons, price=gemini_price)]
    how, third = _pick_third(task, {open_model.base_model, gemini.base_model}, today)
    pros, cons, price = _gemini_pros_cons(third) if isinstance(third, GeminiModel) else _open_pros_cons(third)
    bigger = open_model if isinstance(third, OpenModel) else gemini
    pros.insert(0, "lowest training price among models that fit" if how == "cheapest"
                else "smallest model that fits: quickest to tune and to serve")
    cons.insert(0, f"less capable than {bigger.display_name} on harder inputs")
    picks.append(ModelSuggestion(
        "budget pick", third,
        f"{third.display_name}: a cheap first experiment; tune, look at the answers, then scale up if needed.",
        pros=pros, cons=cons, price=price))
    return picks


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


#: Open model families a person may name without a size ("can I use Llama instead?").
FAMILIES = ("medgemma", "gemma", "llama", "qwen", "glm")


def family_named(text: str) -> str | None:
    """The open model family a text names (`llama`, `qwen`, `gemma`, `glm`), if any."""
    import re

    low = text.lower()
    for family in FAMILIES:
        if re.search(rf"\b{family}\b", low):
            return "gemma" if family == "medgemma" else family
    return None


def family_models(family: str) -> list[OpenModel]:
    """The catalog's tunable models of one open family, instruction-tuned first, smallest first."""
    models = [m for m in load_catalog().open_models if m.lineage == family]
    return sorted(models, key=lambda m: (not m.instruct, m.size_b, m.display_name))


def family_rows(family: str) -> list[list[str]]:
    """One table row per model of the family: name, id, size, training price, longest example."""
    return [[m.display_name, f"`{m.base_model}`", f"{m.size_b:g}B", _open_price(m), f"{m.max_seq_len:,} tokens"]
            for m in family_models(family)]
