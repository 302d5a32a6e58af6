"""DALA's tiered messages in the batched auction_v0 (a mixin of
:class:`~econ_env.vector.auction_env.VecAuctionEnv`), the rules of
:mod:`econ_env.envs.auction.compress`.

With ``tiers`` other than ``("full",)`` every new draft (at reset and every revision) is
rewritten as each configured non-full tier by the simulated compression model
(:mod:`econ_env.llm.simulated.compression`): its length is ``max(1, ceil(ratio *
draft_tokens))`` clipped at the tier's cap, its answer the draft's (none when clipped), its text
``"Summary: ..."`` / ``"Keywords: ..."``. The compression calls' prompt and completion tokens
are generated tokens; a tier's completion is billed when it is broadcast. :class:`AuctionTiers`
keeps, per agent and configured tier, the message's tokens, characters and answer
(``t_tokens``, ``t_chars``, ``t_answer``, ``(B, n, T)``; the ``full`` column is the draft),
decodes tier bids (continuous: one per tier; discrete: ``1 + T * (K - 1)`` actions) and writes
the tier masks and observation fields.
"""

from __future__ import annotations

from typing import Any

import torch

from econ_env.envs.auction import prompts
from econ_env.envs.auction.compress import (
    COMPRESS_PROMPT,
    compressed_tiers,
    tier_instruction,
    tier_max_tokens,
)
from econ_env.envs.knowledge import carries_facts
from econ_env.llm.simulated.compression import COMPRESS_FILLER
from econ_env.tasks.base import TaskItem
from econ_env.vector.sim import FLOAT

__all__ = ["AuctionTiers"]

_LABELS = {"summary": len("Summary:"), "keywords": len("Keywords:")}
_BOXED = len(" \\boxed{}")
_CUT = len(" ...")


