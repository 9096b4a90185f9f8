"""Configuration: `[tool.pgfence]` in pyproject.toml, or a pgfence.toml.

Found by walking up from the working directory to the first `pgfence.toml`, or
`pyproject.toml` that has a `[tool.pgfence]` table (`--config FILE` names one instead).
Every value is a default the command line overrides. Paths and globs in the file are
relative to the file's directory. An unknown key or a bad value is a one-line error that
names the key and the file (exit 2): a typo must not silently switch a check off.

The result is one frozen `Config` value that the command line passes down; nothing
here is global.
"""

from __future__ import annotations

import dataclasses
import difflib
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from pgfence.checks import PathOverride, RuleSettings
from pgfence.durations import parse_duration
from pgfence.errors import BadInput, UsageError
from pgfence.globs import match, relative
from pgfence.model import Migration, Severity

__all__ = ["Config", "PathOverride", "known_checks", "load", "match", "parse"]

FILE_NAMES = ("pgfence.toml", "pyproject.toml")
OUTPUT_FORMATS = ("table", "json", "sarif", "github", "markdown", "junit", "html")
BACKENDS = ("embedded", "local", "docker")


@dataclass(frozen=True)
class Config:
    file: str | None = None  # the file it was read from (None: defaults only)
    root: Path = field(default_factory=Path.cwd)  # what relative paths and globs start from
    pg: int | None = None
    backend: str | None = None
    format: str | None = None
    fail_on: Severity | None = None
    migration_format: str | None = None
    schema: str | None = None  # resolved against root
    paths: tuple[str, ...] = ()  # default PATHs, resolved against root
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    enable: frozenset[str] | None = None  # only these checks (None: all)
    disable: frozenset[str] = frozenset()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    # Seconds. The dry-run's own timeouts:
    statement_timeout: float | None = None
    lock_timeout: float | None = None
    # Ceilings of the timeout policies (lock-timeout-too-long; lock-held-long in dry-runs).
    max_lock_timeout: float | None = None
    long_lock: float | None = None
    overrides: tuple[PathOverride, ...] = ()
    # `[[tool.pgfence.project]]`: one database of the repository each, every key not set
    # there taken from the top level; `project` is the name of the one this config is.
    projects: tuple[Config, ...] = ()
    project: str | None = None

    # ---- several databases: [[tool.pgfence.project]] ------------------------------------

    def for_project(self, name: str | None) -> Config:
        """The configuration of project `name` (`--project`); without a name, this one."""
        if name is None:
            return self
        names = [p.project for p in self.projects if p.project]
        if name not in names:
            if not names:
                raise UsageError(
                    f"--project {name}: the configuration has no [[tool.pgfence.project]]"
                    + (f" ({self.file})" if self.file else "")
                )
            close = difflib.get_close_matches(name, names, n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise UsageError(f"--project {name}: no such project{hint} (one of {', '.join(names)})")
        return next(p for p in self.projects if p.project == name)

    # ---- migrations: include / exclude -------------------------------------------------

    def selects(self, path: str) -> bool:
        """Is this migration file analysed (include and exclude globs)?"""
        relative = self.relative(path)
        if self.include and not any(match(p, relative) for p in self.include):
            return False
        return not any(match(p, relative) for p in self.exclude)

    def select(self, migrations: Iterable[Migration]) -> list[Migration]:
        return [m for m in migrations if self.selects(m.path)]

    def relative(self, path: str) -> str:
        return relative(path, self.root)

    # ---- checks: enabled, disabled, severities ------------------------------------------

    def disabled_checks(self, known: Iterable[str]) -> frozenset[str]:
        """Checks switched off: `disable`, and everything outside `enable` when it is set."""
        off = set(self.disable)
        if self.enable is not None:
            off |= set(known) - self.enable
        return frozenset(off)

    def rule_settings(
        self,
        *,
        disable: Iterable[str] = (),
        severity: Mapping[str, Severity] | None = None,
        max_lock_timeout_ms: float | None = None,
    ) -> RuleSettings:
        """The settings the checks run with: the file's, then the caller's on top.

        `disable`, `severity` and `max_lock_timeout_ms` are the command line's (--disable,
        --severity, --max-lock-timeout) or the API's; an unknown check id is a UsageError.
        """
        disable = frozenset(disable)
        severity = dict(severity or {})
        unknown = sorted((disable | set(severity)) - known_checks())
        if unknown:
            hints = [difflib.get_close_matches(u, list(known_checks()), n=1) for u in unknown]
            close = [h[0] for h in hints if h]
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise UsageError(
                f"no such check: {', '.join(unknown)}{hint} (`pgfence rules` lists them)"
            )
        defaults = RuleSettings()
        if max_lock_timeout_ms is None and self.max_lock_timeout is not None:
            max_lock_timeout_ms = self.max_lock_timeout * 1000  # the file's are seconds
        return RuleSettings(
            disabled=self.disabled_checks(known_checks()) | disable,
            severity={**self.severity, **severity},
            max_lock_timeout_ms=defaults.max_lock_timeout_ms
            if max_lock_timeout_ms is None
            else max_lock_timeout_ms,
            long_lock_ms=defaults.long_lock_ms if self.long_lock is None else self.long_lock * 1000,
            overrides=self.overrides,
            root=self.root,
        )


# ---- finding and reading the file -------------------------------------------------------


def find(start: Path) -> tuple[Path, dict[str, Any]] | None:
    """The closest pgfence.toml, or pyproject.toml with [tool.pgfence], from `start` up,
    with its contents (read once)."""
    for directory in (start, *start.parents):
        candidate = directory / "pgfence.toml"
        if candidate.is_file():
            return candidate, _read_toml(candidate)
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file():
            data = _read_toml(pyproject)
            if "pgfence" in data.get("tool", {}):
                return pyproject, data
    return None


def load(explicit: str | None = None, *, start: Path | None = None) -> Config:
    """The configuration `--config` names, or the one found from `start` (the cwd)."""
    if explicit is not None:
        path = Path(explicit)
        if not path.is_file():
            raise BadInput("no such configuration file", file=explicit)
        data = _read_toml(path)
        if (path.name == "pyproject.toml" or "tool" in data) and "pgfence" not in data.get(
            "tool", {}
        ):
            raise UsageError("has no [tool.pgfence] table", file=explicit)
    else:
        found = find((start or Path.cwd()).resolve())
        if found is None:
            return Config(root=(start or Path.cwd()))
        path, data = found
    if path.name == "pyproject.toml" or "tool" in data:
        return parse(data["tool"]["pgfence"], file=str(path), prefix="tool.pgfence")
    return parse(data, file=str(path), prefix="")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"not valid TOML: {exc}", file=str(path)) from None
    except OSError as exc:
        raise BadInput(f"cannot read: {exc.strerror or exc}", file=str(path)) from None


