"""A starting schema for static analysis, read from a pg_dump file without a server."""

from __future__ import annotations

from pgfence.analysis.catalog import Catalog
from pgfence.errors import BadInput
from pgfence.sources.files import read_text
from pgfence.sources.sql import split_script


def catalog_from_dump(path: str) -> Catalog:
    """Follow every statement of a schema dump; what they create exists before the migration."""
    text = read_text(path, max_bytes=None)
    statements, findings = split_script(text, path)
    broken = [f for f in findings if f.rule == "parse-error"]
    if broken:
        raise BadInput(broken[0].message, file=path, line=broken[0].location.line)
    catalog = Catalog()
    for statement in statements:
        if statement.node is not None:
            catalog.apply(statement.node)
    catalog.settle()
    return catalog
