"""Tests for the simulated backend's debate roles: coordinator strategy/commitment, executors."""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from econ_env.envs.debate.prompts import executor_messages
from econ_env.llm.base import Completion, GenRequest, SimHints
from econ_env.llm.simulated import (
    STRATEGY_GENERIC,
    STRATEGY_GOOD,
    SimParams,
    SimulatedBackend,
    prompt_has_good_strategy,
    strategy_is_good,
)
from econ_env.tasks.base import TaskItem

NUM = TaskItem("t/1", "Tom has 12 apples and buys 7 more. How many?", "19", "numeric")
CHOICE = TaskItem("c/1", "Pick: A) x B) y C) z D) w", "C", "choice", {"choices": tuple("xyzw")})
MSGS = ({"role": "system", "content": "Be brief."}, {"role": "user", "content": NUM.question})
BOXED = re.compile(r"\\boxed\{(.*)\}\.\s*$", re.S)
ROLES = ("draft", "revise", "strategy", "commitment", "answer")


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def req(
    item=NUM,
    *,
    seed=None,
    max_tokens=4096,
    temperature=0.7,
    top_p=1.0,
    rep=1.0,
    strategy=None,
    **hints,
):
    """A request on ``item`` with simulation hints; ``strategy``: the coordinator's strategy
    text quoted in a debate executor's prompt (``None``: the plain question prompt)."""
    msgs = MSGS if strategy is None else executor_messages("executor_0", item, strategy, None)
    return GenRequest(
        msgs,
        max_tokens,
        temperature=temperature,
        top_p=top_p,
        repetition_penalty=rep,
        seed=seed,
        hints=SimHints(item=item, **hints),
    )


def boxed(c: Completion) -> str | None:
    m = BOXED.search(c.text)
    return m.group(1) if m else None


def rate(backend: SimulatedBackend, n: int, answer: str, **kw) -> float:
    out = backend.generate([req(**kw) for _ in range(n)])
    return sum(boxed(c) == answer for c in out) / n


# --------------------------------------------------------------------------- the coordinator


@pytest.mark.parametrize("role", ROLES)
def test_coordinator_index_works_for_every_role(role):
    b = SimulatedBackend(seed=1)  # the default skill tuple has no entry -1
    hints = {"agent_index": -1, "role": role, "heard": ("19", "20", "19"), "own_answer": "20"}
    out = b.generate([req(seed=i, **hints) for i in range(20)])
    assert len(out) == 20 and all(c.completion_tokens > 0 for c in out)
    assert all(
        ("\\boxed" in c.text) == (role != "strategy") for c in out if c.finish_reason == "stop"
    )


def test_coordinator_drafts_with_coordinator_skill():
    b = SimulatedBackend(seed=2, skill=(-2.0,), coordinator_skill=1.5)
    acc = rate(b, 4000, "19", agent_index=-1)
    assert abs(acc - sigmoid(1.5)) < 0.03
    assert SimParams(coordinator_skill=0.3).skill_of(-1) == 0.3
    with pytest.raises(ValueError, match="agent_index must be >= -1, got -2"):
        req(agent_index=-2)  # the hints refuse it before any backend sees it
    with pytest.raises(ValueError, match="agent_index -2"):
        b.params.skill_of(-2)


def test_commitment_follows_the_plurality_at_the_fidelity_rate():
    # A perfect coordinator (skill 30) answers 19 itself, so "20" is committed only by following.
    b = SimulatedBackend(seed=3, coordinator_skill=30.0, coordinator_fidelity=0.7)
    heard = ("20", "19", "20")
    followed = rate(b, 4000, "20", role="commitment", agent_index=-1, heard=heard)
    assert abs(followed - 0.7) < 0.03
    # Plurality correct: P(correct) = fidelity + (1 - fidelity) * sigmoid(coordinator_skill).
    p = SimParams(coordinator_skill=0.0, coordinator_fidelity=0.6, length_sigma=0.0)
    ok = rate(SimulatedBackend(p, seed=4), 4000, "19", role="commitment", heard=("19", "20", "19"))
    assert abs(ok - (0.6 + 0.4 * sigmoid(0.0))) < 0.03


def test_commitment_ties_go_to_the_first_heard_and_groups_are_normalised():
    b = SimulatedBackend(seed=5, coordinator_fidelity=1.0)
    for heard, want in (
        (("20", "19"), "20"),
        (("19", "20"), "19"),
        (("21", "20.0", "19", "20"), "20.0"),
        ((None, "", "21"), "21"),
    ):
        out = b.generate([req(role="commitment", agent_index=-1, heard=heard) for _ in range(50)])
        assert {boxed(c) for c in out} == {want}


