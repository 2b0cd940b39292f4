"""The terminal chat: one conversation thread with the tuning graph, saved at every step.

Start-up is arranged so the first prompt appears at once: the banner needs only the
platform and LLM choices (no SDK import), and LangGraph, the graph and the checkpoint
file load in a background thread while the human types. Each turn streams the graph:
`tasks` events name the step on a spinner, `custom` events drive the progress bars,
`updates` carry the assistant's messages (printed as they arrive) and the end of a job
(when its loss curve is drawn). When the graph stops at an approval, the card is shown
and answered (agent/cards.py); otherwise the human types the next message.

Leaving (quit, exit, Ctrl-D, Ctrl-C) always prints how to resume. The checkpointer writes
each finished step synchronously, so an interrupted step simply runs again on resume.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.cards import QUIT_WORDS, STOP_WORDS, QuitChat, decide
from agent.chat_input import LineReader, make_reader
from agent.render import Renderer, make_console
from agent.sessions import (
    DB_HINT,
    HISTORY_NAME,
    THREAD_ID_RE,
    ThreadChoices,
    db_path,
    load_choices,
    new_thread_id,
    open_saver,
    pending_interrupt,
    pending_interrupt_id,
    save_choices,
    sticky_choices,
    thread_config,
    thread_ids,
)

FIRST_QUESTION = "What would you like to tune a model for?"
RESUME_HINT = "Resume with: tuning-agent chat --thread {thread}"


@dataclass
class ChatOptions:
    """The command line's choices for one chat."""

    platform: str = "auto"
    llm: str | None = None
    project: str | None = None
    region: str | None = None
    thread: str | None = None
    poll_s: float = 5.0
    notify: bool = False
    """Ring the terminal bell and print a line when a watched job ends (`--notify`)."""


@dataclass
class Loaded:
    """The compiled graph and what it runs with."""

    graph: Any
    deps: Any
    saver: Any
    llm_failed: str | None = None  # why the LLM did not start (then none is in use)

    @property
    def llm_warning(self) -> str | None:
        """The header line that corrects the LLM after a failed start."""
        return f"LLM:      none  ({self.llm_failed})" if self.llm_failed else None


def llm_fallback_reason(spec: str, err: BaseException) -> str:
    """Why the LLM in use is `none` although `spec` was asked for (the header's correction)."""
    reason = (str(err).strip().splitlines() or [type(err).__name__])[0].rstrip(".")
    if len(reason) > 160:
        reason = reason[:157] + "…"
    return f"{spec} could not start: {reason}; deterministic mode: heuristics, numbered choices, yes/no"


class _Loader(threading.Thread):
    """Imports LangGraph, builds the LLM and compiles the graph off the main thread."""

    def __init__(self, options: ChatOptions, platform: str, llm_spec: str, path: Path) -> None:
        super().__init__(name="tuning-agent-loader", daemon=True)
        self.options, self.platform, self.llm_spec, self.path = options, platform, llm_spec, path
        self.result: Loaded | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = _load(self.options, self.platform, self.llm_spec, self.path)
        except BaseException as err:  # re-raised on the main thread by `wait`
            self.error = err

    def wait(self) -> Loaded:
        self.join()
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


def _load(options: ChatOptions, platform: str, llm_spec: str, path: Path) -> Loaded:
    from agent.llm import make_llm
    from graph.builder import build_graph
    from graph.deps import Deps

    warning = None
    try:
        llm = make_llm(llm_spec)
    except Exception as err:  # a missing provider package or bad credentials: stay useful
        llm, warning = None, llm_fallback_reason(llm_spec, err)
    # Instances and defaults; the per-run choices travel as the runtime context (see `Chat.context`).
    deps = Deps(platform_name=platform, llm=llm, poll_s=options.poll_s)
    saver = open_saver(path)
    return Loaded(graph=build_graph(deps, checkpointer=saver), deps=deps, saver=saver, llm_failed=warning)


