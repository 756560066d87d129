"""IPv6 and dual-stack planning against the rules of docs/rules.md section 9.

Every refusal goes through :func:`refused`, which checks the code and that
the request changed nothing (the model's fingerprint is unchanged).
"""

from __future__ import annotations

import pytest

from simkit.model.ipam import IpamModel
from simkit.values.errors import DomainError, ScenarioError
from simkit.values.quotas import Quotas

NET, HZ, SH = "netadmin", "cn-hangzhou", "cn-shanghai"


def refused(code: str, fn, *args, **kwargs) -> DomainError:
    model = fn.__self__
    before = model.fingerprint()
    with pytest.raises(DomainError) as info:
        fn(*args, **kwargs)
    assert info.value.code == code, str(info.value)
    assert model.fingerprint() == before, f"{code} left the model changed"
    return info.value


@pytest.fixture
def model() -> IpamModel:
    m = IpamModel()
    m.create_ipam(NET, "ipam", HZ, [SH])
    m.create_pool(NET, "ipam", "corp", cidrs=["10.0.0.0/8"])
    m.create_pool(NET, "ipam", "hz", source="corp", region=HZ, masks=[16])
    m.create_pool(NET, "ipam", "hz6", scope="public", region=HZ, masks=[48])
    return m


def test_public_top_pools_are_carved_from_a_range_per_region_and_isp(model):
    model.create_pool(NET, "ipam", "sh6", scope="public", region=SH, masks=[48])
    model.create_pool(NET, "ipam", "hz6-cm", scope="public", region=HZ, isp="ChinaMobile",
                      masks=[44])
    got = {p: [str(c) for c in model.list_pool_cidrs(NET, p)] for p in ("hz6", "sh6", "hz6-cm")}
    assert got == {"hz6": ["2001:db8::/48"], "sh6": ["2001:db8:100::/48"],
                   "hz6-cm": ["2001:db8:200::/44"]}
    pool = model.pools["hz6-cm"]
    assert (pool.version, pool.isp, pool.scope) == (6, "ChinaMobile", "ipam-public")


def test_a_second_ipam_takes_the_next_block_of_the_same_range(model):
    model.create_ipam("other", "ipam-2", HZ)
    model.create_pool("other", "ipam-2", "o6", ip_version="IPv6", region=HZ, masks=[48])
    assert [str(c) for c in model.list_pool_cidrs("other", "o6")] == ["2001:db8:1::/48"]


def test_declared_ranges_replace_the_default():
    m = IpamModel()
    m.create_ipam(NET, "ipam", HZ, ipv6_ranges=[(HZ, "BGP", "2001:db8:ff00::/40")])
    m.create_pool(NET, "ipam", "v6", scope="public", region=HZ, masks=[48])
    assert [str(c) for c in m.list_pool_cidrs(NET, "v6")] == ["2001:db8:ff00::/48"]
    refused("OperationDenied.AvailableCidrInsufficient", m.create_pool, NET, "ipam", "cm",
            scope="public", region=HZ, isp="ChinaMobile", masks=[48])


def test_the_quotas_of_public_top_pools(model):
    refused("QuotaExceeded.PublicIpv6TopPoolsPerRegionIsp", model.create_pool, NET, "ipam",
            "hz6-b", scope="public", region=HZ, masks=[48])
    refused("QuotaExceeded.CidrsPerPublicIpv6TopPool", model.add_pool_cidr, NET, "hz6",
            mask=48)
    refused("OperationDenied.PublicTopLevelPoolByCidr", model.add_pool_cidr, NET, "hz6",
            cidr="2001:db8:1::/48")
    refused("MissingParam.PoolRegionId", model.create_pool, NET, "ipam", "v6", scope="public",
            isp="ChinaTelecom", masks=[48])
    raised = IpamModel(Quotas({"public_ipv6_top_pools_per_region_isp": 2}))
    raised.create_ipam(NET, "ipam", HZ)
    for name in ("a", "b"):
        raised.create_pool(NET, "ipam", name, scope="public", region=HZ, masks=[48])
    assert [str(raised.list_pool_cidrs(NET, n)[0]) for n in "ab"] == ["2001:db8::/48",
                                                                      "2001:db8:1::/48"]


