"""The batched auction_v0's observations, action masks and infos (a mixin of
:class:`~econ_env.vector.auction_env.VecAuctionEnv`).

:class:`AuctionObservations` writes every bidder's observation in the documented layout of
:mod:`econ_env.envs.auction.observation` (the scalar fields in :data:`SCALARS` order, then
``last_speakers``, ``agent_id`` and ``task``; the env checks the layout at construction), the
discrete action masks (level 0, silence, is always allowed; higher levels need an affordable,
unspoken draft) and the numeric infos of the text env, from the env's state tensors.
"""

from __future__ import annotations

from typing import Any

import torch

from econ_env.envs.auction.observation import SCALARS

__all__ = ["AuctionObservations"]


class AuctionObservations:
    """Observation, mask and info writers over a :class:`VecAuctionEnv`'s state."""

    # the state and signals the writers read (set by VecAuctionEnv)
    num_envs: int
    n_agents: int
    n_actions: Any
    config: Any
    table: Any
    item: torch.Tensor
    _id: torch.Tensor
    _static: torch.Tensor
    has_facts: bool
    facts: Any
    known: torch.Tensor
    votes: torch.Tensor | None
    sampled: torch.Tensor

    def _set_static(self, mask: torch.Tensor) -> None:
        """The observation's per-episode part (agent id, task features) of the reset envs,
        kept in a private buffer that ``_observe`` copies from."""
        rows = torch.nonzero(mask).flatten()
        if not rows.numel():
            return
        b, n = self.num_envs, self.n_agents
        feats = self.table.row(self.table.features, self.item.index_select(0, rows))
        new = torch.cat(
            [self._id[None].expand(rows.numel(), n, n), feats[:, None, :].expand(-1, n, -1)], -1
        )
        if rows.numel() == b:
            self._static = new
        else:
            self._static.index_copy_(0, rows, new)

    # ------------------------------------------------------------------ signals
    def _plurality(self) -> torch.Tensor:
        """The most common non-empty draft answer (ties: the lowest index holding it)."""
        from econ_env.vector.sim import plurality

        return plurality(self.answer)[0]

    def _consensus(self) -> torch.Tensor:
        first = self.answer[:, :1]
        return (first[:, 0] >= 0) & (self.answer == first).all(1)

    def _remaining(self) -> torch.Tensor:
        return self.config.budget - self.billed

    def _bid_cost(self) -> torch.Tensor:
        return torch.where(self.prompt_billed, 0, self.prompt)

    def _can_speak(self) -> torch.Tensor:
        if self.tiered:
            return self._tier_fits().any(-1)
        cap = self._remaining()[:, None] - self._bid_cost()
        if self.config.round_cap is not None:
            cap = cap.clamp(max=self.config.round_cap)
        return ~self.spoken & (self.tokens <= cap)

    def _final_answer(self) -> torch.Tensor:
        rule = self.config.answer_rule
        if rule == "confidence":
            best = torch.argmax(self.logprob, dim=1)
            return self.answer.gather(1, best[:, None])[:, 0]
        if self.votes is None:
            plural = self._plurality()
        else:  # self-consistent first drafts: one vote per sample
            from econ_env.vector.samples import vote_plurality

            own = torch.full_like(self.votes, -1)
            own[..., 0] = self.answer
            votes = torch.where(self.sampled[..., None], self.votes, own)
            plural = vote_plurality(self.answer, votes.reshape(self.num_envs, -1))
        if rule == "last_speaker":
            return torch.where(self.last_speech > -2, self.last_speech, plural)
        return plural

    # ------------------------------------------------------------------ observations
    def _observe(self) -> torch.Tensor:
        cfg, b, n = self.config, self.num_envs, self.n_agents
        f32 = torch.float32
        answers = self.answer
        ordered = torch.sort(answers, dim=1).values
        distinct = 1 + (ordered[:, 1:] != ordered[:, :-1]).sum(1)
        plural = self._plurality()

        def shared(x: torch.Tensor) -> torch.Tensor:
            return x.to(f32)[:, None].expand(b, n)

        scalars = {
            "budget_left": shared(self._remaining() / cfg.budget),
            "round": shared((self.round / cfg.max_rounds).clamp(max=1.0)),
            "draft_length": (self.tokens / cfg.max_draft_tokens).clamp(max=1.0),
            "confidence": torch.exp(self.logprob.clamp(max=0.0)),
            "entropy": 1.0 - torch.exp(-self.entropy.clamp(min=0.0)),
            "agrees_plurality": (answers >= 0) & (answers == plural[:, None]),
            "distinct_answers": shared(distinct / n),
            "last_price": shared(self.last_price.clamp(0.0, 1.0)),
            "affordable": self._can_speak(),
            "prev_bid": self.prev_bids,
        }
        parts = [torch.stack([scalars[k].to(f32) for k in SCALARS], dim=-1)]
        parts.append(self.last_winners.to(f32)[:, None, :].expand(b, n, n))
        parts.append(self._static)  # agent_id and task
        if self.n_tiers > 1:
            parts.extend(self._tier_fields())
        if self.has_facts:
            parts.append(self._facts_known()[..., None])
        return torch.cat(parts, dim=-1)

    def _facts_known(self) -> torch.Tensor:
        return self.facts.known_fraction(self.known, self.item)

    def _mask(self) -> torch.Tensor:
        if self.tiered:
            return self._tier_mask()
        b, n, k = self.num_envs, self.n_agents, self.n_actions
        mask = torch.ones(b, n, k, dtype=torch.bool, device=self.device)
        mask[..., 1:] = self._can_speak()[..., None]
        return mask

    # State tensors are never changed in place (every update makes a new tensor), so infos can
    # hand them out without copies.
    def _infos(self) -> dict[str, torch.Tensor]:
        over = self.stop > 0
        extra = {"facts_known": self._facts_known()} if self.has_facts else {}
        if self.n_tiers > 1:
            extra["tier"] = self.last_tier
        return extra | {
            "round": self.round,
            "billed_tokens": self.billed,
            "generated_tokens": self.generated,
            "remaining_budget": self._remaining(),
            "agent_billed_tokens": self.agent_billed,
            "agent_generated_tokens": self.agent_generated,
            "game_over": over,
            "correct": self.correct & over,
            "stop_code": self.stop,
            "spoke": self.last_winners,
            "bid": self.prev_bids,
            "price": self.last_price,
        }

    def _episode(self) -> dict[str, torch.Tensor]:
        return {
            "correct": self.correct,
            "billed": self.billed,
            "generated": self.generated,
            "stop_code": self.stop,
        }
