"""The simulated backend's model as tensor operations over many requests at once.

:class:`TensorSim` draws what :class:`~econ_env.llm.simulated.SimulatedBackend` draws for one
request — completion length and truncation, the answer (gold or one of the item's distractors,
as an index of :class:`~econ_env.vector.items.ItemTable`), correctness and the confidence
signals — for a whole batch of requests, with the same formulas and the same
:class:`~econ_env.llm.simulated.params.SimParams` (see :mod:`econ_env.llm.simulated` for the
model). It also counts characters the way the backend writes its templated text, so prompts
that quote a completion have the length they have in the text env.

Every draw comes from the caller's ``torch.Generator``; nothing here has state besides the
parameters. Answers are canonical indices (``-1`` = no answer); ``respond`` returns, beside the
answer, whether it was taken over from an earlier answer (adopted or kept: written in its
normalised form) or drawn afresh (written as the item lists it).
"""

from __future__ import annotations

import math
from typing import Any

import torch

from econ_env.core.beliefs import BeliefMap
from econ_env.llm.registry import make_backend
from econ_env.llm.simulated import SimulatedBackend
from econ_env.llm.simulated.backend import OPENINGS
from econ_env.llm.simulated.params import SimParams
from econ_env.vector.items import ItemTable, filler_trim_table

__all__ = ["FLOAT", "TensorSim", "belief_params", "plurality", "simulated_params"]

FLOAT = torch.float32
"""The float type of the batched envs' state and draws."""

ENDING_CHARS = len(" The answer is \\boxed{}.")  # + the answer's length
TRUNCATED_CHARS = len(" ...")


def simulated_params(config: Any, env: str) -> SimParams:
    """The :class:`~econ_env.llm.simulated.params.SimParams` of a config's backend
    (``ValueError`` unless it is the simulated backend)."""
    backend = make_backend(config.backend, **config.backend_kwargs)
    if not isinstance(backend, SimulatedBackend):
        raise ValueError(
            f"econ_env.vector.{env}: backend must be the simulated backend "
            f"(backend='simulated' with backend_kwargs), got {config.backend!r}"
        )
    return backend.params


