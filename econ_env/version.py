"""The package version (one place; ``econ_env.__version__`` re-exports it)."""

__version__ = "0.1.0"
