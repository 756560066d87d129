"""The JSON answers of the cloud's List and Describe calls, built from model objects.

Each ``*_item`` function turns one model object into one element of a list
answer, with the field names and types of the cloud's API (VpcIpam
2023-02-28, VPC 2016-04-28, ResourceSharing 2020-01-10, Resource Directory
2022-04-19); :func:`pages` cuts a list of items into the pages the cloud
would send.  These functions read objects and return plain dicts: they do
not know where the objects come from (a finished simulation for
:func:`simkit.interop.dump`, the live state for a server answering List
calls), and they never change anything.

Paging follows the two styles of the APIs:

* ``NextToken`` (every IPAM and ResourceSharing list): each page carries
  ``MaxResults`` and a ``NextToken`` that is empty on the last page; the
  IPAM lists also carry ``Count`` (items on this page) and ``TotalCount``.
* ``PageNumber``/``PageSize`` (DescribeVpcs, ListAccounts): ``TotalCount``
  and the page number; DescribeVpcs wraps its list as ``Vpcs.Vpc[]``.

Examples
--------
>>> [p["NextToken"] for p in pages("ListIpamPools", [{"IpamPoolId": "a"}] * 3, max_results=2)]
['2', '']
>>> pages("DescribeVpcs", [{"VpcId": "vpc-1"}], max_results=10)[0]["Vpcs"]
{'Vpc': [{'VpcId': 'vpc-1'}]}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..model.objects import Allocation, Ipam, Pool, Scope, Vpc
from ..model.permissions import PERMISSION
from ..scenario.operations import OPERATIONS
from ..scenario.wire import time_text

__all__ = [
    "ACTIONS",
    "POOL_PERMISSION",
    "account_item",
    "allocation_item",
    "association_item",
    "folder_item",
    "ipam_item",
    "pages",
    "pool_cidr_item",
    "pool_item",
    "scope_item",
    "share_item",
    "vpc_item",
]

#: The permission a resource share grants on an IPAM pool.
POOL_PERMISSION = PERMISSION

#: The calls a dump answers that have an operation record: their wire says the
#: version, the key of the item list and the paging style.
_RECORDED = ("ListIpams", "ListIpamScopes", "ListIpamPools", "ListIpamPoolCidrs",
             "ListIpamPoolAllocations", "DescribeVpcs", "ListResourceShares",
             "ListResourceShareAssociations")
_STYLES = {"token": "token", "token-short": "token", "page": "number"}


def _actions() -> dict[str, tuple[str, str, str]]:
    by_api = {op.api: op for op in OPERATIONS.values() if op.wire is not None}
    out = {api: (by_api[api].version, by_api[api].wire.list_key,
                 _STYLES[by_api[api].wire.paging]) for api in _RECORDED}
    # the resource directory's calls, which simkit reads but does not serve
    out.update({"GetResourceDirectory": ("2022-04-19", "ResourceDirectory", "single"),
                "ListAccounts": ("2022-04-19", "Accounts.Account", "number"),
                "ListFoldersForParent": ("2022-04-19", "Folders.Folder", "number")})
    return out


#: Each list action: (its product version, the key of its item list, the paging style).
ACTIONS: dict[str, tuple[str, str, str]] = _actions()

#: The IPAM lists count the items of a page (``Count``) and of the whole list.
_COUNTED = frozenset(api for api in _RECORDED if api in {
    op.api for op in OPERATIONS.values() if op.wire is not None and op.wire.paging == "token"})

_time = time_text


def pages(action: str, items: Sequence[dict[str, Any]], *, max_results: int = 10,
          request_id: str = "") -> list[dict[str, Any]]:
    """Cut ``items`` into the pages the cloud returns for ``action``.

    An empty list is one page with no items.  ``NextToken`` is the index of
    the first item of the next page (an opaque string to clients).

    Examples
    --------
    >>> [len(p["IpamPools"]) for p in pages("ListIpamPools", [{}] * 5, max_results=2)]
    [2, 2, 1]
    >>> pages("ListResourceShares", [], max_results=20)
    [{'RequestId': '', 'MaxResults': 20, 'NextToken': '', 'ResourceShares': []}]
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown list action {action!r}; one of {', '.join(ACTIONS)}")
    if max_results < 1:
        raise ValueError(f"max_results is at least 1, not {max_results}")
    _, key, style = ACTIONS[action]
    chunks = [list(items[i:i + max_results]) for i in range(0, len(items), max_results)] or [[]]
    out = []
    for number, chunk in enumerate(chunks, 1):
        page: dict[str, Any] = {"RequestId": request_id}
        if style == "token":
            end = number * max_results
            page["MaxResults"] = max_results
            page["NextToken"] = str(end) if end < len(items) else ""
            if action in _COUNTED:
                page["Count"] = len(chunk)
                page["TotalCount"] = len(items)
        elif style == "number":
            page.update(PageNumber=number, PageSize=max_results, TotalCount=len(items))
        else:
            page[key] = chunk[0] if chunk else {}
            out.append(page)
            continue
        outer, _, inner = key.partition(".")
        page[outer] = {inner: chunk} if inner else chunk
        out.append(page)
    return out


