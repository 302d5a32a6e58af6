"""An example agent submission: a linear policy whose weights load from safetensors.

``econ-env bench evaluate examples/submission_agent --suite econ-bench-v0/dev --out DIR`` runs
it in a sandboxed process. It is built per episode as ``LinearBidder(spec, seed=seed,
weights=weights)``: ``spec`` is the env's public :class:`econ_env.EnvSpec`, ``weights`` the
arrays of ``weights.safetensors`` (made by ``make_weights.py``). It reads a few named fields of
its own observation (through ``spec.layout``) and maps them linearly to its action:

* auction_v0: ``bid = clip(W @ [confidence, agrees_plurality, entropy, 1])`` in [-1, 1] on the
  first message tier (the other tiers get -1, i.e. no bid); a masked discrete variant rounds the
  bid to the nearest allowed level;
* debate_v0: ``belief = clip(W @ [agrees_commitment, peers_agreement, distinct_answers, 1])``.

Only numpy is needed; the random generator is the policy's own, seeded with ``seed``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

FEATURES = {
    "auction_v0": ("confidence", "agrees_plurality", "entropy"),
    "debate_v0": ("agrees_commitment", "peers_agreement", "distinct_answers"),
}


class LinearBidder:
    """``action = clip(W @ features + b, -1, 1)`` with ``W``, ``b`` from the weights file."""

    def __init__(self, spec: Any, seed: int = 0, weights: dict[str, np.ndarray] | None = None):
        if spec.env not in FEATURES:
            raise ValueError(f"LinearBidder plays {sorted(FEATURES)}, not {spec.env}")
        if not weights:
            raise ValueError("LinearBidder needs its weights (weights.safetensors)")
        self.spec = spec
        self.rng = np.random.default_rng(seed)
        self.W = np.asarray(weights[f"{spec.env}.W"], dtype=np.float64)
        self.b = np.asarray(weights[f"{spec.env}.b"], dtype=np.float64)
        names = [f[0] for f in spec.layout.to_dict()["fields"]]
        self.index = [spec.layout.index(n) if n in names else None for n in FEATURES[spec.env]]

    def _features(self, obs: Any) -> np.ndarray:
        v = np.asarray(obs["observation"] if isinstance(obs, dict) else obs, dtype=np.float64)
        return np.array([0.0 if i is None else v[i] for i in self.index])

    def act(self, obs: Any, agent: str) -> Any:
        out = np.clip(self.W @ self._features(obs) + self.b, -1.0, 1.0)
        space = self.spec.action_space
        if hasattr(space, "n"):  # discrete: a bid level (or preset) allowed by the mask
            levels = np.linspace(-1.0, 1.0, int(space.n))
            order = np.argsort(np.abs(levels - out[0]))
            mask = obs.get("action_mask") if isinstance(obs, dict) else None
            allowed = [int(k) for k in order if mask is None or mask[k]]
            return allowed[0] + int(space.start)
        action = -np.ones(space.shape, dtype=np.float32)
        action[: out.size] = out[: space.shape[0]]
        return action