def test_commitment_without_heard_answers_answers_itself():
    b = SimulatedBackend(seed=6, coordinator_skill=-1.0, coordinator_fidelity=1.0)
    for heard in ((), (None, None)):
        acc = rate(b, 4000, "19", role="commitment", agent_index=-1, heard=heard)
        assert abs(acc - sigmoid(-1.0)) < 0.03


def test_commitment_is_short_and_ends_with_the_boxed_answer():
    b = SimulatedBackend(seed=7)
    out = b.generate(
        [
            req(seed=i, role="commitment", agent_index=-1, heard=("19",) * 3, max_tokens=50)
            for i in range(2000)
        ]
    )
    assert all(c.completion_tokens <= 50 for c in out)
    stop = [c for c in out if c.finish_reason == "stop"]
    assert len(stop) > 0.9 * len(out)
    assert all(c.text.endswith(f"The answer is \\boxed{{{boxed(c)}}}.") for c in stop)
    assert all(boxed(c) is None for c in out if c.finish_reason == "length")
    logs = np.log([c.completion_tokens for c in stop])
    assert abs(float(np.median(logs)) - dict(SimParams().role_length_mu)["commitment"]) < 0.05


# --------------------------------------------------------------------------- the strategy


def test_strategy_is_a_plan_without_an_answer_and_carries_the_hint_at_its_rate():
    b = SimulatedBackend(seed=8, strategy_hint=0.3)
    out = b.generate(
        [req(seed=i, role="strategy", agent_index=-1, max_tokens=70) for i in range(3000)]
    )
    assert all("\\boxed" not in c.text for c in out)
    assert all("12" in c.text and "7" in c.text for c in out)
    quality = [strategy_is_good(c.text) for c in out]
    assert None not in quality
    assert abs(sum(quality) / len(quality) - 0.3) < 0.03
    assert strategy_is_good("Plan: add the numbers.") is None
    assert strategy_is_good(STRATEGY_GOOD) is True and strategy_is_good(STRATEGY_GENERIC) is False


def test_strategy_respects_the_hard_cap_and_reports_truncation():
    b = SimulatedBackend(seed=9)
    out = b.generate(
        [req(seed=i, role="strategy", agent_index=-1, max_tokens=70) for i in range(3000)]
    )
    assert all(c.completion_tokens <= 70 for c in out)
    cut = [c for c in out if c.finish_reason == "length"]
    assert all(c.completion_tokens == 70 and c.text.endswith("...") for c in cut)
    # default length ~40 tokens (mu = log 40, sigma 0.5): about 13% exceed 70
    assert 0.08 < len(cut) / len(out) < 0.18
    long = SimulatedBackend(seed=9, role_length_mu={"strategy": 6.0}, length_sigma=0.1)
    assert all(
        c.finish_reason == "length" and c.completion_tokens == 70
        for c in long.generate([req(role="strategy", max_tokens=70) for _ in range(50)])
    )


def test_a_good_strategy_raises_executor_accuracy_by_the_bonus():
    b = SimulatedBackend(seed=10, skill=0.0, strategy_bonus=1.0)
    kw = {"role": "answer", "agent_index": 0, "heard": ()}
    good = rate(b, 4000, "19", strategy=f"Plan: add 12 and 7. {STRATEGY_GOOD}", **kw)
    assert abs(good - sigmoid(1.0)) < 0.03
    for text in (None, STRATEGY_GENERIC, "Plan: add 12 and 7, then check."):
        assert abs(rate(b, 4000, "19", strategy=text, **kw) - 0.5) < 0.03


