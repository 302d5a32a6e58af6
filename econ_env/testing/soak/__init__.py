"""Soak: many seeded random episodes of every env through the native parallel API, with the
invariants checked on every step.

``run_soak(name, episodes)`` plays ``episodes`` episodes of env ``name`` over a seeded list of
configs (:func:`configs_for`) that covers the env's choices: both action types, every auction
mechanism (budget-constrained VCG with a binding round cap included), both auction reward modes,
every answer rule, stop rules on and off, debate with and without groups, budgets from tiny (the
episode ends at reset or in its first round) to huge, and 1..6 agents. Each config's env is
built once and reused with ``reset(seed=...)``; episode ``i`` uses config ``i % len(configs)``
and seed ``seed + i`` for both the reset and its own action generator (never the global RNG).
Discrete actions are drawn among the entries the action mask allows; continuous ones uniformly
in the box, each coordinate at a bound one time in ten (a continuous bid of -1 is silence).

Checked after the reset and after every step (:class:`EpisodeChecker`):

- core invariants (:data:`CORE`): observations inside their spaces with exact float32 dtype and
  finite values; action masks int8 of 0/1 and never all zero; ``state()`` inside
  ``state_space`` and equal to the agents' observation vectors concatenated; rewards finite;
  the ledger: remaining >= 0, billed + remaining = budget, billed <= generated in total, per
  agent and per generation (with the charges that point at it), totals equal to its entries;
  ``infos[agent]`` token totals (``billed_tokens``, ``generated_tokens``,
  ``remaining_budget``) equal to the ledger; rounds <= ``max_rounds``; terminations and
  truncations consistent (every agent ends together, truncated iff the stop reason is
  ``max_rounds`` and the config's ``max_rounds_truncates`` is set, ``agents`` empty after the
  last step, a step after the end returns nothing);
  no exception from an action drawn from the space.
- the info contract (:data:`INFO_CONTRACT`, :func:`check_info_contract`, kept apart so it can
  follow the infos' design): every ``infos[agent]`` value numeric (int, float, bool, numpy
  number or fixed-shape numeric array; not checked for configs built with ``info_text=True``),
  the same key set at reset and at every step of the episode, with a discrete action space
  ``infos[agent]["action_mask"]`` equal to the observation's mask, and where present
  ``agent_billed_tokens`` / ``agent_generated_tokens`` equal to the ledger's per-agent totals
  and ``game_over`` / ``stop_code`` agreeing with the game.

A violation is reported with the call that replays its episode:
``soak_episode(name, config, seed=...)``.

Run ``python -m econ_env.testing.soak`` (or ``python -m econ_env.testing soak``) for a table of
episodes/s per env; ``ECON_SOAK_EPISODES`` sets the episodes per env (default 10,000).
"""

from econ_env.testing.soak.checks import (
    CORE,
    INFO_CONTRACT,
    LedgerAudit,
    Problem,
    check_ledger,
    check_observation,
    check_token_totals,
)
from econ_env.testing.soak.configs import (
    DEFAULT_EPISODES,
    EPISODES_VAR,
    auction_configs,
    configs_for,
    debate_configs,
    default_episodes,
    random_actions,
)
from econ_env.testing.soak.episode import EpisodeChecker, soak_episode
from econ_env.testing.soak.info_contract import check_info_contract
from econ_env.testing.soak.run import Failure, SoakReport, main, run_soak

__all__ = [
    "CORE",
    "DEFAULT_EPISODES",
    "EPISODES_VAR",
    "INFO_CONTRACT",
    "EpisodeChecker",
    "Failure",
    "LedgerAudit",
    "Problem",
    "SoakReport",
    "auction_configs",
    "check_info_contract",
    "check_ledger",
    "check_observation",
    "check_token_totals",
    "configs_for",
    "debate_configs",
    "default_episodes",
    "main",
    "random_actions",
    "run_soak",
    "soak_episode",
]
