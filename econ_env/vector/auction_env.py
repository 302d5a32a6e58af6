"""auction_v0 batched on torch: ``num_envs`` DALA auctions stepped as tensor operations.

:class:`VecAuctionEnv` plays the rules of :class:`econ_env.envs.auction.game.AuctionGame` on
the simulated model (:class:`~econ_env.vector.sim.TensorSim`): drafts at reset, one round per
``step`` (every bidder's action at once, as in the text env's parallel API), the mechanism
(:func:`~econ_env.vector.mechanism.run_auctions`) under the remaining budget and the round cap,
DALA billing (a bidder pays its draft's prompt once, a winner its completion), broadcasts,
revisions of every agent that heard someone else, the stop rules (consensus, budget,
``max_rounds``), the answer rules and both reward modes, heterogeneous teams and split facts
(:mod:`econ_env.vector.regimes`) and DALA's message tiers (:mod:`econ_env.vector.auction_tiers`,
:mod:`econ_env.vector.tiers`). Observations follow the documented table of
:mod:`econ_env.envs.auction.observation` exactly; prompt tokens are counted from the lengths of
the text env's prompts and the simulated backend's templated texts.
"""

from __future__ import annotations

from typing import Any

import torch

from econ_env.envs.auction import prompts
from econ_env.envs.auction.config import AuctionConfig, make_config
from econ_env.envs.auction.env import spec_of
from econ_env.envs.auction.observation import SCALARS
from econ_env.envs.auction.reward import IndividualReward, TeamReward
from econ_env.envs.observe import stop_code
from econ_env.tasks.base import TaskItem
from econ_env.tasks.features import TASK_FEATURE_DIM
from econ_env.vector.auction_obs import AuctionObservations
from econ_env.vector.auction_tiers import AuctionTiers
from econ_env.vector.base import VecEnvBase
from econ_env.vector.items import item_table
from econ_env.vector.mechanism import VCG_MAX_AGENTS, run_auctions
from econ_env.vector.regimes import fact_table, spread, team_of
from econ_env.vector.samples import keep_sample
from econ_env.vector.sim import FLOAT, TensorSim, belief_params, simulated_params
from econ_env.vector.tiers import MAX_ASSIGNMENTS, run_tiered_auctions

__all__ = ["VecAuctionEnv"]

_CONSENSUS = stop_code("consensus")
_BUDGET = stop_code("budget_exhausted")
_MAX_ROUNDS = stop_code("max_rounds")
_OTHERS = len("Others answered .") + 1  # + the heard answers and their ", " separators


