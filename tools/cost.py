"""Money and time, always labelled as estimates: training cost per model and deployment cost per hour.

Training (open models and Gemini): dataset tokens × epochs gives billed training
tokens (the service bills every turn of every example, each epoch); × the catalog
price per 1M tokens gives dollars. Dataset tokens come from the model's own tokenizer
when one is on the machine (Gemini and Gemma 3 share the Gemma 3 tokenizer), counted
on the whole dataset or on a uniform sample with a stated error bound; otherwise from
per-script tokens-per-character ratios on the data's measured script mix (see
`tools.data.tokencount` and `tools.data.scripts`). Every estimate says which method
it used. Where the catalog has no price, only the token count is given, and
unverified prices are flagged. Local models cost nothing but time, estimated from a
rough CPU throughput constant.
"""

from __future__ import annotations

import os
from typing import Any

from pydantic import BaseModel, Field

from tools import money
from tools.data.limits import resolve_model, tokens_per_char
from tools.data.models import DatasetStats
from tools.data.tokencount import TokenCount, estimate_tokens
from tools.errors import ToolError

#: Rough effective training throughput of a laptop CPU, in FLOP/s. A training step costs about
#: 6 × parameters FLOPs per token (forward + backward), so time ≈ 6 · params · tokens / this.
#: It is a rule of thumb for "seconds, minutes or hours", not a measurement of this machine.
#: Epochs assumed for Gemini when none is given (the service chooses one from the data size if unset).
GEMINI_DEFAULT_EPOCHS = 3
#: Said with every training estimate: the bill is counted by the service, not by us.
BILLING_NOTE = ("the service's billed token count may differ from this estimate (it tokenizes every turn of "
                "every example itself, each epoch)")

_MODE_ALIASES = {"PEFT": "PEFT_ADAPTER", "LORA": "PEFT_ADAPTER", "PEFT_ADAPTER": "PEFT_ADAPTER",
                 "FULL": "FULL"}


class CostEstimate(BaseModel):
    """An estimated training cost: tokens, dollars (None when no price is known), and why."""

    model: str
    model_id: str
    category: str
    tuning_mode: str | None
    epochs: int
    dataset_chars: int
    tokens_per_char: float
    dataset_tokens: int
    token_method: str = "script ratios"  # tokenizer (exact) | tokenizer (sample) | script ratios
    token_detail: str = ""
    token_error_pct: float | None = None  # 95% bound when tokens were counted on a sample
    tokens: int  # billed training tokens: dataset tokens × epochs
    price_per_1m_tokens: float | None
    price_verified: bool | None
    usd: float | None
    estimated_training_time_s: float | None = None
    label: str
    assumptions: list[str] = Field(default_factory=list)


class HourlyCost(BaseModel):
    """The list price per hour of one deployment machine (with its fixed accelerators)."""

    machine_type: str
    accelerator_type: str
    accelerator_count: int
    usd_per_hour: float
    label: str
    assumptions: list[str] = Field(default_factory=list)


def normalize_mode(mode: str | None) -> str | None:
    """`PEFT`/`LoRA`/`PEFT_ADAPTER` → `PEFT_ADAPTER`, `FULL` → `FULL`, None stays None."""
    if mode is None:
        return None
    key = mode.strip().upper().replace("-", "_")
    if key not in _MODE_ALIASES:
        raise ToolError(f"unknown tuning mode {mode!r}", "Use PEFT (LoRA adapter) or FULL.")
    return _MODE_ALIASES[key]


def _stats(stats_or_path: DatasetStats | str | os.PathLike[str]) -> DatasetStats:
    if isinstance(stats_or_path, DatasetStats):
        return stats_or_path
    from tools.data.stats import dataset_stats

    return dataset_stats(stats_or_path)


def _priced(tokens: int, price: float | None, why_no_price: str) -> tuple[float | None, str]:
    """The dollar figure and the label for `tokens` at `price` per 1M (or why there is no figure)."""
    if price is None:
        return None, f"Estimated {tokens:,} training tokens (billing may differ); {why_no_price}, so no dollar figure"
    usd = tokens / 1e6 * price
    return usd, (f"Estimated {_money(usd)} ({tokens:,} training tokens at {money.usd_price(price)}/1M; "
                 "billing may differ)")


