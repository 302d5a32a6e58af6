"""Test-wide settings: single-threaded numerics and a hypothesis profile sized for CI."""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from hypothesis import HealthCheck, settings

settings.register_profile(
    "econ", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=100
)
# CI runs derandomized so a landing never depends on a lucky draw; developers explore with fresh
# random examples (and `HYPOTHESIS_PROFILE=deep` for a long search).
settings.register_profile("ci", parent=settings.get_profile("econ"), derandomize=True)
settings.register_profile("deep", parent=settings.get_profile("econ"), max_examples=3000)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "econ")
)
