"""golang-migrate: `<version>_<name>.up.sql` files; the `.down.sql` ones are not read.

No transaction is added by the tool, but its Postgres driver sends a file as one
multi-statement query: Postgres then runs it in one implicit transaction.
"""

from __future__ import annotations

import os
import re

from pgfence.model import Migration
from pgfence.sources.files import natural_key
from pgfence.sources.formats.base import LoadContext, Target, no_files
from pgfence.sources.formats.implicit import read_script

NAME = "golang-migrate"
_UP = re.compile(r"^(\d+)_.*\.up\.sql$")


def detect(target: Target) -> bool:
    return any(_UP.match(os.path.basename(f)) for f in target.files)


def files(target: Target) -> list[str]:
    if target.explicit_file:
        return list(target.files)
    found = [f for f in target.files if _UP.match(os.path.basename(f))]
    if not found:
        raise no_files(target, "golang-migrate", "NNN_name.up.sql")
    # The version is the leading number, compared as a number (timestamps or sequences).
    return sorted(found, key=lambda f: (_version(f), natural_key(f)))


def _version(path: str) -> int:
    found = _UP.match(os.path.basename(path))
    return int(found.group(1)) if found else 0


def load(target: Target, ctx: LoadContext) -> list[Migration]:
    return [read_script(path, NAME, ctx) for path in files(target)]
