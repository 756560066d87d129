"""Engine benchmark: a 120,000-step scenario, phase by phase, against the bare allocator.

The scenario is the allocator's fragmentation workload written as steps:
N custom allocations of /24, the release of every second one, then N/2
allocations of seeded random masks /25 to /28 (2N steps in all, from
10.0.0.0/8 while N /24s fit in it, as in ``benchmarks/allocator.py``).

Three parts, each figure a median of repeated runs (each ratio the median of
the rounds' own ratios):

- **Phases**, in this process, per step: parse (libyaml's events over the
  text: what reading it through the parser alone costs, for reference; the
  loader reads runs of one-line steps without those events), load (the whole
  of ``simkit.scenario.load``), of which compose (the line-aware tree) and
  validate (load minus compose: the checks and the step records), apply
  (``simkit.run`` of the loaded scenario: the engine), the events frame
  (``Run.events``), next to
  the bare allocator doing the same 2N operations
  (``benchmarks/allocator.py``'s ``run_simkit``) in the same run.  Goals:
  the engine at most 3x the allocator, the load at most 1.5x the engine,
  the events frame at most a tenth of the whole run (load + apply + frame).
- **End to end**: ``simkit run FILE`` in a child process (load, run,
  summary): seconds and the child's peak resident set.  Goals at 120,000
  steps: under 10 s and 1 GiB.
- **One million steps** (``--million``): the same end to end at 1,000,000
  steps, once.  Goal: under 2 GiB.

Run: ``python benchmarks/engine.py`` (``--steps 12000`` for a short run,
``--million`` for the 1,000,000-step run only).
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas  # noqa: F401 - imported before timing: the frame's first call would pay for it
import yaml
from allocator import pool_for, run_simkit
from child import simkit_command

from simkit.analysis.runs import run
from simkit.scenario import load
from simkit.scenario.yamltree import _compose

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
        cidrs: [{cidr}]
steps:
"""


