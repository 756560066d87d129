"""VPCs and their CIDRs: the VPC requests of the IPAM model.

A VPC created with a literal CIDR and no pool is **Unmanaged**; one whose
primary CIDR came from a pool (an allocation of type ``VPC``) is
**Managed**.  :class:`VpcRequests` holds ``CreateVpc``,
``AssociateVpcCidrBlock`` and ``DeleteVpc``; it is mixed into
:class:`simkit.ipam.IpamModel` and uses that model's pool checks and
bookkeeping, so a VPC request follows the order of every pool request, with
the region check (DOMAIN.md 2) between the parameters and the pool's rules.

Examples
--------
>>> from simkit.ipam import IpamModel
>>> model = IpamModel()
>>> _ = model.create_ipam("netadmin", "ipam-main", "cn-hangzhou")
>>> _ = model.create_pool("netadmin", "ipam-main", "corp", cidrs=["10.0.0.0/16"])
>>> model.create_vpc("netadmin", "vpc-1", "cn-hangzhou", pool="corp", mask=24)
Traceback (most recent call last):
...
simkit.errors.DomainError: OperationDenied.IpamPoolNotInRegion: pool corp has no region, ...
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .addresses import Cidr, parse_cidr
from .errors import DomainError, UsageError
from .quotas import Quotas

if TYPE_CHECKING:
    from .ipam import Allocation, Pool

__all__ = ["Vpc", "VpcRequests"]


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


class VpcRequests:
    """The VPC requests of :class:`~simkit.ipam.IpamModel` (a mixin of it)."""

    # provided by IpamModel, with its pool checks (_pool, _request, _check_rules, ...)
    vpcs: dict[str, Vpc]
    allocations: dict[str, Allocation]
    quotas: Quotas

    def create_vpc(self, actor: str, vpc: str, region: str, *, pool: str | None = None,
                   mask: int | None = None, cidr: Cidr | str | None = None) -> Vpc:
        """Create a VPC: from ``pool`` (a ``VPC`` allocation) or, without a pool, Unmanaged.

        From a pool the CIDR is ``cidr``, the next ``/mask`` block, or the
        next block of the pool's default mask.  Without a pool ``cidr`` is
        the VPC's literal CIDR and no pool is involved.

        Examples
        --------
        >>> from simkit.ipam import IpamModel
        >>> model = IpamModel()
        >>> legacy = model.create_vpc("netadmin", "vpc-legacy", "cn-hangzhou",
        ...                           cidr="10.1.0.0/16")
        >>> str(legacy.cidr), legacy.managed, legacy.allocations
        ('10.1.0.0/16', False, [])
        """
        if pool is None:
            if mask is not None:
                raise UsageError(f"VPC {vpc}: a mask needs a pool to draw from; "
                                 "without a pool give the VPC's CIDR")
            if vpc in self.vpcs:
                raise DomainError("OperationDenied.VpcExist", vpc=vpc)
            if cidr is None:
                raise DomainError("MissingParam.CidrOrCidrMask",
                                  "a VPC without a pool needs a CIDR", vpc=vpc, pool=None)
            new = Vpc(vpc, actor, region, parse_cidr(cidr))
            self.vpcs[vpc] = new
            return new
        p = self._pool(actor, pool, "create_vpc")
        if vpc in self.vpcs:
            raise DomainError("OperationDenied.VpcExist", vpc=vpc)
        c, m = self._request(pool, p.version, cidr, mask, p.default_mask)
        self._check_region(p, region)
        self._check_rules(p, m)
        got = self._take(p, c, m)
        a = self._record(p, got, "VPC", vpc, actor, region)
        new = Vpc(vpc, actor, region, got, pool, [a.id])
        self.vpcs[vpc] = new
        return new

    def associate_vpc_cidr_block(self, actor: str, vpc: str, region: str, *, pool: str,
                                 mask: int | None = None,
                                 cidr: Cidr | str | None = None) -> Allocation:
        """Add a secondary CIDR from ``pool`` to a VPC of ``actor`` in ``region``.

        Examples
        --------
        >>> from simkit.ipam import IpamModel
        >>> model = IpamModel()
        >>> _ = model.create_ipam("netadmin", "ipam-main", "cn-hangzhou")
        >>> _ = model.create_pool("netadmin", "ipam-main", "hz", region="cn-hangzhou",
        ...                       cidrs=["10.0.0.0/16"])
        >>> _ = model.create_vpc("netadmin", "vpc-1", "cn-hangzhou", cidr="192.0.2.0/24")
        >>> a = model.associate_vpc_cidr_block("netadmin", "vpc-1", "cn-hangzhou",
        ...                                    pool="hz", mask=24)
        >>> str(a.cidr), model.vpcs["vpc-1"].secondary
        ('10.0.0.0/24', [Cidr.parse('10.0.0.0/24')])
        """
        v = self._vpc(actor, vpc, region)
        p = self._pool(actor, pool, "associate_vpc_cidr_block")
        c, m = self._request(pool, p.version, cidr, mask, p.default_mask)
        self._check_region(p, region)
        self._check_rules(p, m)
        held = sum(1 for s in v.secondary if s.version == p.version)
        self.quotas.check("secondary_cidrs_per_vpc", held, subject=f"VPC {vpc}")
        got = self._take(p, c, m)
        a = self._record(p, got, "VPC", vpc, actor, region)
        v.allocations.append(a.id)
        v.secondary.append(got)
        return a

    def delete_vpc(self, actor: str, vpc: str) -> None:
        """Delete a VPC of ``actor``, releasing every allocation still linked to it."""
        v = self._vpc(actor, vpc)
        for aid in v.allocations:
            self._forget(self.allocations[aid])
        del self.vpcs[vpc]

    def _vpc(self, actor: str, vpc: str, region: str | None = None) -> Vpc:
        v = self.vpcs.get(vpc)
        if v is None or v.owner != actor or (region is not None and v.region != region):
            raise DomainError("ResourceNotFound.Vpc", vpc=vpc, actor=actor, region=region)
        return v

    @staticmethod
    def _check_region(p: Pool, region: str) -> None:
        if p.region is None:
            raise DomainError("OperationDenied.IpamPoolNotInRegion", pool=p.id, region=region)
        if region != p.region:
            raise DomainError("OperationDenied.RequestRegionInvalid", region=region,
                              pool_region=p.region, pool=p.id)

    def _unlink_vpc(self, a: Allocation) -> None:
        """Unlink a released ``VPC`` allocation from its VPC; the VPC keeps the CIDR."""
        v = self.vpcs[a.resource]
        if v.pool is not None and v.allocations[0] == a.id:
            v.pool = None
        v.allocations.remove(a.id)
