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
    """What the user said that no step has consumed yet: purpose, task, requested model,
    dataset, bucket, split ratio, yes/no to the open question, side question (intake writes it)."""

    category: str | None
    """`open` or `gemini` once chosen (replaced, not merged)."""

    project: Annotated[Record | None, merge]
    """{project, region, source, confirmed}: where jobs run. On the local platform: region `local`."""

    environment: Annotated[Record | None, merge]
    """{checked, ok, checks: [{name, ok, severity, detail, fix}], missing_apis, enable_declined}."""

    dataset: Annotated[Record | None, merge]
    """{source, exists, kind, columns, samples, shape, rows, rows_exact, mapping, mapping_confirmed,
    validation_source, split_decided, validation_split, train_path, validation_path, prepared,
    prepare_report, problems, train_uri, validation_uri, uploaded, stats}."""

    model: Annotated[Record | None, merge]
    """{base_model, display_name, category, requested, note}: the model to tune."""

    hparams: Annotated[Record | None, merge]
    """{tuning_mode, epochs, learning_rate, learning_rate_multiplier, adapter_size, approved}."""

    cost: Annotated[Record | None, merge]
    """{label, usd, tokens, assumptions}: always an estimate; recomputed when the model changes."""

    storage: Annotated[Record | None, merge]
    """{bucket, bucket_exists, prefix, output_uri, bucket_declined}: where data and outputs live."""

    preflight: Annotated[Record | None, merge]
    """{ok, problems, checked_for}: the last preflight result and the configuration it checked."""

    job: Annotated[Record | None, merge]
    """{name, state, console_url, real_region, error_message, advice, final_checkpoint_uri,
    tuned_model_endpoint, watch, submitted_at}."""

    deployment: Annotated[Record | None, merge]
    """{wanted, endpoint, display_name, region, hourly_usd, machine_type, tried}."""

    approvals: Annotated[list[Record], operator.add]
    """Audit trail (appended): {action, args, decision, message, time} for every decision."""

    pending: Record | None
    """The question or approval now open: {kind: question|approval, step, action, args}."""

    side_reply: str | None
    """A side question waiting for `answer` (set by intake, cleared by answer)."""
