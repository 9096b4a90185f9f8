"""docs/rules.md is generated from the check classes; it must not drift from them."""

from pathlib import Path

from pgfence import catalogue
from pgfence.registry import all_checks

DOCS = Path(__file__).resolve().parent.parent / "docs" / "rules.md"


def test_rules_md_is_up_to_date():
    expected = catalogue.markdown(all_checks())
    assert DOCS.read_text() == expected, "docs/rules.md is stale: run `make docs`"


def test_every_check_has_a_section_with_its_severity():
    text = DOCS.read_text()
    for check in all_checks().values():
        assert f"## {check.id}\n\n**{check.severity}**" in text
