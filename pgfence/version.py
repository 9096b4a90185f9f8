"""The version of pgfence, in a module of its own: every stage may import it without
importing the package's public API (pgfence/__init__.py), which imports every stage."""

__version__ = "0.1.0"
