"""Configuration of debate_v0: a frozen dataclass validated at construction.

:func:`make_config` builds one from keyword arguments and rejects unknown keys with a
``ValueError`` naming the key and listing the allowed ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from econ_env.core.beliefs import BeliefMap
from econ_env.core.team import check_team
from econ_env.envs.debate.reward import DebateReward
from econ_env.envs.validation import (
    MAX_AGENTS,
    MAX_BUDGET,
    MAX_ROUNDS,
    MAX_TOKENS,
    is_int,
    is_real,
    normalise_numbers,
    require,
)
from econ_env.envs.validation import make_config as _make_config

ACTION_TYPES = ("continuous", "discrete")
RENDER_MODES = ("ansi", "human")

DEFAULT_PRESETS: tuple[tuple[str, float], ...] = (
    ("conservative", -0.8),
    ("neutral", 0.0),
    ("exploratory", 0.8),
)
"""Discrete belief presets: a name and the value of the belief's temperature dimension (the
other dimensions are 0, i.e. neutral)."""


@dataclass(frozen=True)
class DebateConfig:
    """All settings of one debate_v0 environment.

    Attributes:
        n_agents: number of executors (>= 1).
        groups: 1 for one coordinator; k >= 2 splits the executors into k contiguous groups
            (as even as possible), each with a local coordinator, under a global coordinator.
        belief_dim: dimensions of the belief vector (1..16): b[0] sets temperature, b[1] top-p,
            b[2] repetition penalty (see ``beliefs``); further dimensions are carried in the
            observation and reserved for soft-prompt beliefs on local models.
        action_type: ``continuous`` (``Box(-1, 1, (belief_dim,))``) or ``discrete``
            (``Discrete(len(presets))`` preset beliefs with an int8 action mask).
        presets: discrete presets as ``(name, temperature-dimension value)`` pairs.
        budget: billed-token budget of one episode (> 0).
        max_rounds: BNE iterations per episode (>= 1); the final answer is scored after the last.
        epsilon: stop when the joint belief change ``‖B_t − B_{t−1}‖`` (Frobenius norm over
            executors × belief_dim) falls below it (>= 0; 0 disables the rule).
        early_stop: apply the convergence rules (converged, belief_converged, oscillation);
            ``False`` plays every round up to ``max_rounds`` or the budget.
        max_rounds_truncates: how an episode that reaches ``max_rounds`` is flagged: ``True``
            (debate_v0) as truncated, ``False`` (debate_v1) as terminated. The final answer is
            scored at that round and nothing follows it, so it is a true end of the game:
            learners that bootstrap a value on truncation add a spurious ``γ·V(s_T)`` to the
            last reward when it is flagged truncated.
        carry_facts: on split-facts tasks, whether answers and commitments carry their
            writer's facts into the prompts of those who read them. ``False`` (debate_v0's and
            debate_v1's default): an executor's prompt lists only its own share and the
            coordinator's the bare question; the facts they learn
            (:mod:`econ_env.envs.knowledge`) reach the simulated backend only. ``True``: an
            executor's prompt lists every fact it knows then (its share and the facts of the
            commitment it read) and a commitment prompt lists the facts of the answers it
            reads. Tasks without facts are unaffected.
        strategy_soft_limit: the token length the coordinator is asked to keep its strategy to.
        strategy_cap: hard cap on strategy tokens (longer output is cut and the cut recorded).
        commitment_cap: hard cap on commitment tokens.
        max_answer_tokens: completion cap of an executor's answer.
        alpha_al / alpha_ts / alpha_cc: reward weights α1, α2, α3 (>= 0).
        cost_weight: λ, the weight of the executor's token cost (>= 0).
        reward: a reward object (:class:`~econ_env.envs.debate.reward.DebateReward` or one with
            its ``executor_rewards`` method) used instead of the one the four weights above
            name; give one or the other.
        embedder: ``"auto"`` (all-MiniLM-L6-v2 when installed, else hashed n-grams),
            ``"minilm"``, ``"hashed"``, ``"answer"`` (similarity of the extracted answers:
            what the batched debate of :mod:`econ_env.vector` uses) or an Embedder object.
        task / task_kwargs: task source name (or object) and its keyword arguments.
        backend / backend_kwargs: backend name (or object) and its keyword arguments.
        beliefs: the belief → generation-parameter map.
        render_mode: ``None``, ``"ansi"`` or ``"human"``.
        info_text: also put each agent's text (question, drafts, answers, what it heard, the
            ending) into ``infos[agent]``; by default infos are numeric only and the text is
            ``env.unwrapped.text_info(agent)`` (see :mod:`econ_env.envs.observe`).
        team: heterogeneous executors (:mod:`econ_env.core.team`): ``None`` (default: every
            executor alike), a preset name (``one_expert``, ``uniform``, ``spread``) or a list
            of ``n_agents`` mappings with optional keys ``skill`` (simulated logit skill of the
            executor; the coordinator keeps ``coordinator_skill``), ``model`` (a backend spec
            string answering that executor) and ``system_prompt`` (appended to that executor's
            system message).
    """

    n_agents: int = 3
    groups: int = 1
    belief_dim: int = 4
    action_type: str = "continuous"
    presets: tuple[tuple[str, float], ...] = DEFAULT_PRESETS
    budget: int = 8192
    max_rounds: int = 4
    epsilon: float = 0.05
    early_stop: bool = True
    max_rounds_truncates: bool = True
    carry_facts: bool = False
    strategy_soft_limit: int = 50
    strategy_cap: int = 70
    commitment_cap: int = 50
    max_answer_tokens: int = 256
    alpha_al: float = 0.3
    alpha_ts: float = 0.5
    alpha_cc: float = 0.2
    cost_weight: float = 1.0
    embedder: Any = "auto"
    task: Any = "arithmetic"
    task_kwargs: dict[str, Any] = field(default_factory=dict)
    backend: Any = "simulated"
    backend_kwargs: dict[str, Any] = field(default_factory=dict)
    beliefs: BeliefMap = field(default_factory=BeliefMap)
    render_mode: str | None = None
    info_text: bool = False
    reward: DebateReward | None = None
    team: Any = None

    def __post_init__(self) -> None:
        normalise_numbers(self)

        def need(ok: bool, name: str, allowed: str) -> None:
            require(self, "debate_v0", ok, name, allowed)

        need(
            is_int(self.n_agents) and 1 <= self.n_agents <= MAX_AGENTS,
            "n_agents",
            f"an integer in [1, {MAX_AGENTS}]",
        )
        need(
            is_int(self.groups) and 1 <= self.groups <= self.n_agents,
            "groups",
            f"an integer in [1, n_agents={self.n_agents}]",
        )
        need(
            is_int(self.belief_dim) and 1 <= self.belief_dim <= 16,
            "belief_dim",
            "an int in [1, 16]",
        )
        need(self.action_type in ACTION_TYPES, "action_type", f"one of {ACTION_TYPES}")
        need(
            isinstance(self.presets, tuple)
            and 2 <= len(self.presets) <= 101
            and all(
                isinstance(p, tuple)
                and len(p) == 2
                and isinstance(p[0], str)
                and is_real(p[1])
                and -1.0 <= p[1] <= 1.0
                for p in self.presets
            ),
            "presets",
            "a tuple of 2 to 101 (name, value in [-1, 1]) pairs",
        )
        need(
            is_int(self.budget) and 1 <= self.budget <= MAX_BUDGET,
            "budget",
            f"an integer in [1, {MAX_BUDGET}]",
        )
        need(
            is_int(self.max_rounds) and 1 <= self.max_rounds <= MAX_ROUNDS,
            "max_rounds",
            f"an integer in [1, {MAX_ROUNDS}]",
        )
        need(is_real(self.epsilon) and self.epsilon >= 0, "epsilon", "a float >= 0")
        need(isinstance(self.early_stop, bool), "early_stop", "True or False")
        need(isinstance(self.max_rounds_truncates, bool), "max_rounds_truncates", "True or False")
        need(isinstance(self.carry_facts, bool), "carry_facts", "True or False")
        need(
            is_int(self.strategy_cap) and 1 <= self.strategy_cap <= MAX_TOKENS,
            "strategy_cap",
            f"an integer in [1, {MAX_TOKENS}]",
        )
        need(
            is_int(self.strategy_soft_limit) and 1 <= self.strategy_soft_limit <= self.strategy_cap,
            "strategy_soft_limit",
            f"an integer in [1, strategy_cap={self.strategy_cap}]",
        )
        need(
            is_int(self.commitment_cap) and 1 <= self.commitment_cap <= MAX_TOKENS,
            "commitment_cap",
            f"an integer in [1, {MAX_TOKENS}]",
        )
        need(
            is_int(self.max_answer_tokens) and 1 <= self.max_answer_tokens <= MAX_TOKENS,
            "max_answer_tokens",
            f"an integer in [1, {MAX_TOKENS}]",
        )
        for name in ("alpha_al", "alpha_ts", "alpha_cc", "cost_weight"):
            need(is_real(getattr(self, name)) and getattr(self, name) >= 0, name, "a float >= 0")
        need(isinstance(self.info_text, bool), "info_text", "True or False")
        check_team(self, "debate_v0")
        need(isinstance(self.task_kwargs, dict), "task_kwargs", "a dict")
        need(isinstance(self.backend_kwargs, dict), "backend_kwargs", "a dict")
        need(isinstance(self.beliefs, BeliefMap), "beliefs", "a BeliefMap")
        need(
            self.render_mode is None or self.render_mode in RENDER_MODES,
            "render_mode",
            f"None or one of {RENDER_MODES}",
        )
        need(
            self.reward is None or callable(getattr(self.reward, "executor_rewards", None)),
            "reward",
            "None or an object with executor_rewards(...) (e.g. a DebateReward)",
        )
        defaults = (self.alpha_al, self.alpha_ts, self.alpha_cc, self.cost_weight)
        need(
            self.reward is None or defaults == (0.3, 0.5, 0.2, 1.0),
            "reward",
            "None when alpha_al, alpha_ts, alpha_cc or cost_weight is set (give one or the other)",
        )

    @property
    def reward_fn(self) -> DebateReward:
        """The reward object in use: ``reward``, else a :class:`DebateReward` with the weights
        ``alpha_al``, ``alpha_ts``, ``alpha_cc`` and ``cost_weight``."""
        if self.reward is not None:
            return self.reward
        return DebateReward(
            al=self.alpha_al, ts=self.alpha_ts, cc=self.alpha_cc, cost=self.cost_weight
        )

    @property
    def agents(self) -> list[str]:
        """The executor names, ``executor_0 .. executor_{n-1}``."""
        return [f"executor_{i}" for i in range(self.n_agents)]

    def group_of(self) -> list[int]:
        """The group index of every executor (contiguous, sizes differing by at most one)."""
        n, k = self.n_agents, self.groups
        base, extra = divmod(n, k)
        out: list[int] = []
        for g in range(k):
            out += [g] * (base + (1 if g < extra else 0))
        return out


def make_config(config: DebateConfig | None = None, **kwargs: Any) -> DebateConfig:
    """A validated :class:`DebateConfig` from an optional base config and overrides.

    Raises:
        ValueError: for an unknown key (naming it and listing the allowed keys) or an invalid
            value (naming the field and its allowed range).
    """
    return _make_config(DebateConfig, "debate_v0", config, kwargs)