def test_the_backend_recognises_its_own_strategy_text_in_an_executor_prompt():
    """Executors quoting the backend's own strategies: a good one earns the bonus, a generic one
    does not, and a text the backend did not write (a real model's plan) gets no bonus."""
    b = SimulatedBackend(seed=19, skill=0.0, strategy_bonus=1.0, strategy_hint=0.5)
    n = 3000
    plans = b.generate([req(seed=i, role="strategy", agent_index=-1) for i in range(n)])
    kw = {"role": "answer", "agent_index": 0, "heard": ()}
    # executors draw on other seeds than the plans (one seed's stream would tie them together)
    quoted = b.generate([req(seed=n + i, strategy=c.text, **kw) for i, c in enumerate(plans)])
    real = b.generate([req(seed=i, strategy="Plan: add 12 and 7.", **kw) for i in range(n)])
    good = [strategy_is_good(c.text) for c in plans]
    assert None not in good and 0.45 < sum(good) / n < 0.55
    ok = [boxed(c) == "19" for c in quoted]
    acc_good = sum(o for o, g in zip(ok, good, strict=True) if g) / sum(good)
    acc_generic = sum(o for o, g in zip(ok, good, strict=True) if not g) / (n - sum(good))
    assert abs(acc_good - sigmoid(1.0)) < 0.04 and abs(acc_generic - 0.5) < 0.04
    assert acc_good > acc_generic + 0.15
    assert abs(sum(boxed(c) == "19" for c in real) / n - 0.5) < 0.04
    # one seed, one uniform draw: an unknown text answers exactly as a generic strategy does,
    # and a good strategy is right whenever the generic one is
    generic = b.generate(
        [req(seed=i, strategy=f"Plan: x. {STRATEGY_GENERIC}", **kw) for i in range(n)]
    )
    assert [boxed(c) for c in real] == [boxed(c) for c in generic]
    better = b.generate([req(seed=i, strategy=STRATEGY_GOOD, **kw) for i in range(n)])
    assert all(boxed(g) == "19" for g, c in zip(better, generic, strict=True) if boxed(c) == "19")


def test_prompt_has_good_strategy_looks_at_every_message():
    user = {"role": "user", "content": "What is 12 + 7?"}
    assert prompt_has_good_strategy([user, {"role": "user", "content": f"x {STRATEGY_GOOD} y"}])
    assert prompt_has_good_strategy([{"role": "system", "content": STRATEGY_GOOD}, user])
    assert not prompt_has_good_strategy([user, {"role": "user", "content": STRATEGY_GENERIC}])
    assert not prompt_has_good_strategy([user, {"role": "user", "content": "Method: add."}])
    assert not prompt_has_good_strategy([])
    assert not prompt_has_good_strategy([{"role": "user"}])


# --------------------------------------------------------------------------- the executors


def _follow(temp: float, seed: int) -> float:
    # Hopeless executors (skill -30) that never keep their own answer reach the gold only by
    # adopting it: P = (influence + truth_bias) * follow_factor(T).
    p = SimParams(skill=-30.0, stickiness=0.0, influence=0.6, truth_bias=0.2)
    b = SimulatedBackend(p, seed=seed)
    return rate(b, 4000, "19", temperature=temp, role="answer", heard=("19",), own_answer="20")


def test_executors_follow_a_correct_commitment_more_at_low_temperature():
    cold, ref, hot = _follow(0.1, 11), _follow(0.7, 12), _follow(1.3, 13)
    assert abs(cold - 0.8) < 0.03 and abs(ref - 0.8) < 0.03  # no penalty at or below t_ref
    assert abs(hot - 0.8 * math.exp(-1.0 * 0.6)) < 0.03
    assert cold > hot + 0.25


def test_default_executors_agree_with_a_correct_commitment_more_when_cold():
    b = SimulatedBackend(seed=14)
    kw = {"role": "answer", "heard": ("19",), "own_answer": "20", "agent_index": 1}
    assert (
        rate(b, 4000, "19", temperature=0.1, **kw)
        > rate(b, 4000, "19", temperature=1.3, **kw) + 0.1
    )


def test_executor_with_nothing_heard_is_a_draft_and_ignores_its_own_answer():
    b = SimulatedBackend(seed=15, skill=30.0, stickiness=1.0)
    assert rate(b, 200, "19", role="answer", heard=(), own_answer="20") == 1.0
    assert rate(b, 200, "19", role="answer", heard=(None,), own_answer="20") == 1.0
    # with a heard commitment it is revise-like: a failed adoption keeps its own answer
    sticky = SimulatedBackend(seed=15, skill=30.0, stickiness=1.0, influence=0.0, truth_bias=0.0)
    assert rate(sticky, 200, "20", role="answer", heard=("21",), own_answer="20") == 1.0


def test_temperature_spreads_executor_answers():
    b = SimulatedBackend(seed=16)

    def distinct(temp: float) -> float:
        out = b.generate(
            [req(temperature=temp, role="answer", agent_index=i % 4) for i in range(4000)]
        )
        answers = [boxed(c) for c in out]
        return float(np.mean([len(set(answers[k : k + 4])) for k in range(0, 4000, 4)]))

    assert distinct(0.1) < distinct(0.7) < distinct(1.3)


