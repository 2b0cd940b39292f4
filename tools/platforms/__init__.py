"""Choose a platform: `vertex` (Google Cloud) or `local` (this machine).

`auto` picks `vertex` when Google credentials and a project are found without any
network call, else `local`; the reason is returned so the chat can say why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # pydantic loads with the platform, not when the chat only resolves a name
    from tools.platforms.base import Platform

PlatformName = Literal["auto", "vertex", "local"]


def resolve_platform_name(requested: str = "auto") -> tuple[str, str]:
    """The concrete platform name for `requested`, and a one-line reason."""
    if requested in {"vertex", "local"}:
        return requested, f"--platform {requested}"
    if requested != "auto":
        from tools.errors import ToolError

        raise ToolError(f"Unknown platform {requested!r}.", "Use auto, vertex or local.")
    from tools.vertex.auth import credentials_available, detect_project

    creds = credentials_available()
    project = detect_project()
    if creds.value and project.value:
        return "vertex", f"Google credentials ({creds.source}) and project {project.value} ({project.source})"
    if not creds.value:
        return "local", f"{creds.source}: running locally"
    return "local", "Google credentials found but no project configured: running locally"


def get_platform(name: str = "auto", project: str | None = None, region: str | None = None) -> Platform:
    """A platform instance; heavy SDKs load only when the vertex platform is built."""
    concrete, _ = resolve_platform_name(name)
    if concrete == "vertex":
        from tools.platforms.vertex import VertexPlatform

        return VertexPlatform(project=project, region=region)
    from tools.platforms.local import LocalPlatform

    return LocalPlatform()
