"""`tuning-agent env …`: is this Google Cloud project ready to tune, and turn on what is off.

`env check` is read-only and prints one line per check with the exact fix for each
failure (exit 1 when a required check fails). `env enable-apis` changes the project,
so it asks first on a terminal and needs `--yes` otherwise.
"""

from __future__ import annotations

import argparse
from typing import Any

_MARK = {True: "ok  ", "error": "FAIL", "warning": "warn", "info": "info"}


def register(subparsers: Any) -> None:
    """Add `env check` and `env enable-apis`."""
    env = subparsers.add_parser("env", help="check the Google Cloud environment (credentials, APIs, roles)",
                                description="Check that a Google Cloud project is ready for tuning, "
                                "and enable the APIs it needs.")
    commands = env.add_subparsers(dest="env_command", metavar="SUBCOMMAND")
    env.set_defaults(handler=lambda args: _usage(env))

    check = commands.add_parser("check", help="check credentials, project, APIs, permissions, service agents",
                                description="Read-only. Exit code 1 when a required check fails.")
    check.add_argument("--project", help="project id (default: environment / gcloud configuration)")
    check.add_argument("--region", help="region (default: environment / gcloud configuration)")
    check.add_argument("--bucket", help="also check this bucket (name or gs://name)")
    check.add_argument("--category", choices=["open", "gemini"],
                       help="which tuning you plan (decides valid regions and bucket-agent checks)")
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    check.set_defaults(handler=_check)

    enable = commands.add_parser("enable-apis", help="enable the Vertex AI and Cloud Storage APIs (changes "
                                 "the project)", description="Enable APIs with Service Usage. Asks first; "
                                 "without a terminal, pass --yes.")
    enable.add_argument("--project", help="project id (default: environment / gcloud configuration)")
    enable.add_argument("--api", action="append", dest="apis", metavar="SERVICE",
                        help="an API to enable (repeatable; default: aiplatform and storage)")
    enable.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    enable.add_argument("--json", action="store_true", help="print the result as JSON")
    enable.set_defaults(handler=_enable)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def render(report: Any) -> str:
    """The report as readable lines: a header, one line per check, fixes indented below."""
    head = f"Google Cloud environment — project {report.project or '(none)'}"
    if report.project_number:
        head += f" ({report.project_number})"
    head += f", region {report.region or '(none)'}"
    lines = [head]
    width = max((len(c.name) for c in report.checks), default=10)
    for check in report.checks:
        mark = _MARK[True] if check.ok else _MARK[check.severity]
        lines.append(f"  [{mark}] {check.name:<{width}}  {check.detail}")
        if not check.ok and check.fix:
            lines.append(f"  {'':6} {'':<{width}}  fix: {check.fix}")
    failures, warnings = len(report.failures()), len(report.warnings())
    if failures:
        lines.append(f"{failures} required check(s) failed — apply the fixes above, then run "
                     "`tuning-agent env check` again.")
    else:
        lines.append("Ready to tune." + (f" ({warnings} warning(s) above.)" if warnings else ""))
    return "\n".join(lines)


def _check(args: argparse.Namespace) -> int:
    from agent.commands.common import print_json
    from tools.vertex.env import check_environment

    report = check_environment(args.project, args.region, bucket=args.bucket, category=args.category)
    if args.json:
        print_json(report)
    else:
        print(render(report))
    return 0 if report.ok else 1


def _enable(args: argparse.Namespace) -> int:
    from agent.cli import UsageError
    from agent.commands.common import confirm, print_json
    from tools.vertex.auth import detect_project
    from tools.vertex.env import REQUIRED_APIS, enable_apis

    project = args.project or detect_project().value
    if not project:
        raise UsageError("no project: pass --project PROJECT_ID or set GOOGLE_CLOUD_PROJECT")
    services = args.apis or list(REQUIRED_APIS)
    if not confirm(f"Enable {', '.join(services)} on project {project}?", args.yes):
        print("Nothing was changed.")
        return 1
    enabled = enable_apis(project, services)
    if args.json:
        print_json({"project": project, "enabled": enabled})
    else:
        print(f"Enabled on {project}: {', '.join(enabled)}")
    return 0