class Chat:
    """One running conversation: reads the human, streams the graph, renders what comes back."""

    def __init__(self, thread_id: str, loader: _Loader, reader: LineReader, renderer: Renderer) -> None:
        self.thread_id = thread_id
        self.config = thread_config(thread_id)
        self.loader = loader
        self.reader = reader
        self.renderer = renderer
        self._loaded: Loaded | None = None
        self._llm_failure_told = False
        self._plotted: set[str] = set()
        self._replies = 0
        self.banner_shown = False

    @property
    def context(self) -> Any:
        """This chat's per-run choices (graph/context.py), sent with every turn like a server run would."""
        from graph.context import RunContext

        options = self.loader.options
        return RunContext(platform=self.loader.platform, project=options.project, region=options.region)

    def start_loading(self) -> None:
        """Begin loading the graph in the background (idempotent)."""
        if self.loader.ident is None:
            self.loader.start()

    @property
    def loaded(self) -> Loaded:
        if self._loaded is None:
            self.start_loading()
            if self.loader.is_alive() and self.renderer.styled:
                with self.renderer.console.status("Starting…", spinner="dots"):
                    self._loaded = self.loader.wait()
            else:
                self._loaded = self.loader.wait()
            if self._loaded.llm_warning and self.banner_shown:  # correct the header already on screen
                self.renderer.note(self._loaded.llm_warning, style="yellow")
        return self._loaded

    @property
    def graph(self) -> Any:
        return self.loaded.graph

    # --- reading the human -------------------------------------------------------------

    def read_message(self, leave_on_stop: bool = False) -> str:
        """The human's next chat message (quit/exit leave, and stop/cancel where `leave_on_stop`: at the
        try-the-model prompt, where they would otherwise go to the tuned model; empty lines are ignored)."""
        while True:
            text = self.reader.ask("> ").strip()
            if text.lower() in QUIT_WORDS or (leave_on_stop and text.lower().rstrip(".!") in STOP_WORDS):
                raise QuitChat
            if text:
                return text

    def next_input(self) -> Any:
        """What to send the graph next: a resume for an open card, a retry, or a new message."""
        from langgraph.types import Command

        snapshot = self.graph.get_state(self.config)
        card = pending_interrupt(snapshot)
        if card is not None:
            from graph.parse import is_question

            self.renderer.card(card)
            answer = decide(card, self.reader, self.renderer, is_question=is_question)
            if answer.message is not None:
                return self._message(answer.message)
            card_id = pending_interrupt_id(snapshot)
            return Command(resume={card_id: answer.resume} if card_id else answer.resume)
        if snapshot.next:
            self.renderer.note(f"The step '{', '.join(snapshot.next)}' did not finish. Press Enter to run it "
                               "again, or type a message.", style="yellow")
            text = self.reader.ask("> ").strip()
            if text.lower() in QUIT_WORDS:
                raise QuitChat
            return self._message(text) if text else None
        trying_model = ((snapshot.values or {}).get("pending") or {}).get("step") == "done"
        return self._message(self.read_message(leave_on_stop=trying_model))

    @staticmethod
    def _message(text: str) -> dict[str, Any]:
        import uuid

        from langchain_core.messages import HumanMessage

        return {"messages": [HumanMessage(content=text, id=uuid.uuid4().hex)]}

    # --- one turn ----------------------------------------------------------------------

    def run_turn(self, value: Any) -> None:
        """Stream the graph from `value` until it waits for the human; render as it goes."""
        from tools.errors import ToolError

        ended_jobs: list[str] = []
        self._replies = 0
        try:
            with self.renderer.progress() as view, _StopOnInterrupt(self, view):
                for mode, chunk in self.graph.stream(value, self.config, stream_mode=["tasks", "updates", "custom"],
                                                     durability="sync", context=self.context):
                    if mode == "tasks" and "input" in chunk:
                        view.step(str(chunk.get("name")))
                    elif mode == "custom" and isinstance(chunk, dict):
                        view.event(chunk)
                    elif mode == "updates" and isinstance(chunk, dict):
                        ended_jobs += self._show_updates(chunk)
        except ToolError as err:
            self.renderer.error(err.message, err.hint)
            self.renderer.note("The conversation is saved at the last finished step.")
        except Exception as err:  # an unexpected failure (network, a bug): keep the chat and the thread
            log = _log_error(err)
            self.renderer.error(f"{type(err).__name__}: {err}",
                                f"The conversation is saved at the last finished step; press Enter to try that "
                                f"step again. Details: {log}")
        for name in ended_jobs:
            self.show_loss(name)
            if self.loader.options.notify:
                self.notify_ended(name)
        self._report_llm_fallbacks()
        if not self._replies:
            self._say_pending()

    def _report_llm_fallbacks(self) -> None:
        """Say (once per chat) when the LLM failed and the deterministic path answered instead."""
        from agent.logs import fallbacks, log_path

        failed = fallbacks.take()
        if failed and self._loaded is not None and self._loaded.deps.llm is not None and not self._llm_failure_told:
            # Said once: after that every turn would repeat it, and the chat carries on the same way.
            self._llm_failure_told = True
            self.renderer.note(f"The LLM is unavailable ({len(failed)} call(s) failed); the deterministic path "
                               f"answers instead, and I won't repeat this. Details: {log_path()}", style="yellow")

    def _say_pending(self) -> None:
        """A turn that printed nothing (the message changed nothing): repeat the open question."""
        snapshot = self.graph.get_state(self.config)
        pending = (snapshot.values or {}).get("pending") or {}
        if pending.get("kind") == "question" and not pending_interrupt(snapshot):
            self.renderer.note(str(pending.get("question") or ""), style="bold")

    def _show_updates(self, chunk: dict[str, Any]) -> list[str]:
        ended = []
        for node, update in chunk.items():
            if node.startswith("__") or not isinstance(update, dict):
                continue
            for message in update.get("messages") or []:
                if (message.additional_kwargs or {}).get("card") or (message.additional_kwargs or {}).get("setup"):
                    continue  # a card's explanation (the card is drawn next), or the platform line (in the header)
                if (message.additional_kwargs or {}).get("progress") and not (update.get("job") or {}).get("ended"):
                    continue  # a job's progress line, rewritten each poll: the progress bar shows it
                if getattr(message, "type", "") == "ai":
                    self._replies += 1
                    self.renderer.reply(str(message.content),
                                        status=bool((message.additional_kwargs or {}).get("status")))
            job = update.get("job") or {}
            if job.get("ended") and job.get("name") and job["name"] not in self._plotted:
                ended.append(str(job["name"]))
        return ended

    def show_loss(self, job_name: str) -> None:
        """Draw the finished job's loss curve here and save it as a PNG beside the job output."""
        from tools.errors import ToolError
        from tools.local.plots import ascii_loss_plot, loss_plot_png

        self._plotted.add(job_name)
        values = self.graph.get_state(self.config).values
        try:
            info = self.loaded.deps.platform(values.get("platform") or "local").get_job(job_name)
        except ToolError as err:
            self.renderer.note(f"Could not read the job's loss curve: {err.message}")
            return
        if not info.train_loss and not info.val_loss:
            return
        width = max(20, min(70, self.renderer.console.width - 16))
        plot = ascii_loss_plot(info.train_loss, width=width, height=10, val_points=info.val_loss)
        png: str | None = None
        try:
            png = str(loss_plot_png(info, _png_path(self.loaded.deps, values, info)))
        except (ToolError, OSError) as err:
            self.renderer.note(f"Could not save the loss plot: {err}")
        self.renderer.loss_plot(plot, png)

    def notify_ended(self, job_name: str) -> None:
        """`--notify`: the terminal bell and one line, so someone in another window hears the job end."""
        from tools.errors import ToolError
        from tools.monitoring import short_name, state_word

        values = self.graph.get_state(self.config).values or {}
        try:
            state = state_word(self.loaded.deps.platform(values.get("platform") or "local").get_job(job_name).state)
        except ToolError:
            state = state_word((values.get("job") or {}).get("state"))
        self.renderer.console.file.write("\a")
        self.renderer.console.file.flush()
        self.renderer.note(f"🔔 Job {short_name(job_name)} ended: {state}.", style="bold")

    def report_job_while_away(self) -> bool:
        """On resume: a job saved as still running is looked up once, and its result (or status) comes first.

        Returns True when the result was shown and recorded: the recap of the last turn (from before
        the job ended: "Job submitted", an offer to watch) is then stale and is not replayed."""
        from tools.errors import ToolError
        from tools.monitoring import ended_while_away, final_message, progress_line

        values = self.graph.get_state(self.config).values or {}
        job = values.get("job") or {}
        if not job.get("name") or job.get("ended"):
            return False
        try:
            info = self.loaded.deps.platform(values.get("platform") or "local").get_job(str(job["name"]))
        except ToolError as err:
            self.renderer.note(f"Could not check the job {job['name']}: {err.message}", style="yellow")
            return False
        if not ended_while_away(job, info):
            self.renderer.reply(progress_line(info), status=True)
            return False
        self.renderer.note("While you were away, the job ended:", style="bold")
        self.renderer.reply(final_message(info))
        recorded = self.record_result(info)
        self.show_loss(info.name)
        return recorded

    def record_result(self, info: Any) -> bool:
        """Save a result reported on resume into the thread, as the monitor step would have (same
        message ids), so the conversation goes on past the monitor instead of reporting it again.

        Only when the thread waits for a typed message or at the offer to watch (which the ended
        job makes moot: it is closed); any other open card is left to its step. Returns whether
        the result was recorded."""
        from langchain_core.messages import AIMessage

        from graph.nodes.monitor import ACTION, progress_id, result_id
        from graph.nodes.submit import job_record
        from tools.monitoring import final_message, progress_line

        snapshot = self.graph.get_state(self.config)
        card = pending_interrupt(snapshot)
        watch_offer = card is not None and card["action_requests"][0].get("name") == ACTION
        if (card is not None or snapshot.next) and not watch_offer:
            return False
        messages = [AIMessage(content=progress_line(info), id=progress_id(info.name),
                              additional_kwargs={"status": True, "progress": True}),
                    AIMessage(content=final_message(info), id=result_id(info.name))]
        update: dict[str, Any] = {"job": {**job_record(info), "watch": False}, "messages": messages}
        if watch_offer:
            update["pending"] = None  # the offer to watch is withdrawn: the job has ended
        self.graph.update_state(self.config, update, as_node="monitor")
        self._plotted.add(info.name)
        return True

    # --- the loop ----------------------------------------------------------------------

    def recap(self) -> None:
        """On resume: the last turn's assistant messages and any open question."""
        snapshot = self.graph.get_state(self.config)
        values = snapshot.values or {}
        messages = list(values.get("messages") or [])
        last_turn: list[Any] = []
        for message in reversed(messages):
            if getattr(message, "type", "") == "human":
                break
            last_turn.insert(0, message)
        # Not a card's explanation (the card is drawn next), nor a job's progress line (the
        # report before the recap showed the job's state as it is now).
        shown = [m for m in last_turn if not {"card", "progress"} & set(m.additional_kwargs or {})]
        for message in shown[-3:]:
            self.renderer.reply(str(message.content), status=bool((message.additional_kwargs or {}).get("status")))
        pending = values.get("pending") or {}
        if pending.get("kind") == "question" and not pending_interrupt(snapshot) and not snapshot.next:
            self.renderer.note(str(pending.get("question") or ""), style="bold")

    def loop(self, first_message: bool) -> None:
        """Converse until the human leaves."""
        if first_message:
            self.renderer.note(FIRST_QUESTION, style="bold")
            # Load while the human types: started only now so the imports don't slow the first prompt.
            self.reader.prepare()
            self.start_loading()
            self.run_turn(self._message(self.read_message()))
        while True:
            self.run_turn(self.next_input())

    def where(self) -> str | None:
        """Where the conversation stands (the open card or question), said when the human leaves."""
        if self._loaded is None:
            return None
        try:
            pending = (self.graph.get_state(self.config).values or {}).get("pending") or {}
        except Exception:  # leaving must never fail
            return None
        if pending.get("kind") == "approval":
            from graph.approvals import title

            return f"You stopped at the card “{title(str(pending.get('action')))}”; nothing on it was decided."
        if pending.get("kind") == "question" and pending.get("question"):
            return f"You stopped at the question: {pending['question']}"
        return None

    def close(self) -> None:
        loaded = self._loaded
        if loaded is None and self.loader.ident is not None and not self.loader.is_alive() \
                and self.loader.result is not None:
            loaded = self.loader.result
        if loaded is not None:
            loaded.saver.conn.close()