def test_scopes_hold_one_ip_version(model):
    refused("OperationDenied.IpVersionNotInScope", model.create_pool, NET, "ipam", "x",
            scope="public", ip_version="IPv4")
    refused("OperationDenied.IpVersionNotInScope", model.create_pool, NET, "ipam", "x",
            source="hz", ip_version="IPv6")
    refused("InvalidParameter", model.create_pool, NET, "ipam", "x", isp="BGP")
    refused("InvalidParameter", model.create_pool, NET, "ipam", "x", source="hz6",
            isp="ChinaUnicom")


def test_child_ipv6_pools_and_rules_to_128(model):
    child = model.create_pool(NET, "ipam", "team6", source="hz6", masks=[52],
                              min_mask=56, max_mask=64, default_mask=64)
    assert (child.region, child.isp, str(model.list_pool_cidrs(NET, "team6")[0])) == \
        (HZ, "BGP", "2001:db8::/52")
    refused("IllegalParam.CidrMask", model.create_pool, NET, "ipam", "bad", source="hz6",
            max_mask=129)
    refused("OperationDenied.MaskOfCidrIsNotAllowed", model.create_vpc, NET, "v", HZ,
            ipv6_pool="team6", ipv6_mask=48)


def test_a_dual_stack_vpc_and_its_release(model):
    vpc = model.create_vpc(NET, "ds", HZ, pool="hz", mask=24, ipv6_pool="hz6", ipv6_mask=56)
    assert (str(vpc.cidr), str(vpc.ipv6_cidr), vpc.ipv6_pool) == \
        ("10.0.0.0/24", "2001:db8::/56", "hz6")
    assert model.utilisation("hz6")["allocated_ips"] == 2**72
    a = model.associate_vpc_cidr_block(NET, "ds", HZ, pool="hz6", mask=56, ip_version="IPv6")
    assert str(a.cidr) == "2001:db8:0:100::/56"
    model.delete_vpc(NET, "ds")
    assert (model.utilisation("hz6")["allocated_ips"], model.utilisation("hz")["allocated_ips"]) \
        == (0, 0)


def test_a_failed_half_changes_nothing(model):
    model.create_pool(NET, "ipam", "tiny6", source="hz6", masks=[56])
    refused("OperationDenied.AvailableCidrInsufficient", model.create_vpc, NET, "ds", HZ,
            pool="hz", mask=24, ipv6_pool="tiny6", ipv6_mask=48)
    refused("Mismatch.IpVersionAndIpamPoolIpVersion", model.create_vpc, NET, "ds", HZ,
            pool="hz6", mask=56)
    refused("Mismatch.IpVersionAndIpamPoolIpVersion", model.create_vpc, NET, "ds", HZ,
            ipv6_pool="hz", ipv6_mask=24)
    refused("MissingParam.Ipv6IpamPoolId", model.create_vpc, NET, "ds", HZ, ipv6_mask=56)
    model.create_vpc(NET, "v4", HZ, pool="hz", mask=24)
    refused("Mismatch.IpVersionAndIpamPoolIpVersion", model.associate_vpc_cidr_block, NET,
            "v4", HZ, pool="hz", mask=24, ip_version="IPv6")
    refused("Mismatch.IpVersionAndIpamPoolIpVersion", model.associate_vpc_cidr_block, NET,
            "v4", HZ, pool="hz6", mask=56)


def test_at_most_five_secondary_ipv6_cidrs(model):
    model.create_vpc(NET, "v", HZ, ipv6_pool="hz6", ipv6_mask=56)
    for _ in range(5):
        model.associate_vpc_cidr_block(NET, "v", HZ, pool="hz6", mask=56, ip_version="IPv6")
    refused("QuotaExceeded.SecondaryIpv6CidrsPerVpc", model.associate_vpc_cidr_block, NET, "v",
            HZ, pool="hz6", mask=56, ip_version="IPv6")
    model.associate_vpc_cidr_block(NET, "v", HZ, pool="hz", mask=24)   # IPv4 counts apart


