"""How an operation looks on the cloud's wire: its parameters and its answer.

An :class:`~simkit.scenario.operations.Operation` that the cloud's API has
carries a :class:`Wire`: which request parameter fills which argument
(``IpamPoolId`` -> ``pool``, ``Ipv4CidrMask`` -> ``mask``, ``Targets.N`` ->
``principals``), which parameters only filter a list answer, the id a
create makes up when the request cannot name it (``vpc-…``, ``ipam-pool-…``),
and the answer: a function from the :class:`Call` to the JSON fields of the
response, or for a list the items and the key they are listed under.
``simkit serve`` (:mod:`simkit.server`) is the face that reads these records;
the item functions below (``pool_item``, ``vpc_item``...) give the field
names and types of the official SDK response models.

Parameter names follow the cloud's flattening: ``X.N`` is a list numbered
from 1 (``Targets.1``, ``Targets.2``), ``X.N.Y`` a list of objects
(``Resources.1.ResourceId``).  An argument path ``rules.min_mask`` fills a key
of a mapping argument.

Examples
--------
>>> from simkit.scenario.operations import OPERATIONS
>>> wire = OPERATIONS["create_vpc"].wire
>>> wire.params["Ipv4IpamPoolId"], wire.params["Ipv4CidrMask"], wire.new_id
('pool', 'mask', 'vpc')
>>> wire_id("vpc", 1)
'vpc-6b86b273ff34fce19d6b'
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from ..model.discovery import resource_cidrs
from ..model.permissions import PERMISSION
from ..values.errors import DomainError

__all__ = ["POOL_PERMISSION", "Call", "Wire", "invitation_id", "time_text", "wire_id"]

#: The permission a resource share grants on an IPAM pool.
POOL_PERMISSION = PERMISSION


@dataclass
class Call:
    """One request as the answer functions see it.

    ``sim`` is the simulation after the operation ran, ``actor`` the caller,
    ``args`` the operation's arguments, ``result`` what its handler gave,
    ``params`` the request's parameters (decoded), ``region`` the request's
    ``RegionId`` and ``labels`` the names given on the wire to objects the
    model keeps no name for (``ResourceShareName``, ``VpcName``), by id.
    """

    sim: Any
    actor: str
    args: dict[str, Any]
    result: Any
    params: Mapping[str, Any]
    region: str | None
    labels: dict[str, str] = field(default_factory=dict)
    folder_ids: Mapping[str, str] = field(default_factory=dict)
    rd_id: str = ""


Answer = Callable[[Call], dict[str, Any]]
Items = Callable[[Call], list[dict[str, Any]]]


def _nothing(call: Call) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Wire:
    """The wire face of one operation.

    Attributes
    ----------
    params : request parameter -> argument path; a value ``(path, value)``
        sets ``path`` to ``value`` when the parameter is true
        (``ClearAllocationDefaultCidrMask``).  ``RegionId`` -> ``region`` makes
        the request region an argument.
    answer : the response fields (besides ``RequestId``) for a call that succeeded.
    method : the HTTP method the SDK uses.
    required : request parameters the cloud requires besides those of the
        operation's required arguments (``MissingParameter`` when absent).
    new_id : the id prefix of what the operation makes, for creates whose
        request cannot name it (the argument ``makes`` names is filled).
    items, list_key, paging : for a list: its items, the key they go under
        (``Vpcs.Vpc``: nested), and ``"token"`` (MaxResults/NextToken, with
        ``Count`` and ``TotalCount``), ``"token-short"`` (MaxResults/NextToken
        only) or ``"page"`` (PageNumber/PageSize).
    page_size : the default page size.
    filters : request parameter -> item field it must equal (a list
        parameter ``X.N``: the field must be one of the values).
    label : the request parameter that names what a create makes when the model
        keeps no name for it (``ResourceShareName``, ``VpcName``).
    prepare : fills arguments the request names differently (the IPAM of a
        scope, the share of an invitation); may raise the cloud's error.
    """

    params: dict[str, Any] = field(default_factory=dict)
    answer: Answer = _nothing
    method: str = "POST"
    required: tuple[str, ...] = ()
    new_id: str | None = None
    items: Items | None = None
    list_key: str | None = None
    paging: str | None = None
    page_size: int = 10
    filters: dict[str, str] = field(default_factory=dict)
    prepare: Callable[[Any, str, dict[str, Any], Mapping[str, Any], Call], None] | None = None
    label: str | None = None


def wire_id(prefix: str, n: int) -> str:
    """The ``n``-th id of a kind made through the wire: deterministic, cloud-shaped."""
    return f"{prefix}-{hashlib.sha256(str(n).encode()).hexdigest()[:20]}"


def invitation_id(share: str, account: str) -> str:
    """The id of the invitation of ``account`` to ``share`` (stable for the pair)."""
    digest = hashlib.sha256(f"{share}\0{account}".encode()).hexdigest()[:20]
    return f"rsi-{digest}"


def time_text(value: object) -> str:
    """The cloud's time format, ``2026-01-01T00:00:00Z``; empty when unknown."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return ""