def _count(entry: Any, stats: DatasetStats, catalog_ratio: float | None) -> tuple[TokenCount, list[str]]:
    """Dataset tokens for `entry` and the assumption lines that say how they were counted."""
    counted = estimate_tokens(entry, stats.total_chars, stats.sample, stats.sample_complete,
                              stats.script_chars, catalog_ratio)
    lines = [f"{stats.total_chars:,} characters over all turns of {stats.rows:,} examples",
             f"tokens by {counted.method}: {counted.detail} ({counted.tokens_per_char:.3f} tokens per character)"]
    if counted.method == "script ratios" and catalog_ratio:
        lines.append(f"the catalog's {catalog_ratio} tokens per character (English text) scaled for the script mix")
    lines.append(BILLING_NOTE)
    return counted, lines


def _token_fields(counted: TokenCount) -> dict[str, Any]:
    return {"tokens_per_char": round(counted.tokens_per_char, 6), "dataset_tokens": counted.tokens,
            "token_method": counted.method, "token_detail": counted.detail,
            "token_error_pct": round(counted.error_pct, 2) if counted.error_pct is not None else None}


def _money(usd: float) -> str:
    return money.usd(usd) if usd >= 0.01 else money.usd(0.001)


def estimate_training_cost(stats_or_path: DatasetStats | str | os.PathLike[str], model: str,
                           tuning_mode: str | None = None, epochs: int | None = None) -> CostEstimate:
    """Estimated tokens and dollars to tune `model` on a dataset (a DatasetStats or a file path)."""
    entry = resolve_model(model)
    if epochs is not None and epochs < 1:
        raise ToolError(f"epochs must be at least 1 (got {epochs})", "Give a whole number of epochs, e.g. 3.")
    stats = _stats(stats_or_path)
    if entry.category == "open":
        estimate = _open_cost(entry, stats, normalize_mode(tuning_mode), epochs)
    elif entry.category == "gemini":
        estimate = _gemini_cost(entry, stats, epochs)
    else:
        estimate = _local_cost(entry, stats, epochs)
    too_long = _over_the_limit(model, stats, estimate.tokens_per_char)
    if too_long:
        estimate.assumptions.append(too_long)
    return estimate


def _over_the_limit(model: str, stats: DatasetStats, tokens_per_char: float) -> str | None:
    """A warning when the longest example is over the model's limit (the data was prepared before the model
    was chosen, so nothing dropped it): tuning truncates it, and it is counted here in full."""
    from tools.data.limits import length_limit

    limit = length_limit(model)
    longest = round(stats.max_example_chars * tokens_per_char)
    if limit is None or longest <= limit.max_tokens:
        return None
    return (f"the longest example is about {longest:,} tokens, over the {limit.max_tokens:,} {limit.model} accepts: "
            "tuning truncates such examples, and they are counted here in full (leave them out with the "
            "`drop-long` cleaning, or `data convert --model`)")


def _open_cost(entry: Any, stats: DatasetStats, mode: str | None, epochs: int | None) -> CostEstimate:
    mode = mode or entry.default_mode()
    if mode not in entry.modes:
        raise ToolError(f"{entry.display_name} cannot be tuned in {mode} mode",
                        "Supported: " + ", ".join(entry.modes))
    spec = entry.modes[mode]
    n_epochs = epochs or spec.epochs
    ratio = tokens_per_char(entry, mode)
    counted, assumptions = _count(entry, stats, ratio)
    if ratio is None:
        assumptions.append(f"no tokens-per-character ratio in the catalog for {entry.display_name}")
    if epochs is None:
        assumptions.append(f"{n_epochs} epochs (the catalog baseline)")
    dataset_tokens = counted.tokens
    tokens = dataset_tokens * n_epochs
    price = spec.price_per_1m_tokens
    usd, label = _priced(tokens, price, f"no published price for {entry.display_name} ({mode})")
    if price is not None:
        assumptions.append(f"{money.per_million_tokens(price)} (catalog list price; billing = dataset "
                           "tokens × epochs)")
    return CostEstimate(model=entry.display_name, model_id=entry.base_model, category="open",
                        tuning_mode=mode, epochs=n_epochs, dataset_chars=stats.total_chars,
                        **_token_fields(counted), tokens=tokens,
                        price_per_1m_tokens=price, price_verified=True if price is not None else None,
                        usd=usd, label=label, assumptions=assumptions)


