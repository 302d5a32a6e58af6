"""Throughput of econ-env's environments in one run: AEC turns per second against PettingZoo's
tictactoe_v3, and rounds per second of the native parallel envs against the AEC env and
PettingZoo's ``aec_to_parallel`` conversion of it.

Every AEC episode is played by :func:`econ_env.core.rollout.play_episode` (the loop the CLI, the
benchmark runner and the shipped checks use) with random masked ``action_space.sample``
actions; the rounds of all contenders are interleaved so that machine noise hits them alike.
Prints turns/s of each AEC env and the median ratio auction_v0 / tictactoe_v3 (target >= 1.0);
then, on full-length episodes (``econ_env.env_info(name).full_length_config``: every episode
plays ``max_rounds`` rounds), rounds/s of ``econ_env.make_parallel(name)`` (native, one
``step`` per round), of the AEC env ``econ_env.make(name)`` (one turn per agent, plus the dead
steps) and of ``aec_to_parallel(econ_env.make(name))``, with the median ratios against the AEC
env; and, with ``--profile``, where auction_v0's time goes.

    OMP_NUM_THREADS=1 python benchmarks/env_throughput.py [--turns 20000] [--rounds 2000]
        [--repeats 5] [--skip-minilm] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import time
from collections.abc import Callable
from typing import Any


def _sampler(env: Any) -> Callable[[Any, str], Any]:
    """``act(obs, agent)``: a random action of the agent's space (masked when the obs has one)."""

    def act(obs: Any, agent: str) -> Any:
        mask = obs.get("action_mask") if isinstance(obs, dict) else None
        return env.action_space(agent).sample(mask)

    return act


def _seed_spaces(env: Any, seed: int) -> None:
    for i, a in enumerate(env.possible_agents):
        env.action_space(a).seed(seed + i)


def turns_per_second(make_env: Callable[[], Any], turns: int, seed: int) -> float:
    """Play ``turns`` AEC turns (dead steps included) with random (masked) actions, episode
    after episode (seeds ``seed, seed + 1, ...``); return turns per second."""
    from econ_env.core.rollout import play_episode

    env = make_env()
    _seed_spaces(env, seed)
    act = _sampler(env)
    done = 0

    def count(*_: Any) -> None:
        nonlocal done
        done += 1

    episode = 0
    start = time.perf_counter()
    while done < turns:
        play_episode(env, act, seed=seed + episode, observe=count, max_steps=turns - done)
        episode += 1
    return done / (time.perf_counter() - start)


def aec_rounds_per_second(make_env: Callable[[], Any], episodes: int, seed: int) -> float:
    """Rounds per second of whole AEC episodes (a round: one turn of every live agent)."""
    from econ_env.core.rollout import play_episode

    env = make_env()
    _seed_spaces(env, seed)
    act = _sampler(env)
    rounds = 0.0
    start = time.perf_counter()
    for ep in range(episodes):
        rounds += play_episode(env, act, seed=seed + ep).actions / len(env.possible_agents)
    return rounds / (time.perf_counter() - start)


def parallel_rounds_per_second(make_env: Callable[[], Any], episodes: int, seed: int) -> float:
    """Rounds per second of whole episodes of a PettingZoo parallel env (a round: one step)."""
    env = make_env()
    _seed_spaces(env, seed)
    act = _sampler(env)
    rounds = 0
    start = time.perf_counter()
    for ep in range(episodes):
        obs, _ = env.reset(seed=seed + ep)
        while env.agents:
            obs, *_ = env.step({a: act(obs[a], a) for a in env.agents})
            rounds += 1
    return rounds / (time.perf_counter() - start)


COMPONENTS = (
    ("econ_env/llm/", "simulated backend (econ_env.llm)"),
    ("econ_env/tasks/answers", "answer extraction (econ_env.tasks.answers)"),
    ("econ_env/tasks/", "task sampling (econ_env.tasks)"),
    ("reasoning_gym", "task sampling (reasoning-gym)"),
    ("econ_env/core/rollout", "play_episode (econ_env.core.rollout)"),
    ("econ_env/core/", "ledger / transcript / beliefs (econ_env.core)"),
    ("econ_env/envs/auction/mechanism", "auction mechanism"),
    ("econ_env/envs/auction/", "auction_v0 env + game"),
    ("gymnasium/spaces", "benchmark's action sampling (gymnasium)"),
    ("gymnasium/utils/seeding", "reset seeding (gymnasium)"),
    ("pettingzoo/", "PettingZoo wrappers and agent_iter"),
    ("numpy", "numpy"),
)


