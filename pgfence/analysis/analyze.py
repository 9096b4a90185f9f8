"""The static stage: Migrations -> StatementReports (prediction + findings)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Collection, Container, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import NoReturn

from pgfence.analysis import idioms, ignores, policies, policy
from pgfence.analysis.catalog import Catalog
from pgfence.analysis.expressions import StatementPrinter
from pgfence.analysis.policy import StatementFacts
from pgfence.analysis.predict import predict
from pgfence.analysis.rule import (
    EMPTY,
    Rule,
    RuleContext,
    Statements,
    StatementWindow,
)
from pgfence.analysis.rules import rules_admitting
from pgfence.checks import Hit, RuleSettings, raised
from pgfence.checks.inputs import ParseError, Unanalysable
from pgfence.model import (
    Finding,
    Migration,
    Prediction,
    Report,
    Severity,
    Statement,
    StatementReport,
)
from pgfence.version import __version__


def block_key(statement: Statement, index: int) -> object:
    """Statements sharing a key share a transaction (an autocommit one is alone)."""
    if statement.transaction.block is not None:
        return ("tx", statement.transaction.block)
    return ("stmt", statement.location.file, index)


@dataclass(frozen=True)
class StatementAnalysis:
    prediction: Prediction
    # Every finding of the rules, ignored or not: ignore comments are applied at the end
    # of the run (analysis/ignores.py), when it is known which of them matched.
    findings: tuple[Finding, ...]
    facts: StatementFacts  # what the policies need, decided with the schema of its time


def analyse_statement(
    statement: Statement,
    catalog: Catalog,
    version: int,
    block: object,
    rules: Sequence[Rule],
    settings: RuleSettings,
    earlier: StatementWindow = EMPTY,
    following: StatementWindow = EMPTY,
    printer: StatementPrinter | None = None,
) -> StatementAnalysis:
    """Predict one statement and run the rules on it; the catalog is not changed. The
    rules print its trees with `printer` (given: what they print, the catalog reuses)."""
    prediction = predict(statement, catalog, version, block=block)
    findings: list[Finding] = []
    if statement.parse_error is not None:
        findings.append(
            raised(ParseError, Hit(f"does not parse: {statement.parse_error}"), statement.location)
        )
    elif not prediction.analysable and settings.enabled(Unanalysable.id):
        why = "; ".join(prediction.notes or ("unknown statement",))
        hit = Hit(f"pgfence cannot tell what this statement locks: {why}")
        findings.append(raised(Unanalysable, hit, statement.location))
    if statement.node is not None:
        ctx = RuleContext(
            statement,
            prediction,
            catalog,
            version,
            earlier,
            following,
            printer if printer is not None else StatementPrinter(),
        )
        for rule in rules:
            for hit in rule.check(ctx):
                findings.append(raised(rule, hit, statement.location))
    return StatementAnalysis(
        prediction, tuple(findings), policy.facts(statement, prediction, catalog)
    )


class StatementWalker:
    """The one walk over a run's statements, in order, that `analyze`, the dry-run and the
    runner's proxy share: each statement predicted and checked with the schema the
    earlier ones left (`analyse`), then what it does applied to that schema (`follow`).
    `index` counts the statements walked: an autocommit statement's transaction key."""

    def __init__(self, catalog: Catalog, version: int, settings: RuleSettings) -> None:
        self.catalog, self.version, self.settings = catalog, version, settings
        # The active rules that can raise on a statement, by the type of its tree, in the
        # order of the findings (the rules' ids).
        self._rules_for: dict[type, list[Rule]] = {}
        self.index = 0
        # The statement analysed last and its printer, for `follow` to reuse what it printed.
        self._printed: tuple[Statement, StatementPrinter] | None = None

    def block(self, statement: Statement) -> object:
        return block_key(statement, self.index)

    def analyse(
        self,
        statement: Statement,
        earlier: StatementWindow = EMPTY,
        following: StatementWindow = EMPTY,
    ) -> StatementAnalysis:
        """The statement predicted and checked; the schema is not changed."""
        printer = StatementPrinter()
        self._printed = (statement, printer)
        return analyse_statement(
            statement,
            self.catalog,
            self.version,
            self.block(statement),
            self.rules_for(type(statement.node)),
            self.settings,
            earlier,
            following,
            printer,
        )

    def walk(
        self,
        migrations: Sequence[Migration],
        analysed: Container[int] | None = None,
        deployed: int = 0,
    ) -> Iterator[tuple[StatementAnalysis, StatementWindow]]:
        """Every statement of the migrations in order, as `analyze` takes them: analysed
        (when its file's number is in `analysed`; all by default) with the statements of
        its transaction before it and the rest of its file, then followed. Yields each
        analysis with those statements of its transaction. What the first `deployed` files
        create is taken to exist before the migration, in use."""
        open_tx: dict[object, Statements] = {}
        for number, migration in enumerate(migrations):
            if number == deployed and deployed:
                self.catalog.settle(complete=False)
            in_file = Statements(migration.statements)
            for position, statement in enumerate(migration.statements):
                earlier = open_tx.setdefault(self.block(statement), Statements())
                if analysed is None or number in analysed:
                    window = earlier.window()
                    yield self.analyse(statement, window, in_file.window(position + 1)), window
                earlier.append(statement)
                self.follow(statement)

    def rules_for(self, kind: type) -> list[Rule]:
        """The active rules whose `nodes` admit a statement whose tree is a `kind`."""
        rules = self._rules_for.get(kind)
        if rules is None:
            rules = [r for r in rules_admitting(kind) if self.settings.enabled(r.id)]
            self._rules_for[kind] = rules
        return rules

    def follow(self, statement: Statement, *, applied: bool = True) -> None:
        """The walk past the statement: what it does applied to the schema (unless it is
        known not to have happened: `applied=False`), the next statement's turn."""
        printed = self._printed
        self._printed = None
        if applied and statement.node is not None:
            self.catalog.current_block = self.block(statement)
            reuse = printed is not None and printed[0] is statement
            printer = printed[1] if printed and reuse else StatementPrinter()
            self.catalog.apply(statement.node, printer)
        self.index += 1


