"""Load and validate the catalog files once; everything else reads the `Catalog`."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

from pydantic import BaseModel

from knowledge.models import (
    GeminiModel,
    HFDataset,
    Limits,
    LocalModel,
    Locations,
    Machine,
    OpenModel,
    SizeBand,
    TaskGuide,
)


class Catalog(BaseModel):
    """Everything the agent decides from, validated."""

    open_models: list[OpenModel]
    gemini_models: list[GeminiModel]
    local_models: list[LocalModel]
    machines: list[Machine]
    locations: Locations
    limits: Limits
    size_bands: list[SizeBand]
    tasks: list[TaskGuide]
    sizes: dict[str, tuple[float, float]]
    hf_datasets: list[HFDataset]

    @property
    def open_regions(self) -> list[str]:
        return self.locations.open_regions


def _read(name: str) -> dict[str, Any]:
    text = resources.files("knowledge").joinpath("data", name).read_text(encoding="utf-8")
    return tomllib.loads(text)


@cache
def load_catalog() -> Catalog:
    """The validated catalog (read once per process)."""
    heur = _read("heuristics.toml")
    loc = _read("locations.toml")
    return Catalog(
        open_models=_read("open_models.toml")["model"],
        gemini_models=_read("gemini_models.toml")["model"],
        local_models=_read("local_models.toml")["model"],
        machines=_read("machines.toml")["machine"],
        locations=Locations(
            open_regions=loc["open"]["regions"],
            open_recommended=loc["open"]["recommended"],
            global_note=loc["open"]["global_note"],
            gemini_note=loc["gemini"]["note"],
            deploy_note=loc["deploy"]["note"],
        ),
        limits=heur["limits"],
        size_bands=heur["size_band"],
        tasks=heur["task"],
        sizes={k: tuple(v) for k, v in heur["sizes"].items()},
        hf_datasets=_read("hf_datasets.toml")["dataset"],
    )


def reference_text(name: str) -> str:
    """A reference text the agent quotes (`data_format`, `tuning_concepts`, `environment_setup`, …)."""
    return resources.files("knowledge").joinpath("texts", f"{name}.md").read_text(encoding="utf-8")


def reference_names() -> list[str]:
    """Names of all reference texts."""
    folder = resources.files("knowledge").joinpath("texts")
    return sorted(p.name.removesuffix(".md") for p in folder.iterdir() if p.name.endswith(".md"))
