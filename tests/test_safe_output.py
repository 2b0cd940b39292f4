"""What the agent shows is safe to paste and safe to print.

- Every command shown to users is built with `shlex.quote`: it splits back into exactly the
  arguments it was built from, whatever the values hold.
- A project id with shell metacharacters is refused at the project card.
- Control characters (terminal escapes) never reach the terminal or a UI message.
"""

from __future__ import annotations

import io
import shlex

import pytest
from pydantic import ValidationError
from rich.console import Console

from agent.render import Renderer
from tools.safe_text import strip_controls
from tools.shell import shell_command, shown_commands

NASTY = ["x;touch pwned;#", "$(rm -rf ~)", "a b", "`id`", "o'brien", "new\nline", "--flag", ""]


@pytest.mark.parametrize("value", NASTY)
def test_shell_command_round_trips(value: str) -> None:
    argv = ["gcloud", "projects", "add-iam-policy-binding", value, f"--member=user:{value}"]
    assert shlex.split(shell_command(*argv)) == argv


def test_env_fix_commands_round_trip_whatever_the_values() -> None:
    from tools.vertex import env

    member, bucket, project = "user:o'brien;x@example.com", "b$(id)", "my-project-1"
    built = {
        env._grant(project, member, "roles/viewer"):
            ["gcloud", "projects", "add-iam-policy-binding", project, f"--member={member}", "--role=roles/viewer"],
        env._bucket_grant(bucket, member, "roles/storage.objectUser"):
            ["gcloud", "storage", "buckets", "add-iam-policy-binding", f"gs://{bucket}", f"--member={member}",
             "--role=roles/storage.objectUser"],
        env._identity_create(project):
            ["gcloud", "beta", "services", "identity", "create", "--service=aiplatform.googleapis.com",
             "--project", project],
    }
    for command, argv in built.items():
        assert shlex.split(command) == argv, command


def test_storage_error_hints_quote_the_bucket(monkeypatch: pytest.MonkeyPatch) -> None:
    from google.api_core import exceptions as gexc

    from tools.vertex import storage_errors

    monkeypatch.setattr(storage_errors, "_member", lambda: "user:a;b@example.com")
    for code in (403, 404):
        err = gexc.from_http_status(code, "nope")
        hint = storage_errors.storage_error(err, "reading", bucket="evil;touch x", project="p-123456").hint or ""
        commands = shown_commands(hint)
        assert commands, hint
        for command in commands:
            words = shlex.split(command)
            assert "gs://evil;touch x" in words, (command, words)


def test_a_project_id_with_shell_metacharacters_is_refused_at_the_card() -> None:
    from graph.nodes.project_region import ProjectRegionArgs
    from tools.ids import check_project_id

    for bad in ("x;touch pwned;#", "my-project && curl evil", "$(id)", "Project_1", "abc"):
        with pytest.raises(ValidationError, match="not a Google Cloud project id"):
            ProjectRegionArgs(project=bad, region="us-central1")
    assert ProjectRegionArgs(project=" my-project-123 ", region="us-central1").project == "my-project-123"
    assert check_project_id("example.com:my-project") == "example.com:my-project"


ESCAPES = "\x1b[2J\x1b]52;c;ZXZpbA==\x07\x9b31m\x00\x7f"


def test_strip_controls_keeps_text_newlines_and_tabs() -> None:
    assert strip_controls(f"a{ESCAPES}b\n\tc") == "a[2J]52;c;ZXZpbA==31mb\n\tc"
    assert strip_controls("plain é ✓") == "plain é ✓"


@pytest.mark.parametrize("styled", [False, True])
def test_the_terminal_never_receives_escapes_from_data(styled: bool) -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=styled, no_color=True, width=100, highlight=False)
    r = Renderer(console)
    r.reply(f"Here is a sample: {ESCAPES} done")
    r.note(f"note {ESCAPES}")
    r.error(f"bad {ESCAPES}", f"hint {ESCAPES}")
    r.card({"action_requests": [{"name": "confirm_column_mapping", "args": {"prompt_column": f"q{ESCAPES}"},
                                 "description": f"Sample row: {ESCAPES}"}],
            "review_configs": [{"action_name": "confirm_column_mapping", "allowed_decisions": ["approve"]}]})
    text = out.getvalue()
    assert "]52;c;" in text  # the text is still there, harmless
    for char in ("\x07", "\x9b", "\x00", "\x7f"):
        assert char not in text
    if not styled:
        assert "\x1b" not in text


def test_ui_messages_and_samples_carry_no_control_characters() -> None:
    from graph.common import say
    from tools.data.inspect import truncate

    message = say(f"model answer {ESCAPES}")["messages"][0]
    assert strip_controls(message.content) == message.content and "\x1b" not in message.content
    assert truncate({"cell": f"x{ESCAPES}"}) == {"cell": "x[2J]52;c;ZXZpbA==31m"}
