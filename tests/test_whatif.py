"""What-if analysis: parameters, forks, comparisons, exhaustion forecasts, strategies, sweeps."""

from __future__ import annotations

import concurrent.futures as cf
import importlib.util
import json
import math
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
import yaml

import simkit
from simkit.analysis.whatif import (
    SUMMARY_COLUMNS,
    compare,
    compare_strategies,
    exhaustion,
    forecast,
    fork,
    parse_grid,
    summary,
    sweep,
    with_strategy,
)
from simkit.cli import main
from simkit.engine import Simulation
from simkit.scenario import json_schema, load, loads
from simkit.values.errors import ScenarioError, UsageError

ROOT = Path(__file__).parent.parent
CAPACITY = ROOT / "scenarios" / "capacity_whatif.yaml"
DAY = timedelta(days=1)

#: The hand-worked case: one /24 a day into an empty /20 (sixteen /24s), the first at the start.
ONE_A_DAY = """\
version: 1
name: one-a-day
org: {management_account: net}
ipams:
  - id: ipam-1
    owner: net
    region: r1
    pools: [{id: p, region: r1, cidrs: [10.0.0.0/20]}]
demand: [{as: net, pool: p, mask: 24, count: 20, every: 1d}]
"""

#: A pool of a /24 and a /25: a /26 then a /24 request; only first-fit spoils the /24.
TWO_BLOCKS = """\
version: 1
name: two-blocks
org: {management_account: net}
ipams:
  - id: ipam-1
    owner: net
    region: r1
    pools: [{id: p, cidrs: [10.0.0.0/24, 10.0.1.0/25]}]
steps:
  - {op: create_ipam_pool_allocation, as: net, pool: p, mask: 26, expect: any}
  - {op: create_ipam_pool_allocation, as: net, pool: p, mask: 24, expect: any}
"""

PARAMETRIC = """\
version: 1
name: parametric
parameters:
  mask: {default: 20, description: the regional pool's mask}
  count: 3
  rate: 1/d
org: {management_account: net}
ipams:
  - id: ipam-1
    owner: net
    region: r1
    pools:
      - {id: corp, cidrs: [10.0.0.0/8]}
      - id: hz
        source: corp
        region: r1
        masks: [{param: mask}]
demand:
  - as: net
    pool: hz
    mask: 24
    count: {param: count}
    rate: {param: rate}
"""


def error_of(text: str, **parameters: object) -> ScenarioError:
    with pytest.raises(ScenarioError) as err:
        loads(text, "plan.yaml", parameters=parameters or None)
    return err.value


# -- parameters ---------------------------------------------------------------------------
def test_references_take_the_defaults_or_the_values_given_for_a_run():
    s = loads(PARAMETRIC)
    assert s.parameters == {"mask": 20, "count": 3, "rate": "1/d"}
    assert s.pools["hz"].masks == (20,)
    assert (s.demand[0].count, s.demand[0].rate * 86400) == (3, 1.0)
    other = s.with_parameters({"mask": 22}).with_parameters({"count": 5})
    assert other.parameters == {"mask": 22, "count": 5, "rate": "1/d"}
    assert (other.pools["hz"].masks, other.demand[0].count) == ((22,), 5)


def test_a_value_from_a_parameter_is_judged_on_the_line_of_its_reference():
    err = error_of(PARAMETRIC, mask=40)
    assert (err.file, err.line) == ("plan.yaml", 17)
    assert "the mask 40 is outside" in err.reason and "parameter mask = 40" in err.reason
    err = error_of(PARAMETRIC, rate="3 a day")
    assert err.line == 23 and "rate must be a rate" in err.reason


