"""How every amount of money is written: `USD 3.00`, never with a dollar sign.

Why one place: Agent Chat UI renders markdown with LaTeX math, and two dollar signs on one line
(a table row with two prices) turn the text between them into a formula. Its math syntax works
like inline code, so a space after the sign does not prevent it, and an escaped sign would show
its backslash in the terminal. Writing the currency code avoids both, and says which dollar it
is. Cards, tables, CLI output and the knowledge texts all use these helpers (or the same spelling).
"""

from __future__ import annotations

CURRENCY = "USD"


def usd(amount: float, decimals: int = 2) -> str:
    """An amount: `USD 1,234.50`; below a cent, `under USD 0.01`."""
    if 0 < amount < 0.01 and decimals == 2:
        return f"under {CURRENCY} 0.01"
    return f"{CURRENCY} {amount:,.{decimals}f}"


def usd_price(price: float) -> str:
    """A list price as the catalog gives it, without padding: `USD 0.5`, `USD 12`."""
    return f"{CURRENCY} {price:g}"


def per_hour(amount: float) -> str:
    """An hourly rate: `USD 1.15/hour`."""
    return f"{usd(amount)}/hour"


def per_million_tokens(price: float) -> str:
    """A training price: `USD 0.5 per 1M training tokens`."""
    return f"{usd_price(price)} per 1M training tokens"