def test_a_released_ipv6_block_stays_on_the_vpc_unmanaged(model):
    vpc = model.create_vpc(NET, "ds", HZ, pool="hz", mask=24, ipv6_pool="hz6", ipv6_mask=56)
    model.delete_allocation(NET, "2001:db8::/56")
    assert (vpc.pool, vpc.ipv6_pool, [str(c) for c in model.unmanaged_cidrs(vpc)]) == \
        ("hz", None, ["2001:db8::/56"])


def test_state_round_trips_with_ipv6(model):
    model.create_vpc(NET, "ds", HZ, pool="hz", mask=24, ipv6_pool="hz6", ipv6_mask=56)
    back = IpamModel.from_state(model.to_state())
    assert back.fingerprint() == model.fingerprint()
    back.create_pool(NET, "ipam", "sh6", scope="public", region=SH, masks=[48])
    assert str(back.list_pool_cidrs(NET, "sh6")[0]) == "2001:db8:100::/48"


def test_ipv6_resource_cidrs_and_conflicts():
    from simkit.analysis import reports
    from simkit.engine import Simulation

    sim = Simulation(management_account="net")
    sim.do("net", "create_ipam", ipam="i", region=HZ)
    sim.do("net", "create_ipam_pool", ipam="i", pool="v4", region=HZ, cidrs=["10.0.0.0/16"])
    sim.do("net", "create_ipam_pool", ipam="i", pool="v6", region=HZ, scope="public",
           masks=[48])
    sim.do("net", "create_vpc", vpc="a", pool="v4", mask=24, ipv6_pool="v6", ipv6_mask=56)
    sim.do("net", "delete_ipam_pool_allocation", allocation="2001:db8::/56")   # a keeps it
    sim.do("net", "create_vpc", vpc="b", ipv6_pool="v6", ipv6_mask=56)         # the same /56
    rows = reports.resource_cidrs(sim)
    got = sorted((r["resource"], r["scope"], r["cidr"], r["management_status"],
                  r["overlap_status"]) for r in rows)
    assert got == [("a", "i-private", "10.0.0.0/24", "Managed", "Nonoverlapping"),
                   ("a", "i-public", "2001:db8::/56", "Unmanaged", "Overlapping"),
                   ("b", "i-public", "2001:db8::/56", "Managed", "Overlapping")]
    frame = reports.conflicts(sim)
    overlap = frame[frame["kind"] == "overlap"]
    assert overlap[["scope", "a", "b", "overlap"]].values.tolist() == [
        ["i-public", "a", "b", "2001:db8::/56"]]


@pytest.mark.parametrize(("pool", "message"), [
    ("{id: p, masks: [33]}", "masks item 1: the mask 33 is outside 0..32 for IPv4"),
    ("{id: p, scope: public, region: r1, cidrs: [10.0.0.0/8]}",
     "Mismatch.IpVersionAndIpamPoolIpVersion"),
    ("{id: p, scope: public, masks: [48]}", "MissingParam.PoolRegionId"),
    ("{id: p, ip_version: IPv6, region: r1, isp: AnyISP, masks: [48]}", "isp must be one of"),
])
def test_a_pool_that_breaks_an_ipv6_rule_makes_the_file_invalid(pool, message):
    from simkit.engine import Simulation
    from simkit.scenario import loads

    text = ("version: 1\nname: n\norg: {management_account: m}\n"
            f"ipams:\n  - {{id: i, owner: m, region: r1, pools: [{pool}]}}\n")
    with pytest.raises(ScenarioError, match=message):
        Simulation.from_scenario(loads(text))


def test_a_declared_range_must_be_ipv6_and_of_an_operating_region():
    from simkit.engine import Simulation
    from simkit.scenario import loads

    for ranges, message in (("[{region: r1, cidr: 10.0.0.0/8}]", "is not IPv6"),
                            ("[{region: r9, cidr: '2001:db8::/40'}]", "not an operating")):
        text = ("version: 1\nname: n\norg: {management_account: m}\n"
                f"ipams:\n  - {{id: i, owner: m, region: r1, ipv6_ranges: {ranges}}}\n")
        with pytest.raises(ScenarioError, match=message):
            Simulation.from_scenario(loads(text))
