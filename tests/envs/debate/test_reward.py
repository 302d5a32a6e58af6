"""Tests for debate_v0's TS / AL / CC reward functions (econ_env.envs.debate.reward)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from econ_env.envs.debate.reward import (
    RewardBreakdown,
    RewardWeights,
    executor_rewards,
    similarity01,
)
from econ_env.llm.embeddings import HashedNgramEmbedder, MiniLMEmbedder

torch.set_num_threads(1)

W = RewardWeights()
E3 = np.eye(3)


def rewards(answers, commitment, emb, com_emb, gold="42", kind="numeric", costs=None, w=W):
    n = len(answers)
    return executor_rewards(
        answers=answers,
        commitment_answer=commitment,
        gold=gold,
        kind=kind,
        executor_emb=np.asarray(emb, dtype=np.float64),
        commitment_emb=np.asarray(com_emb, dtype=np.float64),
        costs=[0.0] * n if costs is None else costs,
        weights=w,
    )


def decomposes(r: RewardBreakdown, w: RewardWeights) -> bool:
    return abs(r.total - (w.al * r.al + w.ts * r.ts + w.cc * r.cc - w.cost * r.cost)) <= 1e-12


# --- weights and breakdown -------------------------------------------------------------------


def test_weights_defaults_and_validation() -> None:
    assert (W.al, W.ts, W.cc, W.cost) == (0.3, 0.5, 0.2, 1.0)
    for name in ("al", "ts", "cc", "cost"):
        for bad in (-0.1, math.nan, math.inf, "1", True):
            with pytest.raises(ValueError, match=name):
                RewardWeights(**{name: bad})
    assert RewardWeights(al=1, ts=0).al == 1.0
    assert isinstance(RewardWeights(al=1).al, float)


def test_breakdown_compute_and_validation() -> None:
    w = RewardWeights(al=0.7, ts=0.11, cc=0.13, cost=2.5)
    r = RewardBreakdown.compute(ts=1.0, al=0.3, cc=0.9, cost=0.17, weights=w)
    assert r.total == w.al * 0.3 + w.ts * 1.0 + w.cc * 0.9 - w.cost * 0.17
    assert r.as_dict() == {"ts": 1.0, "al": 0.3, "cc": 0.9, "cost": 0.17, "total": r.total}
    for name, bad in [("ts", 1.5), ("al", -0.1), ("cc", 2.0), ("cost", -1.0), ("total", math.nan)]:
        kwargs = {"ts": 0.0, "al": 0.0, "cc": 0.0, "cost": 0.0, "total": 0.0, name: bad}
        with pytest.raises(ValueError, match=name):
            RewardBreakdown(**kwargs)


# --- similarity01 ----------------------------------------------------------------------------


def test_similarity01_values() -> None:
    a, b = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    assert similarity01(a, a) == pytest.approx(1.0)
    assert similarity01(a, -a) == pytest.approx(0.0)
    assert similarity01(a, b) == pytest.approx(0.5)
    assert similarity01(3 * a, a + b) == pytest.approx((1 / math.sqrt(2) + 1) / 2)
    assert similarity01(np.zeros(2), np.zeros(2)) == 0.5  # zero vectors: no NaN
    assert similarity01(np.zeros(2, np.float32), a) == 0.5
    with pytest.raises(ValueError, match="1-D"):
        similarity01(a, np.ones(3))
    with pytest.raises(ValueError, match="finite"):
        similarity01(a, np.array([np.nan, 0.0]))


@settings(max_examples=150)
@given(st.integers(0, 2**32 - 1), st.integers(1, 20))
def test_similarity01_in_unit_interval_and_symmetric(seed: int, d: int) -> None:
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=d), rng.normal(size=d)
    s = similarity01(a, b)
    assert 0.0 <= s <= 1.0
    assert s == pytest.approx(similarity01(b, a), abs=1e-12)
    assert similarity01(a, a) == pytest.approx(1.0, abs=1e-12)


# --- TS and AL on hand examples --------------------------------------------------------------


def test_ts_and_answer_agreement_numeric() -> None:
    emb = np.tile([1.0, 0.0, 0.0], (4, 1))  # every text equals the commitment: fidelity 1
    out = rewards(["42", "42.0", "7", None], "42", emb, [1.0, 0.0, 0.0])
    assert [r.ts for r in out] == [1.0, 1.0, 0.0, 0.0]
    assert [r.al for r in out] == [1.0, 1.0, 0.5, 0.5]
    wrong_commit = rewards(["42", "7"], "7", emb[:2], [1.0, 0.0, 0.0])
    assert [r.ts for r in wrong_commit] == [1.0, 0.0]
    assert [r.al for r in wrong_commit] == [0.5, 1.0]


def test_no_commitment_answer_never_agrees() -> None:
    out = rewards(["42", None], None, E3[:2], E3[2])
    for r in out:
        assert r.al == pytest.approx(0.5 * 0.5)  # orthogonal to the commitment, no agreement


def test_choice_kind() -> None:
    emb = np.tile([0.0, 1.0], (3, 1))
    out = rewards(["B", "b", "C"], "B", emb, [0.0, 1.0], gold="B", kind="choice")
    assert [r.ts for r in out] == [1.0, 1.0, 0.0]
    assert [r.al for r in out] == [1.0, 1.0, 0.5]


# --- CC: fidelity and novelty ----------------------------------------------------------------


def test_identical_executors_have_zero_novelty() -> None:
    v = np.array([0.6, 0.8, 0.0])
    out = rewards(["1", "1", "1"], "1", np.tile(v, (3, 1)), v)
    for r in out:
        assert r.cc == pytest.approx(0.5 * 1.0 + 0.5 * 0.0)


def test_orthogonal_executors_are_more_novel_than_identical() -> None:
    com = np.ones(3) / math.sqrt(3)
    ortho = rewards(["1", "2", "3"], "1", E3, com)
    same = rewards(["1", "2", "3"], "1", np.tile(E3[0], (3, 1)), com)
    fid = (1 / math.sqrt(3) + 1) / 2
    for r in ortho:
        assert r.cc == pytest.approx(0.5 * fid + 0.5 * 0.5)  # novelty = 1 - mean(0.5, 0.5)
    for r_o, r_s in zip(ortho, same, strict=True):
        assert r_o.cc > r_s.cc
    opposite = rewards(["1", "2"], "1", np.stack([E3[0], -E3[0]]), E3[1])
    for r in opposite:
        assert r.cc == pytest.approx(0.5 * 0.5 + 0.5 * 1.0)


def test_single_executor_novelty_is_half() -> None:
    (r,) = rewards(["42"], "42", E3[:1], E3[0])
    assert r.cc == pytest.approx(0.5 * 1.0 + 0.5 * 0.5)


def test_zero_embeddings_give_finite_neutral_similarity() -> None:
    out = rewards(["1", "2"], "1", np.zeros((2, 4)), np.zeros(4))
    for r in out:
        assert math.isfinite(r.total)
        assert r.cc == pytest.approx(0.5)


def test_cost_enters_with_weight() -> None:
    w = RewardWeights(al=0.0, ts=0.0, cc=0.0, cost=2.0)
    out = rewards(["42", "1"], "42", E3[:2], E3[2], costs=[0.25, 0.0], w=w)
    assert [r.cost for r in out] == [0.25, 0.0]
    assert [r.total for r in out] == [-0.5, 0.0]


# --- validation ------------------------------------------------------------------------------


def test_argument_validation() -> None:
    good = {
        "answers": ["1", "2"],
        "commitment_answer": "1",
        "gold": "1",
        "kind": "numeric",
        "executor_emb": E3[:2],
        "commitment_emb": E3[2],
        "costs": [0.0, 0.1],
        "weights": W,
    }
    assert len(executor_rewards(**good)) == 2
    cases = [
        ({"answers": []}, "answers"),
        ({"answers": ["1", 2]}, "answers"),
        ({"executor_emb": E3}, "executor_emb"),
        ({"executor_emb": E3[0]}, "executor_emb"),
        ({"executor_emb": np.array([[np.nan, 0, 0], [1, 0, 0]])}, "executor_emb"),
        ({"commitment_emb": np.ones(4)}, "commitment_emb"),
        ({"commitment_emb": np.array([np.inf, 0, 0])}, "commitment_emb"),
        ({"costs": [0.0]}, "costs"),
        ({"costs": [0.0, -0.1]}, "costs"),
        ({"costs": [0.0, math.nan]}, "costs"),
        ({"weights": (0.3, 0.5, 0.2, 1.0)}, "weights"),
        ({"kind": "poetry"}, "kind"),
    ]
    for change, name in cases:
        with pytest.raises(ValueError, match=name):
            executor_rewards(**{**good, **change})


# --- properties ------------------------------------------------------------------------------

ANSWERS = st.sampled_from(["1", "2", "3", "1.0", None])
WEIGHT = st.floats(0.0, 10.0, allow_nan=False)


@settings(max_examples=200)
@given(
    seed=st.integers(0, 2**32 - 1),
    answers=st.lists(ANSWERS, min_size=1, max_size=6),
    commitment=ANSWERS,
    gold=st.sampled_from(["1", "2", "3"]),
    d=st.integers(1, 16),
    weights=st.builds(RewardWeights, al=WEIGHT, ts=WEIGHT, cc=WEIGHT, cost=WEIGHT),
    zero_rows=st.booleans(),
)
def test_components_in_range_and_total_decomposes(
    seed, answers, commitment, gold, d, weights, zero_rows
) -> None:
    rng = np.random.default_rng(seed)
    n = len(answers)
    emb = rng.normal(size=(n + 1, d))
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    if zero_rows:
        emb[rng.integers(0, n + 1)] = 0.0
    costs = rng.uniform(0.0, 2.0, size=n).tolist()
    out = rewards(answers, commitment, emb[:n], emb[n], gold=gold, costs=costs, w=weights)
    assert len(out) == n
    for i, r in enumerate(out):
        assert r.ts in (0.0, 1.0)
        assert r.ts == (1.0 if answers[i] is not None and float(answers[i]) == float(gold) else 0.0)
        for v in (r.al, r.cc):
            assert 0.0 <= v <= 1.0
        assert r.cost == costs[i]
        assert all(math.isfinite(v) for v in (r.ts, r.al, r.cc, r.cost, r.total))
        assert decomposes(r, weights)
        agree = answers[i] is not None and commitment is not None
        agree = agree and float(answers[i]) == float(commitment)
        fidelity = similarity01(emb[i], emb[n])
        assert r.al == pytest.approx(0.5 * fidelity + 0.5 * agree, abs=1e-12)
        if n > 1:
            novelty = 1 - np.mean([similarity01(emb[i], emb[j]) for j in range(n) if j != i])
        else:
            novelty = 0.5
        assert r.cc == pytest.approx(0.5 * fidelity + 0.5 * novelty, abs=1e-9)


# --- with the real embedders -----------------------------------------------------------------

TEXTS = [
    "Tom had 12 apples and bought 7 more, so he has 12 + 7 = 19. The answer is \\boxed{19}.",
    "12 plus 7 makes 19 apples in total. \\boxed{19}",
    "The capital of France is Paris, so \\boxed{Paris}.",
]
COMMITMENT = "Adding 12 and 7 apples gives 19. Final answer: \\boxed{19}."


@pytest.mark.parametrize("embedder_cls", [HashedNgramEmbedder, MiniLMEmbedder])
def test_rewards_with_real_embedders(embedder_cls) -> None:
    embedder = embedder_cls()
    vecs = embedder.embed([*TEXTS, COMMITMENT])
    costs = [c / 1000 for c in embedder.count_tokens(TEXTS)]
    out = rewards(["19", "19", "Paris"], "19", vecs[:3], vecs[3], gold="19", costs=costs)
    assert [r.ts for r in out] == [1.0, 1.0, 0.0]
    assert out[0].al > out[2].al
    assert out[1].al > out[2].al
    for r in out:
        assert 0.0 <= r.al <= 1.0
        assert 0.0 <= r.cc <= 1.0
        assert decomposes(r, W)
    # the two on-topic answers are closer to each other than to the off-topic one
    sims = vecs[:3].astype(np.float64) @ vecs[:3].T.astype(np.float64)
    assert sims[0, 1] > max(sims[0, 2], sims[1, 2])
