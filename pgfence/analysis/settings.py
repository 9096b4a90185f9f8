"""Which checks run, how severe they are, and the limits some of them use.

One value, made by the command line (and the config file), passed down to every stage.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from pgfence.model import Severity

T = TypeVar("T")


@dataclass(frozen=True)
class RuleSettings:
    disabled: frozenset[str] = frozenset()
    severity: dict[str, Severity] = field(default_factory=dict)
    # A lock_timeout above this lets a blocked migration hold up traffic for too long.
    max_lock_timeout_ms: float = 10_000.0
    # Dry-run: a lock that blocks reads or writes for longer than this is reported.
    long_lock_ms: float = 1_000.0

    def enabled(self, check_id: str) -> bool:
        return check_id not in self.disabled

    def active(self, checks: dict[str, T]) -> list[T]:
        return [check for check_id, check in checks.items() if check_id not in self.disabled]

    def severity_of(self, check_id: str, default: Severity) -> Severity:
        return self.severity.get(check_id, default)

    def without(self, check_ids: Iterable[str]) -> RuleSettings:
        return dataclasses.replace(
            self, disabled=self.disabled | frozenset(check_ids), severity=dict(self.severity)
        )
