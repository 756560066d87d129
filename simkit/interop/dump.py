"""Write the state of a simulation, or of a running server, as the cloud's List answers.

:func:`dump` writes one file per page of each call, named
``ACTION[.PARAMETER].PAGE.json`` (``ListIpamPools.1.json``,
``ListIpamPoolCidrs.hz.1.json`` for the pool ``hz``), each holding exactly
one response as the ``aliyun`` command line prints it.  A directory written
by :func:`dump` is what :func:`simkit.interop.aliyun.read_state` reads, so
the import and the response shapes of :mod:`simkit.interop.responses` test
each other.

The calls: ListIpams, ListIpamScopes, ListIpamPools, ListIpamPoolCidrs and
ListIpamPoolAllocations (one series per pool), DescribeVpcs,
ListResourceShares, ListResourceShareAssociations (targets and resources),
and the resource directory: GetResourceDirectory, ListAccounts and
ListFoldersForParent (one series per parent folder).

From a running ``simkit serve`` (an endpoint or its URL), :func:`dump`
makes the same calls through the official SDK clients as one account
(:mod:`.remote`) and writes that account's answers, without the resource
directory calls, which the server does not serve.

Examples
--------
>>> import tempfile, simkit
>>> from pathlib import Path
>>> sim = simkit.Simulation(management_account="mgmt")
>>> sim.org.add_account("net")
>>> _ = sim.do("net", "create_ipam", ipam="ipam-1", region="cn-hangzhou")
>>> _ = sim.do("net", "create_ipam_pool", ipam="ipam-1", pool="corp", cidrs=["10.0.0.0/8"])
>>> with tempfile.TemporaryDirectory() as d:
...     files = dump(sim, d)
...     sorted(p.name for p in files)[:3]
['DescribeVpcs.1.json', 'GetResourceDirectory.1.json', 'ListAccounts.1.json']
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..engine.simulation import Simulation
from ..values.errors import UsageError
from . import responses as r
from .remote import endpoint_responses, is_endpoint

__all__ = ["DIRECTORY_ID", "ROOT_FOLDER_ID", "dump", "folder_ids", "state_responses"]

#: The ids the dump gives the resource directory and its Root folder.
DIRECTORY_ID, ROOT_FOLDER_ID = "rd-simkit", "r-root"


def _simulation(source: Any) -> Simulation:
    sim = getattr(source, "simulation", source)
    if not isinstance(sim, Simulation):
        raise UsageError(f"dump takes a Simulation, a Run, or a running server (an endpoint "
                         f"or an http:// URL), not {type(source).__name__}")
    return sim


def folder_ids(sim: Simulation) -> dict[str, str]:
    """Folder path -> the folder id the dump uses (``r-root``, ``fd-1``, ``fd-2``...)."""
    paths = sim.org.folders()
    return {path: ROOT_FOLDER_ID if i == 0 else f"fd-{i}" for i, path in enumerate(paths)}


def _owner_of_allocation(sim: Simulation, a: Any) -> str:
    model = sim.model
    if a.type == "VPC" and a.resource in model.vpcs:
        return model.vpcs[a.resource].owner
    if a.type == "IpamPool" and a.resource in model.pools:
        return model.pools[a.resource].owner
    return a.created_by


def _targets(sim: Simulation, share: Any, folders: dict[str, str]) -> Iterable[dict[str, Any]]:
    invitations = {(i.share, i.account): i for i in sim.shares.invitations()}
    for p in share.principals:
        external = False
        status = "Associated"
        if p.kind == "rd":
            entity, kind = DIRECTORY_ID, "ResourceDirectory"
        elif p.kind == "folder":
            entity, kind = folders.get(p.value, p.value), "Folder"
        else:
            entity, kind = p.value, "Account"
            external = not sim.org.is_member(p.value)
            invitation = invitations.get((share.id, p.value))
            if external and invitation is not None:
                status = {"Pending": "Associating", "Accepted": "Associated"}.get(
                    invitation.status, "Failed")
        if not share.active:
            status = "Disassociated"
        yield r.association_item(share, kind="Target", entity_id=entity, entity_type=kind,
                                 status=status, external=external)


def state_responses(source: Any, *, max_results: int = 10) -> dict[str, list[dict[str, Any]]]:
    """Every List/Describe answer of a simulation's state: ``{series: [page, ...]}``.

    A series is an action, or ``ACTION.PARAMETER`` for calls made once per
    pool or per parent folder.  Items are in id order.
    """
    sim = _simulation(source)
    model = sim.model
    out: dict[str, list[dict[str, Any]]] = {}

    def put(series: str, action: str, items: list[dict[str, Any]]) -> None:
        out[series] = r.pages(action, items, max_results=max_results)

    ipams = sorted(model.ipams.values(), key=lambda i: i.id)
    put("ListIpams", "ListIpams", [r.ipam_item(i) for i in ipams])
    pool_counts: dict[str, int] = {}
    for p in model.pools.values():
        pool_counts[p.scope] = pool_counts.get(p.scope, 0) + 1
    put("ListIpamScopes", "ListIpamScopes", [
        r.scope_item(s, model.ipams[s.ipam], pool_count=pool_counts.get(s.id, 0))
        for s in sorted(model.scopes.values(), key=lambda s: s.id)])
    pools = sorted(model.pools.values(), key=lambda p: p.id)
    put("ListIpamPools", "ListIpamPools", [
        r.pool_item(p, model.ipams[p.ipam], model.scopes[p.scope],
                    shared=bool(sim.shares.active_shares_of(p.id))) for p in pools])
    for p in pools:
        ipam = model.ipams[p.ipam]
        put(f"ListIpamPoolCidrs.{p.id}", "ListIpamPoolCidrs",
            [r.pool_cidr_item(p, c) for c in p.space.provisioned()])
        allocations = sorted((a for a in model.allocations.values() if a.pool == p.id),
                             key=lambda a: (a.cidr, a.id))
        put(f"ListIpamPoolAllocations.{p.id}", "ListIpamPoolAllocations", [
            r.allocation_item(a, p, ipam, resource_owner=_owner_of_allocation(sim, a))
            for a in allocations])
    put("DescribeVpcs", "DescribeVpcs",
        [r.vpc_item(v) for v in sorted(model.vpcs.values(), key=lambda v: v.id)])
    shares = sorted(sim.shares.all(), key=lambda s: s.id)
    put("ListResourceShares", "ListResourceShares", [r.share_item(s) for s in shares])
    folders = folder_ids(sim)
    associations = []
    for s in shares:
        associations += [r.association_item(
            s, kind="Resource", entity_id=pool, entity_type="IpamPool",
            status="Associated" if s.active else "Disassociated") for pool in s.resources]
        associations += list(_targets(sim, s, folders))
    put("ListResourceShareAssociations", "ListResourceShareAssociations", associations)
    org = sim.org
    out["GetResourceDirectory"] = [{"RequestId": "", "ResourceDirectory": {
        "MasterAccountId": org.management_account, "MasterAccountName": org.management_account,
        "ResourceDirectoryId": DIRECTORY_ID, "RootFolderId": ROOT_FOLDER_ID}}]
    put("ListAccounts", "ListAccounts", [
        r.account_item(a, folder_id=folders[org.folder_of(a) or "Root"],
                       directory_id=DIRECTORY_ID) for a in org.members()])
    for path, fid in folders.items():
        children = [c for c in folders if c != "Root" and c.rpartition("/")[0] == (
            "" if path == "Root" else path)]
        put(f"ListFoldersForParent.{fid}", "ListFoldersForParent",
            [r.folder_item(folders[c], c.rpartition("/")[2]) for c in children])
    return out


def dump(source: Any, directory: str | Path, *, max_results: int = 10,
         account: str | None = None, region: str = "cn-hangzhou",
         access_key_id: str | None = None, access_key_secret: str = "unused") -> list[Path]:
    """Write the List/Describe answers of a simulation, a Run or a running server.

    One file per page, ``SERIES.PAGE.json``; the directory is created if
    needed.  Returns the paths written, sorted.

    ``source`` is a :class:`~simkit.engine.simulation.Simulation` or a
    :class:`~simkit.analysis.runs.Run` (every object of the state), or a
    running ``simkit serve``: the endpoint :func:`simkit.serve` gives, or its
    URL (``"http://127.0.0.1:8765"``).  A server is called through the
    official SDK clients as ``account`` (required), in ``region``: the
    answers are what that account sees, and the resource directory calls,
    which the server does not serve, are left out (the import then takes
    every account for a member).  The access key id is the account name
    unless the scenario declares ``access_keys``: then give
    ``access_key_id`` and ``access_key_secret``.  ``account``, ``region`` and
    the keys apply to a server only.

    Examples
    --------
    A running server, dumped as the account that owns the pools::

        with simkit.serve("scenarios/share_ipam_pool.yaml") as endpoint:
            simkit.dump(endpoint, "state", account="netadmin")
    """
    target = Path(directory)
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target}: exists and is not a directory; give a directory to "
                         "write the responses into")
    if is_endpoint(source):
        answers = endpoint_responses(source, account=account or "", region=region,
                                     access_key_id=access_key_id,
                                     access_key_secret=access_key_secret,
                                     max_results=max_results)
    else:
        given = [name for name, value in (("account", account), ("access_key_id",
                 access_key_id)) if value is not None]
        if given:
            raise UsageError(f"dump: {', '.join(given)} applies to a running server only; a "
                             "simulation's dump holds every account's objects")
        answers = state_responses(source, max_results=max_results)
    try:
        target.mkdir(parents=True, exist_ok=True)
        written = []
        for series, page_list in answers.items():
            for number, page in enumerate(page_list, 1):
                path = target / f"{series}.{number}.json"
                path.write_text(json.dumps(page, indent=2, sort_keys=True) + "\n",
                                encoding="utf-8")
                written.append(path)
    except OSError as err:
        raise UsageError(f"{target}: cannot write the responses: {err.strerror}") from err
    return sorted(written)
