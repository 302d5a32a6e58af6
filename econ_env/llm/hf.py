"""The ``hf`` backend: a transformers causal LM with batched, left-padded generation.

``HFBackend("smollm2")`` (or ``make_backend("hf:smollm2")``) loads SmolLM2-135M-Instruct from its
prepared local copy (prepared automatically on first use: see :mod:`econ_env.models.prepare`);
any model of ``econ-env models list``, a local transformers folder or a ``.gguf`` file works too.

Decoding is this module's own KV-cache loop over a left-padded batch:

- Prompts are the messages rendered by the model's chat template with the generation prompt;
  ``prompt_tokens`` is the tokenizer's count of that rendering (soft-prompt prefix vectors are
  not tokens and are not counted).
- Per-request seeds: row ``i`` draws its k-th uniform from its own ``torch.Generator`` seeded with
  the request's seed and picks its token by inverse CDF (over the vocabulary in id order when
  ``top_p == 1``, over the sorted nucleus otherwise), so a row's randomness never depends on the
  other requests or their seeds. What can differ between a request decoded alone and in a batch
  is floating-point rounding, since matmul kernels block differently for other batch shapes: in
  float32 that rarely moves a token (the tests' greedy and sampled requests decode identically
  alone, batched and chunked; about 1 sampled draft in 16 differed in a benchmark of 8 x 96
  tokens), in bfloat16 (the CUDA default) sampled outputs often diverge. A request without
  a seed takes one from the backend's own ``random.Random(seed)``. ``temperature == 0`` is
  greedy; the repetition penalty is transformers' (divide positive logits, multiply negative
  ones, over the prompt and the tokens generated so far); then temperature, then top-p.
- ``completion_tokens`` counts the sampled tokens, the end-of-sequence token included when the
  model emits one (it is not part of ``text``); it never exceeds ``max_tokens``.
- Stop strings (``stop=``, for every request): decoding of a row ends at the first token after
  which its decoded text contains a stop string; ``text`` is cut just before the stop string and
  ``completion_tokens`` counts the tokens up to and including that token (later tokens are never
  generated). ``finish_reason`` is ``"stop"`` for end-of-sequence or a stop string, ``"length"``
  when ``max_tokens`` was reached.
- ``mean_logprob`` and ``mean_entropy`` (nats) are taken under the *raw model distribution*
  (softmax of the logits at temperature 1, before penalty, temperature and top-p), averaged over
  the counted tokens, so greedy and sampled outputs give comparable confidence signals.

Soft-prompt beliefs: with ``soft_prompt=SoftPromptConfig(...)`` (the backend builds a seeded
orthogonal :class:`~econ_env.llm.soft_prompt.BeliefProjection` at the first belief it sees; see
:meth:`HFBackend.make_projection`) or ``soft_prompt=<BeliefProjection>`` (caller-owned, e.g.
trained with :meth:`HFBackend.score`), a request's ``belief`` is projected to prefix embeddings
prepended through ``inputs_embeds``. Requests without a belief get no prefix; with
``soft_prompt=None`` beliefs are ignored.

``device="auto"`` picks CUDA with bfloat16 when available, else CPU with float32. On a small CPU
machine run torch with one thread (``num_threads=1``, or ``OMP_NUM_THREADS=1``): two spinning
OpenMP threads made generation 3-5x slower on two busy cores. The library never changes torch's
thread count unless ``num_threads`` is given (that sets it for the whole process).
"""

from __future__ import annotations

import json
import random
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from econ_env.llm.base import Completion, GenRequest, Message
from econ_env.llm.chat_text import (
    build_completion,
    chat_prompt_ids,
    decode_in_chunks,
    find_stop,
)
from econ_env.llm.soft_prompt import BeliefProjection, SoftPromptConfig
from econ_env.models.prepare import resolve_model, weights_digest

__all__ = ["HFBackend"]

_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def _device_dtype(device: str, dtype: Any) -> tuple[torch.device, torch.dtype]:
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if not isinstance(device, str) or not (device == "cpu" or device.startswith("cuda")):
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda[:N]', got {device!r}")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} was asked for but CUDA is not available here")
    dev = torch.device(device)
    if dtype is None:
        return dev, torch.bfloat16 if dev.type == "cuda" else torch.float32
    if isinstance(dtype, str) and dtype in _DTYPES:
        return dev, _DTYPES[dtype]
    if isinstance(dtype, torch.dtype) and dtype in _DTYPES.values():
        return dev, dtype
    raise ValueError(f"dtype must be None or one of {sorted(_DTYPES)}, got {dtype!r}")