# -- VpcIpam items ----------------------------------------------------------------------
def ipam_item(sim: Any, ipam: Any) -> dict[str, Any]:
    """One element of ListIpams' ``Ipams``."""
    return {
        "CreateTime": "", "DefaultResourceDiscoveryAssociationId": "",
        "DefaultResourceDiscoveryId": "", "IpamDescription": "", "IpamId": ipam.id,
        "IpamName": ipam.id, "IpamStatus": "Created",
        "OperatingRegionList": list(ipam.operating_regions), "OwnerId": ipam.owner,
        "PrivateDefaultScopeId": ipam.scopes[0], "PublicDefaultScopeId": ipam.scopes[1],
        "RegionId": ipam.region, "ResourceDiscoveryAssociationCount": 1,
        "ResourceGroupId": "", "ScopeCount": len(ipam.scopes), "Tags": [],
    }


def scope_item(sim: Any, scope: Any) -> dict[str, Any]:
    """One element of ListIpamScopes' ``IpamScopes``."""
    ipam = sim.model.ipams[scope.ipam]
    return {
        "CreateTime": "", "IpamId": scope.ipam, "IpamScopeDescription": "",
        "IpamScopeId": scope.id, "IpamScopeName": scope.id, "IpamScopeType": scope.kind,
        "IsDefault": scope.default, "OwnerId": ipam.owner,
        "PoolCount": sum(1 for p in sim.model.pools.values() if p.scope == scope.id),
        "RegionId": ipam.region, "ResourceGroupId": "", "Status": "Created", "Tags": [],
    }


def pool_item(sim: Any, pool: Any) -> dict[str, Any]:
    """One element of ListIpamPools' ``IpamPools``."""
    ipam = sim.model.ipams[pool.ipam]
    return {
        "AllocationDefaultCidrMask": pool.default_mask,
        "AllocationMaxCidrMask": pool.max_mask, "AllocationMinCidrMask": pool.min_mask,
        "AutoImport": pool.auto_import,
        "Cidrs": [str(c) for c in pool.space.provisioned()],
        "CreateTime": time_text(pool.created_at), "HasSubPool": bool(pool.children),
        "IpVersion": f"IPv{pool.version}", "IpamId": pool.ipam,
        "IpamPoolDescription": pool.description or "", "IpamPoolId": pool.id,
        "IpamPoolName": pool.name or "", "IpamRegionId": ipam.region,
        "IpamScopeId": pool.scope, "IpamScopeType": sim.model.scopes[pool.scope].kind,
        "Ipv6Isp": "", "IsShared": bool(sim.shares.active_shares_of(pool.id)),
        "OwnerId": pool.owner, "PoolDepth": pool.depth, "PoolRegionId": pool.region or "",
        "RegionId": ipam.region, "ResourceGroupId": "",
        "SourceIpamPoolId": pool.source or "", "Status": "Created", "Tags": [],
    }


def allocation_item(sim: Any, alloc: Any) -> dict[str, Any]:
    """One element of ListIpamPoolAllocations' ``IpamPoolAllocations``."""
    pool = sim.model.pools[alloc.pool]
    owner = sim.model.vpcs[alloc.resource].owner if (
        alloc.type == "VPC" and alloc.resource in sim.model.vpcs) else alloc.created_by
    return {
        "Cidr": str(alloc.cidr), "CreationTime": time_text(alloc.created_at),
        "IpamPoolAllocationDescription": "", "IpamPoolAllocationId": alloc.id,
        "IpamPoolAllocationName": alloc.id if alloc.type == "Custom" else "",
        "IpamPoolId": alloc.pool, "RegionId": sim.model.ipams[pool.ipam].region,
        "ResourceId": alloc.resource if alloc.type != "Custom" else "",
        "ResourceOwnerId": owner, "ResourceRegionId": alloc.region or "",
        "ResourceType": alloc.type, "SourceCidr": source_cidr(pool, alloc.cidr),
        "Status": "Created",
    }


