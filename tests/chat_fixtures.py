"""Shared bits of the chat tests: a small trivia CSV, the chat's environment, and ANSI stripping."""

from __future__ import annotations

import csv
import os
import re
import sys
from pathlib import Path

import pytest

#: Thirty distinct trivia questions with short text answers (a plain prompt/completion CSV).
TRIVIA = [
    ("Who painted the Mona Lisa?", "Leonardo da Vinci"), ("What is the capital of France?", "Paris"),
    ("Which planet is known as the Red Planet?", "Mars"), ("Who wrote Hamlet?", "William Shakespeare"),
    ("What is the largest ocean on Earth?", "The Pacific Ocean"), ("What gas do plants absorb?", "Carbon dioxide"),
    ("Who discovered penicillin?", "Alexander Fleming"), ("What is the capital of Japan?", "Tokyo"),
    ("Which element has the symbol O?", "Oxygen"), ("What is the tallest mountain?", "Mount Everest"),
    ("Who composed the Four Seasons?", "Antonio Vivaldi"), ("What is the capital of Italy?", "Rome"),
    ("What is the longest river in Africa?", "The Nile"), ("Which animal is the largest mammal?", "The blue whale"),
    ("Who developed the theory of relativity?", "Albert Einstein"), ("What is the capital of Kenya?", "Nairobi"),
    ("Which metal is liquid at room temperature?", "Mercury"), ("What is the hardest natural material?", "Diamond"),
    ("Who was the first person on the Moon?", "Neil Armstrong"), ("What is the capital of Canada?", "Ottawa"),
    ("Which country gave the Statue of Liberty?", "France"), ("What is the smallest prime number?", "Two"),
    ("Who wrote Pride and Prejudice?", "Jane Austen"), ("What is the capital of Egypt?", "Cairo"),
    ("Which planet has the most moons?", "Saturn"), ("What language is spoken in Brazil?", "Portuguese"),
    ("Who painted Starry Night?", "Vincent van Gogh"), ("What is the capital of Peru?", "Lima"),
    ("What is the freezing point of water in Celsius?", "Zero degrees"),
    ("Which organ pumps blood?", "The heart"),
]

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][A-Z0-9]|\r")


def write_trivia_csv(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["question", "answer"])
        writer.writerows(TRIVIA)
    return path


def chat_env(home: Path) -> dict[str, str]:
    """The environment a chat subprocess runs with: its own home, no Google credentials, no CPR queries,
    and `local/tiny` as the local model."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GOOGLE_", "CLOUDSDK_", "TUNING_AGENT_")) and k not in {"NO_COLOR"}}
    env.update(TUNING_AGENT_HOME=str(home), PROMPT_TOOLKIT_NO_CPR="1", TERM="xterm-256color",
               CLOUDSDK_CONFIG=str(home / "gcloud"), PYTHONUNBUFFERED="1",
               TUNING_AGENT_LOCAL_MODEL="local/tiny")  # the one-minute model, even where Gemma 3 270M is installed
    return env


def chat_command() -> list[str]:
    """How to start the real CLI in a subprocess."""
    return [sys.executable, "-m", "agent", "chat"]


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def offline_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh `$TUNING_AGENT_HOME` with no Google credentials, project or LLM from this machine."""
    home = tmp_path / "home"
    monkeypatch.setenv("TUNING_AGENT_HOME", str(home))
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))
    for name in ("GOOGLE_APPLICATION_CREDENTIALS", "TUNING_AGENT_ACCESS_TOKEN", "TUNING_AGENT_LLM",
                 "GOOGLE_CLOUD_PROJECT"):
        monkeypatch.delenv(name, raising=False)
    return home
