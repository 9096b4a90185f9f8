"""The `pgfence` command's entry point: a run the cache can replay is replayed before
typer, pglast or any check is imported (pgfence/cache.py); any other goes to the CLI."""

from __future__ import annotations

import gc
import os
import sys

# The command's allocations are its parse trees, its checks' objects and its imports, all
# kept to the end of a short process: the collector's default young-generation threshold
# (700) makes it walk them hundreds of times a run for nothing. 50,000 leaves it collecting
# (a run's peak memory is unchanged: bench/analyze.py) at a fraction of the cost: 3% of a
# small file's instructions. The command only: the library API leaves its host's collector alone.
_YOUNG_THRESHOLD = 50_000


def entry() -> None:
    gc.set_threshold(_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
    from pgfence import cache

    code = cache.serve(sys.argv[1:])
    if code is None:
        from pgfence.cli import entry as cli_entry

        cli_entry()
        return
    os._exit(code)


if __name__ == "__main__":
    entry()
