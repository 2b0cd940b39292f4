"""The graph the LangGraph server (`langgraph dev` / `langgraph up`) serves.

Compiled without a checkpointer: the server supplies its own persistence. Platform and
LLM come from `TUNING_AGENT_PLATFORM` (auto|local|vertex) and `TUNING_AGENT_LLM`.
"""

from __future__ import annotations

import os

from agent.llm import make_llm
from graph.builder import build_graph
from graph.deps import Deps

graph = build_graph(Deps(platform_name=os.environ.get("TUNING_AGENT_PLATFORM", "auto"), llm=make_llm()))
