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

import random
from bisect import bisect_right
from collections.abc import Callable
from typing import Any

from ..values.addresses import Cidr, parse_cidr
from ..values.addresses import ip_version as version_of
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
    rng: random.Random | None
    access: Any                     # the model's access policy (ipam.Access)
    # derived: region -> ids of the VPCs there that may hold Unmanaged CIDRs (every VPC
    # that does is listed; one that no longer does is dropped when next looked at)
    _unmanaged: dict[str, dict[str, None]]

    def create_vpc(self, actor: str, vpc: str, region: str, *, pool: str | None = None,
                   mask: int | None = None, cidr: Cidr | str | None = None,
                   ipv6_pool: str | None = None, ipv6_mask: int | None = None,
                   ipv6_cidr: Cidr | str | None = None) -> Vpc:
        """Create a VPC: from ``pool`` (a ``VPC`` allocation) or, without a pool, Unmanaged.

        From a pool the CIDR is ``cidr``, the next ``/mask`` block, or the
        next block of the pool's default mask.  Without a pool ``cidr`` is
        the VPC's literal CIDR and no pool is involved.  ``ipv6_pool`` (an
        IPv6 pool) gives the VPC an IPv6 block the same way, from
        ``ipv6_cidr``, ``ipv6_mask`` or the pool's default mask; with or
        without the IPv4 arguments, so one call makes a dual-stack VPC (or,
        with no IPv4 argument, an IPv6-only one).  Both blocks or neither:
        the IPv4 request is checked and taken, then the IPv6 one, and a
        refusal of either changes nothing.

        Examples
        --------
        >>> from simkit.model.ipam import IpamModel
        >>> model = IpamModel()
        >>> legacy = model.create_vpc("netadmin", "vpc-legacy", "cn-hangzhou",
        ...                           cidr="10.1.0.0/16")
        >>> str(legacy.cidr), legacy.managed, legacy.allocations
        ('10.1.0.0/16', False, [])
        >>> _ = model.create_ipam("netadmin", "ipam-main", "cn-hangzhou")
        >>> _ = model.create_pool("netadmin", "ipam-main", "hz", region="cn-hangzhou",
        ...                       cidrs=["10.0.0.0/16"])
        >>> _ = model.create_pool("netadmin", "ipam-main", "hz6", scope="public",
        ...                       region="cn-hangzhou", masks=[48])
        >>> v = model.create_vpc("netadmin", "vpc-ds", "cn-hangzhou", pool="hz", mask=24,
        ...                      ipv6_pool="hz6", ipv6_mask=56)
        >>> str(v.cidr), str(v.ipv6_cidr)
        ('10.0.0.0/24', '2001:db8::/56')
        >>> model.create_vpc("netadmin", "vpc-x", "cn-hangzhou", pool="hz6", mask=56)
        Traceback (most recent call last):
        ...
        simkit.DomainError: Mismatch.IpVersionAndIpamPoolIpVersion: pool hz6 is IPv6, but ...
        """
        if pool is None and mask is not None:
            raise DomainError("MissingParam.Ipv4IpamPoolId", vpc=vpc, mask=mask)
        if ipv6_pool is None and (ipv6_mask is not None or ipv6_cidr is not None):
            raise DomainError("MissingParam.Ipv6IpamPoolId", vpc=vpc)
        p = self._pool(actor, pool, "create_vpc") if pool is not None else None
        p6 = self._pool(actor, ipv6_pool, "create_vpc") if ipv6_pool is not None else None
        if vpc in self.vpcs:
            raise DomainError("OperationDenied.VpcExist", vpc=vpc)
        if p is None and p6 is None:
            if cidr is None:
                raise DomainError("MissingParam.CidrOrCidrMask",
                                  "a VPC without a pool needs a CIDR", vpc=vpc, pool=None)
            new = Vpc(vpc, actor, region, parse_cidr(cidr))
            self.vpcs[vpc] = new
            self._note_unmanaged(new)
            return new
        literal = parse_cidr(cidr) if p is None and cidr is not None else None
        wanted = []       # (pool, explicit CIDR or None, mask), IPv4 first
        for q, version, c, m in ((p, 4, cidr, mask), (p6, 6, ipv6_cidr, ipv6_mask)):
            if q is not None:
                self._check_version(q, version)
                wanted.append((q, *self._request(q.id, version, c, m, q.default_mask)))
        for q, _, _ in wanted:
            self._check_region(q, region)
        for q, _, m in wanted:
            self._check_rules(q, m)
        got = self._take_all(wanted)
        made = [self._record(q, g, "VPC", vpc, actor, region)
                for (q, _, _), g in zip(wanted, got, strict=True)]
        new = Vpc(vpc, actor, region, got[0] if p is not None else literal, pool,
                  [a.id for a in made])
        if p6 is not None:
            new.ipv6_cidr, new.ipv6_pool = got[-1], p6.id
        self.vpcs[vpc] = new
        if literal is not None:
            self._note_unmanaged(new)
        return new

    def associate_vpc_cidr_block(self, actor: str, vpc: str, region: str, *, pool: str,
                                 mask: int | None = None, cidr: Cidr | str | None = None,
                                 ip_version: str | int = "IPv4") -> Allocation:
        """Add a secondary CIDR from ``pool`` to a VPC of ``actor`` in ``region``.

        The pool is looked up first (``ResourceNotFound.IpamPool``), then the
        VPC: one that does not exist, is not the caller's or lies in another
        region is ``ResourceNotFound.Vpc``; then the caller must be allowed to
        draw from the pool (``Forbidden``).  ``ip_version`` (``IPv4`` or
        ``IPv6``) is the kind of block asked for; the pool must be of that
        version.  A VPC holds at most 5 secondary CIDRs of each version
        (quotas ``secondary_cidrs_per_vpc`` and ``secondary_ipv6_cidrs_per_vpc``).

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
        version = version_of(ip_version)
        self._check_version(p, version)
        c, m = self._request(pool, version, cidr, mask, p.default_mask)
        self._check_region(p, region)
        self._check_rules(p, m)
        held = sum(1 for s in v.secondary if s.version == version)
        self.quotas.check("secondary_cidrs_per_vpc" if version == 4
                          else "secondary_ipv6_cidrs_per_vpc", held, subject=f"VPC {vpc}")
        got = self._take(p, c, m)
        a = self._record(p, got, "VPC", vpc, actor, region)
        v.allocations.append(a.id)
        v.secondary.append(got)
        return a

    def _take_all(self, wanted: list[tuple[Pool, Cidr | None, int]]) -> list[Cidr]:
        """Take each block in turn; when one is refused, give back those taken before it."""
        got: list[Cidr] = []
        # only the random strategy draws from the generator (its state is 625 numbers)
        draws = self.rng is not None and any(c is None and q.strategy == "random"
                                              for q, c, _ in wanted)
        drawn = self.rng.getstate() if draws else None
        try:
            for q, c, m in wanted:
                got.append(self._take(q, c, m))
        except DomainError:
            for (q, _, _), g in zip(wanted, got, strict=False):
                q.space.release(g)
            if drawn is not None:
                self.rng.setstate(drawn)
            raise
        return got

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
        out = []
        for c, managed in ((vpc.cidr, vpc.pool is not None),
                           (vpc.ipv6_cidr, vpc.ipv6_pool is not None)):
            if c is None:
                continue
            if managed:                     # the primaries' allocations come first
                linked.remove(c)
            else:
                out.append(c)
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
        if not self._unmanaged:
            return []
        pools = [p for p in self.pools.values()
                 if p.auto_import and p.region is not None and self.scopes[p.scope].default
                 and self.scopes[p.scope].kind == "private"]
        adopted: list[Allocation] = []
        for p in pools:
            assert p.region is not None
            vpcs = self._unmanaged_in(p.region)
            if not vpcs:
                continue
            ipam = self.ipams[p.ipam]
            free = p.space.free_blocks()
            starts = [b.value for b in free]
            candidates = []
            for v in vpcs:
                if not discovers(ipam, v):
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

    def _note_unmanaged(self, v: Vpc) -> None:
        """List ``v`` among the VPCs of its region that may hold Unmanaged CIDRs."""
        self._unmanaged.setdefault(v.region, {})[v.id] = None

    def _unmanaged_in(self, region: str) -> list[Vpc]:
        """The VPCs of ``region`` that hold Unmanaged CIDRs, found from the index.

        The cost grows with the VPCs listed there, not with every VPC; those
        listed that no longer hold one (adopted, deleted) are dropped.
        """
        ids = self._unmanaged.get(region)
        if ids is None:
            return []
        found = []
        for vid in list(ids):
            v = self.vpcs.get(vid)
            if v is not None and v.region == region and self.unmanaged_cidrs(v):
                found.append(v)
            else:
                del ids[vid]
        if not ids:
            del self._unmanaged[region]
        return found

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
        elif (v.ipv6_pool is not None and a.pool == v.ipv6_pool and a.cidr == v.ipv6_cidr
              and v.allocations[1 if v.pool is not None else 0] == a.id):
            v.ipv6_pool = None
        v.allocations.remove(a.id)
        self._note_unmanaged(v)
