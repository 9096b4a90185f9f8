"""The `pgfence` command's entry point: a run the cache can replay is replayed before
typer, pglast or any check is imported (pgfence/cache.py); any other goes to the CLI."""

from __future__ import annotations

import os
import sys


def entry() -> None:
    from pgfence import cache

    code = cache.serve(sys.argv[1:])
    if code is None:
        from pgfence.cli import entry as cli_entry

        cli_entry()
        return
    os._exit(code)


if __name__ == "__main__":
    entry()
