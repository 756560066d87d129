"""Frames built from a simulation: where the space goes and where it collides.

Every frame of a simulation is built here, in one place, from the records of
a :class:`~simkit.engine.Simulation`: snake_case columns in a fixed order
(the ``*_COLUMNS`` tuples), time and step as columns, and an empty result as
an empty frame with the same columns and dtypes.  :func:`frames` gives them
all, keyed by the name the ``simkit report`` command writes them under.

Resource discovery is the engine's (:meth:`~simkit.engine.Simulation.discovers`):
a VPC CIDR from a pool lies in that pool's scope; an Unmanaged one lies in
the default private scope (IPv4) or public scope (IPv6) of every IPAM that
discovers its VPC.

IP counts (every ``*_ips`` column) are exact Python ints in object columns,
for IPv4 and IPv6 pools alike: an IPv6 /56 holds 2**72 addresses, more than
an int64 column holds, and a float column would round it.

Conflicts are found by one sweep over intervals sorted by their first
address (:func:`overlapping_pairs`), never by comparing every pair, so the
cost grows with the number of CIDRs and of overlaps found.

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
>>> utilisation(sim)[["pool", "allocated_ips", "free_ips", "largest_free_mask"]].values.tolist()
[['p', 64, 192, 25]]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ..model import discovery
from ..model.discovery import collector_paused, overlapping_pairs
from ..values.addresses import Cidr

if TYPE_CHECKING:
    import pandas as pd

    from ..engine.simulation import Simulation

__all__ = [
    "ACCOUNT_COLUMNS",
    "ALLOCATION_COLUMNS",
    "CONFLICT_COLUMNS",
    "CONFLICT_KINDS",
    "FOLDER_COLUMNS",
    "PERMISSION_SUMMARY_COLUMNS",
    "RESOURCE_COLUMNS",
    "SCOPE_COLUMNS",
    "SERIES_COLUMNS",
    "THRESHOLDS",
    "THRESHOLD_COLUMNS",
    "UTILISATION_COLUMNS",
    "VIEW_COLUMNS",
    "account_utilisation",
    "allocations",
    "conflicts",
    "folder_utilisation",
    "FRAMES",
    "frames",
    "permission_audit",
    "permission_summary",
    "pool_views",
    "resource_cidrs",
    "resource_cidrs_frame",
    "scope_utilisation",
    "thresholds",
    "utilisation",
    "utilisation_series",
]

UTILISATION_COLUMNS = ("pool", "ipam", "scope", "owner", "region", "source", "depth",
                       "provisioned_ips", "allocated_ips", "allocated_vpc_ips",
                       "allocated_custom_ips", "allocated_ipam_pool_ips", "free_ips",
                       "utilisation", "largest_free_mask", "free_blocks", "fragmentation")
SCOPE_COLUMNS = ("scope", "ipam", "kind", "pools", "provisioned_ips", "allocated_ips",
                 "vpc_ips", "custom_ips", "free_ips", "utilisation")
_HOLDINGS = ("allocations", "vpc_ips", "custom_ips", "ipam_pool_ips", "allocated_ips",
             "pool_share")
ACCOUNT_COLUMNS = ("account", "folder", "pool", "pool_owner", "relation", *_HOLDINGS)
FOLDER_COLUMNS = ("folder", "depth", "pool", "pool_owner", "accounts", *_HOLDINGS)
SERIES_COLUMNS = ("time", "step", "pool", "provisioned_ips", "allocated_ips", "free_ips",
                  "utilisation")
ALLOCATION_COLUMNS = ("pool", "cidr", "type", "resource", "created_by", "pool_owner",
                      "created_at")
RESOURCE_COLUMNS = ("resource", "resource_type", "owner", "region", "scope", "cidr", "pool",
                    "management_status", "compliance_status", "overlap_status", "overlapping")
VIEW_COLUMNS = ("account", "pool", "owner", "relation", "shares")
PERMISSION_SUMMARY_COLUMNS = ("pool", "pool_owner", "shares", "principals", "not_visible")
CONFLICT_COLUMNS = ("kind", "scope", "a", "a_cidr", "b", "b_cidr", "overlap", "detail")
#: The kinds of conflict, in the order :func:`conflicts` lists them.
CONFLICT_KINDS = ("overlap", "unmanaged_in_pool", "noncompliant", "reserved",
                  "connected_scopes")

_INT = "int64"
#: IP counts are exact Python ints in object columns: an IPv6 /56 alone holds 2**72
#: addresses, past what an int64 column holds, and a float column would round them.
_IPS = object
_DTYPES: dict[tuple[str, ...], dict[str, str]] = {
    UTILISATION_COLUMNS: {"depth": _INT, "provisioned_ips": _IPS, "allocated_ips": _IPS,
                          "allocated_vpc_ips": _IPS, "allocated_custom_ips": _IPS,
                          "allocated_ipam_pool_ips": _IPS, "free_ips": _IPS,
                          "utilisation": "float64", "largest_free_mask": "Int64",
                          "free_blocks": _INT, "fragmentation": "float64"},
    SCOPE_COLUMNS: {"pools": _INT, "provisioned_ips": _IPS, "allocated_ips": _IPS,
                    "vpc_ips": _IPS, "custom_ips": _IPS, "free_ips": _IPS,
                    "utilisation": "float64"},
    ACCOUNT_COLUMNS: {"allocations": _INT, "vpc_ips": _IPS, "custom_ips": _IPS,
                      "ipam_pool_ips": _IPS, "allocated_ips": _IPS, "pool_share": "float64"},
    FOLDER_COLUMNS: {"depth": _INT, "accounts": _INT, "allocations": _INT, "vpc_ips": _IPS,
                     "custom_ips": _IPS, "ipam_pool_ips": _IPS, "allocated_ips": _IPS,
                     "pool_share": "float64"},
    SERIES_COLUMNS: {"step": "Int64", "provisioned_ips": _IPS, "allocated_ips": _IPS,
                     "free_ips": _IPS, "utilisation": "float64"},
    PERMISSION_SUMMARY_COLUMNS: {"principals": _INT, "not_visible": _INT},
}
_TIMES = {SERIES_COLUMNS: "time", ALLOCATION_COLUMNS: "created_at"}
_TIME = "datetime64[us, UTC]"


def _frame(rows: Iterable[dict[str, Any]], columns: tuple[str, ...]) -> pd.DataFrame:
    """The one place rows become a frame: fixed columns, fixed dtypes, also when empty."""
    import pandas as pd

    frame = pd.DataFrame.from_records(list(rows), columns=list(columns))
    time = _TIMES.get(columns)
    dtypes = _DTYPES.get(columns, {})
    frame = frame.astype({c: dtypes.get(c, object) for c in columns if c != time})
    if time is not None:
        frame[time] = pd.to_datetime(frame[time], utc=True).astype(_TIME)
    return frame


# -- utilisation -------------------------------------------------------------------------
def utilisation(sim: Simulation) -> pd.DataFrame:
    """One row per pool, in creation order (columns :data:`UTILISATION_COLUMNS`).

    ``free_blocks`` counts the maximal aligned free blocks and
    ``fragmentation`` is ``1 - largest free block / free IPs`` (0.0 when
    the free space is one block, or when nothing is free).
    """
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
    return _frame(rows, UTILISATION_COLUMNS)


def scope_utilisation(sim: Simulation) -> pd.DataFrame:
    """One row per scope of every IPAM (columns :data:`SCOPE_COLUMNS`).

    ``provisioned_ips`` and ``allocated_ips`` add up the scope's top-level
    pools (a child pool's space is an allocation of its source, so nothing
    is counted twice); ``vpc_ips`` and ``custom_ips`` add up the ``VPC`` and
    ``Custom`` allocations of every pool of the scope.
    """
    model = sim.model
    rows = {s.id: {"scope": s.id, "ipam": s.ipam, "kind": s.kind, "pools": 0,
                   "provisioned_ips": 0, "allocated_ips": 0, "vpc_ips": 0, "custom_ips": 0}
            for s in model.scopes.values()}
    for p in model.pools.values():
        row = rows[p.scope]
        figures = model.utilisation(p.id)
        row["pools"] += 1
        row["vpc_ips"] += figures["allocated_vpc_ips"]
        row["custom_ips"] += figures["allocated_custom_ips"]
        if p.source is None:
            row["provisioned_ips"] += figures["provisioned_ips"]
            row["allocated_ips"] += figures["allocated_ips"]
    for row in rows.values():
        row["free_ips"] = row["provisioned_ips"] - row["allocated_ips"]
        row["utilisation"] = (row["allocated_ips"] / row["provisioned_ips"]
                              if row["provisioned_ips"] else 0.0)
    return _frame(rows.values(), SCOPE_COLUMNS)


def _holder(sim: Simulation, a: Any) -> str:
    """Who holds an allocation: a VPC's owner, else whoever created it."""
    if a.type == "VPC":
        vpc = sim.model.vpcs.get(a.resource)
        if vpc is not None:
            return vpc.owner
    return a.created_by