def test_unknown_references_and_wrong_types_are_scenario_errors_with_lines():
    err = error_of(PARAMETRIC.replace("{param: count}", "{param: cuont}"))
    assert err.line == 22 and "unknown parameter 'cuont' (did you mean 'count'?)" in err.reason
    err = error_of(PARAMETRIC.replace("{param: count}", "{param: count, mask: 2}"))
    assert err.line == 22 and "no other key" in err.reason
    err = error_of(PARAMETRIC, count="many")
    assert err.line == 5 and "not an integer like its default 3" in err.reason
    err = error_of(PARAMETRIC, size=3)
    assert err.line == 3 and "'size'" in err.reason and "declared: mask, count, rate" in err.reason
    err = error_of(PARAMETRIC.replace("count: 3", "count: [3]"))
    assert err.line == 5 and "string, a number or true/false" in err.reason
    err = error_of(PARAMETRIC.replace("count: 3", "count: 2026-02-01"))
    assert err.line == 5 and "quote a time" in err.reason
    err = error_of(PARAMETRIC.replace("  count: 3", "  2count: 3"))
    assert err.line == 5 and "not a parameter name" in err.reason
    err = error_of(PARAMETRIC.replace("version: 1", "version: {param: count}"))
    assert err.line == 1 and "version cannot take its value from a parameter" in err.reason
    err = error_of(PARAMETRIC.replace("demand:", "steps: [{op: {param: rate}, as: net}]\ndemand:"))
    assert err.line == 18 and "op cannot" in err.reason
    assert loads(PARAMETRIC, parameters={"mask": 21}).pools["hz"].masks == (21,)
    with pytest.raises(UsageError):
        loads(PARAMETRIC, parameters=[("mask", 21)])  # type: ignore[arg-type]


def test_a_number_parameter_takes_integers_and_a_file_without_parameters_is_unchanged():
    text = PARAMETRIC.replace("count: 3", "count: 3\n  weight: 0.5").replace(
        "mask: 24\n", "masks: {24: {param: weight}, 25: 0.5}\n")
    assert loads(text).demand[0].masks == ((24, 0.5), (25, 0.5))
    single = text.replace(", 25: 0.5}", "}")
    assert loads(single, parameters={"weight": 1}).demand[0].masks == ((24, 1.0),)
    with pytest.raises(ScenarioError, match=r"sum to 1, not 0\.75 \(from the parameter weight"):
        loads(text, parameters={"weight": 0.25})
    plain = load(ROOT / "scenarios" / "quickstart.yaml")
    assert plain.parameters == {}
    assert plain.source == (ROOT / "scenarios" / "quickstart.yaml").read_text()


def test_the_json_schema_accepts_references_where_values_go_and_nothing_else():
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(json_schema())
    doc = json.loads(json.dumps(yaml.safe_load(CAPACITY.read_text()), default=str))
    assert list(validator.iter_errors(doc)) == []
    for bad in ({"param": "x", "also": 1}, {"param": 3}, [20]):
        doc["ipams"][0]["pools"][1]["masks"] = [bad]
        assert not validator.is_valid(doc), bad
    doc["ipams"][0]["pools"][1]["masks"] = [20]
    doc["parameters"]["hz_mask"] = {"description": "no default"}
    assert not validator.is_valid(doc)


def test_seed_and_parameters_are_given_to_a_run_without_editing_the_file():
    before = CAPACITY.read_bytes()
    base = simkit.run(CAPACITY)
    again = simkit.run(CAPACITY, seed=base.scenario.seed)
    other = simkit.run(CAPACITY, seed=11, parameters={"hz_mask": 19})
    assert CAPACITY.read_bytes() == before
    assert again.events.equals(base.events)
    assert (other.simulation.seed, other.scenario.seed) == (11, 11)
    assert other.scenario.parameters["hz_mask"] == 19
    assert other.simulation.model.utilisation("hz")["provisioned_ips"] == 8192
    assert not other.events.equals(base.events)
    sim = Simulation.from_scenario(base.scenario, seed=11, parameters={"hz_mask": 19})
    assert sim.seed == 11 and sim.model.utilisation("hz")["provisioned_ips"] == 8192
    for bad in (-1, True, "7"):
        with pytest.raises(UsageError):
            simkit.run(CAPACITY, seed=bad)


