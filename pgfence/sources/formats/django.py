"""django (work in progress)."""

from __future__ import annotations

from pgfence.errors import UsageError
from pgfence.model import Migration
from pgfence.sources.formats.base import LoadContext, Target

NAME = "django"


def detect(target: Target) -> bool:
    return False


def load(target: Target, ctx: LoadContext) -> list[Migration]:
    raise UsageError("not implemented yet")
