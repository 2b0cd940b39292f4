"""The knowledge the agent decides from, as validated data: models, regions, prices,
heuristics, dataset suggestions, and reference texts. Imports nothing of ours and no
cloud SDK.

    >>> from knowledge import load_catalog, find_model
    >>> find_model("gemma 3 12b it").base_model
    'google/gemma3@gemma-3-12b-it'
"""

from knowledge.catalog import Catalog, load_catalog, reference_names, reference_text
from knowledge.lookup import (
    AnyModel,
    Suggestion,
    active_gemini_models,
    find_gemini_model,
    find_model,
    find_open_model,
    machine,
    nearest_supported,
    normalize_resource_name,
    valid_regions,
)
from knowledge.models import (
    RESOURCE_NAME,
    GeminiModel,
    HFDataset,
    Limits,
    LocalModel,
    Machine,
    ModeSpec,
    OpenModel,
    SizeBand,
    TaskGuide,
)

__all__ = [
    "RESOURCE_NAME",
    "AnyModel",
    "Catalog",
    "GeminiModel",
    "HFDataset",
    "Limits",
    "LocalModel",
    "Machine",
    "ModeSpec",
    "OpenModel",
    "SizeBand",
    "Suggestion",
    "TaskGuide",
    "active_gemini_models",
    "find_gemini_model",
    "find_model",
    "find_open_model",
    "load_catalog",
    "machine",
    "nearest_supported",
    "normalize_resource_name",
    "reference_names",
    "reference_text",
    "valid_regions",
]