def _folder(sim: Simulation, account: str) -> str | None:
    return sim.org.folder_of(account) if sim.org.is_member(account) else None


def _holdings(sim: Simulation) -> dict[tuple[str, str], dict[str, int]]:
    """(account, pool) -> counts and IPs by type of the allocations the account holds."""
    out: dict[tuple[str, str], dict[str, int]] = {}
    key_of = {"VPC": "vpc_ips", "Custom": "custom_ips", "IpamPool": "ipam_pool_ips"}
    for a in sim.model.allocations.values():
        held = out.setdefault((_holder(sim, a), a.pool), dict.fromkeys(_HOLDINGS[:5], 0))
        held["allocations"] += 1
        held[key_of[a.type]] += a.cidr.size
        held["allocated_ips"] += a.cidr.size
    return out


def account_utilisation(sim: Simulation) -> pd.DataFrame:
    """What each account holds from each pool (columns :data:`ACCOUNT_COLUMNS`).

    One row per account and pool that the account owns (``relation``
    ``owner``), sees through an active share (``principal``), or holds
    allocations in without either (``none``: a share ended, allocations
    stay).  The holder of a ``VPC`` allocation is the VPC's owner, of the
    others the account that made it.  ``pool_share`` is the held IPs over
    the pool's provisioned IPs.  Rows are sorted by account, then pool in
    creation order.
    """
    model = sim.model
    order = {pid: i for i, pid in enumerate(model.pools)}
    held = _holdings(sim)
    pairs: dict[tuple[str, str], str] = {}
    for account, seen in _seen_by(sim).items():
        for pid in seen:
            pairs[(account, pid)] = "principal"
    for p in model.pools.values():
        pairs[(p.owner, p.id)] = "owner"
    for key in held:
        pairs.setdefault(key, "none")
    rows = []
    for account, pid in sorted(pairs, key=lambda k: (k[0], order[k[1]])):
        figures = held.get((account, pid), dict.fromkeys(_HOLDINGS[:5], 0))
        provisioned = model.pools[pid].space.provisioned_ips
        rows.append({"account": account, "folder": _folder(sim, account), "pool": pid,
                     "pool_owner": model.pools[pid].owner,
                     "relation": pairs[(account, pid)], **figures,
                     "pool_share": figures["allocated_ips"] / provisioned if provisioned
                     else 0.0})
    return _frame(rows, ACCOUNT_COLUMNS)


