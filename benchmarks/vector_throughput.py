"""Agent-steps per second of the batched torch envs (``econ_env.vector``) against the text envs.

An agent-step is one agent's action: one ``step`` of a batched env is one round of every agent of
every env, so it is ``num_envs * n_agents`` agent-steps. Each batched env (``--games``, default
auction_v0 and debate_v0, their default configs on the simulated backend) is stepped with random
valid actions pre-generated on its device (a pool of ``--pool`` action tensors, cycled; continuous
actions uniform in [-1, 1], discrete ones a uniform draw among the mask's legal actions) with
autoreset on, at each batch size of ``--batch-sizes`` and on each device of ``--device`` (CPU, and
CUDA when ``torch.cuda.is_available()``). In the same run the AEC text env of the same game
(``econ_env.auction_v0.env()``; ``econ_env.debate_v0.env(embedder="hashed")``) plays whole episodes
with random (masked) ``action_space.sample`` actions through
:func:`econ_env.core.rollout.play_episode`, as ``benchmarks/env_throughput.py`` does, counting
its actions (agent-steps; dead steps are not actions). Every contender is measured for
``--seconds`` seconds per repeat, the repeats interleaved so that machine noise hits them alike;
the table gives the median agent-steps/s and the median of the per-repeat ratios batched / AEC.

    OMP_NUM_THREADS=1 python benchmarks/vector_throughput.py [--batch-sizes 1,16,256,4096,65536]
        [--device cpu,cuda] [--games auction_v0,debate_v0] [--seconds 1.0] [--repeats 5]
        [--action-type continuous|discrete] [--threads 1] [--json out.json]
        [--profile GAME:BATCH]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before torch is imported

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from env_throughput import _sampler, _seed_spaces

GAMES = ("auction_v0", "debate_v0")
DEFAULT_BATCHES = (1, 16, 256, 4096, 65536)
# the text envs' reference configs: debate_v0 with the hashed embedder (its default "auto" picks
# the MiniLM model when installed, ~100x slower per round and not what the batched twin models)
AEC_CONFIG: dict[str, dict[str, Any]] = {"auction_v0": {}, "debate_v0": {"embedder": "hashed"}}


# --------------------------------------------------------------------------- batched envs
def make_vec(game: str, num_envs: int, device: str, seed: int = 0, **config: Any) -> Any:
    """A batched env of ``econ_env.vector`` by registry name."""
    import econ_env.vector as V

    return V.make(game, num_envs=num_envs, device=device, seed=seed, **config)


@dataclass
class ActionPool:
    """Random valid actions for a batched env, generated on its device ahead of the timed loop.

    Continuous: ``pool`` tensors (num_envs, n_agents, act_dim) uniform in [-1, 1], cycled.
    Discrete: ``pool`` tensors of uniforms (num_envs, n_agents, K); the action of a step is the
    argmax of the uniforms over the legal actions of the step's mask (a uniform legal action).
    """

    tensors: list[torch.Tensor]
    discrete: bool
    i: int = 0

    @classmethod
    def for_env(cls, env: Any, pool: int, seed: int = 0) -> ActionPool:
        gen = torch.Generator(device=env.device).manual_seed(seed)
        n, b = env.n_agents, env.num_envs
        shape = (b, n, env.n_actions) if env.discrete else (b, n, env.act_dim)
        tensors = [
            torch.rand(shape, generator=gen, device=env.device) * (1.0 if env.discrete else 2.0)
            - (0.0 if env.discrete else 1.0)
            for _ in range(pool)
        ]
        return cls(tensors, bool(env.discrete))

    def next(self, mask: torch.Tensor | None) -> torch.Tensor:
        t = self.tensors[self.i]
        self.i = (self.i + 1) % len(self.tensors)
        if not self.discrete:
            return t
        return t.masked_fill(~mask, -1.0).argmax(-1) if mask is not None else t.argmax(-1)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def vec_agent_steps_per_second(env: Any, pool: ActionPool, seconds: float) -> float:
    """Step ``env`` with the pool's actions for about ``seconds`` s; agent-steps per second.

    On CUDA the time is read after a synchronize every ``check`` steps (doubling from 1 until a
    check spans ~1/20 of the budget), so queued kernels are counted when they ran."""
    mask = env.action_mask() if env.discrete else None
    per_step = env.num_envs * env.n_agents
    steps, check = 0, 1
    _sync(env.device)
    start = last = time.perf_counter()
    while True:
        for _ in range(check):
            _, _, _, _, info = env.step(pool.next(mask))
            if env.discrete:
                mask = info["action_mask"]
        steps += check
        _sync(env.device)
        now = time.perf_counter()
        if now - start >= seconds:
            return steps * per_step / (now - start)
        if (now - last) * 20 < seconds and check < 4096:
            check *= 2
        last = now


# --------------------------------------------------------------------------- text env reference
def aec_agent_steps_per_second(env: Any, seconds: float, seed: int) -> float:
    """Whole AEC episodes with random (masked) actions for about ``seconds`` s (the episode in
    progress is finished); actions (agent-steps) per second."""
    from econ_env.core.rollout import play_episode

    _seed_spaces(env, seed)
    act = _sampler(env)
    actions, episode = 0, 0
    start = time.perf_counter()
    while True:
        actions += play_episode(env, act, seed=seed * 100_003 + episode).actions
        episode += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return actions / elapsed


def make_aec(game: str, **config: Any) -> Any:
    import econ_env

    return econ_env.make(game, **{**AEC_CONFIG[game], **config})


# --------------------------------------------------------------------------- the run
@dataclass
class Row:
    game: str
    device: str
    batch: int
    n_agents: int
    agent_steps_per_s: float  # median over repeats
    env_steps_per_s: float  # median agent_steps_per_s / n_agents
    ratio_vs_aec: float | None  # median of per-repeat ratios against the AEC env
    samples: list[float] = field(default_factory=list)


def run(
    games: tuple[str, ...] = GAMES,
    batch_sizes: tuple[int, ...] = DEFAULT_BATCHES,
    devices: tuple[str, ...] = ("cpu",),
    seconds: float = 1.0,
    repeats: int = 5,
    pool: int = 8,
    config: dict[str, Any] | None = None,
    aec: bool = True,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Measure every (game, device, batch) and the AEC reference of each game, interleaved;
    returns ``{"rows": [...], "aec": {game: median}, "meta": {...}}`` (rows as dicts)."""
    config = dict(config or {})
    envs: dict[tuple[str, str, int], tuple[Any, ActionPool]] = {}
    for game in games:
        for dev in devices:
            for b in batch_sizes:
                env = make_vec(game, b, dev, seed=0, **config)
                env.reset(seed=0)
                envs[game, dev, b] = (env, ActionPool.for_env(env, pool, seed=1))
    aec_envs = {g: make_aec(g, **config) for g in games} if aec else {}
    # warm up: imports, allocator, first-episode caches, CUDA kernels
    for env in aec_envs.values():
        aec_agent_steps_per_second(env, 0.05, seed=0)
    for env, p in envs.values():
        vec_agent_steps_per_second(env, p, min(0.05, seconds))
    samples: dict[tuple[str, str, int], list[float]] = {k: [] for k in envs}
    aec_samples: dict[str, list[float]] = {g: [] for g in aec_envs}
    for rep in range(repeats):
        for g in games:
            if g in aec_envs:
                aec_samples[g].append(
                    aec_agent_steps_per_second(aec_envs[g], seconds, seed=rep + 1)
                )
            for (game, dev, b), (env, p) in envs.items():
                if game == g:
                    samples[game, dev, b].append(vec_agent_steps_per_second(env, p, seconds))
        log(f"repeat {rep + 1}/{repeats} done")
    rows = []
    for (game, dev, b), values in samples.items():
        env = envs[game, dev, b][0]
        ref = aec_samples.get(game)
        ratio = statistics.median(v / r for v, r in zip(values, ref, strict=True)) if ref else None
        med = statistics.median(values)
        rows.append(Row(game, dev, b, env.n_agents, med, med / env.n_agents, ratio, values))
    return {
        "rows": [asdict(r) for r in rows],
        "aec": {g: statistics.median(v) for g, v in aec_samples.items()},
        "aec_samples": aec_samples,
        "meta": {
            "seconds": seconds,
            "repeats": repeats,
            "pool": pool,
            "config": config,
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
            "cpus": os.cpu_count(),
            "machine": platform.machine(),
            "python": platform.python_version(),
            "cuda": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
        },
    }