# -- forks and comparison -----------------------------------------------------------------
def started(steps: int = 4) -> tuple[simkit.Scenario, Simulation]:
    scenario = load(CAPACITY)
    sim = Simulation.from_scenario(scenario)
    for step in scenario.steps[:steps]:
        sim.apply(step)
    return scenario, sim


def test_a_fork_runs_on_exactly_as_the_original_and_never_touches_it():
    scenario, sim = started()
    alt = fork(sim)
    assert alt.fingerprint() == sim.fingerprint()
    assert alt.log is not sim.log and alt.log[0] is sim.log[0]     # records are shared
    before = sim.fingerprint()
    changed = fork(sim)
    changed.do("netadmin", "create_vpc", vpc="vpc-extra", pool="hz", mask=24)
    changed.advance(10 * DAY)
    assert sim.fingerprint() == before
    for s in (sim, alt):
        for step in scenario.steps[4:]:
            s.apply(step)
        s.finish()
    assert alt.fingerprint() == sim.fingerprint()
    assert alt.events.equals(sim.events)


def test_compare_gives_the_differences_per_pool_and_per_account():
    _, sim = started()
    plan = fork(sim)
    plan.do("netadmin", "create_vpc", vpc="vpc-extra", pool="hz", mask=24)
    diff = compare(sim, plan, labels=("now", "plan")).set_index(["level", "name", "figure"])
    assert list(diff.columns) == ["now", "plan", "difference"]
    hz = diff.loc["pool"].loc["hz"]
    assert hz.loc["allocated_ips"].tolist() == [1024, 1280, 256]
    assert hz.loc["free_ips"].tolist() == [3072, 2816, -256]
    assert hz.loc["utilisation", "difference"] == pytest.approx(256 / 4096)
    assert (diff.loc["pool"].loc[["corp", "sh"], "difference"] == 0).all()
    assert diff.loc[("account", "netadmin", "vpcs")].tolist() == [0, 1, 1]
    assert diff.loc[("account", "netadmin", "allocated_ips")].tolist() == [0, 256, 256]
    assert diff.loc[("account", "shop", "allocated_ips")].tolist() == [1024, 1024, 0]
    assert set(diff.index.get_level_values("name")) >= {"mgmt", "shop", "payments"}
    with pytest.raises(UsageError):
        compare(sim, plan, labels=("x", "x"))


# -- exhaustion ------------------------------------------------------------------------------
def test_the_hand_worked_case_refuses_the_17th_request_16_days_after_the_first():
    s = loads(ONE_A_DAY)
    row = exhaustion(simkit.run(s)).set_index("pool").loc["p"]
    assert (row.requests, row.refused, row.request) == (20, 4, 17)
    assert row.exhausted_after_days == 16.0
    assert row.first_refusal == pd.Timestamp(s.start + 16 * DAY)
    figures = forecast(s, seeds=3, progress=False).set_index("pool").loc["p"]
    assert (figures.runs, figures.exhausted) == (3, 3)
    assert [figures.p5_days, figures.p50_days, figures.p95_days] == [16.0] * 3


#: Dual-stack VPCs, one a day: the IPv4 pool holds sixteen /24s, the IPv6 one two /56s.
DUAL_STACK = """\
version: 1
name: dual-stack-exhaustion
org: {management_account: mgmt, accounts: [net]}
ipams:
  - id: ipam-1
    owner: net
    region: cn-hangzhou
    pools:
      - {id: v4, region: cn-hangzhou, cidrs: [10.0.0.0/20], rules: {default_mask: 24}}
      - {id: v6, scope: public, region: cn-hangzhou, masks: [48]}
      - {id: v6c, source: v6, masks: [55], rules: {min_mask: 56, default_mask: 56}}
steps:
  - {op: create_vpc, as: net, vpc: a, pool: v4, ipv6_pool: v6c}
  - advance: 1d
  - {op: create_vpc, as: net, vpc: b, pool: v4, ipv6_pool: v6c}
  - advance: 1d
  - {op: create_vpc, as: net, vpc: c, pool: v4, ipv6_pool: v6c,
     expect: {error: OperationDenied.AvailableCidrInsufficient}}
  - {op: create_vpc, as: net, vpc: d, ipv6_pool: v6c,
     expect: {error: OperationDenied.AvailableCidrInsufficient}}
  - {op: create_vpc, as: net, vpc: e, pool: v4}
"""