def folder_utilisation(sim: Simulation) -> pd.DataFrame:
    """What the accounts of each folder hold from each pool (columns :data:`FOLDER_COLUMNS`).

    A folder counts its member accounts and those of its sub-folders (Root
    counts every member), so a row of ``Business`` includes
    ``Business/Retail``.  One row per folder and pool where something is
    held; ``accounts`` is the number of accounts holding something there.
    External accounts belong to no folder.
    """
    model = sim.model
    order = {pid: i for i, pid in enumerate(model.pools)}
    held = _holdings(sim)
    rows = []
    for folder in sim.org.folders():
        members = sim.org.accounts_in(folder)
        totals: dict[str, dict[str, int]] = {}
        for (account, pid), figures in held.items():
            if account not in members:
                continue
            total = totals.setdefault(pid, dict.fromkeys(("accounts", *_HOLDINGS[:5]), 0))
            total["accounts"] += 1
            for k in _HOLDINGS[:5]:
                total[k] += figures[k]
        for pid in sorted(totals, key=order.__getitem__):
            provisioned = model.pools[pid].space.provisioned_ips
            total = totals[pid]
            rows.append({"folder": folder, "depth": sim.org.depth(folder), "pool": pid,
                         "pool_owner": model.pools[pid].owner, **total,
                         "pool_share": total["allocated_ips"] / provisioned if provisioned
                         else 0.0})
    return _frame(rows, FOLDER_COLUMNS)