def component_shares(stats: pstats.Stats) -> dict[str, float]:
    """Share of self time per component (file-path prefix), the rest as 'builtins and other'."""
    totals: dict[str, float] = {}
    grand = 0.0
    for (filename, _, _), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        grand += tottime
        name = next((label for key, label in COMPONENTS if key in filename), "builtins and other")
        totals[name] = totals.get(name, 0.0) + tottime
    return {k: v / grand for k, v in totals.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=20_000, help="turns per AEC measurement")
    parser.add_argument(
        "--rounds", type=int, default=2_000, help="rounds per parallel-API measurement"
    )
    parser.add_argument("--repeats", type=int, default=5, help="interleaved measurements")
    parser.add_argument("--profile", action="store_true", help="profile auction_v0")
    parser.add_argument(
        "--skip-minilm", action="store_true", help="leave out debate_v0 with the MiniLM embedder"
    )
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # before torch is imported (MiniLM)

    import pettingzoo
    from pettingzoo.utils.conversions import aec_to_parallel

    import econ_env

    contenders = {
        "auction_v0": lambda: econ_env.make("auction_v0"),
        "auction_v0 (discrete, vcg)": lambda: econ_env.make(
            "auction_v0", action_type="discrete", mechanism="vcg", top_k=2
        ),
        # bundled GSM8K items cost ~2 us to sample vs ~50 us for a reasoning-gym item
        "auction_v0 (bundled gsm8k)": lambda: econ_env.make("auction_v0", task="gsm8k"),
        "debate_v0 (hashed embedder)": lambda: econ_env.make("debate_v0", embedder="hashed"),
        "tictactoe_v3": lambda: pettingzoo.make("aec", "classic/tictactoe_v3"),
    }
    # a real sentence-embedding model is ~100x slower per round: measured on fewer turns
    turns = dict.fromkeys(contenders, args.turns)
    if not args.skip_minilm:
        contenders["debate_v0 (all-MiniLM-L6-v2)"] = lambda: econ_env.make(
            "debate_v0", embedder="minilm"
        )
        turns["debate_v0 (all-MiniLM-L6-v2)"] = max(args.turns // 50, 100)

    # the parallel API: the same full-length episodes through three doors, per env
    parallel: dict[str, dict[str, tuple[Callable[..., float], Callable[[], Any]]]] = {}
    episodes: dict[str, int] = {}
    for name, config in (("auction_v0", {}), ("debate_v0", {"embedder": "hashed"})):
        cfg = {**config, **econ_env.env_info(name).full_length_config}
        rounds_per_episode = econ_env.env_spec(name, **cfg).config["max_rounds"]
        episodes[name] = max(1, args.rounds // rounds_per_episode)
        parallel[name] = {
            "AEC env (make)": (aec_rounds_per_second, lambda n=name, c=cfg: econ_env.make(n, **c)),
            "native parallel_env (make_parallel)": (
                parallel_rounds_per_second,
                lambda n=name, c=cfg: econ_env.make_parallel(n, **c),
            ),
            "aec_to_parallel(AEC env)": (
                parallel_rounds_per_second,
                lambda n=name, c=cfg: aec_to_parallel(econ_env.make(n, **c)),
            ),
        }

    for make in contenders.values():  # warm up imports, model loads and caches
        turns_per_second(make, 100, seed=0)
    for doors in parallel.values():
        for measure, make in doors.values():
            measure(make, 2, seed=0)
    rates: dict[str, list[float]] = {k: [] for k in contenders}
    round_rates = {(n, d): [] for n, doors in parallel.items() for d in doors}
    for rep in range(args.repeats):
        for name, make in contenders.items():
            rates[name].append(turns_per_second(make, turns[name], seed=rep))
        for name, doors in parallel.items():
            for door, (measure, make) in doors.items():
                round_rates[name, door].append(measure(make, episodes[name], seed=rep))

    ref = rates["tictactoe_v3"]
    print(f"{'environment':<28} {'median turns/s':>15} {'ratio vs tictactoe_v3':>22}")
    for name, values in rates.items():
        ratios = [v / r for v, r in zip(values, ref, strict=False)]
        print(f"{name:<28} {statistics.median(values):>15,.0f} {statistics.median(ratios):>22.2f}")
    print(
        f"({args.repeats} interleaved repeats of {args.turns} turns; "
        "ratio = median of per-repeat ratios)"
    )
    print(
        f"\n{'parallel API, full-length episodes':<48} {'median rounds/s':>15} "
        f"{'ratio vs AEC env':>17}"
    )
    for name, doors in parallel.items():
        aec = round_rates[name, "AEC env (make)"]
        for door in doors:
            values = round_rates[name, door]
            ratios = [v / r for v, r in zip(values, aec, strict=False)]
            label = f"{name} {door}"
            print(
                f"{label:<48} {statistics.median(values):>15,.0f} "
                f"{statistics.median(ratios):>17.2f}"
            )
    print(
        f"({args.repeats} interleaved repeats of {args.rounds} rounds per env and door; "
        "ratio = median of per-repeat ratios)"
    )

    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        turns_per_second(contenders["auction_v0"], args.turns, seed=123)
        prof.disable()
        stats = pstats.Stats(prof)
        print("\nwhere auction_v0's time goes (self time under cProfile, by component):")
        shares = component_shares(stats)
        for name, share in sorted(shares.items(), key=lambda kv: -kv[1]):
            print(f"  {name:<44} {100 * share:5.1f}%")
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(12)
        print(out.getvalue())


if __name__ == "__main__":
    main()
