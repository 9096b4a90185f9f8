"""pgfence: which Postgres locks a schema migration takes, predicted and observed.

    from pgfence import analyze, dryrun
    report = analyze("migrations/", pg=16)          # static prediction
    report = dryrun("migrations/", schema="schema.sql")  # on a real throwaway Postgres

Both return a `pgfence.model.Report` (see pgfence/api.py for every argument).
"""

from typing import TYPE_CHECKING, Any

# `pgfence.dryrun` is also the name of the dry-run package. Importing the (empty) package
# first and removing the name Python set for it leaves `pgfence.dryrun` to __getattr__,
# which gives the function: Python sets a package's name on its parent only when the
# package is first imported. The package's modules are imported by their full names
# (`from pgfence.dryrun.runner import dry_run`), which still works.
import pgfence.dryrun  # noqa: F401
from pgfence.version import __version__

del globals()["dryrun"]

if TYPE_CHECKING:
    from pgfence.api import analyze, dryrun

__all__ = ["__version__", "analyze", "dryrun"]


def __getattr__(name: str) -> Any:
    """`analyze` and `dryrun` imported when first asked for: the command line's start-up
    (and a run the cache replays) needs neither."""
    if name in ("analyze", "dryrun"):
        from pgfence import api

        globals().update(analyze=api.analyze, dryrun=api.dryrun)
        return globals()[name]
    raise AttributeError(f"module 'pgfence' has no attribute {name!r}")
