"""vcwork: verifiable micro-credentials for workforce programs."""

__version__ = "0.1.0"
