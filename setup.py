"""The build of pgfence's wheel: pyproject.toml holds everything but this one step.

The built-in scenarios (`pgfence verify`) and the documentation the commands point to
(docs/*.md, the JSON report's schema docs/report.schema.json) live at the top of the
source tree, beside the package; the wheel carries a copy of them as pgfence/_data/, so
that an installed pgfence has them without the repository (pgfence/shipped.py finds
them). An editable install reads them from the tree itself.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
# folder of the tree -> the files of it the wheel carries
SHIPPED = {
    "scenarios": ("*/scenario.toml", "*/*.sql", "*/expected/*.json"),
    "docs": ("*.md", "*.json"),
}


class BuildWithData(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        data = Path(self.build_lib) / "pgfence" / "_data"
        for folder, patterns in SHIPPED.items():
            for pattern in patterns:
                for source in sorted((ROOT / folder).glob(pattern)):
                    target = data / folder / source.relative_to(ROOT / folder)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(source, target)


setup(cmdclass={"build_py": BuildWithData})
