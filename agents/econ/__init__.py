"""ECON reference agents (belief networks for debate_v0); see DESIGN.md §7."""
