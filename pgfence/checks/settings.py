"""Which checks run, how severe they are, and the limits some of them use.

One value, made by the command line (and the config file), passed down to every stage.
`RuleSettings.judge` is the one place where a finding some stage raised is kept or
dropped and given its severity.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pgfence.globs import match, relative
from pgfence.model import Finding, Severity

T = TypeVar("T")


@dataclass(frozen=True)
class PathOverride:
    """Settings for the migrations whose path matches one of `paths`."""

    paths: tuple[str, ...]
    disable: frozenset[str] = frozenset()
    severity: Mapping[str, Severity] = field(default_factory=dict)


@dataclass(frozen=True)
class RuleSettings:
    disabled: frozenset[str] = frozenset()
    severity: dict[str, Severity] = field(default_factory=dict)
    # A lock_timeout above this lets a blocked migration hold up traffic for too long.
    max_lock_timeout_ms: float = 10_000.0
    # Dry-run: a lock that blocks reads or writes for longer than this is reported.
    long_lock_ms: float = 1_000.0
    # Per-path settings ([[tool.pgfence.overrides]]), their globs relative to `root`.
    overrides: tuple[PathOverride, ...] = ()
    root: Path = field(default_factory=Path.cwd)

    def enabled(self, check_id: str) -> bool:
        return check_id not in self.disabled

    def active(self, checks: dict[str, T]) -> list[T]:
        return [check for check_id, check in checks.items() if check_id not in self.disabled]

    def judge(self, finding: Finding, *, ignored: Collection[str] = ()) -> Finding | None:
        """The finding as the run reports it, or None when the run must not report it.

        Every finding of a run passes here once, at the end, whichever stage raised it (a
        source, a rule, a policy, a dry-run check, the ignore comments themselves): the
        check switched off (`--disable`, `disable`/`enable`, a per-path `disable`) or
        silenced by an ignore comment in force where it was raised (`ignored`) drops it;
        its severity is the one it was raised with (its check's, or the hit's own) unless
        the settings name one (`--severity` / `severity`, then a per-path `severity`).
        """
        rule = finding.rule
        if rule in ignored or not self.enabled(rule):
            return None
        severity = self.severity.get(rule, finding.severity)
        if self.overrides:
            path = relative(finding.location.file, self.root)
            for override in self.overrides:
                if not any(match(p, path) for p in override.paths):
                    continue
                if rule in override.disable:
                    return None
                severity = override.severity.get(rule, severity)
        if severity is finding.severity:
            return finding
        return dataclasses.replace(finding, severity=severity)

    def without(self, check_ids: Iterable[str]) -> RuleSettings:
        return dataclasses.replace(
            self, disabled=self.disabled | frozenset(check_ids), severity=dict(self.severity)
        )
