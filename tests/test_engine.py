"""The simulation engine through its Python API: operations, clock, demand, forks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from simkit.engine import DEFAULT_START, Simulation
from simkit.scenario.specs import DemandSpec
from simkit.values.errors import DomainError, UsageError

DAY = timedelta(days=1)


def company(seed: int = 0) -> Simulation:
    sim = Simulation(seed=seed, management_account="mgmt")
    sim.org.add_folder("Business")
    sim.org.add_account("net")
    sim.org.add_account("shop", "Business")
    sim.org.add_external("partner")
    sim.do("net", "create_ipam", ipam="ipam-1", region="r1", operating_regions=["r2"])
    sim.do("net", "create_ipam_pool", ipam="ipam-1", pool="corp", cidrs=["10.0.0.0/8"])
    sim.do("net", "create_ipam_pool", ipam="ipam-1", pool="p", source="corp", region="r1",
           masks=[20], rules={"min_mask": 20, "max_mask": 28, "default_mask": 24})
    return sim


def test_operations_follow_the_cloud_rules_and_refusals_change_nothing():
    sim = company()
    assert str(sim.do("net", "create_vpc", vpc="v1", pool="p").cidr) == "10.0.0.0/24"
    before = sim.fingerprint()
    for actor, op, args, code in [
        ("shop", "create_vpc", {"vpc": "v2", "pool": "p"}, "ResourceNotFound.IpamPool"),
        ("net", "create_vpc", {"vpc": "v2", "pool": "p", "mask": 16},
         "OperationDenied.MaskOfCidrIsNotAllowed"),
        ("net", "create_vpc", {"vpc": "v2", "pool": "p", "cidr": "10.0.0.1/24"},
         "InvalidParameter"),
        ("net", "create_vpc", {"vpc": "v2", "pool": "p", "region": "r2"},
         "OperationDenied.RequestRegionInvalid"),
        ("net", "create_vpc", {"vpc": "v2", "pool": "p", "mask": 20},
         "OperationDenied.AvailableCidrInsufficient"),
    ]:
        with pytest.raises(DomainError) as err:
            sim.do(actor, op, **args)
        assert err.value.code == code
        assert sim.fingerprint() == before
    with pytest.raises(UsageError, match="unknown operation"):
        sim.do("net", "launch_rocket")


def test_sharing_grants_a_member_the_pool_until_the_share_is_deleted():
    sim = company()
    sim.do("net", "create_resource_share", share="rs", resources=["p"],
           principals=["folder:Business"])
    assert str(sim.do("shop", "create_vpc", vpc="vs", pool="p", mask=22).cidr) == "10.0.0.0/22"
    assert sim.do("shop", "list_ipam_pools").items == ("p",)
    sim.do("net", "delete_resource_share", share="rs")
    assert sim.do("shop", "list_ipam_pools").items == ()
    # the allocation stays and counts; deleting the VPC releases it
    assert sim.model.utilisation("p")["allocated_ips"] == 1024
    sim.do("shop", "delete_vpc", vpc="vs")
    assert sim.model.utilisation("p")["allocated_ips"] == 0


def test_demand_runs_between_steps_in_time_order_and_steps_go_first():
    sim = company()
    sim.add_demand(DemandSpec.of("net", "p", {24: 1.0}, count=3, every=DAY))
    # nothing runs until the clock moves past the request time
    assert sim.log == []
    sim.advance(DAY)
    assert [(e.source, e.cidr, e.time - DEFAULT_START) for e in sim.log] == [
        ("demand", "10.0.0.0/24", timedelta(0))]
    sim.do("net", "create_vpc", vpc="step-vpc", pool="p")   # at day 1, before the request
    sim.finish()
    assert [(e.cidr, e.time - DEFAULT_START) for e in sim.log] == [
        ("10.0.0.0/24", timedelta(0)), ("10.0.2.0/24", DAY), ("10.0.3.0/24", 2 * DAY)]


def test_demand_lifetime_deletes_the_vpc():
    sim = company()
    sim.add_demand(DemandSpec.of("net", "p", 24, count=2, every=DAY, lifetime=DAY / 2))
    sim.finish()
    assert [(e.op, e.outcome, e.cidr) for e in sim.log] == [
        ("create_vpc", "ok", "10.0.0.0/24"), ("delete_vpc", "ok", None),
        ("create_vpc", "ok", "10.0.0.0/24"), ("delete_vpc", "ok", None)]


def test_demand_exhausts_a_20_after_16_24s():
    # one /24 a day into an empty /20: the 17th request is the first refusal, on day 16
    sim = company()
    sim.add_demand(DemandSpec.of("net", "p", {24: 1.0}, count=20, every=DAY))
    sim.finish()
    refused = [e for e in sim.log if e.outcome == "error"]
    assert {(e.expected, e.met) for e in sim.log} == {("", None)}   # demand is never judged
    assert refused[0].error_code == "OperationDenied.AvailableCidrInsufficient"
    assert refused[0].time - DEFAULT_START == 16 * DAY
    assert len(refused) == 4


def test_dual_stack_demand_runs_out_where_the_ipv6_half_runs_out(tmp_path):
    sim = company()
    sim.do("net", "create_ipam_pool", ipam="ipam-1", pool="v6", scope="public", region="r1",
           masks=[48])
    sim.do("net", "create_ipam_pool", ipam="ipam-1", pool="v6c", source="v6", masks=[53])
    spec = DemandSpec.of("net", "p", 24, count=10, every=DAY, ipv6_pool="v6c", ipv6_mask=56)
    sim.add_demand(spec)
    sim.advance(3 * DAY)
    sim.save(tmp_path / "saved.json")       # the demand and its queue are saved with the rest
    again = Simulation.restore(tmp_path / "saved.json")
    assert again.demand == [spec]
    for run in (sim, again):
        run.finish()
    assert again.log == sim.log
    made = [(e.pool, e.ipv6_pool, e.outcome) for e in sim.log]
    # a /53 holds eight /56s and the /20 sixteen /24s: the ninth request is refused by v6c
    assert made == [("p", "v6c", "ok")] * 8 + [("v6c", "v6c", "error")] * 2
    blocks = [str(v.ipv6_cidr) for v in sim.model.vpcs.values()]
    assert len(blocks) == 8 and all(b.endswith("/56") for b in blocks)
    assert sim.model.utilisation("p")["allocated_ips"] == 8 * 256   # nothing kept of the refused
    with pytest.raises(UsageError, match="ipv6_mask only with ipv6_pool"):
        DemandSpec.of("net", "p", 24, count=1, every=DAY, ipv6_mask=56)


def test_poisson_demand_is_seeded():
    def times(seed):
        sim = company(seed)
        sim.add_demand(DemandSpec.of("net", "p", {24: 0.5, 26: 0.5}, count=10, rate=1 / 3600))
        sim.finish()
        return [(e.time, e.cidr) for e in sim.log]

    assert times(3) == times(3)
    assert times(3) != times(4)


def test_clock_never_moves_back():
    sim = company()
    sim.advance(DAY)
    with pytest.raises(UsageError, match="cannot move back"):
        sim.at(DEFAULT_START)
    with pytest.raises(UsageError, match="cannot move back"):
        sim.advance(-DAY)


def test_invitation_expires_after_seven_simulated_days():
    sim = company()
    sim.do("net", "create_resource_share", share="rs", resources=["p"],
           principals=["partner"], allow_external=True)
    sim.advance(7 * DAY)
    with pytest.raises(DomainError) as err:
        sim.do("partner", "accept_resource_share_invitation", share="rs")
    assert err.value.code == "ResourceNotFound.Invitation"


def test_a_fork_runs_on_independently():
    sim = company()
    sim.add_demand(DemandSpec.of("net", "p", {24: 1.0}, count=5, every=DAY))
    sim.advance(2 * DAY)
    fork = sim.copy()
    assert fork.fingerprint() == sim.fingerprint()
    # p is 10.0.0.0/20 and days 0 and 1 took .0/24 and .1/24: the fork's /22 is .4/22
    assert str(fork.do("net", "create_vpc", vpc="only-in-fork", pool="p", mask=22).cidr) \
        == "10.0.4.0/22"
    assert "only-in-fork" not in sim.model.vpcs
    fork.finish()
    sim.finish()
    assert [e.cidr for e in sim.log] == [f"10.0.{i}.0/24" for i in range(5)]
    # the fork skips its /22: the fifth /24 comes after it
    assert [e.cidr for e in fork.log] == [f"10.0.{i}.0/24" for i in (0, 1, 2, 3, 8)]
    assert fork.now == sim.now == datetime(2026, 1, 5, tzinfo=UTC)


def test_pool_views_show_owned_and_shared_pools():
    from simkit.analysis.reports import pool_views

    sim = company()
    sim.do("net", "create_resource_share", share="rs", resources=["p"],
           principals=["folder:Business", "partner"], allow_external=True)
    views = pool_views(sim)
    assert views.values.tolist() == [
        ["net", "corp", "net", "owned", ""], ["net", "p", "net", "owned", ""],
        ["shop", "p", "net", "shared", "rs"]]
    sim.do("partner", "accept_resource_share_invitation", share="rs")
    assert pool_views(sim, ["partner"]).values.tolist() == [
        ["partner", "p", "net", "shared", "rs"]]
    sim.org.move_account("mgmt", "shop", "Root")
    assert pool_views(sim, ["shop"]).empty
    assert list(pool_views(sim, ["shop"]).columns) == ["account", "pool", "owner", "relation",
                                                       "shares"]


def test_checks_of_vpcs_shares_invitations_and_allocations_say_what_they_found():
    import simkit
    from simkit.scenario import loads

    text = (Path(__file__).parent.parent / "scenarios" / "regression_checks.yaml").read_text()
    wrong = text.replace("status: Expired}", "status: Accepted}").replace(
        "cidrs: [10.0.2.0/26, 10.0.1.0/24]", "cidrs: [10.0.1.0/24]").replace(
        "{allocation: idc-link, type: Custom", "{allocation: idc-link, type: VPC").replace(
        "principals: [folder:Business, account:partner]", "principals: [partner]")
    run = simkit.run(loads(wrong, "wrong.yaml"))
    failed = {e.step: (e.expected, e.message) for e in run.failures}
    assert failed == {
        1: ("type=VPC, created_by=netadmin", "type=Custom, created_by=netadmin"),
        5: ("principals=['account:partner'], resources=['hz'], status=Active",
            "principals=['account:partner', 'folder:Business'], resources=['hz'], "
            "status=Active"),
        10: ("cidrs=['10.0.1.0/24']", "cidrs=['10.0.1.0/24', '10.0.2.0/26']"),
        13: ("invitation={'share': 'rs', 'status': 'Accepted'}",
             "invitation={'share': 'rs', 'status': 'Expired'}"),
    }
    gone = simkit.run(loads(text.replace("{vpc: shop-vpc,", "{vpc: no-such-vpc,"), "g.yaml"))
    (event,) = gone.failures
    assert (event.error_code, event.message) == ("ResourceNotFound.Vpc",
                                                 "vpc no-such-vpc does not exist")
