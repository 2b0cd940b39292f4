"""`tuning-agent` command line: one entry point, subcommands registered by small modules.

Each module in `COMMAND_MODULES` exposes `register(subparsers)` and imports its heavy
libraries only inside the handler, so `tuning-agent --help` stays fast. Handlers
return an exit code: 0 success, 1 failed check/invalid data/failed job, 2 usage error.
Every `ToolError` is printed as words, never as a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from agent import __version__

#: Subcommand modules, in the order `--help` lists them. Missing ones are skipped.
COMMAND_MODULES = (
    "agent.commands.chat",
    "agent.commands.threads",
    "agent.commands.data",
    "agent.commands.cost",
    "agent.commands.models",
    "agent.commands.env",
    "agent.commands.job",
    "agent.commands.deploy",
)


class UsageError(Exception):
    """A command line that cannot be run as given (exit code 2)."""


def build_parser() -> argparse.ArgumentParser:
    """The full parser with every available subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="tuning-agent",
        description="Fine-tune large language models on Vertex AI (or on this machine), "
        "guided step by step. Run `tuning-agent chat` to start a conversation.",
    )
    parser.add_argument("--version", action="version", version=f"tuning-agent {__version__}")
    parser.add_argument("--verbose", "-v", action="store_true", default=False,
                        help="also show library warnings and log records on stderr (they always go to "
                        "$TUNING_AGENT_HOME/logs/tuning-agent.log)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as err:
            if err.name == module_name:
                continue
            raise
        module.register(subparsers)
    for sub in subparsers.choices.values():  # `tuning-agent chat --verbose` works too
        sub.add_argument("--verbose", "-v", action="store_true", default=argparse.SUPPRESS,
                         help="show library warnings and log records on stderr")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse, dispatch, and turn known errors into a message and an exit code."""
    from agent.logs import setup_output
    from tools.errors import ToolError

    parser = build_parser()
    args = parser.parse_args(argv)
    setup_output(verbose=bool(getattr(args, "verbose", False)))
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 0
    try:
        code = int(handler(args) or 0)
        sys.stdout.flush()  # here, so that a closed pipe is caught below rather than at exit
        return code
    except BrokenPipeError:
        return _reader_went_away()
    except UsageError as err:
        print(f"tuning-agent: {err}", file=sys.stderr)
        return 2
    except ToolError as err:
        print(f"Error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        return 130


def _reader_went_away() -> int:
    """`tuning-agent data validate … | head`: the reader closed the pipe, which is not an error to
    show. Standard output goes to /dev/null (so the flush at exit fails no more) and the exit code is
    the shell's for SIGPIPE."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 141


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
