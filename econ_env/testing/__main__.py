"""``python -m econ_env.testing [--update] [cases...]``: check or rewrite the golden transcripts.

``python -m econ_env.testing soak [...]``: the soak (:mod:`econ_env.testing.soak`).
"""

import sys

if sys.argv[1:2] == ["soak"]:
    from econ_env.testing.soak import main as soak_main

    sys.exit(soak_main(sys.argv[2:]))
else:
    from econ_env.testing.golden import main

    main()
