"""The simulated backend on HumanEval code items, and both games played on task="humaneval"."""

from __future__ import annotations

import numpy as np
import pytest
from pettingzoo.test import parallel_api_test

from econ_env import auction_v0, debate_v0
from econ_env.llm.base import GenRequest, SimHints
from econ_env.llm.simulated import SimulatedBackend
from econ_env.llm.simulated.code_distractors import code_candidates
from econ_env.llm.simulated.distractors import distractors
from econ_env.tasks import check_answer, extract_answer, make_task, normalize_answer
from econ_env.tasks.code_check import code_key, parses, solution_code

SOURCE = make_task("humaneval")
ITEMS = [SOURCE.get(f"humaneval/{n}") for n in (0, 12, 53, 120)]
MSGS = ({"role": "user", "content": "Solve it."},)


def answer_of(text: str) -> str | None:
    return normalize_answer(extract_answer(text, "code"), "code")


def generate(item, n: int, **params):
    backend = SimulatedBackend(seed=5, **params)
    reqs = [GenRequest(MSGS, 4096, seed=k, hints=SimHints(item=item)) for k in range(n)]
    return backend.generate(reqs)


@pytest.mark.parametrize("item", ITEMS[:2], ids=lambda it: it.id)
def test_correct_drafts_hold_the_canonical_solution_in_a_fence(item) -> None:
    out = generate(item, 5, skill=8.0)
    want = code_key(solution_code(item.gold))
    for c in out:
        assert "```python\n" in c.text and c.text.rstrip().endswith("```")
        assert "\\boxed" not in c.text
        assert answer_of(c.text) == want
    assert check_answer(answer_of(out[0].text), item.gold, "code")


@pytest.mark.parametrize("item", ITEMS, ids=lambda it: it.id)
def test_distractors_are_real_code_that_fails_the_tests(item) -> None:
    mutants = code_candidates(item.gold)
    assert mutants, item.id
    right = code_key(solution_code(item.gold))
    for m in mutants:
        assert parses(m) and m != right
        assert not check_answer(m, item.gold, "code")  # run in the sandbox
    ds = distractors(item.id, item.gold, item.kind, 4)
    assert sorted(ds) == sorted(mutants)
    wrong = {answer_of(c.text) for c in generate(item, 40, skill=-8.0)}
    assert wrong <= set(ds) and len(wrong) >= 2
    for w in wrong:
        assert not check_answer(w, item.gold, "code")


def play(module, seed: int, **kwargs):
    env = module.parallel_env(task="humaneval", budget=100_000, **kwargs)
    env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    steps = 0
    while env.agents:
        acts = {}
        for a in env.agents:
            space = env.action_space(a)
            space.seed(int(rng.integers(2**31)))
            acts[a] = space.sample()
        env.step(acts)
        steps += 1
        assert steps < 100
    return env.game


@pytest.mark.parametrize(
    ("module", "kwargs"),
    [(auction_v0, {}), (debate_v0, {"embedder": "hashed", "belief_dim": 3})],
    ids=["auction_v0", "debate_v0"],
)
def test_episodes_end_with_a_checked_code_answer(module, kwargs) -> None:
    outcomes = set()
    for seed in range(3):
        game = play(module, seed, **kwargs)
        assert game.item.kind == "code" and game.item.id.startswith("humaneval/")
        assert game.final_answer is not None and parses(game.final_answer)
        assert game.correct == check_answer(game.final_answer, game.item.gold, "code")
        outcomes.add(game.correct)
    assert True in outcomes


def test_parallel_api_test_on_humaneval() -> None:
    parallel_api_test(auction_v0.parallel_env(task="humaneval"), num_cycles=3)
