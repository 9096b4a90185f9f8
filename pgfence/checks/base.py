"""What a check is, how it is registered, and what it raises.

A check is a class with an id, a severity, a one-line summary and a docstring in four
parts (What it does / Why is this bad? / Example / Use instead). Rules look at one
statement (analysis/rules/), policies at how statements share transactions
(analysis/policies/), dry-run checks at what a real server did (declared in
checks/dryrun.py, raised by dryrun/findings.py), input checks at the input itself
(checks/inputs.py), format checks at a migration tool's files (sources/checks.py).
`pgfence rules`, `pgfence explain` and docs/rules.md are made from the registry
(`pgfence.registry.all_checks` has them all).

A stage that sees a problem raises a `Finding` with `raised()`: at its check's severity,
or the hit's own. Whether the run reports it, and at which severity, is decided once, at
the end of the run, by `RuleSettings.judge` (checks/settings.py).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar, TypeVar

from pgfence.model import Finding, Location, Severity
from pgfence.pg.versions import NEWEST


class Scope(StrEnum):
    """What a check looks at."""

    STATEMENT = "statement"  # one statement and the schema before it
    TRANSACTION = "transaction"  # the statements of a transaction or a file, in order
    DRY_RUN = "dry-run"  # what a real server did
    INPUT = "input"  # the migration file itself


class Check:
    id: ClassVar[str]
    severity: ClassVar[Severity]
    summary: ClassVar[str]
    scope: ClassVar[Scope] = Scope.STATEMENT
    # SQL that sets up the schema both examples run against.
    example_schema: ClassVar[str] = ""
    example_bad: ClassVar[str] = ""
    example_good: ClassVar[str] = ""
    # The examples run inside a transaction the migration tool wraps around the file.
    example_in_runner_transaction: ClassVar[bool] = False
    # The Postgres major the examples are analysed for.
    example_version: ClassVar[int] = NEWEST

    @classmethod
    def doc(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    @property
    def tested_by_examples(self) -> bool:
        """Can the examples be checked without a server (statement and transaction checks)?"""
        return self.scope in (Scope.STATEMENT, Scope.TRANSACTION) and bool(self.example_bad)


_REGISTERED: dict[str, Check] = {}

C = TypeVar("C", bound=type[Check])


def register(cls: C) -> C:
    """Class decorator: make a check known to pgfence (ids are unique across all kinds)."""
    if cls.id in _REGISTERED and type(_REGISTERED[cls.id]) is not cls:
        raise RuntimeError(f"two checks share the id {cls.id}")
    _REGISTERED[cls.id] = cls()
    return cls


def registered() -> dict[str, Check]:
    """The checks registered so far, by id: every check of the modules imported so far.

    The checks of this package, of the sources and of the dry-run are registered when
    their modules are imported; rules and policies when their packages are listed
    (`all_rules()`, `all_policies()`); `pgfence.registry.all_checks()` lists them all.
    """
    return dict(sorted(_REGISTERED.items()))


@dataclass(frozen=True)
class Hit:
    """A problem a check saw, before the run decides whether and how to report it."""

    message: str
    recipe: tuple[str, ...] = ()
    severity: Severity | None = None  # this hit's own severity instead of the check's


def raised(
    check: Check | type[Check], hit: Hit, location: Location, *, dynamic: bool = False
) -> Finding:
    """The finding a hit of `check` at `location` is raised as: the hit's severity, else
    the check's. `RuleSettings.judge` decides at the end of the run what becomes of it."""
    return Finding(
        check.id, hit.severity or check.severity, hit.message, location, hit.recipe, dynamic
    )
