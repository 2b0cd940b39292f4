"""The google-genai and google-cloud-aiplatform clients, built in one place.

Every Vertex call goes through here so that credentials (`tools.vertex.auth`), the
API version (v1beta1: open-model fields such as `outputUri` exist only there) and the
base-URL override (`TUNING_AGENT_VERTEX_ENDPOINT`) are decided once. A genai client
is cached per (project, location, override, token): the host depends on the location
(`global` → aiplatform.googleapis.com, `us`/`eu` → rep hosts, else `{region}-…`), and a
global job must be polled through the host it was submitted to.
"""

from __future__ import annotations

import threading
from typing import Any

from tools.errors import CloudError
from tools.vertex.auth import access_token_override, detect_project, vertex_endpoint_override

API_VERSION = "v1beta1"
_lock = threading.Lock()
_clients: dict[tuple[str, str, str | None, str | None], Any] = {}


def resolve_project(project: str | None) -> str:
    """The project to use: the one given, else the detected one; a clear error when none."""
    value = project or detect_project().value
    if not value:
        raise CloudError(
            "No Google Cloud project is set.",
            "Pass --project, or set GOOGLE_CLOUD_PROJECT, or run `gcloud config set project ID`.",
        )
    return value


def genai_client(project: str | None, location: str) -> Any:
    """A `google.genai.Client` for Vertex AI in `location`, built once and reused."""
    project_id = resolve_project(project)
    override = vertex_endpoint_override()
    key = (project_id, location, override, access_token_override())
    with _lock:
        if key in _clients:
            return _clients[key]
        from google import genai
        from google.genai import types

        from tools.vertex.auth import get_credentials

        options = types.HttpOptions(api_version=API_VERSION, base_url=override or None)
        try:
            client = genai.Client(vertexai=True, project=project_id, location=location,
                                  credentials=get_credentials(), http_options=options)
        except ValueError as err:
            raise CloudError(f"Could not set up the Vertex AI client: {err}",
                             "Check the project and location settings.") from err
        _clients[key] = client
        return client


def init_aiplatform(project: str | None, region: str) -> str:
    """Point the aiplatform/vertexai SDK at `region` over REST; returns the project used.

    The REST transport keeps an explicit `http://` scheme in `api_endpoint`, which is
    how the override reaches a local server. `global` is never a serving region.
    """
    project_id = resolve_project(project)
    import vertexai

    from tools.vertex.auth import get_credentials

    override = vertex_endpoint_override()
    kwargs: dict[str, Any] = {"project": project_id, "location": region,
                              "credentials": get_credentials(), "api_transport": "rest"}
    if override:
        kwargs["api_endpoint"] = override
    else:
        from google.cloud.aiplatform import initializer

        initializer.global_config._api_endpoint = None  # forget an earlier override
    vertexai.init(**kwargs)
    return project_id


def authorized_session() -> Any:
    """A `requests` session that adds the bearer token (for REST calls the SDKs lack)."""
    from google.auth.transport.requests import AuthorizedSession

    from tools.vertex.auth import get_credentials

    return AuthorizedSession(get_credentials())


def reset_clients() -> None:
    """Forget cached clients (tests change the override between cases)."""
    with _lock:
        _clients.clear()
