"""Batched in-process generation with llama.cpp (``backend="llamacpp:qwen2.5-coder-0.5b"``).

:class:`LlamaCppBackend` loads a GGUF through llama-cpp-python's low-level API and decodes a
whole ``generate`` call as one batch of sequences (one ``llama_decode`` per step for all live
sequences, logits only where it samples), which is what makes real-model studies affordable on
a CPU: on the 2-core development machine Qwen2.5-Coder-0.5B (Q4_K_M, 2 threads) decoded 28
tok/s one sequence at a time and 33 tok/s through this backend with 16 sequences, while
llama-cpp-python's own server (one request at a time, log-probabilities on) took 13 s per
completion of about 40 tokens (docs/guides/real-models.md).

The rules are the :class:`~econ_env.llm.hf.HFBackend`'s, so the two are interchangeable:

- the prompt is the model's chat template applied by its transformers tokenizer (the prepared
  folder of a model in ``econ-env models list``, or the GGUF's own tokenizer for a ``.gguf``
  path), so prompt token counts equal the hf backend's;
- sampling: repetition penalty over the prompt and the tokens so far, then greedy for
  temperature 0, else the inverse CDF at a uniform draw from the request's own seeded generator
  (over the vocabulary in id order, or the probability-sorted nucleus when ``top_p < 1``), so a
  request's random draws depend on its own seed, not on the batch around it;
- ``completion_tokens`` counts the end-of-generation token when one was sampled;
  ``finish_reason`` is ``"stop"`` (end of generation or a stop string) or ``"length"``;
- ``mean_logprob`` and ``mean_entropy`` are taken under the raw model distribution (softmax of
  the logits at temperature 1).

Floating-point sums inside llama.cpp depend on the batch's shape, so the same request in a
different batch can (rarely) produce a different completion: record real runs through the cache
(``"cache:llamacpp:..."``), which makes every replay exact.
"""

from __future__ import annotations

import ctypes
import json
import os
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from econ_env.llm.base import Completion, GenRequest, Message
from econ_env.llm.chat_text import (
    build_completion,
    chat_prompt_ids,
    decode_in_chunks,
    find_stop,
)

__all__ = ["LlamaCppBackend"]

_LOG_CALLBACK: list[Any] = []  # keeps the ctypes callback alive while llama.cpp holds it


def nucleus_order(p: np.ndarray, top_p: float, head: int = 512) -> np.ndarray:
    """The token ids that can hold the top-``top_p`` nucleus of ``p``, most probable first.

    Equal to ``np.argsort(-p, kind="stable")`` cut after the nucleus: ties in index order, and
    every id past the returned ones would be zeroed by the nucleus rule (its exclusive cumulative
    mass is already ``>= top_p``). A stable sort of the whole vocabulary (151,936 ids for Qwen)
    took 27 ms per token; this sorts the ``head`` most probable ids (``np.argpartition``) and
    falls back to the full sort when the nucleus may reach past them or a tie straddles the cut.
    """
    if head >= len(p):
        return np.argsort(-p, kind="stable")
    cand = np.sort(np.argpartition(-p, head)[:head])
    order = cand[np.argsort(-p[cand], kind="stable")]
    q = p[order]
    inside = int(np.count_nonzero(q > q[-1]))  # ids strictly above the cut value: all in cand
    if inside and float(np.cumsum(q[:inside])[-1]) >= top_p * (1.0 + 1e-9):
        return order[:inside]
    return np.argsort(-p, kind="stable")


def _quiet(lc: Any) -> None:
    """Silence llama.cpp's logging to stderr (once per process)."""
    if not _LOG_CALLBACK:
        _LOG_CALLBACK.append(lc.llama_log_callback(lambda *_: None))
        lc.llama_log_set(_LOG_CALLBACK[0], ctypes.c_void_p(0))


def _gguf_file(model: str) -> tuple[str, Path, Path, str | None]:
    """``(name, GGUF file, tokenizer folder, tokenizer gguf name or None)`` of ``model`` (a
    model of the table is prepared on demand)."""
    from econ_env.models.locate import smollm2_gguf
    from econ_env.models.prepare import resolve_model
    from econ_env.models.registry import MODELS, gguf_path

    name, folder, gguf = resolve_model(model)
    if model in MODELS:
        path = smollm2_gguf() if model == "smollm2" else gguf_path(model)
        return name, path, folder, None
    if gguf is None:
        raise ValueError(f"llamacpp backend needs a GGUF: {model!r} is a transformers folder")
    return name, folder / gguf, folder, gguf


