"""auction_v0: LLM agents bid for the right to speak under a token budget (the DALA game).

| Import             | ``from econ_env import auction_v0``                       |
|--------------------|-----------------------------------------------------------|
| Actions            | Continuous ``Box(-1, 1, (1 + belief_dim,))`` or Discrete  |
| Parallel API       | Yes (``auction_v0.parallel_env``)                         |
| Manual control     | No                                                        |
| Agents             | ``agents = ['bidder_0', ..., 'bidder_{n-1}']``            |
| Number of agents   | ``n_agents`` (default 3)                                  |
| Observation shape  | ``(10 + 2·n_agents + 8,)`` float32 in [0, 1]              |
| State shape        | ``(n_agents · (10 + 2·n_agents + 8),)`` float32 in [0, 1] |
| Registry ids       | ``econ_env/auction-v0`` (AEC and parallel)                |

Each episode is one question (default: procedural arithmetic from ``reasoning-gym``). On
reset every bidder drafts an answer with the language-model backend (default: the seeded
``simulated`` backend; one batched call). Then, round after round, every bidder in turn submits a
bid for the right to broadcast its draft. When the last bidder of the round has acted, the
auction mechanism picks the speaker(s), their drafts are broadcast to everyone, the bid prompts
and the winners' messages are charged to the token budget, and every bidder that heard someone
else's message revises its draft (one batched call; a sole winner keeps its draft and cannot
win again before it has revised). The episode ends when every draft has the same answer
(``consensus``), when the remaining budget cannot pay for any current draft's bid prompt and
broadcast (``budget_exhausted``) — both are terminations — or after ``max_rounds`` rounds
(truncation); the last round is not followed by a revision. The final answer is the majority of
the final drafts (``answer_rule``) and is checked against the gold answer. With
``mechanism="top_k"`` and ``top_k = n_agents`` everyone may speak every round: multi-agent
debate.

Token accounting follows DALA: a bidder pays the prompt tokens of the call that produced its
draft (once per draft); a winner also pays its message's completion tokens; silent bidders pay
nothing. ``infos[agent]["billed_tokens"]`` is this game's accounting and
``infos[agent]["generated_tokens"]`` counts every token any model read or produced. A charge
that would overdraw the budget is never made.

### Arguments

``auction_v0.env(**kwargs)`` accepts every field of
:class:`econ_env.envs.auction.config.AuctionConfig` (unknown keys raise ``ValueError``):

- ``n_agents=3`` bidders; ``mechanism="second_price"`` (``first_price``, ``top_k``,
  ``softmax``, ``vcg``); ``top_k=1`` speakers per round; ``reserve=0.0``;
  ``softmax_temperature=0.1``.
- ``budget=2048`` billed tokens per episode; ``round_cap=None`` broadcast tokens per round
  (the VCG knapsack capacity); ``max_rounds=4``; ``max_draft_tokens=256``.
- ``action_type="continuous"`` or ``"discrete"``; ``bid_levels=5``; ``belief_dim=0``.
- ``reward_mode="team"`` or ``"individual"``; ``cost_weight=1.0`` (λ); ``answer_rule="majority"``
  (``last_speaker``: the most recent broadcast, falling back to the majority when nobody spoke;
  ``confidence``: the draft with the highest mean log-probability).
- ``stop_on_consensus=True``; ``task="arithmetic"`` (``gsm8k``, ``mmlu``, ... or a TaskSource) with
  ``task_kwargs``; ``backend="simulated"`` (or a Backend) with ``backend_kwargs``.
- ``invalid_action="raise"`` (or ``"silence"``: a masked discrete action counts as silence).
- ``render_mode=None`` (``"ansi"`` returns the transcript as text, ``"human"`` prints it).
- ``max_cycles``: alias of ``max_rounds`` (PettingZoo convention).

### Observation

A float32 vector, every entry in [0, 1]; the layout is
:class:`econ_env.envs.auction.observation.ObsLayout`: remaining budget fraction, round fraction,
own draft length, own confidence (exp of mean log-probability), own entropy, whether the own
draft agrees with the current plurality answer, number of distinct answers / n, last clearing
price, whether the own draft can still be broadcast (unspoken and affordable), own previous bid,
last round's speakers (n), agent id one-hot (n), and 8 task features. With
``action_type="discrete"`` the observation is ``{"observation": <that vector>, "action_mask":
int8 (bid_levels,)}``; bid levels above silence are masked when the own draft cannot be
broadcast. Text never enters the observation: ``infos[agent]`` holds ``question``, ``draft``,
``answer``, ``heard`` (the broadcasts so far as ``(speaker, text)`` pairs), ``round``,
``billed_tokens``, ``generated_tokens``, ``remaining_budget``; at the end also ``stop_reason``,
``final_answer``, ``gold`` and ``correct``.

### State

``env.state()`` (also ``parallel_env.state()``) is the global state for centralised critics
(MAPPO, QMIX): a float32 vector in ``env.state_space = Box(0, 1, (n_agents · obs_size,))``
(the same object every call), made of every bidder's observation vector concatenated in agent
order: bidder ``i``'s observation is ``state[i · obs_size:(i + 1) · obs_size]`` with the
layout above (``obs_size = 10 + 2·n_agents + 8``). It therefore holds every bidder's private
draft statistics (length, confidence, entropy, affordability) but never text and no action
masks. It is rebuilt after reset and after every settled round, and is deterministic given
the seed and the actions.

### Action

Continuous: ``a ∈ [-1, 1]^(1 + belief_dim)``; ``bid = (a[0] + 1) / 2`` (so ``a[0] = -1`` is
silence) and ``a[1:]`` is a belief vector mapped by :class:`econ_env.core.beliefs.BeliefMap` to
the temperature, top-p and repetition penalty of the bidder's next revision. Finite values
outside [-1, 1] are clipped (Tianshou's multi-agent mode does not rescale); NaN, infinity or a
wrong shape raise ``ValueError`` naming the agent. Discrete: ``Discrete(bid_levels)``; level 0 is
silence and level ``k`` bids ``k / (bid_levels - 1)``.

### Rewards

``team`` (default): after each round every bidder receives ``-cost_weight · billed / budget``
for the tokens billed in that round, and at the end ``+1`` if the final answer is correct.
``individual``: each bidder receives minus its auction payment each round and, at the end,
``+1`` if it broadcast the final answer at least once and that answer is correct
(quasi-linear utility for mechanism-design studies).

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
from econ_env.envs.auction.config import AuctionConfig, make_config
from econ_env.envs.auction.game import AuctionGame
from econ_env.envs.auction.observation import ObsLayout, confidence_of, entropy_feature
from econ_env.envs.auction.render import render_text
from econ_env.envs.base import RoundBasedEnv, box_and_mask_spaces
from econ_env.llm.registry import make_backend
from econ_env.tasks.features import task_features
from econ_env.tasks.registry import make_task


class AuctionEnv(RoundBasedEnv):
    """The raw AEC environment of auction_v0 (see the module docstring)."""

    metadata: ClassVar[dict[str, Any]] = {**RoundBasedEnv.metadata, "name": "auction_v0"}

    def __init__(self, config: AuctionConfig | None = None, **kwargs: Any) -> None:
        EzPickle.__init__(self, config, **kwargs)
        if "max_cycles" in kwargs:
            kwargs["max_rounds"] = kwargs.pop("max_cycles")
        self.config = cfg = make_config(config, **kwargs)
        self.layout = ObsLayout(cfg.n_agents)
        self.task = make_task(cfg.task, **cfg.task_kwargs)
        self.backend = make_backend(cfg.backend, **cfg.backend_kwargs)
        if cfg.action_type == "discrete":
            act: spaces.Space = spaces.Discrete(cfg.bid_levels)
        else:
            act = spaces.Box(-1.0, 1.0, (1 + cfg.belief_dim,), dtype=np.float32)
        obs, act = box_and_mask_spaces(self.layout.size, act)
        self._setup(cfg.agents, obs, act, cfg.render_mode)
        self.game = AuctionGame(cfg, self.backend, self.possible_agents)
        self._bids = np.zeros(cfg.n_agents)

    # --------------------------------------------------------------- game hooks
    def _start_episode(self) -> None:
        item = self._draw_item()
        self._task_features = task_features(item)
        self.game.start(item, self.np_random)
        self._bids = np.zeros(self.config.n_agents)

    def _record_action(self, index: int, agent: str, action: Any) -> None:
        cfg = self.config
        if cfg.action_type == "discrete":
            level = discrete_action(agent, action, cfg.bid_levels)
            if level > 0 and not self.game.can_speak(index):
                if cfg.invalid_action == "raise":
                    raise ValueError(
                        f"{agent}: action {level} is masked (its draft cannot be broadcast this "
                        "round); choose 0 (silence) or pass invalid_action='silence'"
                    )
                level = 0
            self._bids[index] = level / (cfg.bid_levels - 1)
            return
        a = box_action(agent, action, 1 + cfg.belief_dim, scalar_ok=True)
        self._bids[index] = (a[0] + 1.0) / 2.0
        if cfg.belief_dim:
            self.game.params[index] = cfg.beliefs.to_params(a[1:])

    def _settle_round(self) -> None:
        cfg, game = self.config, self.game
        result, billed = game.settle(self._bids, self.np_random)
        if cfg.reward_mode == "team":
            cost = -cfg.cost_weight * float(billed.sum()) / cfg.budget
            rewards = np.full(cfg.n_agents, cost)
        else:
            rewards = -np.asarray(result.payments if result is not None else np.zeros(cfg.n_agents))
        self._bids = np.zeros(cfg.n_agents)
        reason, truncated = None, False
        if result is None:
            reason = "budget_exhausted"
        elif cfg.stop_on_consensus and game.consensus():
            reason = "consensus"
        elif game.round >= cfg.max_rounds:
            reason, truncated = "max_rounds", True
        else:  # settle() has already revised the drafts of those who heard a broadcast
            if cfg.stop_on_consensus and game.consensus():
                reason = "consensus"
            elif not game.budget_left_for_a_message():
                reason = "budget_exhausted"
        if reason is not None:
            correct = game.finish(reason)
            for i in range(cfg.n_agents):
                if cfg.reward_mode == "team":
                    rewards[i] += float(correct)
                elif correct and game.final_answer in game.spoke[i]:
                    rewards[i] += 1.0
            self._end_episode(truncated)
        for i, a in enumerate(self.possible_agents):
            self.rewards[a] = float(rewards[i])

    # --------------------------------------------------------------- observations
    def _refresh(self) -> None:
        """Rebuild every agent's observation and info after reset or a settled round."""
        cfg, game, lay = self.config, self.game, self.layout
        n = cfg.n_agents
        counts = game.answer_counts()
        plural = game.plurality()
        rows = np.zeros((n, lay.size), dtype=np.float32)
        rows[:, 0] = game.ledger.remaining / cfg.budget
        rows[:, 1] = min(game.round / cfg.max_rounds, 1.0)
        rows[:, 6] = len(counts) / n
        rows[:, 7] = min(max(game.last_price, 0.0), 1.0)
        for w in game.last_winners:
            rows[:, lay.last_speakers.start + w] = 1.0
        rows[:, lay.agent_id] = self._identity
        rows[:, lay.task] = self._task_features
        speak = [game.can_speak(i) for i in range(n)]
        comps = [d.completion for d in game.drafts]
        rows[:, 2:6] = [
            (
                min(c.completion_tokens / cfg.max_draft_tokens, 1.0),
                confidence_of(c.mean_logprob),
                entropy_feature(c.mean_entropy),
                d.answer is not None and d.answer == plural,
            )
            for c, d in zip(comps, game.drafts, strict=True)
        ]
        rows[:, 8] = speak
        rows[:, 9] = game.prev_bids
        heard = tuple((m.speaker, m.text) for m in game.transcript.public())
        masks = None
        if cfg.action_type == "discrete":
            masks = [np.ones(cfg.bid_levels, dtype=np.int8) for _ in range(n)]
            for i in range(n):
                masks[i][1:] = speak[i]
        self._store_observations(rows, masks)
        shared = {**self._shared_info(), "round": game.round, "heard": heard}
        for i, a in enumerate(self.possible_agents):
            d = game.drafts[i]
            self.infos[a] = {**shared, "draft": d.text, "answer": d.answer}

    def _render_text(self) -> str:
        return render_text(self.game, self.config)


def raw_env(**kwargs: Any) -> AuctionEnv:
    """The unwrapped AEC environment."""
    return AuctionEnv(**kwargs)


def env(**kwargs: Any) -> AECEnv:
    """The AEC environment wrapped in PettingZoo's order-enforcing wrapper."""
    return wrappers.OrderEnforcingWrapper(raw_env(**kwargs))
