"""The deploy step after a failed endpoint lookup: a "no" declines instead of looking again, and the
card shows the literal commands."""

from __future__ import annotations

from typing import Any

import pytest

from graph.deps import Deps
from graph.nodes import deploy
from tools.errors import ToolError
from tools.platforms.local import LocalPlatform


class LookupFails(LocalPlatform):
    """A platform whose endpoint lookup always fails (a lost connection, a refused call)."""

    lookups = 0

    def served_endpoint(self, category: str | None, tuned_model_endpoint: str | None) -> str | None:
        LookupFails.lookups += 1
        raise ToolError("The endpoint lookup failed.", "Try again later.")


def after_failure(text: str, yes: bool | None = None) -> dict[str, Any]:
    """The state the step wrapper leaves after the lookup failed and the person answered `text`."""
    return {"platform": "local", "job": {"name": "local-1", "succeeded": True, "ended": True},
            "pending": {"kind": "question", "step": "deploy", "question": "How should I proceed?", "awaiting": False},
            "facts": {"last_text": text, "yes": yes}}


@pytest.fixture
def deps(tmp_path: Any) -> Deps:
    made = Deps(platform_name="local")
    made.platform_instances[("local", None, None)] = LookupFails(tmp_path)
    LookupFails.lookups = 0
    return made


@pytest.mark.parametrize("text", ["don't deploy", "skip", "n", "no thanks", "Skip deployment", "not now"])
def test_a_no_after_a_failed_lookup_declines_without_looking_again(deps: Deps, text: str) -> None:
    update = deploy.run(after_failure(text, yes=False if text in {"n", "no thanks"} else None), deps)  # type: ignore[arg-type]
    assert update["deployment"] == {"wanted": False}
    assert "Not deploying" in update["messages"][-1].content
    assert LookupFails.lookups == 0
    assert deploy.done({"deployment": update["deployment"]})  # type: ignore[typeddict-item]


def test_retry_after_a_failed_lookup_looks_again(deps: Deps) -> None:
    with pytest.raises(ToolError):
        deploy.run(after_failure("retry"), deps)  # type: ignore[arg-type]
    assert LookupFails.lookups == 1
    with pytest.raises(ToolError):
        deploy.run(after_failure("yes, try again", yes=True), deps)  # type: ignore[arg-type]
    assert LookupFails.lookups == 2


def test_a_no_in_other_words_after_a_failed_lookup_declines(deps: Deps) -> None:
    update = deploy.run(after_failure("I'd rather leave it", yes=False), deps)  # type: ignore[arg-type]
    assert update["deployment"] == {"wanted": False}
    assert LookupFails.lookups == 0


def test_the_deploy_card_shows_the_literal_command(tmp_path: Any) -> None:
    state = {"platform": "local", "category": "open", "run_id": "ta-0123456789",
             "job": {"name": "local-7", "succeeded": True, "ended": True, "base_model": "local/tiny"},
             "hparams": {"base_model": "local/tiny"}}
    deps = Deps(platform_name="local")
    deps.platform_instances[("local", None, None)] = LocalPlatform(tmp_path)
    update = deploy.run(state, deps)  # type: ignore[arg-type]
    assert "tuning-agent deploy local-7" in update["pending"]["description"]
    assert "--platform local" in update["pending"]["description"]
    assert "tuning-agent deploy local-7" in update["messages"][-1].content
