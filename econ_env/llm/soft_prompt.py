"""Soft-prompt beliefs: a projection of a belief vector into a model's input-embedding space.

A belief ``b ∈ R^d`` (ECON executors' belief actions, DALA's belief dims) becomes ``n_prefix``
vectors of the model's hidden size, which the ``hf`` backend prepends to the chat-templated
prompt's token embeddings through ``inputs_embeds``. The prefix positions are not tokens: they
are not counted in ``prompt_tokens``.

:class:`BeliefProjection` is an ``nn.Module`` owned by the caller. Its default initialisation is a
fixed, seeded orthogonal map (rows of the weight are orthonormal, so distinct beliefs give
distinct prefixes, at a scale matched to the model's token embeddings); an agent that wants to
learn it trains its parameters like any module (see ``HFBackend.score``, which returns
log-probabilities differentiable with respect to them).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import torch
from torch import nn

__all__ = ["BeliefProjection", "SoftPromptConfig"]


@dataclass(frozen=True)
class SoftPromptConfig:
    """How beliefs become prefix embeddings.

    Attributes:
        n_prefix: number of prefix vectors prepended to the prompt, in [1, 64].
        scale: norm of a prefix vector for a belief whose entries are all ±1, as a multiple of
            the model's mean token-embedding norm, in (0, 100].
        seed: seed of the orthogonal initialisation (>= 0).
        bias: whether the projection has a (zero-initialised, learnable) bias.
    """

    n_prefix: int = 4
    scale: float = 1.0
    seed: int = 0
    bias: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.n_prefix, bool) or not isinstance(self.n_prefix, int):
            raise ValueError(f"SoftPromptConfig.n_prefix must be an int, got {self.n_prefix!r}")
        if not 1 <= self.n_prefix <= 64:
            raise ValueError(f"SoftPromptConfig.n_prefix must be in [1, 64], got {self.n_prefix}")
        if not (isinstance(self.scale, (int, float)) and 0.0 < self.scale <= 100.0):
            raise ValueError(f"SoftPromptConfig.scale must be in (0, 100], got {self.scale!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"SoftPromptConfig.seed must be an int >= 0, got {self.seed!r}")
        if not isinstance(self.bias, bool):
            raise ValueError(f"SoftPromptConfig.bias must be a bool, got {self.bias!r}")


class BeliefProjection(nn.Module):
    """Linear map ``R^belief_dim → R^(n_prefix × hidden_size)``.

    Args:
        belief_dim: length of the belief vectors (>= 1).
        hidden_size: the model's embedding width (>= 1).
        config: :class:`SoftPromptConfig` (number of prefix vectors, scale, seed, bias).
        embedding_norm: the model's mean token-embedding norm (> 0); with ``config.scale`` it sets
            the size of the prefix vectors.

    ``forward(belief)`` takes ``(..., belief_dim)`` and returns ``(..., n_prefix, hidden_size)``.
    The weight is initialised from ``torch.Generator().manual_seed(config.seed)`` (never the
    global RNG): same arguments, same projection.
    """

    def __init__(
        self,
        belief_dim: int,
        hidden_size: int,
        config: SoftPromptConfig | None = None,
        *,
        embedding_norm: float = 1.0,
    ) -> None:
        super().__init__()
        config = config or SoftPromptConfig()
        if belief_dim < 1:
            raise ValueError(f"BeliefProjection.belief_dim must be >= 1, got {belief_dim}")
        if hidden_size < 1:
            raise ValueError(f"BeliefProjection.hidden_size must be >= 1, got {hidden_size}")
        if not (math.isfinite(embedding_norm) and embedding_norm > 0):
            raise ValueError(f"BeliefProjection.embedding_norm must be > 0, got {embedding_norm}")
        self.belief_dim, self.hidden_size, self.config = belief_dim, hidden_size, config
        out = config.n_prefix * hidden_size
        gen = torch.Generator().manual_seed(config.seed)
        weight = torch.empty(belief_dim, out)
        nn.init.orthogonal_(weight, generator=gen)
        # An all-±1 belief has norm sqrt(d); spread over n_prefix vectors each gets norm
        # sqrt(d / n_prefix) under an orthonormal map. Rescale to scale × embedding_norm.
        weight *= config.scale * embedding_norm * math.sqrt(config.n_prefix / belief_dim)
        self.weight = nn.Parameter(weight)
        self.bias = nn.Parameter(torch.zeros(out)) if config.bias else None

    @classmethod
    def for_embeddings(
        cls, embeddings: torch.Tensor, belief_dim: int, config: SoftPromptConfig | None = None
    ) -> BeliefProjection:
        """A projection sized for a model whose input-embedding matrix is ``embeddings``
        (``vocab × hidden``), scaled to its mean token-embedding norm; on CPU, float32."""
        norm = float(embeddings.detach().float().norm(dim=-1).mean())
        return cls(belief_dim, int(embeddings.shape[1]), config, embedding_norm=norm)

    def digest(self) -> str:
        """SHA-256 of the current parameters (changes whenever training changes them)."""
        h = hashlib.sha256()
        for key, value in sorted(self.state_dict().items()):
            h.update(key.encode() + value.detach().float().cpu().numpy().tobytes())
        return h.hexdigest()

    def forward(self, belief: torch.Tensor) -> torch.Tensor:
        if belief.shape[-1] != self.belief_dim:
            raise ValueError(
                f"belief has {belief.shape[-1]} dims, the projection expects {self.belief_dim}"
            )
        y = belief.to(self.weight.dtype) @ self.weight
        if self.bias is not None:
            y = y + self.bias
        return y.reshape(*belief.shape[:-1], self.config.n_prefix, self.hidden_size)

    def extra_repr(self) -> str:
        c = self.config
        return (
            f"belief_dim={self.belief_dim}, hidden_size={self.hidden_size}, n_prefix={c.n_prefix}"
        )
