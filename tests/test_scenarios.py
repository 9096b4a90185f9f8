"""Every scenario on every Postgres major this machine runs.

Two things are checked: the server still does what is recorded for its version
(scenarios/<name>/expected/pg<N>.json), and pgfence's static prediction agrees with it.
"""

from __future__ import annotations

import pytest

from pgfence import scenarios
from pgfence.errors import UsageError
from tests.conftest import MAJORS, Servers

SCENARIOS = scenarios.load_all()


def _cases():
    for scenario in SCENARIOS:
        for major in sorted(MAJORS):
            if scenario.applies_to(major):
                yield pytest.param(scenario, major, id=f"pg{major}-{scenario.name}")


def test_at_least_the_promised_scenarios_exist():
    assert len(SCENARIOS) >= 80


def test_every_lock_table_row_has_a_scenario():
    from pgfence.pg.locktable import ROWS

    covered = {row for s in SCENARIOS for row in s.rows}
    # Rows that cannot run on a throwaway server: a real tablespace needs a directory.
    untestable = {"alter-table.set-tablespace", "alter-index.set-tablespace"}
    assert {r.key for r in ROWS} - covered - untestable == set()


@pytest.mark.postgres
@pytest.mark.parametrize(("scenario", "major"), list(_cases()))
def test_scenario(servers: Servers, scenario: scenarios.Scenario, major: int):
    server = servers.get(major)
    lacking = scenarios.missing_extensions(scenario, server)
    if lacking:
        pytest.skip(f"PostgreSQL {major} here lacks {', '.join(lacking)}")
    report = scenarios.run(scenario, server)
    outcome = scenarios.check(scenario, report)
    assert outcome.recorded, (
        f"nothing recorded: run `pgfence verify --pg {major} --record {scenario.name}`"
    )
    assert outcome.disagreements == ()
    assert outcome.differences == ()


def test_scenario_schemas_start_from_the_same_base():
    """Each scenario is self-contained (verify, docs and `pgfence dryrun --schema` use one
    folder at a time), so the shared base is copied into each: it must not drift."""
    base = (scenarios.SCENARIOS_DIR / "rename-table" / "schema.sql").read_text()
    assert base.startswith("-- The shared starting schema")
    drifted = [
        path.parent.name
        for path in sorted(scenarios.SCENARIOS_DIR.glob("*/schema.sql"))
        if path.parent.name != "demo" and not path.read_text().startswith(base)
    ]
    assert drifted == []


def test_the_static_prediction_from_the_schema_file_covers_what_each_server_took():
    """`pgfence analyze --schema schema.sql` (no server) must predict, for every relation a
    recorded run locked beyond ACCESS SHARE, a mode at least as strong: the relations
    beyond the named one (partitions, cascades, CASCADE's dependents) included. TOAST
    indexes are named after OIDs a schema file cannot know; the dry-run predicts them."""
    import json

    from pgfence.analysis.analyze import build_report
    from pgfence.analysis.schema import catalog_from_dump
    from pgfence.pg.locks import LockMode, conflict_union
    from pgfence.sources.sql import read_sql_file

    by_name = {mode.pg_name: mode for mode in LockMode}
    missed = []
    for scenario in SCENARIOS:
        for major in (14, 18):
            path = scenario.expected_file(major)
            if not scenario.applies_to(major) or not path.exists():
                continue
            recorded = json.loads(path.read_text())["statements"]
            report = build_report(
                [read_sql_file(str(scenario.migration))],
                version=major,
                catalog=catalog_from_dump(str(scenario.schema)),
            )
            for statement, seen in zip(report.statements, recorded, strict=True):
                predicted: dict[str, set[LockMode]] = {}
                for lock in statement.prediction.locks:
                    predicted.setdefault(lock.relation, set()).add(lock.mode)
                for relation, mode_name, _, table in seen.get("locks", []):
                    mode = by_name[mode_name]
                    if mode is LockMode.ACCESS_SHARE or relation.endswith("(toast index)"):
                        continue
                    said = predicted.get(relation, set()) | predicted.get(table, set())
                    if not conflict_union({mode}) <= conflict_union(said):
                        missed.append(f"{scenario.name} pg{major}: {relation} {mode_name}")
    assert missed == []


@pytest.mark.postgres
def test_the_api_verify_is_the_command_s():
    """pgfence.api.verify(): each scenario's result as it comes, then all of them."""
    from pgfence import api

    heard: list[str] = []
    verification = api.verify(
        ["add-check", "create-index"], on_result=lambda result: heard.append(result.name)
    )
    assert heard == ["add-check", "create-index"]
    assert [r.status for r in verification.results] == ["ok", "ok"]
    assert verification.failures == 0 and verification.server_version.startswith("18")
    with pytest.raises(UsageError, match="no such scenario: nope"):
        api.verify(["nope"])
