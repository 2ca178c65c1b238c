"""All benchmarks in one command: ``python -m bench`` (or ``make bench``).

Each prints its own figures; timings are ratios measured in the same run.
Pass a name to run one: startup, decode, rescore, report.
"""

from __future__ import annotations

import importlib
import sys

BENCHES = {"startup": "bench.startup_bench", "decode": "bench.decode_bench", "rescore": "bench.rescore_bench",
           "report": "bench.report_bench"}


def main() -> None:
    wanted = sys.argv[1:] or list(BENCHES)
    for name in wanted:
        if name not in BENCHES:
            sys.exit(f"unknown benchmark {name!r}; choose from {', '.join(BENCHES)}")
        try:
            module = importlib.import_module(BENCHES[name])
        except ModuleNotFoundError as exc:
            print(f"== {name}: not available ({exc.name})\n")
            continue
        print(f"== {name}")
        module.main([])
        print()


if __name__ == "__main__":
    main()
