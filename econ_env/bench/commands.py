"""The ``econ-env bench ...`` and ``econ-env leaderboard ...`` commands.

- ``econ-env bench run --suite econ-bench-v0/dev --policy truthful --out DIR [--limit N]
  [--backend SPEC [--backend-kwargs JSON]]`` (a real backend: the real-model track)
- ``econ-env bench verify DIR [--gold FILE] [--no-replay] [--no-tokenizer] [--spot-check K
  [--spot-seed S] [--spot-backend SPEC]]``
- ``econ-env bench sweep --suite econ-bench-v0/dev --policy truthful --policy self_consistency
  --budgets 512,1024,2048 --out DIR [--limit N]``
- ``econ-env bench suites`` and ``econ-env bench gold --suite econ-bench-v1/test --out gold.json``
- ``econ-env bench evaluate SUBMISSION --suite ... --out DIR --secret-file F --key-file K`` and
  ``econ-env bench reveal DIR --secret-file F`` (:mod:`econ_env.bench.agent_commands`)
- ``econ-env leaderboard build SUBMISSIONS_DIR --out site/ [--gold FILE] [--key-file K]
  [--key-id NAME]``
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from econ_env.bench.agent_commands import add_agent_commands, run_agent_command
from econ_env.bench.safe_text import terminal_safe


def add_commands(sub: Any) -> list[str]:
    """Register the bench and leaderboard subcommands on an argparse subparsers object."""
    bench = sub.add_parser("bench", help="run, evaluate, verify and sweep the econ-bench benchmark")
    bsub = bench.add_subparsers(dest="bench_command", required=True)
    run = bsub.add_parser("run", help="evaluate a policy on a suite and write a submission")
    run.add_argument("--suite", default="econ-bench-v1/dev")
    run.add_argument(
        "--policy", required=True, help="bench baseline, registered policy or module:Class"
    )
    run.add_argument("--out", required=True, help="submission directory (resumable)")
    run.add_argument("--limit", type=int, default=None, help="first N items of every case")
    run.add_argument("--no-progress", action="store_true")
    run.add_argument(
        "--backend",
        default=None,
        help="a real backend (hf:smollm2, openai:URL, ...) instead of the suite's simulated one; "
        "logs generations.jsonl (real-model track)",
    )
    run.add_argument("--backend-kwargs", default=None, help="JSON object of backend arguments")
    ver = bsub.add_parser("verify", help="re-score a submission from its traces")
    ver.add_argument("path")
    ver.add_argument("--gold", default=None, help="external gold file (JSON {item_id: gold})")
    ver.add_argument("--no-replay", action="store_true", help="skip replaying episodes")
    ver.add_argument(
        "--no-tokenizer", action="store_true", help="real-model track: skip the token recount"
    )
    ver.add_argument(
        "--spot-check", type=int, default=0, metavar="K", help="regenerate K logged requests"
    )
    ver.add_argument("--spot-seed", type=int, default=0, help="seed of the spot-check's draw")
    ver.add_argument("--spot-backend", default=None, help="backend spec that regenerates them")
    sw = bsub.add_parser("sweep", help="accuracy vs tokens over a list of budgets")
    sw.add_argument("--suite", default="econ-bench-v1/dev")
    sw.add_argument("--policy", action="append", required=True)
    sw.add_argument("--budgets", required=True, help="comma-separated, e.g. 512,1024,2048")
    sw.add_argument("--out", required=True)
    sw.add_argument("--limit", type=int, default=None)
    sw.add_argument("--no-progress", action="store_true")
    bsub.add_parser("suites", help="list the benchmark suites")
    gold = bsub.add_parser("gold", help="write a suite's gold file (for external-gold suites)")
    gold.add_argument("--suite", default="econ-bench-v1/test")
    gold.add_argument("--out", required=True, help="JSON file {item_id: gold} to write")
    add_agent_commands(bsub)  # evaluate, reveal (econ_env.bench.agent_commands)
    board = sub.add_parser("leaderboard", help="build the static leaderboard site")
    lsub = board.add_subparsers(dest="board_command", required=True)
    build = lsub.add_parser("build", help="verify submissions and write index.html")
    build.add_argument("submissions")
    build.add_argument("--out", default="site")
    build.add_argument("--gold", default=None)
    build.add_argument(
        "--key-file",
        default=None,
        help="the maintainer's attestation key: simulated-track entries signed with it by "
        "`bench evaluate` are re-run and ranked; without it none is",
    )
    build.add_argument("--key-id", default="", help="the key's name shown on the page")
    return ["bench", "leaderboard"]


def run_command(args: argparse.Namespace) -> int:
    """Dispatch a parsed bench / leaderboard command; returns the exit code."""
    if args.command == "leaderboard":
        from econ_env.bench.leaderboard import build_leaderboard
        from econ_env.bench.leaderboard_badges import read_key_file

        try:
            key = None if args.key_file is None else read_key_file(args.key_file)
        except ValueError as err:
            raise SystemExit(f"econ-env leaderboard build: {terminal_safe(str(err))}") from None
        page = build_leaderboard(
            args.submissions, args.out, gold_file=args.gold, attest_key=key, key_id=args.key_id
        )
        print(f"wrote {terminal_safe(str(page))}")
        return 0
    if args.bench_command in ("evaluate", "reveal"):
        return run_agent_command(args)
    if args.bench_command == "gold":
        from econ_env.bench.submission import write_json
        from econ_env.bench.suites import get_suite, suite_gold

        try:
            gold = suite_gold(get_suite(args.suite))
        except ValueError as err:
            raise SystemExit(f"econ-env bench gold: {err}") from None
        write_json(args.out, gold)
        print(f"wrote {len(gold)} gold answers of {args.suite} to {terminal_safe(args.out)}")
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
            kwargs = None if args.backend_kwargs is None else json.loads(args.backend_kwargs)
            if kwargs is not None and not isinstance(kwargs, dict):
                raise ValueError(f"--backend-kwargs must be a JSON object, got {kwargs!r}")
            results = run_suite(
                args.suite,
                args.policy,
                args.out,
                limit=args.limit,
                progress=not args.no_progress,
                backend=args.backend,
                backend_kwargs=kwargs,
            )
        except (ValueError, KeyError) as err:
            raise SystemExit(f"econ-env bench run: {err}") from None
        print(json.dumps({k: results[k] for k in _HEADLINE if k in results}, indent=1))
        return 0
    if args.bench_command == "verify":
        from econ_env.bench.verify import verify_submission

        if args.spot_check < 0:
            raise SystemExit(
                f"econ-env bench verify: --spot-check must be >= 0, got {args.spot_check}"
            )
        report = verify_submission(
            args.path,
            gold_file=args.gold,
            replay=not args.no_replay,
            tokenizer=False if args.no_tokenizer else None,
            spot_check=args.spot_check,
            spot_seed=args.spot_seed,
            spot_backend=args.spot_backend,
        )
        for note in report.notes:
            print(terminal_safe(note))
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
