"""Run the real `langgraph dev` server in a test and talk to it like Agent Chat UI does.

Every test server has API keys (`USERS`: alice, bob, ...; `agent/auth.py`), so the
conversation tests run with authentication on; `client(user)` sends that user's key, and
`upload_dir(user)` is the user's upload root, where their datasets must be.

`DevServer` starts `.venv/bin/langgraph dev` on a free loopback port with the repo's
config (paths made absolute so the server can run in a temporary folder: its own
`.langgraph_api/` files then stay out of the checkout), waits for `/ok`, and stops the
whole process group on exit. `ApiThread` drives one conversation through the server API
with `langgraph_sdk`: messages in, the interrupt read back from the thread, and resumes
sent as `command={"resume": {"decisions": [...]}}`.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
LANGGRAPH = Path(sys.executable).parent / "langgraph"
ASSISTANT = "tuning_agent"

#: What every test server runs with: local platform, no LLM, nothing phoned home.
QUIET_ENV = {
    "TUNING_AGENT_PLATFORM": "local",
    "TUNING_AGENT_LLM": "none",
    "TUNING_AGENT_LOCAL_MODEL": "local/tiny",  # the one-minute model, even where Gemma 3 270M is installed
    "LANGGRAPH_CLI_NO_ANALYTICS": "1",
    "LANGGRAPH_NO_VERSION_CHECK": "true",
    "LANGSMITH_TRACING": "false",
    "LANGCHAIN_TRACING_V2": "false",
}
#: Variables from the caller's shell that would point the server somewhere real.
DROPPED_ENV = ("LANGSMITH_API_KEY", "LANGCHAIN_API_KEY", "GOOGLE_APPLICATION_CREDENTIALS",
               "GOOGLE_CLOUD_PROJECT", "TUNING_AGENT_SERVER_DB")


#: The test users and their API keys (TUNING_AGENT_API_KEYS is built from these).
USERS = {name: f"test-key-{name}-0123456789abcdef" for name in
         ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi")}
DEFAULT_USER = "alice"


def api_keys_env(users: dict[str, str] = USERS) -> str:
    return ",".join(f"{name}={key}" for name, key in users.items())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def portable_config(source: Path, workdir: Path) -> Path:
    """A copy of `source` (langgraph.json or langgraph.dev.json) whose paths point into the repo."""
    config = json.loads(source.read_text(encoding="utf-8"))

    def absolute(spec: str) -> str:
        path, _, attr = spec.partition(":")
        return f"{(REPO / path).resolve()}:{attr}" if path.startswith(".") else spec

    config["dependencies"] = [str((REPO / dep).resolve()) if dep.startswith(".") else dep
                              for dep in config.get("dependencies", [])]
    config["graphs"] = {name: absolute(spec) for name, spec in config["graphs"].items()}
    for hook in ("checkpointer", "auth"):
        if isinstance(config.get(hook), dict) and "path" in config[hook]:
            config[hook]["path"] = absolute(config[hook]["path"])
    target = workdir / source.name
    target.write_text(json.dumps(config, indent=2), encoding="utf-8")
    return target


class DevServer:
    """`langgraph dev` in its own process group; use as a context manager."""

    def __init__(self, workdir: Path, home: Path, config: str = "langgraph.json",
                 jobs: int = 4, extra_env: dict[str, str] | None = None) -> None:
        self.workdir, self.home, self.jobs = workdir, home, jobs
        workdir.mkdir(parents=True, exist_ok=True)
        self.config = portable_config(REPO / config, workdir)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / f"server-{self.port}.log"
        self.extra_env = extra_env or {}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 90.0) -> DevServer:
        env = {k: v for k, v in os.environ.items() if k not in DROPPED_ENV}
        env.update(QUIET_ENV, TUNING_AGENT_HOME=str(self.home), TUNING_AGENT_API_KEYS=api_keys_env())
        env.update(self.extra_env)
        cmd = [str(LANGGRAPH), "dev", "--config", str(self.config), "--host", "127.0.0.1",
               "--port", str(self.port), "--no-browser", "--no-reload", "--n-jobs-per-worker", str(self.jobs)]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(cmd, cwd=self.workdir, env=env, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"langgraph dev exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/ok", timeout=2) as resp:
                    if resp.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"langgraph dev did not answer /ok within {timeout_s:.0f} s:\n{self.log_tail()}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop the server's process group (its workers and any local training it started)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        pgid = os.getpgid(self.proc.pid)
        os.killpg(pgid, sig)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def log_tail(self, n: int = 60) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return "\n".join(re.sub(r"\x1b\[[0-9;]*m", "", text).splitlines()[-n:])

    def client(self, user: str | None = DEFAULT_USER, timeout: float = 300) -> Any:
        """A client that sends `user`'s API key (None: no key at all)."""
        from langgraph_sdk import get_sync_client

        return get_sync_client(url=self.url, timeout=timeout, api_key=USERS[user] if user else None)

    def upload_dir(self, user: str = DEFAULT_USER) -> Path:
        """`user`'s upload root on this server (`$TUNING_AGENT_HOME/users/<user>/files/`)."""
        folder = self.home / "users" / user / "files"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def __enter__(self) -> DevServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class ApiThread:
    """One conversation held by the server, driven through its HTTP API."""

    def __init__(self, client: Any, thread_id: str | None = None) -> None:
        self.client = client
        self.thread_id = thread_id or client.threads.create()["thread_id"]
        self.last: Any = None

    def say(self, text: str) -> dict[str, Any] | None:
        # Agent Chat UI sends content as a list of blocks, not a bare string.
        message = {"type": "human", "content": [{"type": "text", "text": text}], "id": uuid.uuid4().hex}
        self.last = self.client.runs.wait(self.thread_id, ASSISTANT, input={"messages": [message]},
                                          raise_error=True)
        return self.interrupt

    def resume(self, decision: dict[str, Any]) -> dict[str, Any] | None:
        self.last = self.client.runs.wait(self.thread_id, ASSISTANT,
                                          command={"resume": {"decisions": [decision]}}, raise_error=True)
        return self.interrupt

    def approve(self) -> dict[str, Any] | None:
        return self.resume({"type": "approve"})

    def edit(self, **args: Any) -> dict[str, Any] | None:
        return self.resume({"type": "edit", "edited_action": {"name": self.action, "args": args}})

    def reject(self, message: str = "") -> dict[str, Any] | None:
        return self.resume({"type": "reject", "message": message})

    @property
    def thread(self) -> dict[str, Any]:
        return dict(self.client.threads.get(self.thread_id))

    @property
    def interrupts(self) -> list[dict[str, Any]]:
        """The open interrupts ({id, value} each), read from the thread's checkpointed state."""
        return list(self.client.threads.get_state(self.thread_id).get("interrupts") or [])

    @property
    def interrupt(self) -> dict[str, Any] | None:
        items = self.interrupts
        return items[0]["value"] if items else None

    @property
    def card(self) -> dict[str, Any]:
        """The open approval card (fails the test when none is open)."""
        value = self.interrupt
        assert value is not None, f"no card open; last messages: {self.tail()}"
        return value

    @property
    def action(self) -> str | None:
        value = self.interrupt
        return value["action_requests"][0]["name"] if value else None

    @property
    def values(self) -> dict[str, Any]:
        return dict(self.client.threads.get_state(self.thread_id)["values"])

    def approve_until(self, action: str, limit: int = 20) -> None:
        """Approve every card until the one named `action` is open."""
        for _ in range(limit):
            if self.action == action:
                return
            assert self.action is not None, f"no card open before {action}; last messages: {self.tail()}"
            self.approve()
        raise AssertionError(f"{action} never came; last messages: {self.tail()}")

    def tail(self, n: int = 4) -> list[str]:
        return [str(m.get("content"))[:200] for m in self.values.get("messages", [])[-n:]]


