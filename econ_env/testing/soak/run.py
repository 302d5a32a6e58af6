"""The soak run: :func:`run_soak` plays many checked episodes of one env into a
:class:`SoakReport`; :func:`main` is ``python -m econ_env.testing.soak``, a table of rates."""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from econ_env.registry import env_info, list_envs
from econ_env.testing.soak.checks import CORE, INFO_CONTRACT
from econ_env.testing.soak.configs import (
    DEFAULT_EPISODES,
    EPISODES_VAR,
    configs_for,
    default_episodes,
)
from econ_env.testing.soak.episode import _play

DESCRIPTION = (
    "Soak: many seeded random episodes of every env through the native parallel API, with the"
)
"""``--help``'s description: the first line of :mod:`econ_env.testing.soak`'s docstring."""


@dataclass
class Failure:
    """Every occurrence of one failing check: how many, and the first few with replays."""

    contract: str
    check: str
    count: int = 0
    examples: list[str] = field(default_factory=list)


@dataclass
class SoakReport:
    """What :func:`run_soak` saw: ``seconds`` is the time spent playing and checking episodes
    (resets included), ``build_seconds`` the time spent building the envs (first imports
    included)."""

    env: str
    episodes: int = 0
    steps: int = 0
    seconds: float = 0.0
    build_seconds: float = 0.0
    configs: int = 0
    ended_at_reset: int = 0
    stop_reasons: Counter[str] = field(default_factory=Counter)
    failures: dict[tuple[str, str], Failure] = field(default_factory=dict)
    info_contract: bool = True

    @property
    def episodes_per_s(self) -> float:
        return self.episodes / self.seconds if self.seconds > 0 else float("inf")

    def failed(self, contract: str | None = None) -> list[Failure]:
        """The failing checks (of ``contract`` when given)."""
        return [f for f in self.failures.values() if contract in (None, f.contract)]

    def describe(self, contract: str | None = None) -> str:
        """The failing checks with their first occurrences and how to replay them."""
        lines = []
        for f in self.failed(contract):
            lines.append(f"[{f.contract}] {f.check}: {f.count} time(s), e.g.")
            lines += [f"    {ex}" for ex in f.examples]
        return "\n".join(lines) or "no failures"

    def row(self) -> str:
        core, info = len(self.failed(CORE)), len(self.failed(INFO_CONTRACT))
        info_s = f"{info:>15}" if self.info_contract else f"{'off':>15}"
        return (
            f"{self.env:<12}{self.configs:>8}{self.episodes:>10}{self.steps:>9}"
            f"{self.ended_at_reset:>10}{self.build_seconds:>8.1f}{self.seconds:>9.1f}"
            f"{self.episodes_per_s:>12.1f}"
            f"{core:>6}{info_s}"
        )


HEADER = (
    f"{'env':<12}{'configs':>8}{'episodes':>10}{'steps':>9}{'at_reset':>10}{'build_s':>8}{'play_s':>9}"
    f"{'episodes/s':>12}{'core':>6}{'info_contract':>15}"
)


def run_soak(
    name: str,
    episodes: int | None = None,
    *,
    seed: int = 0,
    configs: Iterable[Mapping[str, Any]] | None = None,
    make: Callable[..., Any] | None = None,
    info_contract: bool = True,
    max_examples: int = 3,
) -> SoakReport:
    """Play ``episodes`` (default :func:`default_episodes`) checked episodes of env ``name``.

    Episode ``i`` plays config ``i % len(configs)`` (default :func:`configs_for`) with seed
    ``seed + i``; each config's env (``make``, default the registry's native parallel env) is
    built once. Nothing is raised for a violation: it is counted in the report, with the first
    ``max_examples`` occurrences of each check and the ``soak_episode`` call replaying each.
    """
    n = default_episodes() if episodes is None else int(episodes)
    cfgs = [dict(c) for c in (configs_for(name, seed) if configs is None else configs)]
    if not cfgs:
        raise ValueError("configs must hold at least one config")
    factory = make or env_info(name).parallel_env
    report = SoakReport(name, configs=min(len(cfgs), n), info_contract=info_contract)
    for c, cfg in enumerate(cfgs[:n]):
        start = time.perf_counter()
        env = factory(**cfg)
        report.build_seconds += time.perf_counter() - start
        start = time.perf_counter()
        for i in range(c, n, len(cfgs)):
            s = seed + i
            steps, problems, stop = _play(env, s, info_contract=info_contract)
            report.episodes += 1
            report.steps += steps
            report.ended_at_reset += steps == 0
            report.stop_reasons[str(stop)] += 1
            for contract, check, detail in problems:
                f = report.failures.setdefault((contract, check), Failure(contract, check))
                f.count += 1
                if len(f.examples) < max_examples:
                    f.examples.append(f"{detail}  -- soak_episode({name!r}, {cfg!r}, seed={s})")
        env.close()
        report.seconds += time.perf_counter() - start
    return report


def main(argv: list[str] | None = None) -> int:
    """``python -m econ_env.testing.soak``: soak every env and print a table of rates."""
    parser = argparse.ArgumentParser(
        prog="python -m econ_env.testing.soak", description=DESCRIPTION
    )
    parser.add_argument("envs", nargs="*", help=f"envs (default: all of {list_envs()})")
    parser.add_argument(
        "--episodes",
        type=int,
        default=None,
        help=f"episodes per env (default ${EPISODES_VAR} or {DEFAULT_EPISODES})",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the configs and episodes")
    parser.add_argument(
        "--no-info-contract", action="store_true", help="check the core invariants only"
    )
    args = parser.parse_args(argv)
    reports = []
    print(HEADER, flush=True)
    for name in args.envs or list_envs():
        report = run_soak(
            name, args.episodes, seed=args.seed, info_contract=not args.no_info_contract
        )
        reports.append(report)
        print(report.row(), flush=True)
    total = sum(r.seconds + r.build_seconds for r in reports)
    print(f"total {total:.1f}s (episodes/s = episodes / play_s; build_s: building the envs)")
    failed = [r for r in reports if r.failures]
    for r in failed:
        print(f"\n{r.env}:\n{r.describe()}")
    return 1 if failed else 0
