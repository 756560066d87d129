"""Company-plan benchmark: ``simkit report`` on a company's plan at 200, 1,000, 5,000 accounts.

The plan: one IPAM with a top-level 10.0.0.0/8, 30 regional /13 pools below
it, 10 child /17 pools in each region (300), the accounts spread over 30
folders (one per region), two resource shares per region sharing its child
pools with its folder, then ``--vpcs`` VPC creations (5,000 by default, the
same count at every size so that the sizes differ by accounts only), each
account in turn creating a /24 VPC from a child pool of its region.

Each size is written to a temporary file and reported by ``simkit report`` in
a child process; the time is wall clock, the memory the child's peak resident
set (``os.wait4``).  The ratios between sizes are printed; the goals are that a
5x step in accounts costs at most 2x in time, and 5,000 accounts less than 60 s
and 2 GiB.  Then a table gives each part of the report (load, run, each frame,
the figures, each PNG, the CSV files) at each size, measured in a child process
per size, with the ratio between the last two sizes: a part whose cost grows
with accounts x pools shows there.

The second part times the model's growth on its own (``--model``): adding
accounts to the organisation, checking a principal's access to a shared pool,
``create_vpc`` with auto import on, and the utilisation series, each at two
sizes, so that their ratio shows whether the cost grows with the company.

Run: ``python benchmarks/company.py`` (``--sizes 200 1000`` for a short run).
"""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from child import simkit_command

REGIONS = 30
CHILDREN = 10


def plan(accounts: int, vpcs: int) -> str:
    """The company plan as YAML text."""
    regions = [f"region-{r:02d}" for r in range(1, REGIONS + 1)]
    out = ["version: 1\nname: company-plan\n",
           f"description: A company of {accounts} accounts in {REGIONS} regional folders.\n",
           f"quotas: {{rd_members: {accounts + 10}, pools_shared_per_account: 200}}\n",
           "org:\n  management_account: mgmt\n  folders:\n",
           "    - name: Network\n      accounts: [netadmin]\n"]
    members: dict[int, list[str]] = {r: [] for r in range(REGIONS)}
    for i in range(accounts):
        members[i % REGIONS].append(f"acct-{i:05d}")
    for r, region in enumerate(regions):
        out.append(f"    - name: F-{region}\n      accounts: [{', '.join(members[r])}]\n")
    out.append("ipams:\n  - id: ipam-corp\n    owner: netadmin\n    region: region-01\n"
               f"    operating_regions: [{', '.join(regions)}]\n    pools:\n"
               "      - id: corp\n        cidrs: [10.0.0.0/8]\n")
    for region in regions:
        out.append(f"      - id: {region}\n        source: corp\n        region: {region}\n"
                   "        masks: [13]\n")
        for c in range(CHILDREN):
            out.append(f"      - id: {region}-p{c}\n        source: {region}\n"
                       "        masks: [17]\n")
    out.append("steps:\n")
    for region in regions:
        for half in range(2):
            pools = ", ".join(f"{region}-p{c}" for c in range(half * 5, half * 5 + 5))
            out.append(f"  - {{op: create_resource_share, as: netadmin, share: rs-{region}-{half},"
                       f" resources: [{pools}], principals: ['folder:F-{region}']}}\n")
    for v in range(vpcs):
        account = v % accounts
        r = account % REGIONS
        pool = f"{regions[r]}-p{(v // REGIONS) % CHILDREN}"     # a region's pools in turn
        out.append(f"  - {{op: create_vpc, as: acct-{account:05d}, vpc: vpc-{v}, pool: {pool},"
                   " mask: 24}\n")
    return "".join(out)


def report_once(path: Path, out: Path) -> tuple[float, float, str]:
    """Seconds, the child's peak memory in MiB, and its output."""
    return simkit_command("report", str(path), "--out", str(out))


