"""How faithful is the simulator? The sim-to-real study (docs/fidelity.md).

- :mod:`~econ_env.fidelity.study`: the compared policies, the study config and
  :func:`run_study` (any backend, through the calibration recorder);
- :mod:`~econ_env.fidelity.regimes`: the regime parts (split facts, message tiers) and
  :func:`~econ_env.fidelity.regimes.run_regime_study`;
- :mod:`~econ_env.fidelity.stats`: Kendall's tau between two rankings with a bootstrap CI;
- :mod:`~econ_env.fidelity.report`: the side-by-side table, the plot and the markdown.
"""

from econ_env.fidelity.study import (
    STUDY_POLICIES,
    EpisodeRecord,
    StudyConfig,
    StudyPolicy,
    load_episodes,
    run_study,
    save_episodes,
    study_items,
)

__all__ = [
    "STUDY_POLICIES",
    "EpisodeRecord",
    "StudyConfig",
    "StudyPolicy",
    "load_episodes",
    "run_study",
    "save_episodes",
    "study_items",
]
