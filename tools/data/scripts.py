"""Which writing systems a text uses, and tokens per character for each: why one English ratio is wrong.

A tokenizer's tokens per character depend mostly on the script: Latin text packs about
four characters into a token, Chinese about 1.6, code and Cyrillic fall in between.
So a dataset's token count is estimated as the sum over scripts of (characters in that
script × that script's ratio), with the script mix measured on the data itself.

Spaces, digits and punctuation belong to no script; they are counted with the text's
main script (SentencePiece-style tokenizers glue them to the neighbouring word). A text
that looks like source code counts its ASCII characters as `code`.

Where the ratios come from (tokens per character with the real Gemma 3 tokenizer, which Gemini
also uses; each text counted under its main script; `python -m bench token_ratios` re-measures):
- `latin` 0.247: English riddles (issue #14). Debian's English message sources (msgids of the
  Russian catalogs, 37,332 strings, 1.9M characters) give 0.237.
- `cjk` 0.62: 500 Chinese quotations, 48,626 tokens for 78,300 characters (issue #14). Debian's
  zh_CN catalogs (8,621 strings) give 0.539, lower because UI strings carry ASCII placeholders.
- `cyrillic` 0.278: Debian's Russian catalogs, /usr/share/locale/ru/LC_MESSAGES/*.mo msgstr
  (40,525 strings, 2.3M characters), measured 2026-11-30.
- `code` 0.271: the Python 3.11 standard library sources (857 function-sized pieces, 3.0M characters).
- `other` 0.370: Debian's Greek, Arabic, Hebrew, Hindi and Thai catalogs (30,121 strings, 1.4M
  characters); the scripts differ (Thai and Hindi cost more per character than Greek), so a dataset
  mostly in one of them is better counted with the tokenizer itself.
`calibrate_ratios` measures all of them from any tokenizer on sample texts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

LATIN, CJK, CYRILLIC, CODE, OTHER = "latin", "cjk", "cyrillic", "code", "other"
SCRIPTS = (LATIN, CJK, CYRILLIC, CODE, OTHER)

#: Tokens per character by script for the Gemma 3 tokenizer (see the module docstring for sources).
SCRIPT_RATIOS: dict[str, float] = {LATIN: 0.247, CJK: 0.62, CYRILLIC: 0.278, CODE: 0.271, OTHER: 0.370}
#: Which of SCRIPT_RATIOS were measured with a real tokenizer (any other would be provisional).
MEASURED_SCRIPTS = frozenset({LATIN, CJK, CYRILLIC, CODE, OTHER})

_CODE_MARKS = re.compile(r"[{}();=<>\[\]_#/\\$*&|:]")  # one regex pass instead of a count per mark


_CJK_CHARS = "\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\U00020000-\U0003ffff"
#: Runs of each script's characters: counted as the summed length of the runs, with C-level regex
#: passes that make one match per word, not one per character (a Python loop would be far slower).
_RUNS = {
    LATIN: re.compile("[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff]+"),
    CYRILLIC: re.compile("[\u0400-\u052f]+"),
    CJK: re.compile(f"[{_CJK_CHARS}]+"),  # Han, kana, Hangul, CJK punctuation and full-width forms
}
#: A character outside Latin-1, Latin, combining marks, Cyrillic, CJK and general punctuation: only a text with one can
#: hold letters of another script, so only then are letters counted one by one.
_UNLISTED = re.compile(f"[^\x00-\u024f\u0300-\u036f\u0400-\u052f\u1e00-\u1eff\u2000-\u206f{_CJK_CHARS}]")
_LETTERS = re.compile(r"[^\W\d_]+")
_CJK_LETTERS = re.compile(f"(?:(?=[{_CJK_CHARS}])[^\\W\\d_])+")


def _run_chars(pattern: re.Pattern[str], text: str) -> int:
    return sum(map(len, pattern.findall(text)))


def looks_like_code(text: str) -> bool:
    """Source code: many code punctuation marks, and lines that are indented or end in `{`/`;`/`:`."""
    if len(text) < 20:
        return False
    marks = len(_CODE_MARKS.findall(text))
    if marks < len(text) * 0.04:
        return False
    lines = text.splitlines()
    shaped = sum(1 for ln in lines if ln.startswith(("    ", "\t")) or ln.rstrip().endswith(("{", ";", ":", ")")))
    return shaped >= max(1, len(lines) // 4)


def script_chars(text: str) -> dict[str, int]:
    """Characters of `text` by script, scriptless ones given to its main script (the whole length adds up)."""
    if not text:
        return {}
    if text.isascii():
        return {CODE if looks_like_code(text) else LATIN: len(text)}
    counts = {script: n for script, pattern in _RUNS.items() if (n := _run_chars(pattern, text))}
    if _UNLISTED.search(text):
        other = (_run_chars(_LETTERS, text) - counts.get(LATIN, 0) - counts.get(CYRILLIC, 0)
                 - _run_chars(_CJK_LETTERS, text))
        if other > 0:
            counts[OTHER] = other
    neutral = len(text) - sum(counts.values())
    if not counts:
        return {LATIN: len(text)}
    if counts.get(LATIN) and looks_like_code(text):
        counts[CODE] = counts.pop(LATIN)
    main = max(counts, key=lambda s: counts[s])
    counts[main] += neutral
    return counts


def add_counts(into: dict[str, int], more: dict[str, int], weight: float = 1) -> None:
    for script, n in more.items():
        into[script] = into.get(script, 0) + (round(n * weight) if weight != 1 else n)


def mix_shares(chars: dict[str, int]) -> dict[str, float]:
    """Each script's share of the characters, largest first."""
    total = sum(chars.values()) or 1
    return {s: n / total for s, n in sorted(chars.items(), key=lambda kv: -kv[1]) if n}


def mix_ratio(chars: dict[str, int], ratios: dict[str, float] | None = None) -> float:
    """Tokens per character for a script mix (characters by script), weighted by the mix."""
    table = ratios or SCRIPT_RATIOS
    total = sum(chars.values())
    if not total:
        return table[LATIN]
    return sum(n * table.get(s, table[OTHER]) for s, n in chars.items()) / total


def calibrate_ratios(texts: Iterable[str], count_tokens: Callable[[list[str]], list[int]]) -> dict[str, float]:
    """Tokens per character by script, measured with a real tokenizer (`count_tokens`) on `texts`.

    Each text is attributed to its main script; a script with no text keeps the shipped ratio.
    """
    by_script: dict[str, list[str]] = {}
    for text in texts:
        counts = script_chars(text)
        if counts:
            by_script.setdefault(max(counts, key=lambda s: counts[s]), []).append(text)
    out = dict(SCRIPT_RATIOS)
    for script, group in by_script.items():
        chars = sum(len(t) for t in group)
        if chars:
            out[script] = sum(count_tokens(group)) / chars
    return out
