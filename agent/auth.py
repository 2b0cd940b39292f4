"""Who may use the server, and what each user may see: LangGraph custom auth (`"auth"` in langgraph.json).

Authentication (`authenticate`), tried in this order:

- **API keys** from `TUNING_AGENT_API_KEYS` (`alice=KEY1,bob=KEY2`; keys of 16+ characters),
  sent as `x-api-key: KEY` (what `langgraph_sdk` and Agent Chat UI send) or
  `Authorization: Bearer KEY`. The user is the key's name.
- **Google ID tokens** when `TUNING_AGENT_GOOGLE_AUDIENCE` is set (the OAuth client id the
  tokens are issued for): `Authorization: Bearer <ID token>` is checked with google-auth's
  `id_token.verify_oauth2_token` (signature against Google's published certificates,
  audience, expiry, issuer) and the user is the verified e-mail address.
  `TUNING_AGENT_GOOGLE_ALLOWED` (`a@x.com,@example.com`) limits who may sign in.
- **Nothing configured**: the server is a single-user tool on this machine. Every request
  from another address is refused (403), so a `--host 0.0.0.0` by mistake exposes nothing;
  requests from 127.0.0.1 / ::1 act as the user `local`.

Authorization (`auth.on`): every thread, run, cron, assistant and store item carries an
`owner` in its metadata, set by the server from the authenticated user (a client-sent owner
is overwritten); reads, searches, updates, resumes and deletes are filtered by it, so another
user's thread is simply not found. Clients may not write a thread's state
(`threads.update_state`): state changes only through the graph (answers and card decisions).

Before any graph code runs, a run (and a cron's run payload) is refused when:
- its input is anything but `{"messages": [...]}` of human messages (400: an `ai`, `system`
  or `tool` line would be a forged transcript line, other keys would write state);
- its `command` is anything but `resume`, or `goto: "__end__"` alone (Agent Chat UI's
  "Mark as Resolved"): `update` and node gotos would write state or skip a card (400);
- it names an LLM spec other than `none`, the operator's `TUNING_AGENT_LLM` and
  `TUNING_AGENT_LLM_ALLOWED` (400), since it would spend the operator's keys;
- it is over the size limits (413). Thread metadata, an assistant's config / context /
  metadata, store values and cron payloads are capped too (`MAX_RECORD_BYTES`, 413).

Assistants the server creates for each graph carry `created_by: system` and are shared; a
client can never store `created_by` (it is dropped), so a user's assistant stays theirs.

`"disable_studio_auth": true` in the config matters: without it a request carrying
`x-auth-scheme: langsmith` would skip these checks on `langgraph dev`.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import os
from collections.abc import Callable
from typing import Any

from langgraph_sdk import Auth

KEYS_ENV = "TUNING_AGENT_API_KEYS"
CHECKER_KEY_ENV = "TUNING_AGENT_CHECKER_KEY"
#: The background job checker's identity (not a valid user id, so no API key can name it).
CHECKER_USER = "@job-checker"
GOOGLE_AUDIENCE_ENV = "TUNING_AGENT_GOOGLE_AUDIENCE"
GOOGLE_ALLOWED_ENV = "TUNING_AGENT_GOOGLE_ALLOWED"
LOCAL_USER = "local"
OWNER = "owner"
MIN_KEY_CHARS = 16

#: Text parsed from one run's input or resume (all message text together), in characters.
MAX_MESSAGE_CHARS = 16 * 1024
#: A run's whole input or resume as JSON (text, card edits, anything else a client sends), in bytes.
MAX_RUN_PAYLOAD_BYTES = 64 * 1024
#: Thread metadata, an assistant's config / context / metadata, a store value, a cron payload (JSON bytes).
MAX_RECORD_BYTES = 64 * 1024
#: The node a `goto` may name: the graph's end (Agent Chat UI's "Mark as Resolved" sends exactly this).
END_NODE = "__end__"
#: Message types a run's input may carry: the person's own lines.
HUMAN_TYPES = {"human", "user"}
#: The metadata key the server sets on the assistants it creates itself (shared by all users).
SYSTEM_KEY = "created_by"
#: The operator's LLM spec, and the extra specs a run or assistant may choose (comma-separated).
LLM_ENV = "TUNING_AGENT_LLM"
LLM_ALLOWED_ENV = "TUNING_AGENT_LLM_ALLOWED"
PLATFORM_ENV = "TUNING_AGENT_PLATFORM"
PLATFORM_ALLOWED_ENV = "TUNING_AGENT_PLATFORM_ALLOWED"

log = logging.getLogger("tuning_agent.auth")
auth = Auth()


# -- configuration ------------------------------------------------------------------------

def parse_keys(text: str) -> dict[str, str]:
    """`alice=KEY1,bob=KEY2` -> {KEY1: "alice", KEY2: "bob"}; a ValueError says what is wrong."""
    from tools.workspace import check_user_id

    keys: dict[str, str] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        user, sep, key = item.partition("=")
        user, key = user.strip(), key.strip()
        if not sep or not user or not key:
            raise ValueError(f"{KEYS_ENV}: {user or item[:12]!r} is not NAME=KEY (write alice=KEY1,bob=KEY2)")
        if len(key) < MIN_KEY_CHARS:
            raise ValueError(f"{KEYS_ENV}: the key for {user!r} is shorter than {MIN_KEY_CHARS} characters "
                             "(make one with `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)")
        if key in keys:
            raise ValueError(f"{KEYS_ENV}: two users share one key ({keys[key]!r} and {user!r})")
        keys[key] = check_user_id(user)
    return keys


def checker_key() -> str:
    """The job checker's key (`TUNING_AGENT_CHECKER_KEY`); made up once per process when unset.

    The background job check (agent/background.py) is the one caller that writes a thread's
    state from outside the graph: it posts a job's result to an idle thread. It authenticates
    with this key as the reserved user `CHECKER_USER`, which may read every thread and write
    its state and metadata, and nothing else (no runs, no store). Inside the server the
    in-process checker reads the same variable; an external checker must be given it.
    """
    key = os.environ.get(CHECKER_KEY_ENV, "").strip()
    if not key:
        import secrets

        key = os.environ[CHECKER_KEY_ENV] = secrets.token_urlsafe(32)
    elif len(key) < MIN_KEY_CHARS:
        raise ValueError(f"{CHECKER_KEY_ENV} is shorter than {MIN_KEY_CHARS} characters.")
    return key


def _is_checker_key(candidate: str) -> bool:
    key = os.environ.get(CHECKER_KEY_ENV, "").strip()
    return len(key) >= MIN_KEY_CHARS and hmac.compare_digest(candidate.encode(), key.encode())


def configured_keys() -> dict[str, str]:
    return parse_keys(os.environ.get(KEYS_ENV, ""))


def google_audience() -> str | None:
    return os.environ.get(GOOGLE_AUDIENCE_ENV, "").strip() or None


def open_to_loopback_only() -> bool:
    """True when neither keys nor Google sign-in are configured: only this machine may connect."""
    return not configured_keys() and google_audience() is None


# -- Google ID tokens -----------------------------------------------------------------------

def verify_google_id_token(token: str, audience: str, request: Any = None,
                           allowed: str | None = None) -> str:
    """The verified e-mail of a Google-issued ID token, or Auth's 401.

    `request` is google-auth's HTTP transport used to fetch Google's signing certificates
    (default: `google.auth.transport.requests.Request()`); tests pass one that serves the
    certificate of a key they signed with. `allowed` (default `$TUNING_AGENT_GOOGLE_ALLOWED`)
    lists e-mails and `@domain`s that may sign in; empty means any verified Google account.
    """
    from google.auth.exceptions import GoogleAuthError
    from google.oauth2 import id_token

    if request is None:
        from google.auth.transport.requests import Request

        request = Request()
    try:
        claims = id_token.verify_oauth2_token(token, request, audience)
    except (ValueError, GoogleAuthError) as err:
        raise Auth.exceptions.HTTPException(status_code=401, detail=f"Invalid Google ID token: {err}") from None
    email = str(claims.get("email") or "").lower()
    if not email or not claims.get("email_verified"):
        raise Auth.exceptions.HTTPException(status_code=401, detail="The ID token has no verified e-mail.")
    rules = [r.strip().lower() for r in (os.environ.get(GOOGLE_ALLOWED_ENV, "") if allowed is None
                                          else allowed).split(",") if r.strip()]
    if rules and not any(email == r or (r.startswith("@") and email.endswith(r)) for r in rules):
        raise Auth.exceptions.HTTPException(status_code=403, detail=f"{email} may not use this server.")
    return email


#: How bearer tokens that are not API keys are checked (tests replace the transport).
google_request_factory: Callable[[], Any] | None = None


# -- authentication -------------------------------------------------------------------------

def _is_loopback(scope: dict[str, Any]) -> bool:
    client = scope.get("client") or ("", 0)
    try:
        return ipaddress.ip_address(str(client[0]).split("%")[0]).is_loopback
    except ValueError:
        return False


def identify(api_key: str | None, bearer: str | None, loopback: bool) -> str:
    """The user a request acts as, or Auth's 401/403 (no key material is ever echoed)."""
    keys = configured_keys()
    audience = google_audience()
    for candidate in (api_key, bearer):
        if not candidate:
            continue
        if _is_checker_key(candidate):
            return CHECKER_USER
        for key, user in keys.items():
            if hmac.compare_digest(candidate.encode(), key.encode()):
                return user
    if bearer and audience and bearer.count(".") == 2:
        request = google_request_factory() if google_request_factory else None
        return verify_google_id_token(bearer, audience, request)
    if not keys and audience is None:
        if loopback:
            return LOCAL_USER
        raise Auth.exceptions.HTTPException(
            status_code=403, detail=f"This server has no {KEYS_ENV} set, so it only answers on this machine.")
    if api_key or bearer:
        raise Auth.exceptions.HTTPException(status_code=401, detail="Unknown API key or token.")
    raise Auth.exceptions.HTTPException(
        status_code=401, detail="Send your API key in the x-api-key header (or Authorization: Bearer).")


