"""What-if analysis: forks, run comparison, exhaustion forecasts, strategies and sweeps.

Planning means comparing futures.  Everything here is built on the engine:

* :func:`fork` copies a simulation at any point, so alternatives run on from
  the same state; :func:`compare` puts two runs side by side, per pool and
  per account.
* :func:`exhaustion` gives, for one run, the simulated time at which each
  pool first refuses a request for lack of space; :func:`forecast` runs many
  seeds and gives percentiles of that time per pool (Monte Carlo).
* :func:`compare_strategies` runs the same demand under each allocation
  strategy (``first``, ``best``, ``last``, ``random``).
* :func:`sweep` runs a grid of parameter values (the scenario's
  ``parameters``, docs/format-extensions.md) times a list of seeds, serially
  or on any ``concurrent.futures``-style executor (a process pool, a
  ``dask.distributed`` Client), and returns one long frame sorted by run.

A run is fully determined by the scenario text, its parameter values and its
seed; workers receive exactly these (plain, picklable values), so results do
not depend on the executor nor on the order in which runs finish.

Examples
--------
>>> from simkit.scenario import loads
>>> s = loads('''
... version: 1
... name: one-a-day
... parameters: {pool_mask: 20}
... org: {management_account: net}
... ipams:
...   - id: ipam-1
...     owner: net
...     region: r1
...     pools: [{id: p, region: r1, cidrs: [10.0.0.0/16]},
...             {id: hz, source: p, masks: [{param: pool_mask}]}]
... demand: [{as: net, pool: hz, mask: 24, count: 20, every: 1d}]
... ''')
>>> from simkit import run
>>> exhaustion(run(s))[["pool", "request", "exhausted_after_days"]].to_dict("records")[1]
{'pool': 'hz', 'request': 17, 'exhausted_after_days': 16.0}
>>> frame = sweep(s, params={"pool_mask": [20, 21]}, progress=False)
>>> frame[frame.pool == "hz"][["run_id", "pool_mask", "refused", "exhausted_after_days"]]
... # doctest: +NORMALIZE_WHITESPACE
   run_id  pool_mask  refused  exhausted_after_days
1       0         20        4                  16.0
3       1         21       12                   8.0
"""

from __future__ import annotations

import copy
import itertools
import math
import queue
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ..engine.simulation import Simulation
from ..scenario.loader import Scenario, load, loads
from ..scenario.operations import OPERATIONS
from ..values.allocator import STRATEGIES
from ..values.errors import UsageError
from .runs import Run

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "COMPARE_COLUMNS",
    "EXHAUSTION_CODES",
    "SPACE_OPS",
    "SUMMARY_COLUMNS",
    "compare",
    "compare_strategies",
    "exhaustion",
    "forecast",
    "fork",
    "parse_grid",
    "parse_parameters",
    "summary",
    "sweep",
    "with_strategy",
]

#: The operations that draw space from a pool: the requests a pool can refuse.
SPACE_OPS = tuple(name for name, op in OPERATIONS.items() if op.draws_space)
#: The refusals that mean "no room": the first one is the pool's exhaustion.
EXHAUSTION_CODES = ("OperationDenied.AvailableCidrInsufficient",)
#: The figures of one pool at the end of one run (a row of :func:`summary` and :func:`sweep`).
SUMMARY_COLUMNS = ("pool", "provisioned_ips", "allocated_ips", "free_ips", "utilisation",
                   "fragmentation", "free_blocks", "largest_free_mask", "requests", "refused",
                   "exhausted_after_days", "ok", "unmet", "conflicts")
#: The columns of :func:`compare`, with the two runs' labels in the middle.
COMPARE_COLUMNS = ("level", "name", "figure", "a", "b", "difference")
_EXHAUSTION_COLUMNS = ("pool", "requests", "refused", "request", "first_refusal",
                       "exhausted_after_days")
#: Seconds in a day: durations are reported in days (float columns named ``*_days``).
DAY = 86400.0
_POOL_FIGURES = SUMMARY_COLUMNS[1:10]
_ACCOUNT_FIGURES = ("vpcs", "allocated_ips", "requests", "refused")


