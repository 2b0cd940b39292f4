"""The graph state: one typed record per concern, each with the reducer that merges it.

Records are plain dicts (JSON-friendly for every checkpointer and the server API) whose
keys are documented here. A node returns only the keys it changes; `merge` folds a
partial record into the stored one, so `{"dataset": {"mapping": {...}}}` keeps the
dataset's other fields. Returning `None` for a record clears it (used when the user
changes their mind, e.g. picks another dataset).

Nothing here holds credentials or whole datasets: only paths, URIs, samples and stats.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages

Record = dict[str, Any]


def merge(old: Record | None, new: Record | None) -> Record | None:
    """Shallow-merge `new` into `old`; `None` clears the record."""
    if new is None:
        return None
    return {**(old or {}), **new}


class TuningState(TypedDict, total=False):
    """Everything one tuning conversation knows. Every field is optional until its step runs."""

    messages: Annotated[list[AnyMessage], add_messages]
    """The transcript that UIs show (add_messages: appended, or replaced by id)."""

    run_id: str
    """This conversation's idempotency key: labels the job, names the upload prefix and endpoint."""

    platform: str
    """`local` or `vertex`, fixed at the first turn so a resumed thread never switches."""

    facts: Annotated[Record | None, merge]
    """What the newest messages said that no step has consumed yet (intake writes it; a step
    sets a key back to None once used): purpose, category, model, project, region, dataset,
    validation_dataset, validation_split, bucket, search_buckets, status; `answer`
    {for, decision, message} for an open card; `yes` (a bare yes/no); `last_text`; `seen`
    (id of the last message read, so a resumed run does not read it twice)."""

    category: str | None
    """`open` or `gemini` once chosen (replaced, not merged)."""

    project: Annotated[Record | None, merge]
    """{project, region, source, confirmed}: where jobs run. On the local platform: region `local`."""

    environment: Annotated[Record | None, merge]
    """{checked, passed, checks: [{name, ok, severity, detail, fix}], missing_apis, errors,
    project_number, enable_declined}."""

    dataset: Annotated[Record | None, merge]
    """{source, inspected, inspection (columns, a few samples, shape, row count), kind, columns,
    samples, shape, rows, rows_exact, encoding_note, mapping {prompt_column, completion_column,
    system_column} or {shape}, mapping_confirmed, validation_source, split_decided,
    validation_split, train_path, validation_path, prepare_report, rows_train, prepared,
    train_uri, validation_uri, uploaded}. All keys are listed in nodes/dataset_source.py
    (DATASET_FIELDS) and reset together when another dataset is chosen."""

    model: Annotated[Record | None, merge]
    """{base_model, display_name, requested}: the cloud model asked for or chosen; on the local
    platform also {local_model}, the model actually tuned here."""

    hparams: Annotated[Record | None, merge]
    """{base_model, tuning_mode, epochs, learning_rate, learning_rate_multiplier, adapter_size,
    output_uri, approved}: exactly what the approved configuration card showed."""

    cost: Annotated[Record | None, merge]
    """tools.cost.CostEstimate as a dict ({label, usd, tokens, price_per_1m_tokens, assumptions, …}):
    always an estimate; recomputed whenever the configuration changes."""

    storage: Annotated[Record | None, merge]
    """{bucket, bucket_exists, prefix, output_uri, bucket_declined}: where data and outputs live."""

    preflight: Annotated[Record | None, merge]
    """{ok, problems}: the last preflight result."""

    job: Annotated[Record | None, merge]
    """{name, state, ended, succeeded, base_model, console_url, real_region, error_message, advice,
    output_uri, final_checkpoint_uri, tuned_model_endpoint, submitted_at, declined, watch}."""

    deployment: Annotated[Record | None, merge]
    """{wanted, endpoint, display_name, region, model, state, hourly_usd, console_url, summarized}."""

    approvals: Annotated[list[Record], operator.add]
    """Audit trail (appended): {action, args, decision, message, time} for every decision."""

    pending: Record | None
    """The question or approval now open (replaced, not merged): approvals are {kind: "approval",
    step, action, args, description, allowed, error}; questions are {kind: "question", step,
    question, awaiting}. See graph/approvals.py."""

    side_reply: str | None
    """A side question waiting for `answer` (set by intake, cleared by answer)."""
