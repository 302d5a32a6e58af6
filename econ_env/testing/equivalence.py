"""Statistical equivalence of the batched envs (:mod:`econ_env.vector`) and the text envs.

:func:`episode_samples` plays ``episodes`` episodes of a registered policy in the text env's
parallel API (``source="text"``) or in its batched twin (``source="vector"``, one env row per
episode, no autoreset) and returns per-episode samples: correctness, billed and generated
tokens, rounds settled, steps, stop codes, and every per-step reward. The *same* policy object
acts in both (it sees one agent's observation at a time), so any difference comes from the
envs. :func:`compare` tests each statistic for a difference:

- accuracy: two-proportion z-test;
- billed and generated tokens, rounds, steps, reward: Welch's t-test on the means;
- per-step rewards and billed tokens: two-sample Kolmogorov-Smirnov (conservative with ties).
  The per-step reward sample holds one reward per episode — a step and an agent drawn
  uniformly with a seeded generator — so its values are independent (all of an episode's
  rewards would be correlated: team rewards are equal across agents, and a KS test on them
  would claim more evidence than there is);
- stop reasons: chi-square test of homogeneity over the reasons seen.

Each returns a p-value; :func:`compare` flags the ones below ``alpha``. Callers choose
``alpha`` as a family-wise false-alarm rate divided by the number of tests (Bonferroni), so a
correct pair of implementations fails a whole suite with probability at most that rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

__all__ = ["Check", "compare", "episode_samples"]

KEYS = ("correct", "billed", "generated", "rounds", "steps", "stop_code", "return")


def _text_samples(name: str, config: dict, policy: Any, episodes: int, seed: int) -> dict:
    from econ_env.registry import make_parallel

    env = make_parallel(name, **config)
    out: dict[str, list] = {k: [] for k in (*KEYS, "rewards")}
    pick = np.random.default_rng(seed)
    for e in range(episodes):
        obs, infos = env.reset(seed=seed + e)
        steps, ret = 0, 0.0
        last = None
        episode_rewards: list[list[float]] = []
        while env.agents:
            actions = {a: policy.act(obs[a], a) for a in env.agents}
            obs, rewards, _, _, infos = env.step(actions)
            steps += 1
            episode_rewards.append([float(rewards[a]) for a in env.possible_agents])
            ret += float(rewards[env.possible_agents[0]])
            last = infos[env.possible_agents[0]]
        if last is None:  # the game ended at reset
            last = infos[env.possible_agents[0]]
        if episode_rewards:
            row = episode_rewards[int(pick.integers(len(episode_rewards)))]
            out["rewards"].append(row[int(pick.integers(len(row)))])
        out["correct"].append(bool(last["correct"]))
        out["billed"].append(int(last["billed_tokens"]))
        out["generated"].append(int(last["generated_tokens"]))
        out["rounds"].append(int(last["round"]))
        out["stop_code"].append(int(last["stop_code"]))
        out["steps"].append(steps)
        out["return"].append(ret)
    env.close()
    return {k: np.asarray(v) for k, v in out.items()}


def _vector_samples(
    name: str, config: dict, policy: Any, episodes: int, seed: int, device: str, extra: dict
) -> dict:
    import torch

    from econ_env.vector import make

    env = make(name, num_envs=episodes, device=device, seed=seed, **extra, **config)
    env.autoreset = False
    obs, info = env.reset()
    out: dict[str, Any] = {}
    step_rewards, step_alive = [], []
    alive = ~env.done
    while bool(alive.any()):
        rows = obs.cpu().numpy()
        mask = info.get("action_mask")
        mask = mask.cpu().numpy().astype(np.int8) if mask is not None else None
        acts = np.zeros((env.num_envs, env.n_agents, env.act_dim), dtype=np.float64)
        live = np.flatnonzero(alive.cpu().numpy())
        for b in live:
            for i, agent in enumerate(env.agents):
                o = (
                    rows[b, i]
                    if mask is None
                    else {"observation": rows[b, i], "action_mask": mask[b, i]}
                )
                acts[b, i] = np.asarray(policy.act(o, agent), dtype=np.float64).reshape(-1)
        a = torch.as_tensor(acts, device=env.device)
        if env.discrete:
            a = a[..., 0].to(torch.int64)
        step_alive.append(alive.cpu().numpy())
        obs, reward, _, _, info = env.step(a)
        step_rewards.append(reward.cpu().numpy())
        alive = ~env.done
    out["correct"] = info["episode_correct"].cpu().numpy()
    out["billed"] = info["episode_billed"].cpu().numpy()
    out["generated"] = info["episode_generated"].cpu().numpy()
    out["rounds"] = info["round"].cpu().numpy()
    out["stop_code"] = info["episode_stop_code"].cpu().numpy()
    out["steps"] = info["episode_rounds"].cpu().numpy()
    out["return"] = info["episode_return"][:, 0].cpu().numpy()
    pick = np.random.default_rng(seed)
    rewards = np.stack(step_rewards)  # (steps, envs, agents)
    played = np.stack(step_alive)  # (steps, envs)
    chosen = []
    for b in range(env.num_envs):
        steps = np.flatnonzero(played[:, b])
        if steps.size:
            row = rewards[steps[int(pick.integers(steps.size))], b]
            chosen.append(float(row[int(pick.integers(row.size))]))
    out["rewards"] = np.asarray(chosen)
    return out


def episode_samples(
    source: str,
    name: str,
    config: dict,
    policy: Any,
    episodes: int,
    seed: int = 0,
    device: str = "cpu",
    vector_kwargs: dict | None = None,
) -> dict[str, np.ndarray]:
    """Per-episode samples of ``policy`` in env ``name`` (see the module docstring);
    ``vector_kwargs`` go to the batched env only (e.g. ``item_pool``)."""
    if source == "text":
        return _text_samples(name, config, policy, episodes, seed)
    if source == "vector":
        return _vector_samples(name, config, policy, episodes, seed, device, vector_kwargs or {})
    raise ValueError(f"source must be 'text' or 'vector', got {source!r}")


@dataclass(frozen=True)
class Check:
    """One statistic's test: its name, the two means, the p-value and whether it passed."""

    statistic: str
    text: float
    vector: float
    p_value: float
    ok: bool

    def __str__(self) -> str:
        flag = "ok" if self.ok else "DIFFERENT"
        return (
            f"{self.statistic:>16}: text {self.text:10.4f}  vector {self.vector:10.4f}  "
            f"p={self.p_value:.2e}  {flag}"
        )


