"""The environment step against the fake admin services: the checks only read; enabling APIs (the
one change it makes to a project) happens only after its card is approved, for exactly the APIs
and project the card named; a refusal or a "skip" enables nothing; failures show their fixes.
"""

from __future__ import annotations

from typing import Any

import pytest

from graph.approvals import Reask
from graph.deps import Deps
from graph.nodes import environment
from tests.fake_admin import PROJECT, FakeAdminServer, fake_admin_fixture  # noqa: F401
from tests.node_helpers import answered, said
from tools.platforms.local import LocalPlatform

AIP = "aiplatform.googleapis.com"
GCS = "storage.googleapis.com"


def state(**extra: Any) -> dict[str, Any]:
    return {"platform": "vertex", "category": "open", "run_id": "ta-0123456789",
            "project": {"project": PROJECT, "region": "us-central1", "confirmed": True}, **extra}


def enables(fake: FakeAdminServer) -> list[dict[str, Any]]:
    return [r["body"] for r in fake.calls("POST", ":batchEnable")]


@pytest.fixture
def deps(fake_admin: FakeAdminServer) -> Deps:
    return Deps(platform_name="vertex", project=PROJECT, region="us-central1")


def test_a_healthy_project_passes_with_the_checks_shown(deps: Deps) -> None:
    update = environment.run(state(), deps)  # type: ignore[arg-type]
    env = update["environment"]
    assert env["passed"] is True and env["checked"] is True and "pending" not in update
    text = said(update)
    assert text.startswith("Environment checks passed:")
    assert "✅" in text and "❌" not in text and "How to fix" not in text
    assert "api:aiplatform.googleapis.com" in text
    assert environment.done({"environment": env})  # type: ignore[typeddict-item]
    assert not environment.done({"environment": {"checked": True}})  # type: ignore[typeddict-item]


def test_disabled_apis_are_enabled_only_after_approval_for_that_project(fake_admin: FakeAdminServer,
                                                                       deps: Deps) -> None:
    fake_admin.state.services[AIP] = "DISABLED"
    fake_admin.state.services[GCS] = "DISABLED"
    first = state()
    card = environment.run(first, deps)  # type: ignore[arg-type]
    assert card["pending"]["action"] == "enable_apis" and card["pending"]["step"] == "environment"
    assert card["pending"]["args"] == {"project": PROJECT, "apis": [AIP, GCS]}
    assert f"Enable {AIP}, {GCS} in project **{PROJECT}**?" in card["pending"]["description"]
    assert f"(same as `gcloud services enable {AIP} {GCS} --project {PROJECT}`)" in card["pending"]["description"]
    assert "❌" in card["pending"]["description"]
    assert enables(fake_admin) == [] and fake_admin.state.services[AIP] == "DISABLED"
    assert card["environment"]["passed"] is False
    after = {**first, "environment": card["environment"]}
    update = environment.run(answered(after, card, "approve"), deps)  # type: ignore[arg-type]
    assert len(enables(fake_admin)) == 1 and fake_admin.state.services[AIP] == "ENABLED"
    assert enables(fake_admin)[0]["serviceIds"] == [AIP, GCS]
    assert update["pending"] is None and update["approvals"][0]["decision"] == "approve"
    assert f"/projects/{PROJECT}/services:batchEnable" in fake_admin.calls("POST", ":batchEnable")[0]["path"]
    assert update["environment"] == {"checked": False}, "checked again on the next turn"
    assert f"Enabled: {AIP}, {GCS}." in said(update)
    again = environment.run({**after, "environment": {**card["environment"], **update["environment"]},
                             "pending": None}, deps)  # type: ignore[arg-type]
    assert again["environment"]["passed"] is True


def test_a_refused_enable_changes_nothing_and_shows_the_failures(fake_admin: FakeAdminServer, deps: Deps) -> None:
    fake_admin.state.services[AIP] = "DISABLED"
    first = state()
    card = environment.run(first, deps)  # type: ignore[arg-type]
    after = {**first, "environment": card["environment"]}
    update = environment.run(answered(after, card, "reject"), deps)  # type: ignore[arg-type]
    assert enables(fake_admin) == [] and fake_admin.state.services[AIP] == "DISABLED"
    assert update["environment"] == {"enable_declined": True}
    assert update["approvals"][0]["decision"] == "reject", "the refusal is on the audit trail"
    assert update["pending"]["kind"] == "question" and update["pending"]["step"] == "environment"
    assert "check again" in update["pending"]["question"]
    assert "I left the APIs as they are" in said(update)
    # Checked again: the same failure is reported with its fix, and no second enable card is shown.
    checked = {**after, "environment": {**card["environment"], **update["environment"]},
               "pending": {**update["pending"], "awaiting": False}, "facts": {"last_text": "check again"}}
    report = environment.run(checked, deps)  # type: ignore[arg-type]
    assert report["pending"]["kind"] == "question" and enables(fake_admin) == []
    assert "Some checks failed" in said(report) and "How to fix" in said(report)
    assert f"gcloud services enable {AIP}" in said(report)
    assert not report["environment"].get("passed")


@pytest.mark.parametrize("text", ["skip", "skip it"])
def test_skip_at_the_enable_card_goes_on_without_enabling(fake_admin: FakeAdminServer, deps: Deps,
                                                           text: str) -> None:
    fake_admin.state.services[AIP] = "DISABLED"
    first = state()
    card = environment.run(first, deps)  # type: ignore[arg-type]
    update = environment.run(answered({**first, "environment": card["environment"]}, card, "reject", text),
                             deps)  # type: ignore[arg-type]
    assert enables(fake_admin) == []
    assert update["environment"]["passed"] is True and update["environment"]["note"] == "skipped"
    assert update["pending"] is None and update["approvals"][0]["decision"] == "reject"
    assert "Skipped the environment check" in said(update)


