"""Tests for the simulated backend: determinism, its statistical model, and output invariants."""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from econ_env.llm.base import Backend, Completion, GenRequest, SimHints
from econ_env.llm.simulated import STRATEGY_GENERIC, STRATEGY_GOOD, SimParams, SimulatedBackend
from econ_env.tasks.base import TaskItem

NUM = TaskItem("t/1", "Tom has 12 apples and buys 7 more. How many?", "19", "numeric")
CHOICE = TaskItem(
    "c/1", "Pick: A) x B) y C) z D) w E) v", "C", "choice", {"choices": tuple("xyzwv")}
)
LATEX = TaskItem("l/1", "Simplify 2/4.", "\\frac{1}{2}", "latex", {"difficulty": 0.2})
CODE = TaskItem("k/1", "Write f.", "def f(): return 1", "code")
MSGS = ({"role": "system", "content": "Be brief."}, {"role": "user", "content": NUM.question})
BOXED = re.compile(r"\\boxed\{(.*)\}\.\s*$", re.S)


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def req(item=NUM, *, seed=None, max_tokens=4096, temperature=0.7, **hints) -> GenRequest:
    """A request on ``item`` with simulation hints (``role``, ``agent_index``, ``heard``...)."""
    hints = SimHints(item=item, **hints)
    return GenRequest(MSGS, max_tokens, temperature=temperature, seed=seed, hints=hints)


def boxed(c: Completion) -> str | None:
    m = BOXED.search(c.text)
    return m.group(1) if m else None


def accuracy(backend: SimulatedBackend, n: int = 3000, item=NUM, **kw) -> float:
    out = backend.generate([req(item, **kw) for _ in range(n)])
    return sum(boxed(c) == item.gold for c in out) / n


# --------------------------------------------------------------------------- determinism


def test_is_a_backend_and_returns_one_completion_per_request_in_order():
    b = SimulatedBackend(seed=3)
    assert isinstance(b, Backend) and b.name == "simulated"
    reqs = [req(NUM, seed=1), req(CHOICE, seed=2), req(None, seed=3), req(LATEX, seed=4)]
    out = b.generate(reqs)
    assert len(out) == 4 and all(isinstance(c, Completion) for c in out)
    assert b.generate(reqs[1:2]) == out[1:2]
    assert b.generate([]) == []


def test_same_seed_same_completions_and_different_seeds_differ():
    reqs = [req(NUM, seed=i, agent_index=i % 3) for i in range(50)]
    a, b = SimulatedBackend(seed=7).generate(reqs), SimulatedBackend(seed=7).generate(reqs)
    assert a == b
    c = SimulatedBackend(seed=8).generate(reqs)
    assert a != c
    shifted = SimulatedBackend(seed=7).generate([req(NUM, seed=i + 100) for i in range(50)])
    assert [x.completion_tokens for x in a] != [x.completion_tokens for x in shifted]


def test_unseeded_requests_follow_the_backend_seed():
    reqs = [req(NUM, agent_index=1) for _ in range(30)]
    assert SimulatedBackend(seed=1).generate(reqs) == SimulatedBackend(seed=1).generate(reqs)
    assert SimulatedBackend(seed=1).generate(reqs) != SimulatedBackend(seed=2).generate(reqs)


def test_batch_composition_does_not_change_a_seeded_request():
    target = req(CHOICE, seed=42, agent_index=2)
    alone = SimulatedBackend(seed=5).generate([target])[0]
    b = SimulatedBackend(seed=5)
    b.generate([req(NUM) for _ in range(10)])  # advance the backend's own generator
    batch = [req(NUM), req(LATEX, seed=1), target, req(None), req(CHOICE, seed=43)]
    assert b.generate(batch)[2] == alone


# --------------------------------------------------------------------------- the answer model


def test_accuracy_follows_the_skill_logit():
    b = SimulatedBackend(seed=0, skill=(1.5, -0.5))
    hi, lo = accuracy(b, agent_index=0), accuracy(b, agent_index=1)
    assert hi > lo
    assert abs(hi - sigmoid(1.5)) < 0.04 and abs(lo - sigmoid(-0.5)) < 0.04