def _sample(
    logits: torch.Tensor,
    params: Sequence[tuple[float, float]],
    u: torch.Tensor,
    rep: torch.Tensor,
    seen: torch.Tensor | None,
) -> torch.Tensor:
    """One token per row (``params[j] = (temperature, top_p)``): repetition penalty, then greedy
    for temperature 0, else inverse CDF at ``u[j]``: over the vocabulary in id order when
    ``top_p == 1``, over the probability-sorted nucleus otherwise. Each row's path depends on
    its own parameters only, so a row's token does not depend on the other rows."""
    if seen is not None:
        penalised = torch.where(logits > 0, logits / rep[:, None], logits * rep[:, None])
        logits = torch.where(seen, penalised, logits)
    out = logits.argmax(-1)
    for nucleus in (False, True):
        idx = [j for j, (t, p) in enumerate(params) if t > 0 and (p < 1.0) == nucleus]
        if not idx:
            continue
        dev = logits.device
        sel = torch.tensor(idx, device=dev)
        temps = torch.tensor([params[j][0] for j in idx], dtype=torch.float32, device=dev)
        probs = torch.softmax(logits[sel] / temps[:, None], dim=-1)
        if nucleus:
            probs, order = probs.sort(dim=-1, descending=True)
            top = torch.tensor([params[j][1] for j in idx], dtype=torch.float32, device=dev)
            probs = probs.masked_fill(probs.cumsum(-1) - probs >= top[:, None], 0.0)
        cdf = probs.cumsum(-1)
        pos = torch.searchsorted(cdf, u[sel, None] * cdf[:, -1:], right=True)
        pos = pos.clamp(max=cdf.shape[-1] - 1)
        out[sel] = (order.gather(1, pos) if nucleus else pos)[:, 0]
    return out


class _Loaded:
    """A tokenizer and frozen model loaded once and shared by every backend on the same weights,
    device and dtype (each backend keeps its own seeds, stop strings and soft-prompt projection)."""

    def __init__(self, tokenizer: Any, model: Any) -> None:
        self.tokenizer, self.model = tokenizer, model


_LOADED: weakref.WeakValueDictionary[tuple[Any, ...], _Loaded] = weakref.WeakValueDictionary()
_RECENT: list[_Loaded] = []
"""The most recently used weights stay loaded even when no backend holds them, so code that
builds one env after another (``econ-env eval``, benchmarks) loads a model once, not per env."""


