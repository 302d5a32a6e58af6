"""The batched debate_v0's observations, action masks and infos (a mixin of
:class:`~econ_env.vector.debate_env.VecDebateEnv`), in the documented layout of
:mod:`econ_env.envs.debate.observation` and the text env's numeric info keys.
"""

from __future__ import annotations

import torch

__all__ = ["DebateObservations"]


class DebateObservations:
    """Observation, mask and info writers over a :class:`VecDebateEnv`'s state."""

    # ------------------------------------------------------------------ observations
    def _observe(self) -> torch.Tensor:
        """Every row's observation; after a round, only the rows reset since are recomputed
        (the base observes the finished episodes, then the new ones)."""
        rows, self._fresh = self._fresh, None
        if rows is None or self._cache is None or rows.numel() == self.num_envs:
            obs = self._observe_rows(None)
        else:
            obs = self._cache.clone()
            obs[rows] = self._observe_rows(rows)
        self._cache = obs
        return obs

    def _observe_rows(self, rows: torch.Tensor | None) -> torch.Tensor:
        cfg, n = self.config, self.n_agents
        b = self.num_envs if rows is None else rows.numel()
        f32 = torch.float32

        def at(x: torch.Tensor) -> torch.Tensor:
            return x if rows is None else x[rows]

        def each(v: torch.Tensor) -> torch.Tensor:  # (B,): the same for every agent
            return v.to(f32)[:, None, None]

        def own(v: torch.Tensor) -> torch.Tensor:  # (B, n): one value per agent
            return v.to(f32)[..., None]

        played = (at(self.round) > 0)[:, None]
        pf = played.to(f32)
        ans, c = at(self.answer), at(self.commits)[:, 0]
        agree = (ans >= 0) & (ans == c[:, None]) & played
        if cfg.groups >= 2:
            own_local = at(self.local).gather(1, self._group[None, :].expand(b, n))
            local = (ans >= 0) & (ans == own_local) & played
        else:
            local = agree
        ordered = torch.sort(ans, dim=1).values
        distinct = 1 + (ordered[:, 1:] != ordered[:, :-1]).sum(1)
        a = agree.to(f32)
        peers = (a.sum(1, keepdim=True) - a) / (n - 1) if n > 1 else torch.zeros_like(a)
        fields = {
            "budget_left": each((cfg.budget - at(self.billed)).double() / cfg.budget),
            "round": each((at(self.round).double() / cfg.max_rounds).clamp(max=1.0)),
            "strategy_length": each(
                (at(self.strategy_tokens).double() / cfg.strategy_cap).clamp(max=1.0)
            ),
            "strategy_truncated": each(at(self.strategy_truncated)),
            "strategy_features": at(self.strategy_feats)[:, None, :],
            "agrees_commitment": own(agree),
            "commitment_similarity": own(at(self.similarity).clamp(0.0, 1.0).to(f32) * pf),
            "peers_agreement": own(peers),
            "distinct_answers": each(distinct.double() / n * played[:, 0]),
            "agrees_local": own(local),
            "commitment_changed": each(at(self.changed)),
            "previous_belief": ((at(self.beliefs) + 1.0) / 2.0).to(f32) * pf[..., None],
            "agent_id": self._id[None].expand(b, n, n),
            "task": self.table.features[at(self.item)][:, None, :],
        }
        if self.has_facts:
            fields["facts_known"] = own(self.facts.known_fraction(at(self.known), at(self.item)))
        # runs of neighbouring fields that are the same for every agent ((B, 1, k)) or not
        # ((B, n, k)) are joined and written as one block (fewer strided writes)
        out = torch.empty(b, n, self.obs_dim, dtype=f32, device=self.device)
        run: list[torch.Tensor] = []
        start = 0
        for f in self.spec.layout.fields:
            v = fields[f.name]
            if run and v.shape[1] != run[-1].shape[1]:
                out[:, :, start : f.start] = torch.cat(run, dim=-1)
                run, start = [], f.start
            run.append(v)
        out[:, :, start:] = torch.cat(run, dim=-1)
        return out

    def _mask(self) -> torch.Tensor:
        return torch.ones(
            self.num_envs, self.n_agents, self.n_actions, dtype=torch.bool, device=self.device
        )

    def _infos(self) -> dict[str, torch.Tensor]:
        over = self.stop > 0
        played = (self.round > 0)[:, None]
        agree = (self.answer >= 0) & (self.answer == self.commits[:, :1]) & played
        parts = self.parts
        extra = (
            {"facts_known": self.facts.known_fraction(self.known, self.item)}
            if self.has_facts
            else {}
        )
        return extra | {
            "round": self.round.clone(),
            "billed_tokens": self.billed.clone(),
            "generated_tokens": self.generated.clone(),
            "remaining_budget": self.config.budget - self.billed,
            "agent_billed_tokens": self.agent_billed.clone(),
            "agent_generated_tokens": self.agent_generated.clone(),
            "game_over": over,
            "correct": self.correct & over,
            "stop_code": self.stop.clone(),
            "strategy_tokens": self.strategy_tokens.clone(),
            "strategy_truncated": self.strategy_truncated.clone(),
            "commitment_changed": self.changed.clone(),
            "temperature": self.temp.clone(),
            "top_p": self.top_p.clone(),
            "repetition_penalty": self.rep.clone(),
            "reward_ts": parts[..., 0].clone(),
            "reward_al": parts[..., 1].clone(),
            "reward_cc": parts[..., 2].clone(),
            "reward_cost": parts[..., 3].clone(),
            "reward_total": parts[..., 4].clone(),
            "agrees_commitment": agree,
        }

    def _episode(self) -> dict[str, torch.Tensor]:
        return {
            "correct": self.correct.clone(),
            "billed": self.billed.clone(),
            "generated": self.generated.clone(),
            "stop_code": self.stop.clone(),
        }
