"""Simulated time (docs/rules.md section 7): the default start and the clock every part reads.

Examples
--------
>>> from datetime import timedelta
>>> clock = Clock()
>>> clock()
datetime.datetime(2026, 1, 1, 0, 0, tzinfo=datetime.timezone.utc)
>>> clock.now += timedelta(days=8)
>>> clock().isoformat()
'2026-01-09T00:00:00+00:00'
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["DEFAULT_START", "Clock"]

#: Where the clock starts when a scenario gives no ``start``.
DEFAULT_START = datetime(2026, 1, 1, tzinfo=UTC)


class Clock:
    """The simulated time; calling it returns the current time."""

    __slots__ = ("now",)

    def __init__(self, start: datetime = DEFAULT_START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now
