"""The simulation: one object owns the clock, the generator, the model and the log.

:class:`Simulation` holds the organisation, the IPAM model, the resource
shares, the clock, a single seeded ``random.Random`` and the event log.
:meth:`Simulation.do` performs one operation of the scenario format (the
cloud API in snake case) and raises :class:`~simkit.values.errors.DomainError` when
the cloud would refuse it; :meth:`Simulation.apply` runs one scenario step and
records the outcome as an :class:`~simkit.engine.events.Event` (refusals are data).
:func:`run` runs a whole scenario.

After every operation that can make an Unmanaged CIDR eligible (a VPC
created with a literal CIDR, space freed or provisioned, the flag turned
on), the pools with auto import on adopt what their IPAM discovers
(:meth:`Simulation.discovers`, docs/rules.md section 3).  After every operation the
figures of the pools it touched are appended to the utilisation time series
when they changed (:func:`simkit.analysis.reports.utilisation_series` reads it).

Examples
--------
>>> sim = Simulation(management_account="mgmt")
>>> sim.org.add_account("netadmin")
>>> _ = sim.do("netadmin", "create_ipam", ipam="ipam-1", region="cn-hangzhou")
>>> _ = sim.do("netadmin", "create_ipam_pool", ipam="ipam-1", pool="hz",
...            region="cn-hangzhou", cidrs=["10.0.0.0/16"])
>>> str(sim.do("netadmin", "create_vpc", vpc="vpc-a", pool="hz", mask=24).cidr)
'10.0.0.0/24'
"""

from __future__ import annotations

import copy
import heapq
import os
import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ..model.discovery import discovers
from ..model.ipam import IpamModel
from ..model.objects import Allocation, Pool
from ..model.org import Organisation
from ..model.permissions import SharingAccess
from ..model.sharing import Shares
from ..scenario.operations import OPERATIONS, Operation, Result
from ..scenario.operations import operation as find_operation
from ..scenario.scalars import parse_duration, parse_time
from ..scenario.specs import DemandSpec
from ..values.addresses import Cidr, parse_cidr
from ..values.clock import DEFAULT_START, Clock
from ..values.errors import DomainError, ScenarioError, SimkitError, UsageError
from ..values.quotas import Quotas
from ..values.records import new_record
from ..values.state import Reader, check_attributes, encode_fields
from .events import Event, events_frame, events_from_state, events_to_state
from .persist import read_state, write_state

__all__ = ["DEFAULT_START", "Clock", "Result", "Simulation", "check_seed"]


class _Unjudged:
    """The expectation of a generated request: nothing is judged."""

    kind = "any"
    value = None


_UNJUDGED = _Unjudged()


@dataclass(order=True)
class _Pending:
    """A generated request waiting in the demand queue."""

    time: datetime
    seq: int
    kind: str = field(compare=False)          # "request" or "expire"
    demand: int = field(compare=False)        # index of the demand entry
    number: int = field(compare=False)        # 1-based request number of that entry
    vpc: str | None = field(compare=False, default=None)


