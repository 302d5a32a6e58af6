"""Reference learning agents for econ-env's games.

- ``econ_env_agents.dala``: the DALA bidders for auction_v0: utility-proportional bidding with
  one α per agent tuned by REINFORCE (``AlphaAgent``), and the paper-style actor with a centralised
  value-density critic trained by MAPPO through Tianshou (``DalaMAPPOAgent``).
- ``econ_env_agents.econ``: the ECON learner for debate_v0: belief networks, attention belief
  encoder and a monotonic QMIX-style mixer (``EconAgent``, ``train_econ``).
- ``econ_env_agents.common``: device choice, seeded generators and safetensors checkpoints.

Every agent exposes ``act(obs, agent=None) -> action`` (the policy interface of
:mod:`econ_env.policies`), saves and loads with safetensors, takes ``device="auto"`` and owns
its random generators; the DALA agents can also be sized from the env's public description
(``from_spec(econ_env.env_spec(...))``) for evaluation without an env.
Training scripts: ``examples/train_dala_tianshou.py`` and ``examples/train_econ.py``.
"""