def test_default_agents_are_about_60_percent_right_and_differ():
    b = SimulatedBackend(seed=0)
    accs = [accuracy(b, 1500, agent_index=i) for i in range(len(SimParams().skill))]
    assert 0.55 < float(np.mean(accs)) < 0.65
    assert max(accs) - min(accs) > 0.1
    assert 0.55 < accuracy(SimulatedBackend(seed=0, skill=0.4)) < 0.65


def test_accuracy_falls_with_difficulty_and_temperature():
    b = SimulatedBackend(seed=1, skill=0.5)
    easy = TaskItem("e", "q", "5", "numeric", {"difficulty": 0.1})
    hard = TaskItem("h", "q", "5", "numeric", {"difficulty": 0.9})
    assert accuracy(b, item=easy) > accuracy(b, item=hard) + 0.2
    assert accuracy(b, temperature=0.7) > accuracy(b, temperature=1.7) + 0.15
    # Below t_ref there is no temperature penalty.
    assert abs(accuracy(b, temperature=0.0) - sigmoid(0.5)) < 0.04


def test_agent_index_beyond_skill_tuple_raises_naming_it():
    b = SimulatedBackend(skill=(0.1, 0.2))
    with pytest.raises(ValueError, match=r"agent_index 2 .*length 2"):
        b.generate([req(NUM, agent_index=2)])


def test_difficulty_out_of_range_raises():
    bad = TaskItem("b", "q", "1", "numeric", {"difficulty": 1.5})
    with pytest.raises(ValueError, match="difficulty"):
        SimulatedBackend().generate([req(bad)])


@pytest.mark.parametrize("item", [NUM, CHOICE, LATEX, CODE])
def test_wrong_answers_are_clustered_on_a_few_distractors(item):
    p = SimParams(skill=-3.0)
    out = SimulatedBackend(p, seed=2).generate([req(item) for _ in range(2000)])
    wrong = Counter(boxed(c) for c in out if boxed(c) != item.gold)
    limit = 4 if item.kind == "choice" else p.n_distractors
    assert 1 < len(wrong) <= limit
    assert None not in wrong and item.gold not in wrong
    top = wrong.most_common(1)[0][1] / sum(wrong.values())
    assert top > 1.0 / len(wrong)  # skewed, so agents can agree on a wrong answer
    # distractors depend on the item id only: another backend seed gives the same set
    other = SimulatedBackend(p, seed=99).generate([req(item) for _ in range(2000)])
    assert {boxed(c) for c in other} - {item.gold} == set(wrong)


def test_greedy_wrong_answer_is_the_modal_distractor_and_temperature_spreads_them():
    b = SimulatedBackend(seed=3, skill=-4.0)
    greedy = {boxed(c) for c in b.generate([req(NUM, temperature=0.0) for _ in range(300)])}
    greedy.discard(NUM.gold)
    assert len(greedy) == 1
    hot = Counter(boxed(c) for c in b.generate([req(NUM, temperature=2.0) for _ in range(2000)]))
    warm = Counter(boxed(c) for c in b.generate([req(NUM, temperature=0.5) for _ in range(2000)]))
    mode = greedy.pop()
    assert hot[mode] / hot.total() < warm[mode] / warm.total()


def test_hearing_the_gold_raises_accuracy_over_a_draft():
    p = SimParams(skill=0.0, influence=0.5, truth_bias=0.2)
    b = SimulatedBackend(p, seed=4)
    draft = accuracy(b)
    revised = accuracy(b, role="revise", heard=(NUM.gold,) * 3, own_answer=None)
    assert revised > draft + 0.2
    adopt = p.influence + p.truth_bias  # share of the plurality is 1
    assert abs(revised - (adopt + (1 - adopt) * sigmoid(0.0))) < 0.04


def test_truth_bias_makes_correct_answers_spread_more_than_wrong_ones():
    b = SimulatedBackend(SimParams(skill=-5.0, influence=0.4, stickiness=0.0, truth_bias=0.4))
    right = accuracy(b, role="revise", heard=("19", "19", "20", "19"))
    wrong_heard = b.generate([req(NUM, role="revise", heard=("20",) * 4) for _ in range(3000)])
    adopted_wrong = sum(boxed(c) == "20" for c in wrong_heard) / 3000
    assert right > adopted_wrong + 0.1


