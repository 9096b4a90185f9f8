"""`--fix`: analyse, insert the safe fixes, analyse the result again, until nothing is left.

A pass makes a file's statement fixes (CONCURRENTLY, NOT VALID) before its timeout
fixes: a statement made CONCURRENTLY needs no lock_timeout, and a file that holds only
that statement must stay alone in it (Prisma and golang-migrate send a file as one query,
which is one transaction when it holds more than one statement). Each pass reads the
rewritten texts as the migration tool would (`LoadContext.texts`), so the transaction of
every statement is decided again; the last pass's findings are what is left.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from pgfence.errors import BadInput
from pgfence.fixes.inplace import (
    FIXABLE,
    SQL_FORMATS,
    TIMEOUTS,
    Place,
    Refused,
    statement_fix,
    timeout_fix,
)
from pgfence.fixes.split import (
    MIXED,
    SPLIT_RULES,
    Cut,
    NewFile,
    check_free,
    cut_file,
    cut_for,
    new_files,
)
from pgfence.fixes.text import FileText, Insertion, apply
from pgfence.model import Finding, Location, Migration, Report, StatementReport, TxScope

# Analyse the migrations, reading these texts (by real path) instead of their files'.
Analyse = Callable[[Mapping[str, str]], tuple[list[Migration], Report]]

_BOM = b"\xef\xbb\xbf"
_HELD = "lock-held-during-long-operation"

# A fix that makes another fix needed is made in the next pass; each pass fixes at least
# one finding, and no fix undoes another: a handful of passes is always enough.
MAX_PASSES = 6


@dataclass(frozen=True)
class Refusal:
    """A finding `--fix` leaves alone, and why."""

    location: Location
    rule: str
    reason: str

    def __str__(self) -> str:
        return f"{self.location}: {self.rule} not fixed: {self.reason}"


@dataclass(frozen=True)
class FileFix:
    path: str
    original: str
    fixed: str
    rules: tuple[str, ...]  # the findings fixed, one per fix

    def diff(self) -> str:
        lines = difflib.unified_diff(
            self.original.splitlines(keepends=True),
            self.fixed.splitlines(keepends=True),
            fromfile=self.path,
            tofile=self.path,
        )
        return "".join(
            line if line.endswith("\n") else f"{line}\n\\ No newline at end of file\n"
            for line in lines
        )


@dataclass(frozen=True)
class FixResult:
    files: tuple[FileFix, ...]
    refusals: tuple[Refusal, ...]
    # Of the migrations as fixed; --split's new files are in it once written (api.fix).
    report: Report
    created: tuple[NewFile, ...] = ()  # --split: the new migrations

    @property
    def fixed(self) -> int:
        return sum(len(f.rules) for f in self.files)

    def diff(self) -> str:
        new = (
            "".join(
                difflib.unified_diff(
                    [], f.text.splitlines(keepends=True), fromfile="/dev/null", tofile=f.path
                )
            )
            for f in self.created
        )
        return "".join(f.diff() for f in self.files) + "".join(new)

    def write(self) -> None:
        for created in self.created:
            try:
                os.makedirs(os.path.dirname(created.path) or ".", exist_ok=True)
                with open(created.path, "x", encoding="utf-8", newline="") as out:
                    out.write(created.text)
            except OSError as exc:
                problem = f"cannot write the new migration: {exc.strerror}"
                raise BadInput(problem, file=created.path) from None
        for file in self.files:
            try:
                with open(file.path, "rb") as original:
                    bom = original.read(3) == _BOM  # read without it, kept when written
                with open(file.path, "wb") as out:
                    out.write((_BOM if bom else b"") + file.fixed.encode("utf-8"))
            except OSError as exc:
                problem = f"cannot write the fixed file: {exc.strerror}"
                raise BadInput(problem, file=file.path) from None


def fix(analyse: Analyse, read: Callable[[str], str], *, split: bool = False) -> FixResult:
    """Fix what can be fixed in place; `read(path)` reads a file's original text; with
    `split`, cut what cannot into new migrations next to the original."""
    texts: dict[str, str] = {}
    originals: dict[str, tuple[str, str]] = {}  # real path -> (path as given, text)
    rules: dict[str, list[str]] = {}
    migrations, report = analyse(texts)
    refusals: list[Refusal] = []
    seen = {_state(migrations, report)}
    for _ in range(MAX_PASSES):
        by_file, refusals = _proposals(migrations, report, texts, read, originals)
        if not by_file:
            break
        before = dict(texts), {k: list(v) for k, v in rules.items()}
        for key, fixes in by_file.items():
            insertions = _unique(i for fix in fixes for i in fix)
            texts[key] = apply(_current(key, texts, originals), insertions)
            rules.setdefault(key, []).extend(fix[0].rule for fix in fixes)
        fixed_migrations, fixed_report = analyse(texts)
        state = _state(fixed_migrations, fixed_report)
        if state in seen:  # the fixes brought back findings already seen: undo, stop
            texts, rules = before
            break
        seen.add(state)
        migrations, report = fixed_migrations, fixed_report
    created: list[NewFile] = []
    if split:
        refusals, created = _split(migrations, report, texts, read, originals, rules, refusals)
    files = tuple(
        FileFix(originals[key][0], originals[key][1], text, tuple(rules.get(key, ())))
        for key, text in texts.items()
        if text != originals[key][1]
    )
    return FixResult(files, tuple(refusals), report, tuple(created))


def _split(
    migrations: list[Migration],
    report: Report,
    texts: dict[str, str],
    read: Callable[[str], str],
    originals: dict[str, tuple[str, str]],
    rules: dict[str, list[str]],
    refusals: list[Refusal],
) -> tuple[list[Refusal], list[NewFile]]:
    """Cut each file at the findings no in-place fix could make safe."""
    reports = {(s.statement.location, s.statement.sql): s for s in report.statements}
    left: list[Refusal] = []
    handled: set[tuple[Location, str]] = set()
    created: list[NewFile] = []
    for migration in migrations:
        wanted = _wanted(migration, reports, SPLIT_RULES) + _mixed(migration, report)
        if not wanted or migration.format not in SQL_FORMATS:
            continue
        key = os.path.realpath(migration.path)
        if key not in originals:
            originals[key] = (migration.path, read(migration.path))
        text = FileText(_current(key, texts, originals))
        places = _places(migration, text, reports)
        cuts: list[Cut] = []
        # A long statement's own cut (moved out, or no longer long) also ends the lock held
        # over it: lock-held-during-long-operation is cut only when nothing else is.
        wanted.sort(key=lambda w: (w[0], w[1].rule == _HELD))
        for index, finding in wanted:
            handled.add((finding.location, finding.rule))
            try:
                if index not in places:
                    raise Refused("the file's text differs from what was analysed")
                if any(c.index == index for c in cuts):
                    if finding.rule == _HELD:
                        continue
                    raise Refused("another finding of this statement cut it already")
                cuts.append(cut_for(places[index], finding, report.pg_version))
            except Refused as exc:
                left.append(Refusal(finding.location, finding.rule, f"not split: {exc}"))
        if not cuts:
            continue
        ordered = [places[i] for i in sorted(places)]
        try:
            head, files = new_files(migration.path, migration.format, cut_file(ordered, cuts))
            check_free(files)
        except Refused as exc:
            left.extend(
                Refusal(migration.statements[c.index].location, c.rule, f"not split: {exc}")
                for c in cuts
            )
            continue
        texts[key] = head
        created.extend(files)
        rules.setdefault(key, []).extend(c.rule for c in cuts)
    kept = [r for r in refusals if (r.location, r.rule) not in handled]
    return kept + left, created


def _unique(insertions: Iterable[Insertion]) -> list[Insertion]:
    """Each insertion once: two findings of one statement may ask for the same words
    (create-index-blocks-writes and missing-lock-timeout's RESET before one build)."""
    return list(dict.fromkeys(insertions))


def _state(migrations: list[Migration], report: Report) -> frozenset[tuple[str, str, str]]:
    """The fixable findings of a run, by file, check and statement text."""
    return frozenset(
        (s.statement.location.file, f.rule, s.statement.sql)
        for s in report.statements
        for f in s.findings
        if f.rule in FIXABLE
    )


def _current(key: str, texts: Mapping[str, str], originals: Mapping[str, tuple[str, str]]) -> str:
    return texts.get(key, originals[key][1])


def _proposals(
    migrations: list[Migration],
    report: Report,
    texts: Mapping[str, str],
    read: Callable[[str], str],
    originals: dict[str, tuple[str, str]],
) -> tuple[dict[str, list[list[Insertion]]], list[Refusal]]:
    """This pass's fixes per file, and the findings that cannot be fixed."""
    reports = {(s.statement.location, s.statement.sql): s for s in report.statements}
    by_file: dict[str, list[list[Insertion]]] = {}
    refusals: list[Refusal] = []
    earlier_blocks: set[int] = set()
    for migration in migrations:
        wanted = _wanted(migration, reports, FIXABLE)
        if migration.format in SQL_FORMATS:
            refusals.extend(
                Refusal(f.location, f.rule, "it needs more than one migration: --split cuts it")
                for i, f in _wanted(migration, reports, SPLIT_RULES - FIXABLE)
                if migration.statements[i].transaction.scope is not TxScope.EXPLICIT
            )
        blocks = {s.transaction.block for s in migration.statements} - {None}
        if wanted and migration.format not in SQL_FORMATS:
            refusals.extend(
                Refusal(
                    f.location,
                    f.rule,
                    f"--fix edits SQL files, not {migration.format} migrations: the finding's "
                    "recipe says what to write",
                )
                for _, f in wanted
            )
        elif wanted:
            key = os.path.realpath(migration.path)
            if key not in originals:
                originals[key] = (migration.path, read(migration.path))
            text = FileText(_current(key, texts, originals))
            fixes, refused = _fix_file(migration, text, reports, wanted, frozenset(earlier_blocks))
            refusals.extend(refused)
            if fixes:
                by_file[key] = fixes
        earlier_blocks |= {b for b in blocks if b is not None}
    return by_file, refusals


def _mixed(migration: Migration, report: Report) -> list[tuple[int, Finding]]:
    """Flyway's mixed script (a finding about the file, at its first statement that
    cannot run in a transaction): that statement, to be cut into a script of its own."""
    at = {s.location: i for i, s in enumerate(migration.statements)}
    return [
        (at[f.location], f)
        for f in report.findings
        if f.rule == MIXED and f.location.file == migration.path and f.location in at
    ]


def _places(
    migration: Migration, text: FileText, reports: Mapping[tuple[Location, str], StatementReport]
) -> dict[int, Place]:
    """Each statement of the migration that could be found in its text, by index."""
    places: dict[int, Place] = {}
    for i, statement in enumerate(migration.statements):
        start = text.offset_of(statement)
        found = reports.get((statement.location, statement.sql))
        if start is not None and found is not None:
            places[i] = Place(migration, i, found, start, text)
    return places


def _wanted(
    migration: Migration,
    reports: Mapping[tuple[Location, str], StatementReport],
    rules: Iterable[str],
) -> list[tuple[int, Finding]]:
    """(statement index, finding) for the migration's findings of `rules`."""
    chosen = frozenset(rules)
    return [
        (i, f)
        for i, s in enumerate(migration.statements)
        if (r := reports.get((s.location, s.sql))) is not None
        for f in r.findings
        if f.rule in chosen
    ]


def _fix_file(
    migration: Migration,
    text: FileText,
    reports: Mapping[tuple[Location, str], StatementReport],
    wanted: list[tuple[int, Finding]],
    earlier_blocks: frozenset[int],
) -> tuple[list[list[Insertion]], list[Refusal]]:
    """The fixes of one file (each the insertions of one finding), and what is refused."""
    places = _places(migration, text, reports)
    ordered = [places[i] for i in sorted(places)]
    position = {p.index: n for n, p in enumerate(ordered)}

    def floor(index: int) -> int:
        before = [p for p in ordered if p.index < index]
        return before[-1].terminator() if before else 0

    statement_fixes: list[list[Insertion]] = []
    timeout_fixes: list[list[Insertion]] = []
    refusals: list[Refusal] = []
    for index, finding in wanted:
        place = places.get(index)
        try:
            if place is None:
                raise Refused("the file's text differs from what was analysed")
            if finding.rule in TIMEOUTS:
                timeout_fixes.append(
                    timeout_fix(ordered, position[index], finding, floor, earlier_blocks)
                )
            else:
                statement_fixes.append(statement_fix(place, finding))
        except Refused as exc:
            refusals.append(Refusal(finding.location, finding.rule, str(exc)))
    return [fix for fix in (statement_fixes or timeout_fixes) if fix], refusals
