"""The loaded scenario: the records that :func:`simkit.scenario.load` returns.

A :class:`~simkit.scenario.loader.Scenario` holds the organisation (the
model's :class:`~simkit.model.org.Organisation`, built as the file is read),
the IPAMs and their pools (:class:`IpamSpec`, :class:`PoolSpec`), the networks and ranges
that exist before step 1 (:class:`VpcSpec`, :class:`ReservedSpec`), the steps
(:class:`Step`, with its :class:`Expect`) and the generated demand
(:class:`DemandSpec`). Every record is frozen and carries the YAML line it
came from, so later checks can name the place in the file.

Examples
--------
>>> from simkit.scenario import loads
>>> s = loads("version: 1\\nname: n\\norg: {management_account: m, accounts: [a]}\\n")
>>> s.org.management_account, s.org.members(), s.steps
('m', ['a', 'm'], ())
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, NamedTuple

from ..values.addresses import Cidr
from ..values.clock import DEFAULT_START
from ..values.errors import UsageError

__all__ = ["AccessKey", "Demand", "DemandSpec", "Expect", "IpamSpec", "PoolRules",
           "PoolSpec", "ReservedSpec", "ScopeGroup", "Step", "VpcSpec"]


# ---------------------------------------------------------------------------------------------
# The loaded scenario
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PoolRules:
    """Allocation rules of a pool; None where the scenario gives no value."""

    min_mask: int | None = None
    max_mask: int | None = None
    default_mask: int | None = None


@dataclass(frozen=True)
class PoolSpec:
    """A pool declared under an IPAM in ``ipams``.

    Attributes
    ----------
    id : unique among all pools of the scenario (steps' ``create_ipam_pool`` included).
    line : the line of the pool's mapping.
    ipam : the id of the IPAM it belongs to.
    source : id of its source pool (declared earlier in the same IPAM), None for a
        top-level pool.
    scope : a custom scope of its IPAM, or None for the default private scope.
    region : the pool's region as given (None: none given; a child inherits).
    cidrs : CIDRs provisioned explicitly, in file order (well formed, checked).
    masks : masks provisioned from the source's first free blocks, in file order.
    cidr_lines, mask_lines : the line of each entry of ``cidrs`` and ``masks``.
    rules : allocation rules, or None when not given.
    auto_import : the auto import flag (default False).
    strategy : how blocks are chosen: ``first`` (the cloud's rule, default),
        ``best``, ``last`` or ``random`` (a simkit extension).
    name, description : display fields, or None.
    ip_version : ``IPv4`` or ``IPv6`` as given, or None (the scope's, or the source's).
    isp : the ISP line of an IPv6 pool as given, or None (BGP, or the source's).
    version : 4 or 6, the pool's IP version as the file states it.
    """

    id: str
    line: int
    ipam: str
    source: str | None = None
    scope: str | None = None
    region: str | None = None
    cidrs: tuple[Cidr, ...] = ()
    masks: tuple[int, ...] = ()
    cidr_lines: tuple[int, ...] = ()
    mask_lines: tuple[int, ...] = ()
    rules: PoolRules | None = None
    auto_import: bool = False
    strategy: str = "first"
    name: str | None = None
    description: str | None = None
    ip_version: str | None = None
    isp: str | None = None
    version: int = 4


@dataclass(frozen=True)
class IpamSpec:
    """An IPAM declared in ``ipams``.

    Attributes
    ----------
    id, line : its unique id and the line of its mapping.
    owner : the declared account that owns it.
    region : its managed (home) region.
    operating_regions : the operating regions in file order, the home region
        first when the file leaves it out (it is always one of them).
    scopes : custom scope ids (unique in the scenario); the two default scopes
        are not listed.
    scope_lines : the line of each custom scope.
    pools : its pools, in file order (a source always before its children).
    ipv6_ranges : the declared cloud IPv6 ranges ``(region, isp, cidr)``, in file order.
    """

    id: str
    line: int
    owner: str
    region: str
    operating_regions: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    scope_lines: tuple[int, ...] = ()
    pools: tuple[PoolSpec, ...] = ()
    ipv6_ranges: tuple[tuple[str, str, Cidr], ...] = ()


@dataclass(frozen=True)
class VpcSpec:
    """A network that exists before step 1 (Unmanaged): ``vpcs`` entries."""

    id: str
    line: int
    owner: str
    region: str
    cidr: Cidr


@dataclass(frozen=True)
class ReservedSpec:
    """Space used outside the cloud (``reserved`` entries); overlaps are conflicts.

    ``hold_in`` names a pool that keeps the range out of its allocations: the
    range becomes a Custom allocation of that pool, named ``name`` and made by
    the pool's owner before step 1.
    """

    name: str
    line: int
    cidr: Cidr
    hold_in: str | None = None


@dataclass(frozen=True)
class AccessKey:
    """An ``access_keys`` entry: the key ``simkit serve`` maps to ``account``."""

    id: str
    secret: str
    account: str
    line: int = 0


@dataclass(frozen=True)
class ScopeGroup:
    """A ``connected_scopes`` group: scopes routed together, so overlaps between them
    are conflicts.  ``lines`` holds the line of each scope id."""

    scopes: tuple[str, ...]
    line: int
    lines: tuple[int, ...]


@dataclass(frozen=True)
class DemandSpec:
    """A stream of generated ``create_vpc`` requests (``demand`` entries).

    Attributes
    ----------
    index, line : 1-based position in ``demand`` and the line of its mapping.
    actor : the declared account that makes the requests (``as``).
    pool : the pool drawn from (declared in ``ipams`` or created by a step).
    masks : ``((mask, weight), ...)`` in file order, weights summing to 1;
        ``mask: 24`` gives ``((24, 1.0),)``.
    count : how many requests.
    every : a fixed interval between requests, or None.
    rate : Poisson arrivals per second, or None (exactly one of every/rate is set).
    begin : time of the first request (or of the process start), UTC; default
        the scenario's start.
    lifetime : the VPC is deleted this long after it is created; None: kept.
    region : request region, or None for the pool's default.
    ipv6_pool : an IPv6 pool: each request is a dual-stack VPC with an IPv6
        block from it; None: IPv4 only.
    ipv6_mask : the IPv6 blocks' prefix length; None: the IPv6 pool's default mask.
    """

    index: int
    line: int
    actor: str
    pool: str
    masks: tuple[tuple[int, float], ...]
    count: int
    every: timedelta | None
    rate: float | None
    begin: datetime
    lifetime: timedelta | None = None
    region: str | None = None
    ipv6_pool: str | None = None
    ipv6_mask: int | None = None

    @classmethod
    def of(cls, actor: str, pool: str, masks: int | Mapping[int, float], count: int, *,
           every: timedelta | None = None, rate: float | None = None,
           begin: datetime = DEFAULT_START, lifetime: timedelta | None = None,
           region: str | None = None, ipv6_pool: str | None = None,
           ipv6_mask: int | None = None) -> DemandSpec:
        """A demand entry written in Python (``masks``: one mask, or mask -> weight).

        >>> from datetime import timedelta
        >>> DemandSpec.of("net", "hz", {24: 0.5, 26: 0.5}, 10, every=timedelta(days=1)).masks
        ((24, 0.5), (26, 0.5))
        """
        if (every is None) == (rate is None):
            raise UsageError("a demand entry takes exactly one of every and rate")
        if ipv6_mask is not None and ipv6_pool is None:
            raise UsageError("a demand entry takes ipv6_mask only with ipv6_pool")
        pairs = ((masks, 1.0),) if isinstance(masks, int) else tuple(masks.items())
        return cls(0, 0, actor, pool, pairs, count, every, rate, begin, lifetime, region,
                   ipv6_pool, ipv6_mask)


#: Alias: the scenario's ``demand`` entries.
Demand = DemandSpec


@dataclass(frozen=True, slots=True)
class Expect:
    """What an op step must give.

    ``kind`` is ``"success"`` (no ``expect``: it must succeed, ``value`` None),
    ``"any"`` (judge nothing, ``value`` None), ``"error"`` (``value`` is the
    code), ``"cidr"`` (``value`` is the CIDR text as written), or ``"pools"``,
    ``"cidrs"``, ``"allocations"`` (``value`` is a tuple of strings, order
    ignored when judged); ``"ipv6_cidr"`` (``value`` is the IPv6 block as
    written).  ``ipv6_cidr`` is the IPv6 block a ``"cidr"`` expectation also
    asks of a dual-stack VPC, or None.
    """

    kind: str
    value: Any = None
    ipv6_cidr: Any = None


class Step(NamedTuple):
    """One step of a scenario.

    A named tuple (immutable, and cheap to build: a file may hold a million).

    Attributes
    ----------
    index : 1-based position in ``steps``; messages say ``step 3 (create_vpc)``.
    line : the line of the step's mapping.
    kind : ``"op"``, ``"advance"``, ``"at"`` or ``"check"``.
    op : the operation name (``kind == "op"``), else None.
    actor : the declared account of ``as`` (op steps), else None.
    args : the op's arguments as given, without ``op``, ``as``, ``region``,
        ``expect`` (plain lists and dicts; CIDRs, masks and ids are not judged
        here).  For ``create_ipam_pool``, ``region`` is the new pool's region
        and stays in ``args``; its ``Step.region`` is None.  Account ids are
        strings.
    region : the request region given, or None (the pool's region, or its
        IPAM's home region).
    expect : an :class:`Expect` for op steps (``kind="success"`` when not
        given), None for other steps.
    duration : for ``advance`` steps, a positive timedelta.
    time : for ``at`` steps, a UTC datetime never earlier than the clock there.
    check : for ``check`` steps, the mapping as given: ``pool`` with figures,
        or ``account`` with ``visible_pools``.
    """

    index: int
    line: int
    kind: str
    op: str | None = None
    actor: str | None = None
    args: Mapping[str, Any] = MappingProxyType({})
    region: str | None = None
    expect: Expect | None = None
    duration: timedelta | None = None
    time: datetime | None = None
    check: dict[str, Any] | None = None

    @property
    def label(self) -> str:
        """``step 3 (create_vpc)``, or ``step 4`` for a step that is not an op."""
        return f"step {self.index} ({self.op})" if self.op else f"step {self.index}"