def belief_params(
    beliefs: torch.Tensor, belief_map: BeliefMap
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(temperature, top_p, repetition_penalty)`` of belief vectors ``(..., d)``: the linear
    map of :meth:`~econ_env.core.beliefs.BeliefMap.to_params` on tensors (values clipped to
    [-1, 1]; a missing dim takes the default top-p or the neutral penalty 1.0)."""
    m, d = belief_map, beliefs.shape[-1]
    u = (beliefs.clamp(-1.0, 1.0) + 1.0) * 0.5
    temp = (m.t_min + u[..., 0] * (m.t_max - m.t_min)).clamp(m.t_min, m.t_max)
    if d > 1:
        top_p = (m.top_p_min + u[..., 1] * (m.top_p_max - m.top_p_min)).clamp(
            m.top_p_min, m.top_p_max
        )
    else:
        top_p = torch.full_like(temp, m.default_top_p)
    if d > 2:
        rep = (1.0 + u[..., 2] * (m.rep_max - 1.0)).clamp(1.0, m.rep_max)
    else:
        rep = torch.ones_like(temp)
    return temp, top_p, rep


def plurality(heard: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The most common answer in each row of ``heard`` (``(R, H)``, ``-1`` = none), the first
    heard winning ties, and its share of the row's answers; ``(-1, 0)`` for an empty row."""
    valid = heard >= 0
    width = heard.shape[1]
    counts = torch.zeros(
        heard.shape, dtype=torch.int8 if width < 128 else torch.int64, device=heard.device
    )
    for k in range(width):  # H is the number of agents: small; (R, H) work per column
        counts += (heard == heard[:, k : k + 1]) & valid[:, k : k + 1]
    counts *= valid
    best, first = counts.max(-1)  # max returns the first index of the maximum
    plural = torch.where(best > 0, heard.gather(1, first[:, None])[:, 0], -1)
    nh = valid.sum(-1)
    share = torch.where(nh > 0, best.to(FLOAT) / nh.clamp(min=1), 0.0)
    return plural, share


class TensorSim:
    """The simulated agents of ``params`` for ``n_agents`` agents on ``device``."""

    def __init__(
        self,
        params: SimParams,
        n_agents: int,
        table: ItemTable,
        device: torch.device,
        skill: torch.Tensor | None = None,
    ) -> None:
        self.p = params
        self.table = table
        self.device = device
        self.skill = (
            torch.tensor([params.skill_of(i) for i in range(n_agents)], dtype=FLOAT, device=device)
            if skill is None
            else skill.to(device=device, dtype=FLOAT)
        )
        self.fact_weight = float(getattr(params, "fact_weight", 6.0))
        self.role_mu = dict(params.role_length_mu)
        self._trim: torch.Tensor | None = None
        self._fillers: dict[str, torch.Tensor] = {}
        self.openings = torch.tensor([len(s) for s in OPENINGS], device=device)

    # ------------------------------------------------------------------ lengths
    def lengths(
        self,
        role: str,
        shape: tuple[int, ...],
        max_tokens: int,
        gen: torch.Generator,
        repetition_penalty: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Completion tokens (int64) and whether each was cut at ``max_tokens``."""
        p = self.p
        mu = torch.full(shape, self.role_mu.get(role, p.length_mu), dtype=FLOAT)
        mu = mu.to(self.device)
        if p.repetition_shortening and repetition_penalty is not None:
            mu = mu - p.repetition_shortening * (repetition_penalty - 1.0)
        eps = torch.randn(shape, generator=gen, device=self.device, dtype=FLOAT)
        want = torch.round(torch.exp(mu + p.length_sigma * eps)).clamp(min=p.min_tokens)
        truncated = want > max_tokens
        return torch.where(truncated, float(max_tokens), want).to(torch.int64), truncated

    def prompt_tokens(self, chars: torch.Tensor, n_messages: int) -> torch.Tensor:
        """``ceil(chars / chars_per_token) + per_message_overhead * n_messages``."""
        p = self.p
        tokens = torch.ceil(chars.to(FLOAT) / p.chars_per_token).to(torch.int64)
        return tokens + p.per_message_overhead * n_messages

    # ------------------------------------------------------------------ answers
    def fresh(
        self,
        item: torch.Tensor,
        skill: torch.Tensor,
        temperature: torch.Tensor,
        top_p: torch.Tensor | None,
        gen: torch.Generator,
        bonus: torch.Tensor | float = 0.0,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """A fresh answer: gold with ``sigmoid(logit)``, else a distractor (canonical index)."""
        p, t = self.p, self.table
        logit = (
            skill
            - p.difficulty_weight * (t.row(t.difficulty, item) - 0.5)
            - p.temperature_effect * (temperature - p.t_ref).clamp(min=0.0)
            + bonus
        )
        u = torch.rand(item.shape, generator=gen, device=self.device, dtype=FLOAT)
        ok = u < torch.sigmoid(logit)
        temp = temperature
        if p.top_p_focus and top_p is not None:
            temp = torch.where(top_p < 1.0, temp * top_p**p.top_p_focus, temp)
        n_wrong = t.row(t.n_answers, item) - 1
        x = (p.distractor_skew / temp.clamp(min=1e-300)).clamp(max=700.0)
        u2 = torch.rand(item.shape, generator=gen, device=self.device, dtype=FLOAT)
        geometric = torch.floor(
            torch.log1p(u2 * torch.expm1(-x * n_wrong)) / (-x).clamp(max=-1e-300)
        )
        uniform = torch.floor(u2 * n_wrong)
        k = torch.where(x < 1e-6, uniform, geometric)
        k = torch.where((temp <= 0.0) | (n_wrong <= 1), 0.0, k)
        k = 1 + k.clamp(min=0).to(torch.int64).minimum(n_wrong - 1)
        wrong = t.cell(t.canon, item, k)
        return torch.where(ok, 0, wrong), ok

    def respond(
        self,
        mode: str,
        item: torch.Tensor,
        skill: torch.Tensor,
        temperature: torch.Tensor,
        top_p: torch.Tensor | None,
        gen: torch.Generator,
        own: torch.Tensor | None = None,
        heard: torch.Tensor | None = None,
        bonus: torch.Tensor | float = 0.0,
        learned: torch.Tensor | None = None,
        influence: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(answer, correct, taken_over)`` for requests of ``mode`` (``"draft"``,
        ``"revise"``, ``"answer"`` (a debate executor) or ``"commitment"``); ``own`` and
        ``heard`` (``(R, H)``, ``-1`` = none) are canonical answer indices. ``learned``
        (bool ``(R,)``, split facts): a revising / answering agent whose known facts grew
        since its previous completion solves afresh (neither adopts nor keeps). ``influence``
        (``(R, H)`` float, message tiers): each heard message's tier influence; the adoption
        probability is multiplied by their mean over the messages carrying the plurality."""
        p, t = self.p, self.table
        answer, correct = self.fresh(item, skill, temperature, top_p, gen, bonus)
        taken = torch.zeros_like(correct)
        if mode == "draft" or heard is None:
            return answer, correct, taken
        shape, dev = item.shape, self.device
        plural, share = plurality(heard)
        has = plural >= 0
        safe_plural = plural.clamp(min=0)
        plural_ok = t.cell(t.correct, item, safe_plural) & has
        if mode == "commitment":
            adopt = has & (
                torch.rand(shape, generator=gen, device=dev, dtype=FLOAT) < p.coordinator_fidelity
            )
            return (
                torch.where(adopt, plural, answer),
                torch.where(adopt, plural_ok, correct),
                adopt,
            )
        prob = (p.influence + p.truth_bias * plural_ok.to(FLOAT)) * share
        if influence is not None:
            carries = (heard == plural[:, None]) & (heard >= 0)
            n_carry = carries.sum(-1)
            mean = (influence * carries).sum(-1) / n_carry.clamp(min=1)
            prob = prob * torch.where(n_carry > 0, mean, 1.0)
        if mode == "answer":
            prob = prob * torch.exp(-p.follow_temperature * (temperature - p.t_ref).clamp(min=0.0))
        adopt = has & (torch.rand(shape, generator=gen, device=dev, dtype=FLOAT) < prob)
        if learned is not None:
            adopt = adopt & ~learned
        keep = torch.zeros_like(adopt)
        if own is not None:
            own_ok = t.cell(t.correct, item, own.clamp(min=0)) & (own >= 0)
            allowed = (own >= 0) & (has if mode == "answer" else torch.ones_like(has))
            stick = p.stickiness + p.truth_bias * own_ok.to(FLOAT)
            if learned is not None:
                allowed = allowed & ~learned
            keep = (
                ~adopt
                & allowed
                & (torch.rand(shape, generator=gen, device=dev, dtype=FLOAT) < stick)
            )
            answer = torch.where(keep, own, answer)
            correct = torch.where(keep, own_ok, correct)
        answer = torch.where(adopt, plural, answer)
        correct = torch.where(adopt, plural_ok, correct)
        return answer, correct, adopt | keep

    def confidence(
        self,
        correct: torch.Tensor,
        temperature: torch.Tensor,
        gen: torch.Generator,
        role: str,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mean_logprob, mean_entropy)`` of completions of ``role`` from the latent
        ``z = rho*s + sqrt(1-rho²)*eps`` (``rho = SimParams.rho_of(role)``)."""
        p = self.p
        rho = p.rho_of(role)
        eps = torch.randn(correct.shape, generator=gen, device=self.device, dtype=FLOAT)
        z = rho * (correct.to(FLOAT) * 2.0 - 1.0) + math.sqrt(1.0 - rho * rho) * eps
        shift = p.temperature_confidence * (temperature - p.t_ref)
        logprob = -torch.nn.functional.softplus(p.logprob_offset - p.logprob_slope * z + shift)
        entropy = torch.nn.functional.softplus(p.entropy_offset - p.entropy_slope * z + shift)
        return logprob, entropy

    # ------------------------------------------------------------------ text lengths
    def text_chars(
        self,
        tokens: torch.Tensor,
        head: torch.Tensor,
        ending: torch.Tensor,
        filler: str | None = None,
    ) -> torch.Tensor:
        """Characters of a templated text of ``tokens`` tokens with a head and an ending of
        the given lengths: the backend pads the head with filler (``filler``, default the
        backend's) up to ``tokens · chars_per_token`` characters, cut back to a word boundary."""
        budget = torch.floor(tokens.to(FLOAT) * self.p.chars_per_token).to(torch.int64)
        missing = budget - head - ending
        top = int(missing.max()) if missing.numel() else 0
        if filler is None:
            if self._trim is None or self._trim.numel() < top + 2:
                self._trim = filler_trim_table(max(top, 1024), self.device)
            table = self._trim
        else:
            table = self._fillers.get(filler)
            if table is None or table.numel() < top + 2:
                table = filler_trim_table(max(top, 1024), self.device, filler)
                self._fillers[filler] = table
        trim = table[missing.clamp(min=0)]
        return head + ending + torch.where(missing > 0, 1 + trim, 0)

    def ending_chars(
        self, item: torch.Tensor, answer: torch.Tensor, taken: torch.Tensor, truncated: torch.Tensor
    ) -> torch.Tensor:
        """Characters of a completion's ending: `` ...`` when cut, else the boxed answer."""
        t = self.table
        a = answer.clamp(min=0)
        written = torch.where(taken, t.cell(t.norm_chars, item, a), t.cell(t.answer_chars, item, a))
        return torch.where(truncated, TRUNCATED_CHARS, ENDING_CHARS + written)
