"""The IPAM model against the rules of docs/rules.md sections 2, 5 and 6.

Every failing call goes through :func:`expect_error`, which also checks that
the call changed nothing (the model's fingerprint is the same before and
after) and records the code, so the last test can check that every IPAM
error code and quota was reached.
"""

from __future__ import annotations

import random

import pytest

from simkit.model.ipam import IpamModel, OwnerAccess
from simkit.model.permissions import ACTIONS
from simkit.values.addresses import Cidr
from simkit.values.allocator import AddressSpace
from simkit.values.errors import ERROR_CODES, DomainError, UsageError
from simkit.values.quotas import QUOTAS, Quotas

OWNER, DEV, VIEWER, STRANGER = "netadmin", "dev", "viewer", "stranger"
HZ, SH, BJ = "cn-hangzhou", "cn-shanghai", "cn-beijing"

#: Every code the suite observed on a failing call.
OBSERVED: set[str] = set()


def failure(fn, *args, **kwargs) -> DomainError:
    """Call ``fn`` (a bound method of a model), expect a DomainError, check nothing changed."""
    model = fn.__self__
    before = model.fingerprint()
    with pytest.raises(DomainError) as info:
        fn(*args, **kwargs)
    assert model.fingerprint() == before, f"{info.value.code} left the model changed"
    OBSERVED.add(info.value.code)
    return info.value


def expect_error(code: str, fn, *args, **kwargs) -> DomainError:
    """As :func:`failure`, and the error must be ``code``."""
    err = failure(fn, *args, **kwargs)
    assert err.code == code, str(err)
    return err


class Policy:
    """A test access policy: ``grants`` maps an account to the actions it may do on any pool.

    The pool's owner may do everything; an account without grants sees no
    pool; a grantee releases only the allocations it created.  Every
    question is recorded in ``calls``.
    """

    def __init__(self, grants: dict[str, set[str]] | None = None,
                 shares: dict[str, list[str]] | None = None) -> None:
        self.grants = grants or {}
        self.shares = shares or {}
        self.calls: list[tuple] = []

    def check(self, actor, pool, action, *, allocation=None):
        self.calls.append((actor, pool.id, action, allocation.id if allocation else None))
        assert action in ACTIONS
        if actor == pool.owner:
            return
        if actor not in self.grants:
            raise DomainError("ResourceNotFound.IpamPool", pool=pool.id, actor=actor)
        if action not in self.grants[actor]:
            raise DomainError("Forbidden", actor=actor, action=action, reason="not granted")
        if allocation is not None and allocation.created_by != actor:
            raise DomainError("Forbidden", actor=actor, action=action, reason="not its own")

    def can_see(self, actor, pool):
        return actor == pool.owner or actor in self.grants

    def shares_of(self, pool):
        return list(self.shares.get(pool.id, []))


PRINCIPAL = {"create_vpc", "associate_vpc_cidr_block", "list_ipam_pools",
             "list_ipam_pool_cidrs", "create_ipam_pool_allocation",
             "delete_ipam_pool_allocation", "list_ipam_pool_allocations",
             "get_ipam_pool_next_available_cidr", "update_ipam_pool"}


def make_model(quotas: dict | None = None, access=None) -> IpamModel:
    """A model with the IPAM ``ipam`` of OWNER (home HZ, operating HZ and SH, scope ``lab``)."""
    now = [0]
    model = IpamModel(Quotas(quotas or {}), rng=random.Random(7), clock=lambda: now[0],
                      access=access)
    model.create_ipam(OWNER, "ipam", HZ, [SH], scopes=["lab"])
    return model


def with_pools(model: IpamModel) -> IpamModel:
    """``corp`` (10.0.0.0/8, top-level) and ``hz`` (its child in HZ, 10.0.0.0/12, /16-/28)."""
    model.create_pool(OWNER, "ipam", "corp", cidrs=["10.0.0.0/8"])
    model.create_pool(OWNER, "ipam", "hz", source="corp", region=HZ, cidrs=["10.0.0.0/12"],
                      min_mask=16, max_mask=28, default_mask=24)
    return model


@pytest.fixture
def model() -> IpamModel:
    return with_pools(make_model())


def cidrs(items) -> list[str]:
    return [str(getattr(x, "cidr", x)) for x in items]


# -- 2. IPAMs and scopes -------------------------------------------------------------------
def test_an_ipam_has_two_default_scopes_and_operates_in_its_home_region():
    model = IpamModel()
    ipam = model.create_ipam(OWNER, "ipam", HZ, [SH, HZ])
    assert (ipam.owner, ipam.region, ipam.operating_regions) == (OWNER, HZ, (HZ, SH))
    assert [(s.id, s.kind, s.version, s.default) for s in map(model.scopes.get, ipam.scopes)] \
        == [("ipam-private", "private", 4, True), ("ipam-public", "public", 6, True)]


def test_one_ipam_per_account_per_region_unless_raised():
    model = make_model()
    err = expect_error("QuotaExceeded.IpamsPerRegion", model.create_ipam, OWNER, "ipam-2", HZ)
    assert "ipams_per_region" in err.message
    model.create_ipam(OWNER, "ipam-sh", SH)            # another region
    model.create_ipam(DEV, "ipam-dev", HZ)             # another account
    raised = make_model({"ipams_per_region": 2})
    raised.create_ipam(OWNER, "ipam-2", HZ)


def test_ids_are_unique():
    model = with_pools(make_model())
    expect_error("OperationDenied.ResourceExist", model.create_ipam, DEV, "ipam", BJ)
    expect_error("OperationDenied.ResourceExist", model.create_scope, OWNER, "ipam", "lab")
    expect_error("OperationDenied.ResourceExist", model.create_pool, OWNER, "ipam", "corp")


def test_custom_scopes_are_private_ipv4_and_at_most_five_with_the_defaults():
    model = make_model()                                # 2 defaults + lab
    model.create_scope(OWNER, "ipam", "lab-2")
    scope = model.create_scope(OWNER, "ipam", "lab-3")
    assert (scope.kind, scope.version, scope.default) == ("private", 4, False)
    expect_error("QuotaExceeded.ScopesPerIpam", model.create_scope, OWNER, "ipam", "lab-4")
    expect_error("QuotaExceeded.ScopesPerIpam", IpamModel().create_ipam, OWNER, "big", HZ,
                 scopes=["a", "b", "c", "d"])
    raised = make_model({"scopes_per_ipam": 6})
    raised.create_scope(OWNER, "ipam", "lab-2")


def test_default_scopes_cannot_be_deleted_and_custom_ones_only_when_empty():
    model = make_model()
    for scope in ("ipam-private", "ipam-public"):
        expect_error("OperationDenied.DeleteDefaultScope", model.delete_scope, OWNER, scope)
    model.create_pool(OWNER, "ipam", "lab-top", scope="lab")
    err = expect_error("DependencyViolation.IpamPool", model.delete_scope, OWNER, "lab")
    assert err.details["pools"] == ["lab-top"]
    model.delete_pool(OWNER, "lab-top")
    model.delete_scope(OWNER, "lab")
    assert model.ipams["ipam"].scopes == ["ipam-private", "ipam-public"]


