"""Batched torch twins of both games: ``num_envs`` episodes as tensors on CPU or CUDA.

``econ_env.vector.auction(num_envs=4096, device="cuda", seed=0, **config)`` and
``econ_env.vector.debate(...)`` (or ``econ_env.vector.make("auction_v0", ...)``) build
:class:`~econ_env.vector.auction_env.VecAuctionEnv` /
:class:`~econ_env.vector.debate_env.VecDebateEnv` on the simulated backend. They take the text
envs' config fields and give the same observation layout, spaces, rewards and stop rules; a
statistical-equivalence test (:mod:`econ_env.testing.equivalence`) keeps the two
implementations together.

API (every tensor's first dimension is the env index):

- ``reset(seed=None) -> (obs, info)``; ``step(actions) -> (obs, reward, terminated, truncated,
  info)``. One step is one round: every agent acts at once, as in the text env's parallel API
  (agent-steps per step = ``n_agents``). ``actions``: float ``(num_envs, n_agents, act_dim)``
  in [-1, 1] (continuous) or int64 ``(num_envs, n_agents)`` (discrete). ``obs``: float32
  ``(num_envs, n_agents, obs_dim)``; ``reward``: float32 ``(num_envs, n_agents)``;
  ``terminated`` / ``truncated``: bool ``(num_envs,)``.
- Automatic reset (``env.autoreset = True``, the default): an env whose episode ended in this
  step starts the next one inside ``step``; its row of ``obs`` is the new episode's first
  observation, ``info["final_obs"]`` the last one, and ``info["episode_*"]`` (``return``,
  ``rounds``, ``correct``, ``billed``, ``generated``, ``stop_code``) the finished episode's
  summary, valid where ``info["done"]``. With ``autoreset = False`` finished envs stay finished
  (their reward is 0) until ``reset()`` or ``reset_envs(mask)``.
- ``info`` also holds the text env's numeric info keys as tensors (``round``,
  ``billed_tokens``, ``generated_tokens``, ``remaining_budget``, ``agent_billed_tokens``,
  ``agent_generated_tokens``, ``game_over``, ``correct``, ``stop_code``, and each game's own)
  and, with discrete actions, ``action_mask`` (bool ``(num_envs, n_agents, K)``), the mask of
  the returned observation. The env never changes a tensor it has handed out (every update
  makes a new one), so they are not copied: read them, but do not modify them in place.
- ``info()``: the live infos now (e.g. after ``reset_envs``); ``gen``: the env's
  ``torch.Generator`` (every random draw comes from it).
- ``state()``: every agent's observation concatenated (a centralised critic's input);
  ``observation_space`` / ``action_space``: one agent's spaces, the text env's.
- Invalid actions raise the text env's ``ValueError``, naming the env index and the agent,
  before anything is applied. Every random draw comes from the env's ``torch.Generator``:
  the same seed on the same device gives the same episodes.

Intentional differences from the text envs: answers are indices (gold or the item's k-th
distractor), not text; episodes draw their items from a pool of ``item_pool`` items drawn once
from the task source (``item_seed``), not afresh; only the simulated backend and the built-in
rewards are supported; auction VCG enumerates subsets for up to 12 bidders (with several
``tiers``: every tier assignment, ``(n_tiers + 1) ** n_agents <= 8192``); a ``team`` with
per-agent ``model`` entries is refused. Issue 14's regimes — ``team``, ``task="split_facts"``
and auction ``tiers`` — are supported (:mod:`econ_env.vector.regimes`,
:mod:`econ_env.vector.auction_tiers`, :mod:`econ_env.vector.tiers`).
"""

from __future__ import annotations

from typing import Any

from econ_env.registry import make_vector
from econ_env.vector.base import VecEnvBase

__all__ = ["VecEnvBase", "auction", "debate", "make"]


def auction(
    num_envs: int = 1024, device: Any = "cpu", seed: int | None = None, **config: Any
) -> VecEnvBase:
    """A batched auction_v0 (:class:`~econ_env.vector.auction_env.VecAuctionEnv`)."""
    return make_vector("auction_v0", num_envs, device, seed, **config)


def debate(
    num_envs: int = 1024, device: Any = "cpu", seed: int | None = None, **config: Any
) -> VecEnvBase:
    """A batched debate_v0 (:class:`~econ_env.vector.debate_env.VecDebateEnv`)."""
    return make_vector("debate_v0", num_envs, device, seed, **config)


def make(
    name: str, num_envs: int = 1024, device: Any = "cpu", seed: int | None = None, **config: Any
) -> VecEnvBase:
    """The batched twin of the env ``name`` (``"auction_v0"`` or ``"debate_v0"``; the
    registry's :func:`~econ_env.registry.make_vector`)."""
    return make_vector(name, num_envs, device, seed, **config)