# From this many statements a run uses every core by default (bench/analyze.py's files on
# a 2-core machine, -j1 against -j2, fastest of 5 to 10 runs side by side: 600 statements
# 277 / 265 ms (medians 287 / 291), 1,200 431 / 385 ms, 3,000 1.03 / 0.91 s, 30,000 12.8 /
# 10.6 s). Below it, forking a worker costs about what it saves. On cores that other work
# keeps busy -j2 can be slower than -j1: pass `--jobs 1` there.
PARALLEL_FROM = 1000


def default_jobs(migrations: Sequence[Migration]) -> int:
    """Every core for a large tree, else one (`--jobs N` decides otherwise)."""
    statements = sum(len(m.statements) for m in migrations)
    return (os.cpu_count() or 1) if statements >= PARALLEL_FROM else 1


def analyse(
    migrations: Iterable[Migration],
    *,
    version: int,
    catalog: Catalog | None = None,
    settings: RuleSettings | None = None,
    jobs: int = 1,
    analysed: Collection[int] | None = None,
    deployed: int = 0,
) -> tuple[list[StatementReport], list[Finding]]:
    """Predict and check every statement of the migrations (of those numbered `analysed`:
    the others are read for the schema they build only, and left out), in order. What
    the first `deployed` files create is taken to exist before the migration, in use.

    With `jobs` above 1 the files are cut into that many consecutive parts: the first
    analysed here, each other one in a forked process that first walks the earlier files
    for the schema they build (no prediction, no rule): the same analyses, in the same
    order, as one process makes.
    """
    migrations = list(migrations)
    settings = settings or RuleSettings()
    catalog = catalog if catalog is not None else Catalog()
    wanted = sorted(set(range(len(migrations)) if analysed is None else analysed))
    parts = _parts([(n, len(migrations[n].statements)) for n in wanted], jobs)
    if len(parts) > 1:
        analyses = _in_processes(migrations, parts, version, catalog, settings, deployed)
    else:
        analyses = _walk(migrations, frozenset(wanted), version, catalog, settings, deployed)
    chosen = [migrations[n] for n in wanted]
    statements = [s for m in chosen for s in m.statements]
    reports = [
        StatementReport(s, a.prediction, a.findings)
        for s, a in zip(statements, analyses, strict=True)
    ]
    return finish(reports, [a.facts for a in analyses], chosen, settings)


def _walk(
    migrations: Sequence[Migration],
    part: frozenset[int],
    version: int,
    catalog: Catalog,
    settings: RuleSettings,
    deployed: int = 0,
) -> list[StatementAnalysis]:
    """The analyses of the statements of the migrations numbered in `part`, each with the
    schema (and the open transactions) the migrations before it leave behind."""
    walker = StatementWalker(catalog, version, settings)
    walked = walker.walk(migrations[: max(part, default=-1) + 1], part, deployed)
    return [analysis for analysis, _ in walked]


