"""``python -m econ_env.testing.soak [envs...] [--episodes N] [--seed S] [--no-info-contract]``:
soak every env (or the ones named) and print a table of episodes/s (:func:`main`)."""

import sys

from econ_env.testing.soak.run import main

sys.exit(main())
