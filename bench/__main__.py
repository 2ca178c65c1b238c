"""All benchmarks in one command: ``python -m bench`` (or ``make bench``).

Each prints its own figures; timings are ratios measured in the same run.
Pass a name to run one: startup, decode, rescore, report, validity (options such as
``--seeds=5`` go to the benchmarks named).
"""

from __future__ import annotations

import importlib
import sys

BENCHES = {"startup": "bench.startup_bench", "decode": "bench.decode_bench", "rescore": "bench.rescore_bench",
           "report": "bench.report_bench", "validity": "bench.validity",
           "service": "bench.service_bench"}


def main() -> None:
    args = sys.argv[1:]
    named = [a for a in args if not a.startswith("-")]
    wanted = named or list(BENCHES)
    options = [a for a in args if a.startswith("-")] if named else []   # e.g. ``validity --seeds=5``
    for name in wanted:
        if name not in BENCHES:
            sys.exit(f"unknown benchmark {name!r}; choose from {', '.join(BENCHES)}")
        try:
            module = importlib.import_module(BENCHES[name])
        except ModuleNotFoundError as exc:
            print(f"== {name}: not available ({exc.name})\n")
            continue
        print(f"== {name}")
        module.main(options)
        print()


if __name__ == "__main__":
    main()
