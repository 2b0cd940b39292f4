"""The live publisher-model list against the fake, and the catalog fallback."""

from __future__ import annotations

from tests.fake_vertex import FakeVertex
from tests.fake_vertex.fixtures import fake_vertex_fixture  # noqa: F401
from tools.vertex import models_live


def test_live_list_is_read_across_pages(fake_vertex: FakeVertex, monkeypatch) -> None:
    monkeypatch.setattr(models_live, "PAGE_SIZE", 4)
    found = models_live.live_models(use_cache=False)
    assert found.source == "live"
    assert "google/gemma3@gemma-3-4b-it" in found.names
    assert "meta/llama3_1@llama-3.1-8b-instruct" in found.names
    assert "gemini-3.5-flash" in found.names
    assert not any("embedding" in n for n in found.names)
    calls = fake_vertex.calls("publisherModels.list")
    assert len(calls) > 1  # paged
    assert calls[0].path == "/v1beta1/publishers/*/models"
    assert calls[0].query["listAllVersions"] == ["true"]
    assert calls[1].query["pageToken"]


def test_unreachable_service_falls_back_to_catalog(fake_vertex: FakeVertex) -> None:
    fake_vertex.inject("publisherModels.list", 503, times=10)
    found = models_live.live_models(use_cache=False)
    assert found.source == "catalog"
    assert "Live model list unavailable" in found.note
    assert "google/gemma3@gemma-3-12b-it" in found.names  # catalog has it, the fake does not


def test_name_forms() -> None:
    live = ["google/gemma3@gemma-3-4b-it", "gemini-3.5-flash"]
    assert models_live.is_live("publishers/google/models/gemma3@gemma-3-4b-it", live)
    assert models_live.is_live("google/gemini-3.5-flash", live)
    assert not models_live.is_live("google/gemma3@gemma-3-1b-it", live)
    name = models_live.to_tuning_name("publishers/google/models/gemini-2.5-pro", "default")
    assert name == "gemini-2.5-pro"
    assert models_live.to_tuning_name("publishers/google/models/text-embedding-005", "001") is None
