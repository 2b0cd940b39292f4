"""Tokens per character by script, measured with the real Gemma 3 tokenizer on real text on this machine.

`python -m bench token_ratios` counts, with the Gemma 3 tokenizer that `tools.data.tokencount`
finds (the local Gemma 3 270M's `tokenizer.json` in the model cache, or any other lookup):
- Russian: every translated message (msgstr) in Debian's compiled catalogs
  /usr/share/locale/ru/LC_MESSAGES/*.mo;
- Chinese: the same for /usr/share/locale/zh_CN/LC_MESSAGES/*.mo;
- code: the Python standard library's own sources (the `*.py` files next to `os.py`);
- other scripts: the Greek, Arabic, Hebrew, Hindi and Thai catalogs (el, ar, he, hi, th);
- English: the msgids (the source strings) of the Russian catalogs.
Each text counts under its main script (`tools.data.scripts.calibrate_ratios`) and the table printed is
what `tools.data.scripts.SCRIPT_RATIOS` records. Nothing is downloaded.
"""

from __future__ import annotations

import gettext
import os
import sys
from collections.abc import Iterator
from pathlib import Path

LOCALES = Path("/usr/share/locale")
OTHER_LANGS = ("el", "ar", "he", "hi", "th")
MIN_CHARS = 20


def catalog_texts(lang: str, *, ids: bool = False) -> Iterator[str]:
    """Translated strings (or, with `ids`, their English sources) of a language's compiled catalogs."""
    for mo in sorted((LOCALES / lang / "LC_MESSAGES").glob("*.mo")):
        try:
            with mo.open("rb") as fh:
                catalog = gettext.GNUTranslations(fh)._catalog  # type: ignore[attr-defined]
        except (OSError, UnicodeDecodeError, LookupError):  # unreadable, or an unexpected charset: skip it
            continue
        for key, value in catalog.items():
            text = (key[0] if isinstance(key, tuple) else key) if ids else value
            if isinstance(text, str) and len(text) >= MIN_CHARS:
                yield text


def stdlib_code(limit_files: int = 120) -> Iterator[str]:
    """Function-sized pieces of the Python standard library's sources."""
    folder = Path(os.__file__).parent
    for path in sorted(folder.glob("*.py"))[:limit_files]:
        text = path.read_text(encoding="utf-8", errors="replace")
        yield from (piece for piece in text.split("\n\n\n") if len(piece) > 200)


def measure() -> dict[str, tuple[float, int, int, str]]:
    """script → (tokens per character, characters, texts, where the text came from)."""
    from tools.data import scripts, tokencount

    count = tokencount.find_tokenizer(tokencount.GEMMA3, ["gemma-3-*"])
    if count is None:
        raise SystemExit("no Gemma 3 tokenizer on this machine: convert local/gemma-3-270m first "
                         "(a local run with it, or `python -m tools.local.packaged`)")
    sources = {
        scripts.CYRILLIC: ("Debian ru/LC_MESSAGES/*.mo msgstr", list(catalog_texts("ru"))),
        scripts.CJK: ("Debian zh_CN/LC_MESSAGES/*.mo msgstr", list(catalog_texts("zh_CN"))),
        scripts.CODE: (f"Python {sys.version_info.major}.{sys.version_info.minor} stdlib *.py",
                       list(stdlib_code())),
        scripts.OTHER: ("Debian " + "/".join(OTHER_LANGS) + " *.mo msgstr",
                        [t for lang in OTHER_LANGS for t in catalog_texts(lang)]),
        scripts.LATIN: ("Debian ru *.mo msgid (English)", list(catalog_texts("ru", ids=True))),
    }
    out: dict[str, tuple[float, int, int, str]] = {}
    for script, (where, texts) in sources.items():
        own = [t for t in texts if _main_script(t) == script]
        chars = sum(len(t) for t in own)
        if not chars:
            continue
        tokens = sum(count(own))
        out[script] = (tokens / chars, chars, len(own), where)
    return out


def _main_script(text: str) -> str:
    from tools.data import scripts

    counts = scripts.script_chars(text)
    return max(counts, key=lambda s: counts[s]) if counts else scripts.LATIN


def run() -> bool:
    from tools.data import scripts

    for script, (ratio, chars, n, where) in measure().items():
        shipped = scripts.SCRIPT_RATIOS[script]
        print(f"{script:9s} {ratio:.3f} tokens/char  ({n:,} texts, {chars:,} chars; {where}); "
              f"shipped {shipped:.3f} ({(shipped - ratio) / ratio:+.0%})", flush=True)
    return True


if __name__ == "__main__":
    sys.exit(0 if run() else 1)