def utilisation_series(sim: Simulation) -> pd.DataFrame:
    """Each pool's figures over the run (columns :data:`SERIES_COLUMNS`).

    One row each time a pool's provisioned or allocated IPs changed, at the
    clock time and step of the operation that changed them (``step`` is
    missing for generated requests and for the initial state).  A pool's
    figures hold until its next row.
    """
    rows = ({"time": time, "step": step, "pool": pool, "provisioned_ips": prov,
             "allocated_ips": alloc, "free_ips": prov - alloc,
             "utilisation": alloc / prov if prov else 0.0}
            for time, step, pool, prov, alloc in sim._series)
    return _frame(rows, SERIES_COLUMNS)


#: Utilisation levels the capacity report dates (fractions of the provisioned IPs).
THRESHOLDS = (0.5, 0.8, 1.0)
THRESHOLD_COLUMNS = ("pool", "threshold", "time", "step", "days", "utilisation")


def thresholds(sim: Simulation, levels: Iterable[float] = THRESHOLDS) -> pd.DataFrame:
    """When each pool first reached each utilisation level (columns :data:`THRESHOLD_COLUMNS`).

    One row per pool and level it reached, from :func:`utilisation_series`:
    the first ``time`` (to the second) and ``step`` at which its utilisation
    was at least ``threshold``, ``days`` from the clock start, and the
    utilisation then.  Levels never reached have no row.

    Examples
    --------
    >>> from simkit.engine import Simulation
    >>> sim = Simulation(management_account="net")
    >>> _ = sim.do("net", "create_ipam", ipam="i", region="r1")
    >>> _ = sim.do("net", "create_ipam_pool", ipam="i", pool="p", region="r1",
    ...            cidrs=["10.0.0.0/24"])
    >>> for vpc in ("a", "b", "c"):
    ...     _ = sim.do("net", "create_vpc", vpc=vpc, pool="p", mask=26)
    >>> thresholds(sim)[["pool", "threshold", "utilisation"]].values.tolist()
    [['p', 0.5, 0.5]]
    """
    import pandas as pd

    levels = sorted(levels)
    series = utilisation_series(sim)
    rows = []
    for pool, group in series.groupby("pool", sort=False):
        for level in levels:
            hit = group[group["utilisation"] >= level - 1e-12]
            if len(hit):
                first = hit.iloc[0]
                rows.append((pool, level, first["time"], first["step"],
                             (first["time"] - pd.Timestamp(sim.start)).total_seconds() / 86400,
                             first["utilisation"]))
    frame = pd.DataFrame.from_records(rows, columns=list(THRESHOLD_COLUMNS))
    frame["pool"] = frame["pool"].astype(object)
    frame["time"] = pd.to_datetime(frame["time"], utc=True).dt.floor("s")
    frame["step"] = frame["step"].astype("Int64")
    for column in ("threshold", "days", "utilisation"):
        frame[column] = frame[column].astype("float64")
    return frame


# -- allocations, views, permissions --------------------------------------------------------
def allocations(sim: Simulation) -> pd.DataFrame:
    """One row per allocation of every pool, in creation order (:data:`ALLOCATION_COLUMNS`)."""
    model = sim.model
    rows = ({"pool": a.pool, "cidr": str(a.cidr), "type": a.type, "resource": a.resource,
             "created_by": a.created_by, "pool_owner": model.pools[a.pool].owner,
             "created_at": a.created_at} for a in model.allocations.values())
    return _frame(rows, ALLOCATION_COLUMNS)


def _accounts(sim: Simulation) -> list[str]:
    """The accounts a report lists: the members, then the external accounts."""
    return [*sim.org.members(), *sim.org.externals()]


def _seen_by(sim: Simulation) -> dict[str, list[str]]:
    """For each account, the pools shared with it (not its own), in pool creation order."""
    seen: dict[str, list[str]] = {}
    for p in sim.model.pools.values():
        for account in sim.shares.accounts_seeing(p.id):
            if account != p.owner:
                seen.setdefault(account, []).append(p.id)
    return seen


