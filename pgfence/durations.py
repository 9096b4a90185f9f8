"""Durations: as people write them (60s, 2m, 500ms) and as people read them."""

from __future__ import annotations

from pgfence.errors import UsageError


def parse_duration(text: str, option: str, *, positive: bool = False) -> float:
    """'60s', '2m', '500ms' or a plain number of seconds -> seconds.

    `positive`: refuse 0, for timeouts (in Postgres 0 switches a timeout off, and a dry-run
    must never wait without end).
    """
    value = text.strip().lower()
    units = (("ms", 0.001), ("s", 1.0), ("m", 60.0), ("h", 3600.0))
    seconds = None
    for suffix, factor in units:
        if value.endswith(suffix) and value[: -len(suffix)].replace(".", "", 1).isdigit():
            seconds = float(value[: -len(suffix)]) * factor
            break
    else:
        if value.replace(".", "", 1).isdigit():
            seconds = float(value)
    if seconds is None:
        raise UsageError(f"{option} {text!r}: expected a duration such as 60s, 2m or 500ms")
    if positive and seconds <= 0:
        raise UsageError(f"{option} {text!r}: a timeout must be longer than 0")
    return seconds


def format_ms(ms: float) -> str:
    """A duration for people: 850 ms, 4.2 s, 3 min 20 s, 2 h 5 min."""
    if ms < 1:
        return f"{ms:.1f} ms"
    if ms < 1000:
        return f"{ms:.0f} ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.2g} s" if seconds < 10 else f"{seconds:.0f} s"
    minutes, seconds = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
