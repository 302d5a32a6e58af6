"""debate_v1: the ECON debate where executors herd (a belief that depends on the seat pays).

| Import             | ``from econ_env import debate_v1``                            |
|--------------------|---------------------------------------------------------------|
| Same game as       | ``debate_v0`` (rules, spaces, observation, reward formula)    |
| Default changes    | regime ``expert_herding`` of :mod:`econ_env.regimes` (below)  |
| Parallel API       | Yes, native (``debate_v1.parallel_env``)                      |
| Registry ids       | ``econ_env/debate-v1``; single agent ``econ_env/Debate-v1``   |

debate_v1 is debate_v0 with the defaults of the named regime ``expert_herding`` (the same
config as ``econ_env.regimes.regime_config("debate_v0", "expert_herding")``, and the
episode-end flag below); every rule,
space, observation field and stop rule is debate_v0's (read its page for them). The defaults
it changes:

- ``team="one_expert"``: ``executor_{n-1}`` has logit skill 2.5, every other executor −1.0
  (:mod:`econ_env.core.team`);
- the reward is the executor's correctness minus its tokens: ``alpha_al=0``, ``alpha_ts=1``,
  ``alpha_cc=0`` (``cost_weight`` λ = 1, as in debate_v0); since the agreement terms weigh
  nothing, ``embedder="answer"`` (answer identity, no sentence-embedding model to load);
- every round is played: ``max_rounds=3``, ``early_stop=False``; the episode that reaches
  ``max_rounds`` is flagged **terminated**, not truncated (``max_rounds_truncates=False``): the
  final answer is scored there and nothing follows, so a learner that bootstraps a value on
  truncation (SB3, Tianshou, TorchRL, CleanRL) would add a spurious ``γ·V(s_T)`` to the last
  reward of every episode;
- the simulated executors **herd**: they adopt the coordinator's commitment with probability
  ``influence`` 0.9 whether it is right or not (``truth_bias`` 0), unless their temperature
  is above ``t_ref`` (each unit of temperature above it multiplies that probability by
  e^−5, ``follow_temperature`` 5); temperature costs no accuracy (``temperature_effect``
  0); wrong answers scatter (``distractor_skew`` 0.3); a repetition penalty shortens answers
  (``repetition_shortening`` 1.5).

Why the change. At debate_v0's defaults no per-seat or state-dependent belief we tried beats
the best constant belief by more than +0.03 team return (``python benchmarks/econ_regimes.py``),
so the ECON learner cannot show anything a constant does not. With one expert among herding
novices the right belief depends on the seat and the state: the expert should keep its own
answer (a high temperature), the novices should follow (a low one). Measured on the batched
twin (2,048 episodes, ``benchmarks/econ_regimes.py``): best constant belief 5.80 ± 0.13, the
rule "novices cold, the expert hot while it disagrees with the commitment" 6.17 ± 0.10. The
ECON learner learns it: 6.24 ± 0.07 in this text env (3 training seeds pooled) against the
best constant belief's 5.97 ± 0.09 (``python benchmarks/econ_reference.py --regime
expert_herding --seeds 0 1 2``; docs/guides/regimes.md). The herding parameters are close to
what ``econ-env calibrate`` fitted on Qwen2.5-Coder-0.5B's arithmetic debates (preset
``qwen2.5-coder-0.5b-arith``: ``influence`` 0.82, ``truth_bias`` 0.08, ``distractor_skew``
0.32, ``temperature_effect`` 0.68); with those four values instead, the rule's margin over the
best constant is +0.34 (against +0.37). ``follow_temperature`` and ``repetition_shortening``
are not fitted (the preset keeps their neutral values): they are this version's assumption
that a hot executor ignores the commitment and that a repetition penalty shortens answers.

Only the simulated backend reads the herding parameters: when you name another backend
(``backend="llamacpp:..."``, or ``"openai:URL"`` for an OpenAI-compatible server) without
``backend_kwargs``, the default ``backend_kwargs`` are dropped, and a ``reward`` object
replaces the default reward weights (:func:`econ_env.envs.validation.version_kwargs`). Any
debate_v0 behaviour is reachable from debate_v1 by config (``econ_env.debate_v1.V0_CONFIG``
undoes every default) and vice versa.

### Arguments

Every keyword argument of debate_v0 (:class:`~econ_env.envs.debate.config.DebateConfig`), with
the defaults above. A config object passed as ``config=`` is used as given.

### Observation

debate_v0's float32 vector, field by field (table below); ``agent_id`` tells an executor which
seat it holds, which is how a policy can learn that seat ``n-1`` is the expert.

### Action

debate_v0's: ``Box(-1, 1, (belief_dim,))`` or, with ``action_type="discrete"``, the presets.

### Rewards

debate_v0's formula ``α1·AL + α2·TS + α3·CC − λ·cost`` per executor, with ``α = (0, 1, 0)``
and λ = 1: an executor earns 1 for a correct answer and pays its tokens over the budget.

### Version History

- v1, econ-env 0.2.0 (unreleased): debate_v0 with regime ``expert_herding``'s defaults
  (issue 14); an episode that reaches ``max_rounds`` is terminated, not truncated
  (``max_rounds_truncates=False``; issue 14, before 0.2.0 was released).
"""

