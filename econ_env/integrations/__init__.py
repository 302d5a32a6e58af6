"""Thin, tested adapters to RL libraries (DESIGN.md §8).

- :mod:`econ_env.integrations.tianshou`: Tianshou 2.0.1 (``TianshouAECEnv``: per-agent reward
  credit, mask-less forward, Box(-1, 1) action mapping);
- :mod:`econ_env.integrations.sb3`: Stable-Baselines3 through SuperSuit (``make_sb3_vec_env``,
  seeding that works with ``PPO(seed=)``, ``action_masks()`` for MaskablePPO);
- :mod:`econ_env.integrations.sb3_batched`: Stable-Baselines3 on the batched torch envs of
  :mod:`econ_env.vector` (``BatchedSB3VecEnv``: one SB3 slot per (env, agent), autoreset,
  terminal observations, masks);
- :mod:`econ_env.integrations.rllib`: Ray RLlib (``RLlibParallelEnv``; optional extra ``rllib``);
- :mod:`econ_env.integrations.torchrl`: TorchRL (``TorchRLVecEnv``, an ``EnvBase`` over the
  batched torch envs of :mod:`econ_env.vector`, laid out as TorchRL wraps VMAS; extra
  ``torchrl``).

Import the submodule you need; none is imported here, so no RL library is required by
``import econ_env``.
"""