# -- forks and comparison ----------------------------------------------------------------
def fork(sim: Simulation) -> Simulation:
    """An independent copy of ``sim`` that runs on from the same point.

    Like :meth:`Simulation.copy <simkit.engine.Simulation.copy>`, but the
    immutable records (the events logged so far, the demand entries) are
    shared rather than copied, so a fork of a long run stays cheap.  The fork
    has the same random state: run unchanged, it does exactly what the
    original does.

    Examples
    --------
    >>> sim = Simulation(management_account="net")
    >>> _ = sim.do("net", "create_ipam", ipam="i", region="r1")
    >>> _ = sim.do("net", "create_ipam_pool", ipam="i", pool="p", region="r1",
    ...            cidrs=["10.0.0.0/24"])
    >>> alt = fork(sim)
    >>> _ = alt.do("net", "create_vpc", vpc="v", pool="p", mask=26)
    >>> sim.model.utilisation("p")["allocated_ips"], alt.model.utilisation("p")["allocated_ips"]
    (0, 64)
    """
    memo: dict[int, Any] = {id(event): event for event in sim.log}
    memo.update((id(spec), spec) for spec in sim.demand)
    return copy.deepcopy(sim, memo)


def _sim(value: Run | Simulation) -> Simulation:
    if isinstance(value, Run):
        return value.simulation
    if isinstance(value, Simulation):
        return value
    raise UsageError(f"expected a Run or a Simulation, not {type(value).__name__}")


def _space_requests(sim: Simulation) -> Iterator[Any]:
    """The logged requests that drew (or tried to draw) space from a pool, in order."""
    return (e for e in sim.log if e.op in SPACE_OPS and e.pool is not None
            and e.outcome in ("ok", "error"))


def _pool_figures(sim: Simulation) -> dict[str, dict[str, Any]]:
    """The figures of every pool (creation order) and its requests and refusals."""
    out: dict[str, dict[str, Any]] = {}
    for p in sim.model.pools.values():
        figures = sim.model.utilisation(p.id)
        blocks = p.space.free_blocks()
        largest = max((c.size for c in blocks), default=0)
        free = figures["free_ips"]
        out[p.id] = {
            "provisioned_ips": figures["provisioned_ips"],
            "allocated_ips": figures["allocated_ips"],
            "free_ips": free,
            "utilisation": figures["utilisation"],
            "fragmentation": 1 - largest / free if free else 0.0,
            "free_blocks": len(blocks),
            "largest_free_mask": figures["largest_free_mask"],
            "requests": 0,
            "refused": 0,
        }
    for e in _space_requests(sim):
        for pool, _ in e.drawn:       # both pools of a dual-stack VPC
            row = out.get(pool)
            if row is not None:
                row["requests"] += 1
                row["refused"] += e.outcome == "error"
    return out


def _account_figures(sim: Simulation) -> dict[str, dict[str, Any]]:
    accounts = [*sim.org.members(), *sim.org.externals()]
    accounts += sorted({e.actor for e in sim.log if e.actor} - set(accounts))
    out = {a: dict.fromkeys(_ACCOUNT_FIGURES, 0) for a in accounts}
    for vpc in sim.model.vpcs.values():
        if vpc.owner in out:
            out[vpc.owner]["vpcs"] += 1
    for alloc in sim.model.allocations.values():
        if alloc.created_by in out and alloc.type != "IpamPool":
            out[alloc.created_by]["allocated_ips"] += alloc.cidr.size
    for e in _space_requests(sim):
        row = out[e.actor]
        row["requests"] += 1
        row["refused"] += e.outcome == "error"
    return out