def test_a_dual_stack_request_counts_for_both_pools_and_a_refusal_for_the_one_that_refused():
    result = simkit.run(loads(DUAL_STACK))
    assert result.ok
    refusals = [(e.pool, e.ipv6_pool) for e in result.simulation.log if e.outcome == "error"]
    assert refusals == [("v6c", "v6c"), ("v6c", "v6c")]     # the IPv6 half ran out
    rows = exhaustion(result).set_index("pool")
    assert (rows.loc["v4", "requests"], rows.loc["v4", "refused"]) == (3, 0)
    v6c = rows.loc["v6c"]
    assert (v6c.requests, v6c.refused, v6c.request, v6c.exhausted_after_days) == (4, 2, 3, 2.0)
    assert pd.isna(rows.loc["v4", "exhausted_after_days"])
    frame = result.events
    assert list(frame.columns[-2:]) == ["ipv6_pool", "ipv6_cidr"]
    assert frame["ipv6_pool"].tolist()[:1] == ["v6c"]


def erlang_quantile(k: int, q: float) -> float:
    """Days until the k-th event of a Poisson process of rate 1/d, at probability q."""
    def cdf(x: float) -> float:
        return 1 - sum(math.exp(-x) * x**n / math.factorial(n) for n in range(k))

    lo, hi = 0.0, 10.0 * k
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if cdf(mid) < q else (lo, mid)
    return lo


def test_monte_carlo_percentiles_follow_the_arrival_process():
    # with Poisson arrivals the 17th request comes after 16 exponential gaps (Erlang-16)
    s = loads(ONE_A_DAY.replace("count: 20, every: 1d", "count: 17, rate: 1/d"))
    figures = forecast(s, seeds=200, percentiles=(5, 50, 95), progress=False)
    row = figures.set_index("pool").loc["p"]
    assert (row.runs, row.exhausted) == (200, 200)
    for name, q in (("p5_days", 0.05), ("p50_days", 0.5), ("p95_days", 0.95)):
        days = row[name]
        assert abs(days - erlang_quantile(16, q)) < 2.0, (name, days)
    never = forecast(s, seeds=4, parameters=None, progress=False,
                     codes=("QuotaExceeded.Nothing",)).set_index("pool").loc["p"]
    assert never.exhausted == 0 and pd.isna(never.p50_days)


# -- strategies ------------------------------------------------------------------------------
def test_strategies_differ_as_worked_out_by_hand():
    s = loads(TWO_BLOCKS)
    table = compare_strategies(s, seeds=40, progress=False).set_index(["strategy", "pool"])
    assert list(table.index.get_level_values("strategy").unique()) == list(simkit.STRATEGIES)
    first, best, last = (table.loc[(k, "p")] for k in ("first", "best", "last"))
    # first fit puts the /26 into the /24, which then cannot hold the /24
    assert (first.refused, first.free_blocks, first.fragmentation) == (1, 3, pytest.approx(0.6))
    for other in (best, last):
        assert (other.refused, other.free_blocks, other.fragmentation) == (0, 1, 0.0)
    # random: the /26 lands in one of 6 aligned places, 4 of them inside the /24
    rand = table.loc[("random", "p")]
    assert rand.runs == 40 and abs(rand.refused - 4 / 6) < 0.3
    assert with_strategy(s, "last").pools["p"].strategy == "last"
    with pytest.raises(UsageError):
        with_strategy(s, "worst")
    with pytest.raises(UsageError):
        with_strategy(s, "best", pools=["nope"])


# -- sweeps -----------------------------------------------------------------------------------
GRID = {"hz_mask": [19, 20], "team_requests": [10, 30]}


