"""The batched tiered mechanisms (:mod:`econ_env.vector.tiers`) against the text env's
:func:`~econ_env.envs.auction.tiers.run_tiered_auction`, auction by auction."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import econ_env.vector as V
from econ_env.envs.auction.tiers import best_tiers as text_best_tiers
from econ_env.envs.auction.tiers import run_tiered_auction
from econ_env.vector.mechanism import run_auctions
from econ_env.vector.tiers import MAX_ASSIGNMENTS, best_tiers, run_tiered_auctions

torch.set_num_threads(1)
B = 200


def _instances(seed: int, n: int, t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    bids = np.round(rng.random((B, n, t)), 2) * (rng.random((B, n, t)) < 0.8)  # ties, zeros
    lengths = rng.integers(5, 200, (B, n, t))
    cap = rng.integers(50, 500, B).astype(float)
    return bids, lengths, cap


@pytest.mark.parametrize(
    ("mechanism", "top_k"),
    [("vcg", 1), ("vcg", 2), ("vcg", 3), ("second_price", 1), ("top_k", 2), ("first_price", 1)],
)
def test_tiered_auctions_match_the_text_mechanism(mechanism: str, top_k: int) -> None:
    n, t = 4, 3
    bids, lengths, cap = _instances(7, n, t)
    gen = torch.Generator().manual_seed(0)
    win, pay, price, tier = run_tiered_auctions(
        mechanism,
        torch.tensor(bids, dtype=torch.float32),
        torch.tensor(lengths),
        torch.tensor(cap, dtype=torch.float32),
        gen,
        reserve=0.05,
        top_k=top_k,
    )
    compared = 0
    for b in range(B):
        r = run_tiered_auction(
            mechanism, bids[b], lengths[b], rng=np.random.default_rng(b), cap=cap[b],
            top_k=top_k, reserve=0.05,
        )  # fmt: skip
        text_welfare = sum(bids[b, i, j] for i, j in enumerate(r.tier_of) if j >= 0)
        vec_welfare = sum(bids[b, i, int(j)] for i, j in enumerate(tier[b]) if j >= 0)
        assert vec_welfare == pytest.approx(text_welfare, abs=1e-4), b
        assert bool(((tier[b] >= 0) == win[b]).all())
        used = sum(lengths[b, i, int(j)] for i, j in enumerate(tier[b]) if j >= 0)
        assert used <= cap[b] and int(win[b].sum()) <= top_k
        if tuple(np.flatnonzero(win[b].numpy())) == r.result.winners:  # no tie between sets
            compared += 1
            assert np.allclose(pay[b].numpy(), r.result.payments, atol=1e-4), b
            assert float(price[b]) == pytest.approx(r.result.clearing_price, abs=1e-4)
    assert compared > B // 2


def test_best_tiers_match_the_text_rule() -> None:
    bids, lengths, _ = _instances(3, 5, 3)
    got = best_tiers(torch.tensor(bids, dtype=torch.float32), torch.tensor(lengths))
    for b in range(B):
        assert got[b].tolist() == text_best_tiers(bids[b], lengths[b]).tolist()


@pytest.mark.parametrize("mechanism", ["vcg", "second_price", "softmax"])
def test_one_tier_is_the_untiered_mechanism(mechanism: str) -> None:
    bids, lengths, cap = _instances(5, 3, 1)
    args = (torch.tensor(cap, dtype=torch.float32),)
    one = run_tiered_auctions(
        mechanism, torch.tensor(bids, dtype=torch.float32), torch.tensor(lengths), *args,
        torch.Generator().manual_seed(1), top_k=2,
    )  # fmt: skip
    plain = run_auctions(
        mechanism, torch.tensor(bids[..., 0], dtype=torch.float32), torch.tensor(lengths[..., 0]),
        *args, torch.Generator().manual_seed(1), top_k=2,
    )  # fmt: skip
    for a, b in zip(one[:3], plain, strict=True):
        assert torch.equal(a, b)


def test_too_many_assignments_raise_naming_tiers() -> None:
    n = 1
    while 4 ** (n + 1) <= MAX_ASSIGNMENTS:
        n += 1
    n += 1
    bids = torch.rand(2, n, 3)
    with pytest.raises(ValueError, match="tiers"):
        run_tiered_auctions(
            "vcg", bids, torch.ones(2, n, 3, dtype=torch.int64), torch.ones(2), torch.Generator()
        )


# ---------------------------------------------------------------------- the tiered env
ALL = ("full", "summary", "keywords")


def test_compressions_have_the_simulated_backends_lengths() -> None:
    from econ_env.envs.auction.compress import tier_max_tokens
    from econ_env.llm.simulated.compression import compression_text, compression_tokens
    from econ_env.llm.simulated.params import SimParams

    env = V.auction(num_envs=64, seed=2, item_pool=64, tiers=ALL, max_draft_tokens=90)
    env.reset()
    p, t = SimParams(), env.table
    for b in range(env.num_envs):
        for i in range(env.n_agents):
            src, ans = int(env.tokens[b, i]), int(env.answer[b, i])
            assert int(env.t_tokens[b, i, 0]) == src and int(env.t_chars[b, i, 0]) == int(
                env.chars[b, i]
            )
            for j, tier in enumerate(ALL[1:], start=1):
                cap = tier_max_tokens(tier, 90)
                want = compression_tokens(p, tier, src, cap)
                tokens = min(want, cap)
                written = "x" * int(t.norm_chars[env.item[b], max(ans, 0)]) if ans >= 0 else None
                text = compression_text(p, tier, written, tokens, want > cap)
                assert int(env.t_tokens[b, i, j]) == tokens
                assert int(env.t_chars[b, i, j]) == len(text)
                has = ans >= 0 and want <= cap
                assert int(env.t_answer[b, i, j]) == (ans if has else -1)


def test_tiered_spaces_masks_and_infos_follow_the_text_env() -> None:
    from econ_env.registry import env_spec

    cfg = {"tiers": ALL, "action_type": "discrete", "bid_levels": 4}
    env = V.auction(num_envs=8, seed=0, item_pool=64, **cfg)
    spec = env_spec("auction_v0", **cfg)
    assert env.action_space == spec.action_space and env.n_actions == 1 + 3 * 3
    assert [f.name for f in env.spec.layout.fields][-2:] == ["tier_lengths", "tier_affordable"]
    obs, info = env.reset()
    mask = info["action_mask"]
    fits = obs[..., -3:] > 0.5  # tier_affordable
    assert torch.equal(mask[..., 0], torch.ones_like(mask[..., 0]))
    for tier in range(3):
        for level in range(3):
            assert torch.equal(mask[..., 1 + tier * 3 + level], fits[..., tier])
    assert torch.equal(info["tier"], torch.full((8, 3), -1))
    # agent 0 bids the top level on keywords (tier 2), the others are silent
    acts = torch.zeros(8, 3, dtype=torch.int64)
    acts[:, 0] = 1 + 2 * 3 + 2
    _, _, _, _, info = env.step(acts)
    spoke = info["spoke"][:, 0]
    assert bool(spoke.any())
    assert torch.equal(info["tier"][:, 0], torch.where(spoke, 2, -1))


def test_a_masked_tier_raises_naming_the_tier() -> None:
    env = V.auction(num_envs=2, seed=0, item_pool=64, tiers=ALL, action_type="discrete",
                    budget=60)  # fmt: skip
    env.reset()
    mask = env.action_mask()
    bad = torch.nonzero(~mask[0, 0]).flatten()
    if bad.numel():
        acts = torch.zeros(2, 3, dtype=torch.int64)
        acts[0, 0] = int(bad[0])
        with pytest.raises(ValueError, match="masked"):
            env.step(acts)


def test_a_keywords_broadcast_carries_no_facts() -> None:
    env = V.auction(num_envs=64, seed=0, item_pool=64, tiers=ALL, task="split_facts")
    env.autoreset = False
    _, info = env.reset()
    before = info["facts_known"]
    acts = torch.full((64, 3, 3), -1.0)
    acts[:, 0, 2] = 1.0  # agent 0 offers only its keywords
    _, _, _, _, info = env.step(acts)
    assert bool(info["spoke"][:, 0].any())
    assert torch.equal(info["facts_known"], before)


def test_one_full_tier_is_the_default_game() -> None:
    a = V.auction(num_envs=32, seed=4, item_pool=64)
    b = V.auction(num_envs=32, seed=4, item_pool=64, tiers=("full",))
    oa, _ = a.reset()
    ob, _ = b.reset()
    assert torch.equal(oa, ob)
    gen = torch.Generator().manual_seed(0)
    for _ in range(4):
        acts = torch.rand(32, 3, 1, generator=gen) * 2 - 1
        ra = a.step(acts)
        rb = b.step(acts)
        for x, y in zip(ra[:4], rb[:4], strict=True):
            assert torch.equal(x, y)
