"""The publisher models Vertex offers right now, to verify a resource name before use.

Reads Model Garden's publisher-model list over REST (`GET /v1beta1/publishers/*/models
?listAllVersions=true`) and returns names in the form the tuning API takes:
`publisher/family@version` for open models, the bare id (`gemini-2.5-flash`) for
Gemini. When the service cannot be reached the catalog stands in, and the answer
says which source it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tools.errors import CloudError
from tools.vertex.advice import call_idempotent
from tools.vertex.auth import vertex_host
from tools.vertex.client import authorized_session

#: Variants that are never tuning targets (AP list_models.py skips them too).
SKIP = ("-embedding", "-tts", "-image", "-computer-use", "-native-audio", "embedding-")
NATIVE_FILTER = "is_hf_wildcard(false)"
MAX_PAGES = 50
PAGE_SIZE = 100


@dataclass
class LiveModels:
    """Model names, and whether they came from the service (`live`) or the catalog."""

    names: list[str]
    source: str  # "live" | "catalog"
    note: str = ""


def to_tuning_name(resource: str, version: str) -> str | None:
    """`publishers/google/models/gemma3` + `gemma-3-4b-it` → `google/gemma3@gemma-3-4b-it`."""
    match = re.match(r"^publishers/([^/]+)/models/([^/@]+)$", resource)
    if not match:
        return None
    publisher, model = match.groups()
    if any(s in model for s in SKIP):
        return None
    if publisher == "google" and model.startswith("gemini-"):
        return model
    return f"{publisher}/{model}@{version}" if version else None


def fetch_live_models(timeout_s: float = 15.0) -> list[str]:
    """Every tunable-looking publisher model the service lists (raises CloudError when unreachable)."""
    session = authorized_session()
    url = f"{vertex_host('us-central1')}/v1beta1/publishers/*/models"
    names: list[str] = []
    token = ""
    for _ in range(MAX_PAGES):
        params = {"listAllVersions": "true", "pageSize": str(PAGE_SIZE), "filter": NATIVE_FILTER,
                  **({"pageToken": token} if token else {})}

        def page(p: dict[str, str] = params) -> dict[str, Any]:
            response = session.get(url, params=p, timeout=timeout_s)
            if response.status_code >= 400:
                raise _http_error(response)
            return dict(response.json())

        data = call_idempotent(page, "list publisher models", attempts=2)
        for item in data.get("publisherModels", []):
            name = to_tuning_name(str(item.get("name", "")), str(item.get("versionId", "")))
            if name and name not in names:
                names.append(name)
        token = str(data.get("nextPageToken") or "")
        if not token:
            break
    return names


def _http_error(response: Any) -> Exception:
    from google.api_core import exceptions

    return exceptions.from_http_response(response)


_cache: dict[str, list[str]] = {}


def live_models(use_cache: bool = True) -> LiveModels:
    """The live list, or the catalog's names when the service cannot be asked."""
    host = vertex_host("us-central1")
    if use_cache and host in _cache:
        return LiveModels(_cache[host], "live")
    try:
        names = fetch_live_models()
    except CloudError as err:
        return LiveModels(catalog_models(), "catalog",
                          f"Live model list unavailable ({err.message.splitlines()[0]}); "
                          "showing the catalog instead.")
    _cache[host] = names
    return LiveModels(names, "live")


def catalog_models() -> list[str]:
    """Every open and non-retired Gemini model the catalog knows, in tuning-API form."""
    from knowledge import active_gemini_models, load_catalog

    catalog = load_catalog()
    return [m.base_model for m in catalog.open_models] + [g.id for g in active_gemini_models()]


def is_live(name: str, live: list[str]) -> bool:
    """Whether a tuning name (short or long form, Gemini id with or without `google/`) is listed."""
    short = re.sub(r"^publishers/([^/]+)/models/", r"\1/", name.strip())
    return short in live or short.removeprefix("google/") in live


def clear_cache() -> None:
    _cache.clear()
