"""The operations, one record each: every fact about an operation in one place.

An :class:`Operation` says what a scenario step (and :meth:`Simulation.do
<simkit.engine.simulation.Simulation.do>`) may ask for: its name, the cloud
API action and version it mirrors, its arguments (format types, which are
required, which exclude each other), what it gives an ``expect``, the kind of
id it creates or frees, whether it draws address space, whether auto import
runs after it, the permission-matrix actions it needs, and its handler onto
the model.  Every other face reads :data:`OPERATIONS`: the scenario format's
step table and its JSON Schema (:mod:`simkit.scenario.tables`), the argument
check of ``Simulation.do``, the event records of the engine, what-if's space
requests, the permission matrix test and the operation table of
docs/scenario-format.md (:func:`markdown_table`).  Adding an operation is one
record here and its handler.

A handler ``(sim, actor, args, region) -> Result`` only translates: the rules
live in the model (:mod:`simkit.model`).  ``args`` are the operation's
arguments, already checked against the record, and only read: they are the
scenario step's own mapping (the engine passes it without a copy, once per
step); ``region`` is the request region (``None``: the pool's, or its IPAM's
home region).

Examples
--------
>>> op = OPERATIONS["create_vpc"]
>>> op.api, op.version, op.makes, op.draws_space, op.actions
('CreateVpc', '2016-04-28', 'vpc', True, ('create_vpc',))
>>> [name for name, o in OPERATIONS.items() if o.frees]
['delete_ipam_pool', 'delete_vpc', 'delete_ipam_pool_allocation', 'delete_resource_share']
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..model.discovery import resource_cidrs
from ..model.objects import ISPS
from ..values.addresses import IP_VERSIONS, Cidr, parse_cidr
from ..values.allocator import STRATEGIES
from ..values.errors import DomainError, UsageError
from ..values.records import new_record
from .records import Field, ListOf, Maybe, Record
from .scalars import AccountRef, CidrText, Flag, FolderRef, Mask, Text, _At, _Context, _Type
from .wire import (
    Wire,
    answer_allocation,
    answer_associate_vpc,
    answer_associations,
    answer_cidr,
    answer_create_ipam,
    answer_create_vpc,
    answer_invitation,
    answer_resource,
    answer_share,
    items_allocations,
    items_associations,
    items_invitations,
    items_ipams,
    items_pool_cidrs,
    items_pools,
    items_resource_cidrs,
    items_scopes,
    items_shares,
    items_vpcs,
    prepare_exit,
    prepare_invitation,
    prepare_pool,
)
from .yamltree import _Invalid, _plain, _tree_of

__all__ = ["OPERATIONS", "PRODUCTS", "Operation", "Result", "markdown_table", "operation"]

#: The cloud products the operations belong to: product -> API version.
PRODUCTS: dict[str, str] = {
    "VpcIpam": "2023-02-28",
    "VPC": "2016-04-28",
    "ResourceSharing": "2020-01-10",
    "ResourceDirectoryMaster": "2022-04-19",
}


class Result(NamedTuple):
    """What an operation gave: the pool and resource it concerned, a CIDR, a listing.

    An immutable named tuple: every step makes one, and a frozen dataclass costs
    more than twice as much to build.  The handlers a run calls most build it
    with ``Result._make`` from all its fields in order (pool, resource, cidr,
    items, ipv6_cidr): a third of the cost of naming them.
    """

    pool: str | None = None
    resource: str | None = None
    cidr: Cidr | None = None
    items: tuple[str, ...] | None = None
    ipv6_cidr: Cidr | None = None


Handler = Callable[[Any, str, dict[str, Any], "str | None"], Result]


@dataclass(frozen=True)
class Operation:
    """One operation: the single declaration every face of simkit reads.

    Attributes
    ----------
    name : the scenario op (the cloud API in snake case).
    api : the cloud API action it mirrors (``CreateVpc``).
    product : the cloud product, a key of :data:`PRODUCTS`.
    doc : one line for the docs and the JSON Schema.
    args : its arguments, each a format :class:`~simkit.scenario.records.Field`.
    handler : applies it to a simulation (see the module docstring).
    summary : the argument column of the docs' operation table.
    gives : the ``expect`` key that fits its result (``cidr``, ``pools``,
        ``cidrs``, ``allocations``), or None.
    also_gives : further ``expect`` keys it fits, which may be given with ``gives``
        (``ipv6_cidr`` for a dual-stack VPC).
    exclusive, one_of : argument groups of which at most / exactly one is given.
    makes : the kind of id it creates (``vpc``, ``pool``, ``share``,
        ``allocation``, ``ipam``); its argument of that name holds the id.
    frees : the kind of id it deletes, freeing the name for a later create.
    resource : the argument naming the resource its event concerns, if any.
    draws_space : it asks a pool for a VPC or Custom block (what-if counts these
        requests and their refusals).
    discovery : auto import runs after it (it can add an Unmanaged CIDR, free or
        provision space, or turn auto import on).
    actions : the permission-matrix actions (:data:`simkit.model.permissions.MATRIX`
        rows) it asks for; ``arg_actions`` those asked only when an argument is given.
    own_region : ``region`` is one of its arguments (the new object's region),
        not the request region.
    wire : how the cloud's API carries it (:class:`~simkit.scenario.wire.Wire`):
        request parameters, answer, paging; None for an operation with no API
        that ``simkit serve`` answers.
    """

    name: str
    api: str
    product: str
    doc: str
    args: dict[str, Field]
    handler: Handler
    summary: str = ""
    gives: str | None = None
    also_gives: tuple[str, ...] = ()
    exclusive: tuple[tuple[str, ...], ...] = ()
    one_of: tuple[tuple[str, ...], ...] = ()
    makes: str | None = None
    frees: str | None = None
    resource: str | None = None
    draws_space: bool = False
    discovery: bool = False
    actions: tuple[str, ...] = ()
    arg_actions: dict[str, str] = field(default_factory=dict)
    own_region: bool = False
    wire: Wire | None = None

    @property
    def version(self) -> str:
        """The API version of its product (``2016-04-28`` for VPC)."""
        return PRODUCTS[self.product]

    @functools.cached_property
    def pool_args(self) -> tuple[str, ...]:
        """Its arguments that name a pool (``pool``, ``ipv6_pool``): pools whose figures
        it may change."""
        return tuple(name for name in ("pool", "ipv6_pool") if name in self.args)

    @property
    def all_actions(self) -> tuple[str, ...]:
        """Every permission-matrix action it may ask for."""
        return (*self.actions, *self.arg_actions.values())

    def arguments(self, *, noun: str = "argument") -> Record:
        """Its arguments as a format record (``region`` added when it is the request's).

        ``Simulation.do`` checks keyword arguments with it; the scenario step
        record (:mod:`simkit.scenario.tables`) adds ``op``, ``as`` and ``expect``.
        """
        fields = dict(self.args)
        if not self.own_region:
            fields["region"] = _REGION_ARG
        return Record(self.name, fields, doc=self.doc, noun=noun, exclusive=self.exclusive,
                      one_of=self.one_of)

    def check_call(self, actor: Any, args: Mapping[str, Any], org: Any,
                   accounts: tuple[str, ...] = ()) -> tuple[dict[str, Any], str | None]:
        """Check a Python call as a scenario step is checked: ``(arguments, region)``.

        ``org`` is the :class:`~simkit.model.org.Organisation` that ``actor`` and
        any account or principal argument must be declared in.  Raises
        :class:`~simkit.values.errors.UsageError` naming the operation, the
        argument and the accepted ones (with a did-you-mean) for an unknown,
        missing or mistyped argument or an undeclared account.  An argument given as
        None counts as not given.

        Examples
        --------
        >>> from simkit.model.org import Organisation
        >>> OPERATIONS["create_vpc"].check_call("mgmt", {"vpc": "v1", "pool": "hz", "msk": 20},
        ...                                     Organisation("mgmt"))
        Traceback (most recent call last):
        ...
        simkit.UsageError: create_vpc: unknown argument 'msk' in create_vpc (did you mean ...
        """
        ctx = _Context(org=org, accounts=accounts or (lambda: (*org.members(), *org.externals())))
        given = {key: value for key, value in args.items() if value is not None}
        try:
            AccountRef().check(actor, _At(self.name, "actor", 0, ctx))
            checked = _plain(self.arguments().check(_tree_of(given), _At("", "", 0, ctx)))
        except _Invalid as err:
            reason = err.reason if err.reason.startswith(f"{self.name}") else \
                f"{self.name}: {err.reason}"
            raise UsageError(reason) from None
        region = None if self.own_region else checked.pop("region", None)
        return checked, region

    def refused_pool(self, args: Mapping[str, Any], err: DomainError) -> str | None:
        """The pool of a refused request's event: the one of the request's pools (``pool``,
        ``ipv6_pool``) that the refusal names, else ``pool``, else ``ipv6_pool``.

        A dual-stack ``create_vpc`` refused for lack of IPv6 space is its IPv6
        pool's refusal.  (An event of a request that succeeded names the pool
        of its result.)
        """
        given, ipv6 = args.get("pool"), args.get("ipv6_pool")
        named = err.details.get("pool")
        return named if named is not None and named in (given, ipv6) else given or ipv6

    def resource_of(self, args: Mapping[str, Any]) -> str | None:
        """The resource named in ``args`` (the event's ``resource``), or None."""
        value = args.get(self.resource) if self.resource else None
        return None if value is None else str(value)


# -- argument types -------------------------------------------------------------------------
_ID = Text(hint="an id")
_REGION = Text(hint="a region id such as cn-hangzhou")
_REGION_ARG = Field(_REGION, doc="request region (default: the pool's region)")
_LOOSE_RULES = Record("rules", {
    "min_mask": Field(Mask(strict=False), doc="smallest mask (largest block) allowed"),
    "max_mask": Field(Mask(strict=False), doc="largest mask (smallest block) allowed"),
    "default_mask": Field(Maybe(Mask(strict=False)),
                          doc="mask used when a request gives none (null: none)"),
}, doc="allocation rules (judged by the cloud when the step runs)", name="op_rules")


def _a(kind: _Type, doc: str = "", required: bool = False) -> Field:
    return Field(kind, required=required, doc=doc)


_POOL = _a(_ID, "the pool", required=True)
_SHARE = _a(_ID, "the resource share", required=True)
_VPC = _a(_ID, "the VPC", required=True)
_MASK = _a(Mask(strict=False), "prefix length of the block")
_CIDR = _a(CidrText(strict=False), "an explicit CIDR (judged by the cloud)")
_RESOURCES = ListOf(_ID, doc="pool ids")
_PRINCIPALS = ListOf(AccountRef(principal=True),
                     doc="rd, folder:PATH, account:ID or a bare account id")


def _rules(args: Mapping[str, Any]) -> dict[str, Any]:
    rules = args.get("rules") or {}
    return {k: rules[k] for k in ("min_mask", "max_mask", "default_mask") if k in rules}


# -- handlers -------------------------------------------------------------------------------
def _create_ipam(sim: Any, actor: str, a: dict[str, Any], region: str | None) -> Result:
    ipam = sim.model.create_ipam(actor, a["ipam"], a["region"], a.get("operating_regions", ()),
                                 a.get("scopes", ()))
    return Result(resource=ipam.id)


def _create_ipam_pool(sim: Any, actor: str, a: dict[str, Any], region: str | None) -> Result:
    pool = sim.model.create_pool(
        actor, a["ipam"], a["pool"], source=a.get("source"), scope=a.get("scope"),
        region=a.get("region"), auto_import=a.get("auto_import", False),
        strategy=a.get("strategy", "first"), name=a.get("name"),
        description=a.get("description"), cidrs=a.get("cidrs", ()), masks=a.get("masks", ()),
        ip_version=a.get("ip_version"), isp=a.get("isp"), **_rules(a))
    return Result(pool=pool.id, resource=pool.id)


def _update_ipam_pool(sim: Any, actor: str, a: dict[str, Any], region: str | None) -> Result:
    kwargs: dict[str, Any] = _rules(a)
    for key in ("name", "description", "auto_import"):
        if key in a:
            kwargs[key] = a[key]
    sim.model.update_pool(actor, a["pool"], **kwargs)
    return Result(pool=a["pool"], resource=a["pool"])


def _delete_ipam_pool(sim: Any, actor: str, a: dict[str, Any], region: str | None) -> Result:
    sim.model.delete_pool(actor, a["pool"])
    return Result(pool=a["pool"], resource=a["pool"])


def _add_ipam_pool_cidr(sim: Any, actor: str, a: dict[str, Any], region: str | None) -> Result:
    cidr = sim.model.add_pool_cidr(actor, a["pool"], cidr=a.get("cidr"), mask=a.get("mask"))
    return Result(pool=a["pool"], cidr=cidr)


def _delete_ipam_pool_cidr(sim: Any, actor: str, a: dict[str, Any],
                           region: str | None) -> Result:
    sim.model.delete_pool_cidr(actor, a["pool"], a["cidr"])
    return Result(pool=a["pool"], cidr=parse_cidr(a["cidr"]))


def _create_vpc(sim: Any, actor: str, a: dict[str, Any], region: str | None) -> Result:
    pool = a.get("pool")
    ipv6_pool = a.get("ipv6_pool")
    where = sim.model.request_region(pool if pool is not None else ipv6_pool, region, actor)
    vpc = sim.model.create_vpc(actor, a["vpc"], where, pool=pool, mask=a.get("mask"),
                               cidr=a.get("cidr"), ipv6_pool=ipv6_pool,
                               ipv6_mask=a.get("ipv6_mask"), ipv6_cidr=a.get("ipv6_cidr"))
    return Result(pool=pool if pool is not None else ipv6_pool, resource=vpc.id,
                  cidr=vpc.cidr if vpc.cidr is not None else vpc.ipv6_cidr,
                  ipv6_cidr=vpc.ipv6_cidr)


def _associate_vpc_cidr_block(sim: Any, actor: str, a: dict[str, Any],
                              region: str | None) -> Result:
    pool = a.get("pool")
    alloc = sim.model.associate_vpc_cidr_block(
        actor, a["vpc"], sim.model.request_region(pool, region, actor), pool=pool,
        mask=a.get("mask"), cidr=a.get("cidr"), ip_version=a.get("ip_version", "IPv4"))
    return Result(pool=pool, resource=a["vpc"], cidr=alloc.cidr)


def _delete_vpc(sim: Any, actor: str, a: dict[str, Any], region: str | None) -> Result:
    sim.model.delete_vpc(actor, a["vpc"])
    return Result(resource=a["vpc"])


def _create_ipam_pool_allocation(sim: Any, actor: str, a: dict[str, Any],
                                 region: str | None) -> Result:
    alloc = sim.model.create_allocation(actor, a["pool"], mask=a.get("mask"),
                                        cidr=a.get("cidr"), name=a.get("allocation"))
    return new_record(Result, (alloc.pool, alloc.id, alloc.cidr, None, None))


def _delete_ipam_pool_allocation(sim: Any, actor: str, a: dict[str, Any],
                                 region: str | None) -> Result:
    alloc = sim.model.delete_allocation(actor, str(a["allocation"]))
    return new_record(Result, (alloc.pool, alloc.id, alloc.cidr, None, None))


def _next_cidr(sim: Any, actor: str, a: dict[str, Any], region: str | None) -> Result:
    cidr = sim.model.next_available_cidr(actor, a["pool"], a["mask"])
    if cidr is None:
        raise sim.model.pools[a["pool"]].space.insufficient(a["mask"])
    return Result(pool=a["pool"], cidr=cidr)


def _list_ipam_pools(sim: Any, actor: str, a: dict[str, Any], region: str | None) -> Result:
    return Result(items=tuple(p.id for p in sim.model.list_pools(actor)))


def _list_ipam_pool_cidrs(sim: Any, actor: str, a: dict[str, Any],
                          region: str | None) -> Result:
    cidrs = sim.model.list_pool_cidrs(actor, a["pool"])
    return Result(pool=a["pool"], items=tuple(str(c) for c in cidrs))


def _list_ipam_pool_allocations(sim: Any, actor: str, a: dict[str, Any],
                                region: str | None) -> Result:
    allocs = sim.model.list_pool_allocations(actor, a["pool"])
    return Result(pool=a["pool"], items=tuple(str(x.cidr) for x in allocs))


def _list_ipam_resource_cidrs(sim: Any, actor: str, a: dict[str, Any],
                              region: str | None) -> Result:
    pool = a.get("pool")
    if pool is not None:
        sim.model.checked_pool(actor, pool, "list_ipam_resource_cidrs")
    rows = resource_cidrs(sim.model, sim.org, pool=pool, caller=actor)
    return Result(pool=pool, items=tuple(r["cidr"] for r in rows))


def _create_resource_share(sim: Any, actor: str, a: dict[str, Any],
                           region: str | None) -> Result:
    sim.shares.create(actor, a["share"], a.get("resources", ()), a.get("principals", ()),
                      allow_external=a.get("allow_external", False))
    return Result(resource=a["share"])


def _associate_resource_share(sim: Any, actor: str, a: dict[str, Any],
                              region: str | None) -> Result:
    sim.shares.associate(actor, a["share"], a.get("resources", ()), a.get("principals", ()))
    return Result(resource=a["share"])


def _disassociate_resource_share(sim: Any, actor: str, a: dict[str, Any],
                                 region: str | None) -> Result:
    sim.shares.disassociate(actor, a["share"], a.get("resources", ()), a.get("principals", ()))
    return Result(resource=a["share"])


def _delete_resource_share(sim: Any, actor: str, a: dict[str, Any],
                           region: str | None) -> Result:
    sim.shares.delete(actor, a["share"])
    return Result(resource=a["share"])


def _accept(sim: Any, actor: str, a: dict[str, Any], region: str | None) -> Result:
    sim.shares.accept(actor, a["share"])
    return Result(resource=a["share"])


def _reject(sim: Any, actor: str, a: dict[str, Any], region: str | None) -> Result:
    sim.shares.reject(actor, a["share"])
    return Result(resource=a["share"])


def _move_account(sim: Any, actor: str, a: dict[str, Any], region: str | None) -> Result:
    sim.org.move_account(actor, a["account"], a["folder"])
    return Result(resource=a["account"])


def _remove_account(sim: Any, actor: str, a: dict[str, Any], region: str | None) -> Result:
    sim.org.remove_account(actor, a["account"])
    return Result(resource=a["account"])


def _create_ipam_scope(sim: Any, actor: str, a: dict[str, Any], region: str | None) -> Result:
    scope = sim.model.create_scope(actor, a["ipam"], a["scope"])
    return Result(resource=scope.id)


def _list_ipams(sim: Any, actor: str, a: dict[str, Any], region: str | None) -> Result:
    return Result(items=tuple(i.id for i in sim.model.ipams.values() if i.owner == actor))


def _list_ipam_scopes(sim: Any, actor: str, a: dict[str, Any], region: str | None) -> Result:
    ipams = sim.model.ipams
    return Result(items=tuple(s.id for s in sim.model.scopes.values()
                              if ipams[s.ipam].owner == actor))


def _describe_vpcs(sim: Any, actor: str, a: dict[str, Any], region: str | None) -> Result:
    return Result(items=tuple(v.id for v in sim.model.vpcs.values() if v.owner == actor))


def _list_resource_shares(sim: Any, actor: str, a: dict[str, Any],
                          region: str | None) -> Result:
    if a.get("resource_owner", "Self") == "OtherAccounts":
        return Result(items=tuple(s.id for s in sim.shares.reaching(actor)))
    return Result(items=tuple(s.id for s in sim.shares.all(owner=actor)))


def _list_resource_share_associations(sim: Any, actor: str, a: dict[str, Any],
                                      region: str | None) -> Result:
    shares = [*(s for s in sim.shares.all(owner=actor) if s.active), *sim.shares.reaching(actor)]
    return Result(items=tuple(s.id for s in shares))


def _list_resource_share_invitations(sim: Any, actor: str, a: dict[str, Any],
                                     region: str | None) -> Result:
    return Result(items=tuple(i.share for i in sim.shares.invitations(actor)))


# -- the records ----------------------------------------------------------------------------
#: Every operation, keyed by name, in the order of the docs' operation table.
OPERATIONS: dict[str, Operation] = {o.name: o for o in (
    Operation(
        "create_ipam", "CreateIpam", "VpcIpam", "CreateIpam: an IPAM with its two default scopes",
        {"ipam": _a(_ID, "new IPAM id", True),
         "region": _a(_REGION, "its managed (home) region", True),
         "operating_regions": _a(ListOf(_REGION), "operating regions besides the home region"),
         "scopes": _a(ListOf(_ID), "custom private scopes")},
        _create_ipam, "ipam, region, operating_regions?, scopes?", makes="ipam",
        resource="ipam", own_region=True,
        wire=Wire({"RegionId": "region", "OperatingRegionList.N": "operating_regions"},
             answer_create_ipam, new_id="ipam")),
    Operation(
        "create_ipam_pool", "CreateIpamPool", "VpcIpam", "CreateIpamPool",
        {"ipam": _a(_ID, "the IPAM", required=True), "pool": _a(_ID, "new pool id", True),
         "source": _a(_ID, "source pool"), "scope": _a(_ID, "scope"),
         "region": _a(_REGION, "the new pool's region"), "rules": _a(_LOOSE_RULES),
         "cidrs": _a(ListOf(CidrText(strict=False)), "CIDRs to provision"),
         "masks": _a(ListOf(Mask(strict=False)), "masks to provision from the source (a "
                     "public top-level IPv6 pool: from the cloud's IPv6 range)"),
         "ip_version": _a(Text(enum=tuple(IP_VERSIONS)), "IPv4 (default) or IPv6"),
         "isp": _a(Text(enum=ISPS), "ISP line of a public IPv6 pool (default BGP)"),
         "auto_import": _a(Flag(), "adopt discovered unmanaged CIDRs"),
         "strategy": _a(Text(enum=STRATEGIES), "how blocks are chosen (simkit extension)"),
         "name": _a(Text(min_length=0), "display name"),
         "description": _a(Text(min_length=0), "description")},
        _create_ipam_pool, "ipam, pool, source?, scope?, region?, rules?, cidrs?, masks?, "
        "ip_version?, isp?",
        makes="pool", resource="pool", discovery=True, actions=("create_ipam_pool",),
        own_region=True,
        wire=Wire({"IpamScopeId": "scope", "SourceIpamPoolId": "source",
              "PoolRegionId": "region", "AllocationMinCidrMask": "rules.min_mask",
              "AllocationMaxCidrMask": "rules.max_mask",
              "AllocationDefaultCidrMask": "rules.default_mask", "AutoImport": "auto_import",
              "IpamPoolName": "name", "IpamPoolDescription": "description",
              "IpVersion": "ip_version", "Ipv6Isp": "isp"},
             answer_resource("IpamPoolId"), required=("IpamScopeId", "RegionId"),
             new_id="ipam-pool", prepare=prepare_pool)),
    Operation(
        "update_ipam_pool", "UpdateIpamPool", "VpcIpam", "UpdateIpamPool",
        {"pool": _POOL, "name": _a(Text(min_length=0)), "description": _a(Text(min_length=0)),
         "rules": _a(_LOOSE_RULES), "auto_import": _a(Flag())},
        _update_ipam_pool, "pool, name?, description?, rules?, auto_import?", resource="pool",
        discovery=True, actions=("update_ipam_pool",),
        arg_actions={"rules": "update_ipam_pool_rules",
                     "auto_import": "update_ipam_pool_auto_import"},
        wire=Wire({"IpamPoolId": "pool", "IpamPoolName": "name",
              "IpamPoolDescription": "description", "AllocationMinCidrMask": "rules.min_mask",
              "AllocationMaxCidrMask": "rules.max_mask",
              "AllocationDefaultCidrMask": "rules.default_mask",
              "ClearAllocationDefaultCidrMask": ("rules.default_mask", None),
              "AutoImport": "auto_import"}, required=("RegionId",))),
    Operation(
        "delete_ipam_pool", "DeleteIpamPool", "VpcIpam", "DeleteIpamPool", {"pool": _POOL},
        _delete_ipam_pool, "pool", frees="pool", resource="pool",
        actions=("delete_ipam_pool",),
        wire=Wire({"IpamPoolId": "pool"}, required=("RegionId",))),
    Operation(
        "add_ipam_pool_cidr", "AddIpamPoolCidr", "VpcIpam", "AddIpamPoolCidr",
        {"pool": _POOL, "cidr": _CIDR, "mask": _MASK}, _add_ipam_pool_cidr,
        "pool, cidr or mask", gives="cidr", one_of=(("cidr", "mask"),), discovery=True,
        actions=("add_ipam_pool_cidr",),
        wire=Wire({"IpamPoolId": "pool", "Cidr": "cidr", "NetmaskLength": "mask"},
             answer_cidr("Cidr"), required=("RegionId",))),
    Operation(
        "delete_ipam_pool_cidr", "DeleteIpamPoolCidr", "VpcIpam", "DeleteIpamPoolCidr",
        {"pool": _POOL, "cidr": _a(CidrText(strict=False), "the CIDR", True)},
        _delete_ipam_pool_cidr, "pool, cidr", discovery=True,
        actions=("delete_ipam_pool_cidr",),
        wire=Wire({"IpamPoolId": "pool", "Cidr": "cidr"}, required=("RegionId",))),
    Operation(
        "create_vpc", "CreateVpc", "VPC",
        "CreateVpc: from a pool (mask, cidr, or its default mask), or Unmanaged (cidr, no pool)",
        {"vpc": _a(_ID, "new VPC id", True),
         "pool": _a(_ID, "the pool (none: an Unmanaged VPC with the given cidr)"),
         "mask": _MASK, "cidr": _CIDR,
         "ipv6_pool": _a(_ID, "the IPv6 pool of the VPC's IPv6 block"),
         "ipv6_mask": _a(Mask(strict=False), "prefix length of the IPv6 block"),
         "ipv6_cidr": _a(CidrText(strict=False), "an explicit IPv6 block (judged by the cloud)")},
        _create_vpc, "vpc, pool?, mask or cidr (no pool: an Unmanaged VPC of that cidr; "
        "pool, neither: its default mask), ipv6_pool? with ipv6_mask or ipv6_cidr "
        "(dual-stack; neither: its default mask)",
        gives="cidr", also_gives=("ipv6_cidr",),
        exclusive=(("mask", "cidr"), ("ipv6_mask", "ipv6_cidr")), makes="vpc", resource="vpc",
        draws_space=True, discovery=True, actions=("create_vpc",),
        wire=Wire({"RegionId": "region", "Ipv4IpamPoolId": "pool", "Ipv4CidrMask": "mask",
              "CidrBlock": "cidr", "Ipv6IpamPoolId": "ipv6_pool", "Ipv6CidrMask": "ipv6_mask",
              "Ipv6CidrBlock": "ipv6_cidr"}, answer_create_vpc, required=("RegionId",),
             new_id="vpc", label="VpcName")),
    Operation(
        "associate_vpc_cidr_block", "AssociateVpcCidrBlock", "VPC",
        "AssociateVpcCidrBlock from a pool",
        {"vpc": _VPC, "pool": _POOL, "mask": _MASK, "cidr": _CIDR,
         "ip_version": _a(Text(enum=("IPv4", "IPv6", "IPV4", "IPV6")),
                          "the kind of block: IPv4 (default) or IPv6")},
        _associate_vpc_cidr_block, "vpc, pool, mask or cidr, ip_version?", gives="cidr",
        exclusive=(("mask", "cidr"),), resource="vpc", draws_space=True,
        actions=("associate_vpc_cidr_block",),
        wire=Wire({"VpcId": "vpc", "RegionId": "region", "IpamPoolId": "pool",
              "SecondaryCidrMask": "mask", "SecondaryCidrBlock": "cidr",
              "IpVersion": "ip_version", "Ipv6CidrMask": "mask", "IPv6CidrBlock": "cidr"},
             answer_associate_vpc)),
    Operation(
        "delete_vpc", "DeleteVpc", "VPC", "DeleteVpc (releases its allocations)", {"vpc": _VPC},
        _delete_vpc, "vpc", frees="vpc", resource="vpc", discovery=True,
        wire=Wire({"VpcId": "vpc", "RegionId": "region"})),
    Operation(
        "describe_vpcs", "DescribeVpcs", "VPC", "DescribeVpcs: the caller's own VPCs", {},
        _describe_vpcs, "(none): the caller's own VPCs",
        wire=Wire({}, required=("RegionId",), items=items_vpcs, list_key="Vpcs.Vpc",
                  paging="page", filters={"RegionId": "RegionId", "VpcId": "VpcId",
                                          "VpcName": "VpcName"})),
    Operation(
        "create_ipam_pool_allocation", "CreateIpamPoolAllocation", "VpcIpam",
        "CreateIpamPoolAllocation",
        {"pool": _POOL, "allocation": _a(_ID, "a name later steps can use"),
         "mask": _MASK, "cidr": _CIDR},
        _create_ipam_pool_allocation, "pool, allocation?, mask or cidr", gives="cidr",
        exclusive=(("mask", "cidr"),), makes="allocation", resource="allocation",
        draws_space=True, actions=("create_ipam_pool_allocation",),
        wire=Wire({"IpamPoolId": "pool", "Cidr": "cidr", "CidrMask": "mask"},
             answer_allocation, required=("RegionId",), new_id="ipam-pool-alloc")),
    Operation(
        "delete_ipam_pool_allocation", "DeleteIpamPoolAllocation", "VpcIpam",
        "DeleteIpamPoolAllocation",
        {"allocation": _a(_ID, "a name, or the CIDR an earlier step got", True)},
        _delete_ipam_pool_allocation, "allocation (a name, or the CIDR an earlier step got)",
        frees="allocation", resource="allocation", discovery=True,
        actions=("delete_ipam_pool_allocation",),
        wire=Wire({"IpamPoolAllocationId": "allocation"}, required=("RegionId",))),
    Operation(
        "get_ipam_pool_next_available_cidr", "GetIpamPoolNextAvailableCidr", "VpcIpam",
        "GetIpamPoolNextAvailableCidr (a preview: reserves nothing)",
        {"pool": _POOL, "mask": _a(Mask(strict=False), "prefix length", True)},
        _next_cidr, "pool, mask (a preview: reserves nothing)", gives="cidr",
        actions=("get_ipam_pool_next_available_cidr",),
        wire=Wire({"IpamPoolId": "pool", "CidrMask": "mask"},
             answer_cidr("CidrBlock"), method="GET", required=("RegionId",))),
    Operation(
        "create_ipam_scope", "CreateIpamScope", "VpcIpam",
        "CreateIpamScope: a custom private scope",
        {"ipam": _a(_ID, "the IPAM", True), "scope": _a(_ID, "new scope id", True)},
        _create_ipam_scope, "ipam, scope", makes="scope", resource="scope",
        wire=Wire({"IpamId": "ipam"}, answer_resource("IpamScopeId"), required=("RegionId",),
                  new_id="ipam-scope")),
    Operation(
        "list_ipams", "ListIpams", "VpcIpam", "ListIpams: the caller's IPAMs", {}, _list_ipams,
        "(none): the caller's IPAMs",
        wire=Wire({}, required=("RegionId",), items=items_ipams, list_key="Ipams",
                  paging="token", filters={"RegionId": "RegionId", "IpamIds.N": "IpamId",
                                           "IpamName": "IpamName"})),
    Operation(
        "list_ipam_scopes", "ListIpamScopes", "VpcIpam",
        "ListIpamScopes: the scopes of the caller's IPAMs", {}, _list_ipam_scopes,
        "(none): the scopes of the caller's IPAMs",
        wire=Wire({}, required=("RegionId",), items=items_scopes, list_key="IpamScopes",
                  paging="token",
                  filters={"RegionId": "RegionId", "IpamId": "IpamId",
                           "IpamScopeIds.N": "IpamScopeId", "IpamScopeType": "IpamScopeType",
                           "IpamScopeName": "IpamScopeName"})),
    Operation(
        "list_ipam_pools", "ListIpamPools", "VpcIpam",
        "ListIpamPools: pools the caller owns or sees", {}, _list_ipam_pools,
        "(none): the pools the caller owns or sees through a share", gives="pools",
        actions=("list_ipam_pools",),
        wire=Wire({}, required=("RegionId",), items=items_pools, list_key="IpamPools",
             paging="token",
             filters={"RegionId": "RegionId", "IpamPoolIds.N": "IpamPoolId",
                      "IpamScopeId": "IpamScopeId", "PoolRegionId": "PoolRegionId",
                      "SourceIpamPoolId": "SourceIpamPoolId", "IsShared": "IsShared",
                      "IpVersion": "IpVersion", "IpamPoolName": "IpamPoolName"})),
    Operation(
        "list_ipam_pool_cidrs", "ListIpamPoolCidrs", "VpcIpam", "ListIpamPoolCidrs",
        {"pool": _POOL}, _list_ipam_pool_cidrs, "pool", gives="cidrs",
        actions=("list_ipam_pool_cidrs",),
        wire=Wire({"IpamPoolId": "pool"}, required=("RegionId",), items=items_pool_cidrs,
             list_key="IpamPoolCidrs", paging="token", filters={"Cidr": "Cidr"})),
    Operation(
        "list_ipam_pool_allocations", "ListIpamPoolAllocations", "VpcIpam",
        "ListIpamPoolAllocations", {"pool": _POOL}, _list_ipam_pool_allocations, "pool",
        gives="allocations", actions=("list_ipam_pool_allocations",),
        wire=Wire({"IpamPoolId": "pool"}, required=("RegionId",),
             items=items_allocations, list_key="IpamPoolAllocations", paging="token",
             filters={"Cidr": "Cidr", "IpamPoolAllocationIds.N": "IpamPoolAllocationId"})),
    Operation(
        "list_ipam_resource_cidrs", "ListIpamResourceCidrs", "VpcIpam", "ListIpamResourceCidrs",
        {"pool": _a(_ID, "the pool (none: every resource CIDR of the scopes of the "
                         "caller's IPAMs)")},
        _list_ipam_resource_cidrs, "pool? (none: the caller's IPAMs' scopes)", gives="cidrs",
        actions=("list_ipam_resource_cidrs",),
        wire=Wire({"IpamPoolId": "pool"}, required=("RegionId",),
             items=items_resource_cidrs, list_key="IpamResourceCidrs", paging="token",
             filters={"ResourceId": "ResourceId", "VpcId": "VpcId",
                      "ResourceOwnerId": "ResourceOwnerId", "IpamScopeId": "IpamScopeId"})),
    Operation(
        "create_resource_share", "CreateResourceShare", "ResourceSharing", "CreateResourceShare",
        {"share": _a(_ID, "new share id", True), "resources": _a(_RESOURCES, required=True),
         "principals": _a(_PRINCIPALS, required=True),
         "allow_external": _a(Flag(), "allow accounts outside the resource directory")},
        _create_resource_share, "share, resources, principals, allow_external?",
        makes="share", resource="share",
        wire=Wire({"Resources.N.ResourceId": "resources", "ResourceArns.N": "resources",
              "Targets.N": "principals", "AllowExternalTargets": "allow_external"},
             answer_share, required=("ResourceShareName",), new_id="rs",
             label="ResourceShareName")),
    Operation(
        "associate_resource_share", "AssociateResourceShare", "ResourceSharing",
        "AssociateResourceShare",
        {"share": _SHARE, "resources": _a(_RESOURCES), "principals": _a(_PRINCIPALS)},
        _associate_resource_share, "share, resources?, principals?", resource="share",
        wire=Wire({"ResourceShareId": "share", "Resources.N.ResourceId": "resources",
              "ResourceArns.N": "resources", "Targets.N": "principals"},
             answer_associations("Associated"))),
    Operation(
        "disassociate_resource_share", "DisassociateResourceShare", "ResourceSharing",
        "DisassociateResourceShare (a principal naming itself: leaving the share)",
        {"share": _SHARE, "resources": _a(_RESOURCES), "principals": _a(_PRINCIPALS)},
        _disassociate_resource_share, "share, resources?, principals?", resource="share",
        wire=Wire({"ResourceShareId": "share", "Resources.N.ResourceId": "resources",
              "ResourceArns.N": "resources", "Targets.N": "principals"},
             answer_associations("Disassociated"), prepare=prepare_exit)),
    Operation(
        "delete_resource_share", "DeleteResourceShare", "ResourceSharing",
        "DeleteResourceShare", {"share": _SHARE}, _delete_resource_share, "share",
        frees="share", resource="share",
        wire=Wire({"ResourceShareId": "share"})),
    Operation(
        "accept_resource_share_invitation", "AcceptResourceShareInvitation", "ResourceSharing",
        "AcceptResourceShareInvitation", {"share": _SHARE}, _accept, "share",
        resource="share",
        wire=Wire({}, answer_invitation, required=("ResourceShareInvitationId",),
             prepare=prepare_invitation)),
    Operation(
        "reject_resource_share_invitation", "RejectResourceShareInvitation", "ResourceSharing",
        "RejectResourceShareInvitation", {"share": _SHARE}, _reject, "share",
        resource="share",
        wire=Wire({}, answer_invitation, required=("ResourceShareInvitationId",),
             prepare=prepare_invitation)),
    Operation(
        "list_resource_shares", "ListResourceShares", "ResourceSharing",
        "ListResourceShares: the caller's shares (Self) or those that reach it (OtherAccounts)",
        {"resource_owner": _a(Text(enum=("Self", "OtherAccounts")),
                              "Self (default): shares it owns; OtherAccounts: shares of others "
                              "that reach it")},
        _list_resource_shares, "resource_owner?",
        wire=Wire({"ResourceOwner": "resource_owner"}, required=("ResourceOwner",),
                  items=items_shares, list_key="ResourceShares", paging="token-short",
                  page_size=20,
                  filters={"ResourceShareIds.N": "ResourceShareId",
                           "ResourceShareName": "ResourceShareName",
                           "ResourceShareStatus": "ResourceShareStatus"})),
    Operation(
        "list_resource_share_associations", "ListResourceShareAssociations", "ResourceSharing",
        "ListResourceShareAssociations: the resources or targets of the shares the caller sees",
        {"association_type": _a(Text(enum=("Resource", "Target")), "Resource or Target", True)},
        _list_resource_share_associations, "association_type",
        wire=Wire({"AssociationType": "association_type"}, items=items_associations,
                  list_key="ResourceShareAssociations", paging="token-short", page_size=20,
                  filters={"ResourceShareIds.N": "ResourceShareId",
                           "AssociationStatus": "AssociationStatus",
                           "ResourceId": "EntityId", "Target": "EntityId",
                           "ResourceArn": "ResourceArn"})),
    Operation(
        "list_resource_share_invitations", "ListResourceShareInvitations", "ResourceSharing",
        "ListResourceShareInvitations: the invitations the caller received", {},
        _list_resource_share_invitations, "(none): the invitations the caller received",
        wire=Wire({}, items=items_invitations, list_key="ResourceShareInvitations",
                  paging="token-short", page_size=20,
                  filters={"ResourceShareIds.N": "ResourceShareId",
                           "ResourceShareInvitationIds.N": "ResourceShareInvitationId"})),
    Operation(
        "move_account", "MoveAccount", "ResourceDirectoryMaster", "MoveAccount",
        {"account": _a(AccountRef(), "the member account", True),
         "folder": _a(FolderRef(), "path of the target folder (or Root)", True)},
        _move_account, "account, folder", resource="account"),
    Operation(
        "remove_account", "RemoveCloudAccount", "ResourceDirectoryMaster",
        "RemoveCloudAccount: it leaves the resource directory",
        {"account": _a(AccountRef(), "the member account", True)}, _remove_account,
        "account (it leaves the resource directory)", resource="account"),
)}


def operation(name: Any) -> Operation:
    """The record of the operation ``name``; a UsageError (with a did-you-mean) if none.

    Examples
    --------
    >>> operation("create_vcp")
    Traceback (most recent call last):
    ...
    simkit.UsageError: unknown operation 'create_vcp' (did you mean 'create_vpc'?); known: ...
    """
    found = OPERATIONS.get(name) if isinstance(name, str) else None
    if found is None:
        close = difflib.get_close_matches(str(name), list(OPERATIONS), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UsageError(f"unknown operation {name!r}{hint}; known: {', '.join(OPERATIONS)}")
    return found


def markdown_table() -> str:
    """The operation table of docs/scenario-format.md, from :data:`OPERATIONS`.

    Examples
    --------
    >>> print(markdown_table().splitlines()[4])
    | update_ipam_pool | UpdateIpamPool | pool, name?, description?, rules?, auto_import? |
    """
    rows = ["| op | cloud API | arguments |", "|---|---|---|"]
    rows += [f"| {o.name} | {o.api} | {o.summary} |" for o in OPERATIONS.values()]
    return "\n".join(rows) + "\n"
