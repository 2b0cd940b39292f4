"""The LLM factory: the one place that turns a spec into a chat model (or None).

Specs: `none` (deterministic mode), `auto` (a current Gemini Flash on Vertex AI when
Google credentials and a project are found, else none), or any `init_chat_model` spec
such as `google_genai:gemini-3.5-flash` or `google_vertexai:gemini-3.5-flash`.
Switching provider classes is a one-line change in `_build`.
"""

from __future__ import annotations

import os
from typing import Any

from tools.errors import ToolError

DEFAULT_GEMINI = "gemini-3.5-flash"


def resolve_llm_spec(spec: str | None = None) -> tuple[str, str]:
    """The concrete spec for `spec` (or $TUNING_AGENT_LLM, else auto), and why."""
    spec = (spec or os.environ.get("TUNING_AGENT_LLM") or "auto").strip()
    if spec != "auto":
        return spec, "chosen with --llm/TUNING_AGENT_LLM" if spec != "none" else "deterministic mode (--llm none)"
    from tools.vertex.auth import credentials_available, detect_project

    if credentials_available().value and detect_project().value:
        return f"google_vertexai:{DEFAULT_GEMINI}", "Google credentials found: Gemini on Vertex AI advises"
    return "none", "no Google credentials: deterministic mode (heuristics, numbered choices, yes/no)"


def make_llm(spec: str | None = None) -> Any:
    """A chat model for `spec`, or None for the deterministic mode."""
    concrete, _ = resolve_llm_spec(spec)
    if concrete == "none":
        return None
    return _build(concrete)


def _build(spec: str) -> Any:
    provider, _, model = spec.partition(":")
    if provider == "google_vertexai":
        # ChatVertexAI is deprecated in favour of ChatGoogleGenerativeAI(vertexai=True); use the
        # latter when langchain-google-genai is installed.
        try:
            from langchain_google_genai import ChatGoogleGenerativeAI

            return ChatGoogleGenerativeAI(model=model, vertexai=True, temperature=0)
        except ImportError:
            from langchain_google_vertexai import ChatVertexAI

            return ChatVertexAI(model=model, temperature=0)
    if provider == "google_genai":
        try:
            from langchain_google_genai import ChatGoogleGenerativeAI
        except ImportError as err:
            raise ToolError("The google_genai provider needs langchain-google-genai.",
                            "pip install langchain-google-genai, or use --llm google_vertexai:MODEL or none.") from err
        return ChatGoogleGenerativeAI(model=model, temperature=0)
    try:
        from langchain.chat_models import init_chat_model
    except ImportError as err:
        raise ToolError(f"The LLM spec {spec!r} needs the `langchain` package for init_chat_model.",
                        "pip install langchain (plus the provider's integration package), "
                        "or use --llm google_vertexai:MODEL or none.") from err
    return init_chat_model(spec, temperature=0)
