"""pytest-mww: a pytest quality gate for microWakeWord training runs."""

__version__ = "0.1.0"