def compare(a: Run | Simulation, b: Run | Simulation, *,
            labels: tuple[str, str] = ("a", "b")) -> pd.DataFrame:
    """Two runs side by side: one row per figure of each pool and each account.

    Columns :data:`COMPARE_COLUMNS` (``a`` and ``b`` renamed to ``labels``):
    ``level`` is ``"pool"`` or ``"account"``, ``name`` the pool or account,
    ``figure`` the figure's name and ``difference`` is b minus a (missing
    when the pool exists in one run only).  Pool figures are those of
    :func:`summary`; account figures are ``vpcs`` (VPCs it owns),
    ``allocated_ips`` (IPs of the VPC and custom allocations it made), and
    its space ``requests`` and ``refused`` requests.

    Examples
    --------
    >>> sim = Simulation(management_account="net")
    >>> _ = sim.do("net", "create_ipam", ipam="i", region="r1")
    >>> _ = sim.do("net", "create_ipam_pool", ipam="i", pool="p", region="r1",
    ...            cidrs=["10.0.0.0/24"])
    >>> alt = fork(sim)
    >>> _ = alt.do("net", "create_vpc", vpc="v", pool="p", mask=26)
    >>> diff = compare(sim, alt, labels=("now", "plan"))
    >>> shown = diff[diff.figure.isin(["allocated_ips", "free_ips", "vpcs"])]
    >>> print(shown.to_string(index=False))
      level name        figure   now  plan  difference
       pool    p allocated_ips   0.0  64.0        64.0
       pool    p      free_ips 256.0 192.0       -64.0
    account  net          vpcs   0.0   1.0         1.0
    account  net allocated_ips   0.0  64.0        64.0
    """
    import pandas as pd

    first, second = _sim(a), _sim(b)
    if len(labels) != 2 or labels[0] == labels[1] or any(
            lab in ("level", "name", "figure", "difference") for lab in labels):
        raise UsageError(f"labels must be two different names other than the frame's own "
                         f"columns, not {labels!r}")
    rows: list[tuple[Any, ...]] = []
    for level, figures, of in (("pool", _POOL_FIGURES, _pool_figures),
                               ("account", _ACCOUNT_FIGURES, _account_figures)):
        left, right = of(first), of(second)
        for name in [*left, *(n for n in right if n not in left)]:
            x, y = left.get(name), right.get(name)
            for figure in figures:
                u = None if x is None else x[figure]
                v = None if y is None else y[figure]
                rows.append((level, name, figure, u, v,
                             None if u is None or v is None else v - u))
    frame = pd.DataFrame.from_records(rows, columns=list(COMPARE_COLUMNS))
    for column in ("a", "b", "difference"):
        frame[column] = pd.to_numeric(frame[column]).astype("float64")
    return frame.rename(columns={"a": labels[0], "b": labels[1]})


# -- exhaustion ---------------------------------------------------------------------------
def _first_refusals(sim: Simulation, codes: Sequence[str] | None
                    ) -> dict[str, tuple[int, Any]]:
    """Per pool: the ordinal and time of its first refused space request."""
    counts: dict[str, int] = {}
    first: dict[str, tuple[int, Any]] = {}
    for e in _space_requests(sim):
        for pool, _ in e.drawn:
            counts[pool] = counts.get(pool, 0) + 1
        if (e.outcome == "error" and e.pool not in first
                and (codes is None or e.error_code in codes)):
            first[e.pool] = (counts[e.pool], e.time)
    return first


def exhaustion(run: Run | Simulation, *,
               codes: Sequence[str] | None = EXHAUSTION_CODES) -> pd.DataFrame:
    """When each pool of a run first refused a request for lack of space.

    One row per pool (creation order): its space ``requests`` (steps and
    generated requests of :data:`SPACE_OPS`) and ``refused`` ones, the
    ordinal ``request`` that was first refused with one of ``codes`` (None:
    any refusal), its time ``first_refusal`` (to the second) and
    ``exhausted_after_days``, the time from the clock start in days.  A
    pool that never refused has missing values there.

    Examples
    --------
    >>> from simkit import run
    >>> from simkit.scenario import loads
    >>> s = loads("version: 1\\nname: e\\norg: {management_account: n}\\nipams: [{id: i, "
    ...           "owner: n, region: r, pools: [{id: p, region: r, cidrs: [10.0.0.0/25]}]}]\\n"
    ...           "demand: [{as: n, pool: p, mask: 26, count: 3, every: 1h}]\\n")
    >>> print(exhaustion(run(s)).to_string(index=False))
    pool  requests  refused  request             first_refusal  exhausted_after_days
       p         3        1        3 2026-01-01 02:00:00+00:00              0.083333
    """
    import pandas as pd

    sim = _sim(run)
    figures = _pool_figures(sim)
    first = _first_refusals(sim, codes)
    rows = []
    for pool, f in figures.items():
        number, when = first.get(pool, (None, None))
        rows.append((pool, f["requests"], f["refused"], number, when,
                     None if when is None else (when - sim.start).total_seconds() / DAY))
    frame = pd.DataFrame.from_records(rows, columns=list(_EXHAUSTION_COLUMNS))
    frame["request"] = frame["request"].astype("Int64")
    frame["first_refusal"] = pd.to_datetime(frame["first_refusal"], utc=True).dt.floor("s")
    frame["exhausted_after_days"] = frame["exhausted_after_days"].astype("float64")
    return frame


