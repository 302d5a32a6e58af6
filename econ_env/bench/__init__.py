"""econ-bench: suites, the runner that writes submissions, the verifier, sweeps, the leaderboard,
and the evaluation helpers behind ``econ-env eval`` / ``econ-env run``.

Envs come from :mod:`econ_env.registry`, policies from :mod:`econ_env.policies` (through the
benchmark's own baselines, :mod:`econ_env.bench.baselines`), built from the env's public
:class:`~econ_env.core.spec.EnvSpec`; every episode is played by
:func:`econ_env.core.rollout.play_episode`.
"""
