"""Allocator benchmark: the fragmentation workload, per strategy, against an IPSet baseline.

The workload (seeded): fill a pool with N /24 allocations, release every
second one, then allocate N/2 blocks of random masks /25 to /28.  That is
2N allocator operations.  The pool is 10.0.0.0/8 while N /24s fit in it
(N <= 65,536); beyond that it is the smallest IPv4 block that holds N /24s.

The IPv6 line runs the same workload with /64s in 2001:db8::/32, then random
masks /65 to /68: the cost of an operation is bounded by the address width
(128 bits), so it must stay flat from N = 1,000 to N = 1,000,000 there too.

The baseline is what a NetBox or netaddr user writes: for each request,
recompute ``IPSet(pool) - IPSet(used)`` and take the first fitting CIDR.

Figures are medians of repeated runs in this process; ratios compare runs
made in the same process, so machine noise affects both sides.

Run: ``python benchmarks/allocator.py`` (``--quick`` for a short smoke run).
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import time

from netaddr import IPNetwork, IPSet

from simkit.values.allocator import STRATEGIES, AddressSpace


def pool_for(n: int) -> str:
    if n <= 65536:
        return "10.0.0.0/8"
    prefix = 24 - math.ceil(math.log2(n))
    return f"0.0.0.0/{prefix}"


def workload(n: int, seed: int) -> list[int]:
    """The masks of the second allocation phase."""
    rng = random.Random(seed)
    return [rng.randint(25, 28) for _ in range(n // 2)]


def run_simkit(n: int, strategy: str, seed: int = 0, version: int = 4) -> tuple[float, int]:
    """Seconds for the whole workload and the number of operations.

    ``version=6``: /64s in 2001:db8::/32 (then masks /65 to /68) instead of /24s.
    """
    shift = 0 if version == 4 else 40
    masks = [m + shift for m in workload(n, seed)]
    space = AddressSpace(version, name="bench", rng=random.Random(seed))
    space.add_cidr(pool_for(n) if version == 4 else "2001:db8::/32")
    allocate, release = space.allocate, space.release
    t0 = time.perf_counter()
    first = [allocate(24 + shift, strategy) for _ in range(n)]
    for cidr in first[::2]:
        release(cidr)
    for mask in masks:
        allocate(mask, strategy)
    elapsed = time.perf_counter() - t0
    assert len(space) == n - (n + 1) // 2 + len(masks)
    return elapsed, n + (n + 1) // 2 + len(masks)


def run_ipset(n: int, seed: int = 0) -> tuple[float, int]:
    """The same workload, recomputing the free set for every request (first fit)."""
    masks = workload(n, seed)
    pool = IPNetwork(pool_for(n))
    used: list[IPNetwork] = []

    def allocate(mask: int) -> IPNetwork:
        free = IPSet([pool]) - IPSet(used)
        for cidr in free.iter_cidrs():
            if cidr.prefixlen <= mask:
                got = IPNetwork(f"{cidr.network}/{mask}")
                used.append(got)
                return got
        raise RuntimeError("pool exhausted")

    t0 = time.perf_counter()
    first = [allocate(24) for _ in range(n)]
    for cidr in first[::2]:
        used.remove(cidr)
    for mask in masks:
        allocate(mask)
    elapsed = time.perf_counter() - t0
    return elapsed, n + (n + 1) // 2 + len(masks)


def median_rate(fn, *args, repeat: int) -> float:
    rates = []
    for _ in range(repeat):
        seconds, ops = fn(*args)
        rates.append(ops / seconds)
    return statistics.median(rates)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat")
    args = parser.parse_args(argv)
    repeat = 1 if args.quick else 3
    n_main = 6_400 if args.quick else 64_000
    n_base = 300 if args.quick else 3_000
    n_small, n_large = 1_000, (100_000 if args.quick else 1_000_000)
    failures = []

    print(f"fragmentation workload, 2N operations, median of {repeat} run(s)")
    print(f"{'strategy':<10}{'N':>10}{'ops/s':>14}")
    rates = {}
    for strategy in STRATEGIES:
        rates[strategy] = median_rate(run_simkit, n_main, strategy, repeat=repeat)
        print(f"{strategy:<10}{n_main:>10,}{rates[strategy]:>14,.0f}")
    if not args.quick and rates["first"] < 100_000:
        failures.append(f"first at N={n_main:,}: {rates['first']:,.0f} ops/s < 100,000")

    base = median_rate(run_ipset, n_base, repeat=1)
    ours = median_rate(run_simkit, n_base, "first", repeat=repeat)
    ratio = ours / base
    print(f"\nN = {n_base:,}: simkit first {ours:,.0f} ops/s, IPSet recompute {base:,.0f} ops/s, "
          f"ratio {ratio:,.0f}x")
    if not args.quick and ratio < 300:
        failures.append(f"ratio over IPSet at N={n_base:,}: {ratio:,.0f}x < 300x")

    small = median_rate(run_simkit, n_small, "first", repeat=max(repeat, 5))
    large = median_rate(run_simkit, n_large, "first", repeat=1)
    flat = (1 / large) / (1 / small)
    print("\nper-operation cost of first (ratio: cost at the larger N / at the smaller)")
    print(f"IPv4, /24s:                  N = {n_small:,}: {small:,.0f} ops/s, "
          f"{1e6 / small:.2f} us; N = {n_large:,}: {large:,.0f} ops/s, {1e6 / large:.2f} us "
          f"(ratio {flat:.2f})")
    if not args.quick and flat > 2.0:
        failures.append(f"per-operation cost grew {flat:.2f}x from N={n_small:,} to {n_large:,}")

    small6 = median_rate(run_simkit, n_small, "first", 0, 6, repeat=max(repeat, 5))
    large6 = median_rate(run_simkit, n_large, "first", 0, 6, repeat=1)
    flat6 = (1 / large6) / (1 / small6)
    print(f"IPv6, /64s in 2001:db8::/32: N = {n_small:,}: {small6:,.0f} ops/s, "
          f"{1e6 / small6:.2f} us; N = {n_large:,}: {large6:,.0f} ops/s, {1e6 / large6:.2f} us "
          f"(ratio {flat6:.2f})")
    if not args.quick and flat6 > 2.0:
        failures.append(f"IPv6 per-operation cost grew {flat6:.2f}x from N={n_small:,} to "
                        f"{n_large:,}")

    if failures:
        print("\nTARGETS MISSED:\n  " + "\n  ".join(failures))
        return 1
    print("\nall targets met" if not args.quick else "\nquick run: targets not judged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
