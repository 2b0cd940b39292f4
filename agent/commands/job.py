"""`tuning-agent job submit|status|watch|cancel|list`: tuning jobs from the command line.

`job submit` is the exact command the chat's approval card shows
(`tools.vertex.jobs.equivalent_command`), so anything approved in the chat can be
repeated in a script. It runs preflight first and asks before spending money
unless `--yes`; the run id makes a repeated submit return the same job.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from typing import Any

MODES = ["FULL", "PEFT_ADAPTER"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("job", help="submit, follow and cancel tuning jobs")
    sub = parser.add_subparsers(dest="job_command", metavar="ACTION", required=True)

    submit = sub.add_parser("submit", help="Submit a supervised tuning job (asks first unless --yes).")
    submit.add_argument("--base-model", required=True,
                        help="publisher/family@version (open), a Gemini id, or local/NAME.")
    submit.add_argument("--train", required=True,
                        help="Training JSONL: a URI (gs://… or local://…), or with --platform local a file path.")
    submit.add_argument("--validation", help="Validation JSONL (URI, or a file path with --platform local).")
    submit.add_argument("--output-uri", help="Where an open-model job writes its checkpoints.")
    submit.add_argument("--tuning-mode", choices=MODES, help="FULL or PEFT_ADAPTER (open models).")
    submit.add_argument("--epochs", type=int, required=True, help="Number of epochs.")
    rate = submit.add_mutually_exclusive_group()
    rate.add_argument("--learning-rate", type=float, help="Absolute learning rate (open models).")
    rate.add_argument("--learning-rate-multiplier", type=float, help="Learning-rate multiplier (Gemini).")
    submit.add_argument("--adapter-size", type=int, help="LoRA adapter size / rank.")
    submit.add_argument("--project", help="Google Cloud project (default: detected).")
    submit.add_argument("--location", help="Tuning location (open: global by default; Gemini: a region).")
    submit.add_argument("--platform", choices=["vertex", "local"], default="vertex")
    submit.add_argument("--run-id", help="Idempotency key: the same run id returns the same job.")
    submit.add_argument("--display-name", help="Display name of the tuned model.")
    submit.add_argument("--skip-preflight", action="store_true", help="Do not run the preflight checks.")
    submit.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")
    submit.add_argument("--json", action="store_true", help="Print JSON.")
    submit.set_defaults(handler=submit_job)

    for name, helptext, func in (("status", "Show a job's status.", job_status),
                                 ("watch", "Follow a job until it ends.", watch_job),
                                 ("cancel", "Cancel a job (asks first unless --yes).", cancel_job)):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("name", metavar="NAME", help="Job name (projects/…/tuningJobs/ID, or a local id).")
        p.add_argument("--platform", choices=["vertex", "local"],
                       help="Default: vertex for projects/… names, else local.")
        p.add_argument("--json", action="store_true", help="Print JSON (watch: one line per change).")
        if name == "watch":
            p.add_argument("--poll", type=float, default=10.0, help="Seconds between polls (grows).")
            p.add_argument("--timeout", type=float, default=48 * 3600.0,
                           help="Stop watching after this many seconds (default 48 h).")
        if name == "cancel":
            p.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")
        p.set_defaults(handler=func)

    lst = sub.add_parser("list", help="List tuning jobs.")
    lst.add_argument("--project")
    lst.add_argument("--location")
    lst.add_argument("--platform", choices=["vertex", "local"], default="vertex")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(handler=list_jobs)


def _platform(name: str, project: str | None = None, region: str | None = None) -> Any:
    from tools.platforms import get_platform

    return get_platform(name, project=project, region=region)


def _platform_for(args: argparse.Namespace) -> Any:
    return _platform(args.platform or ("vertex" if args.name.startswith("projects/") else "local"))


def _spec(args: argparse.Namespace) -> Any:
    from datetime import UTC, datetime

    from tools.platforms.base import JobSpec
    from tools.vertex.jobs import infer_category

    category = "local" if args.platform == "local" else infer_category(args.base_model)
    run_id = args.run_id or datetime.now(UTC).strftime("run-%Y%m%d-%H%M%S")
    return JobSpec(run_id=run_id, category=category, base_model=args.base_model,
                   train_uri=args.train, validation_uri=args.validation, output_uri=args.output_uri,
                   tuning_mode=args.tuning_mode, epochs=args.epochs, learning_rate=args.learning_rate,
                   learning_rate_multiplier=args.learning_rate_multiplier,
                   adapter_size=args.adapter_size, display_name=args.display_name,
                   project=args.project, location=args.location)


def describe(info: Any) -> str:
    """A few human lines for a JobInfo."""
    lines = [f"{info.name}: {info.state}"]
    if info.console_url:
        lines.append(f"  console: {info.console_url}")
    if info.elapsed_s is not None and not (info.ended and not info.end_time):  # no end: no honest figure
        lines.append(f"  elapsed: {int(info.elapsed_s // 60)} min {int(info.elapsed_s % 60)} s")
    if info.location == "global" and info.real_region:
        lines.append(f"  running in: {info.real_region} (submitted to global)")
    if info.data_stats:
        lines.append("  data: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in info.data_stats.items()))
    if info.final_checkpoint_uri:
        lines.append(f"  checkpoint: {info.final_checkpoint_uri}")
    if info.tuned_model_endpoint:
        lines.append(f"  endpoint: {info.tuned_model_endpoint}")
    if info.error_message:
        lines.append(f"  error: {info.error_message}")
    if info.advice:
        lines.append(f"  → {info.advice}")
    return "\n".join(lines)


LOCAL_UPLOADS_BUCKET = "uploads"


def _local_uri(platform: Any, value: str | None, what: str) -> str | None:
    """A plain file path given to a local job, copied (checksum-verified) into local://uploads/."""
    from agent.commands.upload import check_source
    from tools.errors import ToolError

    if value is None or "://" in value:
        return value
    path = check_source(value)
    with path.open("rb") as fh:
        head = fh.read(4096)
    first = head.lstrip()[:1]
    if b"\0" in head or (head.strip() and first not in (b"{", b"[")):
        raise ToolError(f"{value} is not a JSONL dataset (the {what} file must hold one JSON object per "
                        "line).", "Prepare it first: `tuning-agent data convert`.")
    if not platform.storage.bucket_exists(LOCAL_UPLOADS_BUCKET):
        platform.storage.create_bucket(LOCAL_UPLOADS_BUCKET)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    uri = f"local://{LOCAL_UPLOADS_BUCKET}/{digest}/{path.name}"
    platform.storage.upload(str(path), uri)
    return str(uri)


