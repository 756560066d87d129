"""The version of simkit (read by pyproject.toml and written into saved state)."""

__version__ = "0.1.0"
