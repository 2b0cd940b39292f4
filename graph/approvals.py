"""The one approval protocol every step uses (LangChain v1 human-in-the-loop shape).

A step that needs a decision does it in two passes, so that the proposal is saved in
state before anyone is asked (a resumed node re-runs from its top; nothing with a side
effect may run before `interrupt()`):

1. `propose(...)` → the node returns `{"pending": ...}` and posts the card's explanation
   (what, why, cost, equivalent command) as an assistant message tagged with the card id;
   the router sends control back to the same step.
2. `await_decision(state, ArgsModel)` → reads an answer typed as a plain chat message
   (intake stores it in `facts["answer"]`), or interrupts with the payload

       {"action_requests": [{"name", "args", "description"}],
        "review_configs": [{"action_name", "allowed_decisions"}]}

   and accepts `{"decisions": [{"type": "approve"} | {"type": "edit", "edited_action":
   {"name", "args"}} | {"type": "reject", "message"}]}` or a bare string (free text).
   The node then acts and returns `outcome.updates`, which clears `pending`, appends the
   decision to the `approvals` audit trail and posts one short line ("Approved: …",
   "Changed epochs 3 → 5", "Declined: …").

Decisions are bound to cards. Every card has an id and the time it was opened. A
resume keyed by interrupt id reaches only that card (LangGraph routes it); any answer
— keyed, unkeyed or typed — whose run was created before the card opened decides
nothing, and the card stays open (`stale`). So two approvals sent at once for one card
(queued, or racing) can never approve the card shown after it. An edit naming another
action, an invalid edit, or a bad resume re-asks: the step posts why and shows the card
again (`Reask`, returned by the step wrapper).
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any, Literal, cast

from langchain_core.messages import AIMessage
from langgraph.types import interrupt
from pydantic import BaseModel, Field, ValidationError

from graph import consent
from graph.state import Record, TuningState

DecisionType = Literal["approve", "edit", "reject"]
ALL_DECISIONS: tuple[DecisionType, ...] = ("approve", "edit", "reject")

#: Short human titles for each card's action (shown on the card and in the transcript).
TITLES: dict[str, str] = {
    "choose_model_category": "Choose the model category",
    "confirm_project_region": "Confirm the project and region",
    "enable_apis": "Enable the Google Cloud APIs",
    "search_buckets": "Search your buckets for datasets",
    "skip_bad_rows": "Skip the unreadable rows",
    "confirm_column_mapping": "Confirm the column mapping",
    "split_validation": "Hold out a validation set",
    "drop_invalid_rows": "Drop the invalid rows",
    "create_bucket": "Create the bucket",
    "upload_dataset": "Upload the dataset",
    "approve_configuration": "Approve the model and settings",
    "submit_tuning_job": "Start the tuning job",
    "monitor_job": "Watch the job",
    "deploy_model": "Deploy the tuned model",
}

#: Actions that spend money or change a project: only a plain typed yes or the card's approve
#: button approves them, never an LLM's reading of free text (graph/consent.py says what is plain).
STRICT_ACTIONS = consent.STRICT_ACTIONS


def title(action: str) -> str:
    return TITLES.get(action, action.replace("_", " ").capitalize())


class EditedAction(BaseModel):
    name: str
    args: dict[str, Any] = Field(default_factory=dict)


class Decision(BaseModel):
    type: DecisionType
    edited_action: EditedAction | None = None
    message: str | None = None


class HITLResponse(BaseModel):
    """The resume value Agent Chat UI and the terminal chat send."""

    decisions: list[Decision] = Field(min_length=1)


#: Shown to clients so they can render the form. It is not enforced by LangGraph (a JSON
#: schema dict is passed through as-is): `_from_resume` reads what arrives and re-asks with
#: an explanation instead of failing the run on a malformed answer.
RESUME_SCHEMA: dict[str, Any] = {
    "anyOf": [HITLResponse.model_json_schema(), {"type": "string", "description": "free text"}]}

#: The older Agent Chat UI answer ([{"type": "accept"|"edit"|"response"|"ignore", "args": …}]).
_LEGACY = {"accept": "approve", "edit": "edit", "response": "reject", "ignore": "reject"}


class Outcome(BaseModel):
    """What the human decided, with the final (validated) arguments."""

    type: DecisionType
    args: dict[str, Any]
    message: str | None = None
    updates: dict[str, Any] = Field(default_factory=dict)

    @property
    def approved(self) -> bool:
        return self.type in {"approve", "edit"}

    def refused(self) -> dict[str, Any]:
        """`updates` for a change the step then refuses ("use 0 epochs"): the decision is recorded and
        the card closed, but no line claims the change ("Changed epochs 3 → 0"); the step says why. The
        record is marked `refused`, so status does not call it a decision."""
        kept = {k: v for k, v in self.updates.items() if k != "messages"}
        if kept.get("approvals"):
            kept["approvals"] = [{**r, "refused": True} for r in kept["approvals"]]
        return kept


class Reask(Exception):
    """Raised by `await_decision` when the card must be shown again; the step wrapper
    returns `update` (a message saying why, and the card re-proposed)."""

    def __init__(self, update: dict[str, Any]) -> None:
        super().__init__("reask")
        self.update = update


#: The resume value that means "Mark as Resolved" (Agent Chat UI sends `Command(goto=END)`; the
#: server's auth hook turns it into this resume, since END itself would run nothing).
RESOLVE_RESUME: dict[str, Any] = {"resolved": True}


class Resolved(Exception):
    """Raised by `await_decision` for `RESOLVE_RESUME`: the step wrapper ends the thread politely."""


def _card_message(pending: Record, note: str | None = None) -> AIMessage:
    """The card's explanation as an assistant message, tagged with the card id (renderers
    that draw the card itself may skip it)."""
    from graph.server_user import server_user
    from tools.workspace import display_paths

    text = display_paths(f"**{title(pending['action'])}**\n\n{pending['description']}", server_user())
    if note:
        text = f"{note}\n\n{text}"
    return AIMessage(content=text, additional_kwargs={"card": pending["id"]})


def _line(text: str) -> AIMessage:
    return AIMessage(content=text, additional_kwargs={"status": True})


def propose(step: str, action: str, args: dict[str, Any], description: str,
            allowed: tuple[DecisionType, ...] = ALL_DECISIONS) -> dict[str, Any]:
    """The state update that opens an approval; the router then re-enters `step`.

    Each card gets an id and its opening time: an answer typed or sent before the card
    opened can never decide it (even a card for the same action).
    """
    from graph.markdown import separate_lines

    pending = {"kind": "approval", "step": step, "action": action, "args": args, "title": title(action),
               "description": separate_lines(description), "allowed": list(allowed), "error": None,
               "id": uuid.uuid4().hex, "opened_at": time.time()}
    return {"pending": pending, "messages": [_card_message(pending)]}


def ask(step: str, question: str) -> dict[str, Any]:
    """The state update for a plain question: the turn ends until the human answers."""
    return {"pending": {"kind": "question", "step": step, "question": question, "awaiting": True}}


def payload(pending: Record) -> dict[str, Any]:
    """The interrupt value for an open approval."""
    from graph.server_user import server_user
    from tools.workspace import display_paths

    description = display_paths(f"**{title(pending['action'])}**\n\n{pending['description']}", server_user())
    if pending.get("error"):
        description = f"**Your edit was not accepted:** {pending['error']}\n\n{description}"
    return {
        "action_requests": [{"name": pending["action"], "args": pending["args"], "description": description}],
        "review_configs": [{"action_name": pending["action"], "allowed_decisions": pending["allowed"]}],
    }


#: Set by the LangGraph server on every run it creates: when the request arrived (ms since the epoch).
REQUEST_START_KEY = "__request_start_time_ms__"


def run_created_at() -> float | None:
    """When the current run was created (epoch seconds), or None when unknown (then nothing is stale).

    The LangGraph server records when each run's request arrived (`__request_start_time_ms__`
    in `configurable`, a key clients cannot set) — not when a queued run starts. In-process
    callers may pass a time-ordered UUIDv7 as `configurable.run_id` instead.
    """
    try:
        from langgraph.config import get_config

        configurable = get_config().get("configurable") or {}
    except RuntimeError:
        return None
    started = configurable.get(REQUEST_START_KEY)
    if isinstance(started, (int, float)) and started > 0:
        return float(started) / 1000.0
    try:
        parsed = uuid.UUID(str(configurable.get("run_id")))
    except ValueError:
        return None
    return (parsed.int >> 80) / 1000.0 if parsed.version == 7 else None


def stale(pending: Record) -> bool:
    """Whether the current run was created before this card opened (so cannot answer it)."""
    created, opened = run_created_at(), pending.get("opened_at")
    # The request time has millisecond resolution: a run created in the same millisecond counts as later.
    return created is not None and isinstance(opened, (int, float)) and created + 0.001 < opened


def _from_resume(value: Any, pending: Record) -> Decision:
    """Read a resume value; raises ValueError (shown on the re-asked card) when it makes no sense."""
    if isinstance(value, str):
        return Decision(type="reject", message=value)
    if isinstance(value, list) and value and isinstance(value[0], dict) and value[0].get("type") in _LEGACY:
        old = value[0]
        kind = _LEGACY[old["type"]]
        if kind == "edit":
            return Decision(type="edit", edited_action=_legacy_edit(old.get("args"), pending))
        return Decision(type=kind, message=old.get("args") if isinstance(old.get("args"), str) else None)
    try:
        return HITLResponse.model_validate(value).decisions[0]
    except ValidationError as err:
        raise ValueError('could not read the answer; send {"decisions": [{"type": "approve"}]}, '
                         '{"type": "edit", "edited_action": {...}} or {"type": "reject", "message": "..."}') from err


def _legacy_edit(edited: Any, pending: Record) -> EditedAction:
    """The older UI's edit (`{"action": NAME, "args": {...}}`), for this card only.

    A bare list in the new shape (`[{"type": "edit", "edited_action": …}]`) reads as this old
    one too, so the action it names is checked, never assumed."""
    if not isinstance(edited, dict) or not isinstance(edited.get("args"), dict):
        raise ValueError('an edit must carry {"action": NAME, "args": {...}}')
    name = edited.get("action") or edited.get("name")
    if name != pending["action"]:
        raise ValueError(f"that edit names {str(name)[:60]!r}, not this card ({pending['action']}).")
    return EditedAction(name=str(name), args=edited["args"])


def _from_chat(answer: Record) -> Decision:
    if answer.get("decision") == "approve":
        return Decision(type="approve")
    return Decision(type="reject", message=answer.get("message") or None)


def _reask(pending: Record, error: str, consumed: dict[str, Any] | None = None) -> Reask:
    """Show the card again (a new id, opened now) with `error` said first."""
    again = {**pending, "error": error, "id": uuid.uuid4().hex, "opened_at": time.time()}
    return Reask({**(consumed or {}), "pending": again,
                  "messages": [_card_message(again, f"**Not accepted:** {error}")]})


def _validated(decision: Decision, pending: Record, args_model: type[BaseModel] | None) -> dict[str, Any]:
    """The card's arguments after this decision; ValueError/ValidationError when they are wrong."""
    args = dict(pending["args"])
    if decision.type not in {"approve", "edit"}:
        return args
    edited: dict[str, Any] = {}
    if decision.type == "edit" and decision.edited_action:
        if decision.edited_action.name != pending["action"]:
            raise ValueError(f"that edit is for `{decision.edited_action.name}`, but the open card is "
                             f"`{pending['action']}` ({title(pending['action'])}); nothing was changed.")
        edited = decision.edited_action.args
    unknown = sorted(set(edited) - set(args))
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(unknown)}; editable: {', '.join(args)}")
    merged = {**args, **edited}
    # An approved proposal is checked too: a proposal can be incomplete (e.g. no column fits).
    return args_model.model_validate(merged).model_dump() if args_model else merged