def format_table(result: dict[str, Any]) -> str:
    lines = [
        f"{'game':<11} {'device':<7} {'batch':>8} {'agent-steps/s':>15} {'env-steps/s':>13} "
        f"{'vs AEC':>9}"
    ]
    for g, v in result["aec"].items():
        lines.append(f"{g:<11} {'AEC':<7} {'1':>8} {v:>15,.0f} {'':>13} {1.0:>9.2f}")
    for r in result["rows"]:
        ratio = "" if r["ratio_vs_aec"] is None else f"{r['ratio_vs_aec']:.1f}"
        lines.append(
            f"{r['game']:<11} {r['device']:<7} {r['batch']:>8} {r['agent_steps_per_s']:>15,.0f} "
            f"{r['env_steps_per_s']:>13,.0f} {ratio:>9}"
        )
    m = result["meta"]
    lines.append(
        f"(median of {m['repeats']} interleaved repeats of {m['seconds']} s each; "
        f"vs AEC = median of per-repeat ratios against the game's AEC text env; "
        f"torch {m['torch']}, {m['threads']} thread(s), {m['cpus']} CPUs"
        + (f", {m['cuda']}" if m["cuda"] else "")
        + ")"
    )
    return "\n".join(lines)


def profile(game: str, batch: int, device: str, seconds: float, config: dict[str, Any]) -> str:
    """cProfile of stepping one batched env: the top functions by self time."""
    env = make_vec(game, batch, device, seed=0, **config)
    env.reset(seed=0)
    p = ActionPool.for_env(env, 8)
    vec_agent_steps_per_second(env, p, 0.1)
    prof = cProfile.Profile()
    prof.enable()
    rate = vec_agent_steps_per_second(env, p, seconds)
    prof.disable()
    out = io.StringIO()
    out.write(f"{game} batch {batch} on {device}: {rate:,.0f} agent-steps/s under cProfile\n")
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(25)
    # the same under torch.profiler: where the time goes by torch operator
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    activities = [ProfilerActivity.CPU]
    if env.device.type == "cuda":
        activities.append(ProfilerActivity.CUDA)
    with torch_profile(activities=activities) as tp:
        vec_agent_steps_per_second(env, p, min(seconds, 1.0))
    key = "self_cuda_time_total" if env.device.type == "cuda" else "self_cpu_time_total"
    out.write(tp.key_averages().table(sort_by=key, row_limit=25))
    return out.getvalue()


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split(",") if x)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", type=_ints, default=DEFAULT_BATCHES)
    parser.add_argument(
        "--device",
        default=None,
        help="comma-separated devices (default: cpu, plus cuda when available)",
    )
    parser.add_argument("--games", default=",".join(GAMES))
    parser.add_argument("--seconds", type=float, default=1.0, help="per measurement")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved repeats")
    parser.add_argument("--pool", type=int, default=8, help="pre-generated action tensors")
    parser.add_argument("--action-type", choices=("continuous", "discrete"), default=None)
    parser.add_argument("--no-aec", action="store_true", help="leave out the AEC reference")
    parser.add_argument(
        "--threads",
        type=int,
        default=int(os.environ.get("OMP_NUM_THREADS", "1")),
        help="torch intra-op threads (default: OMP_NUM_THREADS, else 1)",
    )
    parser.add_argument("--json", default=None, help="also write the results to this file")
    parser.add_argument(
        "--profile", default=None, metavar="GAME:BATCH", help="cProfile one batched env after"
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    devices = (
        tuple(args.device.split(","))
        if args.device
        else ("cpu", "cuda")
        if torch.cuda.is_available()
        else ("cpu",)
    )
    config = {"action_type": args.action_type} if args.action_type else {}
    result = run(
        tuple(args.games.split(",")),
        args.batch_sizes,
        devices,
        args.seconds,
        args.repeats,
        args.pool,
        config,
        aec=not args.no_aec,
        log=lambda s: print(s, file=sys.stderr, flush=True),
    )
    print(format_table(result))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=2))
    if args.profile:
        game, batch = args.profile.split(":")
        print(profile(game, int(batch), devices[0], max(args.seconds, 2.0), config))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