def pool_views(sim: Simulation, accounts: list[str] | None = None) -> pd.DataFrame:
    """The pools each account owns and the pools shared with it now.

    One row per (account, pool) with ``relation`` "owned" or "shared" and the
    active shares through which a shared pool is seen.
    """
    model, shares = sim.model, sim.shares
    if accounts is None:
        accounts = _accounts(sim)
    owned: dict[str, list[str]] = {}
    for p in model.pools.values():
        owned.setdefault(p.owner, []).append(p.id)
    seen = _seen_by(sim)
    rows = []
    for account in accounts:
        for pool in owned.get(account, []):
            rows.append({"account": account, "pool": pool, "owner": account,
                         "relation": "owned", "shares": ""})
        for pool in sorted(seen.get(account, [])):
            rows.append({"account": account, "pool": pool, "owner": model.pools[pool].owner,
                         "relation": "shared",
                         "shares": ", ".join(shares.granting(account, pool))})
    return _frame(rows, VIEW_COLUMNS)


def permission_audit(sim: Simulation, accounts: list[str] | None = None,
                     pools: list[str] | None = None) -> pd.DataFrame:
    """The permission decisions now, one row per account, pool and action.

    By default only the (account, pool) pairs where the account sees the
    pool (it owns it, or a share grants it) are listed, so the frame grows
    with what is seen, not with accounts x pools; :func:`permission_summary`
    counts, per pool, the accounts that see it and those that do not.  Given
    ``accounts`` or ``pools`` (ids), every pair of them is listed, the pools
    an account cannot see included (the full matrix for one account or one
    pool).

    The columns are :data:`simkit.model.permissions.AUDIT_FIELDS`, then
    ``pool_owner`` and ``access``: ``owner`` (the pool's owner), ``full``
    (granted to a principal), ``limited`` (granted to a principal with a
    condition: its own allocations, or name and description only),
    ``forbidden`` or ``not_visible``.  Accounts come in the order of
    ``accounts`` (default: the members, then the external accounts), pools in
    creation order.
    """
    from ..model.permissions import audit, audit_pairs, row_of

    model = sim.model
    if accounts is None and pools is None:
        seen = _seen_by(sim)
        owned: dict[str, list[str]] = {}
        for p in model.pools.values():
            owned.setdefault(p.owner, []).append(p.id)
        order = {pid: i for i, pid in enumerate(model.pools)}
        pairs = ((account, model.pools[pid]) for account in _accounts(sim)
                 for pid in sorted([*owned.get(account, []), *seen.get(account, [])],
                                   key=order.__getitem__))
        frame = audit_pairs(sim.org, sim.shares, pairs)
    else:
        chosen = list(model.pools.values()) if pools is None else [model.pools[p] for p in pools]
        frame = audit(sim.org, sim.shares, chosen, _accounts(sim) if accounts is None
                      else accounts)
    owners = {p.id: p.owner for p in model.pools.values()}
    frame["pool_owner"] = frame["pool"].map(owners).astype(object)
    access = []
    for account, pool, action, allowed, code in zip(
            frame["account"], frame["pool"], frame["action"], frame["allowed"], frame["code"],
            strict=True):
        if account == owners[pool]:
            access.append("owner" if allowed else "forbidden")
        elif allowed:
            limited = row_of(action).principal in ("own", "name_description")
            access.append("limited" if limited else "full")
        else:
            access.append("forbidden" if code == "Forbidden" else "not_visible")
    frame["access"] = access
    return frame.astype({"access": object})


def permission_summary(sim: Simulation) -> pd.DataFrame:
    """One row per pool: who sees it and how (:data:`PERMISSION_SUMMARY_COLUMNS`).

    ``principals`` counts the accounts (not the owner) that see the pool
    through its ``shares`` (the active shares that hold it, by id);
    ``not_visible`` the members and external accounts that do not see it.

    Examples
    --------
    >>> from simkit.engine import Simulation
    >>> permission_summary(Simulation()).columns.tolist()
    ['pool', 'pool_owner', 'shares', 'principals', 'not_visible']
    """
    accounts = set(_accounts(sim))
    rows = []
    for p in sim.model.pools.values():
        seeing = sim.shares.accounts_seeing(p.id) - {p.owner}
        rows.append({"pool": p.id, "pool_owner": p.owner,
                     "shares": ", ".join(sim.shares.active_shares_of(p.id)),
                     "principals": len(seeing),
                     "not_visible": len(accounts - seeing - {p.owner})})
    return _frame(rows, PERMISSION_SUMMARY_COLUMNS)


# -- resource CIDRs ------------------------------------------------------------------------