def test_missing_roles_wait_for_check_again_or_skip(fake_admin: FakeAdminServer, deps: Deps) -> None:
    fake_admin.state.permissions = {"resourcemanager.projects.get"}
    first = state()
    update = environment.run(first, deps)  # type: ignore[arg-type]
    assert "enable_apis" not in str(update.get("pending")), "no API is missing: nothing to enable"
    assert update["pending"] == {"kind": "question", "step": "environment",
                                 "question": "Say 'check again' when ready, or 'skip'.", "awaiting": True}
    text = said(update)
    assert "Some checks failed" in text and "roles/aiplatform.user" in text and "❌" in text
    assert "check again" in text and "skip" in text
    assert not update["environment"].get("passed")
    waiting = {**first, "environment": update["environment"], "pending": update["pending"]}
    calls = len(fake_admin.requests)
    still = environment.run(waiting, deps)  # type: ignore[arg-type]
    assert len(fake_admin.requests) == calls, "not checked again until the person answers"
    assert not still["environment"].get("passed")
    answered_q = {**waiting, "pending": {**update["pending"], "awaiting": False}}
    fake_admin.state.permissions = None
    fixed = environment.run({**answered_q, "facts": {"last_text": "check again"}}, deps)  # type: ignore[arg-type]
    assert fixed["environment"]["passed"] is True
    skipped = environment.run({**answered_q, "facts": {"last_text": "skip"}}, deps)  # type: ignore[arg-type]
    assert skipped["environment"]["passed"] is True and skipped["environment"]["note"] == "skipped"
    assert skipped["pending"] is None and "What may fail later" in said(skipped)


def test_skip_said_while_a_question_is_still_open_is_not_an_answer(fake_admin: FakeAdminServer,
                                                                    deps: Deps) -> None:
    fake_admin.state.permissions = {"resourcemanager.projects.get"}
    first = state()
    update = environment.run(first, deps)  # type: ignore[arg-type]
    other = {**first, "environment": update["environment"], "facts": {"last_text": "skip"},
             "pending": {"kind": "question", "step": "upload", "question": "?", "awaiting": False}}
    assert environment.run(other, deps)["environment"].get("note") != "skipped"  # type: ignore[arg-type]


def test_the_report_marks_each_check_and_gives_each_fix_in_full() -> None:
    fix = "gcloud projects add-iam-policy-binding p --member=user:a --role=roles/aiplatform.user " + "x" * 150
    checks = [{"name": "credentials", "ok": True, "severity": "error", "detail": "ok"},
              {"name": "caller_permissions", "ok": False, "severity": "error", "detail": None, "fix": fix},
              {"name": "agent:oss", "ok": False, "severity": "warning", "detail": "not yet", "fix": None},
              {"name": "api:x", "ok": False, "severity": "error", "detail": "off", "fix": "enable x"}]
    text = environment._report_rows(checks)
    rows = text.splitlines()
    assert any("✅" in r and "credentials" in r and "ok" in r for r in rows)
    assert any("❌" in r and "caller_permissions" in r for r in rows)
    assert any("⚠️" in r and "agent:oss" in r and "not yet" in r for r in rows)
    assert text.endswith(f"How to fix:\n- **caller_permissions**: {fix}\n- **api:x**: enable x")
    assert environment._report_rows(checks[:1]).rstrip().endswith("|"), "all passed: the table only"


def test_the_checks_are_for_the_conversations_project_region_and_category(
        fake_admin: FakeAdminServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "some-default")  # not the project chosen in the conversation
    deps = Deps(platform_name="vertex", project="some-default", region="us-central1")
    gemini_global = state(category="gemini", project={"project": PROJECT, "region": "global", "confirmed": True})
    update = environment.run(gemini_global, deps)  # type: ignore[arg-type]
    assert "region" in update["environment"]["errors"], "Gemini does not tune in global"
    assert "agent:oss-bucket-access" not in said(update), "the open-model agent is not checked for Gemini"
    asked = {r["path"] for r in fake_admin.requests}
    assert any(f"/projects/{PROJECT}" in p for p in asked) and not any("some-default" in p for p in asked)
    open_global = environment.run(state(project={"project": PROJECT, "region": "global"}), deps)  # type: ignore[arg-type]
    assert open_global["environment"]["passed"] is True
    assert "agent:oss-bucket-access" in said(open_global)


def test_an_approved_enable_without_a_project_is_asked_again_not_sent(fake_admin: FakeAdminServer,
                                                                      deps: Deps) -> None:
    fake_admin.state.services[AIP] = "DISABLED"
    first = state()
    card = environment.run(first, deps)  # type: ignore[arg-type]
    card["pending"]["args"]["project"] = None
    with pytest.raises(Reask):
        environment.run(answered({**first, "environment": card["environment"]}, card, "approve"),
                        deps)  # type: ignore[arg-type]
    assert enables(fake_admin) == []


def test_a_platform_with_nothing_to_check_passes_silently(tmp_path: Any) -> None:
    deps = Deps(platform_name="local")
    deps.platform_instances[("local", None, None)] = LocalPlatform(tmp_path)
    update = environment.run({"platform": "local", "run_id": "ta-0123456789"}, deps)  # type: ignore[arg-type]
    assert update == {"environment": {"checked": True, "passed": True, "checks": [], "missing_apis": [],
                                      "errors": [], "note": "local platform: nothing to check"}}