def test_ipams_and_scopes_are_visible_to_their_owner_only():
    model = make_model()
    expect_error("ResourceNotFound.Ipam", model.create_scope, DEV, "ipam", "mine")
    expect_error("ResourceNotFound.Ipam", model.create_scope, OWNER, "nope", "mine")
    expect_error("ResourceNotFound.Ipam", model.create_pool, DEV, "ipam", "mine")
    expect_error("ResourceNotFound.IpamScope", model.delete_scope, DEV, "lab")
    expect_error("ResourceNotFound.IpamScope", model.delete_scope, OWNER, "nope")
    expect_error("ResourceNotFound.IpamScope", model.create_pool, OWNER, "ipam", "p",
                 scope="nope")


def test_scopes_are_separate_address_spaces(model):
    model.create_pool(OWNER, "ipam", "lab-top", scope="lab", cidrs=["10.0.0.0/16"])
    assert model.pools["lab-top"].scope == "lab"


# -- 2. pools -------------------------------------------------------------------------------
def test_top_level_and_child_pools(model):
    corp, hz = model.pools["corp"], model.pools["hz"]
    assert (corp.source, corp.depth, corp.scope, corp.owner) == (None, 1, "ipam-private", OWNER)
    assert (hz.source, hz.depth, hz.scope, hz.region) == ("corp", 2, "ipam-private", HZ)
    assert corp.children == ["hz"]
    assert [p.id for p in model.list_pools(OWNER)] == ["corp", "hz"]


def test_a_child_lives_in_its_sources_ipam_and_scope(model):
    model.create_ipam(OWNER, "ipam-sh", SH)
    expect_error("ResourceNotFound.IpamPool", model.create_pool, OWNER, "ipam-sh", "x",
                 source="corp")
    expect_error("OperationDenied.ScopeMismatch", model.create_pool, OWNER, "ipam", "x",
                 source="corp", scope="lab")
    expect_error("ResourceNotFound.IpamPool", model.create_pool, OWNER, "ipam", "x",
                 source="nope")
    child = model.create_pool(OWNER, "ipam", "x", source="corp", scope="ipam-private")
    assert child.scope == "ipam-private"


@pytest.mark.parametrize(("quotas", "depth"), [({}, 10), ({"pool_depth": 3}, 3),
                                               ({"pool_depth": 12}, 12)])
def test_pool_depth_quota(quotas, depth):
    model = make_model(quotas)
    model.create_pool(OWNER, "ipam", "p1")
    for level in range(2, depth + 1):
        model.create_pool(OWNER, "ipam", f"p{level}", source=f"p{level - 1}")
    assert model.pools[f"p{depth}"].depth == depth
    expect_error("QuotaExceeded.PoolDepth", model.create_pool, OWNER, "ipam", "deeper",
                 source=f"p{depth}")


@pytest.mark.parametrize(("quotas", "limit"), [({}, 50), ({"child_pools_per_pool": 2}, 2)])
def test_child_pools_per_pool_quota(quotas, limit):
    model = make_model(quotas)
    model.create_pool(OWNER, "ipam", "corp")
    for i in range(limit):
        model.create_pool(OWNER, "ipam", f"c{i}", source="corp")
    expect_error("QuotaExceeded.ChildPoolsPerPool", model.create_pool, OWNER, "ipam", "one-more",
                 source="corp")


def test_pools_per_scope_quota():
    model = make_model({"pools_per_scope": 2})
    model.create_pool(OWNER, "ipam", "a")
    model.create_pool(OWNER, "ipam", "b", source="a")
    expect_error("QuotaExceeded.PoolsPerScope", model.create_pool, OWNER, "ipam", "c")
    model.create_pool(OWNER, "ipam", "c", scope="lab")          # another scope
    default = make_model()
    for i in range(500):
        default.create_pool(OWNER, "ipam", f"p{i}")
    expect_error("QuotaExceeded.PoolsPerScope", default.create_pool, OWNER, "ipam", "p500")


def test_a_pool_region_must_be_an_operating_region(model):
    expect_error("OperationDenied.RegionNotOperating", model.create_pool, OWNER, "ipam", "bj",
                 region=BJ)
    assert model.create_pool(OWNER, "ipam", "sh", source="corp", region=SH).region == SH


def test_a_child_inherits_its_sources_region(model):
    assert model.create_pool(OWNER, "ipam", "hz-a", source="hz").region == HZ
    assert model.create_pool(OWNER, "ipam", "hz-b", source="hz", region=HZ).region == HZ
    expect_error("OperationDenied.RegionMismatch", model.create_pool, OWNER, "ipam", "hz-c",
                 source="hz", region=SH)


def test_auto_import_needs_a_region(model):
    expect_error("OperationDenied.AutoImportNeedsRegion", model.create_pool, OWNER, "ipam",
                 "x", auto_import=True)
    expect_error("OperationDenied.AutoImportNeedsRegion", model.update_pool, OWNER, "corp",
                 auto_import=True)
    assert model.create_pool(OWNER, "ipam", "x", source="hz", auto_import=True).auto_import
    assert model.update_pool(OWNER, "hz", auto_import=True).auto_import


@pytest.mark.parametrize("rules", [{"min_mask": 33}, {"max_mask": -1}, {"default_mask": 40},
                                   {"min_mask": "x"}, {"min_mask": 24, "max_mask": 16}])
def test_rules_outside_the_mask_range_are_illegal(model, rules):
    expect_error("IllegalParam.CidrMask", model.create_pool, OWNER, "ipam", "x", **rules)
    expect_error("IllegalParam.CidrMask", model.update_pool, OWNER, "hz", **rules)


def test_ipv6_rules_go_to_128(model):
    pool = model.create_pool(OWNER, "ipam", "v6", scope="ipam-public", region=HZ,
                             max_mask=128, cidrs=["2001:db8::/32"])
    assert (pool.version, pool.max_mask) == (6, 128)
    expect_error("IllegalParam.CidrMask", model.create_pool, OWNER, "ipam", "v6b",
                 scope="ipam-public", max_mask=129)


@pytest.mark.parametrize("rules", [{"min_mask": 16, "max_mask": 24, "default_mask": 8},
                                   {"max_mask": 20, "default_mask": 24}])
def test_the_default_mask_must_lie_within_the_rules(model, rules):
    expect_error("OperationDenied.MaskOfCidrIsNotAllowed", model.create_pool, OWNER, "ipam",
                 "x", **rules)
    expect_error("OperationDenied.MaskOfCidrIsNotAllowed", model.update_pool, OWNER, "hz",
                 **rules)