def source_cidr(pool: Any, cidr: Any) -> str:
    """The provisioned CIDR of ``pool`` that holds ``cidr``."""
    return next((str(c) for c in pool.space.provisioned() if cidr in c), "")


# -- VPC items --------------------------------------------------------------------------
def vpc_item(call: Call, vpc: Any) -> dict[str, Any]:
    """One element of DescribeVpcs' ``Vpcs.Vpc``, with the legacy nesting the SDK reads."""
    return {
        "CenStatus": "", "CidrBlock": str(vpc.cidr), "CreationTime": "",
        "Description": "", "DhcpOptionsSetId": "", "DhcpOptionsSetStatus": "",
        "DnsHostnameStatus": "DISABLED", "EnabledIpv6": False, "Ipv6CidrBlock": "",
        "Ipv6CidrBlocks": {"Ipv6CidrBlock": []}, "IsDefault": False,
        "NatGatewayIds": {"NatGatewayIds": []}, "OwnerId": vpc.owner,
        "RegionId": vpc.region, "ResourceGroupId": "",
        "RouterTableIds": {"RouterTableIds": []},
        "SecondaryCidrBlocks": {"SecondaryCidrBlock": [str(c) for c in vpc.secondary]},
        "Status": "Available", "Tags": {"Tag": []}, "UserCidrs": {"UserCidr": []},
        "VRouterId": f"vrt-{vpc.id}", "VSwitchIds": {"VSwitchId": []}, "VpcId": vpc.id,
        "VpcName": call.labels.get(vpc.id, ""),
    }


# -- ResourceSharing items --------------------------------------------------------------
def share_item(call: Call, share: Any) -> dict[str, Any]:
    """One resource share, as CreateResourceShare and ListResourceShares give it."""
    return {
        "AllowExternalTargets": share.allow_external, "CreateTime": time_text(share.created_at),
        "ResourceGroupId": "", "ResourceShareId": share.id,
        "ResourceShareName": call.labels.get(share.id, share.id),
        "ResourceShareOwner": share.owner, "ResourceShareStatus": share.status, "Tags": [],
        "UpdateTime": time_text(share.created_at),
    }


def target_id(call: Call, principal: Any) -> tuple[str, str]:
    """A principal as the wire names it: ``(EntityId, EntityType)``."""
    if principal.kind == "rd":
        return call.rd_id, "ResourceDirectory"
    if principal.kind == "folder":
        ids = {path: fid for fid, path in call.folder_ids.items()}
        return ids.get(principal.value, principal.value), "Folder"
    return principal.value, "Account"


def pool_arn(sim: Any, pool: str) -> str:
    """The ARN of an IPAM pool: ``acs:vpc:REGION:ACCOUNT:ipampool/POOL``."""
    p = sim.model.pools.get(pool)
    region = sim.model.ipams[p.ipam].region if p is not None else ""
    owner = p.owner if p is not None else ""
    return f"acs:vpc:{region}:{owner}:ipampool/{pool}"