# -- VpcIpam 2023-02-28 ----------------------------------------------------------------------
def ipam_item(ipam: Ipam, *, created: object = None) -> dict[str, Any]:
    """One element of ListIpams' ``Ipams``."""
    return {
        "CreateTime": _time(created),
        "IpamDescription": "",
        "IpamId": ipam.id,
        "IpamName": ipam.id,
        "IpamStatus": "Created",
        "OperatingRegionList": list(ipam.operating_regions),
        "OwnerId": ipam.owner,
        "PrivateDefaultScopeId": ipam.scopes[0],
        "PublicDefaultScopeId": ipam.scopes[1],
        "RegionId": ipam.region,
        "ResourceGroupId": "",
        "ScopeCount": len(ipam.scopes),
        "Tags": [],
    }


def scope_item(scope: Scope, ipam: Ipam, *, pool_count: int) -> dict[str, Any]:
    """One element of ListIpamScopes' ``IpamScopes``."""
    return {
        "CreateTime": "",
        "IpamId": scope.ipam,
        "IpamScopeDescription": "",
        "IpamScopeId": scope.id,
        "IpamScopeName": scope.id,
        "IpamScopeType": scope.kind,
        "IsDefault": scope.default,
        "OwnerId": ipam.owner,
        "PoolCount": pool_count,
        "RegionId": ipam.region,
        "ResourceGroupId": "",
        "Status": "Created",
        "Tags": [],
    }


def pool_item(pool: Pool, ipam: Ipam, scope: Scope, *, shared: bool) -> dict[str, Any]:
    """One element of ListIpamPools' ``IpamPools``."""
    return {
        "AllocationDefaultCidrMask": pool.default_mask,
        "AllocationMaxCidrMask": pool.max_mask,
        "AllocationMinCidrMask": pool.min_mask,
        "AutoImport": pool.auto_import,
        "Cidrs": [str(c) for c in pool.space.provisioned()],
        "CreateTime": _time(pool.created_at),
        "HasSubPool": bool(pool.children),
        "IpVersion": f"IPv{pool.version}",
        "IpamId": pool.ipam,
        "IpamPoolDescription": pool.description or "",
        "IpamPoolId": pool.id,
        "IpamPoolName": pool.name or "",
        "IpamRegionId": ipam.region,
        "IpamScopeId": pool.scope,
        "IpamScopeType": scope.kind,
        "Ipv6Isp": pool.isp or "",
        "IsShared": shared,
        "OwnerId": pool.owner,
        "PoolDepth": pool.depth,
        "PoolRegionId": pool.region or "",
        "RegionId": ipam.region,
        "ResourceGroupId": "",
        "SourceIpamPoolId": pool.source or "",
        "Status": "Created",
        "Tags": [],
    }


def pool_cidr_item(pool: Pool, cidr: object) -> dict[str, Any]:
    """One element of ListIpamPoolCidrs' ``IpamPoolCidrs``."""
    return {"Cidr": str(cidr), "IpamPoolId": pool.id, "Status": "Created"}


def allocation_item(allocation: Allocation, pool: Pool, ipam: Ipam, *,
                    resource_owner: str) -> dict[str, Any]:
    """One element of ListIpamPoolAllocations' ``IpamPoolAllocations``.

    ``ResourceOwnerId`` is the account that holds the block: the VPC's owner
    for a VPC allocation, the creator of a Custom one, the pool's owner for a
    child pool's block (``resource_owner``).  ``SourceCidr`` is the pool CIDR
    it lies in.
    """
    source = pool.space.provisioned_cidr_of(allocation.cidr)
    return {
        "Cidr": str(allocation.cidr),
        "CreationTime": _time(allocation.created_at),
        "IpamPoolAllocationDescription": "",
        "IpamPoolAllocationId": allocation.id,
        "IpamPoolAllocationName": allocation.resource if allocation.type == "Custom" else "",
        "IpamPoolId": pool.id,
        "RegionId": pool.region or ipam.region,
        "ResourceId": allocation.resource if allocation.type != "Custom" else "",
        "ResourceOwnerId": resource_owner,
        "ResourceRegionId": allocation.region or "",
        "ResourceType": allocation.type,
        "SourceCidr": "" if source is None else str(source),
        "Status": "Created",
    }


