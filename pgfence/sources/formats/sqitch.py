"""Sqitch: `deploy/<change>.sql` scripts in `sqitch.plan` order.

Sqitch runs each deploy script with psql and adds no transaction: the script's own
BEGIN … COMMIT (which sqitch's templates write) decides. A change reworked later in the
plan keeps its earlier script as `deploy/<change>@<tag>.sql`, the first tag after it.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

from pgfence.errors import BadInput
from pgfence.model import Location, Migration
from pgfence.sources import checks
from pgfence.sources.formats.base import LoadContext, Target, find_marker, head, info
from pgfence.sources.sql import read_sql_file

NAME = "sqitch"
_PLAN = "sqitch.plan"
_ENGINE = re.compile(r"^\s*engine\s*=\s*(\w+)", re.MULTILINE)


@dataclass(frozen=True)
class PlannedChange:
    name: str
    script: str  # file stem under deploy/: the name, or name@tag for a reworked change
    line: int


def detect(target: Target) -> bool:
    return find_marker(target, _PLAN, up=1) is not None


def parse_plan(text: str) -> list[PlannedChange]:
    entries: list[tuple[str, str, int]] = []  # ("change" | "tag", name, line)
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line or line.startswith("%"):
            continue
        word = line.split()[0]
        if word.startswith("@"):
            entries.append(("tag", word[1:], number))
        elif not word.startswith("-"):  # old plans mark reverts with a leading '-'
            entries.append(("change", word.lstrip("+"), number))
    changes = []
    for i, (kind, name, number) in enumerate(entries):
        if kind != "change":
            continue
        later = [e for e in entries[i + 1 :] if e[0] == "change" and e[1] == name]
        script = name
        if later:
            tag = next((e[1] for e in entries[i + 1 :] if e[0] == "tag"), None)
            script = f"{name}@{tag}" if tag else name
        changes.append(PlannedChange(name, script, number))
    return changes


def _check_engine(root: Path) -> None:
    conf = root / "sqitch.conf"
    found = _ENGINE.search(head(str(conf))) if conf.is_file() else None
    if found and found.group(1).lower() not in ("pg", "postgres", "postgresql"):
        raise BadInput(
            f"sqitch engine is {found.group(1)}: pgfence reads PostgreSQL migrations only",
            file=str(conf),
        )


def load(target: Target, ctx: LoadContext) -> list[Migration]:
    plan = find_marker(target, _PLAN, up=1)  # PATH is the project or its deploy/
    if plan is None:
        raise BadInput("no sqitch.plan here or in the parent directory", file=target.arg)
    _check_engine(plan.parent)
    deploy = plan.parent / "deploy"
    wanted = None
    if target.directory is None or target.directory.resolve() not in (
        plan.parent.resolve(),
        deploy.resolve(),
    ):
        wanted = {Path(f).resolve() for f in target.files}
    migrations = []
    missing = []
    for change in parse_plan(ctx.read(str(plan))):
        script = deploy / f"{change.script}.sql"
        if wanted is not None and script.resolve() not in wanted:
            continue
        if not script.is_file():
            missing.append(
                info(
                    checks.SqitchMissingScript,
                    Location(str(plan), change.line, 1),
                    f"the plan's change {change.name} has no {script}",
                )
            )
            continue
        migrations.append(
            read_sql_file(
                str(script),
                blocks=ctx.blocks,
                max_bytes=ctx.max_bytes,
                fmt=NAME,
                text=ctx.read(str(script)),
            )
        )
    if not migrations:
        raise BadInput("no deploy script of sqitch.plan is named here", file=target.arg)
    if missing:
        migrations[0] = dataclasses.replace(
            migrations[0], findings=migrations[0].findings + tuple(missing)
        )
    return migrations
