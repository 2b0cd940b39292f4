"""Saved conversations: the SQLite checkpoint file, readable thread ids, and what each thread is doing.

The chat compiles the graph with a `SqliteSaver` on `$TUNING_AGENT_HOME/threads.sqlite`,
so every finished step is a checkpoint and `--thread ID` continues exactly there.
Thread ids are short and readable (`brave-otter-42`). Listing uses the stdlib `sqlite3`
for the ids and the compiled graph for each thread's state, so it never guesses at
LangGraph's serialised format.
"""

from __future__ import annotations

import random
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

DB_NAME = "threads.sqlite"
HISTORY_NAME = "chat_history"
DB_HINT = "Move the file aside to start afresh (its saved conversations are then not listed)."
THREAD_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

_ADJECTIVES = ("amber", "brave", "calm", "clever", "eager", "gentle", "golden", "happy", "jolly", "keen",
               "lively", "lucky", "merry", "nimble", "proud", "quick", "quiet", "rapid", "shiny", "silver",
               "steady", "sunny", "swift", "tidy", "vivid", "warm", "wise", "witty", "bold", "bright")
_NOUNS = ("otter", "falcon", "maple", "river", "comet", "badger", "heron", "cedar", "lynx", "panda",
          "robin", "tiger", "willow", "zebra", "koala", "finch", "orca", "fox", "owl", "lark",
          "pine", "delta", "ember", "harbor", "meadow", "summit", "canyon", "breeze", "pebble", "quartz")


def db_path(home: Path | None = None) -> Path:
    """The checkpoint file (created on first use)."""
    if home is None:
        from tools.settings import tuning_agent_home

        home = tuning_agent_home()
    return home / DB_NAME


def thread_ids(path: Path) -> list[str]:
    """Every thread in the checkpoint file, most recently active first (no LangGraph import)."""
    if not path.exists():
        return []
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT thread_id, MAX(checkpoint_id) AS last FROM checkpoints "
                            "WHERE checkpoint_ns = '' GROUP BY thread_id ORDER BY last DESC").fetchall()
    except sqlite3.OperationalError:  # the file exists but no checkpoint was ever written
        return []
    except sqlite3.DatabaseError as err:
        from tools.errors import ToolError

        raise ToolError(f"The conversation file {path} cannot be read ({err}).", DB_HINT) from None
    finally:
        conn.close()
    return [str(row[0]) for row in rows]


def new_thread_id(existing: set[str] | list[str], rng: random.Random | None = None) -> str:
    """A short readable id not used yet, like `brave-otter-42`."""
    rng = rng or random.Random()
    taken = set(existing)
    for _ in range(1000):
        candidate = f"{rng.choice(_ADJECTIVES)}-{rng.choice(_NOUNS)}-{rng.randint(10, 99)}"
        if candidate not in taken:
            return candidate
    return f"thread-{rng.getrandbits(40):010x}"


def open_saver(path: Path) -> Any:
    """A `SqliteSaver` on `path` whose connection the chat's loader thread may hand to the main thread."""
    from langgraph.checkpoint.sqlite import SqliteSaver

    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, check_same_thread=False)
    saver = SqliteSaver(conn)
    saver.setup()
    return saver


def thread_config(thread_id: str) -> dict[str, Any]:
    """The run config for one thread, under the graph's small recursion limit (a loop stops at once)."""
    from graph.limits import RECURSION_LIMIT

    return {"configurable": {"thread_id": thread_id}, "recursion_limit": RECURSION_LIMIT}


@dataclass
class ThreadSummary:
    """One saved conversation, as `tuning-agent threads` lists it."""

    thread_id: str
    step: str
    last_activity: str
    platform: str
    purpose: str
    job: str = "—"
    """The job's state as last saved ("running (watching)", "succeeded", "declined", "—")."""
    title: str = ""
    """Purpose and dataset, e.g. "Answer support questions · support.csv" (tools/titles.py)."""


def pending_interrupt(snapshot: Any) -> dict[str, Any] | None:
    """The open approval card's payload in a state snapshot, if any."""
    found = _open_card(snapshot)
    return found.value if found is not None else None


def pending_interrupt_id(snapshot: Any) -> str | None:
    """The open card's interrupt id: resuming by id can never answer a later card by mistake."""
    found = _open_card(snapshot)
    return found.id if found is not None else None


def _open_card(snapshot: Any) -> Any:
    for task in snapshot.tasks or ():
        for item in task.interrupts or ():
            if isinstance(item.value, dict) and item.value.get("action_requests"):
                return item
    return None


