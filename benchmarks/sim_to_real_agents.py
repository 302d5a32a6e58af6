"""Train the study's reference agents on a fitted simulator (docs/fidelity.md, "Trained agents").

α-REINFORCE (DALA's bidders, ``econ_env_agents.dala.alpha_vec``) trains on the batched
auction and the ECON executors (``econ_env_agents.econ.train_econ``) on the debate text env,
both with the study's configs (:class:`econ_env.fidelity.StudyConfig`: task, items' settings,
env configs) and the simulated backend with the given parameters. The weights go to
``agents/weights/fidelity_{alpha,econ}.safetensors``, which ``econ_env_agents.fidelity`` loads
as the policies ``econ_env_agents.fidelity:alpha`` and ``:econ``::

    OMP_NUM_THREADS=1 python benchmarks/sim_to_real_agents.py \
        --params docs/assets/fidelity/train_params.json   # the shipped weights' simulator
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--params", required=True, help="simulator preset JSON to train on")
    p.add_argument("--alpha-updates", type=int, default=40)
    p.add_argument("--num-envs", type=int, default=1024)
    p.add_argument("--econ-episodes", type=int, default=400)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=str(ROOT / "agents" / "weights"))
    args = p.parse_args(argv)

    import torch

    import econ_env.vector as V
    from econ_env import debate_v0
    from econ_env.fidelity import StudyConfig
    from econ_env.llm.simulated import SimParams
    from econ_env_agents.dala.alpha import AlphaConfig
    from econ_env_agents.dala.alpha_vec import train_alpha_vec
    from econ_env_agents.econ.config import EconConfig
    from econ_env_agents.econ.learner import train_econ

    torch.set_num_threads(1)
    study = StudyConfig()
    sim = {"backend": "simulated", "backend_kwargs": SimParams.from_json(args.params).to_dict()}
    task = {"task": study.task, "task_kwargs": dict(study.task_kwargs)}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    t0 = time.perf_counter()
    auction = {**study.env_kwargs["auction_v0"], **task, **sim}
    env = V.auction(num_envs=args.num_envs, seed=args.seed, item_pool=4096, **auction)
    cfg = AlphaConfig(lr=0.1, sigma=0.5, device="cpu", seed=args.seed)
    agent, hist = train_alpha_vec(env, config=cfg, updates=args.alpha_updates, seed=args.seed)
    agent.save(out / "fidelity_alpha.safetensors")
    print(
        f"alpha: {args.alpha_updates} updates x {args.num_envs} episodes in "
        f"{time.perf_counter() - t0:.0f} s; return {hist[0]['mean_return']:.3f} -> "
        f"{hist[-1]['mean_return']:.3f}; alphas {agent.alphas.round(3).tolist()}"
    )

    t0 = time.perf_counter()
    debate = {**study.env_kwargs["debate_v0"], **task, **sim}
    ecfg = EconConfig(seed=args.seed, device="cpu")
    econ, h = train_econ(lambda: debate_v0.parallel_env(**debate), ecfg, args.econ_episodes)
    econ.save(out / "fidelity_econ.safetensors")
    last = h["correct"][-100:]
    print(
        f"econ: {args.econ_episodes} episodes in {time.perf_counter() - t0:.0f} s; accuracy of "
        f"the last {len(last)} training episodes {sum(last) / len(last):.3f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
