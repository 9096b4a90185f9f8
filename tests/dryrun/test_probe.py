"""Observing statements: the parts that need no server."""

from __future__ import annotations

import psycopg

from pgfence.dryrun.probe import _error
from pgfence.sources.sql import split_script


def test_an_error_without_a_message_is_named_by_its_class():
    [statement], _ = split_script("SELECT 1;\n", "m.sql")
    error = _error(psycopg.OperationalError(""), statement)
    assert error.message == "OperationalError"
