"""Train the ECON reference agent (belief networks + encoder + QMIX mixer) on debate_v0.

CleanRL-style single file: the arguments are the dataclass below (every field a command-line
flag), training runs ``econ_env_agents.econ.train_econ`` with a callback that logs every episode
and gradient step to TensorBoard, drives a tqdm bar, evaluates the greedy executors on fixed seeds
(never used for training) every ``--eval-every`` episodes — printing accuracy of the final
commitment and billed tokens — and writes safetensors checkpoints. At the end it plays every
fixed belief on the same evaluation seeds and prints the learner beside them: the policies of
``econ_env_baselines.debate`` (neutral, conservative, exploratory, truthful, round_robin, random)
and the ``--constants`` best constant beliefs (temperature × repetition penalty, every executor
alike; ``econ_env_baselines.debate_constants``, ranked on the batched twin), with 95% CIs and the
learner's paired difference from the best of them.

    OMP_NUM_THREADS=1 python examples/train_econ.py              # expert_herding, ~4 min
    tensorboard --logdir runs

The default environment is the named regime ``expert_herding`` of :mod:`econ_env.regimes` (one
expert among two novices, where following the commitment is herding) — the defaults of
``econ_env.debate_v1`` — the debate setting where a state-dependent belief beats every constant
one; the learner then uses
``econ_env_agents.econ.ECON_REGIME_SETTINGS``. Measured with the defaults (seed 0, 1,200
training episodes, 1,000 evaluation seeds): see ``docs/agents.md``. ``--regime flags`` builds the
env from the flags below instead (their defaults are ``ECON_ENV_CONFIG``: temperatures above
t_ref = 0.7 cost accuracy, a repetition penalty shortens answers and tokens weigh 3× in the
reward); there the learner's edge over the named policies comes from the repetition penalty,
which a constant belief sets as well.
"""

from __future__ import annotations

import dataclasses
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")


@dataclass
class Args:
    exp_name: str = "econ_debate"
    """name of the run (TensorBoard and checkpoint sub-directories are named after it + seed)"""
    seed: int = 0
    """seed of the agent's weights, exploration, replay sampling and the training env"""
    device: str = "auto"
    """torch device: auto (CUDA when available), cpu or cuda"""
    episodes: int = 1200
    """training episodes (one debate question each)"""
    eval_every: int = 400
    """evaluate (and checkpoint) every this many episodes; 0 evaluates only before and after"""
    eval_episodes: int = 1000
    """evaluation episodes, on the fixed seeds eval_seed .. eval_seed + eval_episodes - 1"""
    eval_seed: int = 10_000
    """first evaluation seed (training draws its questions from the env's own generator)"""
    log_dir: str = "runs"
    """TensorBoard log directory"""
    checkpoint_dir: str = "checkpoints"
    """where safetensors checkpoints are written"""
    regime: str = "expert_herding"
    """a named debate_v0 regime of econ_env.regimes: its config is the env (the env flags
    n_agents .. embedder are ignored) and the learner uses econ_env_agents.econ.
    ECON_REGIME_SETTINGS (replacing belief_levels, batch_episodes and eps_decay_episodes);
    'flags' builds the env and the learner from the flags below instead"""
    constants: int = 3
    """after training, also play the best this many constant beliefs of the grid (ranked on the
    batched twin) on the evaluation seeds; 0 plays only the named fixed beliefs"""
    compare: bool = True
    """after training, play the fixed beliefs on the evaluation seeds and print the table"""
    n_agents: int = 3
    """number of executors"""
    max_rounds: int = 3
    """BNE rounds per episode (every episode plays all of them: early_stop=False)"""
    cost_weight: float = 3.0
    """λ: weight of the executor's token cost in its reward"""
    temperature_effect: float = 3.0
    """simulator: accuracy logit lost per unit of temperature above t_ref = 0.7"""
    repetition_shortening: float = 1.5
    """simulator: log-length lost per unit of repetition penalty above 1"""
    embedder: str = "hashed"
    """sentence embedder of the AL/CC rewards: hashed (fast) or minilm (real, slower)"""
    belief_levels: str = "-1,0,1"
    """values of the varied belief dimensions (temperature, repetition penalty); comma list"""
    lr: float = 1e-3
    """Adam learning rate"""
    batch_episodes: int = 16
    """episodes per gradient step"""
    updates_per_episode: int = 1
    """gradient steps after each collected episode"""
    tau: float = 0.05
    """soft target update rate"""
    gamma: float = 0.99
    """discount over rounds"""
    eps_decay_episodes: int = 400
    """episodes over which ε-greedy exploration anneals from 1.0 to 0.05"""
    dynamic_weights: bool = False
    """learn the reward weights α (AL, TS, CC) from the replay"""
    torch_threads: int = 1
    """torch CPU threads (1: small networks are slower with more on a busy machine)"""
    progress: bool = True
    """show a tqdm progress bar"""