def test_changing_rules_keeps_existing_allocations(model):
    vpc = model.create_vpc(OWNER, "vpc-1", HZ, pool="hz", mask=20)
    pool = model.update_pool(OWNER, "hz", min_mask=24, default_mask=None, name="Hangzhou")
    assert (pool.min_mask, pool.max_mask, pool.default_mask, pool.name) == \
        (24, 28, None, "Hangzhou")
    assert cidrs(model.list_pool_allocations(OWNER, "hz")) == [str(vpc.cidr)]
    expect_error("MissingParam.CidrOrCidrMask", model.create_vpc, OWNER, "vpc-2", HZ, pool="hz")
    pool = model.update_pool(OWNER, "hz", min_mask=None, max_mask=None)
    assert (pool.min_mask, pool.max_mask) == (0, 32)


# -- 2. provisioned CIDRs -----------------------------------------------------------------
def test_a_top_level_pool_is_provisioned_by_cidr_only(model):
    expect_error("OperationDenied.TopLevelPoolByMask", model.add_pool_cidr, OWNER, "corp",
                 mask=8)
    expect_error("OperationDenied.TopLevelPoolByMask", model.create_pool, OWNER, "ipam", "x",
                 masks=[16])
    expect_error("MissingParam.CidrOrCidrMask", model.add_pool_cidr, OWNER, "corp")
    assert model.add_pool_cidr(OWNER, "corp", cidr="172.16.0.0/12") == Cidr.parse("172.16.0.0/12")
    assert cidrs(model.list_pool_cidrs(OWNER, "corp")) == ["10.0.0.0/8", "172.16.0.0/12"]


def test_top_level_pools_of_a_scope_do_not_overlap(model):
    err = expect_error("OperationDenied.CidrConflict", model.create_pool, OWNER, "ipam", "x",
                       cidrs=["10.1.0.0/16"])
    assert (str(err.details["other"]), err.details["other_pool"]) == ("10.0.0.0/8", "corp")
    model.create_pool(OWNER, "ipam", "y", cidrs=["192.168.0.0/16"])
    err = expect_error("OperationDenied.CidrConflict", model.add_pool_cidr, OWNER, "y",
                       cidr="0.0.0.0/0")
    assert err.details["other_pool"] == "corp"
    expect_error("OperationDenied.CidrConflict", model.add_pool_cidr, OWNER, "y",
                 cidr="192.168.1.0/24")
    model.create_pool(OWNER, "ipam", "lab-top", scope="lab", cidrs=["10.0.0.0/8"])


def test_provisioned_cidrs_per_pool_quota():
    model = make_model({"cidrs_per_pool": 3})
    model.create_pool(OWNER, "ipam", "corp", cidrs=["10.0.0.0/16", "10.1.0.0/16"])
    model.add_pool_cidr(OWNER, "corp", cidr="10.2.0.0/16")
    expect_error("QuotaExceeded.CidrsPerPool", model.add_pool_cidr, OWNER, "corp",
                 cidr="10.3.0.0/16")
    expect_error("QuotaExceeded.CidrsPerPool", model.create_pool, OWNER, "ipam", "x",
                 cidrs=[f"172.16.{i}.0/24" for i in range(4)])
    default = make_model()
    default.create_pool(OWNER, "ipam", "many", cidrs=[f"10.0.{i}.0/24" for i in range(50)])
    expect_error("QuotaExceeded.CidrsPerPool", default.add_pool_cidr, OWNER, "many",
                 cidr="10.0.50.0/24")


def test_a_child_is_provisioned_from_its_source(model):
    assert model.add_pool_cidr(OWNER, "hz", cidr="10.16.0.0/16") == Cidr.parse("10.16.0.0/16")
    sh = model.create_pool(OWNER, "ipam", "sh", source="corp", region=SH, masks=[12])
    assert cidrs(model.list_pool_cidrs(OWNER, "sh")) == ["10.32.0.0/12"]
    corp = model.list_pool_allocations(OWNER, "corp")
    assert [(str(a.cidr), a.type, a.resource, a.created_by) for a in corp] == [
        ("10.0.0.0/12", "IpamPool", "hz", OWNER),
        ("10.16.0.0/16", "IpamPool", "hz", OWNER),
        ("10.32.0.0/12", "IpamPool", "sh", OWNER),
    ]
    assert sh.depth == 2


def test_a_childs_cidr_must_be_free_in_its_source(model):
    for cidr in ("172.16.0.0/16", "10.0.0.0/16", "0.0.0.0/0"):
        expect_error("OperationDenied.CidrUnavailableInPool", model.add_pool_cidr, OWNER, "hz",
                     cidr=cidr)
    expect_error("OperationDenied.CidrUnavailableInPool", model.create_pool, OWNER, "ipam",
                 "x", source="corp", cidrs=["10.8.0.0/13"])


def test_a_child_takes_what_its_sources_rules_allow(model):
    for kwargs in ({"mask": 12}, {"mask": 30}, {"cidr": "10.1.0.0/29"}):
        expect_error("OperationDenied.MaskOfCidrIsNotAllowed", model.create_pool, OWNER, "ipam",
                     "x", source="hz", **{k + "s": [v] for k, v in kwargs.items()})
    model.create_pool(OWNER, "ipam", "x", source="hz")
    expect_error("OperationDenied.MaskOfCidrIsNotAllowed", model.add_pool_cidr, OWNER, "x",
                 mask=12)
    assert str(model.add_pool_cidr(OWNER, "x", mask=20)) == "10.0.0.0/20"


def test_creating_a_pool_is_all_or_nothing(model):
    before = model.fingerprint()
    expect_error("OperationDenied.AvailableCidrInsufficient", model.create_pool, OWNER, "ipam",
                 "x", source="hz", masks=[16] * 17)
    expect_error("OperationDenied.CidrConflict", model.create_pool, OWNER, "ipam", "y",
                 cidrs=["172.16.0.0/16", "192.168.0.0/16", "172.16.1.0/24"])
    expect_error("InvalidParameter", model.create_pool, OWNER, "ipam", "z",
                 cidrs=["172.16.0.0/16", "192.168.0.1/16"])
    assert model.fingerprint() == before
    assert "x" not in model.pools and model.pools["hz"].children == []


def test_deprovisioning_checks_children_then_allocations(model):
    expect_error("ResourceNotFound.IpamPoolCidr", model.delete_pool_cidr, OWNER, "corp",
                 "10.0.0.0/9")
    expect_error("ResourceNotFound.IpamPoolCidr", model.delete_pool_cidr, OWNER, "corp",
                 "192.168.0.0/16")
    model.create_allocation(OWNER, "corp", cidr="10.128.0.0/16")
    expect_error("DependencyViolation.SubCidr", model.delete_pool_cidr, OWNER, "corp",
                 "10.0.0.0/8")
    model.create_vpc(OWNER, "vpc-1", HZ, pool="hz")
    expect_error("OperationDenied.IpamPoolAllocationExist", model.delete_pool_cidr, OWNER, "hz",
                 "10.0.0.0/12")
    model.delete_vpc(OWNER, "vpc-1")
    model.delete_pool_cidr(OWNER, "hz", "10.0.0.0/12")      # back to the source
    assert cidrs(model.list_pool_allocations(OWNER, "corp")) == ["10.128.0.0/16"]
    expect_error("OperationDenied.IpamPoolAllocationExist", model.delete_pool_cidr, OWNER,
                 "corp", "10.0.0.0/8")