# -- VPC 2016-04-28 --------------------------------------------------------------------------
def vpc_item(vpc: Vpc, isp: str | None = None) -> dict[str, Any]:
    """One element of DescribeVpcs' ``Vpcs.Vpc``, with the API's XML-style wrappings.

    ``isp`` is the ISP line of the VPC's IPv6 block (its pool's), when known.
    """
    return {
        "CenStatus": "",
        "CidrBlock": "" if vpc.cidr is None else str(vpc.cidr),
        "CreationTime": "",
        "Description": "",
        "DhcpOptionsSetId": "",
        "DhcpOptionsSetStatus": "",
        "DnsHostnameStatus": "DISABLED",
        "EnabledIpv6": vpc.ipv6_cidr is not None,
        "Ipv6CidrBlock": "" if vpc.ipv6_cidr is None else str(vpc.ipv6_cidr),
        "Ipv6CidrBlocks": {"Ipv6CidrBlock": [] if vpc.ipv6_cidr is None else [
            {"Ipv6CidrBlock": str(vpc.ipv6_cidr),
             "Ipv6Isp": isp or ""}]},
        "IsDefault": False,
        "NatGatewayIds": {"NatGatewayIds": []},
        "OwnerId": vpc.owner,
        "RegionId": vpc.region,
        "ResourceGroupId": "",
        "RouterTableIds": {"RouterTableIds": []},
        "SecondaryCidrBlocks": {"SecondaryCidrBlock": [str(c) for c in vpc.secondary]},
        "Status": "Available",
        "Tags": {"Tag": []},
        "UserCidrs": {"UserCidr": []},
        "VRouterId": "",
        "VSwitchIds": {"VSwitchId": []},
        "VpcId": vpc.id,
        "VpcName": vpc.id,
    }


# -- ResourceSharing 2020-01-10 --------------------------------------------------------------
def share_item(share: Any) -> dict[str, Any]:
    """One element of ListResourceShares' ``ResourceShares`` (a :class:`ResourceShare`)."""
    return {
        "AllowExternalTargets": share.allow_external,
        "CreateTime": _time(share.created_at),
        "ResourceGroupId": "",
        "ResourceShareId": share.id,
        "ResourceShareName": share.id,
        "ResourceShareOwner": share.owner,
        "ResourceShareStatus": share.status,
        "Tags": [],
        "UpdateTime": _time(share.created_at),
    }


def association_item(share: Any, *, kind: str, entity_id: str, entity_type: str,
                     status: str, external: bool = False) -> dict[str, Any]:
    """One element of ListResourceShareAssociations' ``ResourceShareAssociations``.

    ``kind`` is ``Resource`` (``entity_type`` ``IpamPool``) or ``Target``
    (``Account``, ``Folder`` or ``ResourceDirectory``); ``status`` one of
    Associating, Associated, Failed, Disassociating, Disassociated.
    """
    return {
        "AssociationFailedDetails": [],
        "AssociationStatus": status,
        "AssociationStatusMessage": "",
        "AssociationType": kind,
        "CreateTime": _time(share.created_at),
        "EntityId": entity_id,
        "EntityType": entity_type,
        "External": external,
        "ResourceArn": "",
        "ResourceProperty": "",
        "ResourceShareId": share.id,
        "ResourceShareName": share.id,
        "TargetProperty": "",
        "UpdateTime": _time(share.created_at),
    }


# -- Resource Directory 2022-04-19 -----------------------------------------------------------
def account_item(account: str, *, folder_id: str, directory_id: str) -> dict[str, Any]:
    """One element of ListAccounts' ``Accounts.Account``."""
    return {"AccountId": account, "DisplayName": account, "FolderId": folder_id,
            "JoinMethod": "created", "ResourceDirectoryId": directory_id,
            "Status": "CreateSuccess", "Type": "ResourceAccount"}


def folder_item(folder_id: str, name: str) -> dict[str, Any]:
    """One element of ListFoldersForParent's ``Folders.Folder``."""
    return {"CreateTime": "", "FolderId": folder_id, "FolderName": name}