@auth.authenticate
async def authenticate(headers: dict[bytes, bytes], authorization: str | None,
                       scope: dict[str, Any]) -> Auth.types.MinimalUserDict:
    raw_key = headers.get(b"x-api-key")
    api_key = raw_key.decode("latin-1").strip() if raw_key else None
    bearer = None
    if authorization and authorization.lower().startswith("bearer "):
        bearer = authorization[7:].strip() or None
    user = identify(api_key, bearer, _is_loopback(scope))
    return {"identity": user, "display_name": user, "permissions": [], "is_authenticated": True}


# -- authorization ---------------------------------------------------------------------------

def _owned(ctx: Auth.types.AuthContext, value: dict[str, Any]) -> dict[str, str]:
    """Stamp the owner on what is being created or changed, and filter everything else by it."""
    me = ctx.user.identity
    metadata = value.get("metadata")
    if isinstance(metadata, dict):
        metadata[OWNER] = me
    elif "metadata" in value or ctx.action == "create":
        value["metadata"] = {OWNER: me}
    return {OWNER: me}


@auth.on.threads.create
async def thread_create(ctx: Auth.types.AuthContext, value: Any) -> Auth.types.HandlerResult:
    _refuse_if(record_size_problem("thread metadata", value.get("metadata")), 413)
    return _owned(ctx, value)


