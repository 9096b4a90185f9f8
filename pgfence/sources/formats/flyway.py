"""Flyway: `V<version>__<desc>.sql` in version order, then `R__<desc>.sql` repeatables.

Flyway runs each script in its own transaction, unless the script holds a statement that
Postgres refuses in a transaction (then the whole script runs without one, and Flyway
refuses a script that mixes both kinds unless `mixed=true`), or its `V…sql.conf` says
`executeInTransaction=false`. `${placeholders}` are replaced by identifiers of the same
length, so columns stay right, unless the project writes down their values (flyway.conf,
flyway.toml, FLYWAY_PLACEHOLDERS_*): then Flyway's substitution is made.
"""

from __future__ import annotations

import dataclasses
import os
import re

from pgfence.model import AUTOCOMMIT, Finding, Location, Migration, TxScope
from pgfence.pg.transactions import runs_in_transaction
from pgfence.sources import checks
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


def placeholder_values(path: str, read: dict[str, dict[str, str]] | None = None) -> dict[str, str]:
    """The placeholder values Flyway would use for a script, as far as they are written
    down: `flyway.placeholders.NAME` in a `flyway.conf` (also `conf/flyway.conf`) or
    `[flyway.placeholders]` in a `flyway.toml`, in the script's directory or above it (the
    nearest wins), and `FLYWAY_PLACEHOLDERS_NAME` in the environment over all of them.
    Names are matched without regard to case."""
    values = dict(
        _written_down(os.path.dirname(os.path.abspath(path)), {} if read is None else read)
    )
    for key, value in os.environ.items():
        if key.upper().startswith("FLYWAY_PLACEHOLDERS_"):
            values[key[len("FLYWAY_PLACEHOLDERS_") :].lower()] = value
    return values


def _written_down(directory: str, read: dict[str, dict[str, str]]) -> dict[str, str]:
    """The configuration files' values for scripts in `directory`, the nearest winning;
    `read` keeps what one load has read, so each directory is read once per load."""
    if directory not in read:
        parent = os.path.dirname(directory)
        values = dict(_written_down(parent, read)) if parent != directory else {}
        values.update(_from_toml(os.path.join(directory, "flyway.toml")))
        values.update(_from_conf(os.path.join(directory, "conf", "flyway.conf")))
        values.update(_from_conf(os.path.join(directory, "flyway.conf")))
        read[directory] = values
    return read[directory]


def _from_conf(path: str) -> dict[str, str]:
    values = {}
    try:
        with open(path, encoding="utf-8") as conf:
            for line in conf:
                key, sep, value = line.strip().partition("=")
                if sep and key.strip().lower().startswith("flyway.placeholders."):
                    name = key.strip()[len("flyway.placeholders.") :].lower()
                    values[name] = value.strip()
    except (OSError, UnicodeDecodeError):
        pass
    return values


def _from_toml(path: str) -> dict[str, str]:
    import tomllib

    try:
        with open(path, "rb") as toml:
            data = tomllib.load(toml)
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    flyway = data.get("flyway")
    table = flyway.get("placeholders") if isinstance(flyway, dict) else None
    if not isinstance(table, dict):
        return {}
    return {str(k).lower(): str(v) for k, v in table.items()}


def read(
    path: str, ctx: LoadContext, configs: dict[str, dict[str, str]] | None = None
) -> Migration:
    text = ctx.read(path)
    script = text
    findings: list[Finding] = []
    if _PLACEHOLDER.search(text):
        values = placeholder_values(path, configs)
        script = _PLACEHOLDER.sub(
            lambda m: values.get(m.group(1).lower(), m.group(0)), text
        )  # the values Flyway would use, where they are written down
        if placeholder := _PLACEHOLDER.search(script):
            line = script.count("\n", 0, placeholder.start()) + 1
            findings.append(
                info(
                    checks.FlywayPlaceholder,
                    Location(path, line, 1),
                    "Flyway ${placeholders} without a value in flyway.conf, flyway.toml or "
                    "FLYWAY_PLACEHOLDERS_* were replaced by identifiers (${name} -> __name_) "
                    "so the SQL parses",
                )
            )
            script = _PLACEHOLDER.sub(_placeholder, script)
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
                info(
                    checks.FlywayMixedTransaction,
                    refused[0].location,
                    "this script mixes statements that cannot run in a transaction with others: "
                    "Flyway refuses it unless `mixed=true`, and then runs every statement "
                    "without a transaction (a failure half-way leaves it half-applied). "
                    "Move the non-transactional statement to a script of its own.",
                )
            )
    return script_migration(path, NAME, text, statements, findings)


def load(target: Target, ctx: LoadContext) -> list[Migration]:
    configs: dict[str, dict[str, str]] = {}  # flyway.conf / flyway.toml, per directory
    return [read(path, ctx, configs) for path in files(target)]