# -- 2. allocations -------------------------------------------------------------------------
def test_a_vpc_from_a_pool_is_a_vpc_allocation(model):
    vpc = model.create_vpc(OWNER, "vpc-1", HZ, pool="hz", mask=20)
    [alloc] = model.list_pool_allocations(OWNER, "hz")
    assert (vpc.cidr, vpc.pool, vpc.managed, vpc.allocations) == \
        (Cidr.parse("10.0.0.0/20"), "hz", True, [alloc.id])
    assert (alloc.type, alloc.resource, alloc.created_by, alloc.region) == \
        ("VPC", "vpc-1", OWNER, HZ)
    expect_error("OperationDenied.VpcExist", model.create_vpc, OWNER, "vpc-1", HZ, pool="hz")
    expect_error("OperationDenied.VpcExist", model.create_vpc, OWNER, "vpc-1", HZ,
                 cidr="192.168.0.0/16")


def test_the_default_mask_applies_and_no_mask_at_all_is_missing(model):
    assert str(model.create_vpc(OWNER, "vpc-1", HZ, pool="hz").cidr) == "10.0.0.0/24"
    assert str(model.create_allocation(OWNER, "hz").cidr) == "10.0.1.0/24"
    model.update_pool(OWNER, "hz", default_mask=None)
    expect_error("MissingParam.CidrOrCidrMask", model.create_vpc, OWNER, "vpc-2", HZ, pool="hz")
    expect_error("MissingParam.CidrOrCidrMask", model.create_allocation, OWNER, "hz")
    expect_error("MissingParam.CidrOrCidrMask", model.create_vpc, OWNER, "vpc-3", HZ)


def test_an_unmanaged_vpc_has_a_literal_cidr(model):
    vpc = model.create_vpc(OWNER, "legacy", HZ, cidr="10.1.0.0/16")
    assert (vpc.managed, vpc.pool, vpc.allocations) == (False, None, [])
    assert model.list_pool_allocations(OWNER, "hz") == []
    expect_error("InvalidParameter", model.create_vpc, OWNER, "bad", HZ, cidr="10.1.0.1/16")
    expect_error("MissingParam.Ipv4IpamPoolId", model.create_vpc, OWNER, "by-mask", HZ, mask=24)


@pytest.mark.parametrize("op", ["create_vpc", "associate", "custom"])
@pytest.mark.parametrize("request_", [{"mask": 29}, {"mask": 12}, {"cidr": "10.0.0.0/14"},
                                      {"cidr": "10.0.0.0/30"}])
def test_requests_must_obey_the_pools_rules(model, op, request_):
    model.create_vpc(OWNER, "legacy", HZ, cidr="192.168.0.0/16")
    call = {
        "create_vpc": (model.create_vpc, (OWNER, "vpc-1", HZ), {"pool": "hz"}),
        "associate": (model.associate_vpc_cidr_block, (OWNER, "legacy", HZ), {"pool": "hz"}),
        "custom": (model.create_allocation, (OWNER, "hz"), {}),
    }[op]
    fn, args, kwargs = call
    expect_error("OperationDenied.MaskOfCidrIsNotAllowed", fn, *args, **kwargs, **request_)


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"cidr": "10.0.0.1/24"}, "InvalidParameter"),
    ({"cidr": "not-a-cidr"}, "InvalidParameter"),
    ({"cidr": "10.0.0.0/24", "mask": 24}, "InvalidParameter"),
    ({"mask": 33}, "IllegalParam.CidrMask"),
    ({"mask": -1}, "IllegalParam.CidrMask"),
    ({"mask": " 24"}, "IllegalParam.CidrMask"),
    ({"cidr": "10.0.0.0/33"}, "InvalidParameter"),
    ({"cidr": "10.0.0.0/24 "}, "InvalidParameter"),
    ({"cidr": " 10.0.0.0/24"}, "InvalidParameter"),
    ({"cidr": "10.0.0.0 /24"}, "InvalidParameter"),
    ({"cidr": "10.0.0.0"}, "InvalidParameter"),
    ({"cidr": "2001:db8::/48"}, "Mismatch.IpVersionAndIpamPoolIpVersion"),
])
def test_malformed_requests(model, kwargs, code):
    expect_error(code, model.create_vpc, OWNER, "vpc-1", HZ, pool="hz", **kwargs)
    expect_error(code, model.create_allocation, OWNER, "hz", **kwargs)
    expect_error(code, model.add_pool_cidr, OWNER, "hz", **kwargs)


def test_the_first_available_block_is_the_lowest_aligned_one(model):
    got = [model.create_vpc(OWNER, f"v{i}", HZ, pool="hz", mask=m).cidr
           for i, m in enumerate((24, 22, 24, 23))]
    assert [str(c) for c in got] == ["10.0.0.0/24", "10.0.4.0/22", "10.0.1.0/24", "10.0.2.0/23"]
    assert str(model.next_available_cidr(OWNER, "hz", 20)) == "10.0.16.0/20"


def test_an_explicit_cidr_lies_in_one_provisioned_cidr_and_is_free():
    model = make_model()
    model.create_pool(OWNER, "ipam", "p", region=HZ,
                      cidrs=["10.0.0.0/24", "10.0.1.0/24", "10.0.3.0/24"])
    model.create_allocation(OWNER, "p", cidr="10.0.0.128/25")
    for cidr in ("10.0.0.0/23", "10.0.2.0/24", "10.0.0.0/24", "10.0.0.192/26"):
        expect_error("OperationDenied.CidrUnavailableInPool", model.create_allocation, OWNER,
                     "p", cidr=cidr)
    assert str(model.create_vpc(OWNER, "v", HZ, pool="p", cidr="10.0.3.0/24").cidr) == \
        "10.0.3.0/24"


def test_no_free_block_of_the_size_is_insufficient(model):
    model.create_pool(OWNER, "ipam", "small", source="hz", region=HZ, cidrs=["10.0.0.0/24"])
    model.create_allocation(OWNER, "small", mask=26)
    model.create_allocation(OWNER, "small", mask=25)
    for request_ in ({"mask": 24}, {"mask": 25}):
        expect_error("OperationDenied.AvailableCidrInsufficient", model.create_allocation,
                     OWNER, "small", **request_)
    assert str(model.next_available_cidr(OWNER, "small", 26)) == "10.0.0.64/26"
    assert model.next_available_cidr(OWNER, "small", 24) is None


