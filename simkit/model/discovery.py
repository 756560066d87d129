"""Resource discovery: which IPAM sees which VPC, and the resource CIDRs it reports.

An IPAM discovers the VPCs in its operating regions that belong to its
owner and, when its owner is a member of the resource directory, those of
the other members (:func:`discovers`, docs/rules.md section 3).  :func:`resources` lists
every VPC CIDR (IPv4 primary, IPv6 block, then secondary) in each scope that
holds it: a pool's CIDR in its pool's scope, an Unmanaged CIDR in the default
private scope (IPv4) or public scope (IPv6) of every IPAM that discovers its
VPC.  :func:`resource_cidrs` adds the
overlap status, as ListIpamResourceCidrs reports it.  Overlaps are found by
one sweep over the blocks sorted by address (:func:`overlapping_pairs`),
never by comparing every pair.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ..values.addresses import Cidr
from .ipam import IpamModel
from .objects import Ipam, Vpc
from .org import Organisation

__all__ = ["collector_paused", "discovers", "overlapping_pairs", "resource_cidrs", "resources"]


def discovers(org: Organisation, ipam: Ipam, vpc: Vpc) -> bool:
    """Whether the resource discovery of ``ipam`` sees ``vpc`` (docs/rules.md section 3).

    An IPAM discovers the VPCs in its operating regions that belong to its
    owner and, when its owner is a member of the resource directory, those
    of the other members.
    """
    if vpc.region not in ipam.operating_regions:
        return False
    return vpc.owner == ipam.owner or (org.is_member(ipam.owner) and org.is_member(vpc.owner))


def resources(model: IpamModel, org: Organisation) -> list[dict[str, Any]]:
    """Every VPC CIDR (primary, then secondary) in each scope that holds it."""
    discovering: dict[tuple[str, str], list[str]] = {}
    rows = []
    for vpc in model.vpcs.values():
        if vpc.pool is not None and not vpc.secondary and vpc.ipv6_cidr is None:
            cidrs = [(vpc.cidr, model.allocations[vpc.allocations[0]])]   # the common case
        else:
            unmanaged = model.unmanaged_cidrs(vpc)
            linked = {model.allocations[a].cidr: model.allocations[a] for a in vpc.allocations}
            cidrs = []
            for cidr in vpc.cidrs:
                if cidr in unmanaged:
                    unmanaged.remove(cidr)
                    cidrs.append((cidr, None))
                else:
                    cidrs.append((cidr, linked[cidr]))
        for cidr, alloc in cidrs:
            if alloc is not None:
                pool = model.pools[alloc.pool]
                scopes = [pool.scope]
                ok = pool.min_mask <= cidr.prefixlen <= pool.max_mask
                status, compliance, pool_id = "Managed", ("Compliant" if ok
                                                          else "Noncompliant"), pool.id
            else:
                key = (vpc.owner, vpc.region, cidr.version)
                if key not in discovering:     # IPv4 in the private, IPv6 in the public scope
                    kind = "private" if cidr.version == 4 else "public"
                    discovering[key] = [
                        s for ipam in model.ipams.values() if discovers(org, ipam, vpc)
                        for s in ipam.scopes
                        if model.scopes[s].default and model.scopes[s].kind == kind]
                scopes = discovering[key]
                status, compliance, pool_id = "Unmanaged", "Unmanaged", None
            for scope in scopes:
                rows.append({"resource": vpc.id, "resource_type": "VPC", "owner": vpc.owner,
                             "region": vpc.region, "scope": scope, "cidr": cidr,
                             "pool": pool_id, "management_status": status,
                             "compliance_status": compliance})
    return rows


def overlapping_pairs(items: list[tuple[Any, Cidr, Any]],
                      across: Callable[[Any], Any] | None = None) -> list[tuple[Any, Any]]:
    """Pairs of overlapping items, by one sweep over blocks sorted by their start.

    ``items`` are ``(group, cidr, payload)`` triples; only items of one
    group (and one IP version) are compared.  With ``across``, a function
    of the payload, only pairs whose two values of it differ are given (a
    sweep per value keeps the others apart, so unwanted pairs are never
    formed).  Each pair ``(earlier, later)`` is given once, the earlier item
    starting first (or, at the same start, being the larger block).

    Two CIDRs overlap exactly when one contains the other, so the blocks
    still open at a start form a stack, each containing the next, and all of
    them contain the new block.  The cost is ``O(n log n)`` plus the pairs.

    Examples
    --------
    >>> from simkit.values.addresses import parse_cidr
    >>> items = [("s", parse_cidr(c), name) for c, name in
    ...          [("10.0.0.0/24", "b"), ("10.0.0.0/16", "a"), ("10.1.0.0/16", "c")]]
    >>> [(x[2], y[2]) for x, y in overlapping_pairs(items)]
    [('a', 'b')]
    >>> [(x[2], y[2]) for x, y in overlapping_pairs(items, across=lambda n: n == "b")]
    [('a', 'b')]
    >>> overlapping_pairs(items, across=lambda n: n in "ab")
    []
    """
    buckets: dict[tuple[str, int], list[int]] = {}
    for i, (group, cidr, _) in enumerate(items):
        buckets.setdefault((str(group), cidr.version), []).append(i)
    # integer sort keys and index stacks: no container per item, little work for the GC
    keys = [(cidr.value << 8) | cidr.prefixlen for _, cidr, _ in items]
    lasts = [cidr.last for _, cidr, _ in items]
    values = None if across is None else [across(payload) for _, _, payload in items]
    rank = [0] * len(items)
    pairs: list[tuple[Any, Any]] = []
    for bucket in sorted(buckets):
        order = sorted(buckets[bucket], key=keys.__getitem__)
        for position, i in enumerate(order):
            rank[i] = position
        stacks: dict[Any, list[int]] = {}
        for i in order:
            start = items[i][1].value
            mine = None if values is None else values[i]
            found: list[int] = []
            for value, stack in stacks.items():
                while stack and lasts[stack[-1]] < start:
                    stack.pop()
                if stack and (values is None or value != mine):
                    found.extend(stack)
            if found:
                if len(stacks) > 1:
                    found.sort(key=rank.__getitem__)
                item = items[i]
                pairs.extend((items[j], item) for j in found)
            stacks.setdefault(mine, []).append(i)
    return pairs


def resource_cidrs(model: IpamModel, org: Organisation, pool: str | None = None, *,
                   caller: str | None = None) -> list[dict[str, Any]]:
    """Resource CIDRs as ListIpamResourceCidrs reports them, as records.

    With ``pool``: the resources of that pool's scope that lie inside its
    provisioned CIDRs.  Else, with ``caller``: those of the scopes of the
    IPAMs ``caller`` owns (the call without a pool sees no other IPAM's).
    ``overlap_status`` is ``Overlapping`` when another resource's CIDR of
    the same scope overlaps, and ``overlapping`` lists those resources.
    """
    rows = resources(model, org)
    overlaps: dict[int, set[str]] = {}
    with collector_paused():
        pairs = overlapping_pairs([(r["scope"], r["cidr"], i) for i, r in enumerate(rows)])
    for (_, _, a), (_, _, b) in pairs:
        if rows[a]["resource"] != rows[b]["resource"]:
            overlaps.setdefault(a, set()).add(rows[b]["resource"])
            overlaps.setdefault(b, set()).add(rows[a]["resource"])
    space = None
    if pool is not None:
        p = model.pools[pool]
        space = (p.scope, p.space.provisioned())
    owned = None if pool is not None or caller is None else {
        sc.id for sc in model.scopes.values() if model.ipams[sc.ipam].owner == caller}
    out = []
    for i, r in enumerate(rows):
        if space is not None and (r["scope"] != space[0]
                                  or not any(r["cidr"] in c for c in space[1])):
            continue
        if owned is not None and r["scope"] not in owned:
            continue
        others = sorted(overlaps.get(i, ()))
        out.append({**r, "cidr": str(r["cidr"]),
                    "overlap_status": "Overlapping" if others else "Nonoverlapping",
                    "overlapping": ", ".join(others)})
    return out


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (restored on exit).

    The sweeps make no reference cycles, and every temporary they make is
    freed by reference counting; but with a large model alive, the
    collector's full passes over it, triggered by those temporaries, would
    cost more than the sweeps themselves.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
