"""``python -m bridge.bench``: the name the tuning issue gives the benchmarks, kept as a door to ``benchmarks/``.

The benchmarks live in the top-level ``benchmarks/`` folder of a source checkout (they time scikit-learn, bare
loops and a served app, nothing an installed library needs), so the wheel does not ship them. From a checkout this
runs ``python -m benchmarks.bench`` with the same arguments; from an installed copy it says where they are.
"""

from __future__ import annotations

import importlib
import sys


def main(argv: list[str] | None = None) -> int:
    try:
        benchmarks = importlib.import_module("benchmarks.bench")
    except ModuleNotFoundError:
        print("bridge.bench: the benchmarks are in a source checkout's benchmarks/ folder, not in the installed package; "
              "run python -m bridge.bench from a clone of the repository", file=sys.stderr)
        return 2
    return benchmarks.main(argv)


if __name__ == "__main__":  # tune mode's spawned workers import this module again: only the first process runs main
    sys.exit(main())
