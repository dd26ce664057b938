"""Outpost: a static incident and status site generator."""

__version__ = "0.1.0"