def test_revise_keeps_own_answer_with_stickiness():
    b = SimulatedBackend(SimParams(skill=5.0, stickiness=1.0, truth_bias=0.0), seed=1)
    out = b.generate([req(NUM, role="revise", own_answer="20", heard=()) for _ in range(200)])
    assert all(boxed(c) == "20" for c in out)
    b0 = SimulatedBackend(SimParams(skill=5.0, stickiness=0.0, truth_bias=0.0), seed=1)
    out = b0.generate([req(NUM, role="revise", own_answer="20") for _ in range(200)])
    assert sum(boxed(c) == "19" for c in out) > 180


@pytest.mark.parametrize("item", [NUM, CHOICE, LATEX, CODE])
def test_correct_text_boxes_the_gold_and_mentions_question_numbers(item):
    out = SimulatedBackend(seed=1, skill=6.0).generate([req(item) for _ in range(20)])
    assert all(f"\\boxed{{{item.gold}}}" in c.text for c in out)
    assert all(c.text.rstrip().endswith(f"The answer is \\boxed{{{item.gold}}}.") for c in out)
    if item is NUM:
        assert "12" in out[0].text and "7" in out[0].text


def test_request_without_item_gives_generic_text():
    c = SimulatedBackend(seed=1).generate([req(None, seed=1)])[0]
    assert "\\boxed" not in c.text and c.text
    assert 1 <= c.completion_tokens <= 4096 and c.prompt_tokens > 0


# --------------------------------------------------------------------------- tokens & confidence


def test_prompt_tokens_follow_chars_per_token_and_overhead():
    p = SimParams(chars_per_token=3.0, per_message_overhead=5)
    c = SimulatedBackend(p).generate([req(NUM)])[0]
    chars = sum(len(m["content"]) for m in MSGS)
    assert c.prompt_tokens == math.ceil(chars / 3.0) + 5 * len(MSGS)


def test_log_lengths_center_on_length_mu_per_role():
    p = SimParams(length_mu=5.0, role_length_mu={"revise": 4.0}, length_sigma=0.5, min_tokens=0)
    b = SimulatedBackend(p, seed=6)
    for role, mu in (("draft", 5.0), ("revise", 4.0), ("strategy", 5.0)):
        toks = [c.completion_tokens for c in b.generate([req(role=role) for _ in range(3000)])]
        logs = np.log(np.maximum(toks, 1))
        assert abs(float(np.mean(logs)) - mu) < 0.04
        assert abs(float(np.std(logs)) - 0.5) < 0.04


def test_clipped_completion_has_length_finish_and_no_answer():
    b = SimulatedBackend(seed=1, length_mu=6.0, length_sigma=0.1)
    out = b.generate([req(max_tokens=50) for _ in range(50)])
    assert all(c.completion_tokens == 50 and c.finish_reason == "length" for c in out)
    assert all("\\boxed" not in c.text for c in out)
    stop = b.generate([req(max_tokens=4096) for _ in range(50)])
    assert all(c.finish_reason == "stop" and boxed(c) is not None for c in stop)


def _logprob_correctness_corr(rho: float) -> float:
    b = SimulatedBackend(seed=11, skill=0.4, confidence_correlation=rho)
    out = b.generate([req() for _ in range(4000)])
    ok = np.array([boxed(c) == NUM.gold for c in out], dtype=float)
    lp = np.array([c.mean_logprob for c in out])
    return float(np.corrcoef(lp, ok)[0, 1])


def test_logprob_correlation_with_correctness_rises_with_rho():
    neg, zero, high = (_logprob_correctness_corr(r) for r in (-0.9, 0.0, 0.9))
    assert abs(zero) < 0.08
    assert high > 0.5
    assert neg < -0.5
    assert neg < zero < high


def test_role_confidence_correlation_applies_to_its_role_only():
    """A draft's signal follows the draft rho; a first answer keeps the shared rho (0)."""
    b = SimulatedBackend(
        seed=12, skill=0.4, confidence_correlation=0.0, role_confidence_correlation={"draft": 0.9}
    )
    corr = {}
    for role in ("draft", "answer"):
        out = b.generate([req(role=role, agent_index=0) for _ in range(4000)])
        ok = np.array([boxed(c) == NUM.gold for c in out], dtype=float)
        corr[role] = float(np.corrcoef([c.mean_logprob for c in out], ok)[0, 1])
    assert corr["draft"] > 0.5 and abs(corr["answer"]) < 0.08, corr


