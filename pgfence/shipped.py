"""Where the files pgfence ships beside its code are: the built-in scenarios and the docs.

A wheel carries them as pgfence/_data/ (setup.py copies them there); a source tree (an
editable install, a clone) has them at its top, beside the package.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """The folder `name` ("scenarios", "docs") of an installed pgfence, else of the tree."""
    installed = _PACKAGE / "_data" / name
    return installed if installed.is_dir() else _PACKAGE.parent / name


SCENARIOS_DIR = data_dir("scenarios")
DOCS_DIR = data_dir("docs")
REPORT_SCHEMA = DOCS_DIR / "report.schema.json"
