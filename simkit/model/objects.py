"""The records of the IPAM model: IPAMs, scopes, pools, allocations and VPCs.

Plain records with no behaviour (dataclasses, and a named tuple for the
allocations); :mod:`simkit.model.ipam` and :mod:`simkit.model.vpcs` apply the
rules to them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from ..values.addresses import Cidr
from ..values.allocator import AddressSpace

__all__ = ["ALLOCATION_TYPES", "ISPS", "Allocation", "Ipam", "Pool", "Scope", "Vpc"]

#: The allocation types of a pool (docs/rules.md section 2).
ALLOCATION_TYPES = ("VPC", "Custom", "IpamPool")

#: The ISP lines of public IPv6 space (``Ipv6Isp``); the first is the default.
ISPS = ("BGP", "ChinaMobile", "ChinaUnicom", "ChinaTelecom")


@dataclass
class Ipam:
    """An IP address manager: one per account per region (by default).

    ``ipv6_ranges`` holds the cloud's IPv6 space this IPAM's public top-level
    pools draw from, as ``(region, isp, cidr)``; empty: the simulated default
    range (see :meth:`simkit.model.ipam.IpamModel.ipv6_range`).
    """

    id: str
    owner: str
    region: str
    operating_regions: tuple[str, ...]
    scopes: list[str] = field(default_factory=list)
    ipv6_ranges: tuple[tuple[str, str, Cidr], ...] = ()


@dataclass
class Scope:
    """A separate address space of an IPAM; ``kind`` is "private" or "public"."""

    id: str
    ipam: str
    kind: str
    version: int
    default: bool


@dataclass
class Pool:
    """An address pool; ``source`` names its parent pool (None for a top-level pool).

    ``isp`` is the ISP line of an IPv6 pool (one of :data:`ISPS`), None for IPv4.
    """

    id: str
    ipam: str
    scope: str
    owner: str
    source: str | None
    region: str | None
    version: int
    depth: int
    min_mask: int
    max_mask: int
    default_mask: int | None
    auto_import: bool
    strategy: str
    name: str | None
    description: str | None
    space: AddressSpace
    children: list[str] = field(default_factory=list)
    created_at: object = 0
    isp: str | None = None


class Allocation(NamedTuple):
    """A block handed out by a pool; ``type`` is "VPC", "Custom" or "IpamPool".

    ``resource`` is the VPC id (VPC), the allocation's name (Custom) or the
    child pool's id (IpamPool).  An immutable named tuple rather than a frozen
    dataclass: a run makes one per allocating step, and a frozen dataclass
    costs about five times as much to build (about 2 against 0.4 us; the
    hot path builds it with ``Allocation._make`` from a tuple of its fields).
    """

    id: str
    pool: str
    cidr: Cidr
    type: str
    resource: str
    created_by: str
    created_at: object
    region: str | None


@dataclass
class Vpc:
    """A VPC: ``cidr`` is its primary IPv4 CIDR, ``pool`` the pool it came from (or None).

    ``ipv6_cidr`` is its IPv6 block and ``ipv6_pool`` the IPv6 pool it came
    from (None when it has none, or the allocation was released); a VPC
    made with IPv6 arguments only has no IPv4 CIDR (``cidr`` None).
    ``allocations`` lists the ids of its pool allocations that are still
    linked (the IPv4 primary first when it came from a pool, then the IPv6
    block's); ``secondary`` its secondary CIDRs of both versions, linked to
    a pool or not.
    """

    id: str
    owner: str
    region: str
    cidr: Cidr | None
    pool: str | None = None
    allocations: list[str] = field(default_factory=list)
    secondary: list[Cidr] = field(default_factory=list)
    ipv6_cidr: Cidr | None = None
    ipv6_pool: str | None = None

    @property
    def managed(self) -> bool:
        """True when the primary CIDR is an allocation of a pool."""
        return self.pool is not None

    @property
    def cidrs(self) -> list[Cidr]:
        """Every CIDR of the VPC: the IPv4 primary, the IPv6 block, then the secondary ones."""
        return [c for c in (self.cidr, self.ipv6_cidr) if c is not None] + self.secondary
