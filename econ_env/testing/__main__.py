"""``python -m econ_env.testing [--update] [cases...]``: check or rewrite the golden transcripts."""

from econ_env.testing.golden import main

main()
