"""Import the state of a real account: the cloud's List/Describe JSON as a scenario.

:func:`~simkit.interop.state.read_state` reads a directory of responses (one
page per file, as the ``aliyun`` command line prints them) and checks every
field the import uses.  :func:`import_state` turns that state into a
scenario (YAML text) whose declarations and steps rebuild it:

* the organisation, from GetResourceDirectory, ListAccounts and
  ListFoldersForParent when they are there (otherwise every account seen is
  a member under Root, and the management account is a placeholder);
* IPAMs, custom scopes and pools with their CIDRs, rules, regions and flags,
  IPv6 pools with their ISP line (a public top-level pool declares the block
  it holds);
* VPCs outside IPAM as ``vpcs:``; VPCs whose IPv4 CIDR or IPv6 block came
  from a pool, their secondary blocks, and Custom allocations as steps with
  explicit CIDRs;
* resource shares and their targets as steps (external targets that accepted
  accept again; deleted shares are created, used, then deleted);
* at the end, a ``check`` of each pool's provisioned and allocated IPs, so
  ``simkit run`` says whether the rebuild matches the state read.

What cannot be rebuilt exactly is written with a comment and listed in
:attr:`Imported.notes` (the command line prints them).

Examples
--------
>>> import tempfile, simkit
>>> from simkit.interop import dump, read_state
>>> sim = simkit.Simulation(management_account="mgmt")
>>> sim.org.add_account("net")
>>> _ = sim.do("net", "create_ipam", ipam="ipam-1", region="cn-hangzhou")
>>> _ = sim.do("net", "create_ipam_pool", ipam="ipam-1", pool="corp", region="cn-hangzhou",
...            cidrs=["10.0.0.0/8"])
>>> _ = sim.do("net", "create_vpc", vpc="vpc-a", pool="corp", mask=16)
>>> with tempfile.TemporaryDirectory() as d:
...     _ = dump(sim, d)
...     imported = import_state(read_state(d))
>>> print(imported.text.split("steps:")[1].strip())
- op: create_vpc
  as: net
  vpc: vpc-a
  pool: corp
  cidr: 10.0.0.0/16
- check: {pool: corp, provisioned_ips: 16777216, allocated_ips: 65536}
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path
from typing import Any

from ..values.addresses import WIDTH, Cidr, ip_version, parse_cidr
from ..values.errors import DomainError, UsageError
from ..values.quotas import QUOTAS
from .state import State, read_state

__all__ = ["Imported", "import_aliyun", "import_state"]


@dataclass
class Imported:
    """The scenario an import wrote (``text``) and what it could not rebuild (``notes``)."""

    text: str
    notes: list[str]


# -- writing YAML --------------------------------------------------------------------------
_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_./@-]*$|^[0-9][0-9.]*/[0-9]+$")
_RESERVED_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


def _s(value: Any) -> str:
    """A YAML scalar: plain when unambiguous, else a JSON (double-quoted) string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _RESERVED_WORDS:
        return text
    return json.dumps(text)


def _flow(mapping: dict[str, Any]) -> str:
    parts = []
    for k, v in mapping.items():
        if isinstance(v, list):
            parts.append(f"{k}: [{', '.join(_s(x) for x in v)}]")
        elif isinstance(v, dict):
            parts.append(f"{k}: {_flow(v)}")
        else:
            parts.append(f"{k}: {_s(v)}")
    return "{" + ", ".join(parts) + "}"


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.notes: list[str] = []

    def note(self, indent: int, text: str) -> None:
        self.notes.append(text)
        self.lines.append(" " * indent + "# " + text)

    def comment(self, indent: int, text: str) -> None:
        self.lines.append(" " * indent + "# " + text)

    def add(self, line: str) -> None:
        self.lines.append(line)