def parse_args(argv: list[str] | None = None) -> Args:
    """CleanRL-style flags from the fields of :class:`Args` (their docstrings are the help)."""
    from econ_env.cli_args import parse_dataclass_args  # after OMP_NUM_THREADS is set

    return parse_dataclass_args(Args, argv, description=__doc__.splitlines()[0])


def named_regime(args: Args) -> bool:
    """Whether the env is a named regime (else it is built from the flags)."""
    return args.regime not in ("", "flags")


def env_kwargs(args: Args) -> dict[str, Any]:
    """debate_v0 keyword arguments of the run (the regime's config when ``--regime`` is set)."""
    if named_regime(args):
        from econ_env.regimes import regime_config

        return regime_config("debate_v0", args.regime)
    return {
        "n_agents": args.n_agents,
        "max_rounds": args.max_rounds,
        "early_stop": False,
        "embedder": args.embedder,
        "cost_weight": args.cost_weight,
        "backend_kwargs": {
            "temperature_effect": args.temperature_effect,
            "repetition_shortening": args.repetition_shortening,
        },
    }


def main(args: Args) -> dict[str, Any]:
    """Train, evaluate and checkpoint; returns the evaluations and the output paths."""
    import torch
    from torch.utils.tensorboard import SummaryWriter
    from tqdm import tqdm

    from econ_env import debate_v0
    from econ_env_agents.econ import (
        ECON_REGIME_SETTINGS,
        EconConfig,
        EconLearner,
        evaluate_episodes,
        train_econ,
    )
    from econ_env_baselines.debate_constants import GRID

    if not 0 <= args.constants <= len(GRID):  # checked before training, not after it
        raise ValueError(f"--constants must lie in [0, {len(GRID)}], got {args.constants}")
    torch.set_num_threads(args.torch_threads)
    learner_kw: dict[str, Any] = {
        "belief_levels": tuple(float(v) for v in args.belief_levels.split(",")),
        "batch_episodes": args.batch_episodes,
        "eps_decay_episodes": args.eps_decay_episodes,
    }
    if named_regime(args):  # the settings the learner wins regimes with (they replace the above)
        learner_kw = dict(ECON_REGIME_SETTINGS)
    cfg = EconConfig(
        seed=args.seed,
        device=args.device,
        lr=args.lr,
        updates_per_episode=args.updates_per_episode,
        tau=args.tau,
        gamma=args.gamma,
        dynamic_weights=args.dynamic_weights,
        learning_starts=min(learner_kw["batch_episodes"], args.episodes),
        **learner_kw,
    )
    run = f"{args.exp_name}__{args.seed}__{int(time.time())}"
    writer = SummaryWriter(str(Path(args.log_dir) / run))
    writer.add_text("args", "\n".join(f"{k}: {v}" for k, v in dataclasses.asdict(args).items()))
    ckpt_dir = Path(args.checkpoint_dir) / run

    def make_env() -> Any:
        return debate_v0.parallel_env(**env_kwargs(args))

    seeds = range(args.eval_seed, args.eval_seed + args.eval_episodes)
    evaluations: list[dict[str, float]] = []
    bar = tqdm(total=args.episodes, disable=not args.progress, desc="episodes")

    def run_eval(learner: EconLearner, episode: int, label: str) -> np.ndarray:
        rows = evaluate_episodes(learner.agent, make_env, seeds)
        m = dict(zip(_METRICS, (float(v) for v in rows.mean(axis=0)), strict=True))
        m["episodes"], m["episode"] = float(len(seeds)), float(episode)
        evaluations.append(m)
        for k in ("team_return", "accuracy", "billed_tokens", "generated_tokens"):
            writer.add_scalar(f"eval/{k}", m[k], episode)
        tqdm.write(
            f"eval {label} (episode {episode}, {len(seeds)} fixed seeds): "
            f"team_return={m['team_return']:.3f} accuracy={m['accuracy']:.3f} "
            f"billed_tokens={m['billed_tokens']:.0f} generated_tokens={m['generated_tokens']:.0f}"
        )
        path = learner.agent.save(ckpt_dir / f"agent_ep{episode}.safetensors")
        writer.add_text("checkpoint", str(path), episode)
        return rows  # per episode (the final ones are compared with the fixed beliefs)

    trained: list[EconLearner] = []  # the learner train_econ built (for the final evaluation)

    def callback(learner: EconLearner, i: int, metrics: dict[str, float]) -> None:
        if i == 0:
            trained.append(learner)
            run_eval(learner, 0, "untrained")
        for k, v in metrics.items():
            group = "episode" if k in ("team_return", "correct", "billed_tokens") else "train"
            writer.add_scalar(f"{group}/{k}", v, i)
        if args.dynamic_weights:
            for name, w in zip(("al", "ts", "cc"), learner.reward_weights, strict=True):
                writer.add_scalar(f"train/alpha_{name}", float(w), i)
        bar.update(1)
        if "team_td" in metrics:
            bar.set_postfix(td=f"{metrics['team_td']:.3f}", eps=f"{metrics['epsilon']:.2f}")
        done = i + 1
        if args.eval_every and done % args.eval_every == 0 and done < args.episodes:
            run_eval(learner, done, "during training")

    agent, history = train_econ(make_env, cfg, episodes=args.episodes, callback=callback)
    bar.close()
    final_rows = run_eval(trained[0], args.episodes, "final")
    final = agent.save(ckpt_dir / "agent.safetensors")
    writer.close()
    print(f"checkpoint: {final}\ntensorboard: {Path(args.log_dir) / run}")
    comparison = compare_fixed(args, make_env, seeds, final_rows) if args.compare else {}
    return {
        "evaluations": evaluations,
        "checkpoint": str(final),
        "log_dir": str(Path(args.log_dir) / run),
        "history": history,
        "comparison": comparison,
    }