@pytest.mark.parametrize("op", ["create_vpc", "associate"])
def test_vpcs_need_a_pool_with_a_region_and_the_same_region(model, op):
    model.create_vpc(OWNER, "legacy-hz", HZ, cidr="192.168.0.0/24")
    model.create_vpc(OWNER, "legacy-sh", SH, cidr="192.168.1.0/24")

    def call(region, pool):
        if op == "create_vpc":
            return model.create_vpc, (OWNER, "vpc-1", region), {"pool": pool, "mask": 24}
        vpc = "legacy-hz" if region == HZ else "legacy-sh"
        return model.associate_vpc_cidr_block, (OWNER, vpc, region), {"pool": pool, "mask": 24}

    fn, args, kwargs = call(HZ, "corp")
    expect_error("OperationDenied.IpamPoolNotInRegion", fn, *args, **kwargs)
    fn, args, kwargs = call(SH, "hz")
    expect_error("OperationDenied.RequestRegionInvalid", fn, *args, **kwargs)
    fn, args, kwargs = call(HZ, "hz")
    fn(*args, **kwargs)


def test_secondary_cidrs_per_vpc_quota(model):
    model.create_vpc(OWNER, "vpc-1", HZ, pool="hz")
    for _ in range(5):
        model.associate_vpc_cidr_block(OWNER, "vpc-1", HZ, pool="hz", mask=24)
    vpc = model.vpcs["vpc-1"]
    assert len(vpc.allocations) == 6 and cidrs(vpc.secondary) == [
        "10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24", "10.0.4.0/24", "10.0.5.0/24"]
    err = expect_error("QuotaExceeded.SecondaryCidrsPerVpc", model.associate_vpc_cidr_block,
                       OWNER, "vpc-1", HZ, pool="hz", mask=24)
    assert "secondary_cidrs_per_vpc" in err.message
    raised = with_pools(make_model({"secondary_cidrs_per_vpc": 6}))
    raised.create_vpc(OWNER, "vpc-1", HZ, pool="hz")
    for _ in range(6):
        raised.associate_vpc_cidr_block(OWNER, "vpc-1", HZ, pool="hz", mask=24)


def test_only_the_vpc_owner_associates_and_deletes_in_the_vpcs_region(model):
    model.create_vpc(OWNER, "vpc-1", HZ, pool="hz")
    # DEV does not see hz: the pool is looked up first
    expect_error("ResourceNotFound.IpamPool", model.associate_vpc_cidr_block, DEV, "vpc-1", HZ,
                 pool="hz")
    shared = with_pools(make_model(access=Policy({DEV: PRINCIPAL})))
    shared.create_vpc(OWNER, "vpc-1", HZ, pool="hz")
    expect_error("ResourceNotFound.Vpc", shared.associate_vpc_cidr_block, DEV, "vpc-1", HZ,
                 pool="hz")
    expect_error("ResourceNotFound.Vpc", model.associate_vpc_cidr_block, OWNER, "vpc-1", SH,
                 pool="hz")
    expect_error("ResourceNotFound.Vpc", model.associate_vpc_cidr_block, OWNER, "nope", HZ,
                 pool="hz")
    expect_error("ResourceNotFound.Vpc", model.delete_vpc, DEV, "vpc-1")


def test_custom_allocations_are_named_or_numbered(model):
    a = model.create_allocation(OWNER, "hz", mask=20, name="lab")
    b = model.create_allocation(OWNER, "hz", mask=20)
    assert [(x.id, x.type, x.resource, x.pool) for x in (a, b)] == [
        ("lab", "Custom", "lab", "hz"), ("alloc-2", "Custom", "alloc-2", "hz")]
    # alloc-1 is the IpamPool allocation of hz in corp
    assert model.list_pool_allocations(OWNER, "corp")[0].id == "alloc-1"
    expect_error("OperationDenied.ResourceExist", model.create_allocation, OWNER, "hz", mask=20,
                 name="lab")
    expect_error("OperationDenied.ResourceExist", model.create_allocation, OWNER, "hz", mask=20,
                 name="alloc-2")
    model.create_allocation(OWNER, "hz", mask=20, name="alloc-3")
    assert model.create_allocation(OWNER, "hz", mask=20).id == "alloc-4"


# -- 2. release ---------------------------------------------------------------------------
def test_releasing_a_vpcs_primary_leaves_the_vpc_unmanaged(model):
    vpc = model.create_vpc(OWNER, "vpc-1", HZ, pool="hz")
    second = model.associate_vpc_cidr_block(OWNER, "vpc-1", HZ, pool="hz", mask=24)
    released = model.delete_allocation(OWNER, vpc.allocations[0])
    assert (released.type, released.resource) == ("VPC", "vpc-1")
    assert (vpc.managed, str(vpc.cidr), vpc.allocations) == (False, "10.0.0.0/24", [second.id])
    model.delete_allocation(OWNER, "10.0.1.0/24")                 # by CIDR text
    assert (vpc.allocations, cidrs(vpc.secondary)) == ([], ["10.0.1.0/24"])
    assert model.list_pool_allocations(OWNER, "hz") == []
    model.delete_vpc(OWNER, "vpc-1")
    assert "vpc-1" not in model.vpcs


def test_deleting_a_vpc_releases_all_its_allocations(model):
    model.create_vpc(OWNER, "vpc-1", HZ, pool="hz")
    model.associate_vpc_cidr_block(OWNER, "vpc-1", HZ, pool="hz", mask=20)
    model.create_allocation(OWNER, "hz", name="keep")
    model.delete_vpc(OWNER, "vpc-1")
    assert [a.id for a in model.list_pool_allocations(OWNER, "hz")] == ["keep"]
    assert model.utilisation("hz")["allocated_ips"] == 256


def test_only_vpc_and_custom_allocations_are_released(model):
    ipam_pool = model.list_pool_allocations(OWNER, "corp")[0]
    expect_error("OperationDenied.ResourceTypeIsNotCustom", model.delete_allocation, OWNER,
                 ipam_pool.id)
    expect_error("OperationDenied.ResourceTypeIsNotCustom", model.delete_allocation, OWNER,
                 "10.0.0.0/12")
    for missing in ("nope", "10.9.0.0/24", "10.0.0.1/24"):
        expect_error("ResourceNotFound.IpamPoolAllocation", model.delete_allocation, OWNER,
                     missing)
    custom = model.create_allocation(OWNER, "hz", name="res")
    assert model.delete_allocation(OWNER, "res") == custom
    expect_error("ResourceNotFound.IpamPoolAllocation", model.delete_allocation, OWNER, "res")


def test_release_by_cidr_takes_the_deepest_visible_pool_then_the_earliest(model):
    model.create_pool(OWNER, "ipam", "lab-top", scope="lab", cidrs=["10.16.0.0/16"])
    model.create_allocation(OWNER, "lab-top", cidr="10.16.0.0/16", name="in-lab")
    model.create_pool(OWNER, "ipam", "big", source="corp", cidrs=["10.16.0.0/16"])
    model.create_allocation(OWNER, "big", cidr="10.16.0.0/16", name="in-big")
    assert model.delete_allocation(OWNER, "10.16.0.0/16").id == "in-big"     # depth 2
    assert model.delete_allocation(OWNER, "10.16.0.0/16").id == "in-lab"     # then depth 1
    expect_error("OperationDenied.ResourceTypeIsNotCustom", model.delete_allocation, OWNER,
                 "10.16.0.0/16")                                             # corp's block
    model.create_ipam(DEV, "ipam-dev", HZ)
    model.create_pool(DEV, "ipam-dev", "dev-top", cidrs=["10.0.0.0/8"])
    model.create_allocation(OWNER, "hz", cidr="10.1.0.0/24", name="owners")
    model.create_allocation(DEV, "dev-top", cidr="10.1.0.0/24", name="devs")
    assert model.delete_allocation(DEV, "10.1.0.0/24").id == "devs"
    expect_error("ResourceNotFound.IpamPoolAllocation", model.delete_allocation, DEV, "owners")


