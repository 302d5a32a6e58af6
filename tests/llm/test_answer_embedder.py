"""AnswerEmbedder: texts embedded by their final answer (what the batched debate env computes)."""

from __future__ import annotations

import numpy as np
import pytest

from econ_env.core.ledger import Role
from econ_env.envs.debate.reward import similarity01
from econ_env.llm.base import GenRequest, SimHints
from econ_env.llm.embeddings import EMBEDDER_NAMES, AnswerEmbedder, Embedder, make_embedder
from econ_env.llm.simulated import SimulatedBackend
from econ_env.llm.simulated.distractors import distractors
from econ_env.tasks.answers import extract_answer, normalize_answer
from econ_env.tasks.registry import make_task


def test_made_by_name_and_is_an_embedder() -> None:
    assert "answer" in EMBEDDER_NAMES
    emb = make_embedder("answer")
    assert isinstance(emb, AnswerEmbedder) and isinstance(emb, Embedder)
    assert emb.name == "answer(dim=4096)" and emb.dim == 4096
    with pytest.raises(ValueError, match="dim"):
        AnswerEmbedder(dim=0)


def test_similarity_is_one_for_the_same_answer_and_one_half_otherwise() -> None:
    emb = AnswerEmbedder()
    texts = [
        "Let me think. The answer is \\boxed{2.50}.",
        "Reading carefully. The answer is \\boxed{5/2}.",
        "The answer is \\boxed{3}.",
        "Working through the steps carefully ...",  # no answer: the zero vector
        "",
    ]
    e = emb.embed(texts)
    assert e.shape == (5, 4096) and e.dtype == np.float32
    np.testing.assert_array_equal(np.linalg.norm(e, axis=1), [1, 1, 1, 0, 0])
    assert similarity01(e[0], e[1]) == 1.0
    assert similarity01(e[0], e[2]) == 0.5
    assert similarity01(e[0], e[3]) == 0.5
    assert similarity01(e[3], e[4]) == 0.5  # an answer-less text is similar to nothing
    assert AnswerEmbedder.answer_key(texts[0]) == "5/2"
    assert AnswerEmbedder.answer_key(texts[3]) is None
    assert AnswerEmbedder.answer_key("It involves 3, 4 and 12, then ...") == "12"  # last number
    assert AnswerEmbedder.answer_key("Pick \\boxed{B}.") == "B"


def test_count_tokens_is_a_character_rule() -> None:
    emb = AnswerEmbedder()
    assert emb.count_tokens(["", "a", "abcd", "abcde", "x" * 401]) == [0, 1, 1, 2, 101]
    with pytest.raises(TypeError):
        emb.count_tokens("not a list")


def test_embeddings_are_stable_and_cached_rows_are_equal() -> None:
    a, b = AnswerEmbedder(), AnswerEmbedder(cache_size=0)
    texts = ["\\boxed{18}", "\\boxed{18}", "\\boxed{-7}"]
    np.testing.assert_array_equal(a.embed(texts), b.embed(texts))
    assert int(np.argmax(a.embed(["\\boxed{18}"])[0])) == 2944839123 % 4096  # crc32("18")


def test_keys_equal_the_games_answers_on_simulated_texts() -> None:
    """On numeric items the key of every text the simulated backend writes is the answer the
    debate game extracts, and distinct answers of an item have distinct keys."""
    task = make_task("arithmetic")
    backend = SimulatedBackend()
    rng = np.random.default_rng(0)
    emb = AnswerEmbedder()
    for n in range(200):
        item = task.sample(rng)
        answers = [item.gold, *distractors(item.id, item.gold, item.kind, 4)[:4]]
        keys = set()
        for a in answers:
            key = AnswerEmbedder.answer_key(f"Some text. The answer is \\boxed{{{a}}}.")
            assert key == normalize_answer(extract_answer(f"\\boxed{{{a}}}", item.kind), item.kind)
            keys.add(key)
        assert len(keys) == len(answers)
        for role in (Role.ANSWER, Role.COMMITMENT):
            req = GenRequest(
                messages=({"role": "user", "content": item.question},),
                max_tokens=int(rng.integers(8, 200)),
                seed=n,
                hints=SimHints(item, role, 0),
            )
            (c,) = backend.generate([req])
            game = normalize_answer(extract_answer(c.text, item.kind), item.kind)
            assert AnswerEmbedder.answer_key(c.text) == game
            assert emb.count_tokens([c.text]) == [-(-len(c.text) // 4)]
