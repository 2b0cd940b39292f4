"""The one approval protocol every step uses (LangChain v1 human-in-the-loop shape).

A step that needs a decision does it in two passes, so that the proposal is saved in
state before anyone is asked (a resumed node re-runs from its top; nothing with a side
effect may run before `interrupt()`):

1. `propose(...)` → the node returns `{"pending": ...}`; the router sends control back
   to the same step.
2. `await_decision(state, ArgsModel)` → reads an answer typed as a plain chat message
   (intake stores it in `facts["answer"]`), or interrupts with the payload

       {"action_requests": [{"name", "args", "description"}],
        "review_configs": [{"action_name", "allowed_decisions"}]}

   and accepts `{"decisions": [{"type": "approve"} | {"type": "edit", "edited_action":
   {"name", "args"}} | {"type": "reject", "message"}]}` or a bare string (free text).
   Edited args are validated and coerced with the step's pydantic model; invalid edits
   re-ask with the error. The node then acts and returns `outcome.updates`, which clears
   `pending` and appends the decision to the `approvals` audit trail.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from langgraph.types import interrupt
from pydantic import BaseModel, Field, ValidationError

from graph.state import Record, TuningState

DecisionType = Literal["approve", "edit", "reject"]
ALL_DECISIONS: tuple[DecisionType, ...] = ("approve", "edit", "reject")


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


def propose(step: str, action: str, args: dict[str, Any], description: str,
            allowed: tuple[DecisionType, ...] = ALL_DECISIONS) -> dict[str, Any]:
    """The state update that opens an approval; the router then re-enters `step`.

    Each card gets an id: an answer typed as a chat message carries the id of the card it
    was typed at, so it can never decide a later card (even one for the same action).
    """
    return {"pending": {"kind": "approval", "step": step, "action": action, "args": args,
                        "description": description, "allowed": list(allowed), "error": None,
                        "id": uuid.uuid4().hex}}


def ask(step: str, question: str) -> dict[str, Any]:
    """The state update for a plain question: the turn ends until the human answers."""
    return {"pending": {"kind": "question", "step": step, "question": question, "awaiting": True}}


def payload(pending: Record) -> dict[str, Any]:
    """The interrupt value for an open approval."""
    description = pending["description"]
    if pending.get("error"):
        description = f"**Your edit was not accepted:** {pending['error']}\n\n{description}"
    return {
        "action_requests": [{"name": pending["action"], "args": pending["args"], "description": description}],
        "review_configs": [{"action_name": pending["action"], "allowed_decisions": pending["allowed"]}],
    }


def _from_resume(value: Any, pending: Record) -> Decision:
    """Read a resume value; raises ValueError (shown on the re-asked card) when it makes no sense."""
    if isinstance(value, str):
        return Decision(type="reject", message=value)
    if isinstance(value, list) and value and isinstance(value[0], dict) and value[0].get("type") in _LEGACY:
        old = value[0]
        kind = _LEGACY[old["type"]]
        if kind == "edit":
            args = (old.get("args") or {}).get("args", {})
            return Decision(type="edit", edited_action=EditedAction(name=pending["action"], args=args))
        return Decision(type=kind, message=old.get("args") if isinstance(old.get("args"), str) else None)
    try:
        return HITLResponse.model_validate(value).decisions[0]
    except ValidationError as err:
        raise ValueError('could not read the answer; send {"decisions": [{"type": "approve"}]}, '
                         '{"type": "edit", "edited_action": {...}} or {"type": "reject", "message": "..."}') from err


def _from_chat(answer: Record) -> Decision:
    if answer.get("decision") == "approve":
        return Decision(type="approve")
    return Decision(type="reject", message=answer.get("message") or None)


def await_decision(state: TuningState, args_model: type[BaseModel] | None = None) -> Outcome:
    """Block (interrupt) until the open approval is decided; return the validated outcome."""
    pending = dict(state.get("pending") or {})
    facts = state.get("facts") or {}
    answer = facts.get("answer")
    if answer and (answer.get("for") != pending.get("action") or answer.get("card") != pending.get("id")):
        answer = None  # typed while another card was open: not an answer to this one
    decision = _from_chat(answer) if answer else None
    while True:
        if decision is None:
            try:
                decision = _from_resume(interrupt(payload(pending), response_schema=RESUME_SCHEMA), pending)
            except ValueError as err:
                pending["error"] = str(err)
                continue
        if decision.type not in pending["allowed"]:
            pending["error"] = f"'{decision.type}' is not allowed here; choose one of {pending['allowed']}."
            decision = None
            continue
        args = dict(pending["args"])
        if decision.type in {"approve", "edit"}:
            edited = decision.edited_action.args if decision.edited_action and decision.type == "edit" else {}
            merged = {**args, **{k: v for k, v in edited.items() if k in args}}
            unknown = sorted(set(edited) - set(args))
            try:
                if unknown:
                    raise ValueError(f"unknown field(s) {', '.join(unknown)}; editable: {', '.join(args)}")
                # An approved proposal is checked too: a proposal can be incomplete (e.g. no column fits).
                args = args_model.model_validate(merged).model_dump() if args_model else merged
            except (ValidationError, ValueError) as err:
                pending["error"] = _short_error(err)
                decision = None
                continue
        break
    record = {"action": pending["action"], "args": args, "decision": decision.type,
              "message": decision.message, "time": datetime.now(UTC).isoformat(timespec="seconds")}
    updates: dict[str, Any] = {"pending": None, "approvals": [record]}
    if answer:
        updates["facts"] = {"answer": None}
    elif decision.message:
        # Free text sent with a card's answer never passes intake: keep a dataset it names
        # ("no, use other.csv instead") so the tree can go back to that step.
        from graph.parse import dataset_ref

        named = dataset_ref(decision.message)
        if named:
            updates["facts"] = {"dataset": named}
    return Outcome(type=decision.type, args=args, message=decision.message, updates=updates)


def _short_error(err: Exception) -> str:
    if isinstance(err, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in err.errors())
    return str(err)