def test_release_by_cidr_never_takes_an_ipam_pool_block_while_a_custom_or_vpc_one_exists():
    model = with_pools(make_model())
    # corp > mid > leaf: leaf's 10.16.0.0/16 is an IpamPool block of mid, at depth 2
    model.create_pool(OWNER, "ipam", "mid", source="corp", cidrs=["10.16.0.0/12"])
    model.create_pool(OWNER, "ipam", "leaf", source="mid", cidrs=["10.16.0.0/16"])
    # the same CIDR as a Custom allocation of a shallower pool in another scope
    model.create_pool(OWNER, "ipam", "lab-top", scope="lab", cidrs=["10.16.0.0/16"])
    model.create_allocation(OWNER, "lab-top", cidr="10.16.0.0/16", name="in-lab")
    assert model.delete_allocation(OWNER, "10.16.0.0/16").id == "in-lab"
    expect_error("OperationDenied.ResourceTypeIsNotCustom", model.delete_allocation, OWNER,
                 "10.16.0.0/16")                                   # only mid's block is left
    assert [a.type for a in model.list_pool_allocations(OWNER, "mid")] == ["IpamPool"]


def test_release_by_cidr_takes_one_the_caller_may_release():
    model = with_pools(make_model(access=Policy({DEV: PRINCIPAL})))
    model.create_ipam(DEV, "ipam-dev", HZ)
    model.create_pool(DEV, "ipam-dev", "dev-top", cidrs=["10.0.0.0/8"])
    model.create_allocation(OWNER, "hz", cidr="10.1.0.0/24", name="owners")       # depth 2
    model.create_allocation(DEV, "dev-top", cidr="10.1.0.0/24", name="devs")      # depth 1
    # DEV sees both, may release only its own: the deeper one of OWNER is passed over
    assert model.delete_allocation(DEV, "10.1.0.0/24").id == "devs"
    expect_error("Forbidden", model.delete_allocation, DEV, "10.1.0.0/24")        # owners'
    model.create_allocation(DEV, "hz", cidr="10.2.0.0/24", name="devs-in-hz")
    model.create_allocation(OWNER, "hz", cidr="10.3.0.0/24", name="owners-2")
    assert model.delete_allocation(OWNER, "10.2.0.0/24").id == "devs-in-hz"       # its pool
    assert model.delete_allocation(OWNER, "10.1.0.0/24").id == "owners"


def test_release_by_cidr_text_reads_the_cidr_exactly_as_written(model):
    model.create_allocation(OWNER, "hz", cidr="10.1.0.0/24", name="res")
    for text in (" 10.1.0.0/24", "10.1.0.0/24 ", "10.1.0.1/24", "10.1.0.0"):
        expect_error("ResourceNotFound.IpamPoolAllocation", model.delete_allocation, OWNER,
                     text)
    assert model.delete_allocation(OWNER, "10.1.0.0/24").id == "res"


# -- 2. deleting pools ---------------------------------------------------------------------
def test_deleting_a_pool_checks_share_children_cidrs_in_that_order():
    policy = Policy(shares={"corp": ["rs-1"]})
    model = with_pools(make_model(access=policy))
    err = expect_error("DependencyViolation.ShareResource", model.delete_pool, OWNER, "corp")
    assert err.details["shares"] == "rs-1"
    policy.shares.clear()
    expect_error("DependencyViolation.IpamPool", model.delete_pool, OWNER, "corp")
    expect_error("DependencyViolation.PoolCidr", model.delete_pool, OWNER, "hz")
    model.delete_pool_cidr(OWNER, "hz", "10.0.0.0/12")
    model.delete_pool(OWNER, "hz")
    assert model.pools["corp"].children == []
    model.create_allocation(OWNER, "corp", mask=16)
    expect_error("DependencyViolation.PoolCidr", model.delete_pool, OWNER, "corp")


def test_custom_allocations_block_deletion_after_the_cidr_check():
    """A custom allocation always lies in a provisioned CIDR, so the API reaches PoolCidr first.

    To check the last step of the documented order, the pool's space is
    replaced by an empty one: a state the API itself never produces.
    """
    model = make_model()
    model.create_pool(OWNER, "ipam", "solo", cidrs=["10.0.0.0/16"])
    model.create_allocation(OWNER, "solo", mask=24)
    model.pools["solo"].space = AddressSpace(4, name="solo")
    expect_error("DependencyViolation.CustomPoolAllocation", model.delete_pool, OWNER, "solo")


# -- 2. utilisation ------------------------------------------------------------------------
def test_utilisation_docs_example():
    """A /26 VPC in a child pool provisioned with a /20 is 64/4096 = 1.6 %."""
    model = make_model()
    model.create_pool(OWNER, "ipam", "corp", cidrs=["10.0.0.0/8"])
    model.create_pool(OWNER, "ipam", "hz", source="corp", region=HZ, cidrs=["10.0.0.0/20"])
    model.create_vpc(OWNER, "vpc-1", HZ, pool="hz", mask=26)
    assert model.utilisation("hz") == {
        "pool": "hz", "provisioned_ips": 4096, "allocated_ips": 64, "allocated_vpc_ips": 64,
        "allocated_custom_ips": 0, "allocated_ipam_pool_ips": 0, "free_ips": 4032,
        "utilisation": 0.015625, "largest_free_mask": 21,
    }
    corp = model.utilisation("corp")     # the child's /20 counts as wholly allocated
    assert (corp["allocated_ips"], corp["allocated_ipam_pool_ips"], corp["utilisation"]) == \
        (4096, 4096, 4096 / 2**24)
    empty = model.create_pool(OWNER, "ipam", "empty", scope="lab").id
    assert (model.utilisation(empty)["utilisation"],
            model.utilisation(empty)["largest_free_mask"]) == (0.0, None)
    with pytest.raises(DomainError, match="ResourceNotFound.IpamPool"):
        model.utilisation("nope")


def test_ipv6_pools_in_the_public_scope(model):
    model.create_pool(OWNER, "ipam", "v6", scope="ipam-public", region=HZ,
                      cidrs=["2001:db8::/32"])
    vpc = model.create_vpc(OWNER, "vpc-6", HZ, ipv6_pool="v6", ipv6_mask=56)
    assert (vpc.cidr, str(vpc.ipv6_cidr)) == (None, "2001:db8::/56")
    expect_error("Mismatch.IpVersionAndIpamPoolIpVersion", model.delete_pool_cidr, OWNER, "v6",
                 "10.0.0.0/8")
    assert model.utilisation("v6")["allocated_ips"] == 2**72


