"""Print the mutation score per module from mutmut's results (run after `mutmut run`).

mutmut keeps one `<module>.py.meta` JSON file per mutated module under `mutants/`, with
the pytest exit code of each mutant: 0 means the tests still passed (the mutant
survived), 1 killed it, a timeout counts as killed, None means not run yet. This prints,
per module, killed / run and the score, then every survivor's name (show one with
`mutmut show NAME`), and exits 1 when a module is under the target.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

TARGET = 0.85
SURVIVED = 0
NOT_RUN = None
SKIPPED = {33, 34, 35, 36, 37}  # mutmut's codes for "no tests" / "skipped" / "suspicious"


def main(root: str = "mutants") -> int:
    metas = sorted(Path(root).rglob("*.py.meta"))
    if not metas:
        print(f"no mutmut results under {root}/; run `make mutants` first", file=sys.stderr)
        return 2
    below = 0
    survivors: list[str] = []
    print(f"{'module':40} {'killed':>7} {'run':>5} {'not run':>8} {'score':>6}")
    for meta in metas:
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        module = str(meta.relative_to(root)).removesuffix(".meta")
        ran = {k: c for k, c in codes.items() if c is not NOT_RUN and c not in SKIPPED}
        alive = sorted(k for k, c in ran.items() if c == SURVIVED)
        killed = len(ran) - len(alive)
        score = killed / len(ran) if ran else 1.0
        below += score < TARGET
        survivors += alive
        print(f"{module:40} {killed:7} {len(ran):5} {len(codes) - len(ran):8} {score:6.1%}")
    if survivors:
        print(f"\n{len(survivors)} survivor(s):")
        print("\n".join(f"  {name}" for name in survivors))
    return 1 if below else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