def _gemini_cost(entry: Any, stats: DatasetStats, epochs: int | None) -> CostEstimate:
    n_epochs = epochs or GEMINI_DEFAULT_EPOCHS
    counted, assumptions = _count(entry, stats, None)
    if epochs is None:
        assumptions.append(f"{n_epochs} epochs assumed (the service picks a count from the data size "
                           "if you leave it unset)")
    dataset_tokens = counted.tokens
    tokens = dataset_tokens * n_epochs
    price = entry.price_per_1m_tokens
    usd, label = _priced(tokens, price, f"the catalog has no price for {entry.display_name} tuning")
    if price is None:
        assumptions.append("no price: check cloud.google.com/vertex-ai/generative-ai/pricing")
    elif not entry.price_verified:
        label += " — price unverified"
        assumptions.append(f"{money.per_million_tokens(price)} is UNVERIFIED "
                           f"(source: {entry.price_source or 'unofficial'}); check the official pricing page")
    else:
        assumptions.append(f"{money.per_million_tokens(price)} (official list price)")
    return CostEstimate(model=entry.display_name, model_id=entry.id, category="gemini", tuning_mode=None,
                        epochs=n_epochs, dataset_chars=stats.total_chars, **_token_fields(counted),
                        tokens=tokens, price_per_1m_tokens=price,
                        price_verified=entry.price_verified if price is not None else None,
                        usd=usd, label=label, assumptions=assumptions)


def _local_cost(entry: Any, stats: DatasetStats, epochs: int | None) -> CostEstimate:
    """Free, with the training time from the local platform's measured throughput."""
    from tools.local.models import CPU_TOKENS_PER_S, STARTUP_S, describe_local_cost, estimate_local_time, rate_text

    n_epochs = epochs or entry.epochs
    counted, lines = _count(entry, stats, None)
    tokens = counted.tokens * n_epochs
    seconds = estimate_local_time(tokens, entry.id)
    rate = CPU_TOKENS_PER_S.get(entry.id)
    return CostEstimate(
        model=entry.display_name, model_id=entry.id, category="local", tuning_mode=None, epochs=n_epochs,
        dataset_chars=stats.total_chars, **_token_fields(counted),
        tokens=tokens, price_per_1m_tokens=None, price_verified=None, usd=0.0,
        estimated_training_time_s=round(seconds, 1),
        label=describe_local_cost(tokens, entry.id),
        assumptions=[*lines[:2],
                     f"{tokens:,} training tokens at "
                     + (f"about {rate_text(rate)} measured" if rate else "a rate scaled from models measured")
                     + f" on a 2-core CPU, plus about {STARTUP_S:.0f} s to start"])


def deployment_hourly_cost(machine_type: str) -> HourlyCost:
    """The hourly list price of a deployment machine type, from the machine catalog."""
    from knowledge import load_catalog, machine

    found = machine(machine_type)
    if found is None:
        known = ", ".join(m.machine_type for m in load_catalog().machines)
        raise ToolError(f"unknown machine type {machine_type!r}", f"Known machine types: {known}")
    return HourlyCost(
        machine_type=found.machine_type, accelerator_type=found.accelerator_type,
        accelerator_count=found.accelerator_count, usd_per_hour=found.hourly_usd,
        label=f"Estimated {money.usd(found.hourly_usd)} per hour while deployed "
              f"({found.accelerator_count} × {found.accelerator_type})",
        assumptions=["us-central1 list price from the catalog; other regions and discounts differ",
                     "billed per hour the endpoint is deployed, whether or not it serves requests"])


class CheaperOption(BaseModel):
    """One way to spend less than the current configuration, with its estimate."""

    what: str  # in words: "2 epochs instead of 4"
    change: dict[str, Any]  # the settings to change, as a person would type them
    estimate: CostEstimate


