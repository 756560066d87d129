"""Engine benchmark: a 120,000-step scenario end to end, load to summary.

The scenario is the allocator's fragmentation workload written as steps:
N custom allocations of /24 from 10.0.0.0/8, the release of every second one,
then N/2 allocations of seeded random masks /25 to /28 (2N steps in all).
It is written to a temporary file and run with ``simkit run`` in a child
process, so the time covers loading, validation, the run and the summary, and
the memory figure is the child's peak resident set.

Run: ``python benchmarks/engine.py`` (``--steps 12000`` for a short run).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = """version: 1
name: fragmentation-as-steps
description: The allocator's fragmentation workload, one step per operation.
quotas: {{}}
org:
  management_account: mgmt
  accounts: [net]
ipams:
  - id: ipam-1
    owner: net
    region: r1
    pools:
      - id: corp
        region: r1
        cidrs: [10.0.0.0/8]
steps:
"""


def write_scenario(path: Path, steps: int, seed: int = 0) -> None:
    n = steps // 2
    rng = random.Random(seed)
    lines = [HEADER.format()]
    for i in range(n):
        lines.append(f"  - {{op: create_ipam_pool_allocation, as: net, pool: corp, "
                     f"allocation: a{i}, mask: 24}}\n")
    for i in range(0, n, 2):
        lines.append(f"  - {{op: delete_ipam_pool_allocation, as: net, allocation: a{i}}}\n")
    for _ in range(steps - n - (n + 1) // 2):
        lines.append(f"  - {{op: create_ipam_pool_allocation, as: net, pool: corp, "
                     f"mask: {rng.randint(25, 28)}}}\n")
    path.write_text("".join(lines))


def run_once(path: Path) -> tuple[float, float, str]:
    """Seconds, peak memory of the child in MiB, and its output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "simkit", "run", str(path)],
                          capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if done.returncode != 0:
        raise SystemExit(f"simkit run failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return seconds, max(peak, before) / 1024, done.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=120_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fragmentation.yaml"
        write_scenario(path, args.steps)
        size = os.path.getsize(path) / 2**20
        runs = [run_once(path) for _ in range(args.repeat)]
    seconds = statistics.median(r[0] for r in runs)
    peak = max(r[1] for r in runs)
    print(f"{args.steps:,}-step scenario ({size:.1f} MiB of YAML), `simkit run` end to end:")
    print(f"  median {seconds:.2f} s over {args.repeat} runs "
          f"({args.steps / seconds:,.0f} steps/s), peak memory {peak:,.0f} MiB")
    print("  " + runs[0][2].splitlines()[0])
    failures = []
    if args.steps >= 120_000 and seconds >= 10:
        failures.append(f"{seconds:.2f} s >= 10 s")
    if peak >= 1024:
        failures.append(f"peak memory {peak:,.0f} MiB >= 1 GiB")
    if failures:
        print("TARGETS MISSED: " + "; ".join(failures))
        return 1
    print("  targets met (< 10 s, < 1 GiB)" if args.steps >= 120_000 else "  short run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