def _welch(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.astype(float), b.astype(float)
    if a.std() == 0 and b.std() == 0:
        return 1.0 if a.mean() == b.mean() else 0.0
    return float(stats.ttest_ind(a, b, equal_var=False).pvalue)


def _two_proportions(a: np.ndarray, b: np.ndarray) -> float:
    p1, p2 = a.mean(), b.mean()
    pooled = (a.sum() + b.sum()) / (len(a) + len(b))
    se = np.sqrt(pooled * (1 - pooled) * (1 / len(a) + 1 / len(b)))
    if se == 0:
        return 1.0 if p1 == p2 else 0.0
    return float(2 * stats.norm.sf(abs(p1 - p2) / se))


def _chi2(a: np.ndarray, b: np.ndarray) -> float:
    codes = sorted(set(a.tolist()) | set(b.tolist()))
    if len(codes) < 2:
        return 1.0
    table = np.array([[np.sum(a == c) for c in codes], [np.sum(b == c) for c in codes]])
    return float(stats.chi2_contingency(table).pvalue)


def _ks(a: np.ndarray, b: np.ndarray) -> float:
    return float(stats.ks_2samp(a.astype(float), b.astype(float)).pvalue)


def compare(text: dict, vector: dict, alpha: float) -> list[Check]:
    """Test every statistic of two sample sets; a check fails when its p-value < ``alpha``."""
    out = []

    def add(stat: str, p: float, key: str) -> None:
        t, v = np.asarray(text[key], float), np.asarray(vector[key], float)
        out.append(Check(stat, float(t.mean()), float(v.mean()), p, p >= alpha))

    add("accuracy", _two_proportions(text["correct"], vector["correct"]), "correct")
    for key in ("billed", "generated", "rounds", "steps", "return"):
        add(f"mean {key}", _welch(text[key], vector[key]), key)
    add("dist billed", _ks(text["billed"], vector["billed"]), "billed")
    add("dist rewards", _ks(text["rewards"], vector["rewards"]), "rewards")
    add("stop reasons", _chi2(text["stop_code"], vector["stop_code"]), "stop_code")
    return out
