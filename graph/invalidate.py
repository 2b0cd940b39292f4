"""What each change resets, and which steps redo: the one table.

Every step that changes something another step built on asks `invalidate(change)` for
the state update, instead of resetting another step's fields by hand. The router needs
nothing more: each step's `done(state)` reads the records this table resets, so the
steps listed in `REDO` run again, in tree order.
"""

from __future__ import annotations

from typing import Any, Literal

from graph.state import DATASET_FIELDS

Change = Literal["category", "dataset", "mapping", "split", "region", "project", "upload", "upload_lost",
                 "hparams", "preflight_failed"]

#: Files written for the current mapping/split/format: redone when any of those change.
_FILES: dict[str, Any] = {"prepared": False, "uploaded": False, "train_path": None, "validation_path": None,
                          "train_uri": None, "validation_uri": None, "prepare_report": None, "rows_train": None}
#: A configuration shown again with the cost recomputed (edits kept: see configure).
_RECONFIRM: dict[str, Any] = {"approved": False}
#: A configuration proposed afresh, keeping only what the person chose (`chosen`, laid on the new baseline).
_REPROPOSE: dict[str, Any] = {"base_model": None, "tuning_mode": None, "epochs": None, "learning_rate": None,
                              "learning_rate_multiplier": None, "adapter_size": None, "output_uri": None,
                              "approved": False}

TABLE: dict[Change, dict[str, Any]] = {
    # A new category: the data format, the model, the region list and the settings change.
    "category": {"project": {"confirmed": False}, "model": None, "hparams": None, "cost": None,
                 "preflight": None, "dataset": dict(_FILES), "job": {"declined": False}},
    # Another dataset: everything decided for the previous data is decided again, except the
    # settings the person chose themselves (kept where they still fit: see configure).
    "dataset": {"dataset": dict.fromkeys(DATASET_FIELDS), "hparams": dict(_REPROPOSE), "cost": None,
                "preflight": None,
                "job": {"declined": False}},
    "mapping": {"dataset": {**_FILES, "split_decided": False}, "hparams": dict(_RECONFIRM), "preflight": None},
    "split": {"dataset": dict(_FILES), "hparams": dict(_RECONFIRM), "preflight": None},
    "region": {"preflight": None},
    "project": {"environment": None, "preflight": None},
    # The uploaded objects vanished (preflight found them gone): upload again.
    "upload_lost": {"dataset": {"uploaded": False, "train_uri": None, "validation_uri": None}},
    # New files in a new folder: the job's output folder follows the new prefix.
    "upload": {"hparams": {"output_uri": None}, "preflight": None},
    "hparams": {"hparams": dict(_RECONFIRM), "preflight": None, "job": {"declined": False}},
    "preflight_failed": {"hparams": dict(_RECONFIRM)},
}

#: The steps each change makes run again (documentation, and checked by a test against `done`).
REDO: dict[Change, tuple[str, ...]] = {
    "category": ("project_region", "prepare", "upload", "configure", "preflight"),
    "dataset": ("dataset_source", "columns", "split", "prepare", "upload", "configure", "preflight"),
    "mapping": ("split", "prepare", "upload", "configure", "preflight"),
    "split": ("prepare", "upload", "configure", "preflight"),
    "region": ("preflight",),
    "project": ("environment", "preflight"),
    "upload_lost": ("upload",),  # preflight records its own failure
    "upload": ("preflight",),
    "hparams": ("configure", "preflight"),
    "preflight_failed": ("configure",),  # preflight records its own failure
}


def invalidate(*changes: Change) -> dict[str, Any]:
    """The state update that resets what `changes` invalidate (records merged in table order)."""
    out: dict[str, Any] = {}
    for change in changes:
        for key, value in TABLE[change].items():
            if value is None or out.get(key, {}) is None:
                out[key] = None if value is None else dict(value)
            else:
                out[key] = {**out.get(key, {}), **value}
    return out