def test_higher_temperature_raises_entropy():
    b = SimulatedBackend(seed=2)
    cold = np.mean([c.mean_entropy for c in b.generate([req(temperature=0.2)] * 500)])
    hot = np.mean([c.mean_entropy for c in b.generate([req(temperature=1.5)] * 500)])
    assert hot > cold


# --------------------------------------------------------------------------- params & invariants


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("skill", ()),
        ("skill", float("nan")),
        ("skill", (0.1, float("inf"))),
        ("difficulty_weight", -1.0),
        ("temperature_effect", -0.1),
        ("t_ref", -0.5),
        ("distractor_skew", -1.0),
        ("n_distractors", 0),
        ("n_distractors", 2.5),
        ("influence", 1.5),
        ("stickiness", -0.1),
        ("truth_bias", 2.0),
        ("length_mu", 20.0),
        ("role_length_mu", (("revise", -1.0),)),
        ("role_length_mu", (("", 4.0),)),
        ("length_sigma", 5.0),
        ("min_tokens", -1),
        ("chars_per_token", 0.0),
        ("per_message_overhead", -2),
        ("confidence_correlation", 1.5),
        ("logprob_offset", float("nan")),
        ("entropy_slope", float("inf")),
        ("temperature_confidence", -1.0),
        ("coordinator_skill", float("nan")),
        ("coordinator_fidelity", 1.2),
        ("coordinator_fidelity", -0.1),
        ("strategy_hint", 1.5),
        ("strategy_bonus", -0.5),
        ("follow_temperature", -1.0),
        ("follow_temperature", float("inf")),
        ("top_p_focus", -1.0),
        ("repetition_shortening", -0.2),
    ],
)
def test_invalid_params_raise_naming_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        SimParams(**{field: value})


def test_unknown_override_raises():
    with pytest.raises(ValueError, match="skil"):
        SimulatedBackend(skil=0.3)


def test_params_are_frozen_and_normalised():
    p = SimParams(skill=[0.1, 0.2], role_length_mu={"revise": 4.0})
    assert p.skill == (0.1, 0.2) and p.role_length_mu == (("revise", 4.0),)
    assert hash(p) == hash(SimParams(skill=(0.1, 0.2), role_length_mu=(("revise", 4.0),)))
    with pytest.raises(AttributeError):
        p.skill = 1.0  # type: ignore[misc]


params_st = st.builds(
    SimParams,
    skill=st.one_of(
        st.floats(-10, 10), st.lists(st.floats(-10, 10), min_size=4, max_size=6).map(tuple)
    ),
    difficulty_weight=st.floats(0, 20),
    temperature_effect=st.floats(0, 20),
    t_ref=st.floats(0, 2),
    distractor_skew=st.floats(0, 10),
    n_distractors=st.integers(1, 8),
    influence=st.floats(0, 1),
    stickiness=st.floats(0, 1),
    truth_bias=st.floats(0, 1),
    length_mu=st.floats(0, 12),
    length_sigma=st.floats(0, 3),
    min_tokens=st.integers(0, 5000),
    chars_per_token=st.floats(0.5, 100),
    per_message_overhead=st.integers(0, 50),
    confidence_correlation=st.floats(-1, 1),
    logprob_offset=st.floats(-50, 50),
    logprob_slope=st.floats(-20, 20),
    entropy_offset=st.floats(-50, 50),
    entropy_slope=st.floats(-20, 20),
    temperature_confidence=st.floats(0, 10),
    coordinator_skill=st.floats(-10, 10),
    coordinator_fidelity=st.floats(0, 1),
    strategy_hint=st.floats(0, 1),
    strategy_bonus=st.floats(0, 10),
    follow_temperature=st.floats(0, 10),
    top_p_focus=st.floats(0, 5),
    repetition_shortening=st.floats(0, 10),
)