# ---- checking every key and value -------------------------------------------------------


def parse(table: Mapping[str, Any], *, file: str, prefix: str = "tool.pgfence") -> Config:
    root = Path(file).resolve().parent
    values: dict[str, Any] = {"file": file, "root": root}
    _check_keys(table, _TOP_LEVEL, file, prefix)
    for key, raw in table.items():
        name = f"{prefix}.{key}" if prefix else key
        if key == "overrides":
            values["overrides"] = _overrides(raw, file, name)
            continue
        if key == "project":
            continue  # below, once the top level they inherit from is known
        attr, convert = _TOP_LEVEL[key]
        values[attr] = convert(raw, _Where(file, name, root))
    config = Config(**values)
    if "project" in table:
        key = f"{prefix}.project" if prefix else "project"
        config = dataclasses.replace(config, projects=_projects(table["project"], config, key))
    return config


def _projects(raw: Any, base: Config, key: str) -> tuple[Config, ...]:
    """Each [[project]] table: the top level's configuration with its own keys on top."""
    file = base.file or ""
    if not isinstance(raw, list):
        raise UsageError(f"{key}: expected [[project]] tables", file=file)
    out: list[Config] = []
    for n, table in enumerate(raw):
        where = f"{key}[{n}]"
        _check_keys(table, {"name": None, **_PROJECT}, file, where)
        name = table.get("name")
        if not isinstance(name, str) or not name.strip():
            raise UsageError(f'{where}: needs name = "…"', file=file)
        if any(p.project == name for p in out):
            raise UsageError(f"{where}: a second project named {name!r}", file=file)
        if "paths" not in table:
            raise UsageError(f'{where}: needs paths = ["…"] (project {name})', file=file)
        values = {
            attr: convert(table[k], _Where(file, f"{where}.{k}", base.root))
            for k, (attr, convert) in _PROJECT.items()
            if k in table
        }
        out.append(dataclasses.replace(base, project=name, projects=(), **values))
    return tuple(out)


@dataclass(frozen=True)
class _Where:
    file: str
    key: str
    root: Path

    def error(self, message: str) -> UsageError:
        return UsageError(f"{self.key}: {message}", file=self.file)