def submit_job(args: argparse.Namespace) -> int:
    from agent.commands.common import confirm, print_json
    from tools.vertex.jobs import equivalent_command

    platform = _platform(args.platform, args.project, args.location)
    if args.platform == "local":
        args.train = _local_uri(platform, args.train, "training")
        args.validation = _local_uri(platform, args.validation, "validation")
    spec = _spec(args)
    command = equivalent_command(spec)
    existing = platform.find_job(spec.run_id)
    if existing is not None:  # idempotent: this run id was submitted before
        if args.json:
            print_json({"ok": True, "run_id": spec.run_id, "command": command, "job": existing,
                        "already_submitted": True})
        else:
            print(f"Run id {spec.run_id!r} was already submitted:")
            print(describe(existing))
            if existing.state in {"JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED"}:
                # A run id names one submission (that is what makes resubmitting safe).
                print("That job has ended; to try again, submit with a new --run-id.")
        return 0
    check = getattr(platform, "preflight", None)
    if check is not None and not args.skip_preflight:
        if platform.name == "vertex":
            train_rows, val_rows = _row_counts(platform, spec)
            problems = check(spec, check_existing=False, train_rows=train_rows, val_rows=val_rows)
        else:
            problems = check(spec)
        if problems:
            if args.json:
                print_json({"ok": False, "problems": problems})
            else:
                print("Preflight found problems:", file=sys.stderr)
                for problem in problems:
                    print(f"- {problem}", file=sys.stderr)
            return 1
    if not confirm(f"Submit this tuning job (it costs money)?\n  {command}\n", args.yes):
        print("Not submitted.", file=sys.stderr)
        return 1
    info = platform.submit_job(spec)
    if args.json:
        print_json({"ok": True, "run_id": spec.run_id, "command": command, "job": info})
    else:
        print(describe(info))
    return 0


def _row_counts(platform: Any, spec: Any) -> tuple[int | None, int | None]:
    """Rows of the validation file (and of the training file when Gemini's 30 % rule may apply),
    read from storage, so preflight checks the row limits too; None where a file can't be read."""
    import tempfile

    from tools.errors import ToolError

    def count(uri: str | None) -> int | None:
        if not uri:
            return None
        try:
            with tempfile.TemporaryDirectory() as folder:
                path = platform.storage.download(uri, f"{folder}/data.jsonl")
                with open(path, "rb") as handle:
                    return sum(1 for line in handle if line.strip())
        except ToolError:
            return None  # preflight reports a missing object itself

    val_rows = count(spec.validation_uri)
    needs_train = spec.category == "gemini" and val_rows is not None and val_rows > 1000
    return (count(spec.train_uri) if needs_train else None), val_rows


def job_status(args: argparse.Namespace) -> int:
    from agent.commands.common import print_json

    info = _platform_for(args).get_job(args.name)
    if args.json:
        print_json(info)
    else:
        print(describe(info))
    return 1 if info.state in _BAD_END else 0


_BAD_END = {"JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED"}


def watch_job(args: argparse.Namespace) -> int:
    last = None
    for info in _platform_for(args).watch_job(args.name, poll_s=args.poll, timeout_s=args.timeout):
        last = info
        if args.json:
            print(json.dumps(info.model_dump(mode="json")), flush=True)
        else:
            print(describe(info), flush=True)
    if last is not None and not last.ended and not args.json:
        print(f"Still {last.state} after {args.timeout:g} s; run `tuning-agent job watch "
              f"{args.name}` again later.")
    return 1 if last is not None and last.state in _BAD_END else 0


def cancel_job(args: argparse.Namespace) -> int:
    from agent.commands.common import confirm, print_json

    if not confirm(f"Cancel {args.name}?", args.yes):
        print("Not cancelled.", file=sys.stderr)
        return 1
    info = _platform_for(args).cancel_job(args.name)
    if args.json:
        print_json(info)
    else:
        print(describe(info))
    return 0


def list_jobs(args: argparse.Namespace) -> int:
    from agent.commands.common import print_json

    infos = _platform(args.platform, args.project, args.location).list_jobs()
    if args.json:
        print_json(infos)
    else:
        for info in infos:
            print(f"{info.state:<28} {info.name}  {info.base_model or ''}")
    return 0