# -- summaries of one run ---------------------------------------------------------------
def _summary_rows(sim: Simulation, codes: Sequence[str] | None) -> list[tuple[Any, ...]]:
    """The :data:`SUMMARY_COLUMNS` of every pool, as plain values (days for times)."""
    from .reports import conflicts

    unmet = sum(1 for e in sim.log if e.met is False)
    found = len(conflicts(sim))
    first = _first_refusals(sim, codes)
    rows = []
    for pool, f in _pool_figures(sim).items():
        when = first.get(pool, (None, None))[1]
        after = None if when is None else (when - sim.start).total_seconds() / DAY
        rows.append((pool, *(f[k] for k in _POOL_FIGURES), after, not unmet, unmet, found))
    if not rows:       # a run without pools still has its row
        rows.append((None, *([None] * 9), None, not unmet, unmet, found))
    return rows


def _summary_frame(rows: list[tuple[Any, ...]], columns: list[str]) -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame.from_records(rows, columns=columns)
    frame["exhausted_after_days"] = frame["exhausted_after_days"].astype("float64")
    frame["largest_free_mask"] = frame["largest_free_mask"].astype("Int64")
    for column in ("utilisation", "fragmentation"):
        frame[column] = frame[column].astype("float64")
    frame["ok"] = frame["ok"].astype(bool)
    return frame


def summary(run: Run | Simulation, *,
            codes: Sequence[str] | None = EXHAUSTION_CODES) -> pd.DataFrame:
    """The summary figures of one run: one row per pool, columns :data:`SUMMARY_COLUMNS`.

    The pool's figures at the end (as in the utilisation report), its space
    ``requests`` and ``refused`` requests, ``exhausted_after_days`` (see
    :func:`exhaustion`), and the run's ``ok`` (every expectation held),
    ``unmet`` expectations and ``conflicts`` (repeated on each row).  These
    are the figures :func:`sweep` records for each run.
    """
    return _summary_frame(_summary_rows(_sim(run), codes), list(SUMMARY_COLUMNS))


# -- strategies ---------------------------------------------------------------------------
def with_strategy(scenario: Scenario, strategy: str,
                  pools: Iterable[str] | None = None) -> Scenario:
    """The scenario with ``strategy`` for its pools (all, or those named in ``pools``).

    Declared pools and pools created by ``create_ipam_pool`` steps are both
    changed; nothing else is.

    Examples
    --------
    >>> from simkit.scenario import loads
    >>> s = loads("version: 1\\nname: s\\norg: {management_account: n}\\nipams: [{id: i, "
    ...           "owner: n, region: r, pools: [{id: a}, {id: b}]}]\\n")
    >>> [p.strategy for p in with_strategy(s, "best", pools=["b"]).pools.values()]
    ['first', 'best']
    """
    if strategy not in STRATEGIES:
        raise UsageError(f"unknown allocation strategy {strategy!r}; choose one of "
                         f"{', '.join(STRATEGIES)}")
    created = [s.args["pool"] for s in scenario.steps if s.op == "create_ipam_pool"]
    chosen = None if pools is None else set(pools)
    if chosen is not None and chosen - set(scenario.pools) - set(created):
        unknown = sorted(chosen - set(scenario.pools) - set(created))
        raise UsageError(f"no pool named {', '.join(unknown)} in scenario {scenario.name!r}")
    ipams = tuple(replace(ipam, pools=tuple(
        replace(p, strategy=strategy) if chosen is None or p.id in chosen else p
        for p in ipam.pools)) for ipam in scenario.ipams)
    steps = tuple(
        s._replace(args={**s.args, "strategy": strategy})
        if s.op == "create_ipam_pool" and (chosen is None or s.args["pool"] in chosen) else s
        for s in scenario.steps)
    return replace(scenario, ipams=ipams, steps=steps)