class Simulation:
    """All the state of one simulated company.

    Parameters
    ----------
    seed : seeds the single random generator (``random`` strategy, demand).
    start : the clock's start (timezone-aware).
    quotas : a :class:`~simkit.values.quotas.Quotas` or a mapping of raised quotas.
    management_account : the resource directory's management account.
    """

    def __init__(self, *, seed: int = 0, start: datetime = DEFAULT_START,
                 quotas: Quotas | Mapping[str, int] | None = None,
                 management_account: str = "management",
                 org: Organisation | None = None) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.clock = Clock(start)
        self.start = start
        self.quotas = quotas if isinstance(quotas, Quotas) else Quotas(quotas)
        self.org = org if org is not None else Organisation(management_account, self.quotas)
        self.shares = Shares(self.org, self._pool_owner, self.quotas, clock=self.clock)
        self.access = SharingAccess(self.org, self.shares)
        self.model = IpamModel(self.quotas, rng=self.rng, clock=self.clock, access=self.access)
        self.reserved: list[tuple[str, Cidr]] = []
        self.connected_scopes: list[tuple[str, ...]] = []
        self.log: list[Event] = []
        self.demand: list[Any] = []
        self._queue: list[_Pending] = []
        self._seq = 0
        # utilisation time series: (time, step, pool, provisioned_ips, allocated_ips) rows
        self._series: list[tuple[datetime, int | None, str, int, int]] = []
        self._series_last: dict[str, tuple[int, int]] = {}
        self._step: int | None = None
        #: the allocations auto import made after the last operation
        self.last_imports: list[Any] = []

    # -- state -----------------------------------------------------------------------
    @property
    def now(self) -> datetime:
        return self.clock.now

    def _pool_owner(self, pool: str) -> str | None:
        p = self.model.pools.get(pool)
        return None if p is None else p.owner

    def copy(self) -> Simulation:
        """An independent copy: a fork that runs on from the same point."""
        return copy.deepcopy(self)

    def fingerprint(self) -> tuple:
        """Equal for two simulations exactly when their states are equal."""
        return (self.clock.now, self.rng.getstate(), self.org.fingerprint(),
                self.model.fingerprint(), self.shares.fingerprint(),
                tuple((p.time, p.seq, p.kind, p.demand, p.number, p.vpc)
                      for p in sorted(self._queue)))

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the whole state to ``path``, atomically.

        The file is the versioned, checksummed JSON document of
        :mod:`simkit.engine.persist` around :meth:`to_state`; an interrupted
        save leaves the previous file (or none).  :meth:`restore` reads it
        back into a simulation that continues exactly as this one would: the
        same requests at the same times, the same blocks, the same draws.

        Raises
        ------
        StateFileError
            When the file cannot be written or the simulation holds a value
            that cannot be saved; the previous file, if any, is left as it was.

        Examples
        --------
        >>> from pathlib import Path
        >>> from tempfile import TemporaryDirectory
        >>> sim = Simulation(seed=7, management_account="mgmt")
        >>> sim.org.add_account("net")
        >>> _ = sim.do("net", "create_ipam", ipam="ipam-1", region="cn-hangzhou")
        >>> _ = sim.do("net", "create_ipam_pool", ipam="ipam-1", pool="hz",
        ...            region="cn-hangzhou", cidrs=["10.0.0.0/16"], strategy="random")
        >>> with TemporaryDirectory() as tmp:
        ...     sim.save(Path(tmp) / "sim.json")
        ...     back = Simulation.restore(Path(tmp) / "sim.json")
        >>> back.fingerprint() == sim.fingerprint()
        True
        >>> mine = back.do("net", "create_vpc", vpc="vpc-a", pool="hz", mask=24).cidr
        >>> mine == sim.do("net", "create_vpc", vpc="vpc-a", pool="hz", mask=24).cidr
        True
        """
        write_state(path, self.to_state)

    @classmethod
    def restore(cls, path: str | os.PathLike[str]) -> Simulation:
        """Read a simulation written by :meth:`save`.

        Raises
        ------
        StateFileError
            For a file that cannot be read, is empty, truncated or not JSON, is
            not a simkit state file, has an unknown format version, fails its
            checksum, or holds a state that :meth:`from_state` refuses.
        """
        return read_state(path, cls.from_state)

    #: The attributes :meth:`to_state` writes or :meth:`from_state` rebuilds.
    _STATE = frozenset({"seed", "rng", "clock", "start", "quotas", "org", "shares", "access",
                        "model", "reserved", "connected_scopes", "log", "demand", "_queue",
                        "_seq", "_series", "_series_last", "_step", "last_imports"})

    def to_state(self) -> dict[str, Any]:
        """The whole simulation as plain data (see :mod:`simkit.values.state`).

        The seed, start and clock, the generator's state, every quota, the
        organisation, the IPAM model and the shares (each written by its own
        ``to_state``), the reserved ranges and connected scopes, the demand
        entries, the queue of generated requests and its counter, the event
        log, the utilisation series (rows ``[time, step, pool, provisioned_ips,
        allocated_ips]``) with the figures last noted per pool, the step being
        run and the allocations of the last auto import.

        Raises
        ------
        TypeError
            When the simulation holds an attribute or a value that cannot be saved.
        """
        check_attributes(self, self._STATE)
        version, internal, gauss = self.rng.getstate()
        return {
            "seed": self.seed,
            "start": self.start.isoformat(),
            "now": self.clock.now.isoformat(),
            "rng": {"version": version, "state": list(internal), "gauss_next": gauss},
            "quotas": dict(self.quotas),
            "org": self.org.to_state(),
            "model": self.model.to_state(),
            "shares": self.shares.to_state(),
            "reserved": [[name, str(cidr)] for name, cidr in self.reserved],
            "connected_scopes": [list(group) for group in self.connected_scopes],
            "demand": [encode_fields(spec) for spec in self.demand],
            "queue": [encode_fields(p) for p in self._queue],
            "seq": self._seq,
            "log": events_to_state(self.log),
            "series": [[when.isoformat(), *rest] for when, *rest in self._series],
            "series_last": {pool: list(figures) for pool, figures in self._series_last.items()},
            "step": self._step,
            "last_imports": [encode_fields(a) for a in self.last_imports],
        }

    @classmethod
    def from_state(cls, state: Any) -> Simulation:
        """The simulation :meth:`to_state` wrote, wired to itself as a new one is.

        ``state`` is the plain data or a :class:`~simkit.values.state.Reader` of
        it.  Each part is checked as its own ``from_state`` checks it; a queued
        request must be of a demand entry.  A state that :meth:`to_state` would
        not write is refused with :class:`~simkit.values.errors.StateError`.
        """
        at = Reader.of(state, "state")
        raised = at["quotas"]
        try:
            quotas = Quotas({key: raised[key].int() for key in raised.names()})
        except UsageError as err:  # an unknown quota, or a negative one
            raise raised.error(str(err)) from None
        org = Organisation.from_state(at["org"], quotas)
        sim = cls(seed=at["seed"].int(minimum=0), start=at["start"].time(), quotas=quotas,
                  org=org)
        sim._restore_rng(at["rng"])
        sim.clock.now = at["now"].time()
        sim.shares = Shares.from_state(at["shares"], org, sim._pool_owner, quotas,
                                       clock=sim.clock)
        sim.access = SharingAccess(org, sim.shares)
        sim.model = IpamModel.from_state(at["model"], quotas, rng=sim.rng, clock=sim.clock,
                                         access=sim.access)
        sim.reserved = [(name.str(), cidr.cidr())
                        for name, cidr in (item.pair() for item in at["reserved"].items())]
        sim.connected_scopes = [tuple(scope.str() for scope in group.items())
                                for group in at["connected_scopes"].items()]
        for item in at["demand"].items():
            spec = item.build(DemandSpec)
            if (spec.every is None) == (spec.rate is None):
                raise item.fail("a demand entry with exactly one of every and rate")
            sim.demand.append(spec)
        sim._seq = at["seq"].int(minimum=0)
        sim._queue = [sim._pending_from_state(item) for item in at["queue"].items()]
        heapq.heapify(sim._queue)
        sim.log = events_from_state(at["log"])
        for item in at["series"].items():
            when, step, pool, provisioned, allocated = item.fixed(5)
            sim._series.append((when.time(), step.optional(Reader.int), pool.str(),
                                provisioned.int(minimum=0), allocated.int(minimum=0)))
        last = at["series_last"]
        for pool in last.names():
            provisioned, allocated = last[pool].pair()
            sim._series_last[pool] = (provisioned.int(minimum=0), allocated.int(minimum=0))
        sim._step = at["step"].optional(Reader.int)
        sim.last_imports = [item.build(Allocation) for item in at["last_imports"].items()]
        at.done()
        return sim

    def _restore_rng(self, at: Reader) -> None:
        gauss = at["gauss_next"].value
        if gauss is not None and (not isinstance(gauss, int | float) or isinstance(gauss, bool)):
            raise at["gauss_next"].fail("null or a number")
        try:
            self.rng.setstate((at["version"].int(), tuple(v.int() for v in at["state"].items()),
                               gauss))
        except (TypeError, ValueError, OverflowError):
            raise at.fail("the state of a random generator") from None
        at.done()

    def _pending_from_state(self, at: Reader) -> _Pending:
        pending = at.build(_Pending)
        if pending.kind not in ("request", "expire"):
            raise at["kind"].fail('"request" or "expire"')
        if not 0 <= pending.demand < len(self.demand):
            raise at["demand"].fail(
                f"the index of a demand entry (0 to {len(self.demand) - 1})")
        if not 0 < pending.seq <= self._seq:
            raise at["seq"].fail(f"a number the queue handed out (1 to {self._seq})")
        if (pending.kind == "expire") != (pending.vpc is not None):
            raise at["vpc"].fail("the VPC of an expiry (and null for a request)")
        return pending

    @property
    def events(self) -> Any:
        """The event log as a DataFrame (one row per step and generated request)."""
        return events_frame(self.log)

    # -- clock -----------------------------------------------------------------------
    def advance(self, duration: timedelta | str) -> None:
        """Move the clock forward by ``duration`` (a timedelta, or a duration such as
        ``8d``), running the demand due before then."""
        if isinstance(duration, str):
            duration = parse_duration(duration)
        if not isinstance(duration, timedelta):
            raise UsageError(f"advance takes a timedelta or a duration such as 30m, 12h or 8d, "
                             f"not {duration!r}")
        if duration < timedelta(0):
            raise UsageError(f"the clock cannot move back (advance {duration})")
        self.at(self.clock.now + duration)

    def at(self, when: datetime | str) -> None:
        """Move the clock to ``when`` (a datetime, or an ISO 8601 time), never back,
        running the demand due before then."""
        if isinstance(when, str):
            when = parse_time(when)
        if not isinstance(when, datetime):
            raise UsageError(f"at takes a datetime or an ISO 8601 time such as "
                             f"2026-02-01T00:00:00Z, not {when!r}")
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        if when < self.clock.now:
            raise UsageError(f"the clock cannot move back from {self.clock.now} to {when}")
        self._run_demand(until=when)
        self.clock.now = when

    # -- operations ------------------------------------------------------------------
    def do(self, actor: str, op: str, **args: Any) -> Result:
        """Perform one operation as ``actor``; raise DomainError when it is refused.

        ``args`` are the operation's arguments as in a scenario step; ``region``
        is the request region (for ``create_ipam`` and ``create_ipam_pool``: the
        new object's region).  They are checked as a scenario step is, against
        the operation's record (:data:`~simkit.scenario.operations.OPERATIONS`):
        an unknown operation or argument, a missing or mistyped one, or an
        account the organisation does not know is a
        :class:`~simkit.values.errors.UsageError` before anything changes.
        """
        operation = find_operation(op)
        checked, region = operation.check_call(actor, args, self.org)
        return self._do(actor, operation, checked, region)

    def _do(self, actor: str, operation: Operation, args: dict[str, Any],
            region: str | None) -> Result:
        """Apply an operation whose arguments are already checked."""
        if self.last_imports:
            self.last_imports = []
        touched = self._vpc_pools(args.get("vpc")) if operation.frees == "vpc" else []
        result = operation.handler(self, actor, args, region)
        if operation.discovery:
            imports = self.model.auto_import(self.discovers)
            if imports:
                self.last_imports = imports
                touched += [a.pool for a in imports]
        pool = result.pool
        if isinstance(pool, str):
            touched.append(pool)
        for key in operation.pool_args:
            p = args.get(key)
            if isinstance(p, str) and p != pool:    # most steps: the result's pool again
                touched.append(p)
        self._note_series(touched)
        return result

    def discovers(self, ipam: Any, vpc: Any) -> bool:
        """Whether the resource discovery of ``ipam`` sees ``vpc``: see
        :func:`simkit.model.discovery.discovers`."""
        return discovers(self.org, ipam, vpc)

    def _vpc_pools(self, vpc: Any) -> list[str]:
        v = self.model.vpcs.get(vpc) if isinstance(vpc, str) else None
        return [] if v is None else [self.model.allocations[a].pool for a in v.allocations]

    def _note_series(self, pools: list[str]) -> None:
        """Append the figures of ``pools`` (and their sources) that changed since last noted.

        The pools are noted in creation order; the cost grows with the pools
        touched and their sources, not with every pool of the model.
        """
        last = self._series_last
        p = self.model.pools.get(pools[0]) if len(pools) == 1 else None
        if p is not None and p.source is None:
            noted: Iterable[Pool] = (p,)        # most steps: one top-level pool
        else:
            noted = self._series_pools(pools)
        for p in noted:
            space = p.space
            figures = (space.provisioned_ips, space.allocated_ips)
            if last.get(p.id) != figures:
                last[p.id] = figures
                self._series.append((self.clock.now, self._step, p.id, figures[0],
                                     figures[1]))

    def _series_pools(self, pools: list[str]) -> list[Pool]:
        """``pools`` and their sources, in creation order; the gone ones leave the series."""
        model, last = self.model, self._series_last
        get = model.pools.get
        found: set[str] = set()
        for pid in pools:
            while pid not in found:
                found.add(pid)
                p = get(pid)
                if p is None or p.source is None:
                    break
                pid = p.source
        ordered: Iterable[str] = found
        if len(found) > 1:
            ordered = model.in_creation_order(found)
            for pid in found.difference(ordered):     # gone pools
                last.pop(pid, None)
        out = []
        for pid in ordered:
            p = get(pid)
            if p is None:                               # a lone pool, gone
                last.pop(pid, None)
            else:
                out.append(p)
        return out

    # -- demand ----------------------------------------------------------------------
    def add_demand(self, spec: DemandSpec) -> None:
        """Queue the generated requests of one ``demand`` entry.

        ``spec`` is a scenario's entry or one written in Python with
        :meth:`DemandSpec.of <simkit.scenario.specs.DemandSpec.of>`.
        """
        if not isinstance(spec, DemandSpec):
            raise UsageError(f"add_demand takes a DemandSpec (see DemandSpec.of), not {spec!r}")
        index = len(self.demand)
        self.demand.append(spec)
        if spec.count > 0:
            self._push(max(spec.begin, self.clock.now), "request", index, 1)

    def _push(self, when: datetime, kind: str, demand: int, number: int,
              vpc: str | None = None) -> None:
        self._seq += 1
        heapq.heappush(self._queue, _Pending(when, self._seq, kind, demand, number, vpc))

    def _run_demand(self, until: datetime | None) -> None:
        """Run queued requests due strictly before ``until`` (all when None)."""
        queue = self._queue
        while queue and (until is None or queue[0].time < until):
            item = heapq.heappop(queue)
            self.clock.now = item.time
            spec = self.demand[item.demand]
            if item.kind == "expire":
                self._record_op(None, "demand", spec.actor, "delete_vpc", {"vpc": item.vpc},
                                spec.region, _UNJUDGED)
                continue
            if item.number < spec.count:
                after = _later(item.time, self._interval(spec))
                if after is not None:   # None: past the end of the calendar, never due
                    self._push(after, "request", item.demand, item.number + 1)
            mask = self._draw_mask(spec)
            vpc = f"{spec.pool}-d{item.demand + 1}-{item.number}"
            args = {"vpc": vpc, "pool": spec.pool, "mask": mask}
            if spec.ipv6_pool is not None:      # dual-stack
                args["ipv6_pool"] = spec.ipv6_pool
                if spec.ipv6_mask is not None:
                    args["ipv6_mask"] = spec.ipv6_mask
            event = self._record_op(None, "demand", spec.actor, "create_vpc", args,
                                    spec.region, _UNJUDGED)
            if event.outcome == "ok" and spec.lifetime is not None:
                expiry = _later(item.time, spec.lifetime)
                if expiry is not None:
                    self._push(expiry, "expire", item.demand, item.number, vpc)

    def _interval(self, spec: Any) -> timedelta | None:
        """Time to the next request (None: longer than the calendar can hold)."""
        if spec.every is not None:
            return spec.every
        try:
            return timedelta(seconds=self.rng.expovariate(spec.rate))
        except OverflowError:
            return None

    def _draw_mask(self, spec: DemandSpec) -> int:
        masks = spec.masks
        if len(masks) == 1:
            return masks[0][0]
        r = self.rng.random()
        total = 0.0
        for mask, weight in masks:
            total += weight
            if r < total:
                return mask
        return masks[-1][0]

    # -- steps -----------------------------------------------------------------------
    def apply(self, step: Any) -> Event:
        """Run one scenario step and record its event."""
        kind = step.kind
        if kind == "op":            # most steps: asked first
            return self._record_op(step.index, "step", step.actor, step.op, step.args,
                                   step.region, step.expect)
        if kind == "advance":
            self.advance(step.duration)
            return self._log(Event(self.clock.now, step.index, "step", "advance",
                                   outcome="clock", message=f"advanced {step.duration}"))
        if kind == "at":
            self.at(step.time)
            return self._log(Event(self.clock.now, step.index, "step", "at", outcome="clock",
                                   message=f"clock at {step.time.isoformat()}"))
        return self._log(self._check(step))        # the one kind left: check

    def finish(self) -> None:
        """Run every generated request still queued."""
        self._run_demand(until=None)

    def _log(self, event: Event) -> Event:
        self.log.append(event)
        return event

    def _record_op(self, index: int | None, source: str, actor: str, op: str,
                   args: dict[str, Any], region: str | None, expect: Any) -> Event:
        operation = OPERATIONS[op]
        self._step = index
        try:
            result = self._do(actor, operation, args, region)
        except DomainError as err:          # (kept in no local: its traceback holds this frame)
            self._step = None
            event = self.request_event(index, source, operation, actor, args, err, expect)
            self.log.append(event)
            return event
        self._step = None
        event = self.request_event(index, source, operation, actor, args, result, expect)
        self.log.append(event)              # (not through _log: one call fewer a step)
        return event

    def request_event(self, index: int | None, source: str, operation: Operation, actor: str,
                      args: Mapping[str, Any], outcome: Result | DomainError,
                      expect: Any = _UNJUDGED) -> Event:
        """The event of a request that has just run: ``outcome`` is its result or its refusal.

        The steps, the generated requests and the server's requests are all
        recorded by it; ``expect`` is judged (by default nothing is).  The
        event's pool is the result's (else the one the arguments name); a
        refusal's is the one of the request's pools it names (see
        :meth:`~simkit.scenario.operations.Operation.refused_pool`).
        """
        op = operation.name
        refused = isinstance(outcome, DomainError)
        if expect is None or expect.kind == "success":      # most steps: no expect given
            met, expected = not refused, "success"
        else:
            met, expected = (_judge(expect, outcome, None) if refused
                             else _judge(expect, None, outcome))
        if refused:
            return Event(self.clock.now, index, source, op, actor,
                         operation.refused_pool(args, outcome), operation.resource_of(args),
                         "error", outcome.code, None, expected, met, outcome.message, None,
                         args.get("ipv6_pool"))
        result = outcome
        cidr = None if result.cidr is None else str(result.cidr)
        message = "" if result.items is None else ", ".join(result.items)
        ipv6_cidr = None
        if result.ipv6_cidr is not None:
            ipv6_cidr = cidr if result.ipv6_cidr == result.cidr else str(result.ipv6_cidr)
            if ipv6_cidr != cidr:
                message = f"ipv6_cidr {ipv6_cidr}"
        if met is False and expect is not None and expect.kind in ("pools", "cidrs",
                                                                   "allocations"):
            message = f"got [{message}]"
        if self.last_imports:
            imported = ", ".join(f"{a.resource} {a.cidr} into pool {a.pool}"
                                 for a in self.last_imports)
            message = f"{message}; auto import: {imported}" if message else (
                f"auto import: {imported}")
        # the result's pool and resource, else those the arguments name (args are only read)
        return new_record(Event, (self.clock.now, index, source, op, actor,
                                  result.pool or args.get("pool"),
                                  result.resource or operation.resource_of(args), "ok", None,
                                  cidr, expected, met, message, result.items,
                                  args.get("ipv6_pool"), ipv6_cidr))

    def _check(self, step: Any) -> Event:
        spec = dict(step.check)
        when = self.clock.now
        for kind in ("account", "vpc", "share", "allocation"):
            if kind in spec:
                subject = spec.pop(kind)
                want = {k: _comparable(k, v) for k, v in spec.items()}
                got, gone = self._facts(kind, subject, want)
                actor = subject if kind == "account" else None
                resource = None if kind == "account" else subject
                if gone is not None:
                    return Event(when, step.index, "step", "check", actor, None, resource,
                                 "checked", gone, None, _figures_text(want), False,
                                 f"{kind} {subject} does not exist")
                return Event(when, step.index, "step", "check", actor, None, resource,
                             "checked", None, None, _figures_text(want), got == want,
                             _figures_text(got))
        pool = spec.pop("pool")
        if pool not in self.model.pools:
            return Event(when, step.index, "step", "check", None, pool, None, "checked",
                         "ResourceNotFound.IpamPool", None, _figures_text(spec), False,
                         f"pool {pool} does not exist")
        figures = self.model.utilisation(pool)
        wrong = []
        for name, want in spec.items():
            got = figures[name]
            ok = abs(got - want) <= 1e-9 if name == "utilisation" else got == want
            if not ok:
                wrong.append(f"{name}={got}")
        actual = ", ".join(f"{k}={figures[k]}" for k in spec)
        return Event(when, step.index, "step", "check", None, pool, None, "checked", None, None,
                     _figures_text(spec), not wrong, actual)

    def _facts(self, kind: str, subject: str, want: dict[str, Any]
               ) -> tuple[dict[str, Any], str | None]:
        """The current values of what ``want`` checks, for a ``check`` of ``kind`` (sets as
        sorted lists), or the error code when ``subject`` does not exist.  Principals in
        ``want`` are put in the form the shares hold them (``account:ID``)."""
        names = list(want)
        got: dict[str, Any] = {}
        if kind == "account":
            if "visible_pools" in want:
                got["visible_pools"] = sorted(p.id for p in self.model.list_pools(subject))
            if "invitation" in want:
                share = want["invitation"]["share"]
                status = next((i.status for i in self.shares.invitations(subject)
                               if i.share == share), "none")
                got["invitation"] = {"share": share, "status": status}
            return got, None
        if kind == "vpc":
            vpc = self.model.vpcs.get(subject)
            if vpc is None:
                return got, "ResourceNotFound.Vpc"
            return {"cidrs": sorted(str(c) for c in [vpc.cidr, *vpc.secondary])}, None
        if kind == "share":
            if subject not in self.shares:
                return got, "ResourceNotFound.ResourceShare"
            share = self.shares.get(subject)
            if "principals" in want:
                want["principals"] = sorted(str(self.org.parse_principal(p))
                                            for p in want["principals"])
            facts = {"principals": sorted(str(p) for p in share.principals),
                     "resources": sorted(share.resources), "status": share.status}
            return {n: facts[n] for n in names}, None
        alloc = self.model.allocations.get(subject)
        if alloc is None:
            try:
                cidr = parse_cidr(subject)
            except DomainError:
                cidr = None
            alloc = next((a for a in self.model.allocations.values()
                          if cidr is not None and a.cidr == cidr and a.type != "IpamPool"),
                         None) or next((a for a in self.model.allocations.values()
                                        if cidr is not None and a.cidr == cidr), None)
        if alloc is None:
            return got, "ResourceNotFound.IpamPoolAllocation"
        facts = {"type": alloc.type, "created_by": alloc.created_by}
        return {n: facts[n] for n in names}, None

    # -- setup from a scenario -------------------------------------------------------
    @classmethod
    def from_scenario(cls, scenario: Any, *, seed: int | None = None,
                      parameters: Mapping[str, Any] | None = None) -> Simulation:
        """Build the initial state of ``scenario``; a broken rule there is a ScenarioError.

        The initial state is what the declarative sections give (the
        organisation, IPAMs, scopes, pools, existing VPCs and reserved
        ranges) at the clock's start: **no step has run**, so shares the steps
        create do not exist yet.  For the state after every step and the
        generated demand, use ``simkit.run(scenario).simulation``.

        ``seed`` replaces the scenario's seed; ``parameters`` sets some of its
        parameters (the scenario is read again with them, as
        :meth:`~simkit.scenario.Scenario.with_parameters` does).
        """
        if parameters:
            scenario = scenario.with_parameters(parameters)
        seed = scenario.seed if seed is None else check_seed(seed)
        file = scenario.file
        org = scenario.org.copy()
        sim = cls(seed=seed, start=scenario.start, quotas=org.quotas, org=org)
        for ipam in scenario.ipams:
            _setup(file, ipam.line, f"ipam {ipam.id}", sim.model.create_ipam, ipam.owner,
                   ipam.id, ipam.region, ipam.operating_regions, ipam.scopes,
                   ipam.ipv6_ranges)
            for pool in ipam.pools:
                rules = pool.rules
                _setup(file, pool.line, f"pool {pool.id}", sim.model.create_pool, ipam.owner,
                       ipam.id, pool.id, source=pool.source, scope=pool.scope,
                       region=pool.region,
                       min_mask=rules.min_mask if rules else None,
                       max_mask=rules.max_mask if rules else None,
                       default_mask=rules.default_mask if rules else None,
                       auto_import=pool.auto_import, strategy=pool.strategy, name=pool.name,
                       description=pool.description, cidrs=pool.cidrs, masks=pool.masks,
                       ip_version=pool.ip_version, isp=pool.isp)
        for reserved in scenario.reserved:
            if reserved.hold_in is None:
                sim.reserved.append((reserved.name, parse_cidr(reserved.cidr)))
                continue
            _setup(file, reserved.line, f"reserved range {reserved.name} (hold_in "
                   f"{reserved.hold_in})", sim.model.create_allocation,
                   sim.model.pools[reserved.hold_in].owner, reserved.hold_in,
                   cidr=str(reserved.cidr), name=reserved.name)
        for vpc in scenario.vpcs:
            _setup(file, vpc.line, f"vpc {vpc.id}", sim.model.create_vpc, vpc.owner, vpc.id,
                   vpc.region, cidr=vpc.cidr)
        sim.model.auto_import(sim.discovers)
        sim.connected_scopes = _connected_scopes(scenario, sim)
        sim._note_series(list(sim.model.pools))
        for demand in scenario.demand:
            if demand.pool not in sim.model.pools:
                raise ScenarioError(f"demand: pool {demand.pool!r} is not declared in ipams",
                                    file=file, line=demand.line)
            sim.add_demand(demand)
        return sim


def _later(when: datetime, delta: timedelta | None) -> datetime | None:
    """``when + delta``, or None when that falls after the last representable time."""
    if delta is None:
        return None
    try:
        return when + delta
    except OverflowError:
        return None


def _setup(file: str, line: int | None, what: str, fn: Callable[..., Any], *args: Any,
           **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except DomainError as err:
        raise ScenarioError(f"{what}: {err.code}: {err.message}", file=file,
                            line=line) from None
    except (SimkitError, ValueError) as err:
        raise ScenarioError(f"{what}: {_reason(err)}", file=file, line=line) from None


def _connected_scopes(scenario: Any, sim: Simulation) -> list[tuple[str, ...]]:
    """The ``connected_scopes`` groups of a scenario; each id must name a scope."""
    for group in scenario.connected_scopes:
        for scope, line in zip(group.scopes, group.lines, strict=True):
            if scope not in sim.model.scopes:
                raise ScenarioError(
                    f"connected_scopes: {scope!r} is not a scope of any IPAM; the scopes are "
                    f"{', '.join(sim.model.scopes)} (an IPAM's default scopes are "
                    f"IPAM-private and IPAM-public)", file=scenario.file, line=line)
    return [group.scopes for group in scenario.connected_scopes]


def check_seed(seed: Any) -> int:
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise UsageError(f"a seed is an integer >= 0, not {seed!r}")
    return seed


def _reason(err: Exception) -> str:
    return err.reason if isinstance(err, ScenarioError) else str(err)


def _comparable(name: str, value: Any) -> Any:
    """A check's expected value in the form :meth:`Simulation._facts` gives."""
    if isinstance(value, list | tuple):
        return sorted(str(v) for v in value)
    return value


def _figures_text(spec: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in spec.items())




def _expect_text(expect: Any) -> str:
    if expect is _UNJUDGED:
        return ""
    if expect is None:
        return "success"
    if expect.kind in ("any", "success"):
        return expect.kind
    value = expect.value
    if isinstance(value, list | tuple):
        value = "[" + ", ".join(str(v) for v in sorted(map(str, value))) + "]"
    also = "" if getattr(expect, "ipv6_cidr", None) is None else f", ipv6_cidr: {expect.ipv6_cidr}"
    return f"{expect.kind}: {value}{also}"


def _judge(expect: Any, err: DomainError | None, result: Result | None) -> tuple[bool | None,
                                                                                  str]:
    """Whether the outcome meets an expectation other than success, and the expectation
    as text (:meth:`Simulation.request_event` judges success itself, on every step)."""
    text = _expect_text(expect)
    kind = expect.kind
    if kind == "any":
        return None, text
    if kind == "error":
        return err is not None and err.code == expect.value, text
    if err is not None:
        return False, text
    if kind in ("cidr", "ipv6_cidr"):
        wanted = [(kind, expect.value)]
        if getattr(expect, "ipv6_cidr", None) is not None:
            wanted.append(("ipv6_cidr", expect.ipv6_cidr))
        try:
            return all(getattr(result, key) == parse_cidr(str(value))
                       for key, value in wanted), text
        except DomainError:
            return False, text
    got = sorted(result.items or ())
    try:
        if kind in ("cidrs", "allocations"):
            want = sorted(str(parse_cidr(str(v))) for v in expect.value)
        else:
            want = sorted(str(v) for v in expect.value)
    except DomainError:
        return False, text
    return got == want, text
