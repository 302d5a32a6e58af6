"""auction_v0: LLM agents bid for the right to speak under a token budget (the DALA game).

| Import             | ``from econ_env import auction_v0``                       |
|--------------------|-----------------------------------------------------------|
| Actions            | Continuous ``Box(-1, 1, (1 + belief_dim,))`` or Discrete  |
| Parallel API       | Yes, native (``auction_v0.parallel_env``)                 |
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
(a truncation in auction_v0, a termination with ``max_rounds_truncates=False``, auction_v1's
default: the answer is scored there, so nothing should be bootstrapped); the last round is
not followed by a revision. The final answer is the majority of the final drafts
(``answer_rule``) and is checked against the gold answer. With ``mechanism="top_k"`` and
``top_k = n_agents`` everyone may speak every round: multi-agent debate.

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
- ``reward_mode="team"`` or ``"individual"``; ``cost_weight=1.0`` (λ); or ``reward=`` a reward
  object (:mod:`econ_env.envs.auction.reward`, e.g. ``TeamReward(cost_weight=0.5)``);
  ``answer_rule="majority"``
  (``last_speaker``: the most recent broadcast, falling back to the majority when nobody spoke;
  ``confidence``: the draft with the highest mean log-probability).
- ``stop_on_consensus=True``; ``task="arithmetic"`` (``gsm8k``, ``mmlu``, ... or a TaskSource) with
  ``task_kwargs`` (``task="split_facts"``: information asymmetry, each bidder's prompt holds
  only its share of the item's facts and it learns the facts of every broadcast it hears,
  :mod:`econ_env.tasks.split_facts`; ``carry_facts=False``: with ``True`` every revision
  prompt also lists the facts its bidder heard, so a real model reads them too);
  ``backend="simulated"`` (or a Backend) with ``backend_kwargs``.
- ``invalid_action="raise"`` (or ``"silence"``: a masked discrete action counts as silence).
- ``team=None``: heterogeneous bidders (:mod:`econ_env.core.team`): a preset (``"one_expert"``,
  ``"uniform"``, ``"spread"``) or one mapping per bidder with optional ``skill`` (its simulated
  logit skill), ``model`` (a backend spec string answering that bidder; the others use
  ``backend``) and ``system_prompt`` (appended to that bidder's system message).
- ``render_mode=None`` (``"ansi"`` returns the transcript as text, ``"human"`` prints it);
  ``info_text=False`` (``True`` merges each bidder's text into ``infos``).
- Sizes are bounded: ``n_agents`` ≤ 256, ``budget`` and ``round_cap`` ≤ 10⁹, ``max_rounds`` ≤
  10,000, ``max_draft_tokens`` ≤ 32,768; numpy integers and floats are accepted wherever ints and
  floats are.
- ``tiers=("full",)``: DALA's tiered messages, a subset of ``("full", "summary", "keywords")``
  in that order. Every draft and revision is also rewritten as each non-full tier by one batched
  compression call (ledger role ``compress``: generated tokens, billed only when that tier is
  broadcast; caps ``max_draft_tokens // 3`` and ``// 8``); a bidder bids per tier, VCG solves a
  multiple-choice knapsack (at most one tier per bidder) and every other mechanism takes each
  bidder's highest-bid tier (:mod:`econ_env.envs.auction.tiers`); a winner pays its bid prompt
  once per draft and its tier's completion tokens, and its broadcast is the tier's text.
- ``draft_samples=1``: self-consistent first drafts (1..64). With k > 1 every bidder draws k
  independent first drafts (k requests in the one batched draft call, each recorded in the
  ledger as generated tokens, never billed), keeps the first sample holding its samples' most
  common answer as its draft (what it bids on, broadcasts and pays the prompt of), and until it
  revises all k samples vote in the ``majority`` answer rule (ties: the lowest-index draft's
  answer). Silent bidders with ``draft_samples=k`` are self-consistency over n·k drafts. The
  samples are nested: sample 0 is the single-draft request and k + 1 samples hold the k samples'
  requests, so raising k on a cached real model asks only for the new samples.
- ``max_cycles``: alias of ``max_rounds`` (PettingZoo convention).

### Observation

A float32 vector, every entry in [0, 1]; the layout is
:data:`econ_env.envs.auction.observation.FIELDS` (printed below): remaining budget fraction, round
fraction, own draft length, own confidence (exp of mean log-probability), own entropy, whether the
own draft agrees with the current plurality answer, number of distinct answers / n, last clearing
price, whether the own draft can still be broadcast (unspoken and affordable), own previous bid,
last round's speakers (n), agent id one-hot (n), and 8 task features. With
``action_type="discrete"`` the observation is ``{"observation": <that vector>, "action_mask":
int8 (bid_levels,)}``; bid levels above silence are masked when the own draft cannot be
broadcast. With several ``tiers``, ``tier_lengths`` (each tier's tokens / max_draft_tokens)
and ``tier_affordable`` (n_tiers entries each) are appended after the task features, and the
mask has one entry per (tier, level). With ``task="split_facts"`` one more entry,
``facts_known`` (the fraction of the item's facts the bidder knows), is appended at the very end.
Text never enters the observation.

### Infos

``infos[agent]`` has the same keys at reset and at every step, all numeric (so vectorised
learners can stack them): the shared keys of :mod:`econ_env.envs.observe` (``round``,
``billed_tokens``, ``generated_tokens``, ``remaining_budget``, ``agent_billed_tokens``,
``agent_generated_tokens``, ``game_over``, ``correct``, ``stop_code`` and, with discrete
actions, ``action_mask``), then ``spoke`` (the bidder broadcast last round), ``bid`` (its last
bid in [0, 1]) and ``price`` (the last clearing price); with ``task="split_facts"`` also
``facts_known`` (float); with several ``tiers`` also ``tier`` (int: the tier index the bidder
broadcast last round, -1 if it did not speak). Text is
``env.unwrapped.text_info(agent)``: ``question``, ``draft``, ``answer``, ``heard`` (the
broadcasts so far as ``(speaker, text)`` pairs) and, at the end, ``stop_reason``,
``final_answer`` and ``gold``; with ``info_text=True`` it is merged into ``infos[agent]``.

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
silence and level ``k`` bids ``k / (bid_levels - 1)``. With ``n_tiers = len(tiers) > 1``:
continuous ``a ∈ [-1, 1]^(n_tiers + belief_dim)``, a bid ``(a[t] + 1) / 2`` per tier in config
order (beliefs follow); discrete ``Discrete(1 + n_tiers · (bid_levels - 1))``: 0 is silence and
``a >= 1`` bids ``level / (K - 1)`` on tier ``(a - 1) // (K - 1)`` with ``level = (a - 1) % (K -
1) + 1`` (``K = bid_levels``); a masked (unaffordable) tier raises or is silence.

### Rewards

``team`` (default): after each round every bidder receives ``-cost_weight · billed / budget``
for the tokens billed in that round, and at the end ``+1`` if the final answer is correct.
``individual``: each bidder receives minus its auction payment each round and, at the end,
``+1`` if it broadcast the final answer at least once and that answer is correct
(quasi-linear utility for mechanism-design studies).

### Version History

- v0: initial release (econ-env 0.1.0).
- v0, econ-env 0.2.0 (unreleased): ``infos`` numeric with the same keys at every step (text moved to
  ``text_info(agent)`` / ``info_text=True``; ``stop_reason`` → ``stop_code``); size bounds on the
  config. Observations, rewards and episodes are unchanged (the golden transcripts' views differ
  only in their infos). New config fields ``team``, ``tiers`` and ``draft_samples`` (issue 14)
  are off by default, so the default game's episodes are unchanged.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces
from gymnasium.utils import EzPickle
from pettingzoo import AECEnv
from pettingzoo.utils import wrappers

from econ_env.core.spec import EnvSpec, describe, public_config
from econ_env.core.team import public_team
from econ_env.envs.auction.compress import n_discrete_actions
from econ_env.envs.auction.config import AuctionConfig, make_config
from econ_env.envs.auction.game import AuctionGame
from econ_env.envs.auction.observation import AuctionObserver, ObsLayout
from econ_env.envs.auction.render import render_text
from econ_env.envs.base import (
    GameEnvMixin,
    RoundBasedEnv,
    RoundBasedParallelEnv,
    box_and_mask_spaces,
    state_space_of,
)
from econ_env.envs.validation import env_kwargs, version_kwargs
from econ_env.llm.routed import config_backend
from econ_env.tasks.registry import make_task
from econ_env.tasks.split_facts import task_has_facts

NAME = "auction_v0"


def spec_of(cfg: AuctionConfig, name: str = NAME) -> EnvSpec:
    """The public description of an auction env with config ``cfg`` (built without it);
    ``name``: its versioned name (``auction_v0`` or ``auction_v1``)."""
    nt = len(cfg.tiers)
    if cfg.action_type == "discrete":
        act: spaces.Space = spaces.Discrete(n_discrete_actions(nt, cfg.bid_levels))
    else:
        act = spaces.Box(-1.0, 1.0, (nt + cfg.belief_dim,), dtype=np.float32)
    layout = ObsLayout(cfg.n_agents, facts=task_has_facts(cfg.task), n_tiers=nt)
    obs, act = box_and_mask_spaces(layout.size, act)
    public = public_config(cfg)
    public["team"] = public_team(cfg.team)
    public["reward"] = describe(cfg.reward_fn)
    return EnvSpec(name, tuple(cfg.agents), obs, act, state_space_of(cfg.n_agents, obs), layout,
                   public)  # fmt: skip


def env_spec(config: AuctionConfig | None = None, **kwargs: Any) -> EnvSpec:
    """The public description (``EnvSpec``) of ``auction_v0.env(**kwargs)``, without building it.

    Raises ``ValueError`` for an invalid config, exactly as the env would.
    """
    return spec_of(make_config(config, **env_kwargs(kwargs)))


class _AuctionSetup(GameEnvMixin):
    metadata: ClassVar[dict[str, Any]] = {**GameEnvMixin.metadata, "name": NAME}
    defaults: ClassVar[dict[str, Any]] = {}
    """Config overrides of this version, under the caller's keyword arguments (``auction_v1``'s
    ``team="one_expert"``; none for auction_v0). Ignored when a config object is given."""

    def _setup(self, config: AuctionConfig | None, kwargs: dict[str, Any]) -> None:
        if config is None:
            kwargs = version_kwargs(self.defaults, kwargs)
        cfg = make_config(config, **env_kwargs(kwargs))
        backend = config_backend(cfg)  # routed per agent when cfg.team names models
        game = AuctionGame(cfg, backend, cfg.agents)
        self._init_game(
            config=cfg,
            task=make_task(cfg.task, **cfg.task_kwargs),
            backend=backend,
            game=game,
            observer=AuctionObserver(cfg),
            spec=spec_of(cfg, self.metadata["name"]),
            render=render_text,
        )


class AuctionEnv(_AuctionSetup, RoundBasedEnv, EzPickle):
    """The raw AEC environment of auction_v0 (see the module docstring)."""

    def __init__(self, config: AuctionConfig | None = None, **kwargs: Any) -> None:
        EzPickle.__init__(self, config, **kwargs)
        self._setup(config, kwargs)


class AuctionParallelEnv(_AuctionSetup, RoundBasedParallelEnv, EzPickle):
    """The native parallel environment of auction_v0: one ``step`` settles one round."""

    def __init__(self, config: AuctionConfig | None = None, **kwargs: Any) -> None:
        EzPickle.__init__(self, config, **kwargs)
        self._setup(config, kwargs)


def raw_env(**kwargs: Any) -> AuctionEnv:
    """The unwrapped AEC environment."""
    return AuctionEnv(**kwargs)


def env(**kwargs: Any) -> AECEnv:
    """The AEC environment wrapped in PettingZoo's order-enforcing wrapper."""
    return wrappers.OrderEnforcingWrapper(raw_env(**kwargs))


def parallel_env(**kwargs: Any) -> AuctionParallelEnv:
    """The native parallel environment (all-or-nothing ``step``)."""
    return AuctionParallelEnv(**kwargs)
