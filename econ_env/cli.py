"""The ``econ-env`` command line.

- ``econ-env demo``: evaluate the built-in policies on auction_v0 and print a table of accuracy,
  billed tokens and generated tokens per policy.
- ``econ-env eval --policy truthful --policy silent --episodes 200 -c mechanism=vcg``: the same
  for chosen policies (baseline names or ``module:Class``) and config overrides.
- ``econ-env render --seed 0``: play one episode with a policy and print its transcript.
- ``econ-env run debate_v0 --episodes 20 -c groups=2 --render``: play episodes of any env with
  a policy and print a readable summary (accuracy, stop reasons, tokens per role, rewards).
- ``econ-env bench run|verify|sweep|suites`` and ``econ-env leaderboard build``: the benchmark
  (see :mod:`econ_env.bench.commands` and docs/leaderboard.md).
- ``econ-env envs``: list the registered environments.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any

from econ_env.cli_args import parse_key_values

DEMO_POLICIES = ("silent", "random", "truthful", "round_robin", "always")

COMMAND_MODULES = (
    "econ_env.bench.commands",  # bench, leaderboard
    "econ_env.models.commands",  # models
    "econ_env.llm.cache_commands",  # cache
    "econ_env.llm.calibrate_commands",  # calibrate
)
"""Modules that add sub-commands: each has ``add_commands(sub) -> list[str]`` (the command
names it added) and ``run_command(args) -> int``."""


def _parse_overrides(items: Sequence[str]) -> dict[str, Any]:
    try:
        return parse_key_values(items, "config override")
    except ValueError as err:
        raise SystemExit(f"econ-env: {err}") from None


def _policy_factory(spec: str, env_fn: Any) -> Any:
    from econ_env_baselines import policies_for

    table = policies_for(env_fn())
    if spec in table:
        return lambda env, seed: table[spec](env, seed=seed)
    module, sep, attr = spec.partition(":")
    if not sep:
        raise SystemExit(
            f"econ-env: unknown policy {spec!r}; a baseline {sorted(table)} or module:Class"
        )
    cls = getattr(importlib.import_module(module), attr)
    return lambda env, seed: cls(env, seed=seed)


def _env_fn(env_name: str, overrides: dict[str, Any]) -> Any:
    from econ_env.registration import ENV_IDS

    names = sorted(m.rsplit(".", 1)[1] for m in ENV_IDS.values())
    if env_name not in names:
        raise SystemExit(f"econ-env: unknown environment {env_name!r}; one of {names}")
    module = importlib.import_module(f"econ_env.{env_name}")
    try:
        unused = [module.env(**overrides)]  # bad config fails here, before any episode
    except ValueError as err:
        raise SystemExit(f"econ-env: {err}") from None
    # the checked env is the first one handed out (a real model is not loaded twice)
    return lambda: unused.pop() if unused else module.env(**overrides)


def cmd_eval(args: argparse.Namespace, policies: Sequence[str]) -> int:
    from econ_env.bench.evaluate import evaluate, format_table

    overrides = _parse_overrides(args.config)
    env_fn = _env_fn(args.env, overrides)
    results = [
        evaluate(
            env_fn,
            _policy_factory(p, env_fn),
            name=p,
            episodes=args.episodes,
            seed=args.seed,
            progress=not args.no_progress,
        )
        for p in policies
    ]
    desc = ", ".join(f"{k}={v}" for k, v in overrides.items()) or "defaults"
    print(f"\n{args.env} ({desc}); {args.episodes} episodes per policy, seeds {args.seed}..")
    print(format_table(results))
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    overrides = _parse_overrides(args.config)
    env_fn = _env_fn(args.env, {**overrides, "render_mode": "ansi"})
    env = env_fn()
    policy = _policy_factory(args.policy or _default_policy(args.env), env_fn)(env, args.seed)
    env.reset(seed=args.seed)
    for agent in env.agent_iter():
        obs, _, term, trunc, _ = env.last()
        env.step(None if term or trunc else policy.act(obs, agent))
    print(env.unwrapped.render())
    return 0


def _default_policy(env_name: str) -> str:
    return "neutral" if env_name.startswith("debate") else "truthful"


def cmd_run(args: argparse.Namespace) -> int:
    from econ_env.bench.summary import run_episodes

    overrides = _parse_overrides(args.config)
    if args.render:
        overrides["render_mode"] = "ansi"
    env_fn = _env_fn(args.env_name, overrides)
    env = env_fn()
    name = args.policy or _default_policy(args.env_name)
    policy = _policy_factory(name, env_fn)(env, args.seed)

    def show_first(e: Any, ep: int) -> None:
        if args.render and ep == 0:
            print(e.unwrapped.render())

    summary = run_episodes(
        env, policy, policy_name=name, episodes=args.episodes, seed=args.seed, on_episode=show_first
    )
    print(summary.format())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    parser = argparse.ArgumentParser(prog="econ-env", description="econ-env command line")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--env", default="auction_v0", help="environment (default auction_v0)")
        p.add_argument(
            "-c",
            "--config",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="config override, repeatable (e.g. -c mechanism=vcg)",
        )
        p.add_argument("--seed", type=int, default=0, help="first episode seed")

    demo = sub.add_parser("demo", help="evaluate the built-in policies on auction_v0")
    common(demo)
    demo.add_argument("--episodes", type=int, default=500)
    demo.add_argument("--no-progress", action="store_true")
    ev = sub.add_parser("eval", help="evaluate chosen policies")
    common(ev)
    ev.add_argument(
        "--policy",
        action="append",
        required=True,
        help="baseline name or module:Class (repeatable)",
    )
    ev.add_argument("--episodes", type=int, default=100)
    ev.add_argument("--no-progress", action="store_true")
    rd = sub.add_parser("render", help="play one episode and print its transcript")
    common(rd)
    rd.add_argument("--policy", default=None, help="baseline (default: truthful / neutral)")
    run = sub.add_parser("run", help="play episodes of an env and print a readable summary")
    run.add_argument("env_name", help="auction_v0 or debate_v0")
    run.add_argument("-c", "--config", action="append", default=[], metavar="KEY=VALUE")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--episodes", type=int, default=20)
    run.add_argument("--policy", default=None, help="baseline name or module:Class")
    run.add_argument("--render", action="store_true", help="print the first episode's transcript")
    sub.add_parser("envs", help="list registered environments")
    handlers = {}
    for module_name in COMMAND_MODULES:
        module = importlib.import_module(module_name)
        for name in module.add_commands(sub):
            handlers[name] = module.run_command

    args = parser.parse_args(argv)
    if args.command == "demo":
        return cmd_eval(args, DEMO_POLICIES)
    if args.command == "eval":
        return cmd_eval(args, args.policy)
    if args.command == "render":
        return cmd_render(args)
    if args.command == "run":
        return cmd_run(args)
    if args.command in handlers:
        return handlers[args.command](args)
    import econ_env.registration as reg

    for env_id in reg.ENV_IDS:
        print(env_id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
