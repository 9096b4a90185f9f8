"""Flyway: `V<version>__<desc>.sql` in version order, then `R__<desc>.sql` repeatables.

Flyway runs each script in its own transaction, unless the script holds a statement that
Postgres refuses in a transaction (then the whole script runs without one, and Flyway
refuses a script that mixes both kinds unless `mixed=true`), or its `V…sql.conf` says
`executeInTransaction=false`. `${placeholders}` are replaced by identifiers of the same
length, so columns stay right.
"""

from __future__ import annotations

import dataclasses
import os
import re

from pgfence.model import AUTOCOMMIT, Finding, Location, Migration, Severity, TxScope
from pgfence.sources.files import natural_key
from pgfence.sources.formats.base import LoadContext, Target, head, info, no_files
from pgfence.sources.sql import script_migration, split_script

NAME = "flyway"
_VERSIONED = re.compile(r"^V(\d+(?:[._]\d+)*)__.+\.sql$", re.IGNORECASE)
_REPEATABLE = re.compile(r"^R__.+\.sql$", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"\$\{([^}\n]*)\}")
_NO_TRANSACTION = re.compile(r"^\s*executeInTransaction\s*=\s*false\s*$", re.IGNORECASE | re.M)


def detect(target: Target) -> bool:
    names = [os.path.basename(f) for f in target.with_suffix(".sql")]
    return any(_VERSIONED.match(n) or _REPEATABLE.match(n) for n in names)


def version(name: str) -> tuple[int, ...]:
    """`V1_1__x.sql` and `V1.1__x.sql` are version 1.1; compared part by part as numbers."""
    found = _VERSIONED.match(name)
    if found is None:
        return ()
    return tuple(int(part) for part in re.split(r"[._]", found.group(1)))


def files(target: Target) -> list[str]:
    if target.explicit_file:
        return list(target.files)
    sql = target.with_suffix(".sql")
    versioned = [f for f in sql if _VERSIONED.match(os.path.basename(f))]
    repeatable = [f for f in sql if _REPEATABLE.match(os.path.basename(f))]
    if not versioned and not repeatable:
        raise no_files(target, "Flyway", "V<version>__<name>.sql, R__<name>.sql")
    versioned.sort(key=lambda f: (version(os.path.basename(f)), natural_key(f)))
    repeatable.sort(key=lambda f: natural_key(os.path.basename(f)))
    return versioned + repeatable


def _placeholder(match: re.Match[str]) -> str:
    name = re.sub(r"\W", "_", match.group(1))
    return f"__{name}_"


def read(path: str, ctx: LoadContext) -> Migration:
    from pgfence.analysis.predict import runs_in_transaction

    text = ctx.read(path)
    script = text
    findings: list[Finding] = []
    if placeholder := _PLACEHOLDER.search(text):
        line = text.count("\n", 0, placeholder.start()) + 1
        findings.append(
            info(
                "flyway-placeholder",
                Location(path, line, 1),
                "Flyway ${placeholders} were replaced by identifiers (${name} -> __name_) "
                "so the SQL parses",
            )
        )
        script = _PLACEHOLDER.sub(_placeholder, text)
    in_transaction = not _NO_TRANSACTION.search(head(path + ".conf"))
    statements, more = split_script(
        script, path, blocks=ctx.blocks, runner_transaction=in_transaction
    )
    findings.extend(more)
    refused = [s for s in statements if s.node is not None and not runs_in_transaction(s.node)]
    if in_transaction and refused:
        # Flyway detects these and runs the whole script outside a transaction.
        statements = [
            dataclasses.replace(s, transaction=AUTOCOMMIT)
            if s.transaction.scope is TxScope.RUNNER
            else s
            for s in statements
        ]
        if len(refused) < len(statements):
            findings.append(
                Finding(
                    "flyway-mixed-transaction",
                    Severity.HIGH,
                    "this script mixes statements that cannot run in a transaction with others: "
                    "Flyway refuses it unless `mixed=true`, and then runs every statement "
                    "without a transaction (a failure half-way leaves it half-applied). "
                    "Move the non-transactional statement to a script of its own.",
                    refused[0].location,
                )
            )
    return script_migration(path, NAME, text, statements, findings)


def load(target: Target, ctx: LoadContext) -> list[Migration]:
    return [read(path, ctx) for path in files(target)]