class _StopOnInterrupt:
    """Ctrl-C while a step runs: the first stops after that step, the second leaves at once.

    LangGraph runs a streaming node in a worker thread and, on an exception, waits for
    it to finish before unwinding, so a long step (watching a job) would hold Ctrl-C for
    minutes. The first Ctrl-C says so and unwinds after the step (its result is saved);
    the second prints the resume hint and exits the process now. That is safe: a step's
    result is written only when it finishes (SQLite commits are atomic), so the cut step
    simply runs again on resume, and steps that act check for their own earlier result.
    """

    def __init__(self, chat: Chat, view: Any) -> None:
        self.chat, self.view = chat, view
        self.count = 0
        self.previous: Any = None

    def __enter__(self) -> _StopOnInterrupt:
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)

    def _handle(self, signum: int, frame: Any) -> None:
        self.count += 1
        self.view.stop()
        if self.count == 1:
            self.chat.renderer.note("Stopping after this step finishes (its result is saved). Press Ctrl-C again "
                                    "to leave now; the step then runs again when you resume.", style="yellow")
            raise KeyboardInterrupt
        self.chat.renderer.console.print()
        self.chat.renderer.note(RESUME_HINT.format(thread=self.chat.thread_id), style="bold")
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)


def _log_error(err: BaseException) -> Path:
    """Append the traceback to `$TUNING_AGENT_HOME/chat_errors.log` (the screen gets one line)."""
    import traceback
    from datetime import datetime

    from tools.settings import tuning_agent_home

    path = tuning_agent_home() / "chat_errors.log"
    with path.open("a", encoding="utf-8") as fh:
        fh.write(f"--- {datetime.now().isoformat(timespec='seconds')}\n")
        fh.write("".join(traceback.format_exception(err)))
    return path


