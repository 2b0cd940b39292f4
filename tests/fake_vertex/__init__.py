"""A fake Vertex AI REST server for tests: the real SDKs talk to it over HTTP."""

from tests.fake_vertex.server import FakeVertex
from tests.fake_vertex.state import PROJECT_NUMBER, FakeState

__all__ = ["PROJECT_NUMBER", "FakeState", "FakeVertex"]