def _checker(ctx: Auth.types.AuthContext) -> bool:
    return bool(ctx.user.identity == CHECKER_USER)


@auth.on.threads.update
async def thread_update(ctx: Auth.types.AuthContext, value: Any) -> Auth.types.HandlerResult:
    """Metadata edits and run cancels are the owner's; writing the state itself is only the job
    checker's (it posts a job's result to an idle thread), never a client's."""
    if _checker(ctx):
        return None  # every thread, and its owner stays as it was
    if "metadata" not in value and not value.get("action"):
        raise Auth.exceptions.HTTPException(
            status_code=403, detail="Clients cannot write a thread's state; answer the open card instead.")
    _refuse_if(record_size_problem("thread metadata", value.get("metadata")), 413)
    return _owned(ctx, value)


def _refuse_if(problem: str | None, status: int) -> None:
    if problem:
        raise Auth.exceptions.HTTPException(status_code=status, detail=problem)


def record_size_problem(what: str, record: Any) -> str | None:
    """Why `record` (metadata, an assistant's config, a store value, a cron payload) is too big, or None."""
    if record is None:
        return None
    size = len(json.dumps(record, default=str).encode())
    if size > MAX_RECORD_BYTES:
        return (f"The {what} is {size / 1024:,.0f} KB; the limit is {MAX_RECORD_BYTES // 1024} KB. "
                "Keep data in files in your upload folder and store only names or small settings here.")
    return None


