"""The operations of the scenario format, each mapped onto the model it acts on.

Every operation of docs/scenario-format.md (``create_vpc``, ``create_resource_share``,
``move_account``...) is one handler ``(sim, actor, args, region) -> Result``
in :data:`OPS`; :meth:`simkit.engine.Simulation.do` looks the handler up.
A handler only translates arguments and results: the rules live in the
model (``ipam``, ``vpcs``), the shares (``sharing``) and the organisation
(``org``).

Examples
--------
>>> sorted(OPS)[:3]
['accept_resource_share_invitation', 'add_ipam_pool_cidr', 'associate_resource_share']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..model.discovery import resource_cidrs
from ..values.addresses import Cidr, parse_cidr

__all__ = ["OPS", "Result"]


@dataclass(frozen=True)
class Result:
    """What an operation gave: the pool and resource it concerned, a CIDR, a listing."""

    pool: str | None = None
    resource: str | None = None
    cidr: Cidr | None = None
    items: tuple[str, ...] | None = None



def _rules(args: Mapping[str, Any]) -> dict[str, Any]:
    rules = args.get("rules") or {}
    return {k: rules[k] for k in ("min_mask", "max_mask", "default_mask") if k in rules}


def _op_create_ipam(sim: Any, actor: str, a: dict, region: str | None) -> Result:
    ipam = sim.model.create_ipam(actor, a["ipam"], region or a.get("region"),
                                 a.get("operating_regions", ()), a.get("scopes", ()))
    return Result(resource=ipam.id)


def _op_create_ipam_pool(sim: Any, actor: str, a: dict, region: str | None) -> Result:
    pool = sim.model.create_pool(
        actor, a["ipam"], a["pool"], source=a.get("source"), scope=a.get("scope"),
        region=a.get("region", region), auto_import=a.get("auto_import", False),
        strategy=a.get("strategy", "first"), name=a.get("name"),
        description=a.get("description"), cidrs=a.get("cidrs", ()), masks=a.get("masks", ()),
        **_rules(a))
    return Result(pool=pool.id, resource=pool.id)


def _op_update_ipam_pool(sim: Any, actor: str, a: dict, region: str | None) -> Result:
    kwargs: dict[str, Any] = _rules(a)
    for key in ("name", "description", "auto_import"):
        if key in a:
            kwargs[key] = a[key]
    sim.model.update_pool(actor, a["pool"], **kwargs)
    return Result(pool=a["pool"], resource=a["pool"])


def _op_delete_ipam_pool(sim: Any, actor: str, a: dict, region: str | None) -> Result:
    sim.model.delete_pool(actor, a["pool"])
    return Result(pool=a["pool"], resource=a["pool"])


def _op_add_ipam_pool_cidr(sim: Any, actor: str, a: dict, region: str | None) -> Result:
    cidr = sim.model.add_pool_cidr(actor, a["pool"], cidr=a.get("cidr"), mask=a.get("mask"))
    return Result(pool=a["pool"], cidr=cidr)


def _op_delete_ipam_pool_cidr(sim: Any, actor: str, a: dict,
                              region: str | None) -> Result:
    sim.model.delete_pool_cidr(actor, a["pool"], a["cidr"])
    return Result(pool=a["pool"], cidr=parse_cidr(a["cidr"]))


def _op_create_vpc(sim: Any, actor: str, a: dict, region: str | None) -> Result:
    pool = a.get("pool")
    vpc = sim.model.create_vpc(actor, a["vpc"], sim._region(pool, region, actor), pool=pool,
                               mask=a.get("mask"), cidr=a.get("cidr"))
    return Result(pool=pool, resource=vpc.id, cidr=vpc.cidr)


def _op_associate_vpc_cidr_block(sim: Any, actor: str, a: dict,
                                 region: str | None) -> Result:
    pool = a.get("pool")
    alloc = sim.model.associate_vpc_cidr_block(actor, a["vpc"], sim._region(pool, region, actor),
                                               pool=pool, mask=a.get("mask"),
                                               cidr=a.get("cidr"))
    return Result(pool=pool, resource=a["vpc"], cidr=alloc.cidr)


def _op_delete_vpc(sim: Any, actor: str, a: dict, region: str | None) -> Result:
    sim.model.delete_vpc(actor, a["vpc"])
    return Result(resource=a["vpc"])


def _op_create_ipam_pool_allocation(sim: Any, actor: str, a: dict,
                                    region: str | None) -> Result:
    alloc = sim.model.create_allocation(actor, a["pool"], mask=a.get("mask"),
                                        cidr=a.get("cidr"), name=a.get("allocation"))
    return Result(pool=alloc.pool, resource=alloc.id, cidr=alloc.cidr)


def _op_delete_ipam_pool_allocation(sim: Any, actor: str, a: dict,
                                    region: str | None) -> Result:
    alloc = sim.model.delete_allocation(actor, str(a["allocation"]))
    return Result(pool=alloc.pool, resource=alloc.id, cidr=alloc.cidr)


def _op_next_cidr(sim: Any, actor: str, a: dict, region: str | None) -> Result:
    cidr = sim.model.next_available_cidr(actor, a["pool"], a["mask"])
    if cidr is None:
        p = sim.model.pools[a["pool"]]
        raise p.space.insufficient(a["mask"])
    return Result(pool=a["pool"], cidr=cidr)


def _op_list_ipam_pools(sim: Any, actor: str, a: dict, region: str | None) -> Result:
    return Result(items=tuple(p.id for p in sim.model.list_pools(actor)))


def _op_list_ipam_pool_cidrs(sim: Any, actor: str, a: dict,
                             region: str | None) -> Result:
    cidrs = sim.model.list_pool_cidrs(actor, a["pool"])
    return Result(pool=a["pool"], items=tuple(str(c) for c in cidrs))


def _op_list_ipam_pool_allocations(sim: Any, actor: str, a: dict,
                                   region: str | None) -> Result:
    allocs = sim.model.list_pool_allocations(actor, a["pool"])
    return Result(pool=a["pool"], items=tuple(str(x.cidr) for x in allocs))


def _op_list_ipam_resource_cidrs(sim: Any, actor: str, a: dict,
                                 region: str | None) -> Result:
    sim.model.checked_pool(actor, a["pool"], "list_ipam_resource_cidrs")
    rows = resource_cidrs(sim.model, sim.org, pool=a["pool"])
    return Result(pool=a["pool"], items=tuple(r["cidr"] for r in rows))


def _op_create_resource_share(sim: Any, actor: str, a: dict,
                              region: str | None) -> Result:
    sim.shares.create(actor, a["share"], a.get("resources", ()), a.get("principals", ()),
                      allow_external=a.get("allow_external", False))
    return Result(resource=a["share"])


def _op_associate_resource_share(sim: Any, actor: str, a: dict,
                                 region: str | None) -> Result:
    sim.shares.associate(actor, a["share"], a.get("resources", ()), a.get("principals", ()))
    return Result(resource=a["share"])


def _op_disassociate_resource_share(sim: Any, actor: str, a: dict,
                                    region: str | None) -> Result:
    sim.shares.disassociate(actor, a["share"], a.get("resources", ()), a.get("principals", ()))
    return Result(resource=a["share"])


def _op_delete_resource_share(sim: Any, actor: str, a: dict,
                              region: str | None) -> Result:
    sim.shares.delete(actor, a["share"])
    return Result(resource=a["share"])


def _op_accept(sim: Any, actor: str, a: dict, region: str | None) -> Result:
    sim.shares.accept(actor, a["share"])
    return Result(resource=a["share"])


def _op_reject(sim: Any, actor: str, a: dict, region: str | None) -> Result:
    sim.shares.reject(actor, a["share"])
    return Result(resource=a["share"])


def _op_move_account(sim: Any, actor: str, a: dict, region: str | None) -> Result:
    sim.org.move_account(actor, a["account"], a["folder"])
    return Result(resource=a["account"])


def _op_remove_account(sim: Any, actor: str, a: dict, region: str | None) -> Result:
    sim.org.remove_account(actor, a["account"])
    return Result(resource=a["account"])


OPS: dict[str, Callable[[Any, str, dict, str | None], Result]] = {
    "create_ipam": _op_create_ipam,
    "create_ipam_pool": _op_create_ipam_pool,
    "update_ipam_pool": _op_update_ipam_pool,
    "delete_ipam_pool": _op_delete_ipam_pool,
    "add_ipam_pool_cidr": _op_add_ipam_pool_cidr,
    "delete_ipam_pool_cidr": _op_delete_ipam_pool_cidr,
    "create_vpc": _op_create_vpc,
    "associate_vpc_cidr_block": _op_associate_vpc_cidr_block,
    "delete_vpc": _op_delete_vpc,
    "create_ipam_pool_allocation": _op_create_ipam_pool_allocation,
    "delete_ipam_pool_allocation": _op_delete_ipam_pool_allocation,
    "get_ipam_pool_next_available_cidr": _op_next_cidr,
    "list_ipam_pools": _op_list_ipam_pools,
    "list_ipam_pool_cidrs": _op_list_ipam_pool_cidrs,
    "list_ipam_pool_allocations": _op_list_ipam_pool_allocations,
    "list_ipam_resource_cidrs": _op_list_ipam_resource_cidrs,
    "create_resource_share": _op_create_resource_share,
    "associate_resource_share": _op_associate_resource_share,
    "disassociate_resource_share": _op_disassociate_resource_share,
    "delete_resource_share": _op_delete_resource_share,
    "accept_resource_share_invitation": _op_accept,
    "reject_resource_share_invitation": _op_reject,
    "move_account": _op_move_account,
    "remove_account": _op_remove_account,
}