# -- 5. visibility, permission and the check order ------------------------------------------
def test_a_pool_of_another_account_is_not_found(model):
    calls = [
        (model.create_vpc, (DEV, "v", HZ), {"pool": "hz"}),
        (model.create_allocation, (DEV, "hz"), {"mask": 24}),
        (model.add_pool_cidr, (DEV, "hz"), {"mask": 16}),
        (model.delete_pool_cidr, (DEV, "hz", "10.0.0.0/12"), {}),
        (model.update_pool, (DEV, "hz"), {"name": "x"}),
        (model.delete_pool, (DEV, "hz"), {}),
        (model.list_pool_cidrs, (DEV, "hz"), {}),
        (model.list_pool_allocations, (DEV, "hz"), {}),
        (model.next_available_cidr, (DEV, "hz", 24), {}),
        (model.create_pool, (DEV, "ipam", "x"), {"source": "hz"}),
        (model.create_vpc, (OWNER, "v", HZ), {"pool": "nope"}),
    ]
    for fn, args, kwargs in calls:
        expect_error("ResourceNotFound.IpamPool", fn, *args, **kwargs)
    assert model.list_pools(DEV) == []
    expect_error("ResourceNotFound.IpamPoolAllocation", model.delete_allocation, DEV,
                 "10.0.0.0/12")
    assert not OwnerAccess().can_see(DEV, model.pools["hz"])
    assert OwnerAccess().shares_of(model.pools["hz"]) == []


def test_the_first_failing_check_is_the_error():
    """Each request fails every check from its row on; the earliest one is reported."""
    policy = Policy({DEV: PRINCIPAL, VIEWER: {"list_ipam_pools"}})
    model = make_model({"secondary_cidrs_per_vpc": 1}, access=policy)
    model.create_pool(OWNER, "ipam", "corp", cidrs=["10.0.0.0/8"], min_mask=8, max_mask=24)
    model.create_pool(OWNER, "ipam", "hz", source="corp", region=HZ, cidrs=["10.0.0.0/16"],
                      min_mask=16, max_mask=28)
    model.create_pool(OWNER, "ipam", "sh", source="corp", region=SH, cidrs=["10.1.0.0/16"],
                      min_mask=16, max_mask=28)
    for actor, vpc in ((DEV, "w"), (DEV, "w2"), (VIEWER, "vv"), (STRANGER, "sv")):
        model.create_vpc(actor, vpc, SH, cidr="192.168.0.0/24")
    model.associate_vpc_cidr_block(DEV, "w", SH, pool="sh", mask=24)     # w is at its quota
    taken = "10.1.0.0/24"
    rows = [
        (DEV, "nope", "nope", {"cidr": "10.0.0.1/24"}, "ResourceNotFound.IpamPool"),
        (DEV, "w", "nope", {"cidr": "10.0.0.1/24"}, "ResourceNotFound.IpamPool"),
        (STRANGER, "nope", "hz", {"cidr": "10.0.0.1/24"}, "ResourceNotFound.IpamPool"),
        (VIEWER, "nope", "hz", {"cidr": "10.0.0.1/24"}, "ResourceNotFound.Vpc"),
        (DEV, "sv", "hz", {"cidr": "10.0.0.1/24"}, "ResourceNotFound.Vpc"),
        (VIEWER, "vv", "hz", {"cidr": "10.0.0.1/24"}, "Forbidden"),
        (DEV, "w", "hz", {"cidr": "10.0.0.1/24"}, "InvalidParameter"),
        (DEV, "w", "hz", {"mask": 33}, "IllegalParam.CidrMask"),
        (DEV, "w", "hz", {"cidr": "2001:db8::/64"}, "Mismatch.IpVersionAndIpamPoolIpVersion"),
        (DEV, "w", "corp", {"mask": 30}, "OperationDenied.IpamPoolNotInRegion"),
        (DEV, "w", "hz", {"mask": 8}, "OperationDenied.RequestRegionInvalid"),
        (DEV, "w", "sh", {"mask": 8}, "OperationDenied.MaskOfCidrIsNotAllowed"),
        (DEV, "w", "sh", {"cidr": taken}, "QuotaExceeded.SecondaryCidrsPerVpc"),
        (DEV, "w2", "sh", {"cidr": taken}, "OperationDenied.CidrUnavailableInPool"),
    ]
    got = [failure(model.associate_vpc_cidr_block, actor, vpc, SH, pool=pool, **kwargs).code
           for actor, vpc, pool, kwargs, _ in rows]
    assert got == [row[-1] for row in rows]


def test_a_principal_may_do_what_it_is_granted_and_release_only_its_own():
    policy = Policy({DEV: PRINCIPAL})
    model = with_pools(make_model(access=policy))
    assert [p.id for p in model.list_pools(DEV)] == ["corp", "hz"]
    mine = model.create_vpc(DEV, "vpc-dev", HZ, pool="hz")
    theirs = model.create_allocation(OWNER, "hz", name="owners")
    expect_error("Forbidden", model.delete_allocation, DEV, "owners")
    expect_error("Forbidden", model.delete_pool, DEV, "hz")
    expect_error("Forbidden", model.update_pool, DEV, "hz", name="x", min_mask=20)
    expect_error("Forbidden", model.add_pool_cidr, DEV, "hz", mask=16)
    expect_error("Forbidden", model.create_pool, DEV, "ipam", "x", source="hz")
    assert model.update_pool(DEV, "hz", name="Hangzhou").name == "Hangzhou"
    model.delete_allocation(DEV, mine.allocations[0])
    model.delete_allocation(OWNER, theirs.id)
    viewer = with_pools(make_model(access=Policy({VIEWER: {"create_vpc"}})))
    assert viewer.list_pools(VIEWER) == []