# -- sweeps -------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Task:
    """What a worker needs for a few runs of one plan: plain, picklable values."""

    source: str
    file: str
    parameters: dict[str, Any]
    strategy: str | None
    pools: tuple[str, ...] | None
    codes: tuple[str, ...] | None
    runs: tuple[tuple[int, int], ...]          # (run_id, seed)


def _run_task(task: _Task) -> list[tuple[Any, ...]]:
    """Run the runs of one task; rows of (run_id, seed, *SUMMARY_COLUMNS)."""
    scenario = loads(task.source, task.file, parameters=task.parameters)
    if task.strategy is not None:
        scenario = with_strategy(scenario, task.strategy, task.pools)
    rows = []
    for run_id, seed in task.runs:
        sim = Simulation.from_scenario(scenario, seed=seed)
        for step in scenario.steps:
            sim.apply(step)
        sim.finish()
        rows.extend((run_id, seed, *row) for row in _summary_rows(sim, task.codes))
    return rows


def _combinations(params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None
                  ) -> list[dict[str, Any]]:
    """The parameter values of each plan, in order (the grid's last name varies fastest)."""
    if params is None:
        return [{}]
    if isinstance(params, Mapping):
        names, lists = list(params), []
        for name, values in params.items():
            if isinstance(values, str | bytes) or not isinstance(values, Iterable):
                values = [values]
            values = list(values)
            if not values:
                raise UsageError(f"the grid gives no value for parameter {name!r}")
            lists.append(values)
        return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*lists)]
    plans = list(params)
    if not plans or not all(isinstance(c, Mapping) for c in plans):
        raise UsageError("params is a mapping of names to lists of values, or a non-empty "
                         "list of mappings of names to values")
    return [dict(c) for c in plans]


def _seeds(seeds: int | Iterable[int] | None, default: int) -> list[int]:
    if seeds is None:
        return [default]
    values = list(range(seeds)) if isinstance(seeds, int) and not isinstance(seeds, bool) \
        else list(seeds)
    if not values or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0
                             for s in values):
        raise UsageError(f"seeds is a count or a non-empty list of integers >= 0, not {seeds!r}")
    return values


def _as_completed(futures: list[Any]) -> Iterator[Any]:
    """The futures in the order they finish (in submission order if they cannot say).

    ``concurrent.futures`` and ``dask.distributed`` futures both call
    ``add_done_callback`` functions once done, from whatever thread finished them.
    """
    if not all(hasattr(f, "add_done_callback") for f in futures):
        yield from futures
        return
    done: queue.SimpleQueue[Any] = queue.SimpleQueue()
    for future in futures:
        future.add_done_callback(done.put)
    for _ in futures:
        yield done.get()


def _execute(tasks: list[_Task], executor: Any, total: int,
             progress: bool | None) -> list[tuple[Any, ...]]:
    bar = None
    if progress is not False:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, desc="sweep", unit="run",
                   disable=None if progress is None else False)
    rows: list[tuple[Any, ...]] = []
    try:
        if executor is None:
            for task in tasks:
                rows.extend(_run_task(task))
                if bar is not None:
                    bar.update(len(task.runs))
        elif tasks:
            futures = [executor.submit(_run_task, task) for task in tasks]
            try:
                for future in _as_completed(futures):
                    done = future.result()
                    rows.extend(done)
                    if bar is not None:
                        bar.update(len({r[0] for r in done}))
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
    finally:
        if bar is not None:
            bar.close()
    rows.sort(key=lambda r: r[0])        # stable: a run's pools keep their order
    return rows


