"""Tallylight: consent-first recording of keyboard and mouse dynamics."""

__version__ = "0.1.0"
