"""Library warnings never reach the chat or CLI output: they go to the log file (--verbose shows them)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent.logs import fallbacks, log_path, reset_output, setup_output

# A real CLI run with one extra subcommand that behaves like a cloud SDK: it warns and logs, then prints.
SCRIPT = """
import logging, sys, types, warnings
from agent import cli

mod = types.ModuleType("noisy_command")
def register(subparsers):
    p = subparsers.add_parser("noisy")
    def handler(args):
        warnings.warn("grpc: this API is deprecated", FutureWarning)
        logging.getLogger("google.auth._default").warning("No project ID could be determined")
        print("the result")
        return 0
    p.set_defaults(handler=handler)
mod.register = register
sys.modules["noisy_command"] = mod
cli.COMMAND_MODULES = (*cli.COMMAND_MODULES, "noisy_command")
sys.exit(cli.main(sys.argv[1:]))
"""


@pytest.fixture(autouse=True)
def _restore_logging() -> object:
    yield None
    reset_output()


def _run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TUNING_AGENT_HOME": str(home), "PYTHONWARNINGS": ""}
    env.pop("GRPC_VERBOSITY", None)
    return subprocess.run([sys.executable, "-c", SCRIPT, *args], capture_output=True, text=True, env=env,
                          timeout=120, check=False)


def test_cli_output_has_no_library_warnings(tmp_path: Path) -> None:
    done = _run(tmp_path, "noisy")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "the result\n"
    assert done.stderr == ""
    logged = log_path(tmp_path).read_text(encoding="utf-8")
    assert "FutureWarning: grpc: this API is deprecated" in logged
    assert "No project ID could be determined" in logged


@pytest.mark.parametrize("flag_first", [True, False])
def test_verbose_shows_them(tmp_path: Path, flag_first: bool) -> None:
    done = _run(tmp_path, *(["--verbose", "noisy"] if flag_first else ["noisy", "--verbose"]))
    assert done.returncode == 0 and done.stdout == "the result\n"
    assert "FutureWarning" in done.stderr and "No project ID" in done.stderr
    assert "FutureWarning" in log_path(tmp_path).read_text(encoding="utf-8")


def test_llm_fallbacks_are_counted_for_the_chat(tmp_path: Path) -> None:
    setup_output(home=tmp_path)
    fallbacks.take()
    logging.getLogger("graph.advisor").warning("LLM call failed (%s); using the deterministic path", "Timeout")
    logging.getLogger("tools.other").warning("LLM call failed elsewhere")  # not the graph's fallback
    assert fallbacks.take() == ["LLM call failed (Timeout); using the deterministic path"]
    assert fallbacks.take() == []


def test_setup_twice_keeps_one_set_of_handlers(tmp_path: Path) -> None:
    setup_output(home=tmp_path)
    before = len(logging.getLogger().handlers)
    setup_output(home=tmp_path)
    assert len(logging.getLogger().handlers) == before


# A CLI run whose command loads weights the way transformers does: its tqdm bars must not show.
BARS_SCRIPT = """
import sys
from agent.logs import setup_output

setup_output(verbose="--verbose" in sys.argv)
from transformers.utils.logging import tqdm

for _ in tqdm(range(20), desc="Loading weights"):
    pass
print("the result")
sys.exit(3 if "--fail" in sys.argv else 0)
"""


@pytest.mark.parametrize("args", [[], ["--fail"]])
def test_library_progress_bars_stay_out_of_the_output(tmp_path: Path, args: list[str]) -> None:
    env = {**os.environ, "TUNING_AGENT_HOME": str(tmp_path), "PYTHONWARNINGS": ""}
    env.pop("HF_HUB_DISABLE_PROGRESS_BARS", None)
    done = subprocess.run([sys.executable, "-c", BARS_SCRIPT, *args], capture_output=True, text=True, env=env,
                          timeout=120, check=False)
    assert "Loading weights" not in done.stderr + done.stdout
    assert done.stdout == "the result\n"
    assert done.returncode == (3 if args else 0), done.stderr


def test_progress_bars_can_be_brought_back(tmp_path: Path) -> None:
    env = {**os.environ, "TUNING_AGENT_HOME": str(tmp_path), "HF_HUB_DISABLE_PROGRESS_BARS": "0"}
    done = subprocess.run([sys.executable, "-c", BARS_SCRIPT], capture_output=True, text=True, env=env,
                          timeout=120, check=False)
    assert "Loading weights" in done.stderr