# -- the report phase by phase ------------------------------------------------------------------
def report_phases(path: Path, out: Path) -> dict[str, float]:
    """Seconds of each part of a report of ``path``, in this process: the load, the run,
    each frame of ``reports.FRAMES``, the history and capacity frames, the figures, each
    PNG and the CSV files."""
    from simkit.analysis import htmlreport, reports
    from simkit.analysis.outputs import write_csv
    from simkit.analysis.runs import run
    from simkit.scenario import load

    seconds: dict[str, float] = {}

    def timed(name: str, fn: Callable[..., object], *args: object) -> object:
        t0 = time.perf_counter()
        value = fn(*args)
        seconds[name] = time.perf_counter() - t0
        return value

    timed("imports (pandas, matplotlib)", lambda: (importlib.import_module("pandas"),
                                                   importlib.import_module("matplotlib.figure")))
    scenario = timed("load", load, path)
    done = timed("run", run, scenario)
    sim = done.simulation
    frames = {name: timed(f"frame {name}", make, sim) for name, make in reports.FRAMES.items()}
    frames.update(timed("history and capacity frames", htmlreport.extra_frames, done))
    figures = timed("figures (drawing)", htmlreport.figures, done, frames)
    for name, fig in figures.items():
        timed(f"png {name}", htmlreport._png, fig)
    out.mkdir(parents=True, exist_ok=True)
    timed("csv files", lambda: [write_csv(f, out / f"{n}.csv") for n, f in frames.items()])
    return seconds


def scaling_table(sizes: list[int], vpcs: int, tmp: Path) -> list[str]:
    """One line per part of the report, its seconds at each size and the ratio between
    the last two sizes; each size is measured in a child process of its own."""
    measured = []
    for n in sizes:
        path = tmp / f"company-{n}.yaml"
        if not path.exists():
            path.write_text(plan(n, vpcs))
        child = subprocess.run([sys.executable, __file__, "--phases", str(path),
                                str(tmp / f"phases-{n}")], capture_output=True, text=True,
                               check=False)
        if child.returncode != 0:
            raise SystemExit(f"the phase run at {n} accounts failed:\n{child.stderr[-3000:]}")
        measured.append(json.loads(child.stdout.splitlines()[-1]))
    head = "".join(f"{f'{n:,} acc.':>12}" for n in sizes)
    lines = [f"  {'part':<36}{head}{'ratio':>8}"]
    for name in measured[0]:
        cells = "".join(f"{m[name]:12.2f}" for m in measured)
        ratio = measured[-1][name] / max(measured[-2][name], 1e-3) if len(sizes) > 1 else 1.0
        lines.append(f"  {name:<36}{cells}{ratio:8.2f}")
    return lines


# -- the model on its own -----------------------------------------------------------------------
def _timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _add_accounts(n: int) -> float:
    """Seconds to add ``n`` accounts to an organisation (the best of three)."""
    from simkit.model.org import Organisation
    from simkit.values.quotas import Quotas

    def once() -> float:
        org = Organisation("mgmt", Quotas({"rd_members": n + 1}))
        return _timed(lambda: [org.add_account(f"a{i:06d}") for i in range(n)])

    return min(once() for _ in range(3))


def _access_checks(n: int, checks: int = 20_000) -> float:
    """Seconds per ``Shares.sees`` of a principal on a shared pool, ``n`` accounts."""
    from simkit.analysis.runs import run
    from simkit.scenario import loads

    sim = run(loads(plan(n, 0))).simulation
    accounts = sim.org.members()
    pools = [p for p in sim.model.pools if "-p" in p]
    return _timed(lambda: [sim.shares.sees(accounts[i % len(accounts)], pools[i % len(pools)])
                           for i in range(checks)]) / checks


def _auto_import_vpc(vpcs: int, timed: int = 100) -> float:
    """Seconds per ``create_vpc`` with auto import on in one pool, ``vpcs`` VPCs already."""
    from simkit.engine import Simulation

    sim = Simulation(management_account="net")
    sim.do("net", "create_ipam", ipam="i", region="r1")
    sim.do("net", "create_ipam_pool", ipam="i", pool="p", region="r1", cidrs=["10.0.0.0/8"])
    sim.do("net", "update_ipam_pool", pool="p", auto_import=True)
    for v in range(vpcs):
        sim.do("net", "create_vpc", vpc=f"v{v}", pool="p", mask=28)
    return _timed(lambda: [sim.do("net", "create_vpc", vpc=f"w{v}", pool="p", mask=28)
                           for v in range(timed)]) / timed


