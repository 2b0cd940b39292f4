"""What a new user saw in the terminal chat and should not: wording glued together, raw numbers,
Vertex words on the local platform, checkpoint files offered as datasets."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from graph.nodes.done import summary
from tests.graph_helpers import Session
from tests.test_graph_session import start, write_csv
from tools.data.tokencount import estimate_tokens
from tools.local.models import rate_text
from tools.local.storage import LocalStorage
from tools.storage_preview import is_checkpoint_file


def test_back_to_where_we_were_starts_its_own_paragraph(home: Path) -> None:
    """After an answer ending in a list, the way back must not read as the list's last bullet."""
    s = Session()
    start(s, write_csv(home))
    card = s.action
    s.say("what is LoRA?")
    back = [r for r in s.replies if "Back to where we were" in r]
    assert back, s.text()
    before, _, _ = back[-1].partition("Back to where we were")
    assert before.endswith("\n\n"), "a blank line separates it from the answer"
    assert s.action == card


@pytest.mark.parametrize(("rate", "shown"), [(6000.0, "6,000 tokens/s"), (12_600.0, "13,000 tokens/s"),
                                             (60.0, "60 tokens/s"), (1.3, "1.3 tokens/s"), (3.0, "3 tokens/s"),
                                             (0.04, "0.04 tokens/s")])
def test_rates_read_as_people_write_them(rate: float, shown: str) -> None:
    assert rate_text(rate) == shown


def test_a_model_without_a_tokenizer_family_reads_cleanly() -> None:
    entry = SimpleNamespace(category="local", hf_id="")
    count = estimate_tokens(entry, 300, [(30, ["hello there"])], False, {"latin": 300}, None)
    assert "no tokenizer on this machine" in count.detail
    assert "  " not in count.detail


def test_summary_shows_job_time_not_an_approval_count() -> None:
    state = {"platform": "local", "approvals": [{"action": "x"}] * 21,
             "job": {"name": "job-1", "state": "JOB_STATE_SUCCEEDED", "ended": True, "elapsed_s": 130.0},
             "cost": {"label": "free (local)", "estimated_training_time_s": 100.0}}
    text = summary(state)  # type: ignore[arg-type]
    assert "approvals" not in text and "21" not in text
    assert "2 min 10 s (estimated 1 min 40 s)" in text


def test_summary_time_from_elapsed_and_cost_estimate() -> None:
    state = {"job": {"name": "j", "ended": True, "elapsed_s": 45.0},
             "cost": {"estimated_training_time_s": 30.0}}
    assert "45 s (estimated 30 s)" in summary(state)  # type: ignore[arg-type]


def test_local_bucket_card_speaks_of_a_folder(home: Path) -> None:
    s = Session()
    start(s, write_csv(home))
    s.approve_until("create_bucket")
    request = s.interrupt["action_requests"][0]  # type: ignore[index]
    assert "uniform" not in request["description"] and "location US" not in request["description"]
    assert "folder on this machine" in request["description"]
    assert request["args"]["location"] == "this machine"


def test_vertex_bucket_card_keeps_cloud_storage_words() -> None:
    from tools.platforms.vertex import VertexPlatform

    text = VertexPlatform.bucket_proposal(object.__new__(VertexPlatform), "team-data", "us-central1")
    assert "location us-central1" in text and "uniform bucket-level access" in text


@pytest.mark.parametrize("key", [
    "tuning_agent_job_20261130_101010/output/postprocess/node-0/checkpoints/final/trainer_state.json",
    "tuning_agent_job_20261130_101010/output/losses.jsonl",
    "runs/checkpoints/epoch-1/notes.json",
    "exp/checkpoint-200/extra.json",
    "out/final/tuning_agent.json",
])
def test_job_output_and_checkpoint_folders_are_not_datasets(key: str) -> None:
    assert is_checkpoint_file(key)


@pytest.mark.parametrize("key", ["train.jsonl", "tuning_agent_job_20261130_101010/train.jsonl",
                                 "output/train.jsonl", "data/final/qa.csv"])
def test_datasets_stay_listed(key: str) -> None:
    assert not is_checkpoint_file(key)