def _summary(decision: Decision, before: dict[str, Any], after: dict[str, Any], pending: Record) -> str:
    """The decision line: what happened ("Changed …", "Skipped …", "Switched to …", "Declined: …")."""
    action = str(pending["action"])
    if decision.type == "reject":
        if not decision.message:
            return f"Declined: {title(action)}."
        from graph.card_talk import decision_line

        return decision_line(decision.message, dict(pending))
    def shown(value: Any) -> str:
        return ", ".join(map(str, value)) if isinstance(value, list) else str(value)

    changed = [f"{k} {shown(before.get(k))} → {shown(v)}" for k, v in after.items() if before.get(k) != v]
    if not changed and decision.type == "edit" and decision.message and decision.edited_action:
        named = ", ".join(f"{k} {shown(after.get(k))}" for k in decision.edited_action.args)
        return f"Unchanged: {named}, as proposed."  # named in words as the card already has it
    return ("Changed " + ", ".join(changed)) if changed else f"Approved: {title(action)}."


def await_decision(state: TuningState, args_model: type[BaseModel] | None = None) -> Outcome:
    """Block (interrupt) until the open approval is decided; return the validated outcome.

    Raises `Reask` when the answer cannot decide this card (sent before it opened, names
    another action, fails validation): the step wrapper posts why and shows the card again.
    """
    pending = cast(Record, dict(state.get("pending") or {}))
    facts = state.get("facts") or {}
    answer: Record | None = facts.get("answer")
    if answer and (answer.get("for") != pending.get("action") or answer.get("card") != pending.get("id")):
        answer = None  # typed while another card was open: not an answer to this one
    typed = answer is not None
    if answer is not None:
        decision = _from_chat(answer)
    else:
        raw = interrupt(payload(pending), response_schema=RESUME_SCHEMA)
        if raw == RESOLVE_RESUME:
            raise Resolved
        if stale(pending):
            raise Reask({"pending": pending, "messages": [_line(
                f"An answer sent before the card “{title(pending['action'])}” was shown does not decide it; "
                "it is still open.")]})
        try:
            decision = _from_resume(raw, pending)
        except ValueError as err:
            raise _reask(pending, str(err)) from None
    consumed = {"facts": {"answer": None}} if typed else None
    if not typed and decision.type == "reject" and decision.message:
        _redirect_free_text(state, pending, decision.message)
    decision = _edit_in_words(decision, pending)
    if decision.type not in pending["allowed"]:
        raise _reask(pending, f"'{decision.type}' is not allowed here; choose one of {pending['allowed']}.", consumed)
    try:
        args = _validated(decision, pending, args_model)
    except (ValidationError, ValueError) as err:
        raise _reask(pending, _short_error(err, args_model), consumed) from None
    record = {"action": pending["action"], "args": args, "decision": decision.type,
              "message": decision.message, "time": datetime.now(UTC).isoformat(timespec="seconds")}
    updates: dict[str, Any] = {"pending": None, "approvals": [record]}
    if typed:
        updates["facts"] = {"answer": None}
    else:
        updates["messages"] = [_line(_summary(decision, dict(pending["args"]), args, pending))]
        if decision.message:
            # Free text sent with a card's answer never passes intake: keep a dataset it names
            # ("no, use other.csv instead") so the tree can go back to that step.
            from graph.parse import dataset_ref

            named = dataset_ref(decision.message)
            if named:
                updates["facts"] = {"dataset": named}
    return Outcome(type=decision.type, args=args, message=decision.message, updates=updates)