def write_dataset(path: Path, marker: str, rows: int = 40) -> Path:
    """A small question/answer CSV whose every row carries `marker` (to spot leaks between threads)."""
    lines = ["question,answer"]
    lines += [f"[{marker}] what is {i} plus {i}?,[{marker}] the sum is {2 * i}" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def hitl_shape_problems(value: Any) -> list[str]:
    """Why `value` would not render as an Agent Chat UI approval card (empty when it would).

    Mirrors the UI's check: non-empty `action_requests` of {name: str, args: object,
    description?: str} and `review_configs` of {action_name: str, allowed_decisions: list}
    naming the same actions, with decisions among approve/edit/reject.
    """
    problems: list[str] = []
    if not isinstance(value, dict):
        return [f"value is {type(value).__name__}, not an object"]
    requests, configs = value.get("action_requests"), value.get("review_configs")
    if not isinstance(requests, list) or not requests:
        problems.append("action_requests missing or empty")
        requests = []
    if not isinstance(configs, list) or not configs:
        problems.append("review_configs missing or empty")
        configs = []
    for req in requests:
        if not isinstance(req.get("name"), str) or not isinstance(req.get("args"), dict):
            problems.append(f"action request without str name / object args: {req!r:.200}")
        if "description" in req and not isinstance(req["description"], str):
            problems.append("description is not a string")
    for cfg in configs:
        allowed = cfg.get("allowed_decisions")
        if not isinstance(cfg.get("action_name"), str) or not isinstance(allowed, list) or not allowed:
            problems.append(f"review config without action_name / allowed_decisions: {cfg!r:.200}")
        elif set(allowed) - {"approve", "edit", "reject"}:
            problems.append(f"unknown decisions {sorted(set(allowed) - {'approve', 'edit', 'reject'})}")
    names = [r.get("name") for r in requests]
    if [c.get("action_name") for c in configs] != names:
        problems.append("review_configs do not name the same actions as action_requests")
    return problems
