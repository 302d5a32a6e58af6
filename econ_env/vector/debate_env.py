"""debate_v0 batched on torch: ``num_envs`` ECON debates stepped as tensor operations.

:class:`VecDebateEnv` plays the rules of :class:`econ_env.envs.debate.game.DebateGame` on the
simulated model (:class:`~econ_env.vector.sim.TensorSim`). At reset the coordinator writes its
strategy (length cut at ``strategy_cap``; a good one, naming the method, with probability
``SimParams.strategy_hint``: its executors' answers get ``strategy_bonus``). Each ``step`` is
one BNE round: every executor's belief (continuous, or a discrete preset) is mapped by the
config's :class:`~econ_env.core.beliefs.BeliefMap` to its temperature, top-p and repetition
penalty; the executors answer (following the previous commitment, keeping their own answer or
answering afresh, as the simulated backend does); with ``groups >= 2`` a local coordinator
commits for each group; the (global) coordinator commits. The round's tokens are billed all
or nothing: a round that would overdraw the budget is refused (its tokens count as generated,
not billed; reward 0) and the episode ends with ``budget_exhausted``. Then the rewards
``α1·AL + α2·TS + α3·CC − λ·cost`` (cost: own prompt and completion plus an equal share of the
coordinators' tokens, over the budget), the stop rules of
:mod:`econ_env.envs.debate.convergence` (``converged``, ``belief_converged``, ``oscillation``,
``max_rounds``; only ``max_rounds`` without ``early_stop``), and ``budget_exhausted`` when the
budget is spent exactly. The final answer is the last commitment. Observations follow the
documented table of :mod:`econ_env.envs.debate.observation` (strategy features included:
the 4 hashed word-bucket shares of the templated strategy text, counted exactly); the numeric
infos are the text env's keys as tensors. Prompt and completion tokens are counted from the
lengths of the text env's prompts and the simulated backend's templated texts. As in the
text env, agreement in the observation and ``agrees_commitment`` is equality of normalised
answers, while the AL reward's agreement term is ``answers_agree`` (numeric answers within a
relative tolerance of 1e-6 agree: 78328227 and 78328237), tabulated per item at construction.

Intentional differences from the text env (beyond those of :mod:`econ_env.vector`):

- **Embeddings.** AL and CC use the similarity of answers, not sentence embeddings: ``sim01``
  of two texts is 1 when they give the same (non-empty) answer and 0.5 otherwise. That is
  exactly what the text env computes with ``embedder="answer"``
  (:class:`~econ_env.llm.embeddings.AnswerEmbedder`), whose embedding reads,
  ``ceil(characters / 4)`` per text, are also what this env counts as generated tokens. The
  ``embedder`` config field is accepted (it is part of the spec) but ignored here: the batched
  env always uses answer similarity. (Two distinct answers share the AnswerEmbedder's hash
  bucket with probability 1/4096; the batched env never confuses them.)
- **Game over at reset.** When the budget cannot pay for the strategy, the text env ends the
  episode at reset (round 0; its parallel env has no live agents). The batched env keeps the
  row alive for one step that plays nothing: that step returns reward 0, ``terminated`` and
  stop code ``budget_exhausted`` (so such episodes count one step instead of none; their
  ``round`` is 0 as in the text env). Before that step ``info["game_over"]`` is already True.
- **Cut-off texts.** A commitment cut at ``commitment_cap`` has no boxed answer; its answer is
  what extraction finds in the templated text (none for numeric items; for other kinds it is
  read from a representative text once per item, and -1 when that is not one of the item's
  answers). A cut executor answer is the item's ``cut_answer`` (the last number of the
  question); only for questions without numbers can the text env find another one (the
  commitment it quotes).
"""

from __future__ import annotations

from typing import Any

import torch

from econ_env.envs.debate.config import DebateConfig, make_config
from econ_env.envs.debate.env import spec_of
from econ_env.envs.debate.reward import DebateReward
from econ_env.envs.observe import stop_code
from econ_env.envs.validation import env_kwargs
from econ_env.vector.base import VecEnvBase
from econ_env.vector.debate_obs import DebateObservations
from econ_env.vector.debate_setup import (
    _COMMITTED,
    _EMBED_CHARS,
    _WEIGHED,
    DebateSetup,
)
from econ_env.vector.items import item_table
from econ_env.vector.regimes import fact_table, team_of, union
from econ_env.vector.sim import TensorSim, belief_params, simulated_params

__all__ = ["VecDebateEnv"]

