"""GGUF files as local models: converted once into a plain safetensors folder in the model cache.

transformers reads a GGUF file (with the `gguf` package) and dequantizes it to float32, which
takes minutes on a small CPU; the result cannot be `save_pretrained` as it is (it is marked as
coming from a quantized file), so its weights are copied into a model built from its config and
that is saved. The folder is keyed by the file's SHA-256, so later jobs load it in seconds, and
it lives outside `$TUNING_AGENT_HOME` (see `model_cache_dir`) so that fresh homes — a test run,
a second user — reuse the one conversion.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tools.errors import ToolError

#: Written last into a converted folder: its presence means the conversion finished.
SOURCE_FILE = "tuning_agent_source.json"
GGUF_MAGIC = b"GGUF"


def model_cache_dir() -> Path:
    """Where converted models live: $TUNING_AGENT_MODEL_CACHE, else $XDG_CACHE_HOME/tuning-agent/models."""
    explicit = os.environ.get("TUNING_AGENT_MODEL_CACHE", "").strip()
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "tuning-agent" / "models"


def is_gguf_file(path: Path) -> bool:
    """Whether `path` is a file that starts with the GGUF magic bytes."""
    try:
        with path.open("rb") as fh:
            return fh.read(4) == GGUF_MAGIC
    except OSError:
        return False


def find_gguf(path: Path) -> Path | None:
    """The GGUF file named by `path` (the file itself, or the only .gguf in a folder), or None."""
    if path.is_file():
        return path if is_gguf_file(path) else None
    if path.is_dir():
        found = sorted(p for p in path.glob("*.gguf") if is_gguf_file(p))
        if len(found) > 1:
            names = ", ".join(p.name for p in found)
            raise ToolError(f"{path} holds several GGUF files ({names}).", "Give the one to tune as the model.")
        return found[0] if found else None
    return None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def gguf_metadata(path: Path) -> dict[str, str]:
    """A few `general.*` fields of the file (architecture, name, licence), read without loading tensors."""
    try:
        from gguf import GGUFReader
    except ImportError:
        return {}
    out: dict[str, str] = {}
    try:
        reader = GGUFReader(str(path))
        for key in ("general.architecture", "general.name", "general.license", "general.license.name",
                    "general.license.link", "general.basename", "general.size_label"):
            field = reader.fields.get(key)
            if field is not None and field.types:
                value = field.contents()
                if isinstance(value, (str, int, float)):
                    out[key.removeprefix("general.")] = str(value)
    except (OSError, ValueError, KeyError, IndexError):
        return out
    return out


def licence_note(meta: dict[str, Any]) -> str | None:
    """'Licence: gemma (https://…)' when the GGUF metadata names one."""
    name = meta.get("license.name") or meta.get("license")
    if not name:
        return None
    link = meta.get("license.link")
    return f"Licence of the weights: {name}" + (f" ({link})" if link else "") + "."


def converted_dir(sha256: str) -> Path:
    return model_cache_dir() / f"gguf-{sha256[:16]}"


def cached_conversion(sha256: str) -> Path | None:
    """The finished conversion of the GGUF with this checksum, if the cache holds one."""
    folder = converted_dir(sha256)
    return folder if (folder / SOURCE_FILE).is_file() and (folder / "config.json").is_file() else None


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    """An exclusive file lock, so two jobs never convert the same file at once."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def convert_gguf(gguf_path: str | Path, sha256: str | None = None,
                 say: Callable[[str], None] = print) -> Path:
    """The safetensors folder for `gguf_path`: from the cache, else converted now (once).

    `sha256` skips hashing when the caller has verified the file already. Progress goes to
    `say` (a line before and after) and to transformers' own progress bar.
    """
    source = Path(gguf_path).expanduser().resolve()
    if not is_gguf_file(source):
        raise ToolError(f"{source} is not a GGUF file (it does not start with the GGUF magic bytes).",
                        "Give a .gguf model file, or a folder holding a Hugging Face model.")
    digest = sha256 or sha256_file(source)
    found = cached_conversion(digest)
    if found is not None:
        return found
    dest = converted_dir(digest)
    with _lock(dest.with_name(dest.name + ".lock")):
        found = cached_conversion(digest)  # another process may have finished it while we waited
        if found is not None:
            return found
        meta = gguf_metadata(source)
        size_mb = source.stat().st_size / 1e6
        say(f"Converting {source.name} ({size_mb:.0f} MB GGUF) to a float32 model in {dest} — once; "
            "later jobs reuse it. This takes a few minutes on a small CPU.")
        started = time.monotonic()
        try:
            _convert(source, dest, meta, digest)
        except ToolError:
            raise
        except Exception as err:  # transformers raises many kinds for an unsupported file
            shutil.rmtree(dest.with_name(dest.name + ".partial"), ignore_errors=True)
            raise ToolError(f"{source} could not be converted: {type(err).__name__}: {err}",
                            "transformers converts GGUF files of the llama, gemma, qwen and mistral "
                            "families; give a Hugging Face model folder otherwise.") from err
        took = time.monotonic() - started
        say(f"Converted in {int(took // 60)} min {int(took % 60)} s.")
        note = licence_note(meta)
        if note:
            say(note)
        return dest


def _convert(source: Path, dest: Path, meta: dict[str, str], digest: str) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    started = time.monotonic()
    tokenizer = AutoTokenizer.from_pretrained(str(source.parent), gguf_file=source.name)
    loaded: Any = AutoModelForCausalLM.from_pretrained(str(source.parent), gguf_file=source.name,
                                                       dtype=torch.float32)
    config = loaded.config
    for attr in ("quantization_config", "_pre_quantization_dtype"):
        if hasattr(config, attr):
            delattr(config, attr)
    with torch.device("meta"):
        plain: Any = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    plain.load_state_dict(loaded.state_dict(), strict=False, assign=True)
    plain.tie_weights()
    missing = [n for n, p in plain.named_parameters() if p.device.type == "meta"]
    if missing:
        raise ToolError(f"{source}: the converted model lacks weights for {', '.join(missing[:3])}.",
                        "This GGUF layout is not supported; give a Hugging Face model folder instead.")
    del loaded
    partial = dest.with_name(dest.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    plain.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    record = {"gguf": str(source), "sha256": digest, "metadata": meta,
              "seconds": round(time.monotonic() - started, 1)}
    (partial / SOURCE_FILE).write_text(json.dumps(record, indent=1), encoding="utf-8")
    shutil.rmtree(dest, ignore_errors=True)
    os.replace(partial, dest)


def conversion_record(folder: str | Path) -> dict[str, Any]:
    """What a converted folder was made from ({} for any other folder)."""
    try:
        data = json.loads((Path(folder) / SOURCE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