def _parts(sizes: Sequence[tuple[int, int]], jobs: int) -> list[frozenset[int]]:
    """The files (number, statements) cut into `jobs` consecutive parts with about as many
    statements each."""
    total = sum(size for _, size in sizes)
    jobs = max(1, min(jobs, len(sizes)))
    if jobs == 1 or total == 0:
        return [frozenset(n for n, _ in sizes)]
    parts: list[frozenset[int]] = []
    current: list[int] = []
    seen = 0
    for number, size in sizes:
        current.append(number)
        seen += size
        if seen * jobs >= total * (len(parts) + 1) and len(parts) < jobs - 1:
            parts.append(frozenset(current))
            current = []
    if current:
        parts.append(frozenset(current))
    return parts


def _in_processes(
    migrations: Sequence[Migration],
    parts: list[frozenset[int]],
    version: int,
    catalog: Catalog,
    settings: RuleSettings,
    deployed: int,
) -> list[StatementAnalysis]:
    """The first part walked here, each other one in a process of its own, forked before
    the walk (parsing and prediction are CPU-bound: threads would share one core; forked,
    the parsed files and the catalog are not sent to them). Only the analyses come back,
    pickled through a pipe."""
    import gc
    import pickle

    # The parsed files are most of the heap: frozen, the workers' garbage collections do
    # not walk them (nor touch, and so copy, their pages) again and again.
    gc.freeze()
    pending: dict[int, int] = {}  # a worker's pid: the pipe it writes its analyses to
    try:
        for part in parts[1:]:
            readable, writable = os.pipe()
            pid = os.fork()
            if pid == 0:  # the worker: its walk, then out without any clean-up of the parent's
                os.close(readable)
                _part(writable, migrations, part, version, catalog, settings, deployed)
            os.close(writable)
            pending[pid] = readable
        analyses = _walk(migrations, parts[0], version, catalog, settings, deployed)
        for pid in list(pending):
            with os.fdopen(pending.pop(pid), "rb") as pipe:
                sent = pipe.read()
            _, status = os.waitpid(pid, 0)
            if not sent:
                raise RuntimeError(f"an analysis worker ended with status {status}")
            failed, result = pickle.loads(sent)
            if failed:
                raise result
            analyses += result
    finally:
        for pid, readable in pending.items():  # after an error: those not read yet
            os.close(readable)
            os.waitpid(pid, 0)
        gc.unfreeze()
    return analyses


def _part(
    writable: int,
    migrations: Sequence[Migration],
    part: frozenset[int],
    version: int,
    catalog: Catalog,
    settings: RuleSettings,
    deployed: int,
) -> NoReturn:
    """A forked worker: its walk's analyses (or what went wrong) written to `writable`
    pickled, then the process ends (os._exit: nothing of the parent's runs twice)."""
    import pickle

    code = 1
    try:
        try:
            message: tuple[bool, object] = (
                False,
                _walk(migrations, part, version, catalog, settings, deployed),
            )
        except Exception as exc:  # raised again in the parent
            message = (True, exc)
        with os.fdopen(writable, "wb") as pipe:
            pipe.write(pickle.dumps(message, pickle.HIGHEST_PROTOCOL))
        code = 0
    finally:
        os._exit(code)


def finish(
    reports: Sequence[StatementReport],
    statement_facts: Sequence[StatementFacts],
    migrations: Iterable[Migration],
    settings: RuleSettings,
) -> tuple[list[StatementReport], list[Finding]]:
    """Add the policies' findings, then apply the ignore comments (static and dry-run).

    Returns the reports and the findings about the files themselves (theirs, and those
    about ignore comments that silence nothing).
    """
    migrations = list(migrations)
    with_policy = attach(reports, policies.check(reports, statement_facts, settings))
    judged, more = ignores.apply(with_policy, migrations, settings)
    return idioms.apply(judged, migrations), more


def attach(
    reports: Sequence[StatementReport], extra: dict[int, list[Finding]]
) -> list[StatementReport]:
    out = []
    for i, report in enumerate(reports):
        more = extra.get(i)
        if more:
            report = dataclasses.replace(report, findings=report.findings + tuple(more))
        out.append(report)
    return out


def build_report(
    migrations: Sequence[Migration],
    *,
    version: int,
    fail_on: Severity = Severity.HIGH,
    catalog: Catalog | None = None,
    settings: RuleSettings | None = None,
    jobs: int = 1,
    analysed: Collection[int] | None = None,
    deployed: int = 0,
) -> Report:
    statements, findings = analyse(
        migrations,
        version=version,
        catalog=catalog,
        settings=settings,
        jobs=jobs,
        analysed=analysed,
        deployed=deployed,
    )
    return Report(
        pgfence_version=__version__,
        pg_version=version,
        statements=tuple(statements),
        findings=tuple(findings),
        fail_on=fail_on,
        command="analyze",
    )
