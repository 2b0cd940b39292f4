"""The graph state: one typed record per concern, each with the reducer that merges it.

Records are `TypedDict(total=False)`: plain dicts in the checkpoint (JSON-friendly for every
checkpointer and the server API) whose keys mypy checks. A node returns only the keys it
changes; `merge` folds a partial record into the stored one, so `{"dataset": {"mapping":
{...}}}` keeps the dataset's other fields. Returning `None` for a record clears it. What a
change resets is decided in one place, graph/invalidate.py; field lists (e.g.
`DATASET_FIELDS`) are derived from these types, never copied.

The graph's *input* is messages only (graph/context.py): every other key is written by nodes.
Nothing here holds credentials or whole datasets: only paths, URIs, samples and stats.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, Literal, TypedDict

from langchain_core.messages import AnyMessage

from graph.context import add_transcript

Record = dict[str, Any]


def merge(old: Record | None, new: Record | None) -> Record | None:
    """Shallow-merge `new` into `old`; `None` clears the record."""
    if new is None:
        return None
    return {**(old or {}), **new}


class Facts(TypedDict, total=False):
    """What the newest messages said that no step has consumed yet (intake writes it; the step
    that uses a key sets it back to None)."""

    purpose: str
    category: str
    model: str
    project: str
    region: str
    dataset: str
    validation_dataset: str
    validation_split: float
    bucket: str
    search_buckets: bool
    status: bool
    config_changes: dict[str, Any]
    """Configuration changes typed away from the configuration card ({epochs: 5, base_model: …})."""
    answer: dict[str, Any]
    """{for, card, decision, message}: an answer typed at the card open when it was typed."""
    yes: bool | None
    last_text: str
    seen: str
    """Id of the last message read, so a resumed run does not read it twice."""


class Pending(TypedDict, total=False):
    """The question or approval now open (replaced, not merged).

    Approvals: kind "approval", step, action, title, args, description, allowed, error, id,
    opened_at (epoch seconds; answers from runs created earlier cannot decide it).
    Questions: kind "question", step, question, awaiting; a folder listing adds folder and files
    ([path, bytes] pairs) so that "2" or a bare file name picks from it."""

    kind: Literal["approval", "question"]
    step: str
    action: str
    title: str
    args: dict[str, Any]
    description: str
    allowed: list[str]
    error: str | None
    id: str
    opened_at: float
    question: str
    awaiting: bool
    folder: str
    files: list[list[Any]]


class ProjectRecord(TypedDict, total=False):
    """Where jobs run. `fixed`: the platform decides it (local: region `local`), nothing to ask."""

    project: str | None
    region: str
    source: str
    confirmed: bool
    fixed: bool


class EnvironmentRecord(TypedDict, total=False):
    checked: bool
    passed: bool
    checks: list[dict[str, Any]]
    """[{name, ok, severity, detail, fix}]"""
    missing_apis: list[str]
    errors: list[str]
    project_number: str | None
    enable_declined: bool
    note: str


class DatasetRecord(TypedDict, total=False):
    """The dataset from source to uploaded files (reset together when another dataset is chosen)."""

    source: str
    inspected: bool
    inspection: dict[str, Any]
    """tools.data.Inspection as a dict: columns, a few samples, shape, row count."""
    kind: str
    columns: list[str]
    samples: list[dict[str, Any]]
    shape: str
    rows: int
    rows_exact: bool
    encoding_note: str | None
    skip_bad_rows: bool
    """The person chose to skip rows that cannot be read (more fields than the header)."""
    mapping: dict[str, Any]
    """{prompt_column, completion_column, system_column} or {shape}."""
    mapping_confirmed: bool
    validation_source: str | None
    split_decided: bool
    validation_split: float
    train_path: str | None
    validation_path: str | None
    prepare_report: dict[str, Any]
    clean_offer: str | None
    """What the cleaning card was offered for (the source, mapping and findings): a decision on it is kept."""
    clean_choice: dict[str, Any] | None
    """The cleaning decided for `clean_offer`: {offer, actions} (no actions: declined); reused when the
    files are written again for the same data and findings (e.g. in another format), not asked again."""
    clean_reopen: bool
    """"undo the cleaning": the card opens again, proposing what was chosen."""
    rows_train: int
    prepared: bool
    train_uri: str | None
    validation_uri: str | None
    uploaded: bool


class ModelRecord(TypedDict, total=False):
    """The catalog model asked for or chosen; on the local platform `local_model` is the one tuned."""

    base_model: str
    display_name: str
    requested: str
    local_model: str


class HparamsRecord(TypedDict, total=False):
    """Exactly what the approved configuration card showed (`approved` once it was approved)."""

    base_model: str
    tuning_mode: str | None
    epochs: int
    learning_rate: float | None
    learning_rate_multiplier: float | None
    adapter_size: int | None
    output_uri: str | None
    approved: bool
    #: The settings the person set themselves (card edits, typed changes): laid again on a new
    #: proposal after a dataset or split change, so they are not lost to the baseline.
    chosen: dict[str, Any]


class CostRecord(TypedDict, total=False):
    """tools.cost.CostEstimate as a dict: always an estimate, recomputed with the configuration."""

    label: str
    usd: float | None
    tokens: int
    price_per_1m_tokens: float | None
    estimated_training_time_s: float | None
    assumptions: list[str]


class StorageRecord(TypedDict, total=False):
    bucket: str | None
    bucket_exists: bool
    prefix: str
    output_uri: str
    bucket_declined: bool


class PreflightRecord(TypedDict, total=False):
    ok: bool
    problems: list[str]


class JobRecord(TypedDict, total=False):
    name: str
    state: str
    ended: bool
    succeeded: bool
    base_model: str | None
    console_url: str | None
    real_region: str | None
    error_message: str | None
    advice: str | None
    output_uri: str | None
    final_checkpoint_uri: str | None
    tuned_model_endpoint: str | None
    elapsed_s: float | None
    submitted_at: str
    declined: bool
    watch: bool | None
    watch_turn: str
    """The run (or message) whose watch made the last poll: a new one polls at once, with a fresh budget."""
    watch_since: float
    polls: int


class DeploymentRecord(TypedDict, total=False):
    wanted: bool | None
    endpoint: str | None
    display_name: str
    region: str | None
    model: str | None
    state: str
    hourly_usd: float | None
    console_url: str | None
    summarized: bool


class ApprovalRecord(TypedDict, total=False):
    """One decision in the audit trail."""

    action: str
    args: dict[str, Any]
    decision: str
    message: str | None
    time: str


#: Every dataset field, derived from the type: reset together when another dataset is chosen.
DATASET_FIELDS: tuple[str, ...] = tuple(DatasetRecord.__annotations__)


class TuningState(TypedDict, total=False):
    """Everything one tuning conversation knows. Every field is optional until its step runs."""

    messages: Annotated[list[AnyMessage], add_transcript]
    """The transcript that UIs show (appended, or replaced by id; never the agent's by a person's)."""

    run_id: str
    """This conversation's idempotency key (`ta-` + 10 hex digits, checked where used): labels the
    job, names the upload prefix, the local run folder and the endpoint."""

    platform: str
    """`local` or `vertex`, fixed at the first turn so a resumed thread never switches."""

    title: str
    """What the thread is about, "Answer support questions · support.csv" (tools/titles.py): written by
    the builder when the purpose or the dataset changes, and handed to the host (`Deps.on_title`)."""

    facts: Annotated[Facts | None, merge]
    category: str | None
    """`open` or `gemini` once chosen (replaced, not merged)."""
    project: Annotated[ProjectRecord | None, merge]
    environment: Annotated[EnvironmentRecord | None, merge]
    dataset: Annotated[DatasetRecord | None, merge]
    model: Annotated[ModelRecord | None, merge]
    hparams: Annotated[HparamsRecord | None, merge]
    cost: Annotated[CostRecord | None, merge]
    storage: Annotated[StorageRecord | None, merge]
    preflight: Annotated[PreflightRecord | None, merge]
    job: Annotated[JobRecord | None, merge]
    deployment: Annotated[DeploymentRecord | None, merge]
    approvals: Annotated[list[ApprovalRecord], operator.add]
    """Audit trail (appended): every decision."""
    pending: Pending | None
    side_reply: str | None
    """A side question waiting for `answer` (set by intake, cleared by answer)."""

    turn_steps: list[str]
    """Steps that finished in this turn without a question or card in between (replaced): the
    router's loop guard. Intake empties it; a step that opens or closes a question empties it."""
