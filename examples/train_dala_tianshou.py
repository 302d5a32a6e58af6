"""Train the DALA MAPPO bidder on auction_v0 with Tianshou (CleanRL-style single file).

    python examples/train_dala_tianshou.py --updates 40 --cost-weight 1.0 --device auto

A shared bid actor and a centralised value-density critic (``econ_env_agents.dala.mappo``) learn by
PPO through Tianshou 2.0.1's algorithm classes, Collector and buffers, over the adapter
``econ_env.integrations.tianshou.TianshouAECEnv`` (per-agent reward credit, dead steps, global
state, action clipping). The env uses the seeded ``simulated`` backend. Every ``--eval-every``
updates the deterministic policy plays the fixed evaluation seeds and the script prints
accuracy, team return and tokens (billed / generated) next to the random bidder's; TensorBoard
scalars go to ``runs/<run-name>`` and safetensors checkpoints to ``<run-dir>/checkpoints``.
``--agent alpha`` trains DALA's α-REINFORCE bidder (``econ_env_agents.dala.alpha``) instead.
"""

from __future__ import annotations

import dataclasses
import os
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.utils.tensorboard import SummaryWriter
from tqdm import tqdm

from econ_env import auction_v0, make_policy
from econ_env.bench.evaluate import evaluate
from econ_env.cli_args import parse_dataclass_args
from econ_env_agents.dala.mappo import DalaMAPPOAgent, MAPPOConfig, train_mappo


@dataclass(frozen=True)
class Args:
    agent: str = "mappo"
    """which DALA agent to train: ``mappo`` (value-density critic) or ``alpha`` (α-REINFORCE)"""
    updates: int = 40
    """PPO updates (each collects ``episodes_per_update`` episodes, then learns)"""
    episodes_per_update: int = 48
    """complete episodes collected per update"""
    n_envs: int = 4
    """envs collected in parallel"""
    lr: float = 1e-2
    """Adam learning rate"""
    cost_weight: float = 3.0
    """λ, the token-cost weight of the team reward (high λ makes speaking expensive)"""
    n_agents: int = 3
    """bidders"""
    mechanism: str = "second_price"
    """auction mechanism of auction_v0"""
    eval_every: int = 10
    """evaluate every this many updates (and after the last one)"""
    eval_episodes: int = 100
    """episodes per evaluation, seeds ``eval_seed .. eval_seed + eval_episodes - 1``"""
    eval_seed: int = 10_000
    """first fixed evaluation seed (disjoint from training seeds)"""
    seed: int = 0
    """seed of weights, sampling and training envs"""
    device: str = "auto"
    """auto | cpu | cuda"""
    run_dir: str = "runs"
    """TensorBoard and checkpoint root"""
    run_name: str = ""
    """run sub-directory (default: dala_<agent>_<seed>_<time>)"""
    threads: int = 1
    """torch threads (1 is fastest for these small networks on a shared machine)"""

    def __post_init__(self) -> None:
        if self.agent not in ("mappo", "alpha"):
            raise ValueError(f"agent must be 'mappo' or 'alpha', got {self.agent!r}")
        if self.device not in ("auto", "cpu", "cuda") and not self.device.startswith("cuda:"):
            raise ValueError(f"device must be auto, cpu or cuda, got {self.device!r}")
        for name in ("updates", "episodes_per_update", "n_envs", "eval_every", "eval_episodes"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")


def parse_args(argv: list[str] | None = None) -> Args:
    """CleanRL-style flags from the fields of :class:`Args` (their docstrings are the help)."""
    return parse_dataclass_args(Args, argv, description=__doc__.split("\n\n")[0])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    name = args.run_name or f"dala_{args.agent}_{args.seed}_{int(time.time())}"
    run = Path(args.run_dir) / name
    ckpt_dir = run / "checkpoints"
    writer = SummaryWriter(str(run))
    writer.add_text("args", str(dataclasses.asdict(args)))
    env_kw = {"cost_weight": args.cost_weight, "n_agents": args.n_agents}
    env_kw["mechanism"] = args.mechanism

    def env_fn():
        return auction_v0.env(**env_kw)

    def run_eval(policy_fn, label: str, step: int) -> None:
        r = evaluate(env_fn, policy_fn, name=label, episodes=args.eval_episodes,
                     seed=args.eval_seed, progress=False)  # fmt: skip
        tqdm.write(
            f"[eval {label} @ {step}] accuracy {r.accuracy:.3f} return {r.mean_return:.3f} "
            f"tokens billed {r.billed_tokens:.1f} generated {r.generated_tokens:.1f}"
        )
        for key in ("accuracy", "mean_return", "billed_tokens", "generated_tokens"):
            writer.add_scalar(f"eval_{label}/{key}", getattr(r, key), step)

    # a policy is built from the env's public description (spec), never from the env
    run_eval(lambda spec, seed: make_policy("random", spec, seed), "random", 0)
    if args.agent == "alpha":
        return _train_alpha(args, env_fn, run_eval, writer, ckpt_dir)

    cfg = MAPPOConfig(
        updates=args.updates,
        episodes_per_update=args.episodes_per_update,
        n_envs=args.n_envs,
        lr=args.lr,
        gamma=1.0,
        gae_lambda=1.0,
        seed=args.seed,
        device=args.device,
    )
    bar = tqdm(total=args.updates, desc="MAPPO updates")

    def on_update(update: int, agent: DalaMAPPOAgent, rec: dict) -> None:
        step = rec["env_steps"]
        for key, value in rec.items():
            if isinstance(value, int | float) and key not in ("update", "env_steps"):
                writer.add_scalar(f"train/{key}", value, step)
        bar.set_postfix(ret=f"{rec['mean_return']:.3f}", billed=f"{rec['billed_tokens']:.0f}")
        bar.update(1)
        if (update + 1) % args.eval_every == 0 or update + 1 == args.updates:
            run_eval(lambda spec, seed: agent, "mappo", step)
            path = agent.save(ckpt_dir / f"mappo_{update + 1:05d}.safetensors")
            tqdm.write(f"checkpoint {path}")

    agent, _ = train_mappo(env_fn, cfg, callback=on_update)
    bar.close()
    agent.save(ckpt_dir / "mappo_final.safetensors")
    writer.close()
    print(f"done: TensorBoard logs and checkpoints in {run}")
    return 0


def _train_alpha(args: Args, env_fn, run_eval, writer, ckpt_dir: Path) -> int:
    """Train DALA's α-REINFORCE bidder (``econ_env_agents.dala.alpha``)."""
    from econ_env_agents.dala.alpha import AlphaAgent, AlphaConfig, train_alpha

    env = auction_v0.parallel_env(cost_weight=args.cost_weight, n_agents=args.n_agents,
                                  mechanism=args.mechanism)  # fmt: skip
    episodes = args.updates * args.episodes_per_update
    agent = AlphaAgent.from_env(env, AlphaConfig(episodes=episodes, seed=args.seed))
    agent, history = train_alpha(env, agent)
    for rec in tqdm(history, desc="α updates"):
        writer.add_scalar("train/mean_return", rec["mean_return"], rec["steps"])
    run_eval(lambda spec, seed: agent, "alpha", history[-1]["steps"] if history else 0)
    path = agent.save(ckpt_dir / "alpha_final.safetensors")
    writer.close()
    print(f"done: checkpoint {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