def _spend(estimate: CostEstimate) -> float | None:
    """What "cheaper" compares: dollars, or on the local platform (free) the training time."""
    return estimate.estimated_training_time_s if estimate.category == "local" else estimate.usd


def _smaller_models(entry: Any) -> list[Any]:
    """Catalog models of the same kind that cost less to tune than `entry`, closest first."""
    from knowledge import active_gemini_models, load_catalog

    catalog = load_catalog()
    if entry.category == "local":
        return sorted((m for m in catalog.local_models if m.params_m < entry.params_m),
                      key=lambda m: -m.params_m)
    if entry.category == "gemini":
        price = entry.price_per_1m_tokens or float("inf")
        return sorted((m for m in active_gemini_models() if m.price_per_1m_tokens and m.price_per_1m_tokens < price),
                      key=lambda m: -(m.price_per_1m_tokens or 0))
    smaller = [m for m in catalog.open_models if m.size_b < entry.size_b and m.instruct]
    same = [m for m in smaller if m.lineage == entry.lineage]
    return sorted(same, key=lambda m: -m.size_b) + sorted((m for m in smaller if m not in same),
                                                           key=lambda m: -m.size_b)


def cheaper_options(stats_or_path: DatasetStats | str | os.PathLike[str], model: str, tuning_mode: str | None,
                    epochs: int | None, limit: int = 4) -> tuple[CostEstimate, list[CheaperOption]]:
    """The current estimate and up to `limit` cheaper configurations from the catalog and the cost model:
    fewer epochs, LoRA instead of full tuning, a smaller (or lower-priced) model. Each is estimated on
    the same data, and only options that really cost less (or, locally, take less time) are kept."""
    stats = _stats(stats_or_path)
    entry = resolve_model(model)
    current = estimate_training_cost(stats, model, tuning_mode, epochs)
    spent = _spend(current)
    options: list[CheaperOption] = []
    if current.epochs > 1:
        fewer = max(1, current.epochs // 2)
        options.append(CheaperOption(what=f"{fewer} epoch{'s' if fewer > 1 else ''} instead of {current.epochs}",
                                     change={"epochs": fewer},
                                     estimate=estimate_training_cost(stats, model, current.tuning_mode, fewer)))
    if entry.category == "open" and current.tuning_mode == "FULL" and "PEFT_ADAPTER" in entry.modes:
        options.append(CheaperOption(what="LoRA (an adapter) instead of full tuning",
                                     change={"tuning_mode": "PEFT_ADAPTER"},
                                     estimate=estimate_training_cost(stats, model, "PEFT_ADAPTER", current.epochs)))
    for smaller in _smaller_models(entry)[:6]:
        mode = None
        if entry.category == "open":
            mode = current.tuning_mode if current.tuning_mode in smaller.modes else smaller.default_mode()
        model_id = smaller.id if entry.category != "open" else smaller.base_model
        try:
            estimate = estimate_training_cost(stats, model_id, mode, current.epochs)
        except ToolError:
            continue
        cost = _spend(estimate)
        if spent is not None and cost is not None and cost < 0.9 * spent:  # a model that is really cheaper
            options.append(CheaperOption(what=f"{smaller.display_name} instead of {entry.display_name}",
                                         change={"base_model": model_id}, estimate=estimate))
            break
    # Kept only when really cheaper (a local run's time is mostly start-up, so one epoch less may save nothing).
    kept = [o for o in options if spent is None or (o.estimate.usd is not None
                                                    and (_spend(o.estimate) or 0) < 0.95 * spent)]
    return current, kept[:limit]


def none_cheaper(current: CostEstimate) -> str:
    """What to say when no configuration costs less than `current`."""
    if current.category == "local":
        return f"Training on this machine is already free: {current.label}. Fewer epochs would save little time."
    return (f"This is already the cheapest setup I can offer for this data: {current.label}. To spend less, use "
            "fewer or shorter examples.")


def adapter_note(current: CostEstimate) -> str | None:
    """Why a smaller adapter is not offered as cheaper (the bill counts tokens, not the adapter's rank)."""
    if current.category != "open":
        return None
    return "A smaller adapter (rank) does not lower the bill: tuning is billed per training token."