def _png_path(deps: Any, values: dict[str, Any], info: Any) -> Path:
    """Beside the job output: in the output folder for local jobs, the run's folder otherwise."""
    storage = deps.platform(values.get("platform") or "local").storage
    output = info.output_uri or (values.get("storage") or {}).get("output_uri") or ""
    if output.startswith("local://") and hasattr(storage, "local_path"):
        return Path(storage.local_path(output)) / "loss.png"
    from tools.settings import tuning_agent_home

    run = values.get("run_id") or info.name.rsplit("/", 1)[-1]
    return tuning_agent_home() / "runs" / str(run) / f"loss-{info.name.rsplit('/', 1)[-1]}.png"


def run_chat(options: ChatOptions, reader: LineReader | None = None, renderer: Renderer | None = None) -> int:
    """Run the chat until the human leaves; returns the exit code."""
    from agent.llm import resolve_llm_spec
    from tools.platforms import resolve_platform_name
    from tools.settings import tuning_agent_home

    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    renderer = renderer or Renderer(make_console(interactive))
    home = tuning_agent_home()
    path = db_path(home)
    known = thread_ids(path)
    if options.thread is not None and not THREAD_ID_RE.match(options.thread):
        from agent.cli import UsageError

        raise UsageError(f"--thread {options.thread!r}: use letters, digits, '-', '_' or '.' (at most 64).")
    thread_id = options.thread or new_thread_id(known)
    new = thread_id not in known
    saved = None if new else load_choices(path, thread_id)
    keep_platform, keep_llm = sticky_choices(saved, options.platform, options.llm, os.environ.get("TUNING_AGENT_LLM"))
    if keep_platform:
        platform, platform_reason = keep_platform, "kept from this thread"
    else:
        platform, platform_reason = resolve_platform_name(options.platform)
    if keep_llm:
        llm_spec = keep_llm
        llm_reason = "kept from this thread" + ("; deterministic mode" if keep_llm == "none" else "")
    else:
        llm_spec, llm_reason = resolve_llm_spec(options.llm)
    loader = _Loader(options, platform, llm_spec, path)
    reader = reader or make_reader(interactive, home / HISTORY_NAME)
    chat = Chat(thread_id, loader, reader, renderer)
    try:
        return _converse(chat, renderer, platform, platform_reason, llm_spec, llm_reason, new)
    except sqlite3.DatabaseError as err:
        renderer.error(f"The conversation file {path} cannot be read ({err}).", DB_HINT)
        return 1


