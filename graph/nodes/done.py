"""done: summarise the session, then answer test prompts against the tuned model."""

from __future__ import annotations

from typing import Any

from graph.approvals import ask
from graph.common import combine, facts, md_table, platform_of, rec, say
from graph.deps import Deps
from graph.state import TuningState
from tools.errors import ToolError

NAME = "done"

QUESTION = ("Type a prompt to try the tuned model. To ask me instead, start with `?` "
            "(e.g. `? what is LoRA`); **status**, **summary** and **help** also come to me.")
HELP = ("Here, what you type goes to the tuned model as a prompt, and its reply is shown as **Tuned model:**.\n\n"
        "- Start a message with `?` (or `/`) to ask me instead: `? how do I use this model elsewhere`.\n"
        "- **status** or **summary**: this session's model, data, job and time.\n"
        "- **quit**: leave (the conversation is saved; resume it with `--thread`).")
#: Whole messages that are for the agent even at the try-the-model prompt.
AGENT_WORDS = frozenset({"status", "summary", "help", "deploy", "stop", "quit", "exit", "cancel", "undo", "back",
                         "go back"})
#: Words that leave the try-the-model prompt (the terminal chat leaves on them; other clients get this line).
LEAVE_WORDS = frozenset({"stop", "quit", "exit", "cancel"})
LEAVE = ("Done trying the model. Everything is saved: come back to this conversation any time to try it again "
         "(in the terminal: `tuning-agent chat --thread THREAD`).")
#: A message starting with one of these is for the agent (the prefix is dropped).
AGENT_PREFIXES = ("?", "/")
NO_ENDPOINT = ("Ask me anything. Nothing is deployed: say **deploy** to deploy the tuned model, or start a new "
               "conversation to tune another.")


def summary(state: TuningState) -> str:
    """The session so far as a small table (also what "Mark as Resolved" posts); unknown rows are left out."""
    ds, hp, job, dep = rec(state, "dataset"), rec(state, "hparams"), rec(state, "job"), rec(state, "deployment")
    rows: list[list[Any]] = [["purpose", facts(state).get("purpose")], ["platform", state.get("platform")],
                             ["model", hp.get("base_model")], ["training data", ds.get("train_uri")],
                             ["validation data", ds.get("validation_uri")], ["job", job.get("name")],
                             ["state", job.get("state")], ["endpoint", dep.get("endpoint")],
                             ["cost", rec(state, "cost").get("label")], ["time", _job_time(state)]]
    return "Summary:\n\n" + md_table(["", ""], [r for r in rows if r[1] not in (None, "")], max_cell=120)


def _job_time(state: TuningState) -> str | None:
    """How long the job took against what was estimated ("2 min 10 s (estimated 1 min 40 s)"): the job's
    measured duration (the figure its result line gave) and the estimate the configuration card showed."""
    from tools.monitoring import format_duration

    job, cost = rec(state, "job"), rec(state, "cost")
    elapsed, guess = job.get("elapsed_s"), cost.get("estimated_training_time_s")
    actual = format_duration(elapsed) if elapsed is not None else None
    estimate = format_duration(guess) if guess else None
    if actual and estimate:
        return f"{actual} (estimated {estimate})"
    return actual or (f"estimated {estimate}" if estimate and not job.get("ended") else None)


def for_the_agent(text: str) -> str | None:
    """What the person asks the agent, or None when `text` is a prompt for the tuned model.

    The rule the prompt states: a leading `?` or `/`, or one of `AGENT_WORDS` alone, is for
    the agent; everything else is a test prompt (a trivia model's test prompt is often a
    question, so a question mark alone decides nothing).
    """
    stripped = text.strip()
    if stripped[:1] in AGENT_PREFIXES:
        return stripped[1:].strip()
    return stripped if stripped.lower().rstrip("!.?") in AGENT_WORDS else None


def _to_agent(state: TuningState, deps: Deps, asked: str) -> dict[str, Any]:
    """A message for the agent at the try-the-model prompt: a command, or a question answered here."""
    from graph import advisor

    word = asked.lower().rstrip("!.?")
    if word in {"status", "summary"}:
        reply = summary(state)
    elif word in {"help", ""}:
        reply = HELP
    elif word in LEAVE_WORDS:
        return combine(say(LEAVE), {"facts": {"last_text": None}}, ask("done", QUESTION))
    elif word in {"undo", "back", "go back"}:
        reply = ("There is nothing to undo here: the job has finished and its model is what you are trying. To "
                 "tune again with other settings, start a new conversation.")
    elif word == "deploy":
        reply = f"The tuned model is already deployed at `{rec(state, 'deployment').get('endpoint')}`."
    else:
        reply = advisor.answer_question(deps.llm, asked)
    return combine(say(reply.rstrip() + "\n\n" + QUESTION), {"facts": {"last_text": None}}, ask("done", QUESTION))


def done(state: TuningState) -> bool:
    """Never: the conversation stays here (summary, then test prompts)."""
    return False


def run(state: TuningState, deps: Deps) -> dict[str, Any]:
    dep, job = rec(state, "deployment"), rec(state, "job")
    known = facts(state)
    text = (known.get("last_text") or "").strip()
    if not dep.get("summarized"):
        follow = QUESTION if dep.get("endpoint") else NO_ENDPOINT
        return combine({"deployment": {"summarized": True}}, say(summary(state)), say(follow), ask("done", follow))
    if not dep.get("endpoint"):
        if job.get("succeeded") and (known.get("yes") or "deploy" in text.lower()):
            return {"deployment": {"wanted": None, "summarized": False}}  # deploy after all: back to the card
        return combine(say(NO_ENDPOINT), ask("done", NO_ENDPOINT))
    asked = for_the_agent(text) if text else None
    if asked is not None:
        return _to_agent(state, deps, asked)
    if text:
        try:
            reply = platform_of(state, deps).predict(str(dep["endpoint"]), text)
        except ToolError as err:
            reply = f"The endpoint did not answer: {err}"
        answer = reply.strip() or "(empty reply)"
        return combine(say(f"**Tuned model:** {answer}"), {"facts": {"last_text": None}}, ask("done", QUESTION))
    return combine(say(QUESTION), ask("done", QUESTION))
