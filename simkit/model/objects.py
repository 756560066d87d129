"""The records of the IPAM model: IPAMs, scopes, pools, allocations and VPCs.

Plain dataclasses with no behaviour; :mod:`simkit.model.ipam` and
:mod:`simkit.model.vpcs` apply the rules to them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..values.addresses import Cidr
from ..values.allocator import AddressSpace

__all__ = ["ALLOCATION_TYPES", "Allocation", "Ipam", "Pool", "Scope", "Vpc"]

#: The allocation types of a pool (docs/rules.md section 2).
ALLOCATION_TYPES = ("VPC", "Custom", "IpamPool")


@dataclass
class Ipam:
    """An IP address manager: one per account per region (by default)."""

    id: str
    owner: str
    region: str
    operating_regions: tuple[str, ...]
    scopes: list[str] = field(default_factory=list)


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
    """An address pool; ``source`` names its parent pool (None for a top-level pool)."""

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


@dataclass(frozen=True)
class Allocation:
    """A block handed out by a pool; ``type`` is "VPC", "Custom" or "IpamPool".

    ``resource`` is the VPC id (VPC), the allocation's name (Custom) or the
    child pool's id (IpamPool).
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
    """A VPC: ``cidr`` is its primary CIDR, ``pool`` the pool it came from (or None).

    ``allocations`` lists the ids of its pool allocations that are still
    linked (the primary first when it came from a pool); ``secondary`` its
    secondary CIDRs, linked to a pool or not.
    """

    id: str
    owner: str
    region: str
    cidr: Cidr
    pool: str | None = None
    allocations: list[str] = field(default_factory=list)
    secondary: list[Cidr] = field(default_factory=list)

    @property
    def managed(self) -> bool:
        """True when the primary CIDR is an allocation of a pool."""
        return self.pool is not None
