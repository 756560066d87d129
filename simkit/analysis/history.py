"""The history of a run: shares, invitations, who had access to which pool when, and what
principals created.

The end state of a run says nothing about a share that was cancelled: its
principals see no pool any more.  These frames tell the story instead, from
the event log, the steps' arguments and the access recorded while the run
went (:func:`access_now`, taken by :func:`simkit.run` after each step that
can change who sees what).

* :func:`timeline`: one row per sharing event (share created, principals
  added or removed, share deleted, invitation sent, accepted, rejected or
  expired, account moved or removed) and per change of access (an account
  starts or stops seeing a pool), in time order.
* :func:`access`: one row per period during which an account saw a pool
  through a share (``end`` missing while it still does).
* :func:`principal_activity`: per account and pool it does not own, what it
  created there (VPC CIDRs and custom allocations), refused requests
  included.

Examples
--------
>>> import simkit
>>> from simkit.scenario import loads
>>> run = simkit.run(loads('''
... version: 1
... name: h
... org: {management_account: m, accounts: [net, app]}
... ipams: [{id: i, owner: net, region: r, pools: [{id: p, region: r, cidrs: [10.0.0.0/16]}]}]
... steps:
...   - {op: create_resource_share, as: net, share: s, resources: [p], principals: [app]}
...   - {op: create_vpc, as: app, vpc: v, pool: p, mask: 24}
...   - advance: 2d
...   - {op: delete_resource_share, as: net, share: s}
... '''))
>>> access(run)[["account", "pool", "share", "days"]].to_dict("records")
[{'account': 'app', 'pool': 'p', 'share': 's', 'days': 2.0}]
>>> timeline(run)[["step", "event", "account"]].values.tolist()
... # doctest: +NORMALIZE_WHITESPACE
[[1, 'share created', 'app'], [1, 'access gained', 'app'], [4, 'share deleted', ''],
 [4, 'access lost', 'app']]
>>> principal_activity(run)[["account", "pool", "created", "ips"]].values.tolist()
[['app', 'p', 1, 256]]
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..values.addresses import parse_cidr

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ACCESS_COLUMNS", "ACCESS_OPS", "ACTIVITY_COLUMNS", "TIMELINE_COLUMNS",
           "access", "access_now", "principal_activity", "timeline"]

#: The operations after which who sees which pool may have changed.
ACCESS_OPS = frozenset({"create_resource_share", "associate_resource_share",
                        "disassociate_resource_share", "delete_resource_share",
                        "accept_resource_share_invitation", "reject_resource_share_invitation",
                        "move_account", "remove_account", "delete_ipam_pool"})
TIMELINE_COLUMNS = ("time", "step", "event", "share", "account", "pools", "actor", "detail")
ACCESS_COLUMNS = ("account", "pool", "share", "pool_owner", "start", "end", "days",
                  "start_step", "end_step")
ACTIVITY_COLUMNS = ("account", "pool", "pool_owner", "created", "refused", "ips", "cidrs",
                    "first", "last")
#: The requests that create something in a pool.
_CREATES = ("create_vpc", "associate_vpc_cidr_block", "create_ipam_pool_allocation")
_EVENTS = {"create_resource_share": "share created",
           "associate_resource_share": "principals added",
           "disassociate_resource_share": "principals removed",
           "delete_resource_share": "share deleted",
           "accept_resource_share_invitation": "invitation accepted",
           "reject_resource_share_invitation": "invitation rejected",
           "move_account": "account moved", "remove_account": "account removed"}

Access = frozenset[tuple[str, str, str]]


def access_now(sim: Any) -> Access:
    """Who sees which pool through which share now: (account, pool, share) triples.

    An account sees a pool through a share when the share is Active, holds
    the pool, reaches the account and the account does not own the pool.
    The cost grows with the shares and the accounts they reach, not with
    every account of the organisation.
    """
    shares = sim.shares
    out = set()
    for share in shares.all():
        if not share.active:
            continue
        reached = shares.accounts_reached(share)
        for pool in dict.fromkeys(share.resources):
            owner = shares.pool_owner(pool)
            out.update((account, pool, share.id) for account in reached if account != owner)
    return frozenset(out)


def _steps(run: Any) -> dict[int, Any]:
    return {s.index: s for s in run.scenario.steps}


def _frame(rows: Iterable[tuple[Any, ...]], columns: tuple[str, ...],
           times: Iterable[str] = ()) -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame.from_records(list(rows), columns=list(columns))
    for column in columns:
        if column in times:
            frame[column] = pd.to_datetime(frame[column], utc=True).dt.floor("s")
        elif column in ("step", "start_step", "end_step"):
            frame[column] = frame[column].astype("Int64")
        elif column == "days":
            frame[column] = frame[column].astype("float64")
        elif column in ("created", "refused"):
            frame[column] = frame[column].astype("int64")
        elif column == "ips":       # IPv6 counts may not fit 64 bits: Python ints then
            big = any(v > 2**63 - 1 for v in frame[column])
            frame[column] = frame[column].astype(object if big else "int64")
        else:
            frame[column] = frame[column].astype(object)
    return frame


def _changes(run: Any) -> list[tuple[datetime, int | None, Access, Access]]:
    """(time, step, gained, lost) for each recorded change of access."""
    out = []
    before: Access = frozenset()
    for time, step, now in getattr(run, "access_log", ()):
        gained, lost = now - before, before - now
        if gained or lost:
            out.append((time, step, gained, lost))
        before = now
    return out


def timeline(run: Any) -> pd.DataFrame:
    """Sharing events and changes of access, in time order (columns :data:`TIMELINE_COLUMNS`).

    A step that names several principals gives one row per principal;
    ``pools`` lists the pools concerned, ``actor`` who acted.  Invitations
    appear when sent and, if still pending when their 7 days ran out, when
    they expired.  ``access gained`` / ``access lost`` rows say when an
    account started or stopped seeing a pool (a folder principal's accounts,
    one by one).
    """
    sim = run.simulation
    steps = _steps(run)
    rows: list[tuple[Any, ...]] = []
    for e in sim.log:
        if e.op not in _EVENTS or e.outcome != "ok":
            continue
        args = steps[e.step].args if e.step in steps else {}
        pools = ", ".join(args.get("resources", ()))
        principals = [str(p) for p in args.get("principals", ())]
        if e.op in ("move_account", "remove_account"):
            detail = f"to {args['folder']}" if "folder" in args else ""
            rows.append((e.time, e.step, _EVENTS[e.op], "", args.get("account", ""), "",
                         e.actor, detail))
            continue
        share = args.get("share", e.resource or "")
        if e.op in ("accept_resource_share_invitation", "reject_resource_share_invitation"):
            principals = [e.actor]
        for principal in principals or [""]:
            rows.append((e.time, e.step, _EVENTS[e.op], share, principal, pools, e.actor, ""))
    named = {}
    for r in rows:
        if r[2] in ("share created", "principals added"):
            named.setdefault((r[3], r[4]), r[1])
    for invitation in sim.shares.invitations():
        rows.append((invitation.sent_at, named.get((invitation.share, invitation.account)),
                     "invitation sent", invitation.share,
                     invitation.account, "", "",
                     f"valid until {invitation.expires_at:%Y-%m-%d %H:%M}"))
        if invitation.status == "Expired":
            rows.append((invitation.expires_at, None, "invitation expired", invitation.share,
                         invitation.account, "", "", "not accepted within 7 days"))
    for time, step, gained, lost in _changes(run):
        for kind, triples in (("access gained", gained), ("access lost", lost)):
            for account, pool, share in sorted(triples):
                rows.append((time, step, kind, share, account, pool, "", ""))
    order = {"invitation sent": 1, "access gained": 2, "access lost": 2}
    rows.sort(key=lambda r: (r[0], r[1] if r[1] is not None else 0, order.get(r[2], 0)))
    return _frame(rows, TIMELINE_COLUMNS, times=("time",))


def access(run: Any) -> pd.DataFrame:
    """Each period an account saw a pool through a share (columns :data:`ACCESS_COLUMNS`).

    ``end`` is missing while the access lasts at the end of the run; ``days``
    is the length of the period up to its end or the end of the run;
    ``start_step`` and ``end_step`` are the steps that opened and closed it.
    """
    sim = run.simulation
    owners = {p.id: p.owner for p in sim.model.pools.values()}
    opened: dict[tuple[str, str, str], tuple[datetime, int | None]] = {}
    rows = []
    for time, step, gained, lost in _changes(run):
        for key in sorted(lost):
            start, first = opened.pop(key)
            rows.append((*key, owners.get(key[1], ""), start, time,
                         (time - start).total_seconds() / 86400, first, step))
        for key in sorted(gained):
            opened[key] = (time, step)
    for key, (start, first) in opened.items():
        rows.append((*key, owners.get(key[1], ""), start, None,
                     (sim.now - start).total_seconds() / 86400, first, None))
    rows.sort(key=lambda r: (r[4], r[0], r[1]))
    return _frame(rows, ACCESS_COLUMNS, times=("start", "end"))


def principal_activity(run: Any) -> pd.DataFrame:
    """What each account created in pools it does not own (columns :data:`ACTIVITY_COLUMNS`).

    Counts the VPC CIDRs and custom allocations it obtained (``created``,
    their ``ips`` and ``cidrs``, first and last time), released since or not,
    and its ``refused`` requests there.  Rows by account, then pool.
    """
    sim = run.simulation
    owners = {p.id: p.owner for p in sim.model.pools.values()}
    rows: dict[tuple[str, str], list[Any]] = {}
    for e in sim.log:
        if e.op not in _CREATES or e.pool is None or e.actor is None:
            continue
        for pool, cidrs in e.drawn:     # a dual-stack VPC's IPv6 block too, from its pool
            owner = owners.get(pool)
            if owner is None or owner == e.actor or e.outcome not in ("ok", "error"):
                continue
            row = rows.setdefault((e.actor, pool), [e.actor, pool, owner, 0, 0, 0, [],
                                                    None, None])
            if e.outcome == "error":
                row[4] += 1
                continue
            row[3] += 1
            for text in (cidrs or "").split(","):
                if text.strip():
                    row[5] += parse_cidr(text.strip()).size
                    row[6].append(text.strip())
            row[7] = row[7] or e.time
            row[8] = e.time
    out = [(*r[:6], ", ".join(r[6]), r[7], r[8]) for _, r in sorted(rows.items())]
    return _frame(out, ACTIVITY_COLUMNS, times=("first", "last"))
