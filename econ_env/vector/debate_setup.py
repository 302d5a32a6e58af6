"""The batched debate_v0's fixed tables (a mixin of
:class:`~econ_env.vector.debate_env.VecDebateEnv`): everything that does not depend on the
episode — the characters of every prompt part, the coordinator's strategy texts per item
(their lengths and the hashed word buckets of the strategy features, counted exactly), the
belief presets, which answers of an item agree for the AL reward, and what a cut-off
commitment says.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np
import torch

from econ_env.envs.debate import prompts
from econ_env.llm.simulated.backend import (
    FILLER,
    NUMBER_RE,
    OPENINGS,
    STRATEGY_GENERIC,
    STRATEGY_GOOD,
)
from econ_env.tasks.answers import answers_agree, extract_answer, normalize_answer
from econ_env.tasks.base import TaskItem
from econ_env.vector.items import item_answers, truncated_text

__all__ = ["DebateSetup"]

_WEIGHED = " I weighed the executors' answers against my own check."
_COMMITTED = len(" The coordinator committed to .")  # + the commitment's answer
_STRATEGY_END = " Check the result before answering."
_EMBED_CHARS = 4  # AnswerEmbedder.count_tokens: ceil(len(text) / 4)


def _buckets(text: str) -> np.ndarray:
    """Per-bucket word counts of :func:`~econ_env.envs.debate.observation.strategy_features`
    (before the division by the number of words), and the number of words last."""
    out = np.zeros(5, dtype=np.int64)
    for w in text.lower().split():
        out[zlib.crc32(w.encode()) % 4] += 1
        out[4] += 1
    return out


def _filler_word_table(size: int) -> np.ndarray:
    """``table[m]``: word counts (4 buckets + total) of the filler the backend appends when
    ``m`` characters are missing (``(FILLER * reps)[:m].rsplit(" ", 1)[0]``; 0 for m <= 0)."""
    reps = size // len(FILLER) + 2
    text = FILLER * reps
    words, ends, pos = [], [], 0
    for w in text.split(" "):
        if w:
            words.append(w)
            ends.append(pos + len(w))
        pos += len(w) + 1
    counts = np.zeros((len(words) + 1, 5), dtype=np.int64)
    for j, w in enumerate(words):
        counts[j + 1] = counts[j]
        counts[j + 1, zlib.crc32(w.lower().encode()) % 4] += 1
        counts[j + 1, 4] += 1
    spaces = np.flatnonzero(np.frombuffer(text.encode(), dtype=np.uint8) == ord(" "))
    ends_a = np.asarray(ends)
    m = np.arange(size + 1)
    k = np.searchsorted(spaces, m, side="left")  # spaces before m
    table = counts[np.searchsorted(ends_a, spaces[np.maximum(k - 1, 0)], side="right")]
    for j in np.flatnonzero(k == 0):  # no space before m: the cut word itself
        table[j] = _buckets(text[:j])
    return table


class DebateSetup:
    """Builds the tables :class:`~econ_env.vector.debate_env.VecDebateEnv` reads."""

    config: Any
    device: Any
    table: Any
    sim: Any
    params: Any

    # ------------------------------------------------------------------ set-up
    def _setup(self) -> None:
        """Everything that does not depend on the episode: prompt parts, text parts, presets."""
        cfg, dev, n, t = self.config, self.device, self.config.n_agents, self.table

        def chars(messages: Any) -> int:
            return sum(len(m["content"]) for m in messages)

        def long(x: Any) -> torch.Tensor:
            return torch.as_tensor(np.asarray(x), dtype=torch.int64, device=dev)

        strategy, executor, commit = [], [], []
        for kind in ("numeric", "choice"):
            item = TaskItem(id="x", question="", gold="1", kind=kind, meta={})
            strategy.append(chars(prompts.strategy_messages(item, cfg.strategy_soft_limit)))
            executor.append(
                [chars(prompts.executor_messages(a, item, "", None)) for a in cfg.agents]
            )
            commit.append(chars(prompts.commitment_messages(item, [], cfg.commitment_cap)))
        item0 = TaskItem(id="x", question="", gold="1", kind="numeric", meta={})
        self._commit_prefix = chars(prompts.executor_messages("a", item0, "", "")) - chars(
            prompts.executor_messages("a", item0, "", None)
        )
        self._strategy_base, self._exec_base = long(strategy), long(executor)
        self._commit_base = long(commit)
        self._exec_name = long([len(f"[{a}] ") for a in cfg.agents])
        k = cfg.groups
        self._local_name = long([len(f"[{prompts.local_coordinator(g)}] ") for g in range(k)])
        group = torch.as_tensor(cfg.group_of(), device=dev)
        self._group = group
        self._members = group[None, :] == torch.arange(k, device=dev)[:, None]  # (k, n)
        self._opening = self.sim.openings[torch.arange(n, device=dev) % len(OPENINGS)]
        self._commit_opening = len(OPENINGS[-1 % len(OPENINGS)])
        self._id = torch.eye(n, dtype=torch.float32, device=dev)
        self._eye = torch.eye(n, dtype=torch.bool, device=dev)
        m = cfg.beliefs
        self._defaults = (m.default_temperature, m.default_top_p)
        d = cfg.belief_dim
        presets = torch.zeros(len(cfg.presets), d, dtype=torch.float64, device=dev)
        presets[:, 0] = torch.tensor([v for _, v in cfg.presets], dtype=torch.float64)
        self._presets = presets
        # strategy texts: head ("Plan: [identify the quantities ...] <marker>") per item
        heads, words, cut_commit = [], [], []
        commit_cut_text = f"{OPENINGS[-1]}{_WEIGHED} {FILLER.strip()} ..."
        for m, it in enumerate(t.items):
            found = NUMBER_RE.findall(it.question)[:3]
            parts = ["Plan:"] + ([f"identify the quantities {', '.join(found)}."] if found else [])
            row_len, row_words = [], []
            for marker in (STRATEGY_GENERIC, STRATEGY_GOOD):
                head = " ".join([*parts, marker])
                row_len.append(len(head))
                row_words.append(_buckets(head))
            heads.append(row_len)
            words.append(row_words)
            cut_commit.append(self._cut_commitment(m, it, commit_cut_text))
        self._strategy_head = long(heads)  # (M, 2): generic, good
        self._strategy_words = long(np.stack(words))  # (M, 2, 5)
        self._strategy_end = long([len(_STRATEGY_END), len(" ...")])
        self._strategy_end_words = long([_buckets(_STRATEGY_END), _buckets(" ...")])
        size = int(cfg.strategy_cap * self.params.chars_per_token) + 2
        self._filler_words = long(_filler_word_table(size))
        self._cut_commit = long(cut_commit)
        self._agrees = self._agreement_table()

    def _agreement_table(self) -> torch.Tensor:
        """``(M, A, A)`` bool: whether answers ``a`` and ``c`` of an item agree for the AL
        reward (:func:`~econ_env.tasks.answers.answers_agree`: numeric answers within a
        relative tolerance of 1e-6 agree, e.g. 78328227 and 78328237)."""
        t = self.table
        width = int(t.canon.shape[1])
        out = np.zeros((t.size, width, width), dtype=bool)
        for m, it in enumerate(t.items):
            keys: list[str | None] = [None] * width
            for a, ans in enumerate(item_answers(it, self.params)):
                key = normalize_answer(extract_answer(f"\\boxed{{{ans}}}", it.kind), it.kind)
                keys[a] = key if key is not None else ans.strip()
            keys[width - 1] = normalize_answer(
                extract_answer(truncated_text(it.question), it.kind), it.kind
            )
            for a in range(width):  # answers_agree is symmetric
                ka = keys[a]
                if ka is None:
                    continue
                out[m, a, a] = True
                for c in range(a + 1, width):
                    kc = keys[c]
                    if kc is not None and (ka == kc or answers_agree(ka, kc, it.kind)):
                        out[m, a, c] = out[m, c, a] = True
        return torch.as_tensor(out, device=self.device)

    def _cut_commitment(self, m: int, item: TaskItem, text: str) -> int:
        """The canonical answer index extraction finds in a cut commitment text (-1: none)."""
        found = normalize_answer(extract_answer(text, item.kind), item.kind)
        if found is None:
            return -1
        for a, ans in enumerate(item_answers(item, self.params)):
            key = normalize_answer(extract_answer(f"\\boxed{{{ans}}}", item.kind), item.kind)
            if (key if key is not None else ans.strip()) == found:
                return int(self.table.canon[m, a])
        return -1
