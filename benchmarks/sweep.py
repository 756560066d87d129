"""Sweep benchmark: a 1,000-run sweep of a medium scenario at 1 and 2 worker processes.

The scenario is ``scenarios/capacity_whatif.yaml`` with 200 generated
requests per team (about 800 events per run: two shared regional pools,
Poisson arrivals, VPCs deleted after their lifetime).  The sweep is 4 sizes
of the Hangzhou pool (``hz_mask`` 18 to 21) times 250 seeds: 1,000 runs,
each loaded, run and summarised (utilisation, fragmentation, refusals,
exhaustion time, conflicts) in a worker.

Each configuration is a ``concurrent.futures.ProcessPoolExecutor`` with 1 or
2 processes, started and warmed up before the clock starts; the figure is
runs per second of ``simkit.sweep``, the median of ``--repeat`` sweeps.  The
frames of both configurations must be identical.  The speed-up is bounded by
the machine's cores (and by whatever else runs on them).

Run: ``python benchmarks/sweep.py`` (``--quick`` for a short smoke run).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd

import simkit

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "capacity_whatif.yaml"
SIZES = [18, 19, 20, 21]


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_sweep(workers: int, seeds: int, repeat: int
                ) -> tuple[list[float], float, pd.DataFrame]:
    """Seconds of each sweep with ``workers`` processes, the cores they kept busy, a frame.

    The cores busy are the workers' CPU time over the wall time of the pool's
    life: below ``workers`` when other programs share the machine.
    """
    scenario = simkit.load(SCENARIO)
    grid = {"hz_mask": SIZES, "team_requests": [200]}
    seconds = []
    cpu, wall = cpu_of_children(), time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        simkit.sweep(scenario, params={"team_requests": [5]}, seeds=2 * workers,
                     executor=pool, chunksize=1, progress=False)        # start the workers
        for _ in range(repeat):
            t0 = time.perf_counter()
            frame = simkit.sweep(scenario, params=grid, seeds=seeds, executor=pool,
                                 progress=False)
            seconds.append(time.perf_counter() - t0)
    busy = (cpu_of_children() - cpu) / (time.perf_counter() - wall)
    return seconds, busy, frame


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=250, help="seeds per pool size")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="100 runs, once")
    args = parser.parse_args(argv)
    seeds, repeat = (25, 1) if args.quick else (args.seeds, args.repeat)
    runs = len(SIZES) * seeds
    print(f"{runs:,}-run sweep of {SCENARIO.name} (hz_mask {SIZES[0]}..{SIZES[-1]} x "
          f"{seeds} seeds, 200 requests per team), median of {repeat}, "
          f"{os.cpu_count()} cores:")
    rates = {}
    frames = {}
    for workers in (1, 2):
        seconds, busy, frames[workers] = timed_sweep(workers, seeds, repeat)
        median = statistics.median(seconds)
        rates[workers] = runs / median
        print(f"  {workers} worker{'s' if workers > 1 else ' '}: median {median:6.2f} s, "
              f"{rates[workers]:7.1f} runs/s  (workers kept {busy:.2f} cores busy)")
    events = frames[1]["requests"].sum() / runs
    print(f"  speed-up at 2 workers: {rates[2] / rates[1]:.2f}x "
          f"({events:,.0f} space requests per run; load average now "
          f"{os.getloadavg()[0]:.2f})")
    try:
        pd.testing.assert_frame_equal(frames[1], frames[2])
    except AssertionError as err:
        print(f"FRAMES DIFFER between 1 and 2 workers: {err}")
        return 1
    print(f"  frames identical ({len(frames[1]):,} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
