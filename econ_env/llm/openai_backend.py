"""``openai``: any OpenAI-compatible chat server (vLLM, llama.cpp's server, hosted providers).

``OpenAIBackend("http://127.0.0.1:8080/v1")`` sends each :class:`GenRequest` as one
``chat.completions`` call through the official ``openai`` client, ``concurrency`` calls at a
time from a thread pool; completions come back in request order.

- Parameters sent: ``messages``, ``max_tokens``, ``temperature``, ``top_p``, ``seed`` (a server
  may ignore it) and, when ``logprobs`` is on, ``logprobs=True`` with ``top_logprobs``. A
  ``repetition_penalty`` other than 1.0 goes in the request body under the server's own name,
  ``repetition_penalty_field`` (default ``"repeat_penalty"``, llama.cpp's; vLLM uses
  ``"repetition_penalty"``; ``None`` drops it, for servers that reject unknown fields).
  ``GenRequest.belief`` is ignored (soft-prompt beliefs need a local model) and so is ``meta``.
- Token counts are the server's ``usage`` (never a word count). ``mean_logprob`` is the mean of
  the returned token log-probabilities and ``mean_entropy`` the mean entropy of each position's
  ``top_logprobs`` distribution with the remaining mass as one extra outcome (a lower bound of
  the true entropy). A server that returns no log-probabilities gives 0.0 for both (counted in
  ``missing_logprobs``).
- Answers are sanity-checked before they become a :class:`~econ_env.llm.base.Completion`
  (:mod:`econ_env.llm.openai_answer`): counts must be ints ``>= 0``, ``completion_tokens`` at
  most ``max_tokens + 1``, ``prompt_tokens`` at most a bound of the prompt's size plus
  ``prompt_token_margin``, log-probabilities finite and ``<= 0`` (a NaN never reaches an
  observation). Anything else raises :class:`~econ_env.llm.base.BackendError` naming the URL
  and the field, never a ``JSONDecodeError``, ``KeyError`` or ``AttributeError``.
- Retries are this backend's own (the client's are off), so the policy is explicit and testable:
  429, 408, 409, 425, 5xx, timeouts, connection errors and ``200`` answers whose body is not JSON
  (empty, HTML, plain text, cut off: a proxy page or a restarting server) are retried up to
  ``max_retries`` times after a delay ``min(backoff_max, backoff·2^attempt)`` scaled by a jitter
  factor in [0.5, 1) drawn from a generator seeded by ``seed``. When the retries are spent the
  call raises :class:`~econ_env.llm.base.BackendUnavailable` naming the URL (a
  ``BackendError`` naming it for unreadable bodies); other HTTP errors (400, 401, 404, ...) and
  well-formed JSON answers that fail the checks raise ``BackendError`` at once (a server that
  answers well-formed nonsense answers it again). A failed batch raises after every request of
  it has finished or been cancelled, so the caller's state is untouched.
- ``model=None`` asks ``GET /v1/models`` on first use and takes the only model served.
  ``identity`` (the cache key) is ``{"backend": "openai", "model": ..., "revision": ...}`` plus
  each setting that changes what the backend returns (``logprobs``, ``top_logprobs``,
  ``repetition_penalty_field``) when it differs from its default (so recordings made with the
  defaults by earlier versions keep their keys). The URL is deliberately not part of it: a
  recording replays against any server of the same model (another address, port or host of the
  same deployment); give ``revision=`` a label to tell apart servers whose outputs differ for
  the same model id (another quantisation, engine or build).
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlparse

from econ_env.llm.base import BackendError, BackendUnavailable, Completion, GenRequest
from econ_env.llm.openai_answer import (
    UnreadableAnswer,
    completion_of,
    decode_body,
    model_ids_of,
)

__all__ = ["OpenAIBackend", "OpenAIConfig"]

T = TypeVar("T")
RETRY_STATUS = frozenset({408, 409, 425, 429}) | frozenset(range(500, 600))
IDENTITY_DEFAULTS: dict[str, Any] = {
    "logprobs": True,
    "top_logprobs": 5,
    "repetition_penalty_field": "repeat_penalty",
}
"""Settings left out of ``identity`` at these values (frozen: changing a default of
:class:`OpenAIConfig` must not change what an identity means)."""


@dataclass(frozen=True)
class OpenAIConfig:
    """Settings of :class:`OpenAIBackend` (see the module docstring); validated on creation."""

    base_url: str
    model: str | None = None
    revision: str | None = None
    concurrency: int = 8
    timeout: float = 60.0
    max_retries: int = 4
    backoff: float = 0.5
    backoff_max: float = 8.0
    logprobs: bool = True
    top_logprobs: int = 5
    repetition_penalty_field: str | None = "repeat_penalty"
    seed: int = 0
    prompt_token_margin: int = 4096

    def __post_init__(self) -> None:
        url = urlparse(self.base_url) if isinstance(self.base_url, str) else None
        if url is None or url.scheme not in ("http", "https") or not url.netloc:
            raise ValueError(
                f"OpenAIConfig.base_url must be an http(s) URL like http://127.0.0.1:8080/v1, "
                f"got {self.base_url!r}"
            )
        if self.model is not None and (not isinstance(self.model, str) or not self.model):
            raise ValueError(f"OpenAIConfig.model must be None or a non-empty str: {self.model!r}")
        ints = ("concurrency", "max_retries", "top_logprobs", "seed", "prompt_token_margin")
        for name in (
            "concurrency",
            "timeout",
            "max_retries",
            "backoff",
            "backoff_max",
            "top_logprobs",
            "seed",
            "prompt_token_margin",
        ):
            value = getattr(self, name)
            kind = int if name in ints else (int, float)
            if isinstance(value, bool) or not isinstance(value, kind):
                raise ValueError(f"OpenAIConfig.{name} must be a number, got {value!r}")
        checks = [
            ("concurrency", 1 <= self.concurrency <= 256, "an int in [1, 256]"),
            ("timeout", 0 < self.timeout <= 3600, "in (0, 3600] seconds"),
            ("max_retries", 0 <= self.max_retries <= 20, "an int in [0, 20]"),
            ("backoff", 0 <= self.backoff <= 60, "in [0, 60] seconds"),
            ("backoff_max", self.backoff <= self.backoff_max <= 600, "in [backoff, 600] seconds"),
            ("top_logprobs", 0 <= self.top_logprobs <= 20, "an int in [0, 20]"),
            (
                "prompt_token_margin",
                0 <= self.prompt_token_margin <= 1_000_000,
                "an int in [0, 1000000] tokens",
            ),
        ]
        for name, ok, allowed in checks:
            if not ok:
                raise ValueError(
                    f"OpenAIConfig.{name} must be {allowed}, got {getattr(self, name)!r}"
                )
        if self.repetition_penalty_field is not None and not self.repetition_penalty_field:
            raise ValueError("OpenAIConfig.repetition_penalty_field must be None or a field name")


class OpenAIBackend:
    """A backend for an OpenAI-compatible server (see the module docstring).

    Args:
        base_url: the API root, e.g. ``http://127.0.0.1:8080/v1``.
        api_key: the key (default ``$OPENAI_API_KEY``, else ``"EMPTY"`` for local servers).
        **settings: fields of :class:`OpenAIConfig` (model, concurrency, timeout, max_retries,
            backoff, backoff_max, logprobs, top_logprobs, repetition_penalty_field, seed,
            prompt_token_margin).
    """

    def __init__(self, base_url: str, *, api_key: str | None = None, **settings: Any) -> None:
        self.config = OpenAIConfig(base_url=base_url.rstrip("/"), **settings)
        self.base_url = self.config.base_url
        self.name = f"openai:{self.base_url}"
        self._api_key = api_key or os.environ.get("OPENAI_API_KEY") or "EMPTY"
        self._model = self.config.model
        self._rng = random.Random(self.config.seed)
        self._lock = threading.Lock()
        self._client: Any = None
        self._pool: ThreadPoolExecutor | None = None
        self.attempts = 0  # HTTP calls made, retries included
        self.retries = 0
        self.missing_logprobs = 0

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.update(_client=None, _pool=None, _lock=None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ plumbing
    @property
    def client(self) -> Any:
        """The ``openai.OpenAI`` client (built on first use; its own retries are off)."""
        if self._client is None:
            import openai

            self._client = openai.OpenAI(
                base_url=self.base_url,
                api_key=self._api_key,
                timeout=self.config.timeout,
                max_retries=0,
            )
        return self._client

    def close(self) -> None:
        """Shut the thread pool and the HTTP client down (both are rebuilt on next use)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        if self._client is not None:
            self._client.close()
        self._pool, self._client = None, None

    def _delay(self, attempt: int) -> float:
        cfg = self.config
        with self._lock:
            jitter = 0.5 + 0.5 * self._rng.random()
        return min(cfg.backoff_max, cfg.backoff * 2.0**attempt) * jitter

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        """Run one HTTP call with the retry policy."""
        import openai

        last, unreadable = "", False
        for attempt in range(self.config.max_retries + 1):
            if attempt:
                with self._lock:
                    self.retries += 1
                time.sleep(self._delay(attempt - 1))
            with self._lock:
                self.attempts += 1
            try:
                return fn()
            except openai.APIStatusError as err:
                if err.status_code not in RETRY_STATUS:
                    raise BackendError(
                        self.base_url,
                        f"rejected {what} with HTTP {err.status_code}: {err.message}",
                    ) from err
                last = f"HTTP {err.status_code}"
            except openai.APIConnectionError as err:  # includes APITimeoutError
                last = f"{type(err).__name__}: {err}"
            except UnreadableAnswer as err:
                unreadable, last = True, str(err)
                continue
            unreadable = False
        tries = self.config.max_retries + 1
        if unreadable:
            raise BackendError(
                self.base_url,
                f"{what} failed {tries} times; the last try was answered (HTTP 200) with {last}",
            )
        raise BackendUnavailable(self.base_url, f"{what} failed {tries} times (last error: {last})")

    def _json(self, raw: Any) -> Any:
        """The decoded JSON of a raw ``200`` response (:class:`UnreadableAnswer` when not)."""
        return decode_body(raw.content, raw.headers.get("content-type", ""))

    # ------------------------------------------------------------------ identity
    @property
    def model(self) -> str:
        """The served model's id (asked from ``/v1/models`` when not given)."""
        if self._model is None:
            raw = self._call(
                "GET /models", lambda: self._json(self.client.models.with_raw_response.list())
            )
            ids = model_ids_of(raw, self.base_url)
            if len(ids) != 1:
                raise ValueError(
                    f"{self.base_url} serves {len(ids)} models {ids}; pass model= to choose one"
                )
            self._model = ids[0]
        return self._model

    @property
    def identity(self) -> dict[str, Any]:
        """What the cache keys on: the backend kind, the model id, its revision label and the
        settings that change the outputs when they differ from :data:`IDENTITY_DEFAULTS`."""
        ident: dict[str, Any] = {
            "backend": "openai",
            "model": self.model,
            "revision": self.config.revision,
        }
        for name, default in IDENTITY_DEFAULTS.items():
            value = getattr(self.config, name)
            if value != default and not (name == "top_logprobs" and not self.config.logprobs):
                ident[name] = value
        return ident

    # ------------------------------------------------------------------ generation
    def _body(self, req: GenRequest) -> dict[str, Any]:
        cfg = self.config
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m["role"], "content": m["content"]} for m in req.messages],
            "max_tokens": req.max_tokens,
            "temperature": req.temperature,
            "top_p": req.top_p,
        }
        if req.seed is not None:
            body["seed"] = int(req.seed)
        if cfg.logprobs:
            body["logprobs"] = True
            if cfg.top_logprobs:
                body["top_logprobs"] = cfg.top_logprobs
        if req.repetition_penalty != 1.0 and cfg.repetition_penalty_field:
            body["extra_body"] = {cfg.repetition_penalty_field: req.repetition_penalty}
        return body

    def _one(self, req: GenRequest) -> Completion:
        body = self._body(req)
        create = self.client.chat.completions.with_raw_response.create
        data = self._call("POST /chat/completions", lambda: self._json(create(**body)))
        completion, missing = completion_of(
            data, req, self.base_url, self.config.prompt_token_margin
        )
        if missing and self.config.logprobs and completion.completion_tokens:
            with self._lock:
                self.missing_logprobs += 1
        return completion

    def generate(self, requests: Sequence[GenRequest]) -> list[Completion]:
        """One completion per request, in order; ``concurrency`` requests in flight at once."""
        requests = list(requests)
        if not requests:
            return []
        _ = self.model  # resolve the model once, before the pool starts
        if len(requests) == 1 or self.config.concurrency == 1:
            return [self._one(r) for r in requests]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                max_workers=self.config.concurrency, thread_name_prefix="econ-openai"
            )
        futures = [self._pool.submit(self._one, r) for r in requests]
        wait(futures)
        for f in futures:
            err = f.exception()
            if err is not None:
                raise err
        return [f.result() for f in futures]