_CONVERGED = stop_code("converged")
_BELIEF = stop_code("belief_converged")
_OSCILLATION = stop_code("oscillation")
_BUDGET = stop_code("budget_exhausted")
_MAX_ROUNDS = stop_code("max_rounds")


class VecDebateEnv(DebateSetup, DebateObservations, VecEnvBase):
    """``num_envs`` debate_v0 episodes on ``device`` (see :mod:`econ_env.vector` and this
    module's docstring, which lists the intentional differences from the text env: answer
    similarity instead of sentence embeddings — any ``embedder`` value is accepted and answer
    similarity is always used —, the one-step ending of a game over at reset, cut-off texts).

    Args:
        num_envs: episodes stepped together.
        device: ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"auto"``.
        seed: seed of the env's ``torch.Generator`` (also ``reset(seed=...)``).
        item_pool: how many task items are drawn (once, with ``item_seed``) for the episodes.
        item_seed: seed of that draw.
        config: a :class:`~econ_env.envs.debate.config.DebateConfig` (fields below override it).
        **kwargs: debate_v0's config fields.
    """

    name = "debate_v0"

    def __init__(
        self,
        num_envs: int = 1024,
        device: Any = "cpu",
        seed: int | None = None,
        *,
        item_pool: int = 2048,
        item_seed: int = 0,
        config: DebateConfig | None = None,
        env_name: str = "debate_v0",
        **kwargs: Any,
    ) -> None:
        cfg = make_config(config, **env_kwargs(kwargs))
        self.name = env_name
        super().__init__(spec_of(cfg, env_name), num_envs, device, seed)
        reward = cfg.reward_fn
        if type(reward) is not DebateReward:
            raise ValueError(
                "econ_env.vector.debate: reward must be the built-in DebateReward (set "
                f"alpha_al / alpha_ts / alpha_cc / cost_weight), got {type(reward).__name__}"
            )
        self.config = cfg
        self.weights = reward
        self.params = params = simulated_params(cfg, "debate")
        self.table = item_table(
            cfg.task, cfg.task_kwargs, params, item_pool, item_seed, self.device
        )
        skill, self._system_extra = team_of(cfg, params, "debate", self.device)
        self.sim = TensorSim(params, cfg.n_agents, self.table, self.device, skill)
        self.facts = fact_table(self.table.items, cfg.n_agents, self.device)
        self.has_facts = self.spec.layout.fields[-1].name == "facts_known"
        self._setup()
        self._exec_base = self._exec_base + self._system_extra[None, :]
        self._alloc()

    def _alloc(self) -> None:
        b, n, d, k, dev = (
            self.num_envs,
            self.n_agents,
            self.config.belief_dim,
            self.config.groups,
            self.device,
        )
        i64, f64, bo = torch.int64, torch.float64, torch.bool

        def z(*shape: int, dtype: torch.dtype = i64) -> torch.Tensor:
            return torch.zeros(*shape, dtype=dtype, device=dev)

        self.item = z(b)
        self.round = z(b)
        self.billed = z(b)
        self.generated = z(b)
        self.agent_billed = z(b, n)
        self.agent_generated = z(b, n)
        self.strategy_tokens = z(b)
        self.strategy_truncated = z(b, dtype=bo)
        self.strategy_good = z(b, dtype=bo)
        self.strategy_chars = z(b)
        self.strategy_feats = z(b, 4, dtype=torch.float32)
        self.answer = torch.full((b, n), -1, dtype=i64, device=dev)
        self.local = torch.full((b, k), -1, dtype=i64, device=dev)
        self.commits = torch.full((b, 3), -1, dtype=i64, device=dev)  # last, one before, two before
        self.commit_chars = z(b)
        self.beliefs = z(b, n, d, dtype=f64)
        self.temp = z(b, n, dtype=f64)
        self.top_p = z(b, n, dtype=f64)
        self.rep = z(b, n, dtype=f64)
        self.parts = z(b, n, 5, dtype=f64)  # ts, al, cc, cost, total of the last round
        self.similarity = z(b, n, dtype=f64)
        self.changed = z(b, dtype=bo)
        self.stop = z(b)
        self.correct = z(b, dtype=bo)
        self.known = z(b, n)  # split facts: the executors' known fact indices (bit masks)
        self.known_prev = z(b, n)  # ... as of each executor's previous answer
        self.coord_known = z(b)  # ... of the last commitment
        self._cache: torch.Tensor | None = None  # the last observation (see _observe)
        self._fresh: torch.Tensor | None = None  # rows reset since it was made

    # ------------------------------------------------------------------ episodes
    def _reset_rows(self, rows: torch.Tensor) -> None:
        cfg, t, sim, dev = self.config, self.table, self.sim, self.device
        r = rows.numel()
        self._fresh = rows if self._fresh is None else torch.cat((self._fresh, rows))
        item = torch.randint(t.size, (r,), generator=self.gen, device=dev)
        self.item[rows] = item
        for name in ("round", "stop", "agent_billed", "agent_generated", "commit_chars"):
            getattr(self, name)[rows] = 0
        for name in ("answer", "local", "commits"):
            getattr(self, name)[rows] = -1
        for name in ("beliefs", "temp", "top_p", "rep", "parts", "similarity"):
            getattr(self, name)[rows] = 0.0
        self.changed[rows] = False
        self.correct[rows] = False
        share = self.facts.share[item]
        self.known[rows] = share
        self.known_prev[rows] = share
        self.coord_known[rows] = 0
        choice = t.is_choice[item].to(torch.int64)
        prompt = sim.prompt_tokens(self._strategy_base[choice] + t.question_chars[item], 2)
        tokens, cut = sim.lengths("strategy", (r,), cfg.strategy_cap, self.gen)
        u = torch.rand((r,), generator=self.gen, device=dev, dtype=torch.float64)
        good = u < self.params.strategy_hint
        g, c = good.to(torch.int64), cut.to(torch.int64)
        head, ending = self._strategy_head[item, g], self._strategy_end[c]
        chars = sim.text_chars(tokens, head, ending)
        missing = (torch.floor(tokens.double() * self.params.chars_per_token).to(torch.int64)
                   - head - ending).clamp(min=0)  # fmt: skip
        words = (
            self._strategy_words[item, g]
            + self._filler_words[missing.clamp(max=self._filler_words.shape[0] - 1)]
            + self._strategy_end_words[c]
        )
        spent = prompt + tokens
        refused = spent > cfg.budget
        feats = words[:, :4].to(torch.float32) / words[:, 4:].clamp(min=1).to(torch.float32)
        self.strategy_feats[rows] = torch.where(refused[:, None], 0.0, feats)
        self.strategy_tokens[rows] = tokens
        self.strategy_truncated[rows] = cut
        self.strategy_good[rows] = good & ~refused
        self.strategy_chars[rows] = torch.where(refused, 0, chars)
        self.billed[rows] = torch.where(refused, 0, spent)
        self.generated[rows] = spent
        self.stop[rows] = torch.where(refused, _BUDGET, 0)

    # ------------------------------------------------------------------ one round
    def _beliefs(self, actions: torch.Tensor) -> torch.Tensor:
        if self.discrete:
            return self._presets[actions]
        return actions.to(torch.float64).clamp(-1.0, 1.0)

    def _commit(
        self,
        item: torch.Tensor,
        heard: torch.Tensor,
        sources: torch.Tensor,
        known: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Commitments from ``heard`` answers ((R, H), -1 = none) quoting ``sources`` characters
        of answer listing: ``(answer, text characters, prompt + completion tokens)``."""
        cfg, t, sim, p = self.config, self.table, self.sim, self.params
        r = item.numel()
        choice = t.is_choice[item].to(torch.int64)
        question = t.question_chars[item]
        if known is not None and cfg.carry_facts:  # the prompt lists the facts it read
            question = question + self.facts.known_chars(known[:, None], item)[:, 0]
        prompt = sim.prompt_tokens(self._commit_base[choice] + question + sources, 2)
        skill = torch.full((r,), p.coordinator_skill, dtype=torch.float64, device=self.device)
        temp = torch.full((r,), self._defaults[0], dtype=torch.float64, device=self.device)
        bonus: torch.Tensor | float = 0.0
        if known is not None:  # split facts: the facts of the answers the coordinator read
            frac = self.facts.known_fraction(known[:, None], item)[:, 0]
            bonus = -sim.fact_weight * (1.0 - frac)
        ans, _, taken = sim.respond(
            "commitment", item, skill, temp, None, self.gen, heard=heard, bonus=bonus
        )
        tokens, cut = sim.lengths("commitment", (r,), cfg.commitment_cap, self.gen)
        head = self._commit_opening + torch.where((heard >= 0).any(1), len(_WEIGHED), 0)
        ending = sim.ending_chars(item, ans, taken, cut)
        chars = sim.text_chars(tokens, head, ending)
        return torch.where(cut, self._cut_commit[item], ans), chars, prompt + tokens

    def _play(self, actions: torch.Tensor, active: torch.Tensor) -> tuple[torch.Tensor, ...]:
        cfg, t, sim, p, w = self.config, self.table, self.sim, self.params, self.weights
        b, n, k, dev = self.num_envs, self.n_agents, cfg.groups, self.device
        self._cache = self._fresh = None  # every row may change
        live = active & (self.stop == 0)
        beliefs = self._beliefs(actions)
        temp, top_p, rep = belief_params(beliefs, self.config.beliefs)
        item = self.item
        items = item[:, None].expand(b, n).reshape(-1)
        choice = t.is_choice[item].to(torch.int64)
        played = self.round > 0
        com = torch.where(played, self.commits[:, 0], -1)
        # executors answer (question, strategy and the previous commitment)
        quoted = torch.where(played, self._commit_prefix + self.commit_chars, 0)
        learned, known = None, self.known
        if self.facts.any:  # executors read the last commitment: they learn its facts
            known = torch.where(played[:, None], known | self.coord_known[:, None], known)
        # an executor's prompt lists its share, or with carry_facts every fact it knows now
        listed = self.facts.known_chars(known, item) if cfg.carry_facts else self.facts.chars[item]
        ex_prompt = sim.prompt_tokens(
            self._exec_base[choice]
            + (t.question_chars[item] + self.strategy_chars + quoted)[:, None]
            + listed,
            2,
        )
        heard = com[:, None].expand(b, n).reshape(-1, 1)
        own = torch.where(played[:, None], self.answer, -1).reshape(-1)
        bonus = (self.strategy_good.double() * p.strategy_bonus)[:, None].expand(b, n).reshape(-1)
        skill = self.sim.skill[None, :].expand(b, n).reshape(-1)
        if self.facts.any:
            frac = self.facts.known_fraction(known, item)
            bonus = bonus - sim.fact_weight * (1.0 - frac.double().reshape(-1))
            learned = (known != self.known_prev).reshape(-1)
        ans, _, taken = sim.respond(
            "answer", items, skill, temp.reshape(-1), top_p.reshape(-1), self.gen,
            own=own, heard=heard, bonus=bonus, learned=learned,
        )  # fmt: skip
        tokens, cut = sim.lengths(
            "answer", (b * n,), cfg.max_answer_tokens, self.gen, rep.reshape(-1)
        )
        committed = torch.where(com >= 0, _COMMITTED + t.norm_chars[item, com.clamp(min=0)], 0)
        head = self._opening[None, :] + (committed + t.numbers_chars[item])[:, None]
        ending = sim.ending_chars(items, ans, taken, cut)
        text = sim.text_chars(tokens, head.reshape(-1), ending).reshape(b, n)
        ans = torch.where(cut, t.cut_answer[items], ans).reshape(b, n)
        own_tokens = ex_prompt + tokens.reshape(b, n)
        # coordinators
        listed = self._exec_name[None, :] + text  # "[executor_i] <text>"
        c_known = None  # split facts: the global commitment carries every executor's facts
        if self.facts.any:
            c_known = union(known, torch.ones_like(self._eye[:1]))[:, 0]
        if k >= 2:
            mem = self._members[None]  # (1, k, n)
            loc_heard = torch.where(mem, ans[:, None, :], -1).reshape(b * k, n)
            size = mem.sum(-1)
            loc_src = (mem * listed[:, None, :]).sum(-1) + 2 * (size - 1)
            loc_item = item[:, None].expand(b, k).reshape(-1)
            loc_known = union(known, self._members) if self.facts.any else None
            local, loc_chars, loc_tok = self._commit(
                loc_item, loc_heard, loc_src.reshape(-1),
                None if loc_known is None else loc_known.reshape(-1),
            )  # fmt: skip
            local, loc_chars = local.reshape(b, k), loc_chars.reshape(b, k)
            src = (self._local_name[None, :] + loc_chars).sum(-1) + 2 * (k - 1)
            c, c_chars, c_tok = self._commit(item, local, src, c_known)
            coord = loc_tok.reshape(b, k).sum(1) + c_tok
        else:
            local = None
            c, c_chars, c_tok = self._commit(item, ans, listed.sum(1) + 2 * (n - 1), c_known)
            coord = c_tok
        # all-or-nothing billing
        total = own_tokens.sum(1) + coord
        remaining = cfg.budget - self.billed
        refused = live & (total > remaining)
        go = live & ~refused
        embed = (text + _EMBED_CHARS - 1).div(_EMBED_CHARS, rounding_mode="floor").sum(1)
        embed = embed + (c_chars + _EMBED_CHARS - 1).div(_EMBED_CHARS, rounding_mode="floor")
        self.generated += torch.where(live, total, 0) + torch.where(go, embed, 0)
        self.agent_generated += torch.where(live[:, None], own_tokens, 0)
        self.billed += torch.where(go, total, 0)
        self.agent_billed += torch.where(go[:, None], own_tokens, 0)
        # rewards: sim01 = 1 for equal answers, 0.5 otherwise (AnswerEmbedder)
        has = ans >= 0
        agree = has & (ans == c[:, None])
        fid = torch.where(agree, 1.0, 0.5)  # sim01 of the answer embeddings
        close = self._agrees[item[:, None], ans.clamp(min=0), c.clamp(min=0)[:, None]]
        close = close & has & (c >= 0)[:, None]  # answers_agree (numeric tolerance)
        if n > 1:
            same = (ans[:, :, None] == ans[:, None, :]) & has[:, :, None] & ~self._eye[None]
            peer = same.sum(-1).double() + 0.5 * (n - 1 - same.sum(-1)).double()
            novelty = (1.0 - peer / (n - 1)).clamp(0.0, 1.0)
        else:
            novelty = torch.full_like(fid, 0.5)
        ts = (t.correct[item[:, None], ans.clamp(min=0)] & has).double()
        al = 0.5 * fid + 0.5 * close.double()
        cc = 0.5 * fid + 0.5 * novelty
        cost = (own_tokens.double() + (coord.double() / n)[:, None]) / cfg.budget
        total_r = w.al * al + w.ts * ts + w.cc * cc - w.cost * cost
        reward = torch.where(go[:, None], total_r, 0.0)
        # the round's state (where it was played)
        prev_final = com
        g1, g2 = go[:, None], go[:, None, None]
        before = self.round.clone()
        self.answer = torch.where(g1, ans, self.answer)
        if self.facts.any:
            self.known = torch.where(g1, known, self.known)
            self.known_prev = torch.where(g1, known, self.known_prev)
            self.coord_known = torch.where(go, c_known, self.coord_known)
        if local is not None:
            self.local = torch.where(g1, local, self.local)
        shifted = torch.stack((c, self.commits[:, 0], self.commits[:, 1]), dim=1)
        self.commits = torch.where(g1, shifted, self.commits)
        self.commit_chars = torch.where(go, c_chars, self.commit_chars)
        change = torch.linalg.vector_norm((beliefs - self.beliefs).reshape(b, -1), dim=1)
        self.beliefs = torch.where(g2, beliefs, self.beliefs)
        self.temp = torch.where(g1, temp, self.temp)
        self.top_p = torch.where(g1, top_p, self.top_p)
        self.rep = torch.where(g1, rep, self.rep)
        self.parts = torch.where(g2, torch.stack((ts, al, cc, cost, total_r), dim=-1), self.parts)
        self.similarity = torch.where(g1, fid, self.similarity)
        self.changed = torch.where(go, (before >= 1) & (c != com), self.changed)
        self.round += go.to(torch.int64)
        # stop rules (convergence.stop_reason, then an exactly spent budget)
        r_ = self.round
        c1, c2, c3 = self.commits[:, 0], self.commits[:, 1], self.commits[:, 2]
        code = torch.zeros(b, dtype=torch.int64, device=dev)
        if cfg.early_stop:
            rules = (
                (_CONVERGED, (r_ >= 2) & (c1 >= 0) & (c1 == c2)),
                (_BELIEF, (r_ >= 2) & (cfg.epsilon > 0) & (change < cfg.epsilon)),
                (_OSCILLATION, (r_ >= 3) & (c1 == c3) & (c1 != c2)),
            )
            for value, holds in rules:
                code = torch.where((code == 0) & holds, value, code)
        code = torch.where((code == 0) & (r_ >= cfg.max_rounds), _MAX_ROUNDS, code)
        code = torch.where((code == 0) & (self.billed == cfg.budget), _BUDGET, code)
        code = torch.where(go, code, 0)
        code = torch.where(refused, _BUDGET, code)
        pre_ended = active & (self.stop > 0)  # a game over at reset: its one empty step
        code = torch.where(pre_ended, self.stop, code)
        ended = (go | refused) & (code > 0)
        final = torch.where(go, c1, prev_final)
        ok = (final >= 0) & t.correct[item, final.clamp(min=0)]
        self.correct = torch.where(ended, ok, self.correct)
        self.stop = torch.where(ended, code, self.stop)
        return reward, code, (code == _MAX_ROUNDS) & cfg.max_rounds_truncates