def _check_keys(
    table: Mapping[str, Any], known: Mapping[str, object], file: str, prefix: str
) -> None:
    if not isinstance(table, Mapping):
        raise UsageError(f"{prefix or 'the file'}: expected a table", file=file)
    for key in table:
        if key not in known:
            close = difflib.get_close_matches(key, list(known), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            name = f"{prefix}.{key}" if prefix else key
            raise UsageError(f"{name}: unknown key{hint}", file=file)


def _int(raw: Any, where: _Where) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise where.error(f"expected a number, got {raw!r}")
    return raw


def _pg(raw: Any, where: _Where) -> int:
    from pgfence.pg.versions import NEWEST, OLDEST

    version = _int(raw, where)
    if not OLDEST <= version <= NEWEST:
        raise where.error(f"{version}: pgfence knows PostgreSQL {OLDEST} to {NEWEST}")
    return version


def _choice(options: Sequence[str]) -> Callable[[Any, _Where], str]:
    def convert(raw: Any, where: _Where) -> str:
        if raw not in options:
            raise where.error(f"{raw!r} is not one of {', '.join(options)}")
        return str(raw)

    return convert


def _migration_format(raw: Any, where: _Where) -> str:
    from pgfence.sources.formats import FORMATS

    return _choice(FORMATS)(raw, where)


def _severity(raw: Any, where: _Where) -> Severity:
    if not isinstance(raw, str):
        raise where.error(f'expected a severity such as "high", got {raw!r}')
    try:
        return Severity.parse(raw)
    except ValueError as exc:
        raise where.error(str(exc)) from None


def _fail_on(raw: Any, where: _Where) -> Severity:
    severity = _severity(raw, where)
    if severity is Severity.INFO:
        raise where.error("info findings never fail a run: use low, medium, high or critical")
    return severity


def _duration(raw: Any, where: _Where) -> float:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise where.error(f'expected a duration such as "2s", got {raw!r}')
    try:
        seconds = parse_duration(str(raw), where.key)
    except UsageError:
        raise where.error(f"{raw!r}: expected a duration such as 60s, 2m or 500ms") from None
    if seconds <= 0 and where.key.rsplit(".", 1)[-1] in _TIMEOUTS:
        raise where.error(f"{raw!r}: a timeout must be longer than 0")
    return seconds


_TIMEOUTS = ("statement-timeout", "lock-timeout")


def _strings(raw: Any, where: _Where) -> tuple[str, ...]:
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise where.error(f"expected a list of strings, got {raw!r}")
    return tuple(raw)


def _path(raw: Any, where: _Where) -> str:
    if not isinstance(raw, str):
        raise where.error(f"expected a path, got {raw!r}")
    return str(where.root / raw)


def _paths(raw: Any, where: _Where) -> tuple[str, ...]:
    return tuple(str(where.root / p) for p in _strings(raw, where))


def _checks(raw: Any, where: _Where) -> frozenset[str]:
    ids = _strings(raw, where)
    known = known_checks()
    for check_id in ids:
        if check_id not in known:
            close = difflib.get_close_matches(check_id, list(known), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise where.error(f"no check named {check_id!r}{hint}")
    return frozenset(ids)


def _severities(raw: Any, where: _Where) -> dict[str, Severity]:
    if not isinstance(raw, Mapping):
        raise where.error('expected a table such as { drop-column = "medium" }')
    _checks(list(raw), where)
    return {
        check_id: _severity(level, dataclasses.replace(where, key=f"{where.key}.{check_id}"))
        for check_id, level in raw.items()
    }


def _overrides(raw: Any, file: str, key: str) -> tuple[PathOverride, ...]:
    if not isinstance(raw, list):
        raise UsageError(f"{key}: expected [[overrides]] tables", file=file)
    out = []
    root = Path(file).resolve().parent
    for n, table in enumerate(raw):
        name = f"{key}[{n}]"
        _check_keys(table, _OVERRIDE, file, name)
        if "paths" not in table:
            raise UsageError(f'{name}: needs paths = ["glob", …]', file=file)
        values = {
            attr: convert(table[k], _Where(file, f"{name}.{k}", root))
            for k, (attr, convert) in _OVERRIDE.items()
            if k in table
        }
        out.append(PathOverride(**values))
    return tuple(out)


Converter = Callable[[Any, _Where], Any]

_TOP_LEVEL: dict[str, tuple[str, Converter]] = {
    "pg": ("pg", _pg),
    "backend": ("backend", _choice(BACKENDS)),
    "format": ("format", _choice(OUTPUT_FORMATS)),
    "fail-on": ("fail_on", _fail_on),
    "migration-format": ("migration_format", _migration_format),
    "schema": ("schema", _path),
    "paths": ("paths", _paths),
    "include": ("include", _strings),
    "exclude": ("exclude", _strings),
    "enable": ("enable", _checks),
    "disable": ("disable", _checks),
    "severity": ("severity", _severities),
    "statement-timeout": ("statement_timeout", _duration),
    "lock-timeout": ("lock_timeout", _duration),
    "max-lock-timeout": ("max_lock_timeout", _duration),
    "long-lock": ("long_lock", _duration),
    "overrides": ("overrides", lambda raw, where: raw),  # checked by _overrides
    "project": ("projects", lambda raw, where: raw),  # checked by _projects
}
# What a [[project]] may set for itself (the rest is the top level's): its migrations,
# their format, the database's schema and major, the server and its timeouts.
_PROJECT: dict[str, tuple[str, Converter]] = {
    k: _TOP_LEVEL[k]
    for k in (
        "paths",
        "include",
        "exclude",
        "migration-format",
        "schema",
        "pg",
        "backend",
        "fail-on",
        "statement-timeout",
        "lock-timeout",
    )
}
_OVERRIDE: dict[str, tuple[str, Converter]] = {
    "paths": ("paths", _strings),
    "disable": ("disable", _checks),
    "severity": ("severity", _severities),
}


@cache
def known_checks() -> frozenset[str]:
    from pgfence.registry import check_ids

    return check_ids()
