"""Frames built from a simulation: utilisation, allocations, resource CIDRs, conflicts.

Every frame is built here from the simulation's records, with snake_case
columns; an empty result is an empty frame with the same columns.

Resource discovery (simkit's reading of DOMAIN.md 3): an IPAM discovers the
VPCs in its operating regions that belong to its owner or to a member of the
resource directory. A VPC CIDR from a pool lies in that pool's scope; a
discovered Unmanaged VPC lies in the default private scope of each IPAM that
discovers it.

Examples
--------
>>> from simkit.engine import Simulation
>>> sim = Simulation(management_account="net")
>>> _ = sim.do("net", "create_ipam", ipam="i", region="r1")
>>> _ = sim.do("net", "create_ipam_pool", ipam="i", pool="p", region="r1",
...            cidrs=["10.0.0.0/24"])
>>> _ = sim.do("net", "create_vpc", vpc="v1", pool="p", mask=26)
>>> _ = sim.do("net", "create_vpc", vpc="v2", cidr="10.0.0.0/25")
>>> for row in conflicts(sim)[["kind", "a", "b", "overlap"]].itertuples(index=False):
...     print(*row)
overlap v2 v1 10.0.0.0/26
unmanaged_in_pool v2 p 10.0.0.0/25
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING, Any

from .addresses import Cidr

if TYPE_CHECKING:
    from .engine import Simulation

__all__ = ["UTILISATION_COLUMNS", "allocations", "conflicts", "pool_views", "resource_cidrs",
           "utilisation"]

UTILISATION_COLUMNS = ("pool", "ipam", "scope", "owner", "region", "source", "depth",
                       "provisioned_ips", "allocated_ips", "allocated_vpc_ips",
                       "allocated_custom_ips", "allocated_ipam_pool_ips", "free_ips",
                       "utilisation", "largest_free_mask", "free_blocks", "fragmentation")
ALLOCATION_COLUMNS = ("pool", "cidr", "type", "resource", "created_by", "pool_owner",
                      "created_at")
RESOURCE_COLUMNS = ("resource", "resource_type", "owner", "region", "scope", "cidr", "pool",
                    "management_status", "compliance_status", "overlap_status", "overlapping")
VIEW_COLUMNS = ("account", "pool", "owner", "relation", "shares")
CONFLICT_COLUMNS = ("kind", "scope", "a", "a_cidr", "b", "b_cidr", "overlap")


def _frame(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> Any:
    import pandas as pd

    return pd.DataFrame.from_records(rows, columns=list(columns))


def utilisation(sim: Simulation) -> Any:
    """One row per pool, in creation order."""
    rows = []
    for p in sim.model.pools.values():
        figures = sim.model.utilisation(p.id)
        free_blocks = p.space.free_blocks()
        largest = max((c.size for c in free_blocks), default=0)
        free = figures["free_ips"]
        rows.append({
            "pool": p.id, "ipam": p.ipam, "scope": p.scope, "owner": p.owner,
            "region": p.region, "source": p.source, "depth": p.depth,
            **{k: figures[k] for k in UTILISATION_COLUMNS[7:15]},
            "free_blocks": len(free_blocks),
            "fragmentation": 1 - largest / free if free else 0.0,
        })
    frame = _frame(rows, UTILISATION_COLUMNS)
    return frame.astype({"depth": "int64", "free_blocks": "int64", "utilisation": "float64",
                         "fragmentation": "float64", "largest_free_mask": "Int64"})


def allocations(sim: Simulation) -> Any:
    """One row per allocation of every pool."""
    model = sim.model
    rows = [{"pool": a.pool, "cidr": str(a.cidr), "type": a.type, "resource": a.resource,
             "created_by": a.created_by, "pool_owner": model.pools[a.pool].owner,
             "created_at": a.created_at} for a in model.allocations.values()]
    return _frame(rows, ALLOCATION_COLUMNS)


def pool_views(sim: Simulation, accounts: list[str] | None = None) -> Any:
    """The pools each account owns and the pools shared with it now.

    One row per (account, pool) with ``relation`` "owned" or "shared" and the
    active shares through which a shared pool is seen.
    """
    model, shares = sim.model, sim.shares
    if accounts is None:
        accounts = [*sim.org.members(), *sim.org.externals()]
    rows = []
    for account in accounts:
        for p in model.pools.values():
            if p.owner == account:
                rows.append({"account": account, "pool": p.id, "owner": p.owner,
                             "relation": "owned", "shares": ""})
        for pool in shares.pools_shared_with(account):
            rows.append({"account": account, "pool": pool, "owner": model.pools[pool].owner,
                         "relation": "shared",
                         "shares": ", ".join(_shares_reaching(sim, account, pool))})
    return _frame(rows, VIEW_COLUMNS)


def _shares_reaching(sim: Simulation, account: str, pool: str) -> list[str]:
    """The active shares holding ``pool`` whose principals reach ``account`` now."""
    out = []
    for share in sim.shares.all():
        if not share.active or pool not in share.resources:
            continue
        for principal in share.principals:
            if sim.org.covers(principal, account):
                invited = [i for i in sim.shares.invitations(account) if i.share == share.id]
                if sim.org.is_member(account) or any(i.status == "Accepted" for i in invited):
                    out.append(share.id)
                    break
    return out


def _discovering_scopes(sim: Simulation, owner: str, region: str) -> list[str]:
    scopes = []
    for ipam in sim.model.ipams.values():
        if region in ipam.operating_regions and (owner == ipam.owner
                                                 or sim.org.is_member(owner)):
            scopes.extend(s for s in ipam.scopes
                          if sim.model.scopes[s].default and sim.model.scopes[s].version == 4)
    return scopes


def _resources(sim: Simulation) -> list[dict[str, Any]]:
    """Every resource CIDR (VPC primary and secondary CIDRs) with its scope."""
    model = sim.model
    rows = []
    for vpc in model.vpcs.values():
        linked = {model.allocations[a].cidr: model.allocations[a] for a in vpc.allocations
                  if a in model.allocations}
        for cidr in [vpc.cidr, *vpc.secondary]:
            alloc = linked.get(cidr)
            if alloc is not None:
                pool = model.pools[alloc.pool]
                ok = pool.min_mask <= cidr.prefixlen <= pool.max_mask
                scopes = [pool.scope]
                status, compliance, pool_id = "Managed", ("Compliant" if ok
                                                          else "Noncompliant"), pool.id
            else:
                scopes = _discovering_scopes(sim, vpc.owner, vpc.region)
                status, compliance, pool_id = "Unmanaged", "Unmanaged", None
            for scope in scopes:
                rows.append({"resource": vpc.id, "resource_type": "VPC", "owner": vpc.owner,
                             "region": vpc.region, "scope": scope, "cidr": cidr,
                             "pool": pool_id, "management_status": status,
                             "compliance_status": compliance})
    return rows


def _overlapping_pairs(items: list[tuple[Any, Cidr, Any]]) -> list[tuple[Any, Any]]:
    """Pairs of overlapping items: a sweep over intervals sorted by start.

    ``items`` are (group, cidr, payload); only items of one group are compared.
    """
    pairs = []
    items = sorted(items, key=lambda t: (str(t[0]), t[1].version, t[1].value, -t[1].size))
    active: list[tuple[int, int, Any]] = []   # (last address, order, item)
    group = None
    for order, item in enumerate(items):
        key = (item[0], item[1].version)
        if key != group:
            active, group = [], key
        start = item[1].value
        while active and active[0][0] < start:
            heapq.heappop(active)
        pairs.extend((other, item) for _, _, other in sorted(active, key=lambda t: t[1]))
        heapq.heappush(active, (item[1].last, order, item))
    return pairs


def resource_cidrs(sim: Simulation, pool: str | None = None) -> list[dict[str, Any]]:
    """Resource CIDRs as ListIpamResourceCidrs reports them (of one pool when given)."""
    rows = _resources(sim)
    overlaps: dict[int, list[str]] = {i: [] for i in range(len(rows))}
    for (_, _, a), (_, _, b) in _overlapping_pairs([(r["scope"], r["cidr"], i)
                                                    for i, r in enumerate(rows)]):
        if rows[a]["resource"] != rows[b]["resource"]:
            overlaps[a].append(rows[b]["resource"])
            overlaps[b].append(rows[a]["resource"])
    out = []
    space = None
    if pool is not None:
        p = sim.model.pools[pool]
        space = (p.scope, p.space.provisioned())
    for i, r in enumerate(rows):
        if space is not None and (r["scope"] != space[0]
                                  or not any(r["cidr"] in c for c in space[1])):
            continue
        out.append({**r, "cidr": str(r["cidr"]),
                    "overlap_status": "Overlapping" if overlaps[i] else "Nonoverlapping",
                    "overlapping": ", ".join(sorted(set(overlaps[i])))})
    return out


def resource_cidrs_frame(sim: Simulation, pool: str | None = None) -> Any:
    return _frame(resource_cidrs(sim, pool), RESOURCE_COLUMNS)


def _overlap(a: Cidr, b: Cidr) -> str:
    # aligned blocks are nested or disjoint: the overlap is the smaller one
    return str(a if a.size <= b.size else b)


def conflicts(sim: Simulation) -> Any:
    """One row per conflict, each naming both sides and the overlapping CIDR.

    Kinds: ``overlap`` (resource CIDRs overlapping in one scope),
    ``unmanaged_in_pool`` (an Unmanaged VPC inside a pool's provisioned space),
    ``noncompliant`` (an allocation outside its pool's current rules),
    ``reserved`` (a resource or top-level pool CIDR over a reserved range,
    in any scope) and ``connected_scopes`` (overlaps between scopes the
    scenario declares connected).
    """
    rows: list[dict[str, Any]] = []
    resources = _resources(sim)
    pairs = _overlapping_pairs([(r["scope"], r["cidr"], r) for r in resources])
    for (scope, _, a), (_, _, b) in pairs:
        if a["resource"] == b["resource"]:
            continue
        rows.append({"kind": "overlap", "scope": scope, "a": a["resource"],
                     "a_cidr": str(a["cidr"]), "b": b["resource"], "b_cidr": str(b["cidr"]),
                     "overlap": _overlap(a["cidr"], b["cidr"])})
    # unmanaged VPCs inside provisioned space of a pool of their scope
    provisioned = [(p.scope, c, ("pool", p.id)) for p in sim.model.pools.values()
                   if p.source is None for c in p.space.provisioned()]
    unmanaged = [(r["scope"], r["cidr"], ("vpc", r)) for r in resources
                 if r["management_status"] == "Unmanaged"]
    for (scope, ca, a), (_, cb, b) in _overlapping_pairs(provisioned + unmanaged):
        if a[0] == b[0]:
            continue
        (pool_c, pool), (vpc_c, vpc) = ((ca, a), (cb, b)) if a[0] == "pool" else ((cb, b),
                                                                                  (ca, a))
        rows.append({"kind": "unmanaged_in_pool", "scope": scope, "a": vpc[1]["resource"],
                     "a_cidr": str(vpc_c), "b": pool[1], "b_cidr": str(pool_c),
                     "overlap": _overlap(ca, cb)})
    for r in resources:
        if r["compliance_status"] == "Noncompliant":
            p = sim.model.pools[r["pool"]]
            rows.append({"kind": "noncompliant", "scope": r["scope"], "a": r["resource"],
                         "a_cidr": str(r["cidr"]), "b": p.id,
                         "b_cidr": f"/{p.min_mask}-/{p.max_mask}", "overlap": ""})
    # reserved ranges, across all scopes
    if sim.reserved:
        items = [("*", c, ("reserved", name)) for name, c in sim.reserved]
        items += [("*", r["cidr"], ("vpc", r["resource"], r["scope"])) for r in resources]
        items += [("*", c, ("pool", pid, scope)) for scope, c, (_, pid) in provisioned]
        for (_, ca, a), (_, cb, b) in _overlapping_pairs(items):
            if (a[0] == "reserved") == (b[0] == "reserved"):
                continue
            (rc, res), (oc, other) = ((ca, a), (cb, b)) if a[0] == "reserved" else ((cb, b),
                                                                                     (ca, a))
            rows.append({"kind": "reserved", "scope": other[2], "a": other[1],
                         "a_cidr": str(oc), "b": res[1], "b_cidr": str(rc),
                         "overlap": _overlap(ca, cb)})
    for group in sim.connected_scopes:
        members = set(group)
        items = [("*", r["cidr"], r) for r in resources if r["scope"] in members]
        for (_, _, a), (_, _, b) in _overlapping_pairs(items):
            if a["scope"] == b["scope"] or a["resource"] == b["resource"]:
                continue
            rows.append({"kind": "connected_scopes", "scope": f"{a['scope']}+{b['scope']}",
                         "a": a["resource"], "a_cidr": str(a["cidr"]), "b": b["resource"],
                         "b_cidr": str(b["cidr"]), "overlap": _overlap(a["cidr"], b["cidr"])})
    return _frame(rows, CONFLICT_COLUMNS)