def _converse(chat: Chat, renderer: Renderer, platform: str, platform_reason: str, llm_spec: str, llm_reason: str,
              new: bool) -> int:
    thread_id = chat.thread_id
    try:
        if not new:
            values = chat.graph.get_state(chat.config).values or {}
            if values.get("platform") and values["platform"] != platform:
                platform_reason = f"this thread started on {values['platform']}"
                platform = values["platform"]
            new = not values
            if chat.loaded.llm_failed:  # the LLM did not start: the header names what is in use
                llm_spec, llm_reason = "none", chat.loaded.llm_failed
        renderer.banner(platform, platform_reason, llm_spec, llm_reason, thread_id, new)
        chat.banner_shown = True
        save_choices(chat.loader.path, thread_id, ThreadChoices(platform, chat.loader.llm_spec))
        if not new:
            if not chat.report_job_while_away():
                chat.recap()
            elif chat.graph.get_state(chat.config).next:
                chat.run_turn(None)  # the offer to watch was withdrawn: go on to the next step
        chat.loop(first_message=new)
    except (EOFError, KeyboardInterrupt, QuitChat):
        pass
    finally:
        _leave_now_on_ctrl_c(renderer, thread_id)  # a Ctrl-C while saying goodbye still shows the hint
        renderer.console.print()
        if where := chat.where():
            renderer.note(where + " Everything so far is saved.")
        renderer.note(RESUME_HINT.format(thread=thread_id), style="bold")
        chat.close()
    return 0


def _leave_now_on_ctrl_c(renderer: Renderer, thread_id: str) -> None:
    """From here on, Ctrl-C (often the second of two) prints the resume hint and leaves at once."""
    if threading.current_thread() is not threading.main_thread():
        return

    def leave(signum: int, frame: Any) -> None:
        renderer.console.print()
        renderer.note(RESUME_HINT.format(thread=thread_id), style="bold")
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)

    signal.signal(signal.SIGINT, leave)