def _text_chars(value: Any) -> int:
    """Characters of message text in a run input or resume (strings at any depth)."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        return sum(_text_chars(v) for v in value.values())
    if isinstance(value, list):
        return sum(_text_chars(v) for v in value)
    return 0


def run_payload_problem(kwargs: dict[str, Any]) -> str | None:
    """Why a run's input, resume, metadata, context or config is too big to accept, or None.

    Checked before any graph code: the server stores each of them with the run (and state
    copies them into checkpoints), so an unbounded one fills the disk for everyone.
    """
    for part in ("metadata", "context", "config"):
        problem = record_size_problem(f"run {part}", kwargs.get(part))
        if problem:
            return problem
    for part in ("input", "command"):
        payload = kwargs.get(part)
        if payload is None:
            continue
        size = len(json.dumps(payload, default=str).encode())
        if size > MAX_RUN_PAYLOAD_BYTES:
            return (f"The message is {size / 1024:,.0f} KB; the limit is {MAX_RUN_PAYLOAD_BYTES // 1024} KB per "
                    "message or answer. Put data in a file in your upload folder and give its name instead.")
        chars = _text_chars(payload)
        if chars > MAX_MESSAGE_CHARS:
            return (f"The message has {chars:,} characters of text; the limit is {MAX_MESSAGE_CHARS:,}. Send a "
                    "shorter message, and put data in a file in your upload folder instead of pasting it.")
    return None


def _is_human(message: Any) -> bool:
    """True for what LangChain turns into a HumanMessage: a string, a human/user dict, ("human", text)."""
    if isinstance(message, str):
        return True
    if isinstance(message, dict):
        kinds = {str(message[k]).lower() for k in ("type", "role") if k in message}
        return bool(kinds) and kinds <= HUMAN_TYPES
    if isinstance(message, (list, tuple)) and len(message) == 2:
        return str(message[0]).lower() in HUMAN_TYPES
    return False


def run_input_problem(payload: Any) -> str | None:
    """Why a run's input is not just new human messages, or None.

    The graph's input is `messages` only, and only a person's own lines: an `ai`, `system` or
    `tool` message sent by a client would be a forged line of the transcript (an "approved"
    the agent never said), and any other key would try to write state the nodes own.
    """
    if payload is None:
        return None
    if not isinstance(payload, dict):
        return "A run's input must be an object: {\"messages\": [your message]}."
    extra = sorted(str(k) for k in payload if k != "messages")
    if extra:
        return (f"A run's input may only carry `messages`; remove {', '.join(extra)}. Everything else in a "
                "conversation is written by the agent; answer its cards to change it.")
    messages = payload.get("messages")
    if messages is None:
        return None
    items = messages if isinstance(messages, list) else [messages]
    for item in items:
        if not _is_human(item):
            kind = item.get("type") or item.get("role") if isinstance(item, dict) else type(item).__name__
            return (f"A run's input may only carry your own (human) messages, not a {kind!r} message: the "
                    "agent writes its own and the tools' lines.")
    return None


def command_problem(command: Any) -> str | None:
    """Why a run's `command` is refused, or None.

    Allowed: `{"resume": ...}` (a card's decisions; the graph checks them against the open
    card) and `{"goto": "__end__"}` alone (Agent Chat UI's "Mark as Resolved"). `update`
    would write the thread's state (forged approvals, another user's file as the dataset)
    and a `goto` to a node would skip its card, so both are refused.
    """
    if command is None:
        return None
    if not isinstance(command, dict):
        return "A run's command must be an object such as {\"resume\": {\"decisions\": [...]}}."
    keys = {str(k) for k, v in command.items() if v is not None}
    if keys <= {"resume"} or (keys == {"goto"} and command["goto"] in (END_NODE, [END_NODE])):
        return None
    return (f"A run's command may only carry `resume` (your decision on the open card), or `goto: \"{END_NODE}\"` "
            f"alone (mark the thread as resolved); this one has {', '.join(sorted(keys - {'resume'}))}. "
            "Clients cannot write a thread's state or jump to a step.")


def allowed_llm_specs() -> set[str]:
    """LLM specs a run or assistant may name on this server: `none`, the operator's default, the allowlist."""
    allowed = {"none", (os.environ.get(LLM_ENV) or "auto").strip()}
    allowed |= {s.strip() for s in os.environ.get(LLM_ALLOWED_ENV, "").split(",") if s.strip()}
    return allowed


