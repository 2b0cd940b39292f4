"""Run every benchmark: each module `bench/<name>.py` that defines `run()` is run in name order.

`python -m bench` runs all; `python -m bench dataset_convert` runs the named ones only.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time

import bench


def main(argv: list[str]) -> int:
    names = sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if not m.name.startswith("_"))
    wanted = argv or names
    failed = 0
    for name in wanted:
        if name not in names:
            print(f"no benchmark named {name!r} (have: {', '.join(names)})", file=sys.stderr)
            return 2
        module = importlib.import_module(f"bench.{name}")
        run = getattr(module, "run", None)
        if not callable(run):
            continue
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        result = run()
        print(f"== {name}: done in {time.perf_counter() - started:.1f} s", flush=True)
        if result is False:
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
