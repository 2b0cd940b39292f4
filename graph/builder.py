"""Wire the graph: intake, then the router, then one step at a time back to the router.

`build_graph(deps, checkpointer)` is the one builder. The CLI passes a SQLite
checkpointer, tests an in-memory one, and the LangGraph server none (it brings its own).
The graph's input is messages only (`InputState`); per-run choices arrive as runtime
context (`RunContext`); it runs under a small recursion limit (`RECURSION_LIMIT`).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from langchain_core.messages import AIMessage
from langgraph.graph import START, StateGraph
from langgraph.runtime import Runtime

from graph.approvals import Reask, Resolved, ask
from graph.common import combine, say
from graph.context import InputState, RunContext
from graph.deps import Deps
from graph.limits import RECURSION_LIMIT
from graph.nodes import answer, intake
from graph.router import ANSWER, END, HALT, first_unmet, next_step
from graph.state import TuningState
from graph.steps import STEP_NAMES, STEPS
from graph.title import with_title
from tools.errors import ToolError

#: What an error leaves in `facts`: the per-message facts are cleared so that the change
#: that caused the error is not applied again; only the bookkeeping stays.
_KEPT_FACTS = ("seen", "last_text", "purpose")


def _clear_facts(state: TuningState) -> dict[str, Any]:
    known = state.get("facts") or {}
    return {"facts": {k: None for k in known if k not in _KEPT_FACTS}} if known else {}


def _title(step: str) -> str:
    return step.replace("_", " ").capitalize()


def _setup_line(platform: str, deps: Deps) -> str:
    """The thread's first status line: where jobs run and which LLM (if any) reads the messages."""
    where = {"local": "this machine (local platform: no cloud account, no charges)",
             "vertex": "Vertex AI" + (f" (project {deps.project})" if deps.project else "")}.get(platform, platform)
    llm = deps.llm
    if llm is None:
        mode = "deterministic mode (no LLM: I follow fixed rules and ask plainly)"
    else:
        name = getattr(llm, "model_name", None) or getattr(llm, "model", None) or type(llm).__name__
        mode = f"LLM `{name}`"
    return f"Platform: {where}. Conversation: {mode}."


def _bind(run: Callable[[TuningState, Deps], dict[str, Any]], deps: Deps, step: str) -> Any:
    """The node for `step`: its module's `run` with this run's deps, behind the one error boundary.

    A `ToolError` (bad data, a refused cloud call) becomes a message that says what went
    wrong and what to do; the facts that led there are cleared and the step asks. `Reask`
    (a card that must be shown again) returns its update. Every step's update also keeps
    `turn_steps` for the router's loop guard, and the thread's title (graph/title.py).
    """

    def node(state: TuningState, runtime: Runtime[RunContext]) -> dict[str, Any]:
        run_deps = deps.for_run(runtime.context)
        try:
            update = run(state, run_deps)
        except Reask as again:
            update = again.update
        except Resolved:
            return _resolve(state)
        except ToolError as err:
            update = combine(_clear_facts(state),
                             say(f"**{_title(step)} failed:** {err}",
                                 "Nothing else was changed. Tell me how to proceed, or say **retry**."),
                             ask(step, "How should I proceed?"))
        if step == ANSWER:
            return update
        update = with_title(state, update, run_deps)
        if step == "intake":  # a new message starts a new turn
            if update.get("platform") and not state.get("platform"):  # the thread's first turn
                line = AIMessage(content=_setup_line(update["platform"], run_deps),
                                 additional_kwargs={"status": True, "setup": True})  # the terminal has a header
                update = combine(update, {"messages": [line]})
            return {**update, "turn_steps": []}
        if "turn_steps" in update:  # the step made progress and says so (monitor: one poll per step)
            return update
        asked = "pending" in update  # opened or closed a question or card: a human is involved
        return {**update, "turn_steps": [] if asked else [*(state.get("turn_steps") or []), step]}

    node.__doc__ = run.__doc__
    node.__name__ = step
    return node


def _halt(state: TuningState) -> dict[str, Any]:
    """The router would run a step a second time in this turn with no question in between: stop and ask."""
    step = first_unmet(state)
    return combine(_clear_facts(state), {"turn_steps": []},
                   say(f"I'm going round in circles at **{_title(step)}**, so I stopped instead of repeating it.",
                       "Tell me what to change, or say **retry**."),
                   ask(step, "What should I change?"))


def _resolve(state: TuningState) -> dict[str, Any]:
    """"Mark as Resolved" (Agent Chat UI's `Command(goto=END)`, which the server's auth hook turns
    into the resume `RESOLVE_RESUME`): close the open card, thank them, sum up. Nothing is undone."""
    from graph.nodes.done import summary

    return combine({"pending": {"kind": "question", "step": "done", "awaiting": True,
                                "question": "Say anything to pick up where we left off."}, "turn_steps": []},
                   say("\n\n".join(["Marked as resolved. Thank you! Here is where things stand; nothing else was "
                                      "changed, and a running job keeps running.", summary(state),
                                      "Say anything to pick up where we left off."])))


def build_graph(deps: Deps | None = None, checkpointer: Any = None) -> Any:
    """Compile the tuning graph with these dependencies and (optionally) a checkpointer."""
    deps = deps or Deps()
    builder = StateGraph(TuningState, context_schema=RunContext, input_schema=InputState)
    builder.add_node("intake", _bind(intake.run, deps, "intake"))
    builder.add_node(ANSWER, _bind(answer.run, deps, ANSWER))
    builder.add_node(HALT, _halt)
    for step in STEPS:
        builder.add_node(step.NAME, _bind(step.run, deps, step.NAME))
    builder.add_edge(START, "intake")
    targets = [ANSWER, HALT, *STEP_NAMES]
    route_map: dict[Hashable, str] = {name: name for name in targets}
    route_map[END] = END
    for name in ["intake", ANSWER, *STEP_NAMES]:
        builder.add_conditional_edges(name, next_step, route_map)
    builder.add_edge(HALT, END)
    return builder.compile(checkpointer=checkpointer, name="tuning-agent").with_config(
        recursion_limit=RECURSION_LIMIT)
