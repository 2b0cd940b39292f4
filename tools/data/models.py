"""Plain records the dataset engine returns, so the graph can keep them in state and the CLI can print them.

Nothing here holds a whole dataset: only paths, counts, a few truncated samples
and the problems found, each pointing at a line (and column or field where known).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

TargetFormat = Literal["messages", "prompt_completion", "gemini"]
TARGET_FORMATS: tuple[str, ...] = ("messages", "prompt_completion", "gemini")

#: Shapes a source can already have. `plain` means "ordinary columns; a mapping is needed".
Severity = Literal["high", "warning", "info"]

Shape = Literal["messages", "prompt_completion", "gemini", "sharegpt", "alpaca", "plain"]


class ColumnInfo(BaseModel):
    """One column of a source and the type seen in its first rows (or its schema)."""

    name: str
    type: str
    avg_chars: float | None = None  # mean length of the text values in the first rows
    empty_fraction: float | None = None  # share of the first rows where it is empty/None/NaN
    distinct_fraction: float | None = None  # distinct values / non-empty values in the first rows
    question_fraction: float | None = None  # share of values that read like a question or request


class Inspection(BaseModel):
    """What `inspect_source` learned about a dataset without converting it."""

    source: str
    kind: str  # csv | tsv | json | jsonl | parquet | huggingface
    columns: list[ColumnInfo]
    row_count: int | None
    row_count_exact: bool
    row_count_note: str
    samples: list[dict[str, object]]
    shape: Shape
    encoding_note: str | None = None
    size_bytes: int | None = None
    quality: QualityReport | None = None  # over every row read (all of them when the count is exact)
    skipped_lines: list[int] = Field(default_factory=list)  # unreadable rows skipped on request

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


class ColumnChoice(BaseModel):
    """A column proposed for one role, with the reason it was chosen."""

    column: str
    score: float
    reason: str


class MappingRecommendation(BaseModel):
    """The columns `recommend_mapping` proposes; no prompt/completion when a known shape needs none."""

    shape: Shape
    prompt: str | None
    completion: str | None
    system: str | None = None
    alternatives: dict[str, list[ColumnChoice]] = Field(default_factory=dict)
    reasons: dict[str, str] = Field(default_factory=dict)
    needs_mapping: bool = True


class ColumnMapping(BaseModel):
    """Which source columns become the user turn, the model turn and (optionally) the system prompt."""

    prompt: str
    completion: str
    system: str | None = None


class Finding(BaseModel):
    """One quality problem: how bad, how many rows, where (first lines), examples and what to do."""

    kind: str
    severity: Severity
    message: str
    count: int
    lines: list[int] = Field(default_factory=list)
    examples: list[str] = Field(default_factory=list)
    fix: str


class QualityReport(BaseModel):
    """Quality figures of a dataset and the findings; `findings` is empty for clean data."""

    rows: int
    findings: list[Finding] = Field(default_factory=list)
    length_tokens: dict[str, int] = Field(default_factory=dict)  # min, p50, p90, p99, max (estimated)
    tokens_per_char: float = 0.25
    script_mix: dict[str, float] = Field(default_factory=dict)
    turns: dict[int, int] = Field(default_factory=dict)  # user turns per row → rows
    system_share: float = 0.0
    top_prompts: list[tuple[str, float]] = Field(default_factory=list)  # value, share (at least)
    notes: list[str] = Field(default_factory=list)

    @property
    def worst(self) -> Severity | None:
        for level in ("high", "warning", "info"):
            if any(f.severity == level for f in self.findings):
                return level
        return None


class CleanReport(BaseModel):
    """What `convert --clean` changed: rows before and after, and per action how many rows and examples."""

    actions: list[str]
    rows_before: int
    rows_after: int
    changed: dict[str, int] = Field(default_factory=dict)  # action → rows dropped or edited
    examples: dict[str, list[str]] = Field(default_factory=dict)  # action → what was dropped or edited


class ConvertReport(BaseModel):
    """What `convert` (or `split_file`) wrote, what it dropped and what it changed to meet the limits."""

    source: str
    target_format: str
    train_path: str
    validation_path: str | None
    rows_in: int
    rows_written_train: int
    rows_written_val: int
    bytes_train: int
    bytes_val: int
    dropped: dict[str, int] = Field(default_factory=dict)
    split_adjustments: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    quality: QualityReport | None = None
    cleaned: CleanReport | None = None


class Problem(BaseModel):
    """One problem on one line of a JSONL file (1-based line; column and field where known)."""

    line: int
    kind: str
    message: str
    column: int | None = None
    field: str | None = None


class ValidationReport(BaseModel):
    """Result of checking a JSONL against a target format: first problems in detail, all counted."""

    path: str
    target_format: str
    model: str | None
    ok: bool
    rows: int
    valid_rows: int
    bytes: int
    problems: list[Problem]
    counts: dict[str, int]
    notes: list[str] = Field(default_factory=list)
    quality: QualityReport | None = None


class DropReport(BaseModel):
    """What `drop_invalid_rows` kept and dropped (by problem kind)."""

    source: str
    out_path: str
    rows_in: int
    rows_kept: int
    bytes: int
    dropped: dict[str, int]


class DatasetStats(BaseModel):
    """Sizes that cost estimates and recommendations need: rows, characters per role, tokens per model."""

    source: str
    rows: int
    chars_by_role: dict[str, int]
    total_chars: int
    estimated_tokens: dict[str, int] = Field(default_factory=dict)
    max_example_chars: int = 0
    script_chars: dict[str, int] = Field(default_factory=dict)  # characters by script in the sample
    sample_complete: bool = False  # the sample holds every row, whole (token counts can be exact)
    #: A uniform sample of rows (characters, texts) for token counting; never serialized.
    sample: list[tuple[int, list[str]]] = Field(default_factory=list, exclude=True, repr=False)


Inspection.model_rebuild()