def model_growth() -> Iterator[tuple[str, str, float, str, float]]:
    """(what, small size, seconds, large size, seconds) for each cost of the model."""
    yield "add_account, all of them", "1,000", _add_accounts(1000), "4,000", _add_accounts(4000)
    yield ("Shares.sees, per check", "200 accounts", _access_checks(200),
           "1,000 accounts", _access_checks(1000))
    yield ("create_vpc with auto import on, per VPC", "1,000 VPCs", _auto_import_vpc(1000),
           "4,000 VPCs", _auto_import_vpc(4000))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 1000, 5000])
    parser.add_argument("--vpcs", type=int, default=5000)
    parser.add_argument("--no-report", action="store_true", help="only the model's growth")
    parser.add_argument("--no-model", action="store_true", help="only the reports")
    parser.add_argument("--no-table", action="store_true",
                        help="without the table of each part's cost at each size")
    parser.add_argument("--phases", nargs=2, metavar=("FILE", "DIR"),
                        help="(internal) time each part of a report of FILE, print JSON")
    args = parser.parse_args(argv)
    if args.phases:
        print(json.dumps(report_phases(Path(args.phases[0]), Path(args.phases[1]))))
        return 0
    results = []
    failures: list[str] = []
    if not args.no_report:
        print(f"`simkit report` on the company plan (1 /8, {REGIONS} regional pools, "
              f"{REGIONS * CHILDREN} child pools, {2 * REGIONS} shares, {args.vpcs:,} VPCs):")
        with tempfile.TemporaryDirectory() as tmp:
            for n in args.sizes:
                path = Path(tmp) / f"company-{n}.yaml"
                path.write_text(plan(n, args.vpcs))
                seconds, peak, _ = report_once(path, Path(tmp) / f"report-{n}")
                pngs = sorted((Path(tmp) / f"report-{n}").glob("*.png"))
                results.append((n, seconds, peak))
                print(f"  {n:>6,} accounts: {seconds:7.1f} s, peak memory {peak:7,.0f} MiB, "
                      f"{len(pngs)} PNGs", flush=True)
            for (n0, s0, m0), (n1, s1, m1) in zip(results, results[1:], strict=False):
                print(f"  {n0:,} -> {n1:,} accounts ({n1 / n0:.0f}x): time x{s1 / s0:.2f}, "
                      f"memory x{m1 / m0:.2f}")
                if n1 >= 5 * n0 and s1 > 2 * s0:
                    failures.append(f"{n0:,} -> {n1:,} accounts: time x{s1 / s0:.2f} > x2")
            for n, seconds, peak in results:
                if n >= 5000 and (seconds >= 60 or peak >= 2048):
                    failures.append(f"{n:,} accounts: {seconds:.1f} s, {peak:,.0f} MiB "
                                    "(goal < 60 s, < 2 GiB)")
            if not args.no_table:
                print("Each part of the report, seconds in one process per size (ratio: the "
                      "last size over the one before):", flush=True)
                print("\n".join(scaling_table(args.sizes, args.vpcs, Path(tmp))))
    if not args.no_model:
        print("The model's growth (the larger size's cost over the smaller's):")
        for what, small, t0, large, t1 in model_growth():
            print(f"  {what}: {_figure(t0)} at {small}, {_figure(t1)} at {large} "
                  f"(x{t1 / t0:.1f})", flush=True)
    if failures:
        print("TARGETS MISSED: " + "; ".join(failures))
        return 1
    return 0


def _figure(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds >= 0.1 else f"{seconds * 1e6:,.1f} us"


if __name__ == "__main__":
    sys.exit(main())
