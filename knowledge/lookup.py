"""Find catalog entries by the names people actually type, and the nearest supported choice.

Matching ignores case, spaces, hyphens, underscores and dots, so "gemma 3 12b it",
"Gemma-3-12B-IT", "google/gemma3@gemma-3-12b-it" and the long form
"publishers/google/models/gemma3@gemma-3-12b-it" all find the same model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from knowledge.catalog import load_catalog
from knowledge.models import GeminiModel, LocalModel, Machine, OpenModel

AnyModel = OpenModel | GeminiModel | LocalModel

_LONG_FORM = re.compile(r"^publishers/([^/]+)/models/(.+)$")
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*b\b", re.IGNORECASE)
_KNOWN_LINEAGES = ("gemma", "medgemma", "llama", "qwen", "glm", "gemini", "mistral", "mixtral", "phi",
                   "falcon", "deepseek", "gpt", "claude", "olmo", "smollm")


def _key(text: str) -> str:
    return re.sub(r"[\s\-_.]+", "", text.strip().lower())


def normalize_resource_name(name: str) -> str:
    """Turn the long form `publishers/p/models/m@v` into `p/m@v`; other text is returned stripped."""
    name = name.strip()
    match = _LONG_FORM.match(name)
    return f"{match.group(1)}/{match.group(2)}" if match else name


def find_model(name: str) -> AnyModel | None:
    """The open, Gemini or local model `name` refers to, or None."""
    if not name or not name.strip():
        return None
    catalog = load_catalog()
    wanted = _key(normalize_resource_name(name))
    for model in catalog.open_models:
        keys = {_key(model.base_model), _key(model.display_name), _key(model.base_model.split("@")[1])}
        # "Gemma 3 12B" means the IT variant when only that one exists.
        if wanted in keys or f"{wanted}it" in keys:
            return model
    for gem in catalog.gemini_models:
        if wanted in {_key(gem.id), _key(gem.display_name), _key(f"google/{gem.id}")}:
            return gem
    for local in catalog.local_models:
        keys = {_key(local.id), _key(local.display_name)}
        if local.hf_id:
            keys.add(_key(local.hf_id))
        if wanted in keys:
            return local
    return None


def find_open_model(name: str) -> OpenModel | None:
    """Like `find_model`, restricted to open models."""
    model = find_model(name)
    return model if isinstance(model, OpenModel) else None


def find_gemini_model(name: str) -> GeminiModel | None:
    """Like `find_model`, restricted to Gemini models."""
    model = find_model(name)
    return model if isinstance(model, GeminiModel) else None


def active_gemini_models(today: date | None = None) -> list[GeminiModel]:
    """Gemini models that are not retired on `today`."""
    return [m for m in load_catalog().gemini_models if not m.is_retired(today)]


def machine(machine_type: str) -> Machine | None:
    """The deployment machine with this type, or None."""
    return next((m for m in load_catalog().machines if m.machine_type == machine_type.strip()), None)


def valid_regions(category: str, model_id: str | None = None) -> list[str]:
    """Regions a job of this category (and Gemini model) may be submitted to."""
    catalog = load_catalog()
    if category == "gemini":
        gem = find_gemini_model(model_id) if model_id else None
        if gem:
            return list(gem.tuning_regions)
        regions: list[str] = []
        for m in active_gemini_models():
            regions += [r for r in m.tuning_regions if r not in regions]
        return regions
    if category == "local":
        return ["local"]
    return list(catalog.open_regions)


@dataclass
class Suggestion:
    """The answer to "can I tune X?": the model if supported, else why not and what instead."""

    requested: str
    supported: bool
    model: AnyModel | None
    message: str
    alternatives: list[AnyModel] = field(default_factory=list)


def _lineage_of(text: str) -> str | None:
    low = text.lower()
    for lineage in _KNOWN_LINEAGES:
        if lineage in low.replace(" ", ""):
            return "gemma" if lineage == "medgemma" else lineage
    return None


def _size_of(text: str) -> float | None:
    match = _SIZE.search(text)
    return float(match.group(1)) if match else None


def nearest_supported(name: str, today: date | None = None) -> Suggestion:
    """Resolve `name`; when it is not tunable, explain and offer the closest catalog choices.

    Same lineage and nearest size first ("Gemma 2 9B" → Gemma 3 12B IT); an unknown lineage
    ("Mistral 7B") gets a plain "not supported" and the open models closest in size.
    """
    catalog = load_catalog()
    model = find_model(name)
    if isinstance(model, GeminiModel) and model.is_retired(today):
        alts: list[AnyModel] = [m for m in active_gemini_models(today) if m.tier == model.tier]
        alts = alts or list(active_gemini_models(today))
        return Suggestion(name, False, None,
                          f"{model.display_name} was retired on {model.retire_date}; it can no longer be tuned.",
                          alts[:3])
    if model is not None:
        return Suggestion(name, True, model, f"{name} is supported ({model.display_name}).")
    lineage = _lineage_of(name)
    size = _size_of(name)
    if lineage == "gemini":
        return Suggestion(name, False, None,
                          f"{name} is not a Gemini model that supports tuning.",
                          list[AnyModel](active_gemini_models(today))[:3])
    same = [m for m in catalog.open_models if m.lineage == lineage and not m.multimodal]
    if same and lineage:
        target = size if size is not None else min(m.size_b for m in same)
        same.sort(key=lambda m: (abs(m.size_b - target), -m.generation))
        return Suggestion(name, False, None,
                          f"{name} is not offered for tuning. The nearest supported "
                          f"{lineage.title()} model is {same[0].display_name}.", list(same[:3]))
    pool = [m for m in catalog.open_models if not m.multimodal]
    target = size if size is not None else 8.0
    pool.sort(key=lambda m: (abs(m.size_b - target), -m.generation))
    what = f"{lineage.title()} models are" if lineage else f"{name} is"
    return Suggestion(name, False, None,
                      f"{what} not supported for tuning on Vertex AI. The closest catalog choices "
                      f"by size are below.", list(pool[:3]))
