"""Dual-stack capacity: how many dual-stack VPCs still fit, and which half runs out first.

A dual-stack VPC takes an IPv4 block from an IPv4 pool and an IPv6 block
from an IPv6 pool in one ``create_vpc`` (both or neither).  For each request
shape (who asks, from which two pools, with which two masks),
:func:`dual_stack_capacity` counts the free aligned blocks of each mask in
each pool (``ipv4_fits``, ``ipv6_fits``: exact Python ints), then makes the
requests for real on a copy of the simulation until one is refused, so
``vpcs`` is what the simulator grants (rules, regions and sharing included)
and ``runs_out_first`` names the pool whose refusal stopped it.

Examples
--------
>>> from simkit.engine import Simulation
>>> sim = Simulation(management_account="net")
>>> _ = sim.do("net", "create_ipam", ipam="i", region="r1")
>>> _ = sim.do("net", "create_ipam_pool", ipam="i", pool="v4", region="r1",
...            cidrs=["10.0.0.0/22"])
>>> _ = sim.do("net", "create_ipam_pool", ipam="i", pool="v6", region="r1",
...            scope="public", masks=[54])
>>> frame = dual_stack_capacity(sim, [("net", "v4", 24, "v6", 56)])
>>> frame[["region", "ipv4_fits", "ipv6_fits", "vpcs", "runs_out_first"]].values.tolist()
[['r1', 4, 4, 4, 'both']]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..values.errors import DomainError

if TYPE_CHECKING:
    import pandas as pd

    from ..engine.simulation import Simulation

__all__ = ["CAPACITY_COLUMNS", "dual_stack_capacity", "free_blocks_of"]

CAPACITY_COLUMNS = ("actor", "region", "pool", "mask", "ipv6_pool", "ipv6_mask", "ipv4_fits",
                    "ipv6_fits", "vpcs", "runs_out_first", "refusal")

#: Fill at most this many VPCs per request shape on the copy; past it ``vpcs`` is the
#: smaller count of free blocks, not a simulated figure.
FILL_LIMIT = 100_000


def free_blocks_of(sim: Simulation, pool: str, mask: int) -> int:
    """How many ``/mask`` blocks of ``pool`` are free now (aligned, within its rules).

    >>> from simkit.engine import Simulation
    >>> sim = Simulation(management_account="net")
    >>> _ = sim.do("net", "create_ipam", ipam="i", region="r1")
    >>> _ = sim.do("net", "create_ipam_pool", ipam="i", pool="v6", region="r1",
    ...            scope="public", masks=[48])
    >>> free_blocks_of(sim, "v6", 64)
    65536
    """
    p = sim.model.pools[pool]
    if not p.min_mask <= mask <= p.max_mask:
        return 0
    return sum(1 << (mask - b.prefixlen) for b in p.space.free_blocks() if b.prefixlen <= mask)


def dual_stack_capacity(sim: Simulation, requests: Iterable[tuple[str, str, int, str, int]]
                        ) -> pd.DataFrame:
    """One row per request shape ``(actor, pool, mask, ipv6_pool, ipv6_mask)``.

    Columns :data:`CAPACITY_COLUMNS`.  Each shape is filled on its own copy of
    ``sim`` (the shapes do not compete).  ``runs_out_first`` is ``IPv4`` or
    ``IPv6`` (the pool whose refusal stopped the fill), ``both`` when the
    two ran out together, and ``refusal`` the error code that stopped it.
    """
    import pandas as pd

    rows = []
    for actor, pool, mask, ipv6_pool, ipv6_mask in requests:
        fits4, fits6 = free_blocks_of(sim, pool, mask), free_blocks_of(sim, ipv6_pool, ipv6_mask)
        fork = sim.copy()
        made, refusal, stopped = 0, None, None
        while made < min(fits4, fits6, FILL_LIMIT) + 1:
            try:
                fork.do(actor, "create_vpc", vpc=f"capacity-{made + 1}", pool=pool, mask=mask,
                        ipv6_pool=ipv6_pool, ipv6_mask=ipv6_mask)
            except DomainError as err:
                refusal, stopped = err.code, err.details.get("pool")
                break
            made += 1
        if made > FILL_LIMIT:
            made = min(fits4, fits6)
        after4, after6 = free_blocks_of(fork, pool, mask), free_blocks_of(fork, ipv6_pool,
                                                                          ipv6_mask)
        if refusal is None:
            first = None
        elif after4 == after6 == 0:
            first = "both"
        else:
            first = "IPv6" if stopped == ipv6_pool else "IPv4"
        p = sim.model.pools[pool]
        rows.append({"actor": actor, "region": p.region, "pool": pool, "mask": mask,
                     "ipv6_pool": ipv6_pool, "ipv6_mask": ipv6_mask, "ipv4_fits": fits4,
                     "ipv6_fits": fits6, "vpcs": made, "runs_out_first": first,
                     "refusal": refusal})
    frame = pd.DataFrame.from_records(rows, columns=list(CAPACITY_COLUMNS))
    return frame.astype({"mask": "int64", "ipv6_mask": "int64", "ipv4_fits": object,
                         "ipv6_fits": object, "vpcs": "int64"})
