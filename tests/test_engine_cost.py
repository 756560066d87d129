"""What keeps the engine's cost per step near the allocator's, and the model's cost per request
proportional to what the request touches: no cyclic garbage, a creation order kept as an index,
and the VPCs auto import looks at listed by region."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from simkit.analysis.runs import run
from simkit.engine import Simulation
from simkit.scenario import load, loads

# sharing, the organisation changing, VPCs and auto import, demand, refusals of every kind
SCENARIOS = [Path(__file__).parent.parent / "scenarios" / f"{name}.yaml" for name in (
    "company_20_accounts", "conflicts_and_adoption", "regression_sharing", "regression_org",
    "regression_vpcs", "regression_fidelity", "capacity_whatif")]

# most steps refused: an exhausted /26 and an unknown pool
REFUSED = """
version: 1
name: refusals
org:
  management_account: mgmt
  accounts: [net]
ipams:
  - id: i
    owner: net
    region: r1
    pools:
      - id: p
        region: r1
        cidrs: [10.0.0.0/26]
steps:
""" + "".join(f"  - {{op: create_ipam_pool_allocation, as: net, pool: {pool}, mask: 28}}\n"
              for pool in ["p"] * 30 + ["nowhere"] * 5)


@pytest.mark.parametrize("scenario", [*SCENARIOS, "refusals"], ids=lambda p: getattr(p, "stem", p))
def test_a_run_leaves_no_cyclic_garbage_so_the_collector_can_rest_during_it(scenario):
    loaded = loads(REFUSED) if scenario == "refusals" else load(scenario)
    run(loaded)      # once first: networkx builds some of its functions on their first call
    gc.collect()
    gc.disable()
    try:
        result = run(loaded)
        assert gc.collect() == 0     # everything the run dropped, reference counting freed
    finally:
        gc.enable()
    assert len(result.simulation.log) >= len(loaded.steps)


def test_run_turns_the_collector_back_on_only_when_it_was_on():
    scenario = loads(REFUSED)
    run(scenario)
    assert gc.isenabled()
    gc.disable()
    try:
        run(scenario)
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(ZeroDivisionError):
        run(scenario, progress=lambda done, total: 1 / 0)
    assert gc.isenabled()


def test_a_run_leaves_its_records_to_the_oldest_generation_and_what_was_frozen_frozen():
    scenario = loads(REFUSED + "".join(f"  - {{op: create_ipam_pool_allocation, as: net, "
                                       f"pool: p, allocation: a{i}, mask: 28}}\n  - "
                                       f"{{op: delete_ipam_pool_allocation, as: net, "
                                       f"allocation: a{i}}}\n" for i in range(3000)))
    gc.collect()
    result = run(scenario)
    young = len(gc.get_objects(0)) + len(gc.get_objects(1))
    assert gc.isenabled() and young < 2000, young       # not the run's 6,000 events
    assert len(result.simulation.log) > 6000
    mine = ["an application's object"]
    gc.freeze()                 # an application's own frozen objects stay frozen
    try:
        run(scenario)
        # (not the frozen count: a frozen object that some cache lets go leaves it too)
        assert gc.get_freeze_count() > 0
        assert not any(o is mine for o in gc.get_objects(2)), "unfrozen by the run"
    finally:
        gc.unfreeze()


def test_the_series_notes_the_pools_a_step_touches_in_creation_order():
    sim = Simulation(management_account="net")
    sim.do("net", "create_ipam", ipam="i", region="r1")
    for pool, source in [("top", None), ("z", "top"), ("a", "top")]:
        sim.do("net", "create_ipam_pool", ipam="i", pool=pool, source=source, region="r1",
               **({"cidrs": ["10.0.0.0/8"]} if source is None else {}))
    sim.do("net", "delete_ipam_pool", pool="z")
    sim.do("net", "create_ipam_pool", ipam="i", pool="z", source="top", region="r1",
           masks=[16])                         # z again: now the newest pool
    assert sim.model.in_creation_order(["z", "a", "top", "gone"]) == ["top", "a", "z"]
    sim._series.clear()
    sim.do("net", "add_ipam_pool_cidr", pool="a", mask=16)
    sim.do("net", "create_vpc", vpc="v", pool="z", mask=24)
    assert [(pool, allocated) for _, _, pool, _, allocated in sim._series] == [
        ("top", 2 * 65536), ("a", 0), ("z", 256)]
    back = Simulation.from_state(sim.to_state())
    assert back.model.in_creation_order(["z", "a", "top"]) == ["top", "a", "z"]
    assert sim.copy().model.in_creation_order(["z", "top"]) == ["top", "z"]


def test_auto_import_looks_only_at_the_vpcs_that_hold_unmanaged_cidrs():
    sim = Simulation(management_account="net")
    sim.do("net", "create_ipam", ipam="i", region="r1", operating_regions=["r2"])
    sim.do("net", "create_ipam_pool", ipam="i", pool="p", region="r1", cidrs=["10.0.0.0/16"])
    sim.do("net", "create_ipam_pool", ipam="i", pool="q", region="r2", cidrs=["10.1.0.0/16"])
    for n in range(50):
        sim.do("net", "create_vpc", vpc=f"m{n}", pool="p", mask=28)
    sim.do("net", "create_vpc", vpc="legacy", cidr="10.0.128.0/24", region="r1")
    sim.do("net", "create_vpc", vpc="far", cidr="10.1.128.0/24", region="r2")
    assert {r: list(ids) for r, ids in sim.model._unmanaged.items()} == {
        "r1": ["legacy"], "r2": ["far"]}
    sim.do("net", "delete_ipam_pool_allocation", allocation="10.0.0.16/28")   # m1's: Unmanaged
    assert list(sim.model._unmanaged["r1"]) == ["legacy", "m1"]
    sim.do("net", "update_ipam_pool", pool="p", auto_import=True)
    assert [(a.resource, str(a.cidr)) for a in sim.last_imports] == [
        ("m1", "10.0.0.16/28"), ("legacy", "10.0.128.0/24")]
    sim.do("net", "create_vpc", vpc="m50", pool="p", mask=28)
    assert sim.last_imports == []
    assert "r1" not in sim.model._unmanaged      # both adopted: dropped at the next look
    assert list(sim.model._unmanaged["r2"]) == ["far"]          # q does not import


def test_the_organisation_answers_from_what_it_keeps_until_it_changes():
    from simkit.model.org import Organisation, Principal

    org = Organisation("mgmt")
    org.add_folder("Business")
    org.add_account("shop", "Business")
    business, everyone = Principal("folder", "Business"), Principal("rd", "")
    assert (org.members(), org.covered(business)) == (["mgmt", "shop"], {"shop"})
    org.members().append("not a member")          # a copy: what it keeps is not changed
    org.add_folder("Business/Retail")
    org.add_account("till", "Business/Retail")
    assert (org.members(), org.covered(business)) == (["mgmt", "shop", "till"], {"shop", "till"})
    org.move_account("mgmt", "till", "Root")
    assert org.covered(business) == {"shop"} and org.covered(everyone) == {"mgmt", "shop", "till"}
    org.remove_account("mgmt", "shop")
    assert (org.members(), org.covered(business), org.externals()) == (
        ["mgmt", "till"], frozenset(), ["shop"])
    back = Organisation.from_state(org.to_state())
    assert (back.members(), back.covered(everyone)) == (["mgmt", "till"], {"mgmt", "till"})
    other = org.copy()
    other.add_account("new", "Business")
    assert (org.members(), org.covered(business)) == (["mgmt", "till"], frozenset())
    assert (other.members(), other.covered(business)) == (["mgmt", "new", "till"], {"new"})


@pytest.mark.parametrize("path", [*SCENARIOS,
                                  SCENARIOS[0].parent / "regression_allocations.yaml"],
                         ids=lambda p: p.stem)
def test_the_records_built_without_make_have_every_field(path):
    # allocations, results and events are built with new_record, which does not check the
    # length as _make does: every one a run keeps must have all its fields
    from simkit.engine.events import Event
    from simkit.model.objects import Allocation
    from simkit.scenario.operations import Result

    done = run(path)
    assert done.log and all(len(e) == len(Event._fields) for e in done.log)
    model = done.simulation.model
    assert all(len(a) == len(Allocation._fields) for a in model.allocations.values())
    sim = Simulation.from_scenario(load(path))
    pool = next(iter(sim.model.pools.values()))
    result = sim.do(pool.owner, "create_ipam_pool_allocation", pool=pool.id, mask=pool.max_mask)
    assert len(result) == len(Result._fields)
