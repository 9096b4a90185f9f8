"""The catalogue of checks for people: `pgfence rules`, `pgfence explain`, docs/rules.md.

Everything comes from the check classes themselves (id, severity, summary, docstring,
examples) and, for the recipes, from running each check on its own bad example.
"""

from __future__ import annotations

from tabulate import tabulate

from pgfence.analysis.examples import example_recipe
from pgfence.checks import Check, Scope

_SCOPE_TITLES = {
    Scope.STATEMENT: "Rules: one statement at a time",
    Scope.TRANSACTION: "Policies: statements in their transactions",
    Scope.DRY_RUN: "Dry-run checks: what a real server did",
    Scope.INPUT: "Checks of the input",
}


def table(checks: dict[str, Check]) -> str:
    rows = [(c.id, str(c.severity), c.scope.value, c.summary) for c in _ordered(checks)]
    text = tabulate(rows, headers=("id", "severity", "scope", "summary"), tablefmt="simple")
    return f"{text}\n\n{len(rows)} checks · `pgfence explain <id>` shows one in full\n"


def explain(check: Check) -> str:
    parts = [
        f"{check.id} ({check.severity}, {check.scope.value})",
        "",
        check.summary,
        "",
        check.doc(),
    ]
    recipe = example_recipe(check) if check.tested_by_examples else ()
    if recipe:
        parts += ["", "## Recipe for the example", "", *recipe]
    return "\n".join(parts) + "\n"


def markdown(checks: dict[str, Check]) -> str:
    """docs/rules.md (regenerate with `make docs`; a test fails when it is stale)."""
    ordered = _ordered(checks)
    lines = [
        "# pgfence checks",
        "",
        "<!-- Generated from the check classes by `make docs` "
        "(`pgfence rules --markdown`): do not edit. -->",
        "",
        "Severity: **critical** the migration will fail or lose data; **high** blocks reads "
        "or writes for a time that grows with the table; **medium** a brief lock that can "
        "queue behind long transactions, or similar; **low** hygiene. `--fail-on` (default "
        "`high`) picks the severity that fails the run.",
        "",
    ]
    for scope, title in _SCOPE_TITLES.items():
        in_scope = [c for c in ordered if c.scope is scope]
        if not in_scope:
            continue
        lines += [f"## {title}", "", "| id | severity | summary |", "|---|---|---|"]
        lines += [f"| [{c.id}](#{c.id}) | {c.severity} | {_cell(c.summary)} |" for c in in_scope]
        lines.append("")
    for check in ordered:
        lines += _section(check)
    return "\n".join(lines).rstrip() + "\n"


def _section(check: Check) -> list[str]:
    doc = check.doc().splitlines()
    lines = [
        f"## {check.id}",
        "",
        f"**{check.severity}** · {check.scope.value} · {check.summary}",
        "",
        doc[0],
        "",
    ]
    lines += ["#" + line if line.startswith("## ") else line for line in doc[1:]]
    recipe = example_recipe(check) if check.tested_by_examples else ()
    if recipe:
        lines += ["", "### Recipe pgfence gives for the example", "", "```sql", *recipe, "```"]
    lines.append("")
    return lines


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _ordered(checks: dict[str, Check]) -> list[Check]:
    order = list(_SCOPE_TITLES)
    return sorted(checks.values(), key=lambda c: (order.index(c.scope), c.id))
