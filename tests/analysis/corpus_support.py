"""Reading the corpus of realistic migrations (tests/analysis/corpus/) and analysing one."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pgfence.analysis.analyze import analyse
from pgfence.analysis.schema import catalog_from_dump
from pgfence.model import Migration
from pgfence.sources.sql import file_ignores, split_script

CORPUS = Path(__file__).resolve().parent / "corpus"
SCHEMA = CORPUS / "schema.sql"
_PG = re.compile(r"^-- pg: (\d+)$", re.MULTILINE)
_RUNNER = re.compile(r"^-- runner: transaction$", re.MULTILINE)


@dataclass(frozen=True)
class Case:
    path: Path
    version: int
    runner_transaction: bool

    @property
    def name(self) -> str:
        return self.path.stem


def cases() -> list[Case]:
    out = []
    for path in sorted(CORPUS.glob("*.sql")):
        if path == SCHEMA:
            continue
        text = path.read_text()
        version = _PG.search(text)
        out.append(Case(path, int(version.group(1)) if version else 18, bool(_RUNNER.search(text))))
    return out


def findings(case: Case) -> list[tuple[int, str, str]]:
    """(line, rule, severity) of every finding, in file order."""
    text = case.path.read_text()
    statements, file_findings = split_script(
        text, case.path.name, runner_transaction=case.runner_transaction
    )
    migration = Migration(
        case.path.name, "sql", tuple(statements), tuple(file_findings), file_ignores(text)
    )
    reports, more = analyse(
        [migration], version=case.version, catalog=catalog_from_dump(str(SCHEMA))
    )
    found = list(more) + [f for r in reports for f in r.findings]
    return sorted((f.location.line, f.rule, str(f.severity)) for f in found)
