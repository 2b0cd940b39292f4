"""Is this Google Cloud project ready to tune? One read-only report, each failure with its fix.

`check_environment` looks at what a tuning job needs before any money is spent:
credentials, project and region, the project number, the Vertex AI and Cloud Storage
APIs, the caller's permissions (project, and bucket when one is known), and the
service agents that run the job (Vertex AI's agent, the Secure Fine-Tuning agent,
and the open-model agent that reads and writes the buckets). It never raises for
an ordinary failure — a missing credential or a 403 becomes a failed `Check` whose
`fix` is the exact gcloud command or console page. `enable_apis` is the one mutating
call here, and is only made after the user approves it.

Service Usage and Resource Manager are called through their official clients
(`tools.vertex.rest.AdminClients`: retries, operation polling and typed errors from
google-api-core); bucket checks through google-cloud-storage.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal
from urllib.parse import quote

from pydantic import BaseModel, Field, computed_field

from tools.errors import CloudError, ToolError
from tools.shell import shell_command

Severity = Literal["error", "warning", "info"]

REQUIRED_APIS = ("aiplatform.googleapis.com", "storage.googleapis.com")
CALLER_PERMISSIONS = (
    "aiplatform.tuningJobs.create", "aiplatform.tuningJobs.get", "aiplatform.tuningJobs.list",
    "aiplatform.tuningJobs.cancel", "resourcemanager.projects.get",
)
STORAGE_PERMISSIONS = ("storage.objects.create", "storage.objects.get", "storage.objects.list")
BUCKET_PERMISSIONS = (*STORAGE_PERMISSIONS, "storage.buckets.get")

AIPLATFORM_AGENT = ("gcp-sa-aiplatform", "roles/aiplatform.serviceAgent")
TUNING_AGENT = ("gcp-sa-vertex-tune", "roles/aiplatform.tuningServiceAgent")
OSS_AGENT = "gcp-sa-vertex-moss-ft"
#: Roles that give object read and write on a bucket (alone).
OBJECT_RW_ROLES = frozenset({"roles/storage.objectAdmin", "roles/storage.objectUser", "roles/storage.admin",
                             "roles/owner", "roles/editor"})
OBJECT_READ_ROLES = frozenset({"roles/storage.objectViewer", "roles/storage.legacyObjectReader"})
OBJECT_WRITE_ROLES = frozenset({"roles/storage.objectCreator", "roles/storage.legacyBucketWriter"})


class Check(BaseModel):
    """One thing checked: whether it passed, how much it matters, and the fix if not."""

    name: str
    ok: bool
    severity: Severity = "error"
    detail: str = ""
    fix: str | None = None


class EnvReport(BaseModel):
    """Everything `check_environment` found, in the order it was checked."""

    project: str | None = None
    project_source: str | None = None
    project_number: str | None = None
    region: str | None = None
    region_source: str | None = None
    account: str | None = None
    bucket: str | None = None
    checks: list[Check] = Field(default_factory=list)
    missing_apis: list[str] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ok(self) -> bool:
        """True when no required (severity "error") check failed."""
        return all(c.ok for c in self.checks if c.severity == "error")

    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.ok and c.severity == "error"]

    def warnings(self) -> list[Check]:
        return [c for c in self.checks if not c.ok and c.severity == "warning"]

    def check(self, name: str) -> Check | None:
        return next((c for c in self.checks if c.name == name), None)

    def add(self, name: str, ok: bool, detail: str, fix: str | None = None,
            severity: Severity = "error") -> Check:
        item = Check(name=name, ok=ok, severity=severity, detail=detail, fix=None if ok else fix)
        self.checks.append(item)
        return item


def _service_agent(number: str, domain: str) -> str:
    return f"serviceAccount:service-{number}@{domain}.iam.gserviceaccount.com"


def _who(report: EnvReport) -> str:
    return report.account or "user:YOUR_EMAIL"


def _identity_create(project: str) -> str:
    return shell_command("gcloud", "beta", "services", "identity", "create", "--service=aiplatform.googleapis.com",
                         "--project", project)


def _bucket_grant(bucket: str, member: str, role: str) -> str:
    return shell_command("gcloud", "storage", "buckets", "add-iam-policy-binding", f"gs://{bucket}",
                         f"--member={member}", f"--role={role}")


def _grant(project: str, member: str, role: str) -> str:
    return shell_command("gcloud", "projects", "add-iam-policy-binding", project, f"--member={member}",
                         f"--role={role}")


def _guard(report: EnvReport, name: str, step: Callable[[], None], severity: Severity = "error") -> bool:
    """Run one check; an error in it becomes a failed check instead of an exception."""
    try:
        step()
        return True
    except ToolError as err:
        report.add(name, False, err.message, err.hint, severity)
    except Exception as err:  # the report must survive anything a live service does
        report.add(name, False, f"Unexpected {type(err).__name__}: {err}",
                   "Run the check again; if it persists, report this message.", severity)
    return False


def _valid_regions(category: str | None) -> list[str] | None:
    try:
        from knowledge import valid_regions
    except ImportError:
        return None
    if category in {"open", "gemini"}:
        return valid_regions(category)
    regions = valid_regions("open")
    return regions + [r for r in valid_regions("gemini") if r not in regions]


def check_environment(project: str | None = None, region: str | None = None, *,
                      bucket: str | None = None, category: str | None = None,
                      credentials: Any = None) -> EnvReport:
    """Check credentials, project, APIs, permissions and service agents (read-only).

    `project`/`region` default to what the environment and gcloud configuration say.
    `bucket` adds the bucket checks; `category` ("open"/"gemini") decides which
    regions are valid and whether the open-model agent's bucket access is required.
    """
    from tools.storage_paths import bucket_name
    from tools.vertex import auth
    from tools.vertex.rest import CREDENTIALS_HINT, AdminClients, caller_member

    report = EnvReport()
    found = auth.detect_project() if not project else auth.Detected(project, "given")
    report.project, report.project_source = found.value, found.source
    where = auth.detect_region() if not region else auth.Detected(region, "given")
    report.region, report.region_source = where.value, where.source
    if bucket:
        try:
            report.bucket = bucket_name(bucket)
        except ToolError as err:
            report.add("bucket", False, err.message, err.hint)

    if report.project:
        report.add("project", True, f"{report.project} (from {report.project_source})")
    else:
        report.add("project", False, "No Google Cloud project is set.",
                   "`gcloud config set project PROJECT_ID`, or `export GOOGLE_CLOUD_PROJECT=PROJECT_ID`, "
                   "or pass --project PROJECT_ID.")
    _check_region(report, category)

    try:
        creds = credentials if credentials is not None else auth.get_credentials()
        if not getattr(creds, "valid", True) or getattr(creds, "token", None) is None:
            from google.auth.transport.requests import Request

            creds.refresh(Request())
    except Exception as err:
        message = err.message if isinstance(err, ToolError) else f"{type(err).__name__}: {err}"
        report.add("credentials", False, f"No usable Google Cloud credentials: {message}", CREDENTIALS_HINT)
        report.add("remaining_checks", False, "APIs, permissions and service agents were not checked "
                   "(they need credentials).", None, "info")
        return report
    report.account = caller_member(creds)
    source = auth.credentials_available().source
    report.add("credentials", True, f"{source}" + (f" as {report.account}" if report.account else ""))
    if not report.project:
        return report

    rest = AdminClients(creds)
    _guard(report, "project_number", lambda: _check_project_number(report, rest))
    for service in REQUIRED_APIS:
        _guard(report, f"api:{service}", lambda s=service: _check_api(report, rest, s))  # type: ignore[misc]
    _guard(report, "caller_permissions", lambda: _check_caller(report, rest))
    if report.bucket:
        _guard(report, "bucket", lambda: _check_bucket(report, creds))
    if report.project_number:
        _guard(report, "service_agents", lambda: _check_agents(report, rest, creds, category), "warning")
    else:
        report.add("service_agents", False, "Not checked: the project number is unknown.",
                   "Fix the project_number check first.", "info")
    return report


def _check_region(report: EnvReport, category: str | None) -> None:
    if not report.region:
        report.add("region", False, "No region is set.",
                   "`gcloud config set compute/region us-central1`, or `export GOOGLE_CLOUD_LOCATION="
                   "us-central1`, or pass --region.", "warning")
        return
    valid = _valid_regions(category)
    if valid is not None and report.region not in valid:
        report.add("region", False, f"Region {report.region!r} is not one where "
                   f"{category + ' ' if category else ''}tuning runs.", f"Use one of: {', '.join(valid)}.")
        return
    report.add("region", True, f"{report.region} (from {report.region_source})")


def _check_project_number(report: EnvReport, rest: Any) -> None:
    project = report.project
    try:
        name, state = rest.get_project(project)
    except CloudError as err:
        if err.code in {403, 404} and err.status != "UNAUTHENTICATED":
            fix = (err.hint if "enable" in (err.hint or "").lower() else
                   "Check the project id at https://console.cloud.google.com/home/dashboard"
                   f"?project={quote(project or '')}"
                   f", or grant the caller roles/viewer: "
                   f"`{_grant(project or 'PROJECT_ID', _who(report), 'roles/viewer')}`.")
            raise CloudError(f"Project {project} was not found, or this account may not read it "
                             f"({err.message}).", fix, code=err.code, status=err.status) from err
        raise
    number = name.split("/", 1)[1] if name.startswith("projects/") else ""
    if not number.isdigit():
        raise CloudError(f"Resource Manager returned no project number for {project} (name={name!r}).")
    report.project_number = number
    if state not in {"ACTIVE", "STATE_UNSPECIFIED"}:
        report.add("project_number", False, f"Project {project} ({number}) is {state}.",
                   f"Restore it: `{shell_command('gcloud', 'projects', 'undelete', project or 'PROJECT_ID')}`, "
                   "or choose another project.")
        return
    report.add("project_number", True, f"{project} is project number {number}")


def _check_api(report: EnvReport, rest: Any, service: str) -> None:
    project = report.project
    try:
        state = rest.service_state(project, service)
    except CloudError as err:
        if err.code == 403:
            role = "roles/serviceusage.serviceUsageConsumer"
            report.add(f"api:{service}", False, f"Could not check whether {service} is on: {err.message}",
                       f"Grant the caller {role}: `{_grant(project or 'PROJECT_ID', _who(report), role)}`"
                       f", or check at https://console.cloud.google.com/apis/library/{service}"
                       f"?project={quote(project or '')}.",
                       "warning")
            return
        raise
    if state == "ENABLED":
        report.add(f"api:{service}", True, f"{service} is enabled")
        return
    report.missing_apis.append(service)
    report.add(f"api:{service}", False, f"{service} is not enabled (state {state}).",
               f"`{shell_command('gcloud', 'services', 'enable', service, '--project', project or 'PROJECT_ID')}` (or "
               f"`{shell_command('tuning-agent', 'env', 'enable-apis', '--project', project or 'PROJECT_ID')}`), or "
               f"https://console.cloud.google.com/apis/library/{service}?project={quote(project or '')}")


def _check_caller(report: EnvReport, rest: Any) -> None:
    project = report.project or "PROJECT_ID"
    held = rest.held_permissions(project, [*CALLER_PERMISSIONS, *STORAGE_PERMISSIONS])
    member = _who(report)
    missing = [p for p in CALLER_PERMISSIONS if p not in held]
    if missing:
        report.add("caller_permissions", False, f"{member} lacks {', '.join(missing)} on {project}.",
                   f"`{_grant(project, member, 'roles/aiplatform.user')}`")
    else:
        report.add("caller_permissions", True, f"{member} may create, read, list and cancel tuning jobs")
    missing_storage = [p for p in STORAGE_PERMISSIONS if p not in held]
    if not missing_storage:
        report.add("caller_storage", True, f"{member} may read and write objects in the project's buckets")
    elif report.bucket:
        report.add("caller_storage", False, f"No project-wide {', '.join(missing_storage)}; "
                   f"the bucket check below decides.", None, "info")
    else:
        report.add("caller_storage", False, f"{member} lacks project-wide {', '.join(missing_storage)} "
                   "(fine if granted on the bucket you will use).",
                   f"`{_grant(project, member, 'roles/storage.objectAdmin')}`, or grant it on one bucket "
                   f"with `{_bucket_grant('BUCKET', member, 'roles/storage.objectAdmin')}`", "warning")


def _storage_client(report: EnvReport, creds: Any) -> Any:
    import os

    from tools.vertex.storage import GcsStorage

    # Against an emulator the client ignores credentials; otherwise reuse the checked ones.
    return GcsStorage(report.project, None if os.environ.get("STORAGE_EMULATOR_HOST") else creds)


def _check_bucket(report: EnvReport, creds: Any) -> None:
    bucket = report.bucket or ""
    storage = _storage_client(report, creds)
    member = _who(report)
    if not storage.bucket_exists(bucket):
        location = report.region if report.region and report.region != "global" else "us-central1"
        create = shell_command("gcloud", "storage", "buckets", "create", f"gs://{bucket}", "--project",
                               report.project or "PROJECT_ID", "--location", location,
                               "--uniform-bucket-level-access")
        report.add("bucket", False, f"Bucket gs://{bucket} does not exist (or this account cannot see it).",
                   f"Create it: `{create}`, or name an existing bucket.")
        return
    with storage._errors(f"testing permissions on gs://{bucket}", bucket):
        held = set(storage.client.bucket(bucket).test_iam_permissions(list(BUCKET_PERMISSIONS)))
    missing = [p for p in BUCKET_PERMISSIONS if p not in held]
    if missing:
        report.add("bucket", False, f"{member} lacks {', '.join(missing)} on gs://{bucket}.",
                   f"`{_bucket_grant(bucket, member, 'roles/storage.objectAdmin')}`")
    else:
        report.add("bucket", True, f"gs://{bucket} exists and {member} may read and write objects in it")


def _members_roles(bindings: list[dict[str, Any]]) -> dict[str, set[str]]:
    roles: dict[str, set[str]] = {}
    for binding in bindings:
        for member in binding.get("members") or []:
            roles.setdefault(str(member), set()).add(str(binding.get("role")))
    return roles


def _has_object_rw(roles: set[str]) -> bool:
    return bool(roles & OBJECT_RW_ROLES) or bool(roles & OBJECT_READ_ROLES and roles & OBJECT_WRITE_ROLES)


def _check_agents(report: EnvReport, rest: Any, creds: Any, category: str | None) -> None:
    project, number = report.project or "PROJECT_ID", report.project_number or ""
    try:
        bindings = rest.iam_bindings(project)
    except CloudError as err:
        if err.code != 403:
            raise
        report.add("service_agents", False, f"Could not read the IAM policy of {project}: {err.message}",
                   f"Ask a project owner to run `{shell_command('gcloud', 'projects', 'get-iam-policy', project)}` "
                   "and check that service-{number}@gcp-sa-aiplatform.iam.gserviceaccount.com "
                   "has roles/aiplatform.serviceAgent.", "warning")
        return
    roles = _members_roles(bindings)

    agent, role = _service_agent(number, AIPLATFORM_AGENT[0]), AIPLATFORM_AGENT[1]
    if role in roles.get(agent, set()):
        report.add("agent:aiplatform", True, f"{agent.split(':', 1)[1]} has {role}")
    elif "aiplatform.googleapis.com" in report.missing_apis:
        report.add("agent:aiplatform", False, "Vertex AI's service agent appears when the API is enabled.",
                   "Enable aiplatform.googleapis.com first.", "info")
    else:
        report.add("agent:aiplatform", False, f"{agent.split(':', 1)[1]} does not have {role}.",
                   f"`{_identity_create(project)}` then `{_grant(project, agent, role)}`")

    agent, role = _service_agent(number, TUNING_AGENT[0]), TUNING_AGENT[1]
    if role in roles.get(agent, set()):
        report.add("agent:vertex-tune", True, f"{agent.split(':', 1)[1]} has {role}")
    else:
        report.add("agent:vertex-tune", False,
                   f"The Secure Fine-Tuning agent {agent.split(':', 1)[1]} has no {role}. It may not exist "
                   "until the project's first tuning job runs; Vertex AI normally grants the role then.",
                   f"If a tuning job fails with a permission error, run `{_grant(project, agent, role)}` "
                   "(it fails with 'Principal does not exist' before the first job).", "warning")

    if category == "gemini":
        return
    _check_oss_agent(report, roles, creds, category)


def _check_oss_agent(report: EnvReport, project_roles: dict[str, set[str]], creds: Any,
                     category: str | None) -> None:
    number, bucket = report.project_number or "", report.bucket
    agent = _service_agent(number, OSS_AGENT)
    email = agent.split(":", 1)[1]
    if _has_object_rw(project_roles.get(agent, set())):
        report.add("agent:oss-bucket-access", True, f"{email} may read and write objects in the project")
        return
    severity: Severity = "error" if category == "open" and bucket else "warning"
    if not bucket:
        report.add("agent:oss-bucket-access", False,
                   f"Open-model tuning needs {email} to read and write the data and output buckets; "
                   "no project-wide grant was found (a bucket is checked once one is chosen).",
                   f"`{_bucket_grant('BUCKET', agent, 'roles/storage.objectUser')}`", "warning")
        return
    storage = _storage_client(report, creds)
    with storage._errors(f"reading the IAM policy of gs://{bucket}", bucket):
        policy = storage.client.bucket(bucket).get_iam_policy(requested_policy_version=3)
    bucket_roles = {str(b.get("role")) for b in policy.bindings if agent in (b.get("members") or ())}
    if _has_object_rw(bucket_roles):
        report.add("agent:oss-bucket-access", True, f"{email} may read and write objects in gs://{bucket}")
        return
    report.add("agent:oss-bucket-access", False,
               f"{email} (runs open-model tuning) cannot read and write objects in gs://{bucket}.",
               f"`{_bucket_grant(bucket, agent, 'roles/storage.objectUser')}`", severity)


def enable_apis(project: str, services: list[str] | tuple[str, ...] = REQUIRED_APIS, *,
                credentials: Any = None, poll_s: float = 2.0, timeout_s: float = 90.0) -> list[str]:
    """Enable APIs on a project (mutating: call only after approval); return those now enabled.

    Service Usage `services:batchEnable` starts an operation, which google-api-core polls
    every `poll_s` until done or `timeout_s`; a still-running operation raises a retryable
    CloudError.
    """
    from concurrent.futures import TimeoutError as FutureTimeout

    from google.api_core import exceptions

    from tools.vertex.rest import AdminClients, wait_for

    names = list(dict.fromkeys(s.strip() for s in services if s.strip()))
    bad = [s for s in names if "." not in s or " " in s]
    if not names or bad:
        raise ToolError(f"Not API service names: {', '.join(bad) or '(none given)'}",
                        "Use names like aiplatform.googleapis.com.")
    if not project:
        raise ToolError("No project given for enabling APIs.", "Pass --project PROJECT_ID.")
    operation = AdminClients(credentials).start_enable(project, names)
    try:
        response = wait_for(operation, poll_s=poll_s, timeout_s=timeout_s)
    except (FutureTimeout, exceptions.RetryError) as err:
        raise CloudError(f"Enabling {', '.join(names)} on {project} is still running "
                         f"({operation.operation.name}).",
                         "It usually takes a minute or two: run `tuning-agent env check` again shortly.",
                         retryable=True) from err
    except exceptions.GoogleAPICallError as err:
        raise CloudError(f"Enabling {', '.join(names)} on {project} failed: {err.message}",
                         "Check that billing is enabled for the project and that you have "
                         "roles/serviceusage.serviceUsageAdmin.", code=err.code) from err
    enabled = [str(s.name).rsplit("/", 1)[-1] for s in response.services if s.state.name == "ENABLED"]
    return enabled or names