class AuctionTiers:
    """Tier state, compression and tier bids over a :class:`VecAuctionEnv`'s state."""

    config: Any
    num_envs: int
    n_agents: int
    device: torch.device
    discrete: bool
    sim: Any
    table: Any
    item: torch.Tensor
    gen: torch.Generator

    def _tier_setup(self, system_extra: torch.Tensor) -> None:
        """Fixed tier tables: caps, ratios, influence, compression prompt characters."""
        cfg, dev, p = self.config, self.device, self.sim.p
        self.tiers = tuple(cfg.tiers)
        self.n_tiers = len(self.tiers)
        self.tiered = self.tiers != ("full",)
        self._full = self.tiers.index("full") if "full" in self.tiers else -1
        self._compressed = compressed_tiers(self.tiers)
        self._weight = torch.tensor([p.tier_weight(t) for t in self.tiers], device=dev)
        self._carries = torch.tensor([carries_facts(t) for t in self.tiers], device=dev)
        if not self.tiered:
            return
        rows = []
        for kind in ("numeric", "choice"):
            item = TaskItem(id="x", question="", gold="1", kind=kind, meta={})
            msgs = [prompts.draft_messages(a, cfg.n_agents, item) for a in cfg.agents]
            rows.append([len(m[0]["content"]) for m in msgs])
        system = torch.tensor(rows, dtype=torch.int64, device=dev)  # (kind, agent)
        self._system_chars = system + system_extra[None, :]  # + a team member's system_prompt
        self._compress_user = {
            t: len(COMPRESS_PROMPT.format(what=tier_instruction(t, cfg.max_draft_tokens), draft=""))
            for t in self._compressed
        }
        b, n, nt = self.num_envs, self.n_agents, self.n_tiers
        self.t_tokens = torch.zeros(b, n, nt, dtype=torch.int64, device=dev)
        self.t_chars = torch.zeros(b, n, nt, dtype=torch.int64, device=dev)
        self.t_answer = torch.full((b, n, nt), -1, dtype=torch.int64, device=dev)

    def _compress(self, who: torch.Tensor) -> torch.Tensor:
        """Write the tier messages of the new drafts of ``who`` ``(B, n)``; returns the
        compression calls' generated tokens ``(B, n)``."""
        cfg, t, sim = self.config, self.table, self.sim
        b, n = self.num_envs, self.n_agents
        item = self.item[:, None].expand(b, n)
        src, ans = self.tokens, self.answer
        choice = t.row(t.is_choice, self.item).to(torch.int64)
        system = self._system_chars.index_select(0, choice)
        spent = torch.zeros(b, n, dtype=torch.int64, device=self.device)
        cols_tok, cols_chars, cols_ans = [], [], []
        for tier in self.tiers:
            if tier == "full":
                cols_tok.append(src)
                cols_chars.append(self.chars)
                cols_ans.append(ans)
                continue
            cap = tier_max_tokens(tier, cfg.max_draft_tokens)
            ratio = sim.p.tier_ratio(tier)
            want = torch.ceil(ratio * src.to(torch.float64)).to(torch.int64).clamp(min=1)
            cut = want > cap
            tok = want.clamp(max=cap)
            has = (ans >= 0) & ~cut
            written = t.cell(t.norm_chars, item, ans.clamp(min=0))
            ending = torch.where(has, _BOXED + written, _CUT)
            head = torch.full_like(tok, _LABELS.get(tier, len(f"{tier.capitalize()}:")))
            chars = sim.text_chars(tok, head, ending, COMPRESS_FILLER)
            prompt = sim.prompt_tokens(system + self._compress_user[tier] + self.chars, 2)
            spent = spent + prompt + tok
            cols_tok.append(tok)
            cols_chars.append(chars)
            cols_ans.append(torch.where(has, ans, -1))
        w = who[..., None]
        self.t_tokens = torch.where(w, torch.stack(cols_tok, -1), self.t_tokens)
        self.t_chars = torch.where(w, torch.stack(cols_chars, -1), self.t_chars)
        self.t_answer = torch.where(w, torch.stack(cols_ans, -1), self.t_answer)
        return torch.where(who, spent, 0)

    def _tier_lengths(self) -> torch.Tensor:
        return self.t_tokens if self.tiered else self.tokens[..., None]

    def _tier_fits(self) -> torch.Tensor:
        """``(B, n, T)``: whether each tier's message of each agent could win this round."""
        cap = self._remaining()[:, None] - self._bid_cost()
        if self.config.round_cap is not None:
            cap = cap.clamp(max=self.config.round_cap)
        return ~self.spoken[..., None] & (self._tier_lengths() <= cap[..., None])

    def _tier_offers(self, actions: torch.Tensor, active: torch.Tensor) -> torch.Tensor:
        """``(B, n, T)`` bids from tiered actions (masked discrete ones raise or are silence)."""
        cfg, nt = self.config, self.n_tiers
        if not self.discrete:
            if cfg.belief_dim:
                self._set_params(actions[..., nt:], active)
            return (actions[..., :nt] + 1.0) / 2.0
        k1 = cfg.bid_levels - 1
        a = actions
        tier = ((a - 1) // k1).clamp(0, nt - 1)
        bid = ((a - 1) % k1 + 1).to(FLOAT) / k1
        masked = (a > 0) & ~self._tier_fits().gather(-1, tier[..., None])[..., 0]
        bad = masked & active[:, None]
        if bool(bad.any()) and cfg.invalid_action == "raise":
            env, agent = self._where(bad)
            i = self.agents.index(agent)
            raise ValueError(
                f"auction_v0: env {env}, {agent}: action {int(a[env, i])} is masked (its "
                f"{self.tiers[int(tier[env, i])]!r} message cannot be broadcast this round); "
                "choose 0 (silence) or an unmasked action, or pass invalid_action='silence'"
            )
        onehot = torch.nn.functional.one_hot(tier, nt).to(torch.bool)
        return torch.where(onehot & ((a > 0) & ~masked)[..., None], bid[..., None], 0.0)

    def _tier_mask(self) -> torch.Tensor:
        """The discrete mask: silence always, each tier's levels when that tier fits."""
        k1 = self.config.bid_levels - 1
        fits = self._tier_fits()
        b, n = self.num_envs, self.n_agents
        ones = torch.ones(b, n, 1, dtype=torch.bool, device=self.device)
        return torch.cat((ones, fits.repeat_interleave(k1, dim=-1)), -1)

    def _tier_fields(self) -> list[torch.Tensor]:
        """The observation's ``tier_lengths`` and ``tier_affordable`` (``n_tiers > 1``)."""
        lengths = (self._tier_lengths().to(FLOAT) / self.config.max_draft_tokens).clamp(max=1.0)
        return [lengths, self._tier_fits().to(FLOAT)]