def _edit_in_words(decision: Decision, pending: Record) -> Decision:
    """Words that change the card's own argument ("bucket my-data", "only strip-control") are an edit of it,
    not a no; the message is kept, so the step knows the change was said in words (graph/card_talk.py)."""
    if decision.type != "reject" or not decision.message:
        return decision
    from graph.card_talk import edit_in_words

    edited = edit_in_words(decision.message, dict(pending))
    if edited is None:
        return decision
    return Decision(type="edit", edited_action=EditedAction(name=pending["action"], args=edited),
                    message=decision.message)


def _redirect_free_text(state: TuningState, pending: Record, text: str) -> None:
    """Free text sent as a card's answer is read like any message (graph/understand.py): a question,
    a change another step owns, or a purpose at the category card does not decide the card; the
    step wrapper applies the redirect (`Reask`) and the router takes it from there."""
    from graph import understand

    job_exists = bool((state.get("job") or {}).get("name"))
    meant = understand.meaning(text, dict(pending), category_chosen=bool(state.get("category")),
                               job_exists=job_exists)
    if not meant.answers_card:
        raise Reask(understand.redirect(meant, dict(pending), dict(state)))


def _short_error(err: Exception, args_model: type[BaseModel] | None = None) -> str:
    return validation_words(err, args_model) if isinstance(err, ValidationError) else str(err)


