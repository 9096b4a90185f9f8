"""pgfence: which Postgres locks a schema migration takes, predicted and observed.

    from pgfence import analyze, dryrun
    report = analyze("migrations/", pg=16)          # static prediction
    report = dryrun("migrations/", schema="schema.sql")  # on a real throwaway Postgres

Both return a `pgfence.model.Report` (see pgfence/api.py for every argument).
"""

# `pgfence.dryrun` is also the name of the dry-run package. Importing the package first
# and binding the function after it keeps the function: Python sets a package's name on
# its parent only when the package is first imported. The package's modules are imported
# by their full names (`from pgfence.dryrun.runner import dry_run`), which still works.
import pgfence.dryrun as _dryrun_package
from pgfence.api import analyze, dryrun
from pgfence.version import __version__

del _dryrun_package

__all__ = ["__version__", "analyze", "dryrun"]
