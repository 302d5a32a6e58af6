"""Chat-template prompts and completion texts shared by the local backends (``hf``, ``llamacpp``).

Both render a request's messages with the model's transformers tokenizer and its chat template,
cut a completion at the first stop string and build the :class:`~econ_env.llm.base.Completion`
with the same counting rules (the end-of-sequence token counts, its text does not).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from econ_env.llm.base import Completion, Message

__all__ = ["build_completion", "chat_prompt_ids", "find_stop"]


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