#: Pydantic's bound names, as a person reads them.
_BOUNDS = (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<"))


def validation_words(err: ValidationError, model: type[BaseModel] | None = None) -> str:
    """A validation error in words: the field, the value given and the allowed range ("epochs = 0 is not
    allowed (epochs must be ≥ 1 and ≤ 50)") or the reason, without pydantic's "Value error," prefix.
    With the `model`, a field's whole range is named, not only the bound that was broken."""
    parts = []
    for e in err.errors():
        field = ".".join(str(p) for p in e["loc"])
        info = model.model_fields.get(field) if model is not None else None
        declared = {key: getattr(m, key) for m in (info.metadata if info else []) for key, _ in _BOUNDS
                    if getattr(m, key, None) is not None}
        limits = declared if declared and e.get("ctx") else e.get("ctx") or {}
        bounds = [f"{op} {limits[key]}" for key, op in _BOUNDS if key in limits]
        given = repr(e.get("input"))
        given = given if len(given) <= 80 else given[:79] + "…"
        if e["type"] == "missing":
            parts.append(f"{field} is required")
        elif bounds:
            parts.append(f"{field} = {given} is not allowed ({field} must be {' and '.join(bounds)})")
        else:
            parts.append(f"{field} = {given} is not allowed ({str(e['msg']).removeprefix('Value error, ')})")
    return "; ".join(parts)
