"""The ``econ-env bench ...`` and ``econ-env leaderboard ...`` commands.

- ``econ-env bench run --suite econ-bench-v0/dev --policy truthful --out DIR [--limit N]``
- ``econ-env bench verify DIR [--gold FILE] [--no-replay]``
- ``econ-env bench sweep --suite econ-bench-v0/dev --policy truthful --policy self_consistency
  --budgets 512,1024,2048 --out DIR [--limit N]``
- ``econ-env bench suites``
- ``econ-env leaderboard build SUBMISSIONS_DIR --out site/ [--gold FILE]``
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from econ_env.bench.safe_text import terminal_safe


def add_commands(sub: Any) -> list[str]:
    """Register the bench and leaderboard subcommands on an argparse subparsers object."""
    bench = sub.add_parser("bench", help="run, verify and sweep the econ-bench-v0 benchmark")
    bsub = bench.add_subparsers(dest="bench_command", required=True)
    run = bsub.add_parser("run", help="evaluate a policy on a suite and write a submission")
    run.add_argument("--suite", default="econ-bench-v0/dev")
    run.add_argument(
        "--policy", required=True, help="bench baseline, registered policy or module:Class"
    )
    run.add_argument("--out", required=True, help="submission directory (resumable)")
    run.add_argument("--limit", type=int, default=None, help="first N items of every case")
    run.add_argument("--no-progress", action="store_true")
    ver = bsub.add_parser("verify", help="re-score a submission from its traces")
    ver.add_argument("path")
    ver.add_argument("--gold", default=None, help="external gold file (JSON {item_id: gold})")
    ver.add_argument("--no-replay", action="store_true", help="skip replaying episodes")
    sw = bsub.add_parser("sweep", help="accuracy vs tokens over a list of budgets")
    sw.add_argument("--suite", default="econ-bench-v0/dev")
    sw.add_argument("--policy", action="append", required=True)
    sw.add_argument("--budgets", required=True, help="comma-separated, e.g. 512,1024,2048")
    sw.add_argument("--out", required=True)
    sw.add_argument("--limit", type=int, default=None)
    sw.add_argument("--no-progress", action="store_true")
    bsub.add_parser("suites", help="list the benchmark suites")
    board = sub.add_parser("leaderboard", help="build the static leaderboard site")
    lsub = board.add_subparsers(dest="board_command", required=True)
    build = lsub.add_parser("build", help="verify submissions and write index.html")
    build.add_argument("submissions")
    build.add_argument("--out", default="site")
    build.add_argument("--gold", default=None)
    return ["bench", "leaderboard"]


def run_command(args: argparse.Namespace) -> int:
    """Dispatch a parsed bench / leaderboard command; returns the exit code."""
    if args.command == "leaderboard":
        from econ_env.bench.leaderboard import build_leaderboard

        page = build_leaderboard(args.submissions, args.out, gold_file=args.gold)
        print(f"wrote {terminal_safe(str(page))}")
        return 0
    if args.bench_command == "suites":
        from econ_env.bench.suites import get_suite, list_suites

        for name in list_suites():
            suite = get_suite(name)
            print(
                f"{name} (version {suite.version}, gold {suite.gold}): "
                f"{len(suite.episodes())} episodes in {len(suite.cases)} cases"
            )
        return 0
    if args.bench_command == "run":
        from econ_env.bench.runner import run_suite

        try:
            results = run_suite(
                args.suite, args.policy, args.out, limit=args.limit, progress=not args.no_progress
            )
        except (ValueError, KeyError) as err:
            raise SystemExit(f"econ-env bench run: {err}") from None
        print(json.dumps({k: results[k] for k in _HEADLINE if k in results}, indent=1))
        return 0
    if args.bench_command == "verify":
        from econ_env.bench.verify import verify_submission

        report = verify_submission(args.path, gold_file=args.gold, replay=not args.no_replay)
        done = f"{report.checked_episodes} episodes re-scored, no mismatch"
        if report.ok and report.complete:
            print(f"verified: {done}")
            return 0
        if report.ok:
            print(
                f"verified, partial run ({terminal_safe(report.scope())}): {done}; the "
                "leaderboard lists it as partial, never ranked"
            )
            return 0
        print(f"REJECTED ({report.found} problem(s)):")
        for err in report.errors:  # at most MAX_ERRORS + 2 lines, escaped again to be sure
            print(f"  - {terminal_safe(err)}")
        return 1
    from econ_env.bench.sweep import format_sweep, run_sweep

    budgets = [int(b) for b in args.budgets.split(",") if b.strip()]
    out = run_sweep(
        args.suite, args.policy, budgets, args.out, limit=args.limit, progress=not args.no_progress
    )
    print(format_sweep(out))
    print(f"wrote {args.out}/sweep.json and {args.out}/sweep.png")
    return 0


_HEADLINE = (
    "suite",
    "policy",
    "episodes",
    "accuracy",
    "accuracy_ci",
    "billed_tokens",
    "generated_tokens",
    "accuracy_per_1k_generated",
)
