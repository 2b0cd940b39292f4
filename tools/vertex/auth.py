"""Credentials, project and region for Google Cloud — found without the gcloud binary.

One place decides how every Vertex/GCS call authenticates and where it goes:

- `TUNING_AGENT_ACCESS_TOKEN`: a bearer token used instead of Application Default
  Credentials (e.g. the output of `gcloud auth print-access-token`, or any string
  against a local fake server).
- `TUNING_AGENT_VERTEX_ENDPOINT`: a base URL for every Vertex call (private endpoints,
  tests). Without it the regional host rules of the service apply.
- project: `GOOGLE_CLOUD_PROJECT`, `GCLOUD_PROJECT`, `CLOUDSDK_CORE_PROJECT`, then the
  active gcloud configuration file; region: `GOOGLE_CLOUD_LOCATION`,
  `CLOUDSDK_COMPUTE_REGION`, then `[compute] region` of that file.
"""

from __future__ import annotations

import configparser
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.errors import CloudError

SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)


@dataclass(frozen=True)
class Detected:
    """A value found in the environment, and where it was found (shown to the user)."""

    value: str | None
    source: str


def gcloud_config_dir() -> Path:
    """`$CLOUDSDK_CONFIG`, else `%APPDATA%/gcloud` on Windows, else `~/.config/gcloud`."""
    if os.environ.get("CLOUDSDK_CONFIG"):
        return Path(os.environ["CLOUDSDK_CONFIG"]).expanduser()
    if os.name == "nt" and os.environ.get("APPDATA"):
        return Path(os.environ["APPDATA"]) / "gcloud"
    return Path.home() / ".config" / "gcloud"


def gcloud_properties() -> tuple[dict[str, dict[str, str]], str]:
    """The active gcloud configuration as {section: {key: value}}, and its file path."""
    config_dir = gcloud_config_dir()
    name = os.environ.get("CLOUDSDK_ACTIVE_CONFIG_NAME")
    if not name:
        active = config_dir / "active_config"
        name = active.read_text(encoding="utf-8").strip() if active.is_file() else "default"
    path = config_dir / "configurations" / f"config_{name or 'default'}"
    parser = configparser.ConfigParser()
    if path.is_file():
        try:
            parser.read(path, encoding="utf-8")
        except configparser.Error:
            return {}, str(path)
    return {section: dict(parser[section]) for section in parser.sections()}, str(path)


def _first_env(*names: str) -> Detected | None:
    for name in names:
        if os.environ.get(name):
            return Detected(os.environ[name].strip(), f"environment variable {name}")
    return None


def _detect(env_names: tuple[str, ...], section: str, key: str, missing: str) -> Detected:
    """The first environment variable set, else `[section] key` of the active gcloud config."""
    found = _first_env(*env_names)
    if found:
        return found
    props, path = gcloud_properties()
    value = props.get(section, {}).get(key)
    if value:
        return Detected(value, f"gcloud configuration {path}")
    return Detected(None, missing)




def detect_project() -> Detected:
    """The Google Cloud project the user most likely means, with its source."""
    return _detect(("GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT", "CLOUDSDK_CORE_PROJECT"), "core", "project",
                   "not set (no GOOGLE_CLOUD_PROJECT and no gcloud configuration)")


def detect_region() -> Detected:
    """The region the user most likely means, with its source (`global` is a valid answer)."""
    return _detect(("GOOGLE_CLOUD_LOCATION", "CLOUDSDK_COMPUTE_REGION"), "compute", "region", "not set")


def access_token_override() -> str | None:
    """The bearer token from `TUNING_AGENT_ACCESS_TOKEN`, if set."""
    return os.environ.get("TUNING_AGENT_ACCESS_TOKEN") or None


def vertex_endpoint_override() -> str | None:
    """The base URL from `TUNING_AGENT_VERTEX_ENDPOINT` (no trailing slash), if set."""
    url = os.environ.get("TUNING_AGENT_VERTEX_ENDPOINT")
    return url.rstrip("/") if url else None


def credentials_available() -> Detected:
    """Whether credentials are likely present, checked without any network call."""
    if access_token_override():
        return Detected("token", "environment variable TUNING_AGENT_ACCESS_TOKEN")
    key_file = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    if key_file:
        if Path(key_file).is_file():
            return Detected(key_file, "GOOGLE_APPLICATION_CREDENTIALS")
        return Detected(None, f"GOOGLE_APPLICATION_CREDENTIALS points to a missing file: {key_file}")
    adc = gcloud_config_dir() / "application_default_credentials.json"
    if adc.is_file():
        return Detected(str(adc), "gcloud application-default credentials")
    return Detected(None, "no Google credentials found")


def get_credentials() -> Any:
    """Credentials for Google APIs: the token override, else Application Default Credentials."""
    token = access_token_override()
    if token:
        from google.oauth2.credentials import Credentials

        return Credentials(token=token)
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    try:
        creds, _ = google.auth.default(scopes=list(SCOPES))
    except DefaultCredentialsError as err:
        raise CloudError(
            f"No Google Cloud credentials: {err}",
            "Run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS "
            "to a service-account key file, or TUNING_AGENT_ACCESS_TOKEN to an access token.",
        ) from err
    return creds


def vertex_host(location: str) -> str:
    """The API host for a location: `global` has no prefix, `us`/`eu` use the rep hosts."""
    override = vertex_endpoint_override()
    if override:
        return override
    if location == "global":
        return "https://aiplatform.googleapis.com"
    if location in {"us", "eu"}:
        return f"https://aiplatform.{location}.rep.googleapis.com"
    return f"https://{location}-aiplatform.googleapis.com"