def llm_choice_problem(*contexts: Any) -> str | None:
    """Why an `llm` chosen in a run's or assistant's context is refused (it would spend the operator's keys)."""
    for context in contexts:
        if not isinstance(context, dict) or context.get("llm") is None:
            continue
        spec = str(context["llm"]).strip()
        allowed = allowed_llm_specs()
        if spec not in allowed:
            return (f"This server does not let a run choose the LLM {spec[:80]!r}; allowed: "
                    f"{', '.join(sorted(allowed))}. The operator adds specs to {LLM_ALLOWED_ENV}.")
    return None


def allowed_platforms() -> set[str]:
    """Platforms a run or assistant may name: `local` (the user's own folder), the operator's, the allowlist.

    Vertex AI acts with the server's Google identity and spends its projects' money, so a client
    reaches it only where the operator made it the server's platform or listed it.
    """
    allowed = {"local", (os.environ.get(PLATFORM_ENV) or "auto").strip()}
    allowed |= {s.strip() for s in os.environ.get(PLATFORM_ALLOWED_ENV, "").split(",") if s.strip()}
    return allowed


def platform_choice_problem(*contexts: Any) -> str | None:
    """Why a `platform` chosen in a run's or assistant's context is refused."""
    allowed = allowed_platforms()
    for context in contexts:
        if not isinstance(context, dict) or context.get("platform") is None:
            continue
        platform = str(context["platform"]).strip()
        if platform not in allowed:
            return (f"This server does not let a run choose the platform {platform[:40]!r}; allowed: "
                    f"{', '.join(sorted(allowed))}. The operator adds platforms to {PLATFORM_ALLOWED_ENV}.")
    return None


def _contexts(spec: dict[str, Any]) -> tuple[Any, Any]:
    """The run context a run, cron or assistant carries: `context`, and `config.configurable` (its old name)."""
    config = spec.get("config")
    return spec.get("context"), (config.get("configurable") if isinstance(config, dict) else None)


def run_request_problem(kwargs: dict[str, Any]) -> tuple[int, str] | None:
    """(HTTP status, why) when a run (or a cron's run payload) must be refused before any graph code runs."""
    problem = run_payload_problem(kwargs)
    if problem:
        return 413, problem
    for check in (run_input_problem(kwargs.get("input")), command_problem(kwargs.get("command")),
                  llm_choice_problem(*_contexts(kwargs)), platform_choice_problem(*_contexts(kwargs))):
        if check:
            return 400, check
    return None


def _set_user(ctx: Auth.types.AuthContext, context: Any) -> None:
    if isinstance(context, dict) and "user" in context:  # the graph's run context names the server's user
        context["user"] = ctx.user.identity


@auth.on.threads.create_run
async def thread_run(ctx: Auth.types.AuthContext, value: Any) -> Auth.types.HandlerResult:
    if _checker(ctx):
        raise Auth.exceptions.HTTPException(status_code=403, detail="The job checker does not start runs.")
    kwargs = value.get("kwargs") or {}
    _refuse_if(record_size_problem("run metadata", value.get("metadata")), 413)
    _check_run(ctx, kwargs)
    command = kwargs.get("command")
    if isinstance(command, dict) and command.get("goto") in (END_NODE, [END_NODE]) and command.get("resume") is None:
        # Agent Chat UI's "Mark as Resolved": END alone would run nothing and leave the card open,
        # so it becomes the resume that closes the card with a summary (graph/builder.py).
        from graph.approvals import RESOLVE_RESUME

        kwargs["command"] = {"resume": RESOLVE_RESUME}
    return _owned(ctx, value)


@auth.on.crons.create
async def cron_create(ctx: Auth.types.AuthContext, value: Any) -> Auth.types.HandlerResult:
    return _checked_cron(ctx, value)


@auth.on.crons.update
async def cron_update(ctx: Auth.types.AuthContext, value: Any) -> Auth.types.HandlerResult:
    return _checked_cron(ctx, value)


def _checked_cron(ctx: Auth.types.AuthContext, value: Any) -> Auth.types.HandlerResult:
    """A cron's payload is a run made later: the same checks as a run, and the record size cap."""
    _refuse_if(record_size_problem("cron metadata", value.get("metadata")), 413)
    payload = value.get("payload")
    if isinstance(payload, dict):
        _refuse_if(record_size_problem("cron payload", payload), 413)
        _check_run(ctx, payload)
    return _owned(ctx, value)