from __future__ import annotations

from typing import Any, ClassVar

from pettingzoo import AECEnv
from pettingzoo.utils import wrappers

from econ_env.core.spec import EnvSpec
from econ_env.envs.debate.config import DebateConfig, make_config
from econ_env.envs.debate.env import DebateEnv, DebateParallelEnv, spec_of
from econ_env.envs.validation import env_kwargs, version_kwargs

__all__ = [
    "DEFAULTS",
    "NAME",
    "V0_CONFIG",
    "DebateV1Env",
    "DebateV1ParallelEnv",
    "env",
    "env_spec",
    "parallel_env",
    "raw_env",
]

NAME = "debate_v1"
DEFAULTS: dict[str, Any] = {
    "team": "one_expert",
    "max_rounds": 3,
    "early_stop": False,
    "max_rounds_truncates": False,
    "embedder": "answer",
    "alpha_al": 0.0,
    "alpha_ts": 1.0,
    "alpha_cc": 0.0,
    "cost_weight": 1.0,
    "backend_kwargs": {
        "temperature_effect": 0.0,
        "follow_temperature": 5.0,
        "influence": 0.9,
        "truth_bias": 0.0,
        "distractor_skew": 0.3,
        "repetition_shortening": 1.5,
    },
}
"""debate_v1's config overrides of debate_v0's defaults; :mod:`econ_env.regimes` names them
``expert_herding`` (a regime of debate_v0)."""

V0_CONFIG: dict[str, Any] = {
    k: getattr(DebateConfig(), k) for k in DEFAULTS if k != "backend_kwargs"
} | {"backend_kwargs": {}}
"""Keyword arguments that give debate_v0's defaults back from debate_v1."""


class DebateV1Env(DebateEnv):
    """The raw AEC environment of debate_v1 (debate_v0 with :data:`DEFAULTS`)."""

    metadata: ClassVar[dict[str, Any]] = {**DebateEnv.metadata, "name": NAME}
    defaults: ClassVar[dict[str, Any]] = DEFAULTS


class DebateV1ParallelEnv(DebateParallelEnv):
    """The native parallel environment of debate_v1."""

    metadata: ClassVar[dict[str, Any]] = {**DebateParallelEnv.metadata, "name": NAME}
    defaults: ClassVar[dict[str, Any]] = DEFAULTS


def env_spec(config: DebateConfig | None = None, **kwargs: Any) -> EnvSpec:
    """The public description of ``debate_v1.env(**kwargs)``, without building it."""
    if config is None:
        kwargs = version_kwargs(DEFAULTS, kwargs)
    return spec_of(make_config(config, **env_kwargs(kwargs)), NAME)


def raw_env(**kwargs: Any) -> DebateV1Env:
    """The unwrapped AEC environment."""
    return DebateV1Env(**kwargs)


def env(**kwargs: Any) -> AECEnv:
    """The AEC environment wrapped in PettingZoo's order-enforcing wrapper."""
    return wrappers.OrderEnforcingWrapper(raw_env(**kwargs))


def parallel_env(**kwargs: Any) -> DebateV1ParallelEnv:
    """The native parallel environment (all-or-nothing ``step``)."""
    return DebateV1ParallelEnv(**kwargs)
