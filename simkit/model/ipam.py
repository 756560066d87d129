"""The IPAM model: IPAMs, scopes, pools, provisioned CIDRs, allocations and VPCs.

:class:`IpamModel` holds every IPAM object of a simulation and applies the
cloud's rules (docs/rules.md sections 2, 5 and 6) to each request.  Who may do
what is not decided here: every pool request names its action (one of
:data:`simkit.model.permissions.ACTIONS`, the rows of the permission matrix)
and asks an :class:`Access` policy first.  The default
policy, :class:`OwnerAccess`, lets only a pool's owner see it; the sharing
layer supplies a policy that adds what resource shares grant.

A pool request is checked in the documented order, and the first failure is
its error: the caller sees the pool (``ResourceNotFound.*``), may do the
action (``Forbidden``), the parameters are well formed, the region fits, the
pool's allocation rules allow the mask, the quotas allow it, and the space
is free.  Every method validates before it changes anything, so a failed
request leaves the model exactly as it was (``fingerprint()`` is unchanged).

Examples
--------
>>> model = IpamModel()
>>> _ = model.create_ipam("netadmin", "ipam-main", "cn-hangzhou")
>>> _ = model.create_pool("netadmin", "ipam-main", "corp", cidrs=["10.0.0.0/8"])
>>> hz = model.create_pool("netadmin", "ipam-main", "hz", source="corp",
...                        region="cn-hangzhou", masks=[20], default_mask=26)
>>> model.list_pool_cidrs("netadmin", "hz")
[Cidr.parse('10.0.0.0/20')]
>>> vpc = model.create_vpc("netadmin", "vpc-shop", "cn-hangzhou", pool="hz")
>>> str(vpc.cidr), vpc.managed
('10.0.0.0/26', True)
>>> model.utilisation("hz")["utilisation"]
0.015625
>>> model.create_vpc("netadmin", "vpc-2", "cn-shanghai", pool="hz")
Traceback (most recent call last):
...
simkit.DomainError: OperationDenied.RequestRegionInvalid: the request region cn-shanghai ...
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import fields, replace
from typing import Any, Protocol

from ..values.addresses import WIDTH, Cidr, check_mask, parse_cidr
from ..values.addresses import ip_version as version_of
from ..values.allocator import STRATEGIES, AddressSpace
from ..values.errors import DomainError, UsageError
from ..values.quotas import Quotas
from ..values.records import new_record
from .objects import ALLOCATION_TYPES, ISPS, Allocation, Ipam, Pool, Scope, Vpc
from .permissions import ACTIONS
from .saved_model import SavedModel
from .vpcs import VpcRequests

__all__ = [
    "Access",
    "Allocation",
    "Ipam",
    "IpamModel",
    "OwnerAccess",
    "Pool",
    "Scope",
    "Vpc",
]

_UNCHANGED: Any = ...

#: The simulated cloud's IPv6 space (documentation space, docs/rules.md section 9): each (region,
#: ISP line) gets the next /40 of it the first time a public top-level pool draws there.
IPV6_CLOUD_SPACE = parse_cidr("2001:db8::/32")
IPV6_RANGE_MASK = 40


# -- access policy ---------------------------------------------------------------------
class Access(Protocol):
    """Who may see a pool and do an action on it."""

    def check(self, actor: str, pool: Pool, action: str, *,
              allocation: Allocation | None = None) -> None:
        """Raise ResourceNotFound.IpamPool when actor cannot see pool,
        Forbidden when it sees it but the action is not granted."""

    def can_see(self, actor: str, pool: Pool) -> bool:
        """True when ``actor`` sees ``pool``."""

    def shares_of(self, pool: Pool) -> list[str]:
        """Ids of the active resource shares that hold pool."""


class OwnerAccess:
    """The policy without sharing: a pool's owner sees it and does anything; nobody else.

    Examples
    --------
    >>> model = IpamModel()
    >>> _ = model.create_ipam("netadmin", "ipam-main", "cn-hangzhou")
    >>> _ = model.create_pool("netadmin", "ipam-main", "corp")
    >>> [p.id for p in model.list_pools("netadmin")], model.list_pools("shop")
    (['corp'], [])
    """

    def check(self, actor: str, pool: Pool, action: str, *,
              allocation: Allocation | None = None) -> None:
        if action not in ACTIONS:
            raise UsageError(f"unknown action {action!r}; known actions: {', '.join(ACTIONS)}")
        if actor != pool.owner:
            raise DomainError("ResourceNotFound.IpamPool", pool=pool.id, actor=actor)

    def can_see(self, actor: str, pool: Pool) -> bool:
        return actor == pool.owner

    def shares_of(self, pool: Pool) -> list[str]:
        return []


# -- the model ---------------------------------------------------------------------------
class IpamModel(VpcRequests, SavedModel):
    """Every IPAM object of one simulation, and the rules requests follow.

    Parameters
    ----------
    quotas : the quotas in force (default: the documented defaults).
    rng : the simulation's generator, used by pools with the ``random`` strategy.
    clock : returns the current time, recorded as ``created_at``.
    access : the access policy (default :class:`OwnerAccess`).

    Attributes
    ----------
    ipams, scopes, pools, vpcs, allocations : dicts keyed by id, in creation order.

    Examples
    --------
    >>> model = IpamModel()
    >>> _ = model.create_ipam("netadmin", "ipam-main", "cn-hangzhou")
    >>> _ = model.create_pool("netadmin", "ipam-main", "corp", cidrs=["10.0.0.0/16"],
    ...                       min_mask=20, max_mask=28)
    >>> a = model.create_allocation("netadmin", "corp", mask=24, name="lab")
    >>> a.id, str(a.cidr), a.type
    ('lab', '10.0.0.0/24', 'Custom')
    >>> model.create_allocation("netadmin", "corp", mask=16)
    Traceback (most recent call last):
    ...
    simkit.DomainError: OperationDenied.MaskOfCidrIsNotAllowed: the mask /16 is outside ...
    """

    def __init__(self, quotas: Quotas | None = None, *, rng: random.Random | None = None,
                 clock: Callable[[], object] = lambda: 0,
                 access: Access | None = None) -> None:
        self.quotas = quotas if quotas is not None else Quotas()
        self.rng = rng
        self.clock = clock
        self.access: Access = access if access is not None else OwnerAccess()
        self.ipams: dict[str, Ipam] = {}
        self.scopes: dict[str, Scope] = {}
        self.pools: dict[str, Pool] = {}
        self.vpcs: dict[str, Vpc] = {}
        self.allocations: dict[str, Allocation] = {}
        self._counter = 0
        # derived: pool id -> {cidr: allocation id}, and IPs per allocation type
        self._index: dict[str, dict[Cidr, str]] = {}
        self._typed_ips: dict[str, dict[str, int]] = {}
        # the default cloud IPv6 ranges carved so far, in order of first use
        self._ipv6_ranges: dict[tuple[str, str], Cidr] = {}
        # derived: pool id -> its place in creation order (the order of ``pools``)
        self._rank: dict[str, int] = {}
        # derived: the VPCs that may hold Unmanaged CIDRs, by region (see vpcs.py)
        self._unmanaged: dict[str, dict[str, None]] = {}

    # -- IPAMs and scopes ------------------------------------------------------------
    def create_ipam(self, actor: str, ipam: str, region: str,
                    operating_regions: Iterable[str] = (),
                    scopes: Iterable[str] = (),
                    ipv6_ranges: Iterable[tuple[str, str, Cidr | str]] = ()) -> Ipam:
        """Create an IPAM owned by ``actor`` with its two default scopes.

        The default scopes are ``<ipam>-private`` (IPv4) and ``<ipam>-public``
        (IPv6); ``scopes`` adds custom private IPv4 scopes.  The home region
        is always an operating region.  ``ipv6_ranges`` ``(region, isp, cidr)``
        replaces the simulated cloud IPv6 space for this IPAM's public
        top-level pools (see :meth:`ipv6_range`).
        """
        regions = tuple(dict.fromkeys([region, *_items("operating_regions", operating_regions)]))
        custom = _items("scopes", scopes)
        ranges = _ipv6_ranges(ipam, regions, _items("ipv6_ranges", ipv6_ranges))
        scope_ids = [f"{ipam}-private", f"{ipam}-public", *custom]
        if ipam in self.ipams:
            raise DomainError("OperationDenied.ResourceExist", kind="IPAM", id=ipam)
        for sid in scope_ids:
            if sid in self.scopes or scope_ids.count(sid) > 1:
                raise DomainError("OperationDenied.ResourceExist", kind="scope", id=sid)
        owned_here = sum(1 for i in self.ipams.values() if i.owner == actor and i.region == region)
        self.quotas.check("ipams_per_region", owned_here,
                          subject=f"account {actor} in region {region}")
        self.quotas.check("scopes_per_ipam", 0, adding=len(scope_ids), subject=f"IPAM {ipam}")
        new = Ipam(ipam, actor, region, regions, scope_ids, ranges)
        self.ipams[ipam] = new
        self.scopes[scope_ids[0]] = Scope(scope_ids[0], ipam, "private", 4, True)
        self.scopes[scope_ids[1]] = Scope(scope_ids[1], ipam, "public", 6, True)
        for sid in custom:
            self.scopes[sid] = Scope(sid, ipam, "private", 4, False)
        return new

    def create_scope(self, actor: str, ipam: str, scope: str) -> Scope:
        """Add a custom private IPv4 scope to an IPAM of ``actor``."""
        home = self._ipam(actor, ipam)
        if scope in self.scopes:
            raise DomainError("OperationDenied.ResourceExist", kind="scope", id=scope)
        self.quotas.check("scopes_per_ipam", len(home.scopes), subject=f"IPAM {ipam}")
        new = Scope(scope, ipam, "private", 4, False)
        self.scopes[scope] = new
        home.scopes.append(scope)
        return new

    def delete_scope(self, actor: str, scope: str) -> None:
        """Delete a custom scope that holds no pool."""
        sc = self._scope(actor, scope)
        if sc.default:
            raise DomainError("OperationDenied.DeleteDefaultScope", scope=scope)
        held = [p.id for p in self.pools.values() if p.scope == scope]
        if held:
            raise DomainError("DependencyViolation.IpamPool",
                              f"scope {scope} still holds the pools {', '.join(held)}",
                              scope=scope, pool=held[0], pools=held)
        del self.scopes[scope]
        self.ipams[sc.ipam].scopes.remove(scope)

    # -- pools -----------------------------------------------------------------------
    def create_pool(self, actor: str, ipam: str, pool: str, *, source: str | None = None,
                    scope: str | None = None, region: str | None = None,
                    min_mask: int | None = None, max_mask: int | None = None,
                    default_mask: int | None = None, auto_import: bool = False,
                    strategy: str = "first", name: str | None = None,
                    description: str | None = None, cidrs: Iterable[Cidr | str] = (),
                    masks: Iterable[int] = (), ip_version: str | int | None = None,
                    isp: str | None = None) -> Pool:
        """Create a pool, then provision ``cidrs`` and ``masks`` as :meth:`add_pool_cidr` would.

        A pool without ``source`` is a top-level pool of ``scope`` (default:
        the IPAM's default private scope, or its public scope for
        ``ip_version="IPv6"``; ``"public"`` names the IPAM's public scope);
        with ``source`` it is a child pool in its source's IPAM and scope, and
        inherits the source's region and ISP line when the source has them.
        A pool's IP version is its scope's: private scopes hold IPv4, the
        public scope IPv6 (``OperationDenied.IpVersionNotInScope``).  A public
        top-level IPv6 pool needs a region, has an ISP line ``isp`` (default
        ``BGP``), is provisioned by mask from the cloud's range
        (:meth:`ipv6_range`), or holds the blocks ``cidrs`` declares.  All or
        nothing: if any CIDR cannot be provisioned, the pool is not created
        and nothing changes.

        Examples
        --------
        >>> model = IpamModel()
        >>> _ = model.create_ipam("netadmin", "ipam-main", "cn-hangzhou")
        >>> _ = model.create_pool("netadmin", "ipam-main", "corp", cidrs=["10.0.0.0/16"])
        >>> model.create_pool("netadmin", "ipam-main", "hz", source="corp",
        ...                   masks=[17, 17, 17])
        Traceback (most recent call last):
        ...
        simkit.DomainError: OperationDenied.AvailableCidrInsufficient: pool corp has no ...
        >>> sorted(model.pools), model.list_pool_allocations("netadmin", "corp")
        (['corp'], [])
        """
        src = self._pool(actor, source, "create_ipam_pool") if source is not None else None
        home = self._ipam(actor, ipam)
        if src is not None and src.ipam != ipam:
            raise DomainError("ResourceNotFound.IpamPool",
                              f"the source pool {source} is not a pool of IPAM {ipam}",
                              pool=source, ipam=ipam, actor=actor)
        want = None if ip_version is None else version_of(ip_version)
        if src is None:
            if scope is None:
                scope = home.scopes[1] if want == 6 else home.scopes[0]
            elif scope == "public":
                scope = home.scopes[1]
            sc = self._scope(actor, scope, ipam=ipam)
        else:
            if scope is not None and scope != src.scope:
                self._scope(actor, scope, ipam=ipam)
                raise DomainError("OperationDenied.ScopeMismatch", scope=scope,
                                  source=src.id, source_scope=src.scope)
            sc = self.scopes[src.scope]
        # parameters
        if pool in self.pools:
            raise DomainError("OperationDenied.ResourceExist", kind="pool", id=pool)
        if strategy not in STRATEGIES:
            raise UsageError(f"unknown allocation strategy {strategy!r}; "
                             f"choose one of {', '.join(STRATEGIES)}")
        if want is not None and want != sc.version:
            raise DomainError("OperationDenied.IpVersionNotInScope", scope=sc.id,
                              scope_version=sc.version, pool=pool, version=want)
        isp = self._isp(pool, sc.version, src, isp)
        public_top = src is None and sc.kind == "public"
        lo, hi, default = self._rules(pool, sc.version, min_mask, max_mask, default_mask)
        by_mask_only = src is None and not public_top
        requests = [self._request(pool, sc.version, c, None, None, top=src is None)
                    for c in _items("cidrs", cidrs)]
        requests += [self._request(pool, sc.version, None, m, None, top=by_mask_only)
                     for m in _items("masks", masks)]
        # region
        if src is not None and src.region is not None:
            if region is not None and region != src.region:
                raise DomainError("OperationDenied.RegionMismatch", region=region,
                                  source_region=src.region, pool=pool, source=src.id)
            region = src.region
        if region is not None and region not in home.operating_regions:
            raise DomainError("OperationDenied.RegionNotOperating", region=region, ipam=ipam)
        if auto_import and region is None:
            raise DomainError("OperationDenied.AutoImportNeedsRegion", pool=pool)
        if public_top and region is None:
            raise DomainError("MissingParam.PoolRegionId", pool=pool)
        # allocation rules: its own, then the source's for what it takes from the source
        if default is not None and not lo <= default <= hi:
            raise DomainError("OperationDenied.MaskOfCidrIsNotAllowed", mask=default, pool=pool,
                              min_mask=lo, max_mask=hi)
        if src is not None:
            for _, m in requests:
                self._check_rules(src, m)
        # quotas
        if src is not None:
            self.quotas.check("pool_depth", src.depth, subject=f"pool {pool}")
            self.quotas.check("child_pools_per_pool", len(src.children),
                              subject=f"pool {src.id}")
        in_scope = sum(1 for p in self.pools.values() if p.scope == sc.id)
        self.quotas.check("pools_per_scope", in_scope, subject=f"scope {sc.id}")
        if public_top:
            alike = sum(1 for p in self.pools.values() if p.scope == sc.id and p.source is None
                        and p.region == region and p.isp == isp)
            self.quotas.check("public_ipv6_top_pools_per_region_isp", alike,
                              subject=f"IPAM {ipam} in region {region} on ISP line {isp}")
        if requests:
            self.quotas.check(_cidr_quota(public_top), 0, adding=len(requests),
                              subject=f"pool {pool}")
        # space, on a copy of the source's space
        new = Pool(pool, ipam, sc.id, home.owner, source, region, sc.version,
                   1 if src is None else src.depth + 1, lo, hi, default, auto_import, strategy,
                   name, description, AddressSpace(sc.version, name=pool, rng=self.rng),
                   created_at=self.clock(), isp=isp)
        work = src.space.copy() if src is not None and requests else None
        # a random-strategy source draws from the shared generator: a refusal puts it back
        drawn = self.rng.getstate() if self.rng is not None and requests else None
        carved = dict(self._ipv6_ranges)
        try:
            taken = [self._provision(new, src, work, c, m) for c, m in requests]
        except DomainError:
            if drawn is not None:
                self.rng.setstate(drawn)
            self._ipv6_ranges = carved
            raise
        # commit
        self._add_pool(new)
        if src is not None:
            src.children.append(pool)
            if work is not None:
                src.space = work
            for c in taken:
                self._record(src, c, "IpamPool", pool, actor, region)
        return new

    def update_pool(self, actor: str, pool: str, *, name: str | None = None,
                    description: str | None = None, min_mask: int | None = _UNCHANGED,
                    max_mask: int | None = _UNCHANGED, default_mask: int | None = _UNCHANGED,
                    auto_import: bool | None = None) -> Pool:
        """Change a pool's name, description, allocation rules or auto import.

        A rule left out is unchanged; ``None`` resets it (min 0, max the
        address width, no default mask).  Each action the call touches is
        checked (``update_ipam_pool``, ``update_ipam_pool_rules``,
        ``update_ipam_pool_auto_import``).  Existing allocations are kept
        even when they break the new rules.

        Examples
        --------
        >>> model = IpamModel()
        >>> _ = model.create_ipam("netadmin", "ipam-main", "cn-hangzhou")
        >>> p = model.create_pool("netadmin", "ipam-main", "corp")
        >>> p = model.update_pool("netadmin", "corp", min_mask=16, default_mask=24)
        >>> p.min_mask, p.max_mask, p.default_mask
        (16, 32, 24)
        """
        touches_rules = any(v is not _UNCHANGED for v in (min_mask, max_mask, default_mask))
        actions = [a for a, touched in (
            ("update_ipam_pool", name is not None or description is not None),
            ("update_ipam_pool_rules", touches_rules),
            ("update_ipam_pool_auto_import", auto_import is not None),
        ) if touched] or ["update_ipam_pool"]
        p = self._pool(actor, pool, actions[0])
        for action in actions[1:]:
            self.access.check(actor, p, action)
        lo, hi, default = self._rules(
            pool, p.version,
            p.min_mask if min_mask is _UNCHANGED else min_mask,
            p.max_mask if max_mask is _UNCHANGED else max_mask,
            p.default_mask if default_mask is _UNCHANGED else default_mask)
        if default is not None and not lo <= default <= hi:
            raise DomainError("OperationDenied.MaskOfCidrIsNotAllowed", mask=default, pool=pool,
                              min_mask=lo, max_mask=hi)
        if auto_import and p.region is None:
            raise DomainError("OperationDenied.AutoImportNeedsRegion", pool=pool)
        if name is not None:
            p.name = name
        if description is not None:
            p.description = description
        p.min_mask, p.max_mask, p.default_mask = lo, hi, default
        if auto_import is not None:
            p.auto_import = auto_import
        return p

    def delete_pool(self, actor: str, pool: str) -> None:
        """Delete a pool that is not shared and holds no child, CIDR or custom allocation."""
        p = self._pool(actor, pool, "delete_ipam_pool")
        shares = self.access.shares_of(p)
        if shares:
            raise DomainError("DependencyViolation.ShareResource", pool=pool,
                              shares=", ".join(shares))
        if p.children:
            raise DomainError("DependencyViolation.IpamPool", pool=pool, children=list(p.children))
        if p.space.provisioned():
            raise DomainError("DependencyViolation.PoolCidr", pool=pool)
        # A custom allocation lies in a provisioned CIDR, so PoolCidr is met first;
        # the check stays so the documented order holds whatever the state.
        if self._typed_ips[pool]["Custom"]:
            raise DomainError("DependencyViolation.CustomPoolAllocation", pool=pool)
        del self.pools[pool]
        del self._index[pool]
        del self._typed_ips[pool]
        del self._rank[pool]
        if p.source is not None:
            self.pools[p.source].children.remove(pool)

    # -- provisioned CIDRs -------------------------------------------------------------
    def add_pool_cidr(self, actor: str, pool: str, *, cidr: Cidr | str | None = None,
                      mask: int | None = None) -> Cidr:
        """Provision a CIDR: explicit for a top-level pool; from the source for a child.

        A child's CIDR (``cidr``, or the source's next block of ``mask``
        chosen with the source's strategy) becomes an ``IpamPool``
        allocation of the source, so it must obey the source's rules.

        Examples
        --------
        >>> model = IpamModel()
        >>> _ = model.create_ipam("netadmin", "ipam-main", "cn-hangzhou")
        >>> _ = model.create_pool("netadmin", "ipam-main", "corp", cidrs=["10.0.0.0/8"])
        >>> _ = model.create_pool("netadmin", "ipam-main", "hz", source="corp")
        >>> model.add_pool_cidr("netadmin", "hz", mask=12)
        Cidr.parse('10.0.0.0/12')
        >>> [(a.type, a.resource) for a in model.list_pool_allocations("netadmin", "corp")]
        [('IpamPool', 'hz')]
        """
        p = self._pool(actor, pool, "add_ipam_pool_cidr")
        src = self.pools[p.source] if p.source is not None else None
        public_top = self._public_top(p)
        if public_top and cidr is not None:
            raise DomainError("OperationDenied.PublicTopLevelPoolByCidr", pool=pool, cidr=cidr)
        c, m = self._request(pool, p.version, cidr, mask, None,
                             top=src is None and not public_top)
        if src is not None:
            self._check_rules(src, m)
        self.quotas.check(_cidr_quota(public_top), len(p.space.provisioned()),
                          subject=f"pool {pool}")
        got = self._provision(p, src, src.space if src is not None else None, c, m)
        if src is not None:
            self._record(src, got, "IpamPool", pool, actor, p.region)
        return got

    def delete_pool_cidr(self, actor: str, pool: str, cidr: Cidr | str) -> None:
        """Deprovision a CIDR that holds no allocation; a child's CIDR returns to its source."""
        p = self._pool(actor, pool, "delete_ipam_pool_cidr")
        c = self._cidr(p, cidr)
        if c not in p.space.provisioned():
            raise DomainError("ResourceNotFound.IpamPoolCidr", cidr=c, pool=pool)
        inside = [self.allocations[self._index[pool][b]] for b in p.space.within(c)]
        for kind, code in (("IpamPool", "DependencyViolation.SubCidr"),
                           (None, "OperationDenied.IpamPoolAllocationExist")):
            held = [a for a in inside if kind is None or a.type == kind]
            if held:
                raise DomainError(code, cidr=c, pool=pool, allocations=[a.id for a in held])
        p.space.remove_cidr(c)
        if p.source is not None:
            src = self.pools[p.source]
            self._forget(self.allocations[self._index[src.id][c]])

    # -- custom allocations -------------------------------------------------------------
    def create_allocation(self, actor: str, pool: str, *, mask: int | None = None,
                          cidr: Cidr | str | None = None, name: str | None = None) -> Allocation:
        """Reserve a block of ``pool`` as a ``Custom`` allocation (id: ``name`` or ``alloc-N``)."""
        p = self._pool(actor, pool, "create_ipam_pool_allocation")
        c, m = self._request(pool, p.version, cidr, mask, p.default_mask)
        if name is not None and name in self.allocations:
            raise DomainError("OperationDenied.ResourceExist", kind="allocation", id=name)
        self._check_rules(p, m)
        got = self._take(p, c, m)
        return self._record(p, got, "Custom", name, actor, p.region, aid=name)

    def delete_allocation(self, actor: str, allocation: str) -> Allocation:
        """Release a ``VPC`` or ``Custom`` allocation, named by id or by its CIDR.

        By CIDR text (written exactly, as :func:`~simkit.values.addresses.parse_cidr`
        reads it), the candidates are the allocations with exactly that CIDR
        in a pool the actor sees.  The one released is a ``VPC`` or
        ``Custom`` allocation the actor may release (it made it, or it owns
        the pool); an ``IpamPool`` allocation (a child pool's block) is never
        chosen while such a one exists.  Among equals, the one in the deepest
        pool is taken, then the earliest created.

        An allocation the actor made in a pool it no longer sees (the share
        was deleted or the actor removed from it) is refused with
        ``ResourceNotFound.IpamPool``, as every request on that pool is: the
        allocation stays, the pool's owner can release it, and deleting the
        VPC releases a ``VPC`` allocation.  Any other allocation in a pool
        the actor does not see is ``ResourceNotFound.IpamPoolAllocation``.

        Releasing a VPC's allocation unlinks it: the VPC keeps its CIDR, and
        a VPC whose primary CIDR is released is no longer managed by a pool.

        Examples
        --------
        >>> model = IpamModel()
        >>> _ = model.create_ipam("netadmin", "ipam-main", "cn-hangzhou")
        >>> _ = model.create_pool("netadmin", "ipam-main", "hz", region="cn-hangzhou",
        ...                       cidrs=["10.0.0.0/16"])
        >>> _ = model.create_vpc("netadmin", "vpc-1", "cn-hangzhou", pool="hz", mask=24)
        >>> model.delete_allocation("netadmin", "10.0.0.0/24").resource
        'vpc-1'
        >>> model.vpcs["vpc-1"].managed, str(model.vpcs["vpc-1"].cidr)
        (False, '10.0.0.0/24')
        """
        a = self._find_allocation(actor, allocation)
        self.access.check(actor, self.pools[a.pool], "delete_ipam_pool_allocation",
                          allocation=a)
        if a.type not in ("VPC", "Custom"):
            raise DomainError("OperationDenied.ResourceTypeIsNotCustom", allocation=a.id,
                              type=a.type)
        self._forget(a)
        if a.type == "VPC":
            self._unlink_vpc(a)
        return a

    # -- queries ----------------------------------------------------------------------
    def next_available_cidr(self, actor: str, pool: str, mask: int) -> Cidr | None:
        """The block a ``/mask`` request would get now (None when none is free); no change."""
        p = self._pool(actor, pool, "get_ipam_pool_next_available_cidr")
        m = check_mask(mask, p.version)
        self._check_rules(p, m)
        return p.space.preview(m, p.strategy)

    def request_region(self, pool: str | None, region: str | None, actor: str) -> str:
        """The request region: given, else the pool's, else its IPAM's home region.

        For a pool that does not exist (the request will be refused with
        ``ResourceNotFound.IpamPool``), the caller's IPAM's home region.
        """
        if region is not None:
            return region
        p = self.pools.get(pool) if pool is not None else None
        if p is not None:
            return p.region or self.ipams[p.ipam].region
        for ipam in self.ipams.values():
            if ipam.owner == actor:
                return ipam.region
        return next(iter(self.ipams.values())).region if self.ipams else "default"

    def list_pools(self, actor: str) -> list[Pool]:
        """The pools ``actor`` sees and may list, in creation order."""
        out = []
        for p in self.pools.values():
            if not self.access.can_see(actor, p):
                continue
            try:
                self.access.check(actor, p, "list_ipam_pools")
            except DomainError:
                continue
            out.append(p)
        return out

    def list_pool_cidrs(self, actor: str, pool: str) -> list[Cidr]:
        """The provisioned CIDRs of ``pool``, in address order."""
        return self._pool(actor, pool, "list_ipam_pool_cidrs").space.provisioned()

    def list_pool_allocations(self, actor: str, pool: str) -> list[Allocation]:
        """The allocations of ``pool`` (every type), in address order."""
        p = self._pool(actor, pool, "list_ipam_pool_allocations")
        index = self._index[p.id]
        return [self.allocations[index[c]] for c in p.space.allocations()]

    def utilisation(self, pool: str) -> dict:
        """The figures of ``pool``: IPs provisioned, allocated (in total and by type), free.

        ``utilisation`` is allocated over provisioned IPs (0.0 when nothing
        is provisioned); ``largest_free_mask`` is None when nothing is free.
        """
        if pool not in self.pools:
            raise DomainError("ResourceNotFound.IpamPool", f"the IPAM pool {pool} does not exist",
                              pool=pool)
        space, typed = self.pools[pool].space, self._typed_ips[pool]
        return {
            "pool": pool,
            "provisioned_ips": space.provisioned_ips,
            "allocated_ips": space.allocated_ips,
            "allocated_vpc_ips": typed["VPC"],
            "allocated_custom_ips": typed["Custom"],
            "allocated_ipam_pool_ips": typed["IpamPool"],
            "free_ips": space.free_ips,
            "utilisation": space.utilisation,
            "largest_free_mask": space.largest_free_mask,
        }

    # -- copies and comparison ------------------------------------------------------------
    def copy(self) -> IpamModel:
        """An independent copy (same quotas, generator, clock and access policy)."""
        new = IpamModel(self.quotas, rng=self.rng, clock=self.clock, access=self.access)
        new.ipams = {k: replace(v, scopes=list(v.scopes)) for k, v in self.ipams.items()}
        new.scopes = {k: replace(v) for k, v in self.scopes.items()}
        new.pools = {k: replace(v, space=v.space.copy(), children=list(v.children))
                     for k, v in self.pools.items()}
        new.vpcs = {k: replace(v, allocations=list(v.allocations), secondary=list(v.secondary))
                    for k, v in self.vpcs.items()}
        new.allocations = dict(self.allocations)
        new._counter = self._counter
        new._index = {k: dict(v) for k, v in self._index.items()}
        new._typed_ips = {k: dict(v) for k, v in self._typed_ips.items()}
        new._ipv6_ranges = dict(self._ipv6_ranges)
        new._rank = dict(self._rank)
        new._unmanaged = {region: dict(ids) for region, ids in self._unmanaged.items()}
        return new

    def fingerprint(self) -> tuple:
        """A hashable value, equal for two models exactly when their states are equal."""
        return (
            self._counter,
            *(tuple((k, _freeze(v)) for k, v in table.items())
              for table in (self.ipams, self.scopes, self.pools, self.vpcs, self.allocations)),
            tuple(self._ipv6_ranges.items()),
        )

    # -- lookups (visibility) ----------------------------------------------------------
    def checked_pool(self, actor: str, pool: str, action: str) -> Pool:
        """The pool ``pool``, once ``actor`` may see it and do ``action`` on it.

        Raises ``ResourceNotFound.IpamPool`` or ``Forbidden`` as any request would.
        """
        return self._pool(actor, pool, action)

    def _pool(self, actor: str, pool: str, action: str) -> Pool:
        p = self.pools.get(pool)
        if p is None:
            raise DomainError("ResourceNotFound.IpamPool", pool=pool, actor=actor)
        self.access.check(actor, p, action)
        return p

    def _seen_pool(self, actor: str, pool: str) -> Pool:
        """The pool ``pool`` if ``actor`` sees it, else ``ResourceNotFound.IpamPool``.

        The action is not checked: the caller asks the policy once the other
        resources of its request are found.
        """
        p = self.pools.get(pool)
        if p is None or not self.access.can_see(actor, p):
            raise DomainError("ResourceNotFound.IpamPool", pool=pool, actor=actor)
        return p

    def _ipam(self, actor: str, ipam: str) -> Ipam:
        home = self.ipams.get(ipam)
        if home is None or home.owner != actor:
            raise DomainError("ResourceNotFound.Ipam", ipam=ipam, actor=actor)
        return home

    def _scope(self, actor: str, scope: str, *, ipam: str | None = None) -> Scope:
        sc = self.scopes.get(scope)
        if (sc is None or self.ipams[sc.ipam].owner != actor
                or (ipam is not None and sc.ipam != ipam)):
            raise DomainError("ResourceNotFound.IpamScope", scope=scope, actor=actor)
        return sc

    def _find_allocation(self, actor: str, allocation: str) -> Allocation:
        """The allocation a release by ``actor`` names: see :meth:`delete_allocation`."""
        found = self.allocations.get(allocation)
        if found is not None:
            if self.access.can_see(actor, self.pools[found.pool]):
                return found                      # by id, in a pool the actor sees
            candidates = [found]
        else:                                     # not an id: the CIDR text of some
            try:
                c = parse_cidr(allocation)
            except DomainError:
                c = None
            candidates = [self.allocations[self._index[p.id][c]] for p in self.pools.values()
                          if c is not None and c in self._index[p.id]]
        visible = [a for a in candidates if self.access.can_see(actor, self.pools[a.pool])]
        if not visible:
            own = [a for a in candidates if a.created_by == actor]
            if own:
                raise self._pool_lost(actor, own[0])
            raise DomainError("ResourceNotFound.IpamPoolAllocation",
                              f"the allocation {allocation} does not exist or is not in a pool "
                              f"{actor} sees", allocation=allocation, actor=actor)
        if len(visible) == 1:
            return visible[0]
        order = {aid: i for i, aid in enumerate(self.allocations)}

        def rank(a: Allocation) -> tuple:
            pool = self.pools[a.pool]
            releasable = a.created_by == actor or pool.owner == actor
            return (a.type == "IpamPool", not releasable, -pool.depth, order[a.id])

        return min(visible, key=rank)

    def _pool_lost(self, actor: str, a: Allocation) -> DomainError:
        """Why ``actor`` cannot release its own allocation ``a``: it no longer sees the pool.

        When a share ends, the allocations its principals made stay in the
        pool, under the pool owner's control; the principal, like any
        account that does not see the pool, gets ``ResourceNotFound.IpamPool``.
        The allocation exists and the principal made it, so the message says
        so rather than claiming it does not exist.
        """
        owner = self.pools[a.pool].owner
        also = f"; deleting the VPC {a.resource} releases it" if a.type == "VPC" else ""
        return DomainError(
            "ResourceNotFound.IpamPool",
            f"the allocation {a.id} that {actor} made is in the IPAM pool {a.pool}, which "
            f"{actor} no longer sees (no active resource share gives it the pool): the "
            f"allocation stays, and the pool's owner {owner} can release it{also}",
            pool=a.pool, actor=actor, allocation=a.id, owner=owner)

    # -- checks (parameters, region, rules) -------------------------------------------
    @staticmethod
    def _request(pool: str, version: int, cidr: Cidr | str | None, mask: int | None,
                 default: int | None, *, top: bool = False) -> tuple[Cidr | None, int]:
        """Parse a request's CIDR or mask: (the explicit CIDR or None, the mask)."""
        if cidr is not None and mask is not None:
            raise DomainError("InvalidParameter", value=str(cidr),
                              reason="give a CIDR or a mask, not both", pool=pool)
        if cidr is not None:
            c = parse_cidr(cidr)
            if c.version != version:
                raise DomainError("Mismatch.IpVersionAndIpamPoolIpVersion", cidr=c,
                                  version=c.version, pool=pool, pool_version=version)
            return c, c.prefixlen
        if mask is None:
            if top:
                raise DomainError("MissingParam.CidrOrCidrMask",
                                  f"pool {pool} is a top-level pool: give a CIDR", pool=pool)
            if default is None:
                raise DomainError("MissingParam.CidrOrCidrMask", pool=pool)
            mask = default
        m = check_mask(mask, version)
        if top:
            raise DomainError("OperationDenied.TopLevelPoolByMask", pool=pool, mask=m)
        return None, m

    @staticmethod
    def _rules(pool: str, version: int, lo: int | None, hi: int | None,
               default: int | None) -> tuple[int, int, int | None]:
        lo = 0 if lo is None else check_mask(lo, version)
        hi = WIDTH[version] if hi is None else check_mask(hi, version)
        default = None if default is None else check_mask(default, version)
        if lo > hi:
            raise DomainError("IllegalParam.CidrMask",
                              f"the minimum mask /{lo} of pool {pool} is longer than its "
                              f"maximum mask /{hi}", mask=lo, max_mask=hi, pool=pool)
        return lo, hi, default

    @staticmethod
    def _check_rules(p: Pool, mask: int) -> None:
        if not p.min_mask <= mask <= p.max_mask:
            raise DomainError("OperationDenied.MaskOfCidrIsNotAllowed", mask=mask, pool=p.id,
                              min_mask=p.min_mask, max_mask=p.max_mask)

    @staticmethod
    def _cidr(p: Pool, cidr: Cidr | str) -> Cidr:
        c = parse_cidr(cidr)
        if c.version != p.version:
            raise DomainError("Mismatch.IpVersionAndIpamPoolIpVersion", cidr=c,
                              version=c.version, pool=p.id, pool_version=p.version)
        return c

    # -- space and bookkeeping ------------------------------------------------------------
    def _provision(self, p: Pool, src: Pool | None, src_space: AddressSpace | None,
                   cidr: Cidr | None, mask: int) -> Cidr:
        """Provision into ``p.space``: checked against the scope (top-level) or taken from
        ``src_space`` (child).  Raises before changing anything."""
        if src is None:
            carved = cidr is None
            if carved:
                cidr = self._carve(p, mask)
            for other in self.pools.values():
                if other.scope != p.scope or other.source is not None or other.id == p.id:
                    continue
                for q in other.space.provisioned():
                    if q.overlaps(cidr):
                        raise DomainError("OperationDenied.CidrConflict", cidr=cidr, other=q,
                                          other_pool=other.id)
            got = p.space.add_cidr(cidr)
            if carved and not self.ipams[p.ipam].ipv6_ranges:
                self._ipv6_ranges.setdefault((p.region, p.isp), self._default_range(p))
            return got
        assert src_space is not None
        got = src_space.claim(cidr) if cidr is not None else src_space.allocate(mask, src.strategy)
        try:
            p.space.add_cidr(got)
        except DomainError:
            src_space.release(got)
            raise
        return got

    def ipv6_range(self, ipam: str, region: str, isp: str = "BGP") -> Cidr | None:
        """The cloud's IPv6 space the public top-level pools of ``ipam`` draw from there.

        The IPAM's declared ``ipv6_ranges`` when it has any (None where they
        name no range for this region and ISP line); else the simulated
        default: a /40 of 2001:db8::/32 per (region, ISP line), handed out in
        order of first use, the same for every IPAM.

        Examples
        --------
        >>> model = IpamModel()
        >>> _ = model.create_ipam("netadmin", "ipam-main", "cn-hangzhou", ["cn-shanghai"])
        >>> p = model.create_pool("netadmin", "ipam-main", "v6-sh", scope="public",
        ...                       region="cn-shanghai", masks=[48])
        >>> model.list_pool_cidrs("netadmin", "v6-sh")
        [Cidr.parse('2001:db8::/48')]
        >>> model.ipv6_range("ipam-main", "cn-shanghai"), model.ipv6_range("ipam-main", "x")
        (Cidr.parse('2001:db8::/40'), Cidr.parse('2001:db8:100::/40'))
        """
        home = self.ipams[ipam]
        if home.ipv6_ranges:
            return next((c for r, i, c in home.ipv6_ranges if (r, i) == (region, isp)), None)
        found = self._ipv6_ranges.get((region, isp))
        if found is not None:
            return found
        n = len(self._ipv6_ranges)
        if n >= 1 << (IPV6_RANGE_MASK - IPV6_CLOUD_SPACE.prefixlen):
            return None
        step = 1 << (128 - IPV6_RANGE_MASK)
        return Cidr(6, IPV6_CLOUD_SPACE.value + n * step, IPV6_RANGE_MASK)

    def _default_range(self, p: Pool) -> Cidr:
        found = self.ipv6_range(p.ipam, p.region or "", p.isp or "BGP")
        assert found is not None
        return found

    def _carve(self, p: Pool, mask: int) -> Cidr:
        """The block a public top-level pool gets by mask: the first free one of its range."""
        assert p.region is not None and p.isp is not None
        whole = self.ipv6_range(p.ipam, p.region, p.isp)
        if whole is None or mask < whole.prefixlen:
            raise DomainError("OperationDenied.AvailableCidrInsufficient",
                              f"the cloud has no IPv6 /{mask} block for region {p.region} on "
                              f"ISP line {p.isp} (range {whole or 'none'})", pool=p.id,
                              mask=mask)
        space = AddressSpace(6, name=p.id)
        space.add_cidr(whole)
        for other in [*self.pools.values(), p]:
            if not self._public_top(other):
                continue
            for q in other.space.provisioned():
                if whole in q:
                    raise space.insufficient(mask)
                if q in whole:
                    with suppress(DomainError):   # overlapping declared blocks: taken
                        space.claim(q)
        return space.allocate(mask)

    def _public_top(self, p: Pool) -> bool:
        return p.source is None and self.scopes[p.scope].kind == "public"

    @staticmethod
    def _isp(pool: str, version: int, src: Pool | None, isp: str | None) -> str | None:
        """The ISP line of a new pool: None for IPv4, the source's for a child, default BGP."""
        if version == 4:
            if isp is not None:
                raise DomainError("InvalidParameter", f"pool {pool} is IPv4: an ISP line "
                                  f"({isp!r}) is for IPv6 pools only", value=isp)
            return None
        if src is not None:
            if isp is not None and isp != src.isp:
                raise DomainError("InvalidParameter", f"pool {pool} takes the ISP line "
                                  f"{src.isp} of its source {src.id}, not {isp}", value=isp)
            return src.isp
        if isp is None:
            return ISPS[0]
        if isp not in ISPS:
            raise DomainError("InvalidParameter", f"{isp!r} is not an ISP line: choose one of "
                              f"{', '.join(ISPS)}", value=isp)
        return isp

    @staticmethod
    def _check_version(p: Pool, version: int) -> None:
        """``Mismatch.IpVersionAndIpamPoolIpVersion`` unless ``p`` is an IPv``version`` pool."""
        if p.version != version:
            raise DomainError("Mismatch.IpVersionAndIpamPoolIpVersion",
                              f"pool {p.id} is IPv{p.version}, but the request asks for an "
                              f"IPv{version} block", pool=p.id, version=version,
                              pool_version=p.version)

    @staticmethod
    def _take(p: Pool, cidr: Cidr | None, mask: int) -> Cidr:
        return p.space.claim(cidr) if cidr is not None else p.space.allocate(mask, p.strategy)

    def _add_pool(self, p: Pool) -> None:
        """Register a new pool, last in creation order, with empty indexes."""
        self.pools[p.id] = p
        self._index[p.id] = {}
        self._typed_ips[p.id] = dict.fromkeys(ALLOCATION_TYPES, 0)
        self._rank[p.id] = self._rank[next(reversed(self._rank))] + 1 if self._rank else 0

    def in_creation_order(self, pools: Iterable[str]) -> list[str]:
        """The pools of ``pools`` that exist, in creation order (the order of ``pools``).

        The cost grows with ``pools``, not with every pool of the model.

        Examples
        --------
        >>> model = IpamModel()
        >>> _ = model.create_ipam("netadmin", "ipam-main", "cn-hangzhou")
        >>> for pool in ("corp", "b", "a"):
        ...     _ = model.create_pool("netadmin", "ipam-main", pool)
        >>> model.in_creation_order({"a", "gone", "corp"})
        ['corp', 'a']
        """
        rank = self._rank
        return sorted((q for q in pools if q in rank), key=rank.__getitem__)

    def _record(self, p: Pool, cidr: Cidr, kind: str, resource: str | None, actor: str,
                region: str | None, *, aid: str | None = None) -> Allocation:
        """Register an allocation already taken in ``p.space``."""
        if aid is None:
            aid = self._new_id()
        a = new_record(Allocation, (aid, p.id, cidr, kind,
                                    resource if resource is not None else aid, actor,
                                    self.clock(), region))
        self.allocations[aid] = a
        self._index[p.id][cidr] = aid
        self._typed_ips[p.id][kind] += cidr.size
        return a

    def _forget(self, a: Allocation) -> None:
        """Release an allocation from its pool's space and drop its record."""
        self.pools[a.pool].space.release(a.cidr)
        del self.allocations[a.id]
        del self._index[a.pool][a.cidr]
        self._typed_ips[a.pool][a.type] -= a.cidr.size

    def _new_id(self) -> str:
        while True:
            self._counter += 1
            aid = f"alloc-{self._counter}"
            if aid not in self.allocations:
                return aid


def _cidr_quota(public_top: bool) -> str:
    return "cidrs_per_public_ipv6_top_pool" if public_top else "cidrs_per_pool"


def _ipv6_ranges(ipam: str, regions: tuple[str, ...],
                 ranges: list) -> tuple[tuple[str, str, Cidr], ...]:
    """Declared IPv6 ranges, checked: operating regions, known ISP lines, IPv6, once each."""
    out: list[tuple[str, str, Cidr]] = []
    for region, isp, cidr in ranges:
        c = parse_cidr(cidr)
        where = f"IPAM {ipam}: the IPv6 range {c} for {region} on {isp}"
        if c.version != 6:
            raise DomainError("InvalidParameter", f"{where} is not IPv6", value=str(c))
        if isp not in ISPS:
            raise DomainError("InvalidParameter", f"{where}: {isp!r} is not an ISP line "
                              f"({', '.join(ISPS)})", value=isp)
        if region not in regions:
            raise DomainError("OperationDenied.RegionNotOperating", region=region, ipam=ipam)
        if any((r, i) == (region, isp) for r, i, _ in out):
            raise DomainError("InvalidParameter", f"{where}: that region and ISP line already "
                              "have a range", value=str(c))
        out.append((region, isp, c))
    return tuple(out)


def _items(name: str, values: Iterable) -> list:
    """A list of ``values``; a lone string is a misuse (it would be read letter by letter)."""
    if isinstance(values, str):
        raise UsageError(f"{name} takes a list, not the string {values!r}: "
                         f"write [{values!r}]")
    return list(values)


def _freeze(value: object) -> object:
    """A hashable, comparable form of a record (lists as tuples, spaces by fingerprint)."""
    if isinstance(value, AddressSpace):
        return value.fingerprint()
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    if hasattr(value, "__dataclass_fields__"):
        return tuple((f.name, _freeze(getattr(value, f.name))) for f in fields(value))
    return value
