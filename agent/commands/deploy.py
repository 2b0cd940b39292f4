"""`tuning-agent deploy JOB_NAME` and `tuning-agent try ENDPOINT "prompt"`.

Deploy serves a succeeded job's model (open models: a Model Garden endpoint in the
job's real region, hardware from the catalog unless given; Gemini: the endpoint the
service already made). The endpoint display name is the idempotency key, so running
deploy twice gives the same endpoint. Try sends one prompt and prints the answer.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> None:
    deploy = subparsers.add_parser("deploy", help="serve a tuned model (asks first unless --yes)")
    deploy.add_argument("job", metavar="JOB_NAME", help="Succeeded tuning job name.")
    deploy.add_argument("--machine-type", help="e.g. g2-standard-12 (default: catalog recommendation).")
    deploy.add_argument("--accelerator-type", help="e.g. NVIDIA_L4.")
    deploy.add_argument("--accelerator-count", type=int, help="e.g. 1.")
    deploy.add_argument("--region", help="Serving region (default: where the job ran).")
    deploy.add_argument("--endpoint-name", help="Endpoint display name (default: from the run id).")
    deploy.add_argument("--platform", choices=["vertex", "local"],
                        help="Default: vertex for projects/… names, else local.")
    deploy.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")
    deploy.add_argument("--json", action="store_true", help="Print JSON.")
    deploy.set_defaults(handler=deploy_job)

    try_ = subparsers.add_parser("try", help="send one prompt to a deployed tuned model")
    try_.add_argument("endpoint", metavar="ENDPOINT",
                      help="Endpoint name (projects/…/endpoints/ID), or locally a checkpoint folder or the "
                           "local://…/checkpoints/final URI that `job status` prints.")
    try_.add_argument("prompt", metavar="PROMPT")
    try_.add_argument("--max-tokens", type=int, default=256)
    try_.add_argument("--platform", choices=["vertex", "local"],
                      help="Default: vertex for projects/… names, else local.")
    try_.add_argument("--json", action="store_true", help="Print JSON.")
    try_.set_defaults(handler=try_endpoint)


def _platform(explicit: str | None, name: str) -> Any:
    from tools.platforms import get_platform

    return get_platform(explicit or ("vertex" if name.startswith("projects/") else "local"))


def _hardware(args: argparse.Namespace, base_model: str | None) -> tuple[str | None, str | None, int | None]:
    if args.machine_type or args.accelerator_type or args.accelerator_count:
        from knowledge import machine

        known = machine(args.machine_type) if args.machine_type else None
        return (args.machine_type, args.accelerator_type or (known.accelerator_type if known else None),
                args.accelerator_count or (known.accelerator_count if known else None))
    from knowledge import find_open_model

    model = find_open_model(base_model or "")
    if model is None:
        return None, None, None
    return model.deploy.machine_type, model.deploy.accelerator_type, model.deploy.accelerator_count


def deploy_job(args: argparse.Namespace) -> int:
    from agent.commands.common import confirm, print_json
    from tools.platforms.base import DeploySpec

    platform = _platform(args.platform, args.job)
    job = platform.get_job(args.job)
    machine_type, accel, count = _hardware(args, job.base_model)
    display = args.endpoint_name or f"tuning-agent-{job.run_id or job.name.rsplit('/', 1)[-1]}"
    spec = DeploySpec(endpoint_display_name=display, machine_type=machine_type,
                      accelerator_type=accel, accelerator_count=count, region=args.region)
    from tools.vertex.jobs import infer_category

    if job.base_model and infer_category(job.base_model) == "open" and platform.name == "vertex":
        price = ""
        from knowledge import machine

        known = machine(machine_type) if machine_type else None
        if known:
            from tools import money

            price = f" (about {money.per_hour(known.hourly_usd)} while it runs)"
        where = args.region or job.real_region or job.location
        question = (f"Deploy {job.name} to endpoint {display!r} in {where} on "
                    f"{machine_type or 'automatic resources'}"
                    f"{f' + {count}× {accel}' if accel else ''}{price}?")
        if not confirm(question, args.yes):
            print("Not deployed.", file=sys.stderr)
            return 1
    info = platform.deploy(job, spec)
    if args.json:
        print_json(info)
    else:
        print(f"Endpoint {info.endpoint} ({info.display_name}) is {info.state}.")
        if info.console_url:
            print(f"  console: {info.console_url}")
        print(f'  try it: tuning-agent try {info.endpoint} "your prompt"')
    return 0


def _local_endpoint(platform: Any, endpoint: str) -> str:
    """A local endpoint as a folder: local:// URIs are mapped into the buckets; bad paths say why."""
    from pathlib import Path

    from tools.errors import ToolError

    path = Path(platform.storage.local_path(endpoint)) if endpoint.startswith("local://") \
        else Path(endpoint).expanduser()
    if not path.exists():
        raise ToolError(f"{endpoint}: no such checkpoint (nothing at {path}).",
                        "Give the checkpoint `tuning-agent job status JOB` prints for a succeeded job.")
    if not path.is_dir():
        raise ToolError(f"{endpoint} is a file, not a model folder.",
                        "Give the checkpoint folder (…/checkpoints/final) that `job status` prints.")
    return str(path)


def try_endpoint(args: argparse.Namespace) -> int:
    from agent.commands.common import print_json

    platform = _platform(args.platform, args.endpoint)
    if platform.name != "local":
        answer = platform.predict(args.endpoint, args.prompt, max_tokens=args.max_tokens)
        why = None if answer.strip() else "the endpoint returned no text"
    else:
        from tools.local import serve

        generated = serve.generate(_local_endpoint(platform, args.endpoint), args.prompt,
                                   max_tokens=args.max_tokens)
        answer, why = generated.text, generated.why_empty
    if args.json:
        print_json({"endpoint": args.endpoint, "prompt": args.prompt, "answer": answer, "empty_because": why})
    elif why:
        print(f"(no answer: {why})")
    else:
        print(answer)
    return 0