_METRICS = ("team_return", "accuracy", "billed_tokens", "generated_tokens")
"""The columns of ``evaluate_episodes``' rows."""


def compare_fixed(
    args: Args, make_env: Any, seeds: range, learner_rows: np.ndarray
) -> dict[str, Any]:
    """Every fixed belief on ``seeds``, printed beside the learner's final evaluation there.

    Returns ``{"table": {policy: {team_return, ci95, accuracy, billed_tokens,
    generated_tokens}}, "best_fixed": name, "paired_difference": (mean, ci95), "wins": bool}``;
    ``wins``: the learner's CI lies above the best fixed belief's.
    """
    from econ_env_agents.econ import evaluate_episodes
    from econ_env_baselines.compare import versus_fixed
    from econ_env_baselines.debate_constants import fixed_beliefs

    fixed = fixed_beliefs(env_kwargs(args), constants=args.constants, seed=args.seed)
    rows = {name: evaluate_episodes(pol, make_env, seeds) for name, pol in fixed.items()}
    result = versus_fixed(learner_rows[:, 0], {name: r[:, 0] for name, r in rows.items()})
    rows["econ"] = learner_rows
    table = {}
    for name, r in rows.items():
        m, h = result["learner"] if name == "econ" else result["fixed"][name]
        means = (float(v) for v in r[:, 1:].mean(0))
        table[name] = {"team_return": m, "ci95": h, **dict(zip(_METRICS[1:], means, strict=True))}
    best, diff, wins = result["best_fixed"], result["paired_difference"], result["wins"]
    print(f"\nregime {args.regime}, {len(seeds)} evaluation episodes (seeds from {seeds.start}):")
    for name, t in sorted(table.items(), key=lambda kv: -kv[1]["team_return"]):
        mark = "  <- best fixed" if name == best else ""
        print(f"  {name:<22} return {t['team_return']:7.3f} ± {t['ci95']:.3f}  accuracy "
              f"{t['accuracy']:.3f}  billed {t['billed_tokens']:6.0f}  generated "
              f"{t['generated_tokens']:6.0f}{mark}")  # fmt: skip
    print(f"  econ - {best} (paired, same seeds): {diff[0]:+.3f} ± {diff[1]:.3f}; "
          f"econ's CI {'above' if wins else 'not above'} the best fixed belief's")  # fmt: skip
    return {"table": table, "best_fixed": best, "paired_difference": diff, "wins": wins}


if __name__ == "__main__":
    main(parse_args())
