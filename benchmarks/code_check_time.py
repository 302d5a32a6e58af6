"""Time of one HumanEval check in the sandbox: the median over the first N canonical solutions.

    OMP_NUM_THREADS=1 python benchmarks/code_check_time.py [--n 20] [--isolation bwrap unshare none]

Each check runs ``prompt + solution + test + check(entry_point)`` through
:func:`econ_env.sandbox.run_python` with the code-task limits (``CODE_LIMITS``), bypassing the
memo, under each isolation that works on this machine (docs/guides/sandbox.md quotes the result).
"""

from __future__ import annotations

import argparse
import statistics
import time

from econ_env.sandbox import ISOLATIONS, run_python
from econ_env.sandbox.isolation import _available
from econ_env.tasks import make_task
from econ_env.tasks.code_check import CODE_LIMITS, parse_code_gold, program, solution_code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20, help="canonical solutions timed")
    parser.add_argument("--isolation", nargs="+", default=list(ISOLATIONS), choices=ISOLATIONS)
    args = parser.parse_args()
    source = make_task("humaneval")
    for mode in args.isolation:
        if not _available(mode):
            print(f"{mode:8s} not available here")
            continue
        times = []
        for item_id in source.ids()[: args.n]:
            gold = source.get(item_id).gold
            start = time.perf_counter()
            result = run_python(
                program(solution_code(gold), parse_code_gold(gold)),
                limits=CODE_LIMITS,
                isolation=mode,
            )
            times.append(time.perf_counter() - start)
            if result.status != "passed":
                raise SystemExit(f"{item_id}: {result.status}: {result.reason}")
        print(
            f"{mode:8s} median {statistics.median(times) * 1000:.0f} ms, "
            f"max {max(times) * 1000:.0f} ms over {len(times)} checks"
        )


if __name__ == "__main__":
    main()
