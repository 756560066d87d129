"""Event records: what happened at each step and generated request.

Events are immutable records with a fixed field order (named tuples);
:func:`events_frame` turns a list of them into a DataFrame in one place, a
column at a time.

Examples
--------
>>> from datetime import datetime, timezone
>>> e = Event(time=datetime(2026, 1, 1, tzinfo=timezone.utc), step=1, source="step",
...           op="create_vpc", actor="netadmin", pool="corp", resource="vpc-a", outcome="ok",
...           cidr="10.0.0.0/24")
>>> events_frame([e])[["step", "op", "outcome", "cidr"]].to_dict("records")
[{'step': 1, 'op': 'create_vpc', 'outcome': 'ok', 'cidr': '10.0.0.0/24'}]
"""

from __future__ import annotations

from datetime import datetime
from operator import attrgetter
from typing import Any, NamedTuple

from ..values.state import Reader, encode

__all__ = ["EVENT_FIELDS", "Event", "events_frame", "events_from_state", "events_to_state"]

class Event(NamedTuple):
    """One step or generated request and its outcome (an immutable record).

    A named tuple rather than a frozen dataclass: a run makes one per step,
    and a frozen dataclass costs ten times as much to build (about 3.8 against
    0.4 us), more than a third of what the allocator spends on the step.

    ``source`` is ``"step"`` or ``"demand"``; ``outcome`` is ``"ok"`` or
    ``"error"`` for operations, ``"checked"`` for ``check`` steps and
    ``"clock"`` for ``advance``/``at``. ``expected`` is the expectation as
    text (empty for generated requests) and ``met`` whether it held (None
    when nothing was judged).  ``items`` is what a list operation returned (pool
    ids or CIDRs, in the order the cloud lists them), None for other events.

    ``pool`` is the pool the request concerned: for a refusal, the one of its
    pools that refused it (a dual-stack ``create_vpc`` refused for lack of
    IPv6 space is its IPv6 pool's refusal).  ``ipv6_pool`` is the IPv6 pool
    the request named (``create_vpc``), None when it named none, and
    ``ipv6_cidr`` the IPv6 block the request got from it (for an IPv6-only
    VPC, its ``cidr`` too).
    """

    time: datetime
    step: int | None
    source: str
    op: str
    actor: str | None = None
    pool: str | None = None
    resource: str | None = None
    outcome: str = "ok"
    error_code: str | None = None
    cidr: str | None = None
    expected: str = ""
    met: bool | None = None
    message: str = ""
    items: tuple[str, ...] | None = None
    ipv6_pool: str | None = None
    ipv6_cidr: str | None = None

    @property
    def drawn(self) -> tuple[tuple[str | None, str | None], ...]:
        """The (pool, CIDR) pairs of a request: its pool's, and for a dual-stack VPC that
        got its blocks, the IPv6 pool's too; a refusal has the pool that refused it only."""
        if self.outcome == "ok" and self.ipv6_pool is not None and self.ipv6_pool != self.pool:
            return ((self.pool, self.cidr), (self.ipv6_pool, self.ipv6_cidr))
        return ((self.pool, self.cidr),)


#: Columns of the events frame, in order: the fields of :class:`Event`.
EVENT_FIELDS: tuple[str, ...] = Event._fields


def events_frame(events: list[Event]) -> Any:
    """The events as a DataFrame with the columns of :data:`EVENT_FIELDS`.

    Built column by column (one pass over the events per field, no row records), so
    its cost is a small part of the run that made the events.
    """
    import pandas as pd

    columns: dict[str, Any] = {}
    for name in EVENT_FIELDS:
        values = list(map(attrgetter(name), events))
        if name == "time":
            columns[name] = pd.to_datetime(values, utc=True).astype("datetime64[us, UTC]")
        elif name == "step":
            columns[name] = pd.array(values, dtype="Int64")
        elif name == "met":
            columns[name] = pd.array(values, dtype="boolean")
        elif name == "items":
            columns[name] = pd.Series([None if v is None else list(v) for v in values],
                                      dtype="object")
        else:
            columns[name] = pd.Series(values).astype("object")   # missing: NaN, as from_records
    return pd.DataFrame(columns, columns=list(EVENT_FIELDS))


def events_to_state(events: list[Event]) -> dict[str, Any]:
    """The events as plain data: the field names once, then one row of values per event.

    Examples
    --------
    >>> from datetime import timezone
    >>> e = Event(time=datetime(2026, 1, 1, tzinfo=timezone.utc), step=1, source="step",
    ...           op="advance", outcome="clock")
    >>> state = events_to_state([e])
    >>> state["rows"][0][:4]
    [{'$time': '2026-01-01T00:00:00+00:00'}, 1, 'step', 'advance']
    >>> events_from_state(state) == [e]
    True
    """
    return {"fields": list(EVENT_FIELDS),
            "rows": [[encode(value) for value in e] for e in events]}


def events_from_state(state: Any) -> list[Event]:
    """The events :func:`events_to_state` wrote (``state`` may be a
    :class:`~simkit.values.state.Reader`); a malformed row is a StateError."""
    at = Reader.of(state, "log")
    names = [n.str() for n in at["fields"].items()]
    if len(set(names)) != len(names):
        raise at["fields"].fail("distinct field names")
    events = []
    for row in at["rows"].items():
        values = row.items()
        if len(values) != len(names):
            raise row.fail(f"a list of {len(names)} values")
        record = {name: v.value for name, v in zip(names, values, strict=True)}
        events.append(Reader(record, row.where).build(Event))
    at.done()
    return events
