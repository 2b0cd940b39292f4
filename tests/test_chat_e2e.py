"""`tuning-agent chat` as a person uses it: the real process in a pseudo-terminal (pexpect).

Each test runs in a tmp folder with its own TUNING_AGENT_HOME and no Google credentials,
on the local platform with the deterministic mode (`--llm none`), and tunes `local/tiny`
on a 30-row trivia CSV the test writes. Also: a scripted run with stdin piped, and the
time from process start to the first prompt.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pexpect
import pytest

from tests.chat_fixtures import chat_command, chat_env, strip_ansi, write_trivia_csv

pytestmark = pytest.mark.slow

PURPOSE = "I want to tune a model to answer trivia questions"
LOCAL = ["--platform", "local", "--llm", "none"]


class Terminal:
    """One chat process in a 50x160 pseudo-terminal; `transcript` is everything it printed."""

    def __init__(self, home: Path, cwd: Path, *args: str) -> None:
        cmd = chat_command()
        self.log = cwd / "terminal.log"
        self.child = pexpect.spawn(cmd[0], [*cmd[1:], *args], env=chat_env(home), cwd=str(cwd),
                                   dimensions=(50, 160), encoding="utf-8", codec_errors="replace", timeout=90)
        self.child.logfile_read = self.log.open("a", encoding="utf-8")

    def expect(self, pattern: str, timeout: float = 90) -> str:
        self.child.expect(pattern, timeout=timeout)
        return str(self.child.match.group(0))

    def card(self, action: str) -> None:
        """Wait until the card for `action` asks for a decision."""
        self.expect(action + r" \[[yen/]+\] > ")

    def approve(self, *actions: str) -> None:
        for action in actions:
            self.card(action)
            self.child.sendline("y")

    def prompt(self) -> None:
        """Wait for the message prompt (call it where no card prompt can come first)."""
        self.expect("> ")

    def finish(self) -> str:
        """Wait for the resume hint and the end of the process; return the thread id."""
        self.expect(r"Resume with: tuning-agent chat --thread \S+")
        thread = strip_ansi(str(self.child.match.group(0))).rsplit(" ", 1)[1]
        self.child.expect(pexpect.EOF, timeout=30)
        self.child.close()
        return thread

    def transcript(self) -> str:
        return strip_ansi(self.log.read_text(encoding="utf-8", errors="replace"))


#: The status line of a job that is still going, as drawn (styles between the words).
JOB_STILL_GOING = r"Job .{0,80}?local-\S+?(?:\x1b\[[0-9;]*m)*: (?:\x1b\[[0-9;]*m)*(?:pending|queued|running)"


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    write_trivia_csv(tmp_path / "trivia.csv")
    return tmp_path


def start_to_upload(term: Terminal) -> None:
    term.prompt()
    term.child.sendline(PURPOSE)
    term.approve("choose_model_category")
    term.expect("search my buckets")
    term.prompt()
    term.child.sendline("trivia.csv")
    term.approve("confirm_column_mapping", "split_validation", "create_bucket")
    term.card("upload_dataset")


def test_whole_local_session_in_one_run(workdir: Path) -> None:
    home = workdir / "home"
    term = Terminal(home, workdir, *LOCAL)
    start_to_upload(term)
    term.child.sendline("y")
    term.approve("approve_configuration", "submit_tuning_job", "monitor_job")
    term.expect("Training loss", timeout=240)
    term.expect(r"Loss plot saved to \S+")
    png = Path(strip_ansi(str(term.child.match.group(0))).rsplit(" ", 1)[1])
    term.approve("deploy_model")
    term.expect("Type a prompt to try the tuned model")
    term.prompt()
    term.child.sendline("Who wrote Hamlet?")
    term.expect("Tuned model:")
    term.prompt()
    term.child.sendline("quit")
    thread = term.finish()
    text = term.transcript()
    assert "Platform: local  (--platform local)" in text
    assert "What would you like to tune a model for?" in text
    assert "Uploading train.jsonl" in text and "Training" in text  # progress bars were drawn
    assert re.search(r"The job \S+ succeeded", text) and "Training loss" in text
    assert png.read_bytes().startswith(b"\x89PNG") and png.parent.name == "output"
    assert (home / "threads.sqlite").is_file() and (home / "chat_history").read_text().count(PURPOSE) == 1
    assert thread in text


def test_quit_mid_session_and_resume_to_the_end(workdir: Path) -> None:
    home = workdir / "home"
    term = Terminal(home, workdir, *LOCAL)
    start_to_upload(term)
    term.child.sendline("quit")
    thread = term.finish()

    listing = subprocess.run([*chat_command()[:-1], "threads"], env=chat_env(home), cwd=workdir,
                             capture_output=True, text=True, timeout=60)
    assert thread in listing.stdout and "upload_dataset" in listing.stdout

    term = Terminal(home, workdir, *LOCAL, "--thread", thread)
    term.expect(f"{thread}  \\(resumed\\)")
    term.approve("upload_dataset")  # the same card again, then on from there
    term.card("approve_configuration")
    term.child.sendline("e")  # edit: every argument prefilled; change epochs only (typed as text)
    for name in ("base_model", "tuning_mode"):
        term.expect(f"{name}: ")
        term.child.sendline("")
    term.expect("epochs: ")
    term.child.send("\x15")  # Ctrl-U clears the prefilled value
    term.child.sendline("1")
    for name in ("learning_rate", "learning_rate_multiplier", "adapter_size", "output_uri"):
        term.expect(f"{name}: ")
        term.child.sendline("")
    term.expect("the cost is recomputed")  # the edited configuration comes back for approval
    term.approve("approve_configuration")
    term.expect("Configuration approved")
    term.approve("submit_tuning_job", "monitor_job")
    term.expect("Training")
    term.child.sendintr()  # Ctrl-C while watching: stops after the step...
    # (a tiny job may finish first; then Ctrl-C lands at the next prompt and leaves at once)
    if term.child.expect(["Stopping after this step", r"Resume with: tuning-agent chat --thread \S+"]) == 0:
        term.child.sendintr()  # ...and again: leave now
        assert term.finish() == thread
    else:
        term.child.expect(pexpect.EOF, timeout=30)

    term = Terminal(home, workdir, *LOCAL, "--thread", thread)
    # The job kept running meanwhile. Depending on when Ctrl-C landed, the resumed thread shows the
    # watch card again, offers to re-run the cut step, or (the watch had finished) the deploy card.
    # A watch that was cut shows where the job stands and waits for any message to go on watching.
    again = term.child.expect([r"monitor_job \[[yen/]+\] > ", "did not finish. Press Enter to run it",
                               r"deploy_model \[[yen/]+\] > ", JOB_STILL_GOING],
                              timeout=90)
    if again == 3:
        term.prompt()
        term.child.sendline("keep watching")
    if again != 2:
        if again < 2:
            term.child.sendline("y" if again == 0 else "")
        term.expect("Training loss", timeout=240)
        term.card("deploy_model")
    term.child.sendline("y")
    term.expect("Type a prompt to try the tuned model")
    term.prompt()
    term.child.sendeof()
    assert term.finish() == thread
    text = term.transcript()
    assert "--epochs 1 " in text  # the submit card's equivalent command carries the edited value
    assert text.count("Approve: upload_dataset") == 2 and text.count("Approve: monitor_job") in (1, 2)


def test_scripted_with_piped_stdin(workdir: Path) -> None:
    """`make chat` defaults (auto platform, auto LLM) with no Google account, driven by a pipe."""
    script = "\n".join([PURPOSE, "y", "trivia.csv", "e", "", "", "none", "y", "y", "n", ""]) + "\n"
    done = subprocess.run(chat_command(), input=script, env=chat_env(workdir / "home"), cwd=workdir,
                          capture_output=True, text=True, timeout=120)
    out = done.stdout
    assert done.returncode == 0, done.stderr
    assert "\x1b[" not in out  # no colours, no cursor movement
    assert "Platform: local  (no Google credentials found: running locally)" in out
    assert "LLM:      none  (no Google credentials: deterministic mode" in out
    assert "> I want to tune a model to answer trivia questions" in out  # answers are echoed
    assert "== Approve: confirm_column_mapping ==" in out and "Nothing changed." in out
    assert "== Approve: create_bucket ==" in out and "Reason" not in out  # "n" declines at once
    assert "No bucket created." in out
    assert "Resume with: tuning-agent chat --thread" in out


def test_the_chat_starts_and_shows_a_prompt(workdir: Path) -> None:
    """The CLI starts and prompts; how fast is measured by `python -m bench chat_startup` (target 1.5 s)."""
    child = pexpect.spawn(chat_command()[0], [*chat_command()[1:], *LOCAL], env=chat_env(workdir / "h"),
                          cwd=str(workdir), dimensions=(40, 120), encoding="utf-8", timeout=60)
    child.expect("> ")
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
