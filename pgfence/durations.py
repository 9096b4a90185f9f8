"""Durations as people write them: 60s, 2m, 500ms, or a plain number of seconds."""

from __future__ import annotations

from pgfence.errors import UsageError


def parse_duration(text: str, option: str) -> float:
    """'60s', '2m', '500ms' or a plain number of seconds -> seconds."""
    value = text.strip().lower()
    units = (("ms", 0.001), ("s", 1.0), ("m", 60.0), ("h", 3600.0))
    for suffix, factor in units:
        if value.endswith(suffix) and value[: -len(suffix)].replace(".", "", 1).isdigit():
            return float(value[: -len(suffix)]) * factor
    if value.replace(".", "", 1).isdigit():
        return float(value)
    raise UsageError(f"{option} {text!r}: expected a duration such as 60s, 2m or 500ms")