def test_a_sweep_is_one_long_frame_sorted_by_run():
    frame = sweep(CAPACITY, params=GRID, seeds=[3, 5], progress=False)
    params = ["hz_mask", "sh_mask", "team_requests", "rate", "lifetime", "pool_strategy"]
    assert list(frame.columns) == ["run_id", "seed", *params, *SUMMARY_COLUMNS]
    runs = frame.groupby("run_id", sort=False).first()
    assert list(runs.index) == list(range(8))
    assert runs[["hz_mask", "team_requests", "seed"]].values.tolist() == [
        [19, 10, 3], [19, 10, 5], [19, 30, 3], [19, 30, 5],
        [20, 10, 3], [20, 10, 5], [20, 30, 3], [20, 30, 5]]
    assert frame.groupby("run_id")["pool"].apply(list).map(tuple).unique().tolist() == [
        ("corp", "hz", "sh")]
    # a row is what the run alone gives
    alone = summary(simkit.run(CAPACITY, seed=5, parameters={"hz_mask": 20,
                                                             "team_requests": 30}))
    row = frame[frame.run_id == 7][list(SUMMARY_COLUMNS)].reset_index(drop=True)
    pd.testing.assert_frame_equal(row, alone)
    # a bigger pool never refuses more of the same demand
    hz = frame[frame.pool == "hz"].set_index(["team_requests", "seed", "hz_mask"])["refused"]
    assert (hz.xs(19, level="hz_mask") <= hz.xs(20, level="hz_mask")).all()


class LastFirst(cf.Executor):
    """Runs nothing until every future has a callback, then finishes them in reverse order."""

    def __init__(self) -> None:
        self.pending: list[tuple[cf.Future, object, tuple]] = []

    def submit(self, fn, /, *args, **kwargs):
        future = _Deferred(self)
        self.pending.append((future, fn, args))
        return future

    def release(self) -> None:
        for future, fn, args in reversed(self.pending):
            future.set_result(fn(*args))


class _Deferred(cf.Future):
    def __init__(self, owner: LastFirst) -> None:
        super().__init__()
        self.owner = owner

    def add_done_callback(self, fn) -> None:
        super().add_done_callback(fn)
        if self is self.owner.pending[-1][0]:
            self.owner.release()


@pytest.fixture(scope="module")
def serial_frame() -> pd.DataFrame:
    return sweep(CAPACITY, params=GRID, seeds=3, progress=False)


def test_results_do_not_depend_on_the_executor_nor_the_completion_order(serial_frame):
    reverse = LastFirst()
    backwards = sweep(CAPACITY, params=GRID, seeds=3, executor=reverse, chunksize=1,
                      progress=False)
    assert len(reverse.pending) == 12
    pd.testing.assert_frame_equal(backwards, serial_frame)
    with cf.ProcessPoolExecutor(2) as pool:
        parallel = sweep(CAPACITY, params=GRID, seeds=3, executor=pool, chunksize=2,
                         progress=False)
    pd.testing.assert_frame_equal(parallel, serial_frame)


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        yield client


def test_a_dask_cluster_gives_the_same_frame(serial_frame, dask_client):
    frame = sweep(CAPACITY, params=GRID, seeds=3, executor=dask_client, chunksize=1,
                  progress=False)
    pd.testing.assert_frame_equal(frame, serial_frame)


def test_sweep_inputs_are_checked_before_anything_runs():
    with pytest.raises(ScenarioError, match="not declared"):
        sweep(CAPACITY, params={"hz_maks": [19]}, progress=False)
    with pytest.raises(ScenarioError, match=r"capacity_whatif.yaml:\d+: pool hz: "):
        sweep(CAPACITY, params={"hz_mask": [20, 7]}, progress=False)   # /7 > corp's /8
    with pytest.raises(UsageError):
        sweep(CAPACITY, seeds=[1, -2], progress=False)
    with pytest.raises(UsageError):
        sweep(CAPACITY, params={"hz_mask": []}, progress=False)
    clash = loads(PARAMETRIC.replace("  count: 3", "  count: 3\n  refused: 0"))
    with pytest.raises(UsageError, match="refused"):
        sweep(clash, progress=False)


