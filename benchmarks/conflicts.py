"""Conflict detection benchmark: ``simkit.analysis.reports.conflicts`` over 100,000 resource CIDRs.

The company (seeded): two IPAMs whose default private scopes are declared
connected (an acquisition), and 50 reserved ranges.  IPAM ``i`` has a pool
10.0.0.0/9 from which 70% of the VPCs are drawn (masks /24 to /28; then its
rules change so the /28s are Noncompliant), IPAM ``j`` a pool 10.64.0.0/10
(overlapping the first) with 10%; the other 20% are Unmanaged VPCs with
literal CIDRs (/22 to /28) scattered over 10.0.0.0/8 and 172.16.0.0/12, so
they overlap managed VPCs, pools, each other and reserved ranges, and each
is discovered by both IPAMs (it lies in both scopes).  Every kind of
conflict occurs.

Only the call to ``conflicts(sim)`` is timed (building the company is not);
the figure is the median of repeated runs.  Target: under 2 seconds for
100,000 VPC CIDRs.

Run: ``python benchmarks/conflicts.py`` (``--vpcs 10000`` for a short run).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time

from simkit.analysis.reports import conflicts
from simkit.engine import Simulation
from simkit.values.addresses import Cidr

TARGET_SECONDS = 2.0


def company(vpcs: int, seed: int = 0) -> Simulation:
    """The benchmark's simulation with ``vpcs`` VPC CIDRs."""
    rng = random.Random(seed)
    sim = Simulation(seed=seed, management_account="mgmt")
    for account in ("net", "net2", "app1", "app2", "app3"):
        sim.org.add_account(account)
    model = sim.model
    model.create_ipam("net", "i", "r1")
    model.create_ipam("net2", "j", "r1")
    model.create_pool("net", "i", "corp", cidrs=["10.0.0.0/9"], region="r1")
    model.create_pool("net2", "j", "acq", cidrs=["10.64.0.0/10"], region="r1")
    sim.connected_scopes = [("i-private", "j-private")]
    for n in range(50):
        prefix = rng.randint(16, 24)
        value = (10 << 24) + rng.randrange(1 << (32 - 8 - (32 - prefix))) * (1 << (32 - prefix))
        sim.reserved.append((f"idc-{n}", Cidr(4, value, prefix)))
    apps = ["app1", "app2", "app3"]
    for n in range(vpcs * 7 // 10):
        model.create_vpc("net", f"m{n}", "r1", pool="corp", mask=rng.randint(24, 28))
    for n in range(vpcs // 10):
        model.create_vpc("net2", f"q{n}", "r1", pool="acq", mask=rng.randint(24, 28))
    model.update_pool("net", "corp", min_mask=24, max_mask=27)    # the /28s break the rules
    for n in range(vpcs - vpcs * 7 // 10 - vpcs // 10):
        prefix = rng.randint(22, 28)
        if rng.random() < 0.8:
            base, bits = 10 << 24, 8
        else:
            base, bits = (172 << 24) + (16 << 16), 12
        value = base + rng.randrange(1 << (32 - bits - (32 - prefix))) * (1 << (32 - prefix))
        model.create_vpc(rng.choice(apps), f"u{n}", "r1", cidr=Cidr(4, value, prefix))
    return sim


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vpcs", type=int, default=100_000, help="VPC CIDRs (default 100,000)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs (default 5)")
    args = parser.parse_args(argv)
    sim = company(args.vpcs)
    times, found = [], None
    for _ in range(args.repeat):
        start = time.perf_counter()
        found = conflicts(sim)
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    kinds = ", ".join(f"{k} {n:,}" for k, n in found["kind"].value_counts(sort=False).items())
    print(f"conflicts over {args.vpcs:,} VPC CIDRs: {len(found):,} rows ({kinds})")
    print(f"median of {args.repeat} run(s): {median:.3f} s "
          f"(min {min(times):.3f} s, max {max(times):.3f} s)")
    if args.vpcs >= 100_000 and median >= TARGET_SECONDS:
        print(f"TARGET MISSED: {median:.3f} s >= {TARGET_SECONDS} s")
        return 1
    print("target met" if args.vpcs >= 100_000 else "short run: target not judged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
