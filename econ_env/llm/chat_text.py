"""Chat-template prompts and completion texts shared by the local backends (``hf``, ``llamacpp``).

Both render a request's messages with the model's transformers tokenizer and its chat template,
decode requests in length-sorted batches, cut a completion at the first stop string and build
the :class:`~econ_env.llm.base.Completion` with the same counting rules (the end-of-sequence
token counts, its text does not).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from econ_env.llm.base import Completion, GenRequest, Message

__all__ = ["build_completion", "chat_prompt_ids", "decode_in_chunks", "find_stop"]


def chat_prompt_ids(tokenizer: Any, messages: Sequence[Message]) -> list[int]:
    """Token ids of ``messages`` rendered by the chat template with the generation prompt
    (``ValueError`` naming a message that is not a system/user/assistant mapping with text)."""
    msgs = []
    for k, m in enumerate(messages):
        if not isinstance(m, Mapping) or not isinstance(m.get("content"), str):
            raise ValueError(f"message {k} must be a mapping with a str 'content', got {m!r}")
        if m.get("role") not in ("system", "user", "assistant"):
            raise ValueError(f"message {k} has role {m.get('role')!r}; system/user/assistant")
        msgs.append({"role": m["role"], "content": m["content"]})
    out = tokenizer.apply_chat_template(msgs, add_generation_prompt=True, tokenize=True)
    return list(out["input_ids"] if isinstance(out, Mapping) else out)


def find_stop(tokenizer: Any, toks: Sequence[int], stop: Sequence[str]) -> int | None:
    """Character offset of the first stop string in the decoded ``toks``, or ``None``."""
    text = tokenizer.decode(toks, skip_special_tokens=True)
    hits = [k for k in (text.find(s) for s in stop) if k >= 0]
    return min(hits) if hits else None


def build_completion(
    tokenizer: Any,
    prompt: Sequence[int],
    toks: Sequence[int],
    logprobs: Sequence[float],
    entropies: Sequence[float],
    finish: str,
    cut: int | None,
    ends_with_eos: bool,
) -> Completion:
    """The :class:`Completion` of generated ``toks`` (see the module docstring)."""
    body = toks[:-1] if ends_with_eos else toks
    text = tokenizer.decode(body, skip_special_tokens=True)
    if cut is not None:
        text = text[:cut]
    return Completion(
        text=text,
        prompt_tokens=len(prompt),
        completion_tokens=len(toks),
        mean_logprob=min(0.0, sum(logprobs) / len(logprobs)),
        mean_entropy=max(0.0, sum(entropies) / len(entropies)),
        finish_reason=finish,
    )


def decode_in_chunks(
    requests: Sequence[GenRequest],
    ids: Sequence[list[int]],
    seeds: Sequence[int],
    max_batch_size: int,
    decode: Callable[[list[GenRequest], list[list[int]], list[int]], list[Completion]],
) -> list[Completion]:
    """Decode ``requests`` in batches of at most ``max_batch_size``, shortest prompts together
    (less padding, similar positions), and return the completions in the requests' order."""
    order = sorted(range(len(requests)), key=lambda i: len(ids[i]))
    results: list[Completion | None] = [None] * len(requests)
    for start in range(0, len(order), max_batch_size):
        chunk = order[start : start + max_batch_size]
        outs = decode(
            [requests[i] for i in chunk], [ids[i] for i in chunk], [seeds[i] for i in chunk]
        )
        for i, c in zip(chunk, outs, strict=True):
            results[i] = c
    return [c for c in results if c is not None]