@settings(max_examples=150, deadline=None)
@given(
    params=params_st,
    item=st.sampled_from([NUM, CHOICE, LATEX, CODE, None]),
    max_tokens=st.integers(1, 4096),
    temperature=st.floats(0, 2),
    seed=st.one_of(st.none(), st.integers(-(2**70), 2**70)),
    agent=st.integers(-1, 3),
    role=st.sampled_from(["draft", "revise", "strategy", "commitment", "answer"]),
    heard=st.lists(st.sampled_from(["19", "20", "C", "A"]), max_size=4).map(tuple),
    top_p=st.floats(0.01, 1.0),
    penalty=st.floats(1.0, 3.0),
    strategy=st.sampled_from(["", STRATEGY_GOOD, STRATEGY_GENERIC, "Plan: add them."]),
)
def test_outputs_are_always_valid(
    params, item, max_tokens, temperature, seed, agent, role, heard, top_p, penalty, strategy
):
    hints = SimHints(item=item, agent_index=agent, role=role, heard=heard, own_answer="20")
    r = GenRequest(
        (*MSGS, {"role": "user", "content": f"Coordinator's strategy: {strategy}"}),
        max_tokens,
        temperature=temperature,
        top_p=top_p,
        repetition_penalty=penalty,
        seed=seed,
        hints=hints,
    )
    (c,) = SimulatedBackend(params, seed=1).generate([r])
    assert 0 <= c.completion_tokens <= max_tokens
    assert c.prompt_tokens >= 0
    assert math.isfinite(c.mean_logprob) and c.mean_logprob <= 0.0
    assert math.isfinite(c.mean_entropy) and c.mean_entropy >= 0.0
    assert c.finish_reason in ("stop", "length")
    if item is not None and role == "strategy":
        assert "\\boxed" not in c.text  # a plan never answers
    elif item is not None:
        assert (c.finish_reason == "stop") == (boxed(c) is not None)


def test_generate_is_fast():
    import time

    b = SimulatedBackend(seed=0)
    batch = [req(NUM, seed=i, agent_index=i) for i in range(4)]
    b.generate(batch)
    t0 = time.perf_counter()
    for _ in range(250):
        b.generate(batch)
    per_batch = (time.perf_counter() - t0) / 250
    assert per_batch < 1e-3  # generous bound: ~60 µs on a laptop core


@pytest.mark.parametrize("item", [NUM, CHOICE, LATEX, CODE])
def test_answers_module_reads_the_simulated_answer(item):
    from econ_env.tasks.answers import check_answer, extract_answer

    out = SimulatedBackend(seed=5, skill=0.0).generate([req(item) for _ in range(300)])
    for c in out:
        got = extract_answer(c.text, item.kind)
        assert got == boxed(c)
        assert check_answer(got, item.gold, item.kind) == (got == item.gold)


def test_heard_answers_are_grouped_by_their_normalised_value():
    # "19.0" and "19" are one answer: plurality 19 with share 2/3 beats "20".
    p = SimParams(skill=-8.0, influence=0.9, truth_bias=0.0, stickiness=0.0)
    out = SimulatedBackend(p, seed=1).generate(
        [req(role="revise", heard=("20", "19.0", "19")) for _ in range(3000)]
    )
    adopted = sum(boxed(c) == "19.0" for c in out) / 3000
    assert abs(adopted - 0.9 * 2 / 3) < 0.04


def test_one_seed_gives_unrelated_samples_on_different_items():
    # Regression: the stream used to ignore the item, so a benchmark replaying seeds 0 and 1 on
    # every item drew the same correctness luck for all items (0/60 for one agent).
    from econ_env.llm.simulated import SimulatedBackend
    from econ_env.tasks.base import TaskItem

    backend = SimulatedBackend()
    correct = 0
    for k in range(200):
        item = TaskItem(f"q/{k}", f"What is {k} + 1?", str(k + 1), "numeric", {"difficulty": 0.5})
        req = GenRequest(
            ({"role": "user", "content": item.question},),
            4096,
            seed=0,
            hints=SimHints(item=item, agent_index=0, role="draft"),
        )
        (c,) = backend.generate([req])
        correct += f"\\boxed{{{k + 1}}}" in c.text
    assert 0.45 < correct / 200 < 0.95  # per-item luck, not one shared draw
