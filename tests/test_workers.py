"""The server's worker pool: errors come back whole, and a worker that dies does not stop the pool for
everyone (a security test found one unreadable CSV row made every later dataset read fail until restart)."""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator

import pytest

from tools import workers
from tools.errors import BadRowError, CloudError, DataError, ToolError


@pytest.fixture
def pool() -> Iterator[None]:
    workers.shutdown()
    yield
    workers.shutdown()


def bad_row(path: str) -> None:
    raise BadRowError(f"{path}: line 3: 3 fields, the header has 2", "Skip the row or fix it.", path=path, line=3,
                      column=7)


def die() -> None:
    os._exit(3)  # a worker killed mid-call (out of memory, a crash in a C library)


def add(a: int, b: int) -> int:
    return a + b


def test_tool_errors_cross_a_process_boundary_whole() -> None:
    errors = [ToolError("m", "h"), DataError("d"), BadRowError("b", "h", path="x.csv", line=4, column=2),
              CloudError("c", "h", code=403, status="PERMISSION_DENIED", retryable=False)]
    for err in errors:
        back = pickle.loads(pickle.dumps(err))
        assert type(back) is type(err) and str(back) == str(err) and vars(back) == vars(err)


def test_an_error_in_a_worker_reaches_the_caller_with_its_fields(pool: None) -> None:
    with pytest.raises(BadRowError) as info:
        workers.run_heavy("alice", bad_row, "ragged.csv")
    assert (info.value.path, info.value.line, info.value.column) == ("ragged.csv", 3, 7)
    assert info.value.hint == "Skip the row or fix it."
    assert workers.run_heavy("bob", add, 2, 3) == 5  # the pool still works for everyone


def test_a_worker_that_dies_is_replaced(pool: None) -> None:
    with pytest.raises(ToolError, match="stopped unexpectedly"):
        workers.run_heavy("alice", die)
    assert workers.run_heavy("bob", add, 1, 1) == 2
