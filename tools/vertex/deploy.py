"""Serving tuned models: Model Garden deploy for open models, ready endpoints for Gemini.

Open-model jobs write weights to `<output_uri>/postprocess/node-0/checkpoints/final`;
`vertexai.preview.model_garden.CustomModel` deploys that folder to a new endpoint in a
real region (a `global` job's region is read from its sub-resource names). The
endpoint display name is the idempotency key: an endpoint that already carries it is
returned instead of deploying again. Gemini jobs come with an endpoint already.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from tools.errors import CloudError, ToolError
from tools.platforms.base import DeploymentInfo, DeploySpec, JobInfo
from tools.vertex.advice import call, call_idempotent
from tools.vertex.client import genai_client, init_aiplatform
from tools.vertex.monitor import FINAL_CHECKPOINT

_ENDPOINT_RE = re.compile(
    r"^projects/(?P<project>[^/]+)/locations/(?P<region>[^/]+)/endpoints/(?P<id>[^/]+)$")
DEPLOY_TIMEOUT_S = 2 * 3600.0


def parse_endpoint(name: str) -> tuple[str, str, str]:
    """(project, region, id) of `projects/P/locations/R/endpoints/ID`."""
    match = _ENDPOINT_RE.match(name.strip())
    if not match:
        raise ToolError(f"Not an endpoint name: {name!r}.",
                        "Use the full name, e.g. projects/PROJECT/locations/us-central1/endpoints/123.")
    return match["project"], match["region"], match["id"]


def endpoint_console_url(name: str) -> str:
    project, region, endpoint_id = parse_endpoint(name)
    return (f"https://console.cloud.google.com/vertex-ai/online-prediction/locations/{region}"
            f"/endpoints/{endpoint_id}?project={project}")


def deploy_region(job: JobInfo, spec: DeploySpec) -> str:
    """The real region to serve from: the one asked for, else where the job really ran."""
    region = spec.region or job.real_region or (job.location if job.location != "global" else None)
    if not region or region == "global":
        raise ToolError(
            "Deployment needs a real region, and this job's region is unknown.",
            "Give the region to serve from (e.g. us-central1); for a `global` job it is the region "
            "in the tuned model's name (the job's page in the console shows it).")
    return region


def _hourly_usd(machine_type: str | None) -> float | None:
    if not machine_type:
        return None
    try:
        from knowledge import machine

        found = machine(machine_type)
    except Exception:  # the catalog is advisory here; a price is optional
        return None
    return getattr(found, "hourly_usd", None) if found else None


def _info(endpoint: Any, region: str, hourly: float | None = None) -> DeploymentInfo:
    models = list(getattr(endpoint, "gca_resource", endpoint).deployed_models or [])
    name = endpoint.resource_name
    return DeploymentInfo(endpoint=name, display_name=endpoint.display_name, region=region,
                          model=models[0].model if models else None, state="READY",
                          hourly_usd=hourly, console_url=endpoint_console_url(name))


def find_endpoint(display_name: str, project: str | None, region: str) -> DeploymentInfo | None:
    """The endpoint in `region` that carries this display name, or None."""
    project_id = init_aiplatform(project, region)
    from google.cloud import aiplatform

    safe = display_name.replace('"', "")
    found = call_idempotent(
        lambda: aiplatform.Endpoint.list(filter=f'display_name="{safe}"', project=project_id,
                                         location=region),
        "list endpoints")
    found = [e for e in found if e.display_name == display_name]
    return _info(found[0], region) if found else None


def deploy_open_model(job: JobInfo, spec: DeploySpec, project: str | None = None) -> DeploymentInfo:
    """Deploy the final checkpoint of a succeeded open-model job (or return the existing endpoint)."""
    if not job.succeeded:
        raise ToolError(f"Job {job.name} is {job.state}; only a succeeded job can be deployed.",
                        "Wait for it to finish (`tuning-agent job watch NAME`).")
    gcs_uri = job.final_checkpoint_uri or (
        f"{job.output_uri.rstrip('/')}/{FINAL_CHECKPOINT}" if job.output_uri else None)
    if not gcs_uri:
        raise ToolError(f"Job {job.name} has no output URI, so there is no checkpoint to deploy.",
                        "Open-model jobs write to their output_uri; check the job in the console.")
    region = deploy_region(job, spec)
    project_id = project or job.name.split("/")[1]
    existing = find_endpoint(spec.endpoint_display_name, project_id, region)
    if existing:
        return existing
    hardware = (spec.machine_type, spec.accelerator_type, spec.accelerator_count)
    if any(hardware) and not all(hardware):
        raise ToolError("Machine type, accelerator type and accelerator count go together.",
                        "Give all three (e.g. g2-standard-12, NVIDIA_L4, 1) or none.")
    init_aiplatform(project_id, region)
    from vertexai.preview.model_garden import CustomModel

    model = CustomModel(gcs_uri=gcs_uri)
    try:
        endpoint = call(lambda: model.deploy(
            machine_type=spec.machine_type, accelerator_type=spec.accelerator_type,
            accelerator_count=spec.accelerator_count,
            endpoint_display_name=spec.endpoint_display_name,
            model_display_name=spec.endpoint_display_name,
            deploy_request_timeout=DEPLOY_TIMEOUT_S), "deploy the tuned model")
    except CloudError as err:
        if err.code is None or err.code >= 500:
            again = find_endpoint(spec.endpoint_display_name, project_id, region)
            if again:
                return again
        raise
    found = find_endpoint(spec.endpoint_display_name, project_id, region)
    if found:
        found.hourly_usd = _hourly_usd(spec.machine_type)
        return found
    return DeploymentInfo(endpoint=endpoint.resource_name, display_name=spec.endpoint_display_name,
                          region=region, hourly_usd=_hourly_usd(spec.machine_type),
                          console_url=endpoint_console_url(endpoint.resource_name))


def gemini_endpoint(job: JobInfo) -> DeploymentInfo:
    """The endpoint the service created for a succeeded Gemini job."""
    if not job.succeeded or not job.tuned_model_endpoint:
        raise ToolError(f"Job {job.name} is {job.state} and has no endpoint yet.",
                        "Gemini jobs get an endpoint when they succeed; wait for the job to finish.")
    _, region, _ = parse_endpoint(job.tuned_model_endpoint)
    return DeploymentInfo(endpoint=job.tuned_model_endpoint,
                          display_name=job.tuned_model_endpoint.rsplit("/", 1)[1], region=region,
                          model=job.tuned_model, state="READY",
                          console_url=endpoint_console_url(job.tuned_model_endpoint))


def endpoint_kind(endpoint: str) -> Literal["open", "gemini"]:
    """`open` when the endpoint runs dedicated machines (Model Garden), else `gemini`."""
    project, region, _ = parse_endpoint(endpoint)
    init_aiplatform(project, region)
    from google.cloud import aiplatform

    found = call_idempotent(lambda: aiplatform.Endpoint(endpoint), "get the endpoint")
    models = found.gca_resource.deployed_models
    return "open" if any(m.dedicated_resources.machine_spec.machine_type or
                         "dedicated_resources" in m for m in models) else "gemini"


def _strip_echo(text: str) -> str:
    """vLLM-style answers echo `Prompt:\\n…\\nOutput:\\n`; keep what follows."""
    marker = "\nOutput:\n"
    return text.split(marker, 1)[1] if marker in text else text


def predict(endpoint: str, prompt: str, max_tokens: int = 256, temperature: float = 0.2,
            kind: Literal["auto", "open", "gemini"] = "auto") -> str:
    """Send one prompt to a deployed tuned model and return its text."""
    if kind == "auto":
        kind = endpoint_kind(endpoint)
    project, region, _ = parse_endpoint(endpoint)
    if kind == "gemini":
        client = genai_client(project, region)
        response = call_idempotent(lambda: client.models.generate_content(
            model=endpoint, contents=prompt,
            config={"max_output_tokens": max_tokens, "temperature": temperature}),
            "generate content on the endpoint")
        return str(response.text or "")
    init_aiplatform(project, region)
    from google.cloud import aiplatform

    ep = aiplatform.Endpoint(endpoint)
    instance = {"prompt": prompt, "max_tokens": max_tokens, "temperature": temperature,
                "raw_response": True}
    result = call(lambda: ep.predict(instances=[instance]), "send the prompt")
    predictions = list(result.predictions or [])
    if not predictions:
        raise CloudError(f"Endpoint {endpoint} returned no prediction.",
                         "Check the endpoint's logs in the console.")
    first = predictions[0]
    return _strip_echo(first if isinstance(first, str) else str(first))