def test_local_search_skips_a_jobs_output_even_when_it_looks_like_data(home: Path) -> None:
    storage = LocalStorage()
    storage.create_bucket("bkt")
    record = json.dumps({"prompt": "p", "completion": "c"}) + "\n"
    root = storage.local_path("local://bkt/")
    for key in ("tuning_agent_job_20261130_101010/train.jsonl",
                "tuning_agent_job_20261130_101010/output/checkpoints/epoch-1/samples.jsonl"):
        (root / key).parent.mkdir(parents=True, exist_ok=True)
        (root / key).write_text(record, encoding="utf-8")
    found = [c.uri for c in storage.search_datasets(["bkt"])]
    assert found == ["local://bkt/tuning_agent_job_20261130_101010/train.jsonl"]


def _at_try_prompt(text: str) -> dict[str, object]:
    return {"platform": "local", "facts": {"last_text": text},
            "deployment": {"endpoint": "/models/final", "summarized": True},
            "job": {"name": "job-1", "state": "JOB_STATE_SUCCEEDED", "ended": True, "succeeded": True}}


@pytest.mark.parametrize(("text", "expected"), [
    ("status", "Summary"), ("Help", "goes to the tuned model"), ("? what is LoRA", "LoRA"),
    ("/what is LoRA?", "LoRA"), ("summary.", "Summary"),
])
def test_commands_and_marked_questions_at_the_try_prompt_reach_the_agent(
        text: str, expected: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from graph.deps import Deps
    from graph.nodes import done
    from tools.platforms.local import LocalPlatform

    sent: list[str] = []
    monkeypatch.setattr(LocalPlatform, "predict", lambda self, endpoint, prompt, max_tokens=256: sent.append(prompt))
    update = done.run(_at_try_prompt(text), Deps(platform_name="local"))  # type: ignore[arg-type]
    reply = str(update["messages"][0].content)
    assert sent == [], "nothing was sent to the tuned model"
    assert expected in reply and not reply.startswith("**Tuned model:**")
    assert reply.rstrip().endswith(done.QUESTION), "the prompt comes back, with its rule"


@pytest.mark.parametrize(("text", "expected"), [("stop", "Done trying the model"), ("quit", "Done trying the model"),
                                               ("undo", "nothing to undo"), ("go back", "nothing to undo")])
def test_stop_and_undo_at_the_try_prompt_are_for_the_agent(text: str, expected: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A person who types "stop" or "undo" after trying the model means the agent, not a prompt."""
    from graph.deps import Deps
    from graph.nodes import done
    from tools.platforms.local import LocalPlatform

    sent: list[str] = []
    monkeypatch.setattr(LocalPlatform, "predict", lambda self, endpoint, prompt, max_tokens=256: sent.append(prompt))
    update = done.run(_at_try_prompt(text), Deps(platform_name="local"))  # type: ignore[arg-type]
    assert sent == [], "nothing was sent to the tuned model"
    assert expected in str(update["messages"][0].content)


def test_stop_at_the_try_prompt_leaves_the_terminal_chat() -> None:
    """In the terminal, "stop" at the try-the-model prompt leaves like quit (elsewhere it is a message)."""
    from agent.cards import QuitChat
    from agent.chat import Chat

    class Lines:
        def __init__(self) -> None:
            self.lines = ["stop"]

        def ask(self, prompt: str, default: str = "", history: bool = True) -> str:
            return self.lines.pop(0)

    chat = Chat.__new__(Chat)
    chat.reader = Lines()  # type: ignore[assignment]
    with pytest.raises(QuitChat):
        chat.read_message(leave_on_stop=True)
    chat.reader = Lines()  # type: ignore[assignment]
    assert chat.read_message() == "stop"


@pytest.mark.parametrize("text", ["What is the capital of Japan?", "status of the French railways", "helpful?"])
def test_plain_prompts_still_go_to_the_tuned_model(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from graph.deps import Deps
    from graph.nodes import done
    from tools.platforms.local import LocalPlatform

    sent: list[str] = []
    monkeypatch.setattr(LocalPlatform, "predict",
                        lambda self, endpoint, prompt, max_tokens=256: sent.append(prompt) or "Tokyo")
    update = done.run(_at_try_prompt(text), Deps(platform_name="local"))  # type: ignore[arg-type]
    assert sent == [text]
    assert str(update["messages"][0].content) == "**Tuned model:** Tokyo"


def test_the_try_prompt_says_how_to_reach_the_agent() -> None:
    from graph.nodes.done import QUESTION

    assert "ask me anything" not in QUESTION.lower()
    assert "`?`" in QUESTION and "status" in QUESTION
