"""environment: credentials, APIs, the caller's permissions and the service agents.

Read-only checks first; enabling APIs is the one mutating action here (after approval).
Missing roles are reported with the exact grant commands, and the step waits until the
user says the checks should run again.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from graph import intents
from graph.approvals import ask, await_decision, propose
from graph.common import combine, facts, md_table, platform_of, rec, say
from graph.deps import Deps
from graph.state import TuningState
from tools.shell import shell_command

NAME = "environment"

ACTION = "enable_apis"


class EnableArgs(BaseModel):
    project: str
    apis: list[str]


def _report_rows(checks: list[dict[str, Any]]) -> str:
    """The checks as a table, then each failing check's fix in full (commands must not be cut)."""
    rows = [["✅" if c["ok"] else ("⚠️" if c["severity"] != "error" else "❌"), c["name"], c.get("detail") or ""]
            for c in checks]
    fixes = [f"- **{c['name']}**: {c['fix']}" for c in checks if not c["ok"] and c.get("fix")]
    table = md_table(["", "check", "detail"], rows, max_cell=120)
    return table + ("\n\nHow to fix:\n" + "\n".join(fixes) if fixes else "")


def _check(state: TuningState, deps: Deps) -> dict[str, Any]:
    project = rec(state, "project")
    result = platform_of(state, deps).check_environment(project.get("project"), project.get("region"),
                                                        state.get("category"))
    return result.model_dump(exclude_none=True)


#: Where to look when a check or a lookup fails against a custom endpoint.
ENDPOINT_VARIABLES = ("TUNING_AGENT_VERTEX_ENDPOINT (every Vertex AI call), TUNING_AGENT_SERVICEUSAGE_ENDPOINT and "
                      "TUNING_AGENT_RESOURCEMANAGER_ENDPOINT (these checks), STORAGE_EMULATOR_HOST (Cloud Storage)")
WAYS_ON = ("Fix them, then say **check again**; or say **skip** to go on without the check (I'll say what may "
           "fail later); or name another project. If you use custom endpoints, check or unset "
           f"{ENDPOINT_VARIABLES}.")
SKIP_WARNING = ("Skipped the environment check. What may fail later: the bucket and upload steps (without "
                "storage access: roles/storage.objectAdmin), the preflight and job creation (without the "
                "Vertex AI API or roles/aiplatform.user), and open-model jobs (without the service agents' "
                f"bucket access). Each says what to fix when it happens. Custom endpoints: {ENDPOINT_VARIABLES}.")


def _skipped(env: dict[str, Any], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return combine(extra or {}, {"environment": {**env, "passed": True, "note": "skipped"}, "pending": None},
                   say(SKIP_WARNING))


def _asks_skip(text: str | None) -> bool:
    return bool(text) and intents.read(str(text)).has(intents.Skip)


def done(state: TuningState) -> bool:
    """The environment checks passed."""
    return bool((state.get("environment") or {}).get("passed"))


def run(state: TuningState, deps: Deps) -> dict[str, Any]:
    env: dict[str, Any] = dict(rec(state, "environment"))
    pending = state.get("pending") or {}
    answered_question = pending.get("kind") == "question" and pending.get("step") == NAME \
        and not pending.get("awaiting", True)
    if answered_question and _asks_skip(facts(state).get("last_text")):
        return _skipped(env)
    if pending.get("action") == ACTION:
        outcome = await_decision(state, EnableArgs)
        if not outcome.approved and _asks_skip(outcome.message):
            return _skipped(env, outcome.updates)
        if not outcome.approved:
            return combine(outcome.updates, {"environment": {"enable_declined": True}},
                           say("I left the APIs as they are. Enable them yourself with the command above, "
                               "then say **check again**, or say **skip** to go on without the check."),
                           ask("environment", "Say 'check again' when ready, or 'skip'."))
        enabled = platform_of(state, deps).enable_apis(outcome.args["project"], outcome.args["apis"])
        return combine(outcome.updates, {"environment": {"checked": False}},
                       say(f"Enabled: {', '.join(enabled) or 'nothing new'}. Checking again…", status=True))
    if not env.get("checked") or not pending.get("awaiting", True):
        env = {**env, **_check(state, deps)}
    if env.get("passed"):  # the platform has nothing to check
        return {"environment": env}
    table = _report_rows(env["checks"])
    project = rec(state, "project").get("project")
    if env["missing_apis"] and not env.get("enable_declined"):
        apis = env["missing_apis"]
        return combine({"environment": env}, propose(
            "environment", ACTION, {"project": project, "apis": apis},
            f"{table}\n\nEnable {', '.join(apis)} in project **{project}**? "
            f"(same as `{shell_command('gcloud', 'services', 'enable', *apis, '--project', str(project))}`)"))
    if env["errors"]:
        return combine({"environment": env},
                       say("Some checks failed:\n\n" + table + "\n\n" + WAYS_ON),
                       ask("environment", "Say 'check again' when ready, or 'skip'."))
    return combine({"environment": {**env, "passed": True}},
                   say("Environment checks passed:\n\n" + table))
