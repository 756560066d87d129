"""VPCs and their CIDRs: the VPC requests of the IPAM model.

A VPC created with a literal CIDR and no pool is **Unmanaged**; one whose
primary CIDR came from a pool (an allocation of type ``VPC``) is
**Managed**.  :class:`VpcRequests` holds ``CreateVpc``,
``AssociateVpcCidrBlock`` and ``DeleteVpc``; it is mixed into
:class:`simkit.model.ipam.IpamModel` and uses that model's pool checks and
bookkeeping, so a VPC request follows the order of every pool request, with
the region check (docs/rules.md section 2) between the parameters and the pool's rules.

Auto import (docs/rules.md section 3) lives here too: :meth:`VpcRequests.auto_import`
adopts discovered Unmanaged CIDRs into the pools whose auto import flag is
on.  An adopted CIDR becomes an allocation of type ``VPC`` (its resource is
the VPC, its creator the pool's owner) linked to the VPC, exactly as if the
VPC had drawn it from the pool: the CIDR is Managed from then on, deleting
the VPC releases it, and it counts in the pool's VPC IPs.  It is adopted
whatever the pool's allocation rules say, so it may be Noncompliant.

Examples
--------
>>> from simkit.model.ipam import IpamModel
>>> model = IpamModel()
>>> _ = model.create_ipam("netadmin", "ipam-main", "cn-hangzhou")
>>> _ = model.create_pool("netadmin", "ipam-main", "corp", cidrs=["10.0.0.0/16"])
>>> model.create_vpc("netadmin", "vpc-1", "cn-hangzhou", pool="corp", mask=24)
Traceback (most recent call last):
...
simkit.DomainError: OperationDenied.IpamPoolNotInRegion: pool corp has no region, ...
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from typing import Any

from ..values.addresses import Cidr, parse_cidr
from ..values.errors import DomainError, UsageError
from ..values.quotas import Quotas
from .objects import Allocation, Ipam, Pool, Scope, Vpc

__all__ = ["Vpc", "VpcRequests"]


class VpcRequests:
    """The VPC requests of :class:`~simkit.model.ipam.IpamModel` (a mixin of it)."""

    # provided by IpamModel, with its pool checks (_pool, _request, _check_rules, ...)
    vpcs: dict[str, Vpc]
    allocations: dict[str, Allocation]
    pools: dict[str, Pool]
    ipams: dict[str, Ipam]
    scopes: dict[str, Scope]
    quotas: Quotas
    access: Any                     # the model's access policy (ipam.Access)

    def create_vpc(self, actor: str, vpc: str, region: str, *, pool: str | None = None,
                   mask: int | None = None, cidr: Cidr | str | None = None) -> Vpc:
        """Create a VPC: from ``pool`` (a ``VPC`` allocation) or, without a pool, Unmanaged.

        From a pool the CIDR is ``cidr``, the next ``/mask`` block, or the
        next block of the pool's default mask.  Without a pool ``cidr`` is
        the VPC's literal CIDR and no pool is involved.

        Examples
        --------
        >>> from simkit.model.ipam import IpamModel
        >>> model = IpamModel()
        >>> legacy = model.create_vpc("netadmin", "vpc-legacy", "cn-hangzhou",
        ...                           cidr="10.1.0.0/16")
        >>> str(legacy.cidr), legacy.managed, legacy.allocations
        ('10.1.0.0/16', False, [])
        """
        if pool is None:
            if mask is not None:
                raise DomainError("MissingParam.Ipv4IpamPoolId", vpc=vpc, mask=mask)
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

        The pool is looked up first (``ResourceNotFound.IpamPool``), then the
        VPC: one that does not exist, is not the caller's or lies in another
        region is ``ResourceNotFound.Vpc``; then the caller must be allowed to
        draw from the pool (``Forbidden``).

        Examples
        --------
        >>> from simkit.model.ipam import IpamModel
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
        p = self._seen_pool(actor, pool)
        v = self._vpc(actor, vpc, region)
        self.access.check(actor, p, "associate_vpc_cidr_block")
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

    # -- discovery and auto import ------------------------------------------------------
    def unmanaged_cidrs(self, vpc: Vpc) -> list[Cidr]:
        """The CIDRs of ``vpc`` that no pool allocation holds (primary first).

        Examples
        --------
        >>> from simkit.model.ipam import IpamModel
        >>> model = IpamModel()
        >>> v = model.create_vpc("netadmin", "vpc-1", "cn-hangzhou", cidr="10.1.0.0/16")
        >>> model.unmanaged_cidrs(v)
        [Cidr.parse('10.1.0.0/16')]
        """
        linked = [self.allocations[a].cidr for a in vpc.allocations]
        if vpc.pool is not None:          # the primary's allocation comes first
            linked = linked[1:]
        out = [] if vpc.pool is not None else [vpc.cidr]
        for c in vpc.secondary:
            if c in linked:
                linked.remove(c)
            else:
                out.append(c)
        return out

    def adopt_vpc_cidr(self, pool: str, vpc: str, cidr: Cidr | str) -> Allocation:
        """Import the Unmanaged CIDR ``cidr`` of ``vpc`` into ``pool`` (auto import).

        The CIDR becomes a ``VPC`` allocation created by the pool's owner and
        linked to the VPC.  It must lie wholly in one provisioned CIDR of the
        pool and overlap no allocation (``OperationDenied.CidrUnavailableInPool``);
        the pool's allocation rules are not applied.  Raises before changing
        anything.
        """
        p = self.pools.get(pool)
        if p is None:
            raise DomainError("ResourceNotFound.IpamPool", f"the IPAM pool {pool} does not exist",
                              pool=pool)
        v = self.vpcs.get(vpc)
        if v is None:
            raise DomainError("ResourceNotFound.Vpc", vpc=vpc)
        c = parse_cidr(cidr)
        if c not in self.unmanaged_cidrs(v):
            raise UsageError(f"{c} is not an Unmanaged CIDR of VPC {vpc}: it cannot be imported")
        got = p.space.claim(c)
        a = self._record(p, got, "VPC", vpc, p.owner, v.region)
        if v.pool is None and c == v.cidr:
            v.pool = pool
            v.allocations.insert(0, a.id)
        else:
            v.allocations.append(a.id)
        return a

    def auto_import(self, discovers: Callable[[Ipam, Vpc], bool]) -> list[Allocation]:
        """Adopt every eligible Unmanaged CIDR into the pools with auto import on.

        A pool adopts CIDRs when its flag is on, it has a region and it lies
        in its IPAM's default private scope.  Eligible are the Unmanaged
        CIDRs of the VPCs its IPAM discovers (``discovers(ipam, vpc)``) in the
        pool's region that lie inside a free block of the pool.  Of
        overlapping candidates only the largest is adopted, of identical ones
        the one of the lowest VPC id.  Pools are served in creation order,
        and a CIDR is adopted once.

        Returns the new allocations, in the order they were made.

        Examples
        --------
        >>> from simkit.model.ipam import IpamModel
        >>> model = IpamModel()
        >>> _ = model.create_ipam("net", "ipam-1", "r1")
        >>> _ = model.create_pool("net", "ipam-1", "p", region="r1", cidrs=["10.0.0.0/16"])
        >>> _ = model.create_vpc("net", "big", "r1", cidr="10.0.0.0/20")
        >>> _ = model.create_vpc("net", "small", "r1", cidr="10.0.1.0/24")
        >>> _ = model.update_pool("net", "p", auto_import=True)
        >>> [(a.resource, str(a.cidr), a.type) for a in model.auto_import(lambda i, v: True)]
        [('big', '10.0.0.0/20', 'VPC')]
        >>> model.vpcs["big"].managed, model.vpcs["small"].managed
        (True, False)
        """
        pools = [p for p in self.pools.values()
                 if p.auto_import and p.region is not None and self.scopes[p.scope].default
                 and self.scopes[p.scope].kind == "private"]
        adopted: list[Allocation] = []
        for p in pools:
            ipam = self.ipams[p.ipam]
            free = p.space.free_blocks()
            starts = [b.value for b in free]
            candidates = []
            for v in self.vpcs.values():
                if v.region != p.region or not discovers(ipam, v):
                    continue
                for c in self.unmanaged_cidrs(v):
                    i = bisect_right(starts, c.value) - 1
                    if c.version == p.version and i >= 0 and c in free[i]:
                        candidates.append((c.value, c.prefixlen, v.id, c))
            candidates.sort()
            end = -1
            for start, _, vid, c in candidates:   # largest first at each start, then lowest id
                if start <= end:
                    continue
                end = c.last
                adopted.append(self.adopt_vpc_cidr(p.id, vid, c))
        return adopted

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