def write_scenario(path: Path, steps: int, seed: int = 0) -> None:
    """The workload as a scenario of ``steps`` steps (the allocator's N is steps // 2)."""
    n = steps // 2
    rng = random.Random(seed)
    with path.open("w") as out:
        out.write(HEADER.format(cidr=pool_for(n)))
        for i in range(n):
            out.write(f"  - {{op: create_ipam_pool_allocation, as: net, pool: corp, "
                      f"allocation: a{i}, mask: 24}}\n")
        for i in range(0, n, 2):
            out.write(f"  - {{op: delete_ipam_pool_allocation, as: net, allocation: a{i}}}\n")
        for _ in range(steps - n - (n + 1) // 2):
            out.write(f"  - {{op: create_ipam_pool_allocation, as: net, pool: corp, "
                      f"mask: {rng.randint(25, 28)}}}\n")


def _timed(fn, *args):
    t0 = time.perf_counter()
    value = fn(*args)
    return time.perf_counter() - t0, value


def _parse(text: str) -> None:
    for _ in yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
        pass


#: The goals: a ratio's name, its (numerator, denominator) phases, and its largest value.
RATIOS = (("engine / allocator", (("apply",), ("allocator",)), 3.0),
          ("load / engine", (("load",), ("apply",)), 1.5),
          ("events frame / whole run", (("frame",), ("load", "apply", "frame")), 0.1))


def phases(path: Path, steps: int, repeat: int) -> tuple[dict[str, float],
                                                       dict[str, list[float]]]:
    """Median seconds of each phase over ``repeat`` rounds in this process, and each
    round's ratios.

    The machine's speed drifts by a quarter within a minute, so a ratio is taken
    within each round, from figures measured seconds apart: the allocator runs
    just before and just after the engine, and the engine is set against their
    mean.  The goals are judged on the median of the rounds' ratios.
    """
    text = path.read_text()
    times: dict[str, list[float]] = {k: [] for k in ("parse", "compose", "load", "apply",
                                                      "frame", "allocator")}
    ratios: dict[str, list[float]] = {k: [] for k, _, _ in RATIOS}
    for _ in range(repeat):
        gc.collect()
        times["parse"].append(_timed(_parse, text)[0])
        gc.disable()        # as load() does while it reads
        times["compose"].append(_timed(_compose, text)[0])
        gc.enable()
        seconds, scenario = _timed(load, path)
        times["load"].append(seconds)
        assert len(scenario.steps) == steps
        gc.collect()
        before, ops = run_simkit(steps // 2, "first")
        assert ops == steps
        seconds, done = _timed(run, scenario)
        times["apply"].append(seconds)
        assert done.ok, done.failures[:3]
        times["frame"].append(_timed(getattr, done, "events")[0])
        del scenario, done
        gc.collect()
        after, _ = run_simkit(steps // 2, "first")
        times["allocator"].append((before + after) / 2)
        round_ = {k: v[-1] for k, v in times.items()}
        for key, (num, den), _ in RATIOS:
            ratios[key].append(sum(round_[k] for k in num) / sum(round_[k] for k in den))
    return {k: statistics.median(v) for k, v in times.items()}, ratios


def end_to_end(path: Path, repeat: int) -> tuple[float, float, str]:
    """Median seconds and the largest peak (MiB) of ``simkit run FILE`` over ``repeat`` runs."""
    runs = [simkit_command("run", str(path)) for _ in range(repeat)]
    return (statistics.median(r[0] for r in runs), max(r[1] for r in runs),
            runs[0][2].splitlines()[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=120_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--million", action="store_true",
                        help="only the 1,000,000-step run end to end, once")
    args = parser.parse_args(argv)
    steps = 1_000_000 if args.million else args.steps
    failures: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fragmentation.yaml"
        write_scenario(path, steps)
        size = os.path.getsize(path) / 2**20
        print(f"{steps:,}-step scenario ({size:.1f} MiB of YAML)")
        if not args.million:
            t, rounds = phases(path, steps, args.repeat)
            per = {k: v / steps * 1e6 for k, v in t.items()}
            print(f"per step, median of {args.repeat} rounds in this process:")
            per["validate"] = per["load"] - per["compose"]
            for label, key in (("parse (libyaml events alone)", "parse"),
                               ("load (compose + validate)", "load"),
                               ("  compose (line-aware tree)", "compose"),
                               ("  validate (load - compose)", "validate"),
                               ("apply (the engine)", "apply"),
                               ("events frame", "frame"), ("bare allocator, same ops",
                                                           "allocator")):
                print(f"  {label:<32}{per[key]:8.2f} us")
            print("ratios, median of the rounds' own (each round's allocator timed just "
                  "before and after its engine):")
            for label, _, goal in RATIOS:
                values = rounds[label]
                ratio = statistics.median(values)
                print(f"  {label:<32}{ratio:8.2f}   (goal <= {goal:g}; rounds "
                      f"{', '.join(f'{v:.2f}' for v in values)})")
                if steps >= 120_000 and ratio > goal:
                    failures.append(f"{label} {ratio:.2f} > {goal:g}")
        seconds, peak, first = end_to_end(path, 1 if args.million else args.repeat)
    print(f"`simkit run` end to end: median {seconds:.2f} s ({steps / seconds:,.0f} steps/s), "
          f"peak memory {peak:,.0f} MiB")
    print("  " + first)
    limit_s, limit_mib = (None, 2048) if args.million else (10, 1024)
    if steps >= 120_000 and limit_s is not None and seconds >= limit_s:
        failures.append(f"{seconds:.2f} s >= {limit_s} s")
    if steps >= 120_000 and peak >= limit_mib:
        failures.append(f"peak memory {peak:,.0f} MiB >= {limit_mib:,} MiB")
    if failures:
        print("TARGETS MISSED: " + "; ".join(failures))
        return 1
    print("  targets met" if steps >= 120_000 else "  short run: targets not judged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