def test_explicit_plans_and_the_progress_bar(capsys):
    frame = sweep(CAPACITY, params=[{"hz_mask": 18}, {"hz_mask": 21, "sh_mask": 22}],
                  progress=True)
    assert frame.groupby("run_id")[["hz_mask", "sh_mask"]].first().values.tolist() == [
        [18, 21], [21, 22]]
    assert "2/2" in capsys.readouterr().err
    sweep(CAPACITY, progress=None)            # not a terminal: no bar
    assert capsys.readouterr().err == ""


# -- the command line --------------------------------------------------------------------------
def test_cli_sweep_writes_one_row_per_run_and_pool(tmp_path, capsys):
    out = tmp_path / "runs.csv"
    args = ["sweep", str(CAPACITY), "--param", "hz_mask=19,20", "--param", "rate=1/d,2/d",
            "--seeds", "2", "--out", str(out)]
    assert main(args) == 0
    assert "8 runs (4 plan(s) x 2 seed(s))" in capsys.readouterr().out
    frame = pd.read_csv(out)
    assert len(frame) == 8 * 3
    assert frame.groupby("run_id")[["hz_mask", "rate", "seed"]].first().values.tolist()[:3] == [
        [19, "1/d", 0], [19, "1/d", 1], [19, "2/d", 0]]
    parallel = tmp_path / "parallel.csv"
    assert main([*args[:-1], str(parallel), "--workers", "2"]) == 0
    assert parallel.read_text() == out.read_text()


def test_cli_sweep_on_a_dask_scheduler(tmp_path, dask_client):
    out = tmp_path / "runs.csv"
    assert main(["sweep", str(CAPACITY), "--seeds", "2", "--out", str(out), "--scheduler",
                 dask_client.scheduler.address]) == 0
    local = tmp_path / "local.csv"
    assert main(["sweep", str(CAPACITY), "--seeds", "2", "--out", str(local)]) == 0
    assert out.read_text() == local.read_text()


@pytest.mark.parametrize(("option", "message"), [
    (["--param", "size=1"], "declares no parameter 'size' (declared: hz_mask"),
    (["--param", "hz_mask=big"], "'big' is not an integer"),
    (["--param", "hz_mask"], "NAME=VALUE"),
    (["--param", "hz_mask=7"], "pool hz: "),
    (["--seeds", "0"], ">= 1"),
])
def test_cli_sweep_refuses_bad_options_with_exit_2(tmp_path, capsys, option, message):
    assert main(["sweep", str(CAPACITY), *option, "--out", str(tmp_path / "x.csv")]) == 2
    assert message in capsys.readouterr().err


def test_cli_sweep_output_formats(tmp_path, capsys):
    assert main(["sweep", str(CAPACITY), "--out", str(tmp_path / "x.txt")]) == 2
    assert ".csv or a .parquet" in capsys.readouterr().err
    target = tmp_path / "x.parquet"
    code = main(["sweep", str(CAPACITY), "--out", str(target)])
    if importlib.util.find_spec("pyarrow") or importlib.util.find_spec("fastparquet"):
        assert code == 0 and len(pd.read_parquet(target)) == 3
    else:
        assert code == 2 and "needs pyarrow" in capsys.readouterr().err
        assert not target.exists()


def test_parse_grid_reads_values_as_the_defaults_type():
    s = loads(PARAMETRIC.replace("count: 3", "count: 3\n  share: 0.5\n  wide: false"))
    assert parse_grid(s, ["count=1,2", "share=1,0.25", "wide=TRUE", "rate=2/d"]) == {
        "count": [1, 2], "share": [1.0, 0.25], "wide": [True], "rate": ["2/d"]}
    for bad in (["count=1.5"], ["wide=yes"], ["count=1", "count=2"], ["=3"]):
        with pytest.raises(UsageError):
            parse_grid(s, bad)