def test_top_p_focus_narrows_wrong_answers_and_is_neutral_by_default():
    def spread(backend: SimulatedBackend, top_p: float) -> int:
        out = backend.generate([req(CHOICE, temperature=1.5, top_p=top_p) for _ in range(2000)])
        wrong = Counter(boxed(c) for c in out)
        return wrong.most_common(1)[0][1]

    focused = SimulatedBackend(seed=17, skill=-30.0, top_p_focus=2.0)
    assert spread(focused, 0.5) > spread(focused, 1.0) + 200
    plain = [req(CHOICE, seed=i, top_p=0.5, rep=1.3) for i in range(100)]
    same = [req(CHOICE, seed=i) for i in range(100)]
    assert SimulatedBackend(seed=1).generate(plain) == SimulatedBackend(seed=1).generate(same)


def test_repetition_shortening_shortens_completions():
    b = SimulatedBackend(seed=18, repetition_shortening=1.0, min_tokens=0)
    base = np.mean([np.log(c.completion_tokens) for c in b.generate([req() for _ in range(3000)])])
    rp = b.generate([req(rep=1.5) for _ in range(3000)])
    assert abs(base - np.mean([np.log(c.completion_tokens) for c in rp]) - 0.5) < 0.05


# --------------------------------------------------------------------------- determinism


def test_debate_requests_are_deterministic_and_batch_independent():
    reqs = [
        req(
            seed=i,
            role=ROLES[i % 5],
            agent_index=-1 if i % 5 in (2, 3) else i % 4,
            heard=("19", "20", "19") if i % 5 == 3 else ("20",),
            own_answer="19",
            strategy=(STRATEGY_GOOD, STRATEGY_GENERIC)[i % 2],
        )
        for i in range(60)
    ]
    a = SimulatedBackend(seed=7).generate(reqs)
    assert a == SimulatedBackend(seed=7).generate(reqs)
    assert a != SimulatedBackend(seed=8).generate(reqs)
    b = SimulatedBackend(seed=7)
    b.generate([req() for _ in range(5)])
    assert [b.generate([r])[0] for r in reqs[::7]] == a[::7]


def test_debate_parameters_leave_draft_and_revise_unchanged():
    reqs = [
        req(
            seed=i,
            role=("draft", "revise")[i % 2],
            agent_index=i % 4,
            heard=("20", "19"),
            own_answer="20",
            temperature=0.3 + 0.1 * (i % 12),
        )
        for i in range(200)
    ]
    debate = SimParams(
        coordinator_skill=-3.0,
        coordinator_fidelity=0.1,
        strategy_hint=0.0,
        follow_temperature=9.0,
        role_length_mu={"revise": 4.5, "strategy": 2.0},
    )
    assert SimulatedBackend(seed=3).generate(reqs) == SimulatedBackend(debate, seed=3).generate(
        reqs
    )


# --------------------------------------------------------------------------- invariants


@settings(max_examples=150, deadline=None)
@given(
    heard=st.lists(st.sampled_from(["19", "20", "21", "7"]), min_size=1, max_size=8),
    seed=st.integers(0, 2**40),
    skill=st.floats(-10, 10),
)
def test_a_faithful_coordinator_always_commits_to_the_first_plurality(heard, seed, skill):
    counts = Counter(heard)
    top = max(counts.values())
    want = next(h for h in heard if counts[h] == top)
    b = SimulatedBackend(seed=seed, coordinator_fidelity=1.0, coordinator_skill=skill)
    (c,) = b.generate([req(seed=seed, role="commitment", agent_index=-1, heard=tuple(heard))])
    assert c.finish_reason == "length" or boxed(c) == want


@settings(max_examples=150, deadline=None)
@given(
    temp=st.floats(0.0, 3.0),
    dt=st.floats(0.01, 2.0),
    follow=st.floats(0.0, 5.0),
    influence=st.floats(0, 1),
    truth_bias=st.floats(0, 1),
)
def test_follow_probability_is_never_higher_at_a_higher_temperature(
    temp, dt, follow, influence, truth_bias
):
    # With one shared seed the adoption draw is the same uniform u at both temperatures, so an
    # executor that adopts at the higher temperature also adopts at the lower one.
    p = SimParams(
        skill=-30.0,
        stickiness=0.0,
        influence=influence,
        truth_bias=truth_bias,
        follow_temperature=follow,
        temperature_effect=0.0,
    )
    b = SimulatedBackend(p, seed=1)
    for s in range(20):
        lo, hi = b.generate(
            [req(seed=s, temperature=t, role="answer", heard=("19",)) for t in (temp, temp + dt)]
        )
        assert boxed(hi) != "19" or boxed(lo) == "19"
