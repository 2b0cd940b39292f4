"""`tuning-agent chat`: the guided conversation in the terminal (see agent/chat.py)."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    """Add `chat`."""
    chat = subparsers.add_parser(
        "chat", help="start (or resume) a guided tuning conversation",
        description="Talk through tuning a model step by step: dataset, configuration, cost, job, "
        "deployment. Every action that spends money or moves data waits for your approval. "
        "Conversations are saved at every step; resume one with --thread ID "
        "(`tuning-agent threads` lists them). Works with piped input for scripting.")
    chat.add_argument("--platform", choices=("auto", "vertex", "local"), default="auto",
                      help="where jobs run: vertex (Google Cloud), local (this machine), or auto "
                      "(vertex when Google credentials and a project are found; default)")
    chat.add_argument("--llm", metavar="SPEC", help="the advising LLM: none (deterministic), auto (default; "
                      "Gemini on Vertex AI when credentials exist) or an init_chat_model spec such as "
                      "google_genai:gemini-3.5-flash (also $TUNING_AGENT_LLM)")
    chat.add_argument("--project", help="Google Cloud project (default: detected from the environment)")
    chat.add_argument("--region", help="Google Cloud region (default: detected, else asked)")
    chat.add_argument("--thread", metavar="ID", help="resume this saved conversation (or start one with this id)")
    chat.add_argument("--notify", action="store_true",
                      help="ring the terminal bell and print a line when a watched job ends")
    chat.set_defaults(handler=_chat)


def _chat(args: argparse.Namespace) -> int:
    from agent.chat import ChatOptions, run_chat

    return run_chat(ChatOptions(platform=args.platform, llm=args.llm, project=args.project,
                                region=args.region, thread=args.thread, notify=args.notify))
