"""auction_v0 batched on torch: ``num_envs`` DALA auctions stepped as tensor operations.

:class:`VecAuctionEnv` plays the rules of :class:`econ_env.envs.auction.game.AuctionGame` on
the simulated model (:class:`~econ_env.vector.sim.TensorSim`): drafts at reset, one round per
``step`` (every bidder's action at once, as in the text env's parallel API), the mechanism
(:func:`~econ_env.vector.mechanism.run_auctions`) under the remaining budget and the round cap,
DALA billing (a bidder pays its draft's prompt once, a winner its completion), broadcasts,
revisions of every agent that heard someone else, the stop rules (consensus, budget,
``max_rounds``), the answer rules and both reward modes. Observations follow the documented
table of :mod:`econ_env.envs.auction.observation` exactly; prompt tokens are counted from the
lengths of the text env's prompts and the simulated backend's templated texts.
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
from econ_env.vector.base import VecEnvBase
from econ_env.vector.items import item_table
from econ_env.vector.mechanism import VCG_MAX_AGENTS, run_auctions
from econ_env.vector.sim import FLOAT, TensorSim, belief_params, simulated_params

__all__ = ["VecAuctionEnv"]

_CONSENSUS = stop_code("consensus")
_BUDGET = stop_code("budget_exhausted")
_MAX_ROUNDS = stop_code("max_rounds")
_OTHERS = len("Others answered .") + 1  # + the heard answers and their ", " separators


class VecAuctionEnv(AuctionObservations, VecEnvBase):
    """``num_envs`` auction_v0 episodes on ``device`` (see :mod:`econ_env.vector`).

    Args:
        num_envs: episodes stepped together.
        device: ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"auto"``.
        seed: seed of the env's ``torch.Generator`` (also ``reset(seed=...)``).
        item_pool: how many task items are drawn (once, with ``item_seed``) for the episodes.
        item_seed: seed of that draw.
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
        **kwargs: Any,
    ) -> None:
        cfg = make_config(config, **kwargs)
        super().__init__(spec_of(cfg), num_envs, device, seed)
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
        names = [f.name for f in self.spec.layout.fields]
        if names != [*SCALARS, "last_speakers", "agent_id", "task"]:  # _observe's order
            raise RuntimeError(f"auction_v0's observation layout changed: {names}")
        self.config = cfg
        self.team = isinstance(reward, TeamReward)
        self.cost_weight = float(reward.cost_weight) if self.team else 0.0
        params = simulated_params(cfg, "auction")
        self.table = item_table(
            cfg.task, cfg.task_kwargs, params, item_pool, item_seed, self.device
        )
        self.sim = TensorSim(params, cfg.n_agents, self.table, self.device)
        self._prompt_chars()
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
        self._draft_base, self._revise_base = t[..., 0], t[..., 1]
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
        self._static = torch.zeros(b, n, n + TASK_FEATURE_DIM, device=dev)

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
        for name, value in zip(("temp", "top_p", "rep"), self._neutral, strict=True):
            setattr(self, name, getattr(self, name).masked_fill(m2, value))
        item = self.item
        t = self.table
        choice = t.row(t.is_choice, item).to(torch.int64)
        chars = self._draft_base.index_select(0, choice) + t.row(t.question_chars, item)[:, None]
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
    ) -> None:
        """New drafts (of role ``mode``) of the agents where ``who`` (``(B, n)``) is True."""
        b, n = self.num_envs, self.n_agents
        items = self.item[:, None].expand(b, n).reshape(-1)
        skill = self.sim.skill[None, :].expand(b, n).reshape(-1)
        temp, top_p = self.temp.reshape(-1), self.top_p.reshape(-1)
        ans, ok, taken = self.sim.respond(mode, items, skill, temp, top_p, self.gen, own, heard)
        tokens, cut = self.sim.lengths(
            mode, (b * n,), self.config.max_draft_tokens, self.gen, self.rep.reshape(-1)
        )
        logprob, entropy = self.sim.confidence(ok, temp, self.gen)
        ending = self.sim.ending_chars(items, ans, taken, cut)
        chars = self.sim.text_chars(tokens, head.reshape(-1), ending)
        ans = torch.where(cut, self.table.row(self.table.cut_answer, items), ans)
        new = {
            "answer": ans,
            "tokens": tokens,
            "prompt": prompt,
            "chars": chars,
            "logprob": logprob,
            "entropy": entropy,
        }
        for name, value in new.items():
            setattr(self, name, torch.where(who, value.reshape(b, n), getattr(self, name)))
        spent = torch.where(who, prompt + tokens.reshape(b, n), 0)
        self.agent_generated = self.agent_generated + spent
        self.generated = self.generated + spent.sum(1)
        self.prompt_billed = self.prompt_billed & ~who
        self.spoken = self.spoken & ~who

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
        cap = self._remaining()[:, None] - self._bid_cost()
        if self.config.round_cap is not None:
            cap = cap.clamp(max=self.config.round_cap)
        return ~self.spoken & (self.tokens <= cap)

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
        if self.discrete:
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
        win, pay, price = run_auctions(
            cfg.mechanism,
            bid_list,
            self.tokens,
            cap,
            self.gen,
            reserve=cfg.reserve,
            top_k=cfg.top_k,
            temperature=cfg.softmax_temperature,
        )
        win &= go[:, None]
        pay = torch.where(go[:, None], pay, 0.0)
        revise = (
            go & ~(cfg.stop_on_consensus & self._consensus()) & (self.round + 1 < cfg.max_rounds)
        )
        billed = torch.where(go[:, None], bid_charge + win * self.tokens, 0)
        self.agent_billed = self.agent_billed + billed
        self.billed = self.billed + billed.sum(1)
        self.prompt_billed = self.prompt_billed | takes_part & go[:, None]
        self.spoken = self.spoken | win
        self.spoke_gold = self.spoke_gold | win & (self.answer == 0)
        top = torch.where(win, torch.arange(n, device=dev), -1).amax(1)
        speech = self.answer.gather(1, top.clamp(min=0)[:, None])[:, 0]
        self.last_speech = torch.where(go & (top >= 0), speech, self.last_speech)
        self.prev_bids = torch.where(go[:, None], bid_list, self.prev_bids)
        self.last_winners = torch.where(go[:, None], win, self.last_winners)
        self.last_price = torch.where(go, price, self.last_price)
        self.round = self.round + go.to(torch.int64)
        self._revise(win, revise)
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
        room = ((self._bid_cost() + self.tokens) <= self._remaining()[:, None]).any(1)
        code = torch.where(go & ~room & (code == 0), _BUDGET, code)
        ended = code > 0
        if bool(ended.any()):
            final = self._final_answer()
            ok = (final >= 0) & self.table.cell(self.table.correct, self.item, final.clamp(min=0))
            self.correct = torch.where(ended, ok, self.correct)
            credit = ok[:, None] if self.team else ok[:, None] & self.spoke_gold
            reward = reward + (ended[:, None] & credit).to(FLOAT)
            self.stop = torch.where(ended, code, self.stop)
        return reward, code, code == _MAX_ROUNDS

    def _set_params(self, beliefs: torch.Tensor, active: torch.Tensor) -> None:
        temp, top_p, rep = belief_params(beliefs, self.config.beliefs)
        keep = active[:, None]
        self.temp = torch.where(keep, temp, self.temp)
        self.top_p = torch.where(keep, top_p, self.top_p)
        self.rep = torch.where(keep, rep, self.rep)

    def _revise(self, win: torch.Tensor, revise: torch.Tensor) -> None:
        """Every agent that heard someone else's broadcast revises (rows where ``revise``)."""
        b, n = self.num_envs, self.n_agents
        heard_from = win[:, None, :] & ~self._eye[None]  # (B, n listener, n speaker)
        who = heard_from.any(-1) & revise[:, None]
        if not bool(who.any()):
            return
        item, ans, chars, t = self.item, self.answer, self.chars, self.table
        heard = torch.where(heard_from, ans[:, None, :], -1)  # (B, n, n) in speaker order
        choice = t.row(t.is_choice, item).to(torch.int64)
        quoted = (heard_from * (self._speaker[None, None, :] + chars[:, None, :])).sum(-1)
        count = heard_from.sum(-1)
        shared = quoted + 2 * (count - 1).clamp(min=0)
        base = self._revise_base.index_select(0, choice)
        prompt_chars = base + t.row(t.question_chars, item)[:, None] + chars + shared
        prompt = self.sim.prompt_tokens(prompt_chars, 4)
        valid = heard >= 0
        norm = t.cell(t.norm_chars, item[:, None, None], heard.clamp(min=0))
        answered = (valid * norm).sum(-1) + 2 * (valid.sum(-1) - 1).clamp(min=0)
        others_part = torch.where(valid.any(-1), _OTHERS + answered, 0)
        head = self._opening[None, :] + others_part + t.row(t.numbers_chars, item)[:, None]
        self._draft(prompt, head, "revise", ans.reshape(-1), heard.reshape(b * n, n), who)

    def _final_answer(self) -> torch.Tensor:
        rule = self.config.answer_rule
        plural = self._plurality()
        if rule == "last_speaker":
            return torch.where(self.last_speech > -2, self.last_speech, plural)
        if rule == "confidence":
            best = torch.argmax(self.logprob, dim=1)
            return self.answer.gather(1, best[:, None])[:, 0]
        return plural
