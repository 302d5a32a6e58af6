"""Thin, tested adapters to RL libraries (DESIGN.md §8): :mod:`econ_env.integrations.tianshou`."""