def association_items(call: Call, share: Any, kind: str, status: str = "Associated",
                      only: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """The associations of ``share`` of ``kind`` (``Resource`` or ``Target``)."""
    out = []
    base = {"AssociationStatusMessage": "", "CreateTime": time_text(share.created_at),
            "ResourceShareId": share.id,
            "ResourceShareName": call.labels.get(share.id, share.id),
            "ResourceProperty": "", "TargetProperty": "",
            "UpdateTime": time_text(share.created_at), "AssociationFailedDetails": []}
    if kind == "Resource":
        for pool in share.resources:
            if only is None or pool in only:
                out.append({**base, "AssociationStatus": status, "AssociationType": "Resource",
                            "EntityId": pool, "EntityType": "IpamPool",
                            "ResourceArn": pool_arn(call.sim, pool), "External": False})
    else:
        for p in share.principals:
            entity, etype = target_id(call, p)
            if only is not None and str(p) not in only:
                continue
            external = p.kind == "account" and not call.sim.org.is_member(p.value)
            state = status
            if external and status == "Associated":
                inv = [i for i in call.sim.shares.invitations(p.value) if i.share == share.id]
                state = "Associated" if inv and inv[0].status == "Accepted" else "Associating"
            out.append({**base, "AssociationStatus": state, "AssociationType": "Target",
                        "EntityId": entity, "EntityType": etype, "ResourceArn": "",
                        "External": external})
    return out


def invitation_item(call: Call, inv: Any) -> dict[str, Any]:
    """One invitation, as ListResourceShareInvitations and Accept/Reject give it."""
    share = call.sim.shares.get(inv.share)
    return {
        "CreateTime": time_text(inv.sent_at), "ReceiverAccountId": inv.account,
        "ResourceShareId": inv.share,
        "ResourceShareInvitationId": invitation_id(inv.share, inv.account),
        "ResourceShareName": call.labels.get(inv.share, inv.share),
        "SenderAccountId": share.owner, "Status": inv.status,
        "InvitationFailedDetails": [], "AcceptInvitationFailedDetails": [],
    }


def refuse(code: str, **details: Any) -> DomainError:
    """The cloud's error ``code`` for a request the wire cannot pass on."""
    return DomainError(code, **details)


# -- the answers, one per operation that has one ------------------------------------------
def answer_create_ipam(call: Call) -> dict[str, Any]:
    ipam = call.sim.model.ipams[call.result.resource]
    return {"IpamId": ipam.id, "PrivateDefaultScopeId": ipam.scopes[0],
            "PublicDefaultScopeId": ipam.scopes[1], "DefaultResourceDiscoveryId": "",
            "DefaultResourceDiscoveryAssociationId": "", "ResourceDiscoveryAssociationCount": 1}


def answer_resource(key: str) -> Answer:
    """An answer that names what the operation made or concerned: ``{key: id}``."""
    def answer(call: Call) -> dict[str, Any]:
        return {key: call.result.resource}
    return answer


def answer_cidr(key: str) -> Answer:
    """An answer that gives the operation's CIDR: ``{key: cidr}``."""
    def answer(call: Call) -> dict[str, Any]:
        return {key: str(call.result.cidr)}
    return answer


def answer_allocation(call: Call) -> dict[str, Any]:
    pool = call.sim.model.pools[call.result.pool]
    return {"Cidr": str(call.result.cidr), "IpamPoolAllocationId": call.result.resource,
            "SourceCidr": source_cidr(pool, call.result.cidr)}


def answer_create_vpc(call: Call) -> dict[str, Any]:
    vid = call.result.resource
    return {"VpcId": vid, "VRouterId": f"vrt-{vid}", "RouteTableId": f"vtb-{vid}",
            "ResourceGroupId": ""}


def answer_associate_vpc(call: Call) -> dict[str, Any]:
    return {"CidrBlock": str(call.result.cidr), "IpVersion": "IPV4"}


def answer_share(call: Call) -> dict[str, Any]:
    share = call.sim.shares.get(call.result.resource)
    item = share_item(call, share)
    del item["ResourceGroupId"], item["Tags"]
    return {"ResourceShare": item}


def answer_associations(status: str) -> Answer:
    """The associations the request named, each with ``status``."""
    def answer(call: Call) -> dict[str, Any]:
        share = call.sim.shares.get(call.result.resource)
        pools = tuple(call.args.get("resources", ()))
        targets = tuple(str(call.sim.org.parse_principal(p))
                        for p in call.args.get("principals", ()))
        items = [*association_items(call, share, "Resource", status, pools),
                 *association_items(call, share, "Target", status, targets)]
        if status == "Disassociated":   # gone from the share: describe them as named
            items = _named_associations(call, share, pools, targets, status)
        for item in items:
            item.pop("AssociationFailedDetails", None)
            item.pop("External", None)
        return {"ResourceShareAssociations": items}
    return answer


def _named_associations(call: Call, share: Any, pools: tuple[str, ...],
                        targets: tuple[str, ...], status: str) -> list[dict[str, Any]]:
    org = call.sim.org
    gone = replace(share, resources=list(pools),
                   principals=[org.parse_principal(t) for t in targets])
    return [*association_items(call, gone, "Resource", status),
            *[{**item, "AssociationStatus": status}
              for item in association_items(call, gone, "Target", status)]]


def answer_invitation(call: Call) -> dict[str, Any]:
    invs = [i for i in call.sim.shares.invitations(call.actor)
            if i.share == call.result.resource]
    item = invitation_item(call, invs[0])
    del item["InvitationFailedDetails"]
    if item["Status"] != "Accepted":
        del item["AcceptInvitationFailedDetails"]
    return {"ResourceShareInvitation": item}


# -- the items of the list answers ----------------------------------------------------------
def items_ipams(call: Call) -> list[dict[str, Any]]:
    return [ipam_item(call.sim, call.sim.model.ipams[i]) for i in call.result.items]


def items_scopes(call: Call) -> list[dict[str, Any]]:
    return [scope_item(call.sim, call.sim.model.scopes[s]) for s in call.result.items]


def items_pools(call: Call) -> list[dict[str, Any]]:
    return [pool_item(call.sim, call.sim.model.pools[p]) for p in call.result.items]


def items_pool_cidrs(call: Call) -> list[dict[str, Any]]:
    return [{"Cidr": c, "IpamPoolId": call.result.pool, "Status": "Created"}
            for c in call.result.items]


def items_allocations(call: Call) -> list[dict[str, Any]]:
    model = call.sim.model
    allocs = model.list_pool_allocations(call.actor, call.result.pool)
    return [allocation_item(call.sim, a) for a in allocs]


def items_resource_cidrs(call: Call) -> list[dict[str, Any]]:
    sim = call.sim
    out = []
    for row in resource_cidrs(sim.model, sim.org, pool=call.result.pool, caller=call.actor):
        vpc = sim.model.vpcs.get(row.get("resource"))
        scope = sim.model.scopes[row["scope"]]
        out.append({
            "AliUid": vpc.owner if vpc else "", "Cidr": row["cidr"],
            "ComplianceStatus": row.get("compliance_status", ""),
            "IpCountDetail": None, "IpUsage": "",
            "IpamAllocationId": row.get("allocation") or "", "IpamId": scope.ipam,
            "IpamPoolId": row.get("pool") or "", "IpamScopeId": scope.id,
            "ManagementStatus": row.get("management_status", ""),
            "OverlapDetail": [{"OverlapResourceCidr": "", "OverlapResourceId": other,
                               "OverlapResourceRegion": ""}
                              for other in filter(None, row["overlapping"].split(", "))],
            "OverlapStatus": row["overlap_status"], "ResourceId": row.get("resource", ""),
            "ResourceName": "", "ResourceOwnerId": vpc.owner if vpc else "",
            "ResourceRegionId": vpc.region if vpc else "", "ResourceType": "VPC",
            "SourceCidr": "", "Status": "Created", "VpcId": row.get("resource", ""),
        })
    return out


def items_vpcs(call: Call) -> list[dict[str, Any]]:
    return [vpc_item(call, call.sim.model.vpcs[v]) for v in call.result.items]


def items_shares(call: Call) -> list[dict[str, Any]]:
    return [share_item(call, call.sim.shares.get(s)) for s in call.result.items]


def items_associations(call: Call) -> list[dict[str, Any]]:
    kind = call.args["association_type"]
    return [item for s in call.result.items
            for item in association_items(call, call.sim.shares.get(s), kind)]


def items_invitations(call: Call) -> list[dict[str, Any]]:
    invs = {i.share: i for i in call.sim.shares.invitations(call.actor)}
    return [invitation_item(call, invs[s]) for s in call.result.items]


# -- requests that name things differently ---------------------------------------------------
def prepare_pool(sim: Any, actor: str, args: dict[str, Any], params: Mapping[str, Any],
                 call: Call) -> None:
    """CreateIpamPool names the scope (or the source pool), not the IPAM."""
    scope = sim.model.scopes.get(args.get("scope"))
    if scope is None or sim.model.ipams[scope.ipam].owner != actor:
        raise refuse("ResourceNotFound.IpamScope", scope=args.get("scope"), actor=actor)
    args["ipam"] = scope.ipam


def prepare_exit(sim: Any, actor: str, args: dict[str, Any], params: Mapping[str, Any],
                 call: Call) -> None:
    """``ResourceOwner=OtherAccounts``: a principal asks to leave, naming itself."""
    owner = params.get("ResourceOwner", "Self")
    if owner not in ("Self", "OtherAccounts"):
        raise refuse("InvalidParameter.Value", name="ResourceOwner",
                     reason=f"{owner!r} is not Self or OtherAccounts")
    if owner == "OtherAccounts" and not args.get("principals") and not args.get("resources"):
        args["principals"] = [f"account:{actor}"]


def prepare_invitation(sim: Any, actor: str, args: dict[str, Any], params: Mapping[str, Any],
                       call: Call) -> None:
    """Accept and Reject name the invitation; the operation takes its share."""
    wanted = params.get("ResourceShareInvitationId")
    for inv in sim.shares.invitations():
        if invitation_id(inv.share, inv.account) == wanted:
            args["share"] = inv.share
            return
    raise refuse("ResourceNotFound.Invitation", actor=actor, share=wanted)