def resource_cidrs(sim: Simulation, pool: str | None = None) -> list[dict[str, Any]]:
    """The resource CIDRs of a simulation as records: see
    :func:`simkit.model.discovery.resource_cidrs`."""
    return discovery.resource_cidrs(sim.model, sim.org, pool)


def resource_cidrs_frame(sim: Simulation, pool: str | None = None) -> pd.DataFrame:
    """:func:`resource_cidrs` as a frame (columns :data:`RESOURCE_COLUMNS`)."""
    return _frame(resource_cidrs(sim, pool), RESOURCE_COLUMNS)


# -- conflicts -----------------------------------------------------------------------------
def _first(t: tuple) -> Any:
    return t[0]


def _third(t: tuple) -> Any:
    return t[2]


def _is_reserved(t: tuple) -> bool:
    return t[0] == "reserved"


def _smaller(a: Cidr, b: Cidr) -> Cidr:
    """The overlap of two overlapping CIDRs: nested or disjoint, it is the smaller one."""
    return a if a.prefixlen >= b.prefixlen else b


class _Text(dict):
    """CIDR -> its text, each converted once."""

    def __missing__(self, cidr: Cidr) -> str:
        text = self[cidr] = str(cidr)
        return text





def conflicts(sim: Simulation) -> pd.DataFrame:
    """One row per conflict, naming both sides and the overlapping CIDR.

    Kinds (:data:`CONFLICT_KINDS`, listed in this order):

    ``overlap``
        two resource CIDRs overlapping in one scope (``a`` starts first).
    ``unmanaged_in_pool``
        an Unmanaged VPC CIDR (``a``) over the provisioned space of a pool
        of its scope (``b``, the deepest such pool).
    ``noncompliant``
        an allocation (``a``) whose mask breaks its pool's current rules
        (``b``; ``b_cidr`` is the provisioned CIDR holding it).
    ``reserved``
        a resource CIDR or a top-level pool's provisioned CIDR (``a``, in
        any scope) over a ``reserved`` range (``b``).
    ``connected_scopes``
        two resource CIDRs, or two top-level pools' provisioned CIDRs, of
        different scopes that the scenario declares connected (``scope`` is
        ``A+B``); a pair already reported as an ``overlap`` is not repeated.

    ``detail`` says the same in words.
    """
    with collector_paused():
        columns = _conflict_columns(sim)
    import pandas as pd

    return pd.DataFrame(columns, columns=list(CONFLICT_COLUMNS), dtype=object)