def _sweep(scenario: str | Scenario, params: Any, seeds: Any, executor: Any,
           progress: bool | None, chunksize: int | None, strategies: Sequence[str | None],
           pools: Iterable[str] | None, codes: Sequence[str] | None) -> pd.DataFrame:
    base = scenario if isinstance(scenario, Scenario) else load(scenario)
    if base.source is None:
        raise UsageError(f"scenario {base.name!r} was not read from text: load it with "
                         "simkit.load or simkit.loads to sweep it")
    combos = _combinations(params)
    seed_list = _seeds(seeds, base.seed)
    pools = None if pools is None else tuple(pools)
    codes = None if codes is None else tuple(codes)
    names = list(base.parameters)
    by_strategy = list(strategies) != [None]
    reserved = {"run_id", "seed", *SUMMARY_COLUMNS, *(["strategy"] if by_strategy else [])}
    if reserved & set(names):
        raise UsageError(f"the parameter names {', '.join(sorted(reserved & set(names)))} are "
                         "also column names of a sweep: rename them in the scenario")
    if chunksize is None:
        chunksize = min(10, max(1, len(combos) * len(strategies) * len(seed_list) // 20))
    elif not isinstance(chunksize, int) or chunksize < 1:
        raise UsageError(f"chunksize is an integer >= 1, not {chunksize!r}")
    tasks: list[_Task] = []
    plans: dict[int, tuple[Any, ...]] = {}       # run_id -> (strategy, *parameter values)
    run_id = 0
    for combo in combos:
        bound = base.with_parameters(combo) if combo else base
        for strategy in strategies:
            # the plan must be valid before any worker starts (a ScenarioError here)
            Simulation.from_scenario(bound if strategy is None
                                     else with_strategy(bound, strategy, pools))
            values = (strategy, *(bound.parameters[n] for n in names))
            runs = []
            for seed in seed_list:
                plans[run_id] = values
                runs.append((run_id, seed))
                run_id += 1
            for start in range(0, len(runs), chunksize):
                tasks.append(_Task(base.source, base.file, dict(bound.parameters), strategy,
                                   pools, codes, tuple(runs[start:start + chunksize])))
    rows = _execute(tasks, executor, run_id, progress)
    full = [(r[0], r[1], *(plans[r[0]] if by_strategy else plans[r[0]][1:]), *r[2:])
            for r in rows]
    columns = ["run_id", "seed", *(["strategy"] if by_strategy else []), *names,
               *SUMMARY_COLUMNS]
    return _summary_frame(full, columns)


def sweep(scenario: str | Scenario, params: Mapping[str, Any] | Sequence[Mapping[str, Any]]
          | None = None, seeds: int | Iterable[int] | None = None, executor: Any = None, *,
          progress: bool | None = None, chunksize: int | None = None,
          codes: Sequence[str] | None = EXHAUSTION_CODES) -> pd.DataFrame:
    """Run a scenario for every combination of parameter values and every seed.

    Parameters
    ----------
    scenario : a path or a loaded :class:`~simkit.scenario.Scenario`, as for
        :func:`simkit.run`.
    params : ``{name: [values...]}`` (every combination, the last name varying
        fastest; a single value stands for a list of one) or a list of
        ``{name: value}`` mappings (exactly these plans).  None: the file's values.
    seeds : a count N (seeds 0 to N-1) or a list of seeds; None: the scenario's seed.
    executor : None to run here, one run after another; or any executor with
        ``submit(fn, arg)`` returning futures (``concurrent.futures``
        executors, a ``dask.distributed.Client``).  Workers receive the
        scenario text, the parameter values and the seeds, nothing else.
    progress : a tqdm progress bar: None shows it in terminals and notebooks
        only, True always, False never.
    chunksize : runs per task (default: up to 10); it changes nothing in the result.
    codes : the refusal codes that count as exhaustion (see :func:`exhaustion`).

    Returns
    -------
    One long frame, one row per run and pool, sorted by ``run_id`` (pools in
    creation order): ``run_id`` (0, 1, ... plan by plan, seed by seed),
    ``seed``, one column per declared parameter (its value in that run) and
    the :data:`SUMMARY_COLUMNS`.  The frame depends only on the inputs, never
    on the executor or on the order in which runs finish.

    Every plan is validated before anything runs: an undeclared parameter or
    a value the format refuses raises :class:`~simkit.values.errors.ScenarioError`.
    """
    return _sweep(scenario, params, seeds, executor, progress, chunksize, [None], None, codes)


def parse_grid(scenario: Scenario, options: Iterable[str]) -> dict[str, list[Any]]:
    """Read ``NAME=V1,V2`` options into a sweep grid, each value of its parameter's type.

    A value is read as the type of the parameter's default: an integer, a
    number, ``true``/``false``, or a string taken as written.

    Examples
    --------
    >>> from simkit.scenario import loads
    >>> s = loads("version: 1\\nname: g\\nparameters: {mask: 20, rate: 1/d, wide: false}\\n"
    ...           "org: {management_account: m}\\n")
    >>> parse_grid(s, ["mask=20,21", "rate=1/d,2/d", "wide=true"])
    {'mask': [20, 21], 'rate': ['1/d', '2/d'], 'wide': [True]}
    """
    grid: dict[str, list[Any]] = {}
    for option in options:
        name, sep, text = option.partition("=")
        name = name.strip()
        if not sep or not name or not text:
            raise UsageError(f"--param {option!r}: write NAME=VALUE or NAME=V1,V2,...")
        if name not in scenario.parameters:
            declared = ", ".join(scenario.parameters) or "none"
            raise UsageError(f"--param {option!r}: {scenario.file} declares no parameter "
                             f"{name!r} (declared: {declared})")
        if name in grid:
            raise UsageError(f"--param {name} is given twice: list all its values in one "
                             f"option, {name}=V1,V2")
        default = scenario.parameters[name]
        grid[name] = [_coerce(name, default, v.strip()) for v in text.split(",")]
    return grid


def parse_parameters(scenario: Scenario, options: Iterable[str]) -> dict[str, Any]:
    """Read ``NAME=VALUE`` options into the parameter values of one run.

    Values are read as :func:`parse_grid` reads them; each parameter takes
    one value here (a sweep takes several).

    Examples
    --------
    >>> from simkit.scenario import loads
    >>> s = loads("version: 1\\nname: g\\nparameters: {mask: 20, rate: 1/d}\\n"
    ...           "org: {management_account: m}\\n")
    >>> parse_parameters(s, ["mask=19"])
    {'mask': 19}
    >>> parse_parameters(s, ["mask=19,20"])
    Traceback (most recent call last):
    ...
    simkit.UsageError: --param mask=19,20: one run takes one value per \
parameter; simkit sweep runs several
    """
    values = {}
    for name, given in parse_grid(scenario, options).items():
        if len(given) != 1:
            shown = ",".join(str(v) for v in given)
            raise UsageError(f"--param {name}={shown}: one run takes one value per "
                             "parameter; simkit sweep runs several")
        values[name] = given[0]
    return values


def _coerce(name: str, default: Any, text: str) -> Any:
    try:
        if isinstance(default, bool):
            if text.lower() not in ("true", "false"):
                raise ValueError(text)
            return text.lower() == "true"
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            value = float(text)
            if not math.isfinite(value):
                raise ValueError(text)
            return value
    except ValueError:
        kind = ("true or false" if isinstance(default, bool) else
                "an integer" if isinstance(default, int) else "a number")
        raise UsageError(f"--param {name}: {text!r} is not {kind} like the default "
                         f"{default!r}") from None
    return text


# -- Monte Carlo forecasts and strategy comparison ---------------------------------------
def _percentile(values: list[float], q: float) -> float | None:
    """Linear-interpolated percentile of sorted values, where inf means "never"."""
    rank = q / 100 * (len(values) - 1)
    lo, hi = math.floor(rank), math.ceil(rank)
    frac = rank - lo
    if values[lo] == math.inf or (frac and values[hi] == math.inf):
        return None
    return values[lo] + (values[hi] - values[lo]) * frac


def forecast(scenario: str | Scenario, *, seeds: int | Iterable[int] = 100,
             parameters: Mapping[str, Any] | None = None,
             percentiles: Sequence[float] = (5, 50, 95), executor: Any = None,
             progress: bool | None = None,
             codes: Sequence[str] | None = EXHAUSTION_CODES) -> pd.DataFrame:
    """Monte Carlo forecast of each pool's exhaustion under the scenario's demand.

    The scenario runs once per seed (with ``parameters`` when given, through
    ``executor`` as in :func:`sweep`).  One row per pool: ``runs``,
    ``exhausted`` (runs in which the pool refused a request with one of
    ``codes``), and for each percentile q a column ``p<q>_days``: the time
    from the clock start to the first refusal, in days.  A run in which the
    pool never refused counts as "later than the run": a percentile that
    falls among those runs is missing (NaN), as is every percentile of a pool
    that never ran out.
    """
    import pandas as pd

    if not percentiles or not all(0 <= q <= 100 for q in percentiles):
        raise UsageError(f"percentiles are numbers from 0 to 100, not {percentiles!r}")
    runs = _sweep(scenario, [dict(parameters)] if parameters else None, seeds, executor,
                  progress, None, [None], None, codes)
    names = [f"p{q:g}_days" for q in percentiles]
    rows = []
    for pool, group in runs.groupby("pool", sort=False):
        days = sorted(math.inf if pd.isna(t) else float(t)
                      for t in group["exhausted_after_days"])
        rows.append((pool, len(days), sum(d != math.inf for d in days),
                     *(_percentile(days, q) for q in percentiles)))
    frame = pd.DataFrame.from_records(rows, columns=["pool", "runs", "exhausted", *names])
    for name in names:
        frame[name] = frame[name].astype("float64")
    return frame


def compare_strategies(scenario: str | Scenario, *, strategies: Sequence[str] = STRATEGIES,
                       seeds: int | Iterable[int] | None = None,
                       parameters: Mapping[str, Any] | None = None,
                       pools: Iterable[str] | None = None, executor: Any = None,
                       progress: bool | None = None,
                       codes: Sequence[str] | None = EXHAUSTION_CODES) -> pd.DataFrame:
    """The same demand under each allocation strategy: fragmentation and refusals.

    Every pool (or those named in ``pools``) uses each strategy in turn (see
    :func:`with_strategy`); each runs with the same ``seeds`` (default: the
    scenario's seed).  One row per strategy and pool, with the mean over the
    seeds of ``requests``, ``refused``, ``fragmentation``, ``free_blocks``,
    ``utilisation`` and ``unmet`` expectations (a step that expected the
    cloud's first-fit CIDR may not get it under another strategy), plus
    ``runs`` and ``exhausted`` (runs in which the pool refused for lack of space).
    """
    strategies = list(strategies)
    for strategy in strategies:
        if strategy not in STRATEGIES:
            raise UsageError(f"unknown allocation strategy {strategy!r}; choose among "
                             f"{', '.join(STRATEGIES)}")
    if not strategies or len(set(strategies)) != len(strategies):
        raise UsageError(f"strategies must list each strategy once, not {strategies!r}")
    runs = _sweep(scenario, [dict(parameters)] if parameters else None, seeds, executor,
                  progress, None, strategies, pools, codes)
    runs["exhausted"] = runs["exhausted_after_days"].notna()
    grouped = runs.groupby(["strategy", "pool"], sort=False)
    frame = grouped.agg(runs=("run_id", "size"), requests=("requests", "mean"),
                        refused=("refused", "mean"), fragmentation=("fragmentation", "mean"),
                        free_blocks=("free_blocks", "mean"),
                        utilisation=("utilisation", "mean"), unmet=("unmet", "mean"),
                        exhausted=("exhausted", "sum")).reset_index()
    frame["exhausted"] = frame["exhausted"].astype("int64")
    return frame