class LlamaCppBackend:
    """Batched llama.cpp generation on CPU (see the module docstring).

    Args:
        model: a model of ``econ-env models list`` (prepared on demand) or a ``.gguf`` path.
        max_batch_size: most sequences decoded together (>= 1); larger calls are split.
        n_ctx: context length per sequence in tokens (prompt plus completion, >= 64).
        n_threads: CPU threads (default: all cores).
        stop: strings that end a completion (the text is cut before the first one).
        seed: seeds requests without their own ``seed``.
    """

    def __init__(
        self,
        model: str = "qwen2.5-coder-0.5b",
        *,
        max_batch_size: int = 16,
        n_ctx: int = 2048,
        n_threads: int | None = None,
        stop: Sequence[str] = (),
        seed: int = 0,
    ) -> None:
        for field, value, low in (("max_batch_size", max_batch_size, 1), ("n_ctx", n_ctx, 64)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"LlamaCppBackend.{field} must be an int >= {low}, got {value!r}")
        if n_threads is not None and (not isinstance(n_threads, int) or n_threads < 1):
            raise ValueError(f"LlamaCppBackend.n_threads must be None or >= 1, got {n_threads!r}")
        if isinstance(stop, str) or not all(isinstance(s, str) and s for s in stop):
            raise ValueError(f"LlamaCppBackend.stop must be non-empty strings, got {stop!r}")
        import llama_cpp as lc
        from transformers import AutoTokenizer

        self._lc = lc
        self.model_name, self.gguf, folder, tok_gguf = _gguf_file(str(model))
        self._digest: str | None = None
        self.name = f"llamacpp:{model}"
        self.max_batch_size, self.n_ctx, self.stop = max_batch_size, n_ctx, tuple(stop)
        kw: dict[str, Any] = {"local_files_only": True}
        if tok_gguf:
            kw["gguf_file"] = tok_gguf
        self.tokenizer = AutoTokenizer.from_pretrained(str(folder), **kw)
        lc.llama_backend_init()
        _quiet(lc)
        self._model = lc.llama_model_load_from_file(
            str(self.gguf).encode(), lc.llama_model_default_params()
        )
        if not self._model:
            raise ValueError(f"llama.cpp could not load {self.gguf}")
        self._vocab = lc.llama_model_get_vocab(self._model)
        self.n_vocab = int(lc.llama_vocab_n_tokens(self._vocab))
        params = lc.llama_context_default_params()
        params.n_ctx = n_ctx * max_batch_size
        params.n_batch = n_ctx * max_batch_size
        params.n_ubatch = 512
        params.n_seq_max = max_batch_size
        threads = n_threads or os.cpu_count() or 1
        params.n_threads = params.n_threads_batch = threads
        self._ctx = lc.llama_init_from_model(self._model, params)
        if not self._ctx:
            raise ValueError(f"llama.cpp could not create a context for {self.gguf}")
        self._batch = lc.llama_batch_init(n_ctx * max_batch_size, 0, 1)
        eos = {t for t in (self.tokenizer.eos_token_id,) if t is not None}
        self._eos = frozenset(eos)
        self._rng = random.Random(seed)

    def __del__(self) -> None:  # free the C objects (best effort at interpreter exit)
        lc = getattr(self, "_lc", None)
        if lc is None:
            return
        try:
            lc.llama_batch_free(self._batch)
            lc.llama_free(self._ctx)
            lc.llama_model_free(self._model)
        except Exception:  # the library may already be unloaded at interpreter exit
            pass

    @property
    def identity(self) -> dict[str, str]:
        """What determines the outputs, for cache keys: backend, model, weights digest (of the
        GGUF, as :func:`~econ_env.models.prepare.weights_digest` computes it), stop strings."""
        if self._digest is None:
            from econ_env.models.prepare import weights_digest

            self._digest = weights_digest(self.gguf.parent, self.gguf.name)
        return {
            "backend": "llamacpp",
            "model": self.model_name,
            "weights_sha256": self._digest,
            "stop": json.dumps(list(self.stop)),
        }

    def prompt_ids(self, messages: Sequence[Message]) -> list[int]:
        """Token ids of ``messages`` rendered by the chat template with the generation prompt."""
        return chat_prompt_ids(self.tokenizer, messages)

    def count_tokens(self, messages: Sequence[Message]) -> int:
        """Prompt tokens of ``messages`` as :meth:`generate` counts them."""
        return len(self.prompt_ids(messages))

    def generate(self, requests: Sequence[GenRequest]) -> list[Completion]:
        """One completion per request, in order (see the module docstring for the rules)."""
        for k, r in enumerate(requests):
            if not isinstance(r, GenRequest):
                raise ValueError(f"request {k} must be a GenRequest, got {type(r).__name__}")
        seeds = [self._rng.getrandbits(63) if r.seed is None else int(r.seed) for r in requests]
        ids = [self.prompt_ids(r.messages) for r in requests]
        for k, (r, x) in enumerate(zip(requests, ids, strict=True)):
            if len(x) + r.max_tokens > self.n_ctx:
                raise ValueError(
                    f"request {k}: {len(x)} prompt tokens + max_tokens {r.max_tokens} exceed "
                    f"LlamaCppBackend.n_ctx = {self.n_ctx}"
                )
        return decode_in_chunks(requests, ids, seeds, self.max_batch_size, self._decode)

    def _put(self, n: int, token: int, pos: int, seq: int, logits: bool) -> None:
        b = self._batch
        b.token[n], b.pos[n], b.n_seq_id[n] = token, pos, 1
        b.seq_id[n][0], b.logits[n] = seq, logits

    def _run(self, n: int) -> None:
        self._batch.n_tokens = n
        if self._lc.llama_decode(self._ctx, self._batch) != 0:
            raise RuntimeError(f"llama_decode failed on a batch of {n} tokens ({self.name})")

    def _logits(self, index: int) -> np.ndarray:
        ptr = self._lc.llama_get_logits_ith(self._ctx, index)
        return np.ctypeslib.as_array(ptr, shape=(self.n_vocab,)).astype(np.float64)

    def _decode(
        self, reqs: Sequence[GenRequest], ids: Sequence[list[int]], seeds: Sequence[int]
    ) -> list[Completion]:
        lc = self._lc
        lc.llama_memory_clear(lc.llama_get_memory(self._ctx), True)
        rngs = [np.random.default_rng(s % 2**63) for s in seeds]
        n, where = 0, []
        for s, x in enumerate(ids):
            for p, t in enumerate(x):
                self._put(n, t, p, s, p == len(x) - 1)
                n += 1
            where.append(n - 1)
        self._run(n)
        pos = [len(x) for x in ids]
        toks: list[list[int]] = [[] for _ in reqs]
        lps: list[list[float]] = [[] for _ in reqs]
        ents: list[list[float]] = [[] for _ in reqs]
        finish, cut = ["length"] * len(reqs), [None] * len(reqs)
        live = list(range(len(reqs)))
        while live:
            nxt = []
            for s in live:
                r, logits = reqs[s], self._logits(where[s])
                z = logits - logits.max()
                logp = z - np.log(np.exp(z).sum())
                p = np.exp(logp)
                ents[s].append(float(max(0.0, -(p * logp).sum())))
                t = self._sample(logits, r, rngs[s], ids[s] + toks[s])
                lps[s].append(float(min(0.0, logp[t])))
                toks[s].append(t)
                if t in self._eos or lc.llama_vocab_is_eog(self._vocab, t):
                    finish[s] = "stop"
                elif self.stop and (hit := self._find_stop(toks[s])) is not None:
                    finish[s], cut[s] = "stop", hit
                elif len(toks[s]) < r.max_tokens:
                    nxt.append(s)
            for k, s in enumerate(nxt):
                self._put(k, toks[s][-1], pos[s], s, True)
                pos[s] += 1
                where[s] = k
            live = nxt
            if live:
                self._run(len(live))
        return [
            self._completion(ids[s], toks[s], lps[s], ents[s], finish[s], cut[s])
            for s in range(len(reqs))
        ]

    @staticmethod
    def _sample(logits: np.ndarray, r: GenRequest, rng: np.random.Generator, seen: list) -> int:
        u = rng.random()  # one draw per token whatever the settings, so paths stay aligned
        if r.repetition_penalty != 1.0 and seen:
            logits = logits.copy()
            idx = np.unique(np.asarray(seen, dtype=np.int64))
            v = logits[idx]
            logits[idx] = np.where(v > 0, v / r.repetition_penalty, v * r.repetition_penalty)
        if r.temperature <= 0:
            return int(np.argmax(logits))
        z = logits / r.temperature
        p = np.exp(z - z.max())
        p /= p.sum()
        if r.top_p < 1.0:
            order = nucleus_order(p, r.top_p)
            q = p[order]
            q = np.where(np.cumsum(q) - q >= r.top_p, 0.0, q)
            cdf = np.cumsum(q)
            k = int(np.searchsorted(cdf, u * cdf[-1], side="right"))
            return int(order[min(k, len(q) - 1)])
        cdf = np.cumsum(p)
        return int(min(np.searchsorted(cdf, u * cdf[-1], side="right"), len(p) - 1))

    def _find_stop(self, toks: list[int]) -> int | None:
        return find_stop(self.tokenizer, toks, self.stop)

    def _completion(self, prompt: list, toks: list, lps: list, ents: list, finish: str, cut: Any):
        eos = bool(toks) and (
            toks[-1] in self._eos or self._lc.llama_vocab_is_eog(self._vocab, toks[-1])
        )
        return build_completion(self.tokenizer, prompt, toks, lps, ents, finish, cut, eos)
