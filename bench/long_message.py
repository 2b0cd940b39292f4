"""How long understanding one message takes as it grows to the server's limit (16 KB).

A server shares its workers among users, so reading one message must stay linear in its
length: a pattern that restarts at every character (quadratic) once stalled the API for
everyone for seconds on a 16 KB message. Each shape is a worst case for some pattern
(one long word, paths, e-mail-like runs, dots, digits, plain words). Target: under 0.5 s
for a 16 KB message of any shape, and 4× the text no more than ~8× the time (linear is 4×).
"""

from __future__ import annotations

import time

SHAPES = {"one word": "a", "paths": "a/", "at signs": "a@", "dots": "a.", "digits": "1", "words": "word "}
CARD = {"kind": "approval", "action": "approve_configuration", "step": "configure", "args": {}}


def _seconds(text: str) -> float:
    from graph.understand import meaning

    started = time.perf_counter()
    meaning(text, None, category_chosen=False, job_exists=False)
    meaning(text, CARD, category_chosen=True, job_exists=False)
    return (time.perf_counter() - started) / 2


def run() -> bool:
    _seconds("warm up the imports")
    ok = True
    for name, unit in SHAPES.items():
        small, large = (_seconds((unit * (n // len(unit)))[:n]) for n in (16_000, 64_000))
        ratio = large / small if small > 0 else float("inf")
        good = small < 0.5 and ratio < 8
        ok &= good
        print(f"{name:>9}: 16 KB {small * 1000:7.1f} ms, 64 KB {large * 1000:7.1f} ms (×{ratio:.1f})"
              f"{'' if good else '  <- too slow'}")
    return ok
