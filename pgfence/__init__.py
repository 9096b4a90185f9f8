"""pgfence: which Postgres locks a schema migration takes, predicted and observed."""

__version__ = "0.1.0"
