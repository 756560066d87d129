"""Read the cloud's List/Describe answers from a directory, checking every field used.

A directory holds one response per file, exactly as the ``aliyun`` command
line prints it, named ``ACTION[.PARAMETER][.PAGE].json``: the action, the
parameter the call was made for (a pool id for ListIpamPoolCidrs and
ListIpamPoolAllocations, a parent folder id for ListFoldersForParent) and
the page number.  :func:`simkit.interop.dump` writes the same layout.
:func:`read_state` returns a :class:`State`; :func:`summary` reduces one to
what a round trip must keep.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..values.addresses import parse_cidr
from ..values.errors import DomainError, UsageError
from .responses import ACTIONS

__all__ = ["REQUIRED", "State", "read_state", "summary"]

REQUIRED = ("ListIpams", "ListIpamScopes", "ListIpamPools", "ListIpamPoolCidrs",
            "ListIpamPoolAllocations", "DescribeVpcs", "ListResourceShares",
            "ListResourceShareAssociations")

_STR, _INT, _BOOL, _LIST = "a string", "an integer", "true or false", "a list"
_CIDR = "a CIDR such as 10.0.0.0/16"
_OPT = "?"

#: The fields the import reads from each item: name -> kind (``?`` suffix: optional).
_FIELDS: dict[str, dict[str, str]] = {
    "ListIpams": {"IpamId": _STR, "OwnerId": _STR, "RegionId": _STR,
                  "OperatingRegionList": _LIST + _OPT},
    "ListIpamScopes": {"IpamScopeId": _STR, "IpamId": _STR, "IpamScopeType": _STR,
                       "IsDefault": _BOOL},
    "ListIpamPools": {"IpamPoolId": _STR, "IpamId": _STR, "IpamScopeId": _STR,
                      "OwnerId": _STR, "SourceIpamPoolId": _STR + _OPT,
                      "PoolRegionId": _STR + _OPT, "IpVersion": _STR + _OPT,
                      "AllocationMinCidrMask": _INT + _OPT,
                      "AllocationMaxCidrMask": _INT + _OPT,
                      "AllocationDefaultCidrMask": _INT + _OPT, "AutoImport": _BOOL + _OPT,
                      "IpamPoolName": _STR + _OPT, "IpamPoolDescription": _STR + _OPT,
                      "Cidrs": _LIST + _OPT, "Ipv6Isp": _STR + _OPT},
    "ListIpamPoolCidrs": {"Cidr": _CIDR, "IpamPoolId": _STR, "Status": _STR + _OPT},
    "ListIpamPoolAllocations": {"Cidr": _CIDR, "IpamPoolId": _STR, "ResourceType": _STR,
                                "ResourceOwnerId": _STR, "ResourceId": _STR + _OPT,
                                "IpamPoolAllocationId": _STR,
                                "IpamPoolAllocationName": _STR + _OPT,
                                "Status": _STR + _OPT, "CreationTime": _STR + _OPT},
    "DescribeVpcs": {"VpcId": _STR, "OwnerId": _STR, "RegionId": _STR,
                     "CidrBlock": _CIDR + _OPT, "Ipv6CidrBlock": _CIDR + _OPT,
                     "SecondaryCidrBlocks": "a SecondaryCidrBlocks object" + _OPT},
    "ListResourceShares": {"ResourceShareId": _STR, "ResourceShareOwner": _STR,
                           "ResourceShareStatus": _STR, "AllowExternalTargets": _BOOL + _OPT},
    "ListResourceShareAssociations": {"ResourceShareId": _STR, "AssociationType": _STR,
                                      "EntityId": _STR, "EntityType": _STR,
                                      "AssociationStatus": _STR, "External": _BOOL + _OPT},
    "GetResourceDirectory": {"MasterAccountId": _STR, "RootFolderId": _STR},
    "ListAccounts": {"AccountId": _STR, "FolderId": _STR},
    "ListFoldersForParent": {"FolderId": _STR, "FolderName": _STR},
}



def _file_name(name: str) -> tuple[str, str, int] | None:
    """``ACTION[.PARAMETER][.PAGE].json`` -> (action, parameter, page), or None.

    >>> _file_name("ListIpamPools.2.json"), _file_name("ListIpamPoolCidrs.hz.json")
    (('ListIpamPools', '', 2), ('ListIpamPoolCidrs', 'hz', 1))
    """
    if not name.endswith(".json"):
        return None
    action, *rest = name[:-len(".json")].split(".")
    if action not in ACTIONS:
        return None
    page = 1
    if rest and rest[-1].isdigit():
        page = int(rest.pop())
    return action, ".".join(rest), page


@dataclass
class State:
    """The items of every call read, keyed by action; ``series`` maps a series to its items.

    ``where`` gives, for each item (by ``id()``), the file it came from.
    """

    items: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    series: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    where: dict[int, str] = field(default_factory=dict)
    directory: str = ""


def _kind_ok(value: Any, kind: str) -> tuple[bool, Any]:
    if kind == _STR:
        if isinstance(value, bool):
            return False, value
        if isinstance(value, int):       # account ids sometimes arrive as numbers
            return True, str(value)
        return isinstance(value, str), value
    if kind == _INT:
        if isinstance(value, bool):
            return False, value
        if isinstance(value, str) and value.strip().isdigit():
            return True, int(value)
        return isinstance(value, int), value
    if kind == _BOOL:
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return True, value.lower() == "true"
        return isinstance(value, bool), value
    if kind == _CIDR:
        if not isinstance(value, str):
            return False, value
        try:
            parse_cidr(value)
        except DomainError:
            return False, value
        return True, value
    if kind == _LIST:
        return isinstance(value, list), value
    return isinstance(value, dict), value


def _check_item(item: Any, action: str, where: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise UsageError(f"{where}: each element of the list is a JSON object, not "
                         f"{json.dumps(item)[:40]}")
    out = dict(item)
    for name, kind in _FIELDS[action].items():
        optional = kind.endswith(_OPT)
        kind = kind.rstrip(_OPT)
        value = item.get(name)
        if value is None or (optional and value == ""):
            if optional:
                out[name] = None
                continue
            raise UsageError(f"{where}: field {name} is missing; {action} answers carry it")
        ok, value = _kind_ok(value, kind)
        if not ok:
            raise UsageError(f"{where}: field {name} is {json.dumps(value)[:40]}, not {kind}")
        out[name] = value
    return out


def _items_of(page: Any, action: str, where: str) -> list[Any]:
    key = ACTIONS[action][1]
    if not isinstance(page, dict):
        raise UsageError(f"{where}: a response is a JSON object, not {type(page).__name__}")
    if action == "GetResourceDirectory":
        inner = page.get(key)
        if not isinstance(inner, dict):
            raise UsageError(f"{where}: field {key} is missing or not an object")
        return [inner]
    outer, _, inner_key = key.partition(".")
    value = page.get(outer)
    if inner_key:
        if not isinstance(value, dict) or not isinstance(value.get(inner_key, []), list):
            raise UsageError(f"{where}: field {key} is missing or not a list "
                             f"(the answer wraps it as {outer}: {{{inner_key}: [...]}})")
        value = value.get(inner_key, [])
    elif not isinstance(value, list):
        raise UsageError(f"{where}: field {key} is missing or not a list")
    return value


def read_state(directory: str | Path) -> State:
    """Read and check a directory of List/Describe responses.

    Raises :class:`~simkit.values.errors.UsageError` with one line naming the
    file and the field for a malformed response, a missing call, a file
    that is not JSON or a page series whose ``NextToken`` promises a page
    that is not there.
    """
    root = Path(directory)
    if not root.is_dir():
        raise UsageError(f"{root}: not a directory of JSON responses")
    state = State(directory=str(root))
    raw: dict[tuple[str, str], list[tuple[int, Path, Any]]] = defaultdict(list)
    for path in sorted(root.iterdir()):
        parsed = _file_name(path.name)
        if parsed is None:
            continue
        action, param, number = parsed
        try:
            page = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as err:
            raise UsageError(f"{path}: cannot be read: {err}") from err
        except json.JSONDecodeError as err:
            raise UsageError(f"{path}: not JSON: {err.msg} at line {err.lineno}") from err
        raw[action, param].append((number, path, page))
    for (action, param), found in sorted(raw.items()):
        found.sort(key=lambda t: t[0])
        items: list[dict[str, Any]] = []
        for i, (_, path, page) in enumerate(found):
            token = page.get("NextToken") if isinstance(page, dict) else None
            last = i == len(found) - 1
            if ACTIONS[action][2] == "token" and last and token:
                raise UsageError(f"{path}: field NextToken is {token!r} but no next page "
                                 "follows; fetch every page (repeat the call with NextToken)")
            for n, item in enumerate(_items_of(page, action, str(path)), 1):
                checked = _check_item(item, action, f"{path}: item {n}")
                state.where[id(checked)] = f"{path}: item {n}"
                items.append(checked)
        state.series[action, param] = items
        state.items[action].extend(items)
    missing = [a for a in REQUIRED if not any(k[0] == a for k in raw)]
    if missing:
        raise UsageError(f"{root}: no response of {', '.join(missing)} "
                         f"(expected files such as {missing[0]}.json)")
    return state



def summary(state: State) -> dict[str, set[tuple[Any, ...]]]:
    """What a round trip must keep: pools, provisioned CIDRs, allocations and shares.

    Each value is a set of tuples: ``pools`` (id, IPAM, source, region,
    min, max and default mask, auto import, IP version, ISP line), ``cidrs``
    (pool, CIDR), ``allocations`` (pool, CIDR, type, owner), ``vpcs`` (id,
    owner, region, IPv4 CIDR, IPv6 block), ``shares`` (id, owner, status,
    allow external) and ``associations`` (share, kind, entity, status).
    """
    items = state.items
    return {
        "pools": {(p["IpamPoolId"], p["IpamId"], p["SourceIpamPoolId"] or "",
                   p["PoolRegionId"] or "", p["AllocationMinCidrMask"],
                   p["AllocationMaxCidrMask"], p["AllocationDefaultCidrMask"],
                   bool(p["AutoImport"]), p["IpVersion"] or "IPv4", p["Ipv6Isp"] or "")
                  for p in items["ListIpamPools"]},
        "vpcs": {(v["VpcId"], v["OwnerId"], v["RegionId"], v["CidrBlock"] or "",
                  v["Ipv6CidrBlock"] or "") for v in items["DescribeVpcs"]},
        "cidrs": {(c["IpamPoolId"], c["Cidr"]) for c in items["ListIpamPoolCidrs"]},
        "allocations": {(a["IpamPoolId"], a["Cidr"], a["ResourceType"], a["ResourceOwnerId"])
                        for a in items["ListIpamPoolAllocations"]},
        "shares": {(s["ResourceShareId"], s["ResourceShareOwner"], s["ResourceShareStatus"],
                    bool(s["AllowExternalTargets"])) for s in items["ListResourceShares"]},
        "associations": {(a["ResourceShareId"], a["AssociationType"], a["EntityId"],
                          a["AssociationStatus"])
                         for a in items["ListResourceShareAssociations"]},
    }
