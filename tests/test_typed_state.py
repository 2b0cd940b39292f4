"""State records are typed: mypy rejects a misspelt key in a node.

A misspelt key in a record literal is an error outright; a misspelt `.get` reads as `object`,
which mypy then refuses wherever the field's real type is needed. (mypy does not flag the
`.get` call itself, so nodes read through `rec(state, NAME)`, whose result is typed per record.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

PROBE = '''from graph.common import rec
from graph.state import DatasetRecord, TuningState


def read(state: TuningState) -> bool:
    return rec(state, "dataset").get("uplaoded")


def write() -> DatasetRecord:
    return {"uplaoded": True}
'''


@pytest.mark.slow
def test_mypy_catches_misspelt_record_keys(tmp_path: Path) -> None:
    from mypy import api

    probe = tmp_path / "probe.py"
    probe.write_text(PROBE, encoding="utf-8")
    out, _, status = api.run([str(probe), "--config-file", str(REPO / "pyproject.toml"), "--no-incremental"])
    assert status != 0, out
    assert 'probe.py:6: error: Incompatible return value type (got "object", expected "bool")' in out, out
    assert 'probe.py:10: error: Extra key "uplaoded" for TypedDict "DatasetRecord"' in out, out