class HFBackend:
    """Batched generation with a transformers causal LM (see the module docstring).

    Args:
        model: a name of ``econ-env models list``, a transformers folder or a ``.gguf`` file.
        device: ``"auto"`` (CUDA if available), ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
        dtype: ``None`` (bfloat16 on CUDA, float32 on CPU), ``"float32"``, ``"bfloat16"``,
            ``"float16"`` or the torch dtype.
        max_batch_size: most requests decoded together (>= 1); larger calls are split.
        stop: stop strings applied to every request.
        soft_prompt: ``None``, a :class:`SoftPromptConfig` or a caller-owned
            :class:`BeliefProjection`.
        seed: seed of the generator that gives seeds to requests without one.
        num_threads: when given, ``torch.set_num_threads(num_threads)`` (process-wide).
    """

    def __init__(
        self,
        model: str = "smollm2",
        *,
        device: str = "auto",
        dtype: Any = None,
        max_batch_size: int = 16,
        stop: Sequence[str] = (),
        soft_prompt: SoftPromptConfig | BeliefProjection | None = None,
        seed: int = 0,
        num_threads: int | None = None,
    ) -> None:
        for field, value in (("max_batch_size", max_batch_size), ("num_threads", num_threads)):
            ok = isinstance(value, int) and not isinstance(value, bool) and value >= 1
            if not ok and not (field == "num_threads" and value is None):
                raise ValueError(f"{field} must be an int >= 1, got {value!r}")
        if isinstance(stop, str) or not all(isinstance(s, str) and s for s in stop):
            raise ValueError(f"stop must be a sequence of non-empty strings, got {stop!r}")
        if not isinstance(soft_prompt, (type(None), SoftPromptConfig, BeliefProjection)):
            raise ValueError(
                f"soft_prompt must be None, a SoftPromptConfig or a BeliefProjection, got "
                f"{type(soft_prompt).__name__}"
            )
        if num_threads is not None:
            torch.set_num_threads(num_threads)
        if not isinstance(model, (str, Path)):
            raise ValueError(f"model must be a model name or a path, got {model!r}")
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.device, self.dtype = _device_dtype(device, dtype)
        self.model_name, self._folder, self._gguf = resolve_model(str(model))
        self.name = f"hf:{model}"
        self.max_batch_size, self.stop = max_batch_size, tuple(stop)
        key = (str(self._folder), self._gguf, str(self.device), str(self.dtype))
        loaded = _LOADED.get(key)
        if loaded is None:  # one load per process while any backend still uses the weights
            kw: dict[str, Any] = {"local_files_only": True}
            if self._gguf:
                kw["gguf_file"] = self._gguf
            tokenizer = AutoTokenizer.from_pretrained(str(self._folder), **kw)
            lm = AutoModelForCausalLM.from_pretrained(str(self._folder), dtype=self.dtype, **kw)
            loaded = _Loaded(tokenizer, lm.to(self.device).eval().requires_grad_(False))
            _LOADED[key] = loaded
        _RECENT[:] = [loaded]
        self._loaded = loaded  # keeps the shared weights alive as long as this backend
        self.tokenizer, self.model = loaded.tokenizer, loaded.model
        eos = self.model.generation_config.eos_token_id
        eos = [eos] if isinstance(eos, int) else list(eos or [])
        if self.tokenizer.eos_token_id is not None:
            eos.append(self.tokenizer.eos_token_id)
        if not eos:
            raise ValueError(f"model {model!r} defines no end-of-sequence token")
        self._eos = frozenset(eos)
        pad = self.tokenizer.pad_token_id
        self._pad = pad if pad is not None else eos[0]
        self._rng = random.Random(seed)
        self._soft_config = soft_prompt if isinstance(soft_prompt, SoftPromptConfig) else None
        self.projection = soft_prompt if isinstance(soft_prompt, BeliefProjection) else None
        if self.projection is not None and self.projection.hidden_size != self.hidden_size:
            raise ValueError(
                f"soft_prompt projection has hidden_size {self.projection.hidden_size}, the model "
                f"{self.hidden_size}"
            )
        self._weights_digest: str | None = None

    # ------------------------------------------------------------------ metadata
    @property
    def hidden_size(self) -> int:
        """Width of the model's input embeddings."""
        return int(self.model.get_input_embeddings().weight.shape[1])

    @property
    def identity(self) -> dict[str, str]:
        """What determines the outputs, for cache keys: backend, model, weights SHA-256, dtype,
        stop strings and (when configured) a digest of the soft-prompt projection's weights."""
        if self._weights_digest is None:
            self._weights_digest = weights_digest(self._folder, self._gguf)
        ident = {
            "backend": "hf",
            "model": self.model_name,
            "weights_sha256": self._weights_digest,
            "dtype": str(self.dtype).removeprefix("torch."),
            "stop": json.dumps(list(self.stop)),
        }
        if self.projection is not None:
            ident["soft_prompt"] = self.projection.digest()
        elif self._soft_config is not None:
            ident["soft_prompt"] = json.dumps(vars(self._soft_config), sort_keys=True)
        return ident

    def prompt_ids(self, messages: Sequence[Message]) -> list[int]:
        """Token ids of ``messages`` rendered by the chat template with the generation prompt."""
        return chat_prompt_ids(self.tokenizer, messages)

    def count_tokens(self, messages: Sequence[Message]) -> int:
        """Prompt tokens of ``messages`` as :meth:`generate` counts them."""
        return len(self.prompt_ids(messages))

    # ------------------------------------------------------------------ soft prompt
    def make_projection(
        self, belief_dim: int, config: SoftPromptConfig | None = None
    ) -> BeliefProjection:
        """A seeded orthogonal :class:`BeliefProjection` sized for this model (on CPU)."""
        weights = self.model.get_input_embeddings().weight
        return BeliefProjection.for_embeddings(weights, belief_dim, config)

    def _prefixes(self, requests: Sequence[GenRequest]) -> list[torch.Tensor | None]:
        if (self.projection is None and self._soft_config is None) or all(
            r.belief is None for r in requests
        ):
            return [None] * len(requests)
        if self.projection is None:
            dim = len(next(r.belief for r in requests if r.belief is not None))
            with torch.inference_mode(False):  # a trainable module, even when built mid-decode
                self.projection = self.make_projection(dim, self._soft_config)
        proj, pdev = self.projection, self.projection.weight.device
        beliefs = [
            None if r.belief is None else torch.tensor(r.belief, device=pdev) for r in requests
        ]
        return [None if b is None else proj(b).to(self.device, self.dtype) for b in beliefs]

    def _batch_inputs(
        self, ids: Sequence[Sequence[int]], prefixes: Sequence[torch.Tensor | None]
    ) -> dict[str, torch.Tensor]:
        """Left-padded model inputs: ``input_ids`` (no prefixes) or ``inputs_embeds``."""
        lens = [
            len(x) + (0 if p is None else p.shape[0]) for x, p in zip(ids, prefixes, strict=True)
        ]
        width, dev = max(lens), self.device
        mask = torch.zeros(len(ids), width, dtype=torch.long, device=dev)
        for i, n in enumerate(lens):
            mask[i, width - n :] = 1
        out = {"attention_mask": mask, "position_ids": (mask.cumsum(-1) - 1).clamp(min=0)}
        if all(p is None for p in prefixes):
            input_ids = torch.full((len(ids), width), self._pad, dtype=torch.long, device=dev)
            for i, x in enumerate(ids):
                input_ids[i, width - len(x) :] = torch.tensor(x, dtype=torch.long, device=dev)
            return {**out, "input_ids": input_ids}
        embed = self.model.get_input_embeddings()
        rows = []
        for x, p, n in zip(ids, prefixes, lens, strict=True):
            e = embed(torch.tensor(x, dtype=torch.long, device=dev))
            parts = [e.new_zeros(width - n, e.shape[1]), *([] if p is None else [p.to(e.dtype)]), e]
            rows.append(torch.cat(parts))
        return {**out, "inputs_embeds": torch.stack(rows)}

    # ------------------------------------------------------------------ generation
    def generate(self, requests: Sequence[GenRequest]) -> list[Completion]:
        """One completion per request, in order (see the module docstring for the rules)."""
        for k, r in enumerate(requests):
            if not isinstance(r, GenRequest):
                raise ValueError(f"request {k} must be a GenRequest, got {type(r).__name__}")
        seeds = [self._rng.getrandbits(63) if r.seed is None else int(r.seed) for r in requests]
        ids = [self.prompt_ids(r.messages) for r in requests]
        return decode_in_chunks(requests, ids, seeds, self.max_batch_size, self._decode)

    @torch.inference_mode()
    def _decode(
        self, reqs: Sequence[GenRequest], ids: Sequence[list[int]], seeds: Sequence[int]
    ) -> list[Completion]:
        n, dev = len(reqs), self.device
        steps = max(r.max_tokens for r in reqs)
        u = torch.zeros(n, steps)
        for i, (r, s) in enumerate(zip(reqs, seeds, strict=True)):
            gen = torch.Generator().manual_seed(s % 2**63)
            u[i, : r.max_tokens] = torch.rand(r.max_tokens, generator=gen)
        u = u.to(dev)
        rep = torch.tensor([r.repetition_penalty for r in reqs], dtype=torch.float32, device=dev)
        seen = None
        if any(r.repetition_penalty != 1.0 for r in reqs):
            vocab = self.model.get_output_embeddings().weight.shape[0]
            seen = torch.zeros(n, vocab, dtype=torch.bool, device=dev)
            for i, x in enumerate(ids):
                seen[i, torch.tensor(x, device=dev)] = True
        inputs = self._batch_inputs(ids, self._prefixes(reqs))
        mask, pos = inputs["attention_mask"], inputs["position_ids"][:, -1:]
        out = self.model(**inputs, use_cache=True, logits_to_keep=1)
        active = torch.arange(n, device=dev)
        rows = list(range(n))
        toks: list[list[int]] = [[] for _ in range(n)]
        lps: list[list[float]] = [[] for _ in range(n)]
        ents: list[list[float]] = [[] for _ in range(n)]
        finish, cut = ["length"] * n, [None] * n
        for step in range(steps):
            logits = out.logits[:, -1, :].float()
            logp = torch.log_softmax(logits, dim=-1)
            ent = -(logp.exp() * logp).nan_to_num().sum(-1).double()
            params = [(reqs[i].temperature, reqs[i].top_p) for i in rows]
            s = None if seen is None else seen[active]
            tok = _sample(logits, params, u[active, step], rep[active], s)
            if seen is not None:
                seen[active, tok] = True
            stats = torch.stack([tok.double(), logp.gather(1, tok[:, None])[:, 0].double(), ent])
            keep = []
            for j, (i, t, lp, e) in enumerate(zip(rows, *stats.tolist(), strict=True)):
                t = int(t)
                toks[i].append(t)
                lps[i].append(lp)
                ents[i].append(e)
                if t in self._eos:
                    finish[i] = "stop"
                elif self.stop and (hit := self._find_stop(toks[i])) is not None:
                    finish[i], cut[i] = "stop", hit
                elif len(toks[i]) < reqs[i].max_tokens:
                    keep.append(j)
            if not keep:
                break
            if len(keep) < len(rows):
                sel = torch.tensor(keep, device=dev)
                out.past_key_values.batch_select_indices(sel)
                active, mask, pos, tok = active[sel], mask[sel], pos[sel], tok[sel]
                rows = [rows[j] for j in keep]
            mask = torch.cat([mask, mask.new_ones(len(rows), 1)], dim=1)
            pos = pos + 1
            out = self.model(
                input_ids=tok[:, None],
                attention_mask=mask,
                position_ids=pos,
                past_key_values=out.past_key_values,
                use_cache=True,
            )
        return [
            self._completion(ids[i], toks[i], lps[i], ents[i], finish[i], cut[i]) for i in range(n)
        ]

    def _find_stop(self, toks: list[int]) -> int | None:
        return find_stop(self.tokenizer, toks, self.stop)

    def _completion(self, prompt: list, toks: list, lps: list, ents: list, finish: str, cut: Any):
        eos = bool(toks) and toks[-1] in self._eos
        return build_completion(self.tokenizer, prompt, toks, lps, ents, finish, cut, eos)

    # ------------------------------------------------------------------ scoring
    def next_token_logprobs(self, requests: Sequence[GenRequest]) -> torch.Tensor:
        """``(len(requests), vocab)`` log-probabilities of the first completion token under the
        raw model distribution, soft prefixes included (differentiable in the projection)."""
        ids = [self.prompt_ids(r.messages) for r in requests]
        out = self.model(**self._batch_inputs(ids, self._prefixes(requests)), logits_to_keep=1)
        return torch.log_softmax(out.logits[:, -1].float(), dim=-1)

    def score(self, requests: Sequence[GenRequest], texts: Sequence[str]) -> torch.Tensor:
        """Sum of log-probabilities (raw model distribution) of each ``texts[i]``, tokenized
        without special tokens, as the continuation of ``requests[i]``'s prompt and soft prefix.

        Gradients flow into the soft-prompt projection (the model's weights are frozen), so an
        agent can train a caller-owned :class:`BeliefProjection`, e.g. by REINFORCE.
        """
        if len(requests) != len(texts):
            raise ValueError(f"score got {len(requests)} requests and {len(texts)} texts")
        prompts = [self.prompt_ids(r.messages) for r in requests]
        conts = [list(self.tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts]
        full = [p + c for p, c in zip(prompts, conts, strict=True)]
        logits = self.model(**self._batch_inputs(full, self._prefixes(requests))).logits
        logp = torch.log_softmax(logits.float()[:, :-1], dim=-1)
        width, dev = logits.shape[1], self.device
        return torch.stack(
            [
                logp[i, torch.arange(width - 1 - len(c), width - 1, device=dev), c].sum()
                if c
                else logp.new_zeros(())
                for i, c in enumerate(conts)
            ]
        )