def _check_run(ctx: Auth.types.AuthContext, spec: dict[str, Any]) -> None:
    """Refuse a run (or a cron's run payload) that breaks a rule; name the signed-in user in its context."""
    refused = run_request_problem(spec)
    if refused:
        raise Auth.exceptions.HTTPException(status_code=refused[0], detail=refused[1])
    for context in _contexts(spec):
        _set_user(ctx, context)


def _own_or_system(ctx: Auth.types.AuthContext) -> Auth.types.HandlerResult:
    """Everyone sees the graph's own assistants; an assistant a user made is theirs alone.

    `created_by: system` is what the server writes on the assistants it makes for each graph
    at start-up (they have no owner); a client can never store it (`_checked_assistant`).
    """
    return {"$or": [{OWNER: ctx.user.identity}, {SYSTEM_KEY: "system"}]}  # type: ignore[return-value]


@auth.on.assistants.read
async def assistant_read(ctx: Auth.types.AuthContext, value: Any) -> Auth.types.HandlerResult:
    return _own_or_system(ctx)


@auth.on.assistants.search
async def assistant_search(ctx: Auth.types.AuthContext, value: Any) -> Auth.types.HandlerResult:
    return _own_or_system(ctx)


@auth.on.assistants.create
async def assistant_create(ctx: Auth.types.AuthContext, value: Any) -> Auth.types.HandlerResult:
    return _checked_assistant(ctx, value)


@auth.on.assistants.update
async def assistant_update(ctx: Auth.types.AuthContext, value: Any) -> Auth.types.HandlerResult:
    return _checked_assistant(ctx, value)


def _checked_assistant(ctx: Auth.types.AuthContext, value: Any) -> Auth.types.HandlerResult:
    """Size caps, an allowed LLM and platform, no client-set `created_by` (only the server's assistants are shared)."""
    for part in ("config", "context", "metadata", "name"):
        _refuse_if(record_size_problem(f"assistant {part}", value.get(part)), 413)
    _refuse_if(llm_choice_problem(*_contexts(value)) or platform_choice_problem(*_contexts(value)), 400)
    metadata = value.get("metadata")
    if isinstance(metadata, dict):
        metadata.pop(SYSTEM_KEY, None)  # in place: the server stores this very dict
    for context in _contexts(value):
        _set_user(ctx, context)
    return _owned(ctx, value)


@auth.on.store()
async def store_items(ctx: Auth.types.AuthContext, value: dict[str, Any]) -> None:
    """Store items live under a namespace that starts with their owner's name."""
    namespace = tuple(value.get("namespace") or ())
    if not namespace or namespace[0] != ctx.user.identity:
        raise Auth.exceptions.HTTPException(
            status_code=403, detail=f"Store namespaces must start with your user name ({ctx.user.identity!r}).")
    _refuse_if(record_size_problem("store value", value.get("value"))
               or record_size_problem("store key", [list(namespace), value.get("key")]), 413)


@auth.on
async def everything_else(ctx: Auth.types.AuthContext, value: dict[str, Any]) -> dict[str, str]:
    """Threads, runs, crons and assistants: owned by whoever created them, visible to them only.
    The job checker reads and searches every thread, and does nothing else."""
    if _checker(ctx):
        if ctx.resource == "threads" and ctx.action in ("read", "search"):
            return None  # type: ignore[return-value]
        raise Auth.exceptions.HTTPException(status_code=403, detail="The job checker only reads threads.")
    return _owned(ctx, value)


def announce() -> str:
    """One line for the server log saying how requests are authenticated (never the keys)."""
    try:
        users = sorted(set(configured_keys().values()))
    except ValueError as err:
        raise SystemExit(f"tuning-agent: {err}") from None
    parts = []
    if users:
        parts.append(f"API keys for {len(users)} user(s): {', '.join(users)}")
    if google_audience():
        parts.append(f"Google ID tokens for audience {google_audience()}")
    if not parts:
        return (f"tuning-agent auth: no {KEYS_ENV} set: answering only requests from this machine "
                "(127.0.0.1 / ::1), as the user 'local'.")
    return "tuning-agent auth: " + "; ".join(parts) + "."


log.warning(announce())
