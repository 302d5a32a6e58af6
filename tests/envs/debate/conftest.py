"""A scripted backend for constructing debate_v0 situations exactly (unit tests only; the
simulated backend and the real embedders are exercised by the other debate tests)."""

from collections.abc import Sequence

import pytest

from econ_env.llm.base import Completion, GenRequest


class ScriptedBackend:
    """Strategy "Plan."; every executor answers ``answer``; commitments follow ``script``."""

    name = "scripted"

    def __init__(self, script: Sequence[str], answer: str = "7", strategy_tokens: int = 12):
        self.script = list(script)
        self.answer = answer
        self.strategy_tokens = strategy_tokens
        self.commitments = 0

    def generate(self, requests: Sequence[GenRequest]) -> list[Completion]:
        out = []
        for r in requests:
            prompt = sum(len(m["content"]) for m in r.messages) // 4
            role = r.hints.role.value if r.hints is not None else None
            if role == "strategy":
                n = min(self.strategy_tokens, r.max_tokens)
                finish = "length" if self.strategy_tokens > r.max_tokens else "stop"
                out.append(Completion("Plan: add, then check.", prompt, n, -0.5, 0.5, finish))
            elif role == "commitment":
                ans = self.script[min(self.commitments, len(self.script) - 1)]
                self.commitments += 1
                out.append(
                    Completion(f"We commit. The answer is \\boxed{{{ans}}}.", prompt, 9, -0.3, 0.3)
                )
            else:
                text = f"Working it out. The answer is \\boxed{{{self.answer}}}."
                out.append(Completion(text, prompt, 20, -0.4, 0.4))
        return out


@pytest.fixture
def scripted():
    return ScriptedBackend
