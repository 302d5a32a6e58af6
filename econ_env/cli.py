"""The ``econ-env`` command line.

- ``econ-env demo``: evaluate the built-in policies on auction_v0 and print a table of accuracy,
  billed tokens and generated tokens per policy.
- ``econ-env eval --policy truthful --policy silent --episodes 200 -c mechanism=vcg``: the same
  for chosen policies (registered names or ``module:Class``) and config overrides.
- ``econ-env render --seed 0``: play one episode with a policy and print its transcript.
- ``econ-env run debate_v0 --episodes 20 -c groups=2 --render``: play episodes of any env with
  a policy and print a readable summary (accuracy, stop reasons, tokens per role, rewards).
- ``econ-env bench run|verify|sweep|suites`` and ``econ-env leaderboard build``: the benchmark
  (see :mod:`econ_env.bench.commands` and docs/leaderboard.md).
- ``econ-env envs``: list the registered environments (what each is, its ids and policies).

Environments come from :mod:`econ_env.registry` and policies from :mod:`econ_env.policies`
(built from the env's public :class:`~econ_env.core.spec.EnvSpec`, never from the env); every
episode is played by :func:`econ_env.core.rollout.play_episode`.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from econ_env.cli_args import parse_key_values
from econ_env.core.rollout import play_episode
from econ_env.core.spec import EnvSpec
from econ_env.policies import list_policies, make_policy, policy_factory
from econ_env.registry import env_info, list_envs, make

DEFAULT_ENV = "auction_v0"
DEMO_POLICIES = ("silent", "random", "truthful", "round_robin", "always")
"""The policies ``econ-env demo`` compares, in table order (an env that lacks one of them gets
all its registered policies)."""

COMMAND_MODULES = (
    "econ_env.bench.commands",  # bench, leaderboard
    "econ_env.models.commands",  # models
    "econ_env.llm.cache_commands",  # cache
    "econ_env.calibration.commands",  # calibrate
)
"""Modules that add sub-commands: each has ``add_commands(sub) -> list[str]`` (the command
names it added) and ``run_command(args) -> int``."""


def _parse_overrides(items: Sequence[str]) -> dict[str, Any]:
    try:
        return parse_key_values(items, "config override")
    except ValueError as err:
        raise SystemExit(f"econ-env: {err}") from None


def _policy_fn(name: str, env_name: str) -> Callable[[EnvSpec, int], Any]:
    """``policy_fn(spec, seed)`` building policy ``name`` (registered for ``env_name``, or
    ``module:Class``) from the env's public spec; an unknown name exits, listing the registered
    ones."""
    try:
        policy_factory(name, env_name)  # unknown names fail here, naming the registered ones
    except ValueError as err:
        raise SystemExit(f"econ-env: {err}") from None
    return lambda spec, seed: make_policy(name, spec, seed=seed)


def _env_fn(env_name: str, overrides: dict[str, Any]) -> Callable[[], Any]:
    try:  # an unknown name or a bad config fails here, before any episode
        unused = [make(env_name, **overrides)]
    except ValueError as err:
        raise SystemExit(f"econ-env: {err}") from None
    # the checked env is the first one handed out (a real model is not loaded twice)
    return lambda: unused.pop() if unused else make(env_name, **overrides)


def cmd_eval(args: argparse.Namespace, policies: Sequence[str]) -> int:
    from econ_env.bench.evaluate import evaluate, format_table

    overrides = _parse_overrides(args.config)
    env_fn = _env_fn(args.env, overrides)
    policy_fns = {p: _policy_fn(p, args.env) for p in policies}  # every name checked first
    results = [
        evaluate(
            env_fn,
            policy_fns[p],
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


def _demo_policies(env_name: str) -> Sequence[str]:
    registered = list_policies(env_name)
    return DEMO_POLICIES if set(DEMO_POLICIES) <= set(registered) else registered


def cmd_render(args: argparse.Namespace) -> int:
    overrides = _parse_overrides(args.config)
    env_fn = _env_fn(args.env, {**overrides, "render_mode": "ansi"})
    policy_fn = _policy_fn(args.policy or env_info(args.env).default_policy, args.env)
    env = env_fn()
    policy = policy_fn(env.unwrapped.env_spec, args.seed)
    play_episode(env, policy.act, seed=args.seed)
    print(env.unwrapped.render())
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from econ_env.bench.summary import run_episodes

    overrides = _parse_overrides(args.config)
    if args.render:
        overrides["render_mode"] = "ansi"
    env_fn = _env_fn(args.env_name, overrides)
    name = args.policy or env_info(args.env_name).default_policy
    policy_fn = _policy_fn(name, args.env_name)
    env = env_fn()
    policy = policy_fn(env.unwrapped.env_spec, args.seed)

    def show_first(e: Any, ep: int) -> None:
        if args.render and ep == 0:
            print(e.unwrapped.render())

    summary = run_episodes(
        env, policy, policy_name=name, episodes=args.episodes, seed=args.seed, on_episode=show_first
    )
    print(summary.format())
    return 0


def cmd_envs() -> int:
    """Print every registered environment: what it is, its ids and its policies."""
    for name in list_envs():
        info = env_info(name)
        doc = inspect.getdoc(importlib.import_module(info.doc_module)) or name
        what = doc.splitlines()[0].strip()
        what = what.split(":", 1)[1].strip() if what.startswith(f"{name}:") else what
        policies = ", ".join(list_policies(name))
        print(f"{name}: {what}")
        print(f"  PettingZoo id {info.pettingzoo_id} (AEC and parallel), Gymnasium id "
              f"{info.gymnasium_id} (one learner seat)")  # fmt: skip
        print(f"  policies: {policies} (default {info.default_policy})")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    parser = argparse.ArgumentParser(prog="econ-env", description="econ-env command line")
    sub = parser.add_subparsers(dest="command", required=True)
    envs = "environment: " + ", ".join(list_envs())

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--env", default=DEFAULT_ENV, help=f"{envs} (default {DEFAULT_ENV})", metavar="ENV"
        )
        p.add_argument(
            "-c",
            "--config",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="config override, repeatable (e.g. -c mechanism=vcg)",
        )
        p.add_argument("--seed", type=int, default=0, help="first episode seed")

    demo = sub.add_parser("demo", help=f"evaluate the built-in policies on {DEFAULT_ENV}")
    common(demo)
    demo.add_argument("--episodes", type=int, default=500)
    demo.add_argument("--no-progress", action="store_true")
    ev = sub.add_parser("eval", help="evaluate chosen policies")
    common(ev)
    ev.add_argument(
        "--policy",
        action="append",
        required=True,
        help="registered policy name or module:Class (repeatable)",
    )
    ev.add_argument("--episodes", type=int, default=100)
    ev.add_argument("--no-progress", action="store_true")
    rd = sub.add_parser("render", help="play one episode and print its transcript")
    common(rd)
    rd.add_argument(
        "--policy", default=None, help="policy name or module:Class (default: the env's default)"
    )
    run = sub.add_parser("run", help="play episodes of an env and print a readable summary")
    run.add_argument("env_name", help=envs, metavar="ENV")
    run.add_argument("-c", "--config", action="append", default=[], metavar="KEY=VALUE")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--episodes", type=int, default=20)
    run.add_argument("--policy", default=None, help="policy name or module:Class")
    run.add_argument("--render", action="store_true", help="print the first episode's transcript")
    sub.add_parser("envs", help="list registered environments")
    handlers = {}
    for module_name in COMMAND_MODULES:
        module = importlib.import_module(module_name)
        for name in module.add_commands(sub):
            handlers[name] = module.run_command

    args = parser.parse_args(argv)
    if args.command == "demo":
        return cmd_eval(args, _demo_policies(args.env))
    if args.command == "eval":
        return cmd_eval(args, args.policy)
    if args.command == "render":
        return cmd_render(args)
    if args.command == "run":
        return cmd_run(args)
    if args.command in handlers:
        return handlers[args.command](args)
    return cmd_envs()


if __name__ == "__main__":
    sys.exit(main())
