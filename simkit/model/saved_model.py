"""The IPAM model's saved state: :meth:`SavedModel.to_state` and :meth:`SavedModel.from_state`.

A part of :class:`~simkit.model.ipam.IpamModel` (its base class, as
:class:`~simkit.model.vpcs.VpcRequests` is), kept apart because reading a
state back is mostly the checks that what the model's requests keep true
holds in it.
"""

from __future__ import annotations

from typing import Any, Self

from ..values.allocator import STRATEGIES, AddressSpace
from ..values.errors import StateError
from ..values.quotas import Quotas
from ..values.state import Reader, check_attributes, encode_fields
from .objects import ALLOCATION_TYPES, Allocation, Ipam, Pool, Scope, Vpc

__all__ = ["SavedModel"]


class SavedModel:
    """Writing the model as plain data and reading it back (see :mod:`simkit.values.state`)."""

    #: The attributes :meth:`to_state` writes, :meth:`from_state` is given or rebuilds.
    _STATE = frozenset({"quotas", "rng", "clock", "access", "ipams", "scopes", "pools",
                        "vpcs", "allocations", "_counter", "_index", "_typed_ips",
                        "_ipv6_ranges", "_rank", "_unmanaged"})

    def to_state(self) -> dict[str, Any]:
        """The model as plain data (see :mod:`simkit.values.state`).

        The id counter, then the IPAMs, scopes, pools (each record with its
        address space), allocations and VPCs in creation order, field by field.
        The indexes by CIDR and the IPs per allocation type are rebuilt from the
        allocations; the quotas, generator, clock and access policy are the
        simulation's.

        Examples
        --------
        >>> from simkit.model.ipam import IpamModel
        >>> model = IpamModel()
        >>> _ = model.create_ipam("netadmin", "ipam-main", "cn-hangzhou")
        >>> _ = model.create_pool("netadmin", "ipam-main", "corp", cidrs=["10.0.0.0/16"])
        >>> _ = model.create_allocation("netadmin", "corp", mask=24, name="lab")
        >>> model.to_state()["pools"][0]["space"]["allocated"]
        ['10.0.0.0/24']
        >>> IpamModel.from_state(model.to_state()).fingerprint() == model.fingerprint()
        True
        """
        check_attributes(self, self._STATE)
        return {
            "counter": self._counter,
            "ipams": [encode_fields(i) for i in self.ipams.values()],
            "scopes": [encode_fields(s) for s in self.scopes.values()],
            "pools": [{"pool": encode_fields(p, skip=("space",)), "space": p.space.to_state()}
                      for p in self.pools.values()],
            "allocations": [encode_fields(a) for a in self.allocations.values()],
            "vpcs": [encode_fields(v) for v in self.vpcs.values()],
            "ipv6_ranges": [[region, isp, str(c)]
                            for (region, isp), c in self._ipv6_ranges.items()],
        }

    @classmethod
    def from_state(cls, state: Any, quotas: Quotas | None = None, **wiring: Any) -> Self:
        """The model :meth:`to_state` wrote, wired as the constructor wires it (``wiring``:
        its ``rng``, ``clock`` and ``access``).

        ``state`` is the plain data or a :class:`~simkit.values.state.Reader` of it.
        What the model's requests keep true must hold, or the state is refused
        with :class:`~simkit.values.errors.StateError`: ids are unique; scopes,
        pools, allocations and VPCs name objects of the state; each allocation is
        a block of its pool's space and each block of a space is one allocation;
        a VPC lists its own VPC allocations; a child pool's CIDRs are the
        ``IpamPool`` allocations of its source, which lists it as a child.
        """
        at = Reader.of(state, "model")
        model = cls(quotas, **wiring)
        model._counter = at["counter"].int(minimum=0)
        for item in at["ipams"].items():
            ipam = item.build(Ipam)
            model.ipams[_new_key(item, ipam.id, model.ipams)] = ipam
        for item in at["scopes"].items():
            scope = item.build(Scope)
            if scope.ipam not in model.ipams or scope.id not in model.ipams[scope.ipam].scopes:
                raise item.fail("a scope listed by its IPAM")
            model.scopes[_new_key(item, scope.id, model.scopes)] = scope
        for item, ipam in zip(at["ipams"].items(), model.ipams.values(), strict=True):
            if any(model.scopes.get(s) is None or model.scopes[s].ipam != ipam.id
                   for s in ipam.scopes):
                raise item["scopes"].fail("the scopes of this IPAM")
        for item in at["pools"].items():
            model._add_pool(model._pool_from_state(item))
        for item in at["allocations"].items():
            a = item.build(Allocation)
            p = model.pools.get(a.pool)
            if p is None:
                raise item["pool"].fail("a pool of the state")
            if a.type not in ALLOCATION_TYPES:
                raise item["type"].fail(f"an allocation type ({', '.join(ALLOCATION_TYPES)})")
            if (a.cidr.version != p.version or not p.space.is_allocated(a.cidr)
                    or a.cidr in model._index[p.id]):
                raise item["cidr"].fail(f"a block of the space of pool {p.id} that no other "
                                        "allocation holds")
            model.allocations[_new_key(item, a.id, model.allocations)] = a
            model._index[p.id][a.cidr] = a.id
            model._typed_ips[p.id][a.type] += a.cidr.size
        for pid, p in model.pools.items():
            if len(model._index[pid]) != len(p.space):
                raise StateError(f"{at.where}.pools: the space of pool {pid} holds {len(p.space)}"
                                 f" blocks, but {len(model._index[pid])} allocations are in it")
        for item in at["vpcs"].items():
            vpc = item.build(Vpc)
            for aid in vpc.allocations:
                a = model.allocations.get(aid)
                if a is None or a.type != "VPC" or a.resource != vpc.id:
                    raise item["allocations"].fail(f"ids of the VPC allocations of {vpc.id}")
            model.vpcs[_new_key(item, vpc.id, model.vpcs)] = vpc
            model._note_unmanaged(vpc)
        model._check_pool_tree(at)
        if isinstance(at.value, dict) and "ipv6_ranges" in at.value:
            for item in at["ipv6_ranges"].items():
                region, isp, cidr = item.fixed(3)
                model._ipv6_ranges[(region.str(), isp.str())] = cidr.cidr()
        at.done()
        return model

    def _pool_from_state(self, item: Reader) -> Pool:
        record = item["pool"]
        space = AddressSpace.from_state(item["space"], name=record["id"].str(), rng=self.rng)
        pool = record.build(Pool, space=space)
        _new_key(record, pool.id, self.pools)
        scope = self.scopes.get(pool.scope)
        if pool.ipam not in self.ipams or scope is None or scope.ipam != pool.ipam:
            raise record.fail("a pool in an IPAM and scope of the state")
        if not pool.version == space.version == scope.version:
            raise record["version"].fail("the IP version of its scope and of its space")
        if pool.strategy not in STRATEGIES:
            raise record["strategy"].fail(f"an allocation strategy ({', '.join(STRATEGIES)})")
        item.done()
        return pool

    def _check_pool_tree(self, at: Reader) -> None:
        """Sources, children and the ``IpamPool`` allocations of child CIDRs must agree."""
        for p in self.pools.values():
            where = f"{at.where}.pools: pool {p.id}"
            if p.source is not None:
                src = self.pools.get(p.source)
                if src is None or p.id not in src.children or p.depth != src.depth + 1:
                    raise StateError(f"{where} and its source {p.source} disagree")
                held = {a.cidr for a in self.allocations.values()
                        if a.pool == src.id and a.type == "IpamPool" and a.resource == p.id}
                if held != set(p.space.provisioned()):
                    raise StateError(f"{where}: its CIDRs are not the IpamPool allocations of "
                                     f"its source {src.id}")
            elif p.depth != 1:
                raise StateError(f"{where} is a top-level pool of depth {p.depth}")
            if sorted(p.children) != sorted(q.id for q in self.pools.values()
                                            if q.source == p.id):
                raise StateError(f"{where}: its children are not the pools whose source it is")


def _new_key(at: Reader, key: str, table: dict[str, Any]) -> str:
    """``key``, refused when ``table`` already holds it (two records of one id)."""
    if key in table:
        raise at["id"].fail("an id not used before")
    return key