def _conflict_columns(sim: Simulation) -> dict[str, list[str]]:
    model = sim.model
    out: dict[str, list[str]] = {c: [] for c in CONFLICT_COLUMNS}
    text = _Text()
    add_kind, add_scope, add_a, add_a_cidr, add_b, add_b_cidr, add_overlap, add_detail = (
        out[c].append for c in CONFLICT_COLUMNS)

    def add(kind: str, scope: str, a: str, a_cidr: Cidr, b: str, b_cidr: Cidr | None,
            overlap: Cidr, detail: str) -> None:
        add_kind(kind)
        add_scope(scope)
        add_a(a)
        add_a_cidr(text[a_cidr])
        add_b(b)
        add_b_cidr("" if b_cidr is None else text[b_cidr])
        add_overlap(text[overlap])
        add_detail(detail)

    resources = discovery.resources(sim.model, sim.org)
    seen: set[tuple[str, str, Cidr, Cidr]] = set()   # resource pairs already reported
    for (scope, ca, a), (_, cb, b) in overlapping_pairs(
            [(r["scope"], r["cidr"], r) for r in resources]):
        ra, rb = a["resource"], b["resource"]
        if ra != rb:
            seen.add((ra, rb, ca, cb) if (ra, ca) < (rb, cb) else (rb, ra, cb, ca))
            add("overlap", scope, ra, ca, rb, cb, _smaller(ca, cb),
                f"{ra} and {rb} overlap in scope {scope}")

    # Unmanaged VPC CIDRs over the provisioned space of pools of their scope
    provisioned = [(p.scope, c, ("pool", p)) for p in model.pools.values()
                   for c in p.space.provisioned()]
    unmanaged = [(r["scope"], r["cidr"], ("vpc", r)) for r in resources
                 if r["management_status"] == "Unmanaged"]
    found: dict[tuple[str, str, Cidr], list[tuple[Any, Cidr, Cidr]]] = {}
    for (scope, ca, a), (_, cb, b) in overlapping_pairs(provisioned + unmanaged,
                                                        across=_first):
        (pool_c, pool), (vpc_c, vpc) = ((ca, a[1]), (cb, b[1])) if a[0] == "pool" else (
            (cb, b[1]), (ca, a[1]))
        found.setdefault((scope, vpc["resource"], vpc_c), []).append((pool, pool_c, vpc_c))
    for (scope, vpc_id, _), hits in found.items():
        deepest = max(p.depth for p, _, _ in hits)
        for pool, pool_c, vpc_c in hits:
            if pool.depth == deepest:
                add("unmanaged_in_pool", scope, vpc_id, vpc_c, pool.id, pool_c,
                    _smaller(pool_c, vpc_c),
                    f"Unmanaged VPC {vpc_id} uses space provisioned to pool {pool.id}")

    for a in model.allocations.values():
        p = model.pools[a.pool]
        if not p.min_mask <= a.cidr.prefixlen <= p.max_mask:
            add("noncompliant", p.scope, a.resource, a.cidr, p.id,
                p.space.provisioned_cidr_of(a.cidr), a.cidr,
                f"{a.type} allocation /{a.cidr.prefixlen} is outside the rules "
                f"/{p.min_mask} to /{p.max_mask} of pool {p.id}")

    top = [(p.scope, c, p.id) for p in model.pools.values() if p.source is None
           for c in p.space.provisioned()]
    if sim.reserved:
        items = [("*", c, ("reserved", name, "")) for name, c in sim.reserved]
        items += [("*", r["cidr"], ("resource", r["resource"], r["scope"])) for r in resources]
        items += [("*", c, ("pool", pid, scope)) for scope, c, pid in top]
        for (_, ca, a), (_, cb, b) in overlapping_pairs(items, across=_is_reserved):
            (rc, res), (oc, other) = ((ca, a), (cb, b)) if a[0] == "reserved" else ((cb, b),
                                                                                     (ca, a))
            add("reserved", other[2], other[1], oc, res[1], rc, _smaller(ca, cb),
                f"{other[0]} {other[1]} overlaps the reserved range {res[1]}")

    for group in sim.connected_scopes:
        members = set(group)
        items = [("resource", r["cidr"], ("resource", r["resource"], r["scope"]))
                 for r in resources if r["scope"] in members]
        items += [("pool", c, ("pool", pid, scope)) for scope, c, pid in top if scope in members]
        for (_, ca, a), (_, cb, b) in overlapping_pairs(items, across=_third):
            ra, rb = a[1], b[1]
            key = (ra, rb, ca, cb) if (ra, ca) < (rb, cb) else (rb, ra, cb, ca)
            if ra == rb or key in seen:
                continue
            seen.add(key)
            add("connected_scopes", f"{a[2]}+{b[2]}", ra, ca, rb, cb, _smaller(ca, cb),
                f"{a[0]} {ra} in {a[2]} and {b[0]} {rb} in {b[2]} overlap across connected "
                f"scopes")
    return out


# -- all of them ---------------------------------------------------------------------------
#: The frames of a report, by name, each made from a simulation, in the order a report
#: gives them.
FRAMES: dict[str, Callable[[Simulation], pd.DataFrame]] = {
    "events": lambda sim: sim.events,
    "utilisation": utilisation,
    "scope_utilisation": scope_utilisation,
    "account_utilisation": account_utilisation,
    "folder_utilisation": folder_utilisation,
    "utilisation_series": utilisation_series,
    "allocations": allocations,
    "resource_cidrs": resource_cidrs_frame,
    "conflicts": conflicts,
    "pool_views": pool_views,
    "permissions": permission_audit,
    "permission_summary": permission_summary,
}


def frames(sim: Simulation) -> dict[str, pd.DataFrame]:
    """Every frame of :data:`FRAMES` for ``sim``, by the name a report gives each.

    Examples
    --------
    >>> from simkit.engine import Simulation
    >>> list(frames(Simulation()))  # doctest: +NORMALIZE_WHITESPACE
    ['events', 'utilisation', 'scope_utilisation', 'account_utilisation',
     'folder_utilisation', 'utilisation_series', 'allocations', 'resource_cidrs',
     'conflicts', 'pool_views', 'permissions', 'permission_summary']
    """
    return {name: make(sim) for name, make in FRAMES.items()}