class VecAuctionEnv(AuctionTiers, AuctionObservations, VecEnvBase):
    """``num_envs`` auction_v0 episodes on ``device`` (see :mod:`econ_env.vector`).

    Args:
        num_envs: episodes stepped together.
        device: ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"auto"``.
        seed: seed of the env's ``torch.Generator`` (also ``reset(seed=...)``).
        item_pool: how many task items are drawn (once, with ``item_seed``) for the episodes.
        item_seed: seed of that draw.
        env_name: the versioned name it plays (``auction_v0``; ``make_vector("auction_v1")``
            passes ``auction_v1``, with that version's defaults already in ``config``).
        **config: auction_v0's config fields (:class:`~econ_env.envs.auction.config.AuctionConfig`).
    """

    name = "auction_v0"

    def __init__(
        self,
        num_envs: int = 1024,
        device: Any = "cpu",
        seed: int | None = None,
        *,
        item_pool: int = 2048,
        item_seed: int = 0,
        config: AuctionConfig | None = None,
        env_name: str = "auction_v0",
        **kwargs: Any,
    ) -> None:
        cfg = make_config(config, **kwargs)
        self.name = env_name
        super().__init__(spec_of(cfg, env_name), num_envs, device, seed)
        reward = cfg.reward_fn
        if not isinstance(reward, TeamReward | IndividualReward):
            raise ValueError(
                "econ_env.vector.auction: reward must be a built-in reward (reward_mode 'team' "
                f"or 'individual'), got {type(reward).__name__}"
            )
        if cfg.mechanism == "vcg" and cfg.n_agents > VCG_MAX_AGENTS:
            raise ValueError(
                f"econ_env.vector.auction: mechanism='vcg' supports n_agents <= {VCG_MAX_AGENTS}"
                f" in the batched env, got {cfg.n_agents}"
            )
        nt = len(cfg.tiers)
        if cfg.mechanism == "vcg" and nt > 1 and (nt + 1) ** cfg.n_agents > MAX_ASSIGNMENTS:
            raise ValueError(
                f"econ_env.vector.auction: mechanism='vcg' with tiers={cfg.tiers!r} supports "
                f"(n_tiers + 1) ** n_agents <= {MAX_ASSIGNMENTS} in the batched env"
            )
        names = [f.name for f in self.spec.layout.fields]
        self.has_facts = names[-1:] == ["facts_known"]
        want = [*SCALARS, "last_speakers", "agent_id", "task"]
        want += ["tier_lengths", "tier_affordable"] if nt > 1 else []
        if names != want + ["facts_known"] * self.has_facts:
            raise RuntimeError(f"auction_v0's observation layout changed: {names}")
        self.config = cfg
        self.team = isinstance(reward, TeamReward)
        self.cost_weight = float(reward.cost_weight) if self.team else 0.0
        params = simulated_params(cfg, "auction")
        self.table = item_table(
            cfg.task, cfg.task_kwargs, params, item_pool, item_seed, self.device
        )
        skill, self._system_extra = team_of(cfg, params, "auction", self.device)
        self.sim = TensorSim(params, cfg.n_agents, self.table, self.device, skill)
        self.facts = fact_table(self.table.items, cfg.n_agents, self.device)
        self._prompt_chars()
        self._tier_setup(self._system_extra)
        self._alloc()

    # ------------------------------------------------------------------ set-up
    def _prompt_chars(self) -> None:
        """Characters of every prompt part that does not depend on the episode."""
        cfg, dev, n = self.config, self.device, self.config.n_agents

        def chars(messages: Any) -> int:
            return sum(len(m["content"]) for m in messages)

        rows = []
        for kind in ("numeric", "choice"):
            item = TaskItem(id="x", question="", gold="1", kind=kind, meta={})
            rows.append(
                [
                    (
                        chars(prompts.draft_messages(a, n, item)),
                        chars(prompts.revise_messages(a, n, item, "", [])),
                    )
                    for a in cfg.agents
                ]
            )
        t = torch.tensor(rows, dtype=torch.int64, device=dev)  # (kind, agent, draft/revise)
        extra = self._system_extra[None, :]  # a team member's system_prompt, in every prompt
        self._draft_base, self._revise_base = t[..., 0] + extra, t[..., 1] + extra
        self._speaker = torch.tensor([len(f"[{a}] ") for a in cfg.agents], device=dev)
        self._opening = self.sim.openings[torch.arange(n, device=dev) % len(self.sim.openings)]
        self._eye = torch.eye(n, dtype=torch.bool, device=dev)
        self._id = torch.eye(n, dtype=torch.float32, device=dev)
        t_neutral = cfg.beliefs.to_params(None)
        self._neutral = (t_neutral.temperature, t_neutral.top_p, t_neutral.repetition_penalty)

    def _alloc(self) -> None:
        b, n, dev = self.num_envs, self.n_agents, self.device
        i64, f64, bo = torch.int64, FLOAT, torch.bool

        def z(*shape: int, dtype: torch.dtype = i64) -> torch.Tensor:
            return torch.zeros(*shape, dtype=dtype, device=dev)

        self.item = z(b)
        self.round = z(b)
        self.billed = z(b)
        self.generated = z(b)
        self.agent_billed = z(b, n)
        self.agent_generated = z(b, n)
        self.answer = z(b, n)
        self.tokens = z(b, n)
        self.prompt = z(b, n)
        self.chars = z(b, n)
        self.logprob = z(b, n, dtype=f64)
        self.entropy = z(b, n, dtype=f64)
        self.prompt_billed = z(b, n, dtype=bo)
        self.spoken = z(b, n, dtype=bo)
        self.spoke_gold = z(b, n, dtype=bo)
        self.temp = z(b, n, dtype=f64)
        self.top_p = z(b, n, dtype=f64)
        self.rep = z(b, n, dtype=f64)
        self.prev_bids = z(b, n, dtype=f64)
        self.last_winners = z(b, n, dtype=bo)
        self.last_price = z(b, dtype=f64)
        self.last_speech = torch.full((b,), -2, dtype=i64, device=dev)  # -2: nobody spoke yet
        self.stop = z(b)
        self.correct = z(b, dtype=bo)
        self.last_tier = torch.full((b, n), -1, dtype=i64, device=dev)  # tier broadcast last
        self.known = z(b, n)  # split facts: known fact indices (bit masks)
        self.known_prev = z(b, n)  # ... as of each agent's previous completion
        self._static = torch.zeros(b, n, n + TASK_FEATURE_DIM, device=dev)
        k = self.config.draft_samples  # self-consistency: every first-draft sample's answer
        self.votes = torch.full((b, n, k), -1, dtype=i64, device=dev) if k > 1 else None
        self.sampled = z(b, n, dtype=bo)  # ... votes until its agent revises

    # ------------------------------------------------------------------ episodes
    def _reset_where(self, mask: torch.Tensor) -> None:
        b, n, dev = self.num_envs, self.n_agents, self.device
        item = torch.randint(self.table.size, (b,), generator=self.gen, device=dev)
        self.item = torch.where(mask, item, self.item)
        self._set_static(mask)
        m1, m2 = mask, mask[:, None]
        for name in ("round", "billed", "generated", "stop"):
            setattr(self, name, getattr(self, name).masked_fill(m1, 0))
        for name in ("agent_billed", "agent_generated"):
            setattr(self, name, getattr(self, name).masked_fill(m2, 0))
        for name in ("prompt_billed", "spoken", "spoke_gold", "last_winners"):
            setattr(self, name, getattr(self, name).masked_fill(m2, False))
        self.correct = self.correct.masked_fill(m1, False)
        self.prev_bids = self.prev_bids.masked_fill(m2, 0.0)
        self.last_price = self.last_price.masked_fill(m1, 0.0)
        self.last_speech = self.last_speech.masked_fill(m1, -2)
        self.last_tier = self.last_tier.masked_fill(m2, -1)
        for name, value in zip(("temp", "top_p", "rep"), self._neutral, strict=True):
            setattr(self, name, getattr(self, name).masked_fill(m2, value))
        item = self.item
        t = self.table
        share = self.facts.share.index_select(0, item)
        self.known = torch.where(m2, share, self.known)
        self.known_prev = torch.where(m2, share, self.known_prev)
        choice = t.row(t.is_choice, item).to(torch.int64)
        chars = self._draft_base.index_select(0, choice) + self._question(item)
        prompt = self.sim.prompt_tokens(chars, 2)
        head = self._opening[None, :] + t.row(t.numbers_chars, item)[:, None]
        self._draft(prompt, head, "draft", None, None, m2.expand(b, n))

    def _draft(
        self,
        prompt: torch.Tensor,
        head: torch.Tensor,
        mode: str,
        own: torch.Tensor | None,
        heard: torch.Tensor | None,
        who: torch.Tensor,
        influence: torch.Tensor | None = None,
    ) -> None:
        """New drafts (of role ``mode``) of the agents where ``who`` (``(B, n)``) is True."""
        b, n = self.num_envs, self.n_agents
        items = self.item[:, None].expand(b, n).reshape(-1)
        skill = self.sim.skill[None, :].expand(b, n).reshape(-1)
        temp, top_p = self.temp.reshape(-1), self.top_p.reshape(-1)
        bonus, learned = 0.0, None
        if self.facts.any:
            known = self.facts.known_fraction(self.known, self.item)
            bonus = (-self.sim.fact_weight * (1.0 - known)).reshape(-1)
            learned = (self.known != self.known_prev).reshape(-1)
            self.known_prev = torch.where(who, self.known, self.known_prev)
        k = self.config.draft_samples if mode == "draft" else 1
        args = (mode, items, skill, temp, top_p, own, heard, bonus, learned, influence, head)
        outs = [self._sample(*args) for _ in range(k)]
        new, extra = outs[0], 0
        if k > 1:  # self-consistency: each agent keeps its most common answer's first sample
            new, extra, votes = keep_sample(outs)
            self.votes = torch.where(who[..., None], votes.reshape(b, n, k), self.votes)
        if self.votes is not None:  # a revision's only vote is its own answer
            self.sampled = (self.sampled & ~who) | (who & (mode == "draft"))
        new = {**new, "prompt": prompt}
        for name, value in new.items():
            setattr(self, name, torch.where(who, value.reshape(b, n), getattr(self, name)))
        spent = torch.where(who, k * prompt + (new["tokens"] + extra).reshape(b, n), 0)
        if self.tiered:  # the compressions of the new drafts
            spent = spent + self._compress(who)
        self.agent_generated = self.agent_generated + spent
        self.generated = self.generated + spent.sum(1)
        self.prompt_billed = self.prompt_billed & ~who
        self.spoken = self.spoken & ~who

    def _sample(
        self,
        mode: str,
        items: torch.Tensor,
        skill: torch.Tensor,
        temp: torch.Tensor,
        top_p: torch.Tensor,
        own: torch.Tensor | None,
        heard: torch.Tensor | None,
        bonus: torch.Tensor | float,
        learned: torch.Tensor | None,
        influence: torch.Tensor | None,
        head: torch.Tensor,
    ) -> dict[str, torch.Tensor]:
        """One completion per agent (flattened ``(B*n,)``): answer, tokens, characters and
        confidence signals."""
        ans, ok, taken = self.sim.respond(
            mode, items, skill, temp, top_p, self.gen, own, heard, bonus, learned, influence
        )
        tokens, cut = self.sim.lengths(
            mode, (items.shape[0],), self.config.max_draft_tokens, self.gen, self.rep.reshape(-1)
        )
        logprob, entropy = self.sim.confidence(ok, temp, self.gen, mode)
        ending = self.sim.ending_chars(items, ans, taken, cut)
        chars = self.sim.text_chars(tokens, head.reshape(-1), ending)
        ans = torch.where(cut, self.table.row(self.table.cut_answer, items), ans)
        return {"answer": ans, "tokens": tokens, "chars": chars, "logprob": logprob,
                "entropy": entropy}  # fmt: skip

    def _question(self, item: torch.Tensor, known: torch.Tensor | None = None) -> torch.Tensor:
        """``(B, n)`` characters of each agent's question with its share of split facts, or
        with the facts of its known mask ``known`` (``(B, n)``; ``carry_facts``)."""
        t = self.table
        if known is not None:
            return t.row(t.question_chars, item)[:, None] + self.facts.known_chars(known, item)
        return t.row(t.question_chars, item)[:, None] + self.facts.chars.index_select(0, item)

    # ------------------------------------------------------------------ one round
    def _check_masks(self, level: torch.Tensor, active: torch.Tensor) -> torch.Tensor:
        bad = (level > 0) & ~self._can_speak() & active[:, None]
        if bool(bad.any()):
            if self.config.invalid_action == "raise":
                env, agent = self._where(bad)
                lv = int(level[env, self.agents.index(agent)])
                raise ValueError(
                    f"auction_v0: env {env}, {agent}: action {lv} is masked (its draft cannot "
                    "be broadcast this round); choose 0 (silence) or pass invalid_action='silence'"
                )
            level = torch.where(bad, 0, level)
        return level

    def _play(self, actions: torch.Tensor, active: torch.Tensor) -> tuple[torch.Tensor, ...]:
        cfg, b, n, dev = self.config, self.num_envs, self.n_agents, self.device
        if self.tiered:
            offers = torch.where(self.spoken[..., None], 0.0, self._tier_offers(actions, active))
            bids = offers.amax(-1)
        elif self.discrete:
            level = self._check_masks(actions, active)
            bids = level.to(FLOAT) / (cfg.bid_levels - 1)
        else:
            bids = (actions[..., 0] + 1.0) / 2.0
            if cfg.belief_dim:
                self._set_params(actions[..., 1:], active)
        bid_list = torch.where(self.spoken, 0.0, bids)
        takes_part = (bid_list > 0.0) & (bid_list >= cfg.reserve)
        bid_charge = torch.where(takes_part, self._bid_cost(), 0)
        remaining = self._remaining()
        refused = active & (bid_charge.sum(1) > remaining)
        go = active & ~refused
        cap = (remaining - bid_charge.sum(1)).to(FLOAT)
        if cfg.round_cap is not None:
            cap = cap.clamp(max=cfg.round_cap)
        settle = dict(reserve=cfg.reserve, top_k=cfg.top_k, temperature=cfg.softmax_temperature)
        if self.tiered:
            win, pay, price, tier = run_tiered_auctions(
                cfg.mechanism, offers, self.t_tokens, cap, self.gen, **settle
            )
            pick = tier.clamp(min=0)[..., None]
            sent_tokens = self.t_tokens.gather(-1, pick)[..., 0]
            sent_ans = self.t_answer.gather(-1, pick)[..., 0]
            sent_chars = self.t_chars.gather(-1, pick)[..., 0]
        else:
            win, pay, price = run_auctions(
                cfg.mechanism, bid_list, self.tokens, cap, self.gen, **settle
            )
            tier = None
            sent_tokens, sent_ans, sent_chars = self.tokens, self.answer, self.chars
        win &= go[:, None]
        pay = torch.where(go[:, None], pay, 0.0)
        revise = (
            go & ~(cfg.stop_on_consensus & self._consensus()) & (self.round + 1 < cfg.max_rounds)
        )
        billed = torch.where(go[:, None], bid_charge + win * sent_tokens, 0)
        self.agent_billed = self.agent_billed + billed
        self.billed = self.billed + billed.sum(1)
        self.prompt_billed = self.prompt_billed | takes_part & go[:, None]
        self.spoken = self.spoken | win
        if self.facts.any:  # listeners learn the speakers' facts (not from a keywords message)
            carries = win if tier is None else win & self._carries[tier.clamp(min=0)]
            self.known = spread(self.known, carries[:, None, :] & ~self._eye[None])
        self.spoke_gold = self.spoke_gold | win & (sent_ans == 0)
        top = torch.where(win, torch.arange(n, device=dev), -1).amax(1)
        speech = sent_ans.gather(1, top.clamp(min=0)[:, None])[:, 0]
        self.last_speech = torch.where(go & (top >= 0), speech, self.last_speech)
        self.prev_bids = torch.where(go[:, None], bid_list, self.prev_bids)
        self.last_winners = torch.where(go[:, None], win, self.last_winners)
        self.last_price = torch.where(go, price, self.last_price)
        if tier is not None:
            self.last_tier = torch.where(go[:, None], torch.where(win, tier, -1), self.last_tier)
        self.round = self.round + go.to(torch.int64)
        weight = self._weight[tier.clamp(min=0)] if tier is not None and self.n_tiers > 1 else None
        self._revise(win, revise, sent_ans, sent_chars, weight)
        # rewards and the ending
        if self.team:
            cost = -self.cost_weight * billed.sum(1).to(FLOAT) / cfg.budget
            reward = cost[:, None].expand(b, n).clone()
        else:
            reward = -pay
        code = torch.where(refused, _BUDGET, 0)
        cons = go & cfg.stop_on_consensus & self._consensus()
        code = torch.where(cons & (code == 0), _CONSENSUS, code)
        over = go & (self.round >= cfg.max_rounds) & (code == 0)
        code = torch.where(over, _MAX_ROUNDS, code)
        shortest = self.t_tokens.amin(-1) if self.tiered else self.tokens
        room = ((self._bid_cost() + shortest) <= self._remaining()[:, None]).any(1)
        code = torch.where(go & ~room & (code == 0), _BUDGET, code)
        ended = code > 0
        if bool(ended.any()):
            final = self._final_answer()
            ok = (final >= 0) & self.table.cell(self.table.correct, self.item, final.clamp(min=0))
            self.correct = torch.where(ended, ok, self.correct)
            credit = ok[:, None] if self.team else ok[:, None] & self.spoke_gold
            reward = reward + (ended[:, None] & credit).to(FLOAT)
            self.stop = torch.where(ended, code, self.stop)
        return reward, code, (code == _MAX_ROUNDS) & cfg.max_rounds_truncates

    def _set_params(self, beliefs: torch.Tensor, active: torch.Tensor) -> None:
        temp, top_p, rep = belief_params(beliefs, self.config.beliefs)
        keep = active[:, None]
        self.temp = torch.where(keep, temp, self.temp)
        self.top_p = torch.where(keep, top_p, self.top_p)
        self.rep = torch.where(keep, rep, self.rep)

    def _revise(
        self,
        win: torch.Tensor,
        revise: torch.Tensor,
        sent_ans: torch.Tensor,
        sent_chars: torch.Tensor,
        weight: torch.Tensor | None,
    ) -> None:
        """Every agent that heard someone else's broadcast revises (rows where ``revise``);
        ``sent_*``: each speaker's broadcast message (its tier's), ``weight``: its tier
        influence (``None`` with one tier)."""
        b, n = self.num_envs, self.n_agents
        heard_from = win[:, None, :] & ~self._eye[None]  # (B, n listener, n speaker)
        who = heard_from.any(-1) & revise[:, None]
        if not bool(who.any()):
            return
        item, ans, chars, t = self.item, self.answer, self.chars, self.table
        heard = torch.where(heard_from, sent_ans[:, None, :], -1)  # (B, n, n) in speaker order
        choice = t.row(t.is_choice, item).to(torch.int64)
        quoted = (heard_from * (self._speaker[None, None, :] + sent_chars[:, None, :])).sum(-1)
        count = heard_from.sum(-1)
        shared = quoted + 2 * (count - 1).clamp(min=0)
        base = self._revise_base.index_select(0, choice)
        listed = self.known if self.config.carry_facts else None  # the facts it knows now
        prompt_chars = base + self._question(item, listed) + chars + shared
        prompt = self.sim.prompt_tokens(prompt_chars, 4)
        valid = heard >= 0
        norm = t.cell(t.norm_chars, item[:, None, None], heard.clamp(min=0))
        answered = (valid * norm).sum(-1) + 2 * (valid.sum(-1) - 1).clamp(min=0)
        others_part = torch.where(valid.any(-1), _OTHERS + answered, 0)
        head = self._opening[None, :] + others_part + t.row(t.numbers_chars, item)[:, None]
        influence = None if weight is None else weight[:, None, :].expand(b, n, n).reshape(b * n, n)
        self._draft(
            prompt, head, "revise", ans.reshape(-1), heard.reshape(b * n, n), who, influence
        )