def test_every_pool_request_asks_the_policy_with_its_action(model):
    policy = Policy()
    model.access = policy
    model.create_vpc(OWNER, "legacy", HZ, cidr="192.168.0.0/24")
    got = []
    requests = [
        ("create_vpc", lambda: model.create_vpc(OWNER, "v", HZ, pool="hz")),
        ("associate_vpc_cidr_block",
         lambda: model.associate_vpc_cidr_block(OWNER, "legacy", HZ, pool="hz")),
        ("create_ipam_pool_allocation", lambda: model.create_allocation(OWNER, "hz", name="c")),
        ("delete_ipam_pool_allocation", lambda: model.delete_allocation(OWNER, "c")),
        ("get_ipam_pool_next_available_cidr", lambda: model.next_available_cidr(OWNER, "hz", 24)),
        ("list_ipam_pool_cidrs", lambda: model.list_pool_cidrs(OWNER, "hz")),
        ("list_ipam_pool_allocations", lambda: model.list_pool_allocations(OWNER, "hz")),
        ("create_ipam_pool", lambda: model.create_pool(OWNER, "ipam", "x", source="hz")),
        ("add_ipam_pool_cidr", lambda: got.append(model.add_pool_cidr(OWNER, "x", mask=20))),
        ("delete_ipam_pool_cidr", lambda: model.delete_pool_cidr(OWNER, "x", got[0])),
        ("update_ipam_pool", lambda: model.update_pool(OWNER, "x", description="d")),
        ("update_ipam_pool_rules", lambda: model.update_pool(OWNER, "x", max_mask=26)),
        ("update_ipam_pool_auto_import", lambda: model.update_pool(OWNER, "x", auto_import=True)),
        ("delete_ipam_pool", lambda: model.delete_pool(OWNER, "x")),
    ]
    for action, request_ in requests:
        policy.calls.clear()
        request_()
        assert [c[2] for c in policy.calls] == [action]
    policy.calls.clear()
    model.update_pool(OWNER, "hz", name="n", default_mask=26, auto_import=False)
    assert [c[2] for c in policy.calls] == [
        "update_ipam_pool", "update_ipam_pool_rules", "update_ipam_pool_auto_import"]
    policy.calls.clear()
    model.list_pools(OWNER)
    assert {c[2] for c in policy.calls} == {"list_ipam_pools"}
    policy.calls.clear()
    alloc = model.create_allocation(OWNER, "hz", name="d")
    model.delete_allocation(OWNER, "d")
    assert policy.calls[-1] == (OWNER, "hz", "delete_ipam_pool_allocation", alloc.id)


def test_an_unknown_action_is_a_usage_error():
    pool = make_model().create_pool(OWNER, "ipam", "p")
    with pytest.raises(UsageError, match="unknown action"):
        OwnerAccess().check(OWNER, pool, "fly")


def test_list_queries(model):
    model.create_vpc(OWNER, "vpc-1", HZ, pool="hz")
    assert cidrs(model.list_pool_cidrs(OWNER, "hz")) == ["10.0.0.0/12"]
    assert [(str(a.cidr), a.type) for a in model.list_pool_allocations(OWNER, "hz")] == \
        [("10.0.0.0/24", "VPC")]
    before = model.fingerprint()
    assert str(model.next_available_cidr(OWNER, "hz", 24)) == "10.0.1.0/24"
    assert model.fingerprint() == before
    expect_error("OperationDenied.MaskOfCidrIsNotAllowed", model.next_available_cidr, OWNER,
                 "hz", 8)
    expect_error("IllegalParam.CidrMask", model.next_available_cidr, OWNER, "hz", 40)


# -- copies, fingerprints, strategies ---------------------------------------------------------
def test_copy_is_independent_and_fingerprint_tracks_state(model):
    twin = model.copy()
    assert twin.fingerprint() == model.fingerprint()
    twin.create_vpc(OWNER, "vpc-1", HZ, pool="hz")
    assert twin.fingerprint() != model.fingerprint()
    assert model.vpcs == {} and model.list_pool_allocations(OWNER, "hz") == []
    model.create_vpc(OWNER, "vpc-1", HZ, pool="hz")
    assert twin.fingerprint() == model.fingerprint()
    model.update_pool(OWNER, "hz", description="changed")
    assert twin.fingerprint() != model.fingerprint()


def test_a_pool_allocates_with_its_strategy(model):
    model.create_pool(OWNER, "ipam", "last", source="hz", region=HZ, strategy="last",
                      cidrs=["10.0.0.0/16"])
    assert str(model.create_vpc(OWNER, "v", HZ, pool="last", mask=24).cidr) == "10.0.255.0/24"
    with pytest.raises(UsageError):
        model.create_pool(OWNER, "ipam", "odd", strategy="odd")


@pytest.mark.parametrize("kwargs", [{"cidrs": "10.0.0.0/8"}, {"masks": "24"}])
def test_a_lone_string_where_a_list_belongs_is_a_usage_error(model, kwargs):
    with pytest.raises(UsageError, match="takes a list"):
        model.create_pool(OWNER, "ipam", "x", **kwargs)
    with pytest.raises(UsageError, match="takes a list"):
        IpamModel().create_ipam(OWNER, "ipam", HZ, operating_regions=SH)


def test_created_at_comes_from_the_clock():
    now = [5]
    model = IpamModel(clock=lambda: now[0])
    model.create_ipam(OWNER, "ipam", HZ)
    pool = model.create_pool(OWNER, "ipam", "p", cidrs=["10.0.0.0/16"])
    now[0] = 9
    assert (pool.created_at, model.create_allocation(OWNER, "p", mask=24).created_at) == (5, 9)


# -- every code ----------------------------------------------------------------------------
#: The codes of docs/rules.md section 5, and the simkit codes the IPAM model adds.
DOMAIN_CODES = {
    "Forbidden", "ResourceNotFound.IpamPool", "ResourceNotFound.IpamPoolAllocation",
    "ResourceNotFound.IpamPoolCidr", "ResourceNotFound.IpamScope", "ResourceNotFound.Ipam",
    "MissingParam.CidrOrCidrMask", "IllegalParam.CidrMask", "InvalidParameter",
    "OperationDenied.MaskOfCidrIsNotAllowed", "OperationDenied.AvailableCidrInsufficient",
    "OperationDenied.CidrUnavailableInPool", "OperationDenied.RequestRegionInvalid",
    "OperationDenied.IpamPoolNotInRegion", "OperationDenied.IpamPoolAllocationExist",
    "OperationDenied.ResourceTypeIsNotCustom", "OperationDenied.DeleteDefaultScope",
    "DependencyViolation.ShareResource", "DependencyViolation.IpamPool",
    "DependencyViolation.PoolCidr", "DependencyViolation.CustomPoolAllocation",
    "DependencyViolation.SubCidr", "Mismatch.IpVersionAndIpamPoolIpVersion",
}
SIMKIT_IPAM_CODES = {
    "ResourceNotFound.Vpc", "OperationDenied.CidrConflict", "OperationDenied.AutoImportNeedsRegion",
    "OperationDenied.RegionNotOperating", "OperationDenied.RegionMismatch",
    "OperationDenied.ScopeMismatch", "OperationDenied.TopLevelPoolByMask",
    "OperationDenied.VpcExist", "OperationDenied.ResourceExist",
}
IPAM_QUOTA_CODES = {q.code for q in QUOTAS.values() if q.source.startswith("VPC IPAM")}


def test_zz_every_code_reached(request):
    """Runs last: every IPAM error code and quota was met by some failing call above."""
    here = request.node.path
    ran = {item.originalname for item in request.session.items if item.path == here}
    if ran != {name for name in globals() if name.startswith("test_")}:
        pytest.skip("only a part of the module ran; run it whole to check every code")
    codes = DOMAIN_CODES | SIMKIT_IPAM_CODES
    assert codes <= set(ERROR_CODES)
    assert len(IPAM_QUOTA_CODES) == 7
    missing = sorted((codes | IPAM_QUOTA_CODES) - OBSERVED)
    assert not missing, f"never reached: {missing}"
