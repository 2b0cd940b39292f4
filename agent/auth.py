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
Run inputs and resumes over the size limits are refused before any graph code runs.

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
#: LangGraph's END node name: what `Command(goto=END)` ("Mark as Resolved") carries.
END = "__end__"

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
    return _owned(ctx, value)


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
    """Why a run's input or resume is too big to accept, or None (checked before any graph code)."""
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


@auth.on.threads.create_run
async def thread_run(ctx: Auth.types.AuthContext, value: Any) -> Auth.types.HandlerResult:
    if _checker(ctx):
        raise Auth.exceptions.HTTPException(status_code=403, detail="The job checker does not start runs.")
    kwargs = value.get("kwargs") or {}
    problem = run_payload_problem(kwargs)
    if problem:
        raise Auth.exceptions.HTTPException(status_code=413, detail=problem)
    command = kwargs.get("command")
    if isinstance(command, dict) and command.get("goto") in (END, [END]) and command.get("resume") is None:
        # Agent Chat UI's "Mark as Resolved": END alone would run nothing and leave the card open,
        # so it becomes the resume that closes the card with a summary (graph/builder.py).
        from graph.approvals import RESOLVE_RESUME

        kwargs["command"] = {"resume": RESOLVE_RESUME}
    context = kwargs.get("context")
    if isinstance(context, dict) and "user" in context:  # the graph's run context names the server's user
        context["user"] = ctx.user.identity
    return _owned(ctx, value)


def _own_or_system(ctx: Auth.types.AuthContext) -> Auth.types.HandlerResult:
    """Everyone sees the graph's own assistant; an assistant a user made is theirs alone."""
    return {"$or": [{OWNER: ctx.user.identity}, {"created_by": "system"}]}  # type: ignore[return-value]


@auth.on.assistants.read
async def assistant_read(ctx: Auth.types.AuthContext, value: Any) -> Auth.types.HandlerResult:
    return _own_or_system(ctx)


@auth.on.assistants.search
async def assistant_search(ctx: Auth.types.AuthContext, value: Any) -> Auth.types.HandlerResult:
    return _own_or_system(ctx)


@auth.on.store()
async def store_items(ctx: Auth.types.AuthContext, value: dict[str, Any]) -> None:
    """Store items live under a namespace that starts with their owner's name."""
    namespace = tuple(value.get("namespace") or ())
    if not namespace or namespace[0] != ctx.user.identity:
        raise Auth.exceptions.HTTPException(
            status_code=403, detail=f"Store namespaces must start with your user name ({ctx.user.identity!r}).")


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