def current_step(snapshot: Any) -> str:
    """Where the thread stands: the open card, the open question, a step cut off midway, or done."""
    card = pending_interrupt(snapshot)
    if card:
        return f"approve {card['action_requests'][0]['name']}"
    values = snapshot.values or {}
    pending = values.get("pending") or {}
    if snapshot.next:
        return f"stopped in {', '.join(snapshot.next)} (continues on resume)"
    if pending.get("kind") == "approval":
        return f"approve {pending.get('action')}"
    if pending.get("kind") == "question":
        step = pending.get("step") or "?"
        return "done: trying the tuned model" if step == "done" else f"{step}: waiting for your answer"
    if not values:
        return "empty"
    return "waiting for you"


def summarize(graph: Any, thread_id: str) -> ThreadSummary:
    """The listing row for one thread, read from its latest checkpoint."""
    snapshot = graph.get_state(thread_config(thread_id))
    values = snapshot.values or {}
    from tools.monitoring import saved_job_state
    from tools.titles import conversation_title

    purpose = ((values.get("facts") or {}).get("purpose") or _first_human(values) or "").strip()
    dataset = (values.get("dataset") or {}).get("source")
    return ThreadSummary(thread_id=thread_id, step=current_step(snapshot),
                         last_activity=_when(snapshot.created_at), platform=str(values.get("platform") or "?"),
                         purpose=purpose if len(purpose) <= 60 else purpose[:57] + "…",
                         job=saved_job_state(values.get("job")),
                         title=values.get("title") or conversation_title(purpose, dataset))


def _first_human(values: dict[str, Any]) -> str:
    for message in values.get("messages") or []:
        if getattr(message, "type", "") == "human":
            return str(message.content)
    return ""


def _when(created_at: str | None) -> str:
    """An ISO timestamp as local time plus a rough age ("5 min ago")."""
    if not created_at:
        return "?"
    try:
        then = datetime.fromisoformat(created_at)
    except ValueError:
        return created_at
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    age = (datetime.now(UTC) - then).total_seconds()
    ago = (f"{age:.0f} s ago" if age < 60 else f"{age / 60:.0f} min ago" if age < 3600
           else f"{age / 3600:.0f} h ago" if age < 86400 else f"{age / 86400:.0f} days ago")
    return f"{then.astimezone().strftime('%Y-%m-%d %H:%M')} ({ago})"


# --- sticky choices: a resumed thread keeps its platform and LLM ------------------------------

CHOICES_TABLE = "tuning_agent_thread_choices"


@dataclass(frozen=True)
class ThreadChoices:
    """What a thread was started with: kept on resume unless the command line asks otherwise."""

    platform: str
    llm: str


def save_choices(path: Path, thread_id: str, choices: ThreadChoices) -> None:
    """Record the thread's platform and LLM spec beside its checkpoints (same SQLite file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    try:
        with conn:
            conn.execute(f"CREATE TABLE IF NOT EXISTS {CHOICES_TABLE} (thread_id TEXT PRIMARY KEY, platform TEXT "
                         "NOT NULL, llm TEXT NOT NULL, updated_at TEXT NOT NULL)")
            conn.execute(f"INSERT OR REPLACE INTO {CHOICES_TABLE} VALUES (?, ?, ?, ?)",
                         (thread_id, choices.platform, choices.llm, datetime.now(UTC).isoformat()))
    finally:
        conn.close()


def load_choices(path: Path, thread_id: str) -> ThreadChoices | None:
    """The choices saved for a thread, or None (a thread from before choices were saved, or none)."""
    if not path.exists():
        return None
    conn = sqlite3.connect(path)
    try:
        row = conn.execute(f"SELECT platform, llm FROM {CHOICES_TABLE} WHERE thread_id = ?", (thread_id,)).fetchone()
    except sqlite3.OperationalError:  # no table yet
        return None
    finally:
        conn.close()
    return ThreadChoices(str(row[0]), str(row[1])) if row else None


def sticky_choices(saved: ThreadChoices | None, platform_flag: str, llm_flag: str | None,
                   llm_env: str | None) -> tuple[str | None, str | None]:
    """The platform and LLM spec to keep from `saved` (None where the command line or env decides).

    A resumed thread keeps its choices unless the person names others (`--platform vertex`,
    `--llm SPEC` or $TUNING_AGENT_LLM): `--platform auto` is the default, so it keeps the saved one.
    """
    if saved is None:
        return None, None
    platform = saved.platform if platform_flag == "auto" else None
    llm = saved.llm if not llm_flag and not llm_env else None
    return platform, llm