# -- the import ----------------------------------------------------------------------------
def _depth_order(pools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_id = {p["IpamPoolId"]: p for p in pools}

    def depth(p: dict[str, Any], seen: frozenset[str] = frozenset()) -> int:
        src = p["SourceIpamPoolId"]
        if not src or src not in by_id or src in seen:
            return 0
        return 1 + depth(by_id[src], seen | {p["IpamPoolId"]})

    return sorted(pools, key=lambda p: (depth(p), p["IpamPoolId"]))


def _cidr(text: str, where: str, name: str = "Cidr") -> Cidr:
    try:
        return parse_cidr(text)
    except DomainError as err:
        raise UsageError(f"{where}: field {name} is {text!r}, not a CIDR such as "
                         f"10.0.0.0/16 ({err.code})") from err


def _chunks(values: list[str], size: int = 5) -> list[list[str]]:
    return [values[i:i + size] for i in range(0, len(values), size)] or [[]]


@dataclass
class _Org:
    """The organisation an import writes: who is where, and why."""

    management: str
    members: dict[str, str]           # account -> folder path ("" for Root)
    externals: set[str]
    folder_paths: dict[str, str]      # folder id -> path ("" for Root)
    former: dict[str, str]            # account that left the directory -> the share naming it
    notes: list[str]


def _organisation(state: State) -> _Org:
    """Accounts and folders: from the resource directory answers, else from what is seen."""
    items = state.items
    seen: set[str] = set()
    for key, action in (("OwnerId", "ListIpams"), ("OwnerId", "ListIpamPools"),
                        ("OwnerId", "DescribeVpcs"), ("ResourceOwnerId",
                                                      "ListIpamPoolAllocations"),
                        ("ResourceShareOwner", "ListResourceShares")):
        seen.update(i[key] for i in items[action])
    externals = {a["EntityId"] for a in items["ListResourceShareAssociations"]
                 if a["AssociationType"] == "Target" and a["EntityType"] == "Account"
                 and a["External"]}
    seen.update(a["EntityId"] for a in items["ListResourceShareAssociations"]
                if a["AssociationType"] == "Target" and a["EntityType"] == "Account")
    directory = items.get("GetResourceDirectory") or []
    folder_paths: dict[str, str] = {}
    members: dict[str, str] = {}            # account -> folder path ("" for Root)
    org_notes: list[str] = []
    if directory:
        rd = directory[0]
        management = rd["MasterAccountId"]
        root_id = rd["RootFolderId"]
        folder_paths[root_id] = ""
        children = {param: got for (action, param), got in state.series.items()
                    if action == "ListFoldersForParent"}
        todo = [root_id]
        while todo:
            parent = todo.pop(0)
            for f in sorted(children.get(parent, []), key=lambda f: f["FolderName"]):
                fname = f["FolderName"]
                if "/" in fname or ":" in fname:
                    clean = fname.replace("/", "-").replace(":", "-")
                    org_notes.append(f"folder {fname!r} ({f['FolderId']}) is written as "
                                     f"{clean!r}: scenario folder names hold no '/' or ':'")
                    fname = clean
                base = folder_paths[parent]
                folder_paths[f["FolderId"]] = f"{base}/{fname}" if base else fname
                todo.append(f["FolderId"])
        for acc in items.get("ListAccounts", []):
            members[acc["AccountId"]] = folder_paths.get(acc["FolderId"], "")
        members.pop(management, None)
        for account in sorted(seen - set(members) - {management} - externals):
            org_notes.append(f"account {account} is not in the resource directory: written "
                             "as an external account")
            externals.add(account)
    else:
        management = "management"
        org_notes.append("no GetResourceDirectory/ListAccounts responses: every account seen "
                         "is written as a member under Root, and the management account is "
                         "the placeholder 'management'")
        for account in sorted(seen - externals):
            members[account] = ""
        for a in items["ListResourceShareAssociations"]:
            if a["AssociationType"] == "Target" and a["EntityType"] == "Folder":
                folder_paths.setdefault(a["EntityId"], a["EntityId"])
    closed = {s["ResourceShareId"] for s in items["ListResourceShares"]
              if not s["AllowExternalTargets"]}
    former: dict[str, str] = {}
    for a in sorted(items["ListResourceShareAssociations"], key=lambda a: a["ResourceShareId"]):
        if (a["AssociationType"] == "Target" and a["EntityType"] == "Account"
                and a["EntityId"] in externals and a["ResourceShareId"] in closed):
            former.setdefault(a["EntityId"], a["ResourceShareId"])
    for account in former:
        externals.discard(account)
        members[account] = ""
        org_notes.append(f"account {account} is outside the resource directory but a target "
                         f"of the share {former[account]}, which allows no external targets: "
                         "it is declared a member under Root and removed by the last step")
    members = {a: f for a, f in members.items() if a not in externals and a != management}

    return _Org(management, members, externals, folder_paths, former, org_notes)


def _write_org(w: _Writer, org: _Org) -> None:
    members, folder_paths, externals = org.members, org.folder_paths, org.externals
    w.add("org:")
    for text in org.notes:
        w.note(2, text)
    w.add(f"  management_account: {_s(org.management)}")
    root_members = sorted(a for a, f in members.items() if f == "")
    if root_members:
        w.add(f"  accounts: [{', '.join(_s(a) for a in root_members)}]")
    tree: dict[str, list[str]] = defaultdict(list)
    for path in sorted(p for p in folder_paths.values() if p):
        tree[path.rpartition("/")[0]].append(path)

    def write_folders(parent: str, indent: int) -> None:
        for path in tree.get(parent, []):
            w.add(" " * indent + f"- name: {_s(path.rpartition('/')[2])}")
            accounts = sorted(a for a, f in members.items() if f == path)
            if accounts:
                w.add(" " * indent + f"  accounts: [{', '.join(_s(a) for a in accounts)}]")
            if tree.get(path):
                w.add(" " * indent + "  folders:")
                write_folders(path, indent + 4)

    if tree.get(""):
        w.add("  folders:")
        write_folders("", 4)
    if externals:
        w.add(f"  external_accounts: [{', '.join(_s(a) for a in sorted(externals))}]")


def _raised_quotas(org: _Org) -> dict[str, int]:
    """The directory quotas the imported organisation needs above the defaults."""
    needed = {"rd_members": len(set(org.members) | {org.management}),
              "rd_folders": len({p for p in org.folder_paths.values() if p}),
              "folder_depth": max((p.count("/") + 1 for p in org.folder_paths.values() if p),
                                  default=0)}
    return {k: v for k, v in needed.items() if v > QUOTAS[k].default}


def import_state(state: State, *, name: str | None = None) -> Imported:
    """Write the scenario that rebuilds ``state`` (see the module docstring)."""
    w = _Writer()
    where = state.where.get
    items = state.items

    w.add("version: 1")
    w.add(f"name: {_s(name or 'imported-' + (Path(state.directory).name or 'state'))}")
    w.add(f"description: {_s('Imported from the List/Describe responses in ' + state.directory)}")
    w.add("")
    org = _organisation(state)
    raised = _raised_quotas(org)
    if raised:
        w.comment(0, "the directory is larger than the documented default quotas: they were "
                  "raised in the cloud")
        w.add("quotas: {" + ", ".join(f"{k}: {v}" for k, v in raised.items()) + "}")
    _write_org(w, org)
    management, externals, folder_paths, former = (org.management, org.externals,
                                                   org.folder_paths, org.former)

    # -- IPAMs, scopes and pools ------------------------------------------------------------
    scopes = {s["IpamScopeId"]: s for s in items["ListIpamScopes"]}
    pool_cidrs: dict[str, list[Cidr]] = defaultdict(list)
    for c in items["ListIpamPoolCidrs"]:
        if (c["Status"] or "Created") == "Created":
            pool_cidrs[c["IpamPoolId"]].append(_cidr(c["Cidr"], where(id(c), "")))
    allocations = [a for a in items["ListIpamPoolAllocations"]
                   if (a["Status"] or "Created") == "Created"]
    by_pool: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for a in allocations:
        a["_cidr"] = _cidr(a["Cidr"], where(id(a), ""))
        by_pool[a["IpamPoolId"]].append(a)
    pools = {p["IpamPoolId"]: p for p in items["ListIpamPools"]}
    late_rules: list[tuple[str, dict[str, int]]] = []
    late_import: list[str] = []
    skipped_pools: set[str] = set()
    if items["ListIpams"]:
        w.add("")
        w.add("ipams:")
    for ipam in sorted(items["ListIpams"], key=lambda i: i["IpamId"]):
        iid = ipam["IpamId"]
        w.add(f"  - id: {_s(iid)}")
        w.add(f"    owner: {_s(ipam['OwnerId'])}")
        w.add(f"    region: {_s(ipam['RegionId'])}")
        regions = sorted(set(ipam["OperatingRegionList"] or []) - {ipam["RegionId"]})
        if regions:
            w.add(f"    operating_regions: [{', '.join(_s(r) for r in regions)}]")
        custom = sorted(s["IpamScopeId"] for s in scopes.values()
                        if s["IpamId"] == iid and not s["IsDefault"])
        if custom:
            w.add(f"    scopes: [{', '.join(_s(s) for s in custom)}]")
        own = [p for p in pools.values() if p["IpamId"] == iid]
        if own:
            w.add("    pools:")
        for p in _depth_order(own):
            pid = p["IpamPoolId"]
            scope = scopes.get(p["IpamScopeId"])
            try:
                version = ip_version(p["IpVersion"] or "IPv4")
            except DomainError as err:
                raise UsageError(f"{where(id(p), '')}: field IpVersion: {err.message}") from None
            if scope is not None and (scope["IpamScopeType"] == "public") != (version == 6):
                w.note(6, f"pool {pid} is an IPv{version} pool in the {scope['IpamScopeType']} "
                          f"scope {scope['IpamScopeId']}: not imported (the public scope holds "
                          "IPv6 pools only, private scopes IPv4 only)")
                skipped_pools.add(pid)
                continue
            if p["SourceIpamPoolId"] and p["SourceIpamPoolId"] not in pools:
                w.note(6, f"pool {pid}: its source {p['SourceIpamPoolId']} is not in "
                          "ListIpamPools: not imported")
                skipped_pools.add(pid)
                continue
            if p["SourceIpamPoolId"] in skipped_pools:
                w.note(6, f"pool {pid}: its source {p['SourceIpamPoolId']} is not imported, "
                          "so neither is it")
                skipped_pools.add(pid)
                continue
            entry: dict[str, Any] = {"id": pid}
            if p["SourceIpamPoolId"]:
                entry["source"] = p["SourceIpamPoolId"]     # its scope, version and ISP line
            elif version == 6:                              # the public scope
                entry["ip_version"] = "IPv6"
                if p["Ipv6Isp"] and p["Ipv6Isp"] != "BGP":
                    entry["isp"] = p["Ipv6Isp"]
            elif scope is not None and not scope["IsDefault"]:
                entry["scope"] = scope["IpamScopeId"]
            if p["PoolRegionId"]:
                entry["region"] = p["PoolRegionId"]
            cidrs = sorted(pool_cidrs.get(pid) or [_cidr(c, where(id(p), ""), "Cidrs")
                                                    for c in p["Cidrs"] or []])
            if cidrs:
                entry["cidrs"] = [str(c) for c in cidrs]
            rules = {k: v for k, v in (("min_mask", p["AllocationMinCidrMask"]),
                                       ("max_mask", p["AllocationMaxCidrMask"]),
                                       ("default_mask", p["AllocationDefaultCidrMask"]))
                     if v is not None}
            if rules.get("min_mask") == 0:
                del rules["min_mask"]
            if rules.get("max_mask") == WIDTH[version]:
                del rules["max_mask"]
            lo, hi = rules.get("min_mask", 0), rules.get("max_mask", WIDTH[version])
            breaking = sorted(a["Cidr"] for a in by_pool.get(pid, [])
                              if not lo <= a["_cidr"].prefixlen <= hi)
            if rules and breaking:
                w.note(6, f"pool {pid}: the allocations {', '.join(breaking)} break its rules "
                          f"{_flow(rules)}; the pool is declared without rules and a last "
                          "step sets them")
                late_rules.append((pid, rules))
            elif rules:
                entry["rules"] = rules
            if p["AutoImport"]:
                late_import.append(pid)
            if p["IpamPoolName"] and p["IpamPoolName"] != pid:
                entry["name"] = p["IpamPoolName"]
            if p["IpamPoolDescription"]:
                entry["description"] = p["IpamPoolDescription"]
            w.add(f"      - {_flow(entry)}")
    orphan = sorted(set(pools) - {p["IpamPoolId"] for p in pools.values()
                                  if any(i["IpamId"] == p["IpamId"] for i in items["ListIpams"])})
    for pid in orphan:
        w.notes.append(f"pool {pid}: its IPAM {pools[pid]['IpamId']} is not in ListIpams: "
                       "not imported")
        skipped_pools.add(pid)

    # -- VPCs -------------------------------------------------------------------------------
    vpcs = {v["VpcId"]: v for v in items["DescribeVpcs"]}
    vpc_allocations: dict[str, list[dict[str, Any]]] = defaultdict(list)
    steps_vpc: list[list[str]] = []
    steps_custom: list[list[str]] = []
    creators: dict[tuple[str, str], None] = {}     # (account, pool) of what is drawn
    declared_vpcs: list[str] = []
    vpc_notes: list[str] = []
    custom_labels: set[str] = set()
    for a in sorted(allocations, key=lambda a: (a["IpamPoolId"], a["_cidr"])):
        if a["IpamPoolId"] in skipped_pools:
            continue
        if a["IpamPoolId"] not in pools:
            w.notes.append(f"allocation {a['Cidr']} names the pool {a['IpamPoolId']}, which "
                           "ListIpamPools does not list: not imported")
            continue
        if a["ResourceType"] == "VPC":
            if a["ResourceId"] in vpcs:
                vpc_allocations[a["ResourceId"]].append(a)
                continue
            w.notes.append(f"allocation {a['Cidr']} of pool {a['IpamPoolId']} belongs to VPC "
                           f"{a['ResourceId']}, which DescribeVpcs does not list: written as "
                           "a Custom allocation")
            a["_note"] = ("VPC allocation of a VPC DescribeVpcs does not list "
                          f"({a['ResourceId']}): written as a Custom allocation")
            a["ResourceType"] = "Custom"
        if a["ResourceType"] == "Custom":
            label = a["IpamPoolAllocationName"] or a["IpamPoolAllocationId"]
            if label in custom_labels:
                label = a["IpamPoolAllocationId"]
                a["_note"] = (f"{a['IpamPoolAllocationName']!r} names another allocation too: "
                              "this one is named by its id")
            custom_labels.add(label)
            steps_custom.append(_custom_step(a, label))
            creators[(a['ResourceOwnerId'], a['IpamPoolId'])] = None
        elif a["ResourceType"] == "IpamPool":
            child = a["ResourceId"]
            if child not in pools or a["_cidr"] not in pool_cidrs.get(child, []):
                w.notes.append(f"allocation {a['Cidr']} of pool {a['IpamPoolId']} is for the "
                               f"child pool {child}, which does not hold that CIDR: not "
                               "imported")
    for vid, v in sorted(vpcs.items()):
        primary = (None if v["CidrBlock"] is None
                   else _cidr(v["CidrBlock"], where(id(v), ""), "CidrBlock"))
        primary6 = (None if v["Ipv6CidrBlock"] is None
                    else _cidr(v["Ipv6CidrBlock"], where(id(v), ""), "Ipv6CidrBlock"))
        links = vpc_allocations.get(vid, [])
        first = next((a for a in links if a["_cidr"] == primary), None)
        # the IPv6 block made with the VPC: dual-stack from two pools, or IPv6 only
        first6 = (next((a for a in links if a["_cidr"] == primary6), None)
                  if first is not None or primary is None else None)
        secondary = (v["SecondaryCidrBlocks"] or {}).get("SecondaryCidrBlock") or []
        if first is None and first6 is None:
            if primary is None:
                vpc_notes.append(f"VPC {vid} has no IPv4 CIDR and no IPv6 block from a pool; "
                                 "the format declares existing VPCs by an IPv4 CIDR: not "
                                 "imported")
                continue
            declared_vpcs.append(_flow({"id": vid, "owner": v["OwnerId"],
                                        "region": v["RegionId"], "cidr": str(primary)}))
        else:
            step = ["- op: create_vpc", f"  as: {_s(v['OwnerId'])}", f"  vpc: {_s(vid)}"]
            for a, pool_key, cidr_key in ((first, "pool", "cidr"),
                                          (first6, "ipv6_pool", "ipv6_cidr")):
                if a is not None:
                    step += [f"  {pool_key}: {_s(a['IpamPoolId'])}",
                             f"  {cidr_key}: {_s(str(a['_cidr']))}"]
                    creators[(v['OwnerId'], a['IpamPoolId'])] = None
            pool = pools[(first or first6)["IpamPoolId"]]
            if (pool["PoolRegionId"] or "") != v["RegionId"]:
                step.insert(1, f"  region: {_s(v['RegionId'])}")
                step.insert(0, f"# VPC {vid} is in {v['RegionId']} but its pool's region is "
                               f"{pool['PoolRegionId'] or 'none'}: today's rules refuse this")
                vpc_notes.append(f"VPC {vid}: region {v['RegionId']} differs from the region "
                                 f"of its pool {pool['IpamPoolId']}; the step will fail")
            steps_vpc.append(step)
        linked = {str(a["_cidr"]) for a in links}
        for a in links:
            if a is first or a is first6:
                continue
            creators[(v["OwnerId"], a["IpamPoolId"])] = None
            steps_vpc.append(["- op: associate_vpc_cidr_block", f"  as: {_s(v['OwnerId'])}",
                              f"  vpc: {_s(vid)}", f"  pool: {_s(a['IpamPoolId'])}",
                              f"  cidr: {_s(str(a['_cidr']))}"]
                             + (["  ip_version: IPv6"] if a["_cidr"].version == 6 else []))
        if primary6 is not None and str(primary6) not in linked:
            vpc_notes.append(f"VPC {vid}: the IPv6 block {primary6} comes from no pool; the "
                             "format declares one IPv4 CIDR per existing VPC: not imported")
        for extra in secondary:
            if str(_cidr(extra, where(id(v), ""), "SecondaryCidrBlock")) not in linked:
                vpc_notes.append(f"VPC {vid}: the secondary CIDR {extra} comes from no pool; "
                                 "the format declares one CIDR per existing VPC: not imported")
    if declared_vpcs or vpc_notes:
        w.add("")
        w.add("vpcs:")
        for text in vpc_notes:
            w.note(2, text)
        for line in declared_vpcs:
            w.add(f"  - {line}")
        if not declared_vpcs:
            w.add("  []")

    # -- shares -----------------------------------------------------------------------------
    assoc: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for a in items["ListResourceShareAssociations"]:
        assoc[a["ResourceShareId"]].append(a)
    steps_share: list[list[str]] = []
    steps_accept: list[list[str]] = []
    steps_delete: list[list[str]] = []
    share_info: dict[str, tuple[str, set[str], set[str], str]] = {}
    for share in sorted(items["ListResourceShares"], key=lambda s: s["ResourceShareId"]):
        sid, owner, status = (share["ResourceShareId"], share["ResourceShareOwner"],
                              share["ResourceShareStatus"])
        if status not in ("Active", "Deleted"):
            w.notes.append(f"share {sid} is {status}: not imported")
            continue
        wanted = ("Associated", "Associating") if status == "Active" else (
            "Associated", "Associating", "Disassociated", "Disassociating")
        resources, principals, accepted, rejected = [], [], [], []
        comments = []
        for a in sorted(assoc.get(sid, []), key=_association_order):
            if a["AssociationStatus"] not in wanted + ("Failed",):
                continue
            if a["AssociationType"] == "Resource":
                pid = a["EntityId"]
                if pid not in pools or pid in skipped_pools or pools[pid]["OwnerId"] != owner:
                    comments.append(f"resource {pid} is not an imported pool of {owner}: left "
                                    "out")
                    continue
                if a["AssociationStatus"] != "Failed":
                    resources.append(pid)
                continue
            kind, entity = a["EntityType"], a["EntityId"]
            if kind == "ResourceDirectory":
                principals.append("rd")
            elif kind == "Folder":
                if entity not in folder_paths or not folder_paths[entity]:
                    comments.append(f"target folder {entity} is not in the directory read: "
                                    "left out")
                    continue
                principals.append(f"folder:{folder_paths[entity]}")
            else:
                principals.append(entity if ":" not in entity and entity != "rd"
                                  else f"account:{entity}")
                if entity in externals and status == "Active":
                    if a["AssociationStatus"] == "Associated":
                        accepted.append(entity)
                    elif a["AssociationStatus"] == "Failed":
                        rejected.append(entity)
                        comments.append(f"the invitation of {entity} failed (rejected or "
                                        "expired): written as rejected")
                    else:
                        comments.append(f"the invitation of {entity} is pending: it is sent "
                                        "again at the scenario's start and expires 7 days "
                                        "after")
        if not resources:
            w.notes.append(f"share {sid}: none of its resources is an imported pool: "
                           "not imported")
            continue
        allow = bool(share["AllowExternalTargets"])
        share_info[sid] = (owner, set(resources), set(principals) | {f"account:{x}" for x in
                                                                    principals}, status)
        first_r, *more_r = _chunks(sorted(set(resources)))
        first_p, *more_p = _chunks(list(dict.fromkeys(principals)))
        step = [f"# {c}" for c in comments]
        w.notes.extend(f"share {sid}: {c}" for c in comments)
        step += ["- op: create_resource_share", f"  as: {_s(owner)}", f"  share: {_s(sid)}",
                 f"  resources: [{', '.join(_s(x) for x in first_r)}]",
                 f"  principals: [{', '.join(_s(x) for x in first_p)}]"]
        if allow:
            step.append("  allow_external: true")
        steps_share.append(step)
        for extra_r, extra_p in zip_longest(more_r, more_p, fillvalue=[]):
            step = ["- op: associate_resource_share", f"  as: {_s(owner)}",
                    f"  share: {_s(sid)}"]
            if extra_r:
                step.append(f"  resources: [{', '.join(_s(x) for x in extra_r)}]")
            if extra_p:
                step.append(f"  principals: [{', '.join(_s(x) for x in extra_p)}]")
            steps_share.append(step)
        for account in accepted:
            steps_accept.append(["- op: accept_resource_share_invitation",
                                 f"  as: {_s(account)}", f"  share: {_s(sid)}"])
        for account in rejected:
            steps_accept.append(["- op: reject_resource_share_invitation",
                                 f"  as: {_s(account)}", f"  share: {_s(sid)}"])
        if status == "Deleted":
            steps_delete.append(["# deleted: made, used by the steps above, then deleted",
                                 "- op: delete_resource_share", f"  as: {_s(owner)}",
                                 f"  share: {_s(sid)}"])

    # -- steps, in order: shares, acceptances, VPCs, reservations, deletions, rules, checks --
    checks = []
    for pid in sorted(pools):
        if pid in skipped_pools:
            continue
        provisioned = sum(c.size for c in pool_cidrs.get(pid, []))
        allocated = sum(a["_cidr"].size for a in by_pool.get(pid, []))
        figures = {"pool": pid, "provisioned_ips": provisioned, "allocated_ips": allocated}
        checks.append([f"- check: {_flow(figures)}"])
    rules_steps = [["- op: update_ipam_pool", f"  as: {_s(pools[pid]['OwnerId'])}",
                    f"  pool: {_s(pid)}", f"  rules: {_flow(rules)}"]
                   for pid, rules in late_rules]
    if late_import:
        rules_steps.insert(0, ["# auto import is turned on after the VPCs above exist, so it "
                               "adopts only what the state read had left unmanaged"])
    rules_steps += [["- op: update_ipam_pool", f"  as: {_s(pools[pid]['OwnerId'])}",
                     f"  pool: {_s(pid)}", "  auto_import: true"] for pid in sorted(late_import)]
    removals = [[f"# {a} was a member when the share {former[a]} named it; it has left the "
                 "resource directory since", "- op: remove_account", f"  as: {_s(management)}",
                 f"  account: {_s(a)}"] for a in sorted(former)]
    grant, revoke = _bridges(list(creators), pools, share_info,
                             org, w)
    # named allocations before the VPCs: the ids a run gives the VPCs' allocations
    # (``alloc-N``) then never take a name a later step gives
    steps = (steps_share + steps_accept + grant + steps_custom + steps_vpc + revoke
             + steps_delete + rules_steps + removals)
    if steps or checks:
        w.add("")
        w.add("steps:")
        for step in steps + checks:
            w.lines.extend(step)
    return Imported("\n".join(w.lines) + "\n", w.notes)


def _bridges(creators: list[tuple[str, str]], pools: dict[str, dict[str, Any]],
             share_info: dict[str, tuple[str, set[str], set[str], str]], org: _Org,
             w: _Writer) -> tuple[list[list[str]], list[list[str]]]:
    """Steps that let an account that no longer sees a pool make what it made there.

    An allocation a principal made stays after the principal loses the pool (a
    share deleted, the principal removed or moved).  The import gives such a
    member the pool back for the steps that make its allocations, through a
    share of the pool that the state lists (associated before, disassociated
    after); an external account that was a principal of a share since deleted
    accepts that share's invitation again; any other account, or a pool no
    listed share holds, gets a share of its own that is deleted afterwards
    (reported: it shows as a Deleted share).
    """
    grant: list[list[str]] = []
    revoke: list[list[str]] = []

    def covered(account: str, principals: set[str]) -> bool:
        if account in principals or f"account:{account}" in principals:
            return True
        folder = org.members.get(account)
        if folder is None:
            return False
        return "rd" in principals or any(
            p.startswith("folder:") and (folder == p[7:] or folder.startswith(p[7:] + "/"))
            for p in principals)

    for number, (account, pid) in enumerate(creators, start=1):
        owner = pools[pid]["OwnerId"] if pid in pools else None
        if owner is None or account == owner:
            continue
        holding = [sid for sid, (o, res, _, _) in sorted(share_info.items())
                   if o == owner and pid in res]
        named = [sid for sid in holding if covered(account, share_info[sid][2])]
        if named:
            if account in org.externals and all(share_info[sid][3] == "Deleted"
                                                for sid in named):
                grant.append([f"# {account} made allocations in {pid} through the share "
                              f"{named[0]}, since deleted: it had accepted the invitation",
                              "- op: accept_resource_share_invitation", f"  as: {_s(account)}",
                              f"  share: {_s(named[0])}"])
            continue
        if holding and account in org.members:
            sid = holding[0]
            grant.append([f"# {account} made allocations in {pid} while it saw the pool; "
                          "it is given the pool back for those steps",
                          "- op: associate_resource_share", f"  as: {_s(owner)}",
                          f"  share: {_s(sid)}", f"  principals: [{_s(account)}]"])
            revoke.append(["- op: disassociate_resource_share", f"  as: {_s(owner)}",
                           f"  share: {_s(sid)}", f"  principals: [{_s(account)}]"])
            continue
        bridge = f"import-access-{number}"
        w.notes.append(f"{account} made allocations in pool {pid}, which no share in the "
                       f"state gives it now: the import lends it the pool through the share "
                       f"{bridge}, which is deleted again (it stays listed as Deleted)")
        grant.append(["- op: create_resource_share", f"  as: {_s(owner)}",
                      f"  share: {bridge}", f"  resources: [{_s(pid)}]",
                      f"  principals: [{_s(account)}]", "  allow_external: true"])
        if account in org.externals:
            grant.append(["- op: accept_resource_share_invitation", f"  as: {_s(account)}",
                          f"  share: {bridge}"])
        revoke.append(["- op: delete_resource_share", f"  as: {_s(owner)}",
                       f"  share: {bridge}"])
    return grant, revoke


def _association_order(a: dict[str, Any]) -> tuple[str, int, str]:
    """Resources first, then targets: the directory, folders, accounts; each by id."""
    rank = {"ResourceDirectory": 0, "Folder": 1}.get(a["EntityType"], 2)
    return a["AssociationType"], rank, a["EntityId"]


def _custom_step(a: dict[str, Any], label: str) -> list[str]:
    step = [f"# {a['_note']}"] if a.get("_note") else []
    return step + ["- op: create_ipam_pool_allocation", f"  as: {_s(a['ResourceOwnerId'])}",
                   f"  pool: {_s(a['IpamPoolId'])}", f"  allocation: {_s(label)}",
                   f"  cidr: {a['_cidr']}"]


def import_aliyun(directory: str | Path, output: str | Path | None = None, *,
                  name: str | None = None) -> Imported:
    """Read ``directory`` and write the scenario to ``output`` (when given).

    Raises :class:`~simkit.values.errors.UsageError` for a malformed
    response or an output path that cannot be written.
    """
    imported = import_state(read_state(directory), name=name)
    if output is not None:
        target = Path(output)
        if target.is_dir():
            raise UsageError(f"{target}: is a directory; give the scenario file to write")
        try:
            target.write_text(imported.text, encoding="utf-8")
        except OSError as err:
            raise UsageError(f"{target}: cannot write the scenario: {err.strerror}") from err
    return imported
