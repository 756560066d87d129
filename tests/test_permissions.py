"""The permission matrix (DOMAIN.md 4): every row, for every kind of viewer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from conftest import org_from_spec

from simkit.model.ipam import Allocation, IpamModel, Pool
from simkit.model.org import Organisation
from simkit.model.permissions import (
    ACTIONS,
    AUDIT_FIELDS,
    MATRIX,
    PERMISSION,
    PERMISSION_APIS,
    PRINCIPAL_GRANTS,
    Row,
    SharingAccess,
    audit,
    decide,
)
from simkit.model.sharing import Shares
from simkit.scenario.operations import OPERATIONS
from simkit.values.addresses import Cidr
from simkit.values.errors import DomainError, UsageError

START = datetime(2026, 1, 1, tzinfo=UTC)
OWNER = "netadmin"
ORG = {
    "management_account": "mgmt",
    "accounts": ["sandbox"],
    "folders": [
        {"name": "Network", "accounts": [OWNER]},
        {"name": "Business", "accounts": ["biz"],
         "folders": [{"name": "Retail", "accounts": ["retail-prod"]}]},
    ],
    "external_accounts": ["partner", "vendor"],
}

#: What DOMAIN.md 4 grants a principal, action by action, written out from its table.
DOMAIN_PRINCIPAL = {
    "create_vpc": "yes",
    "associate_vpc_cidr_block": "yes",
    "delete_ipam_pool": "no",
    "update_ipam_pool": "name_description",
    "update_ipam_pool_rules": "no",
    "update_ipam_pool_auto_import": "no",
    "list_ipam_pools": "yes",
    "list_ipam_pool_cidrs": "yes",
    "add_ipam_pool_cidr": "no",
    "delete_ipam_pool_cidr": "no",
    "create_ipam_pool_allocation": "yes",
    "delete_ipam_pool_allocation": "own",
    "list_ipam_pool_allocations": "yes",
    "list_ipam_resource_cidrs": "no",
    "get_ipam_pool_next_available_cidr": "yes",   # a query, granted as the allocations list
    "create_ipam_pool": "no",                     # owner only (docs/architecture.md)
}


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    """One organisation, one IPAM model with the pool ``hz`` of OWNER, and its shares."""

    org: Organisation
    clock: Clock
    model: IpamModel
    shares: Shares
    access: SharingAccess

    @property
    def pool(self) -> Pool:
        return self.model.pools["hz"]


def make_world() -> World:
    org = org_from_spec(ORG)
    clock = Clock()
    model = IpamModel(clock=clock)
    shares = Shares(org, lambda p: model.pools[p].owner if p in model.pools else None,
                    clock=clock)
    access = SharingAccess(org, shares)
    model.access = access
    model.create_ipam(OWNER, "ipam-main", "cn-hangzhou")
    model.create_pool(OWNER, "ipam-main", "hz", region="cn-hangzhou", cidrs=["10.0.0.0/16"],
                      min_mask=16, max_mask=28, default_mask=24)
    return World(org, clock, model, shares, access)


# -- the steps that put a viewer in its situation -----------------------------------------

Step = Callable[[World], object]


def share_folder(w: World) -> None:
    w.shares.create(OWNER, "rs", ["hz"], ["folder:Business"])


def share_rd(w: World) -> None:
    w.shares.create(OWNER, "rs", ["hz"], ["rd"])


def share_account_biz(w: World) -> None:
    w.shares.create(OWNER, "rs", ["hz"], ["account:biz"])


def invite_partner(w: World) -> None:
    w.shares.create(OWNER, "rs", ["hz"], ["partner"], allow_external=True)


def accept(w: World) -> None:
    w.shares.accept("partner", "rs")


def reject(w: World) -> None:
    w.shares.reject("partner", "rs")


def seven_days_pass(w: World) -> None:
    w.clock.now += timedelta(days=7)


def delete_share(w: World) -> None:
    w.shares.delete(OWNER, "rs")


def remove_folder_principal(w: World) -> None:
    w.shares.disassociate(OWNER, "rs", principals=["folder:Business"])


def remove_partner_principal(w: World) -> None:
    w.shares.disassociate(OWNER, "rs", principals=["partner"])


def move(account: str, folder: str) -> Step:
    return lambda w: w.org.move_account("mgmt", account, folder)


def leave_directory(account: str) -> Step:
    return lambda w: w.org.remove_account("mgmt", account)


@dataclass(frozen=True)
class Viewer:
    name: str
    account: str
    steps: tuple[Step, ...]
    situation: str          # "owner", "principal" (an active association) or "none"


BASE = [
    Viewer("owner", OWNER, (share_folder,), "owner"),
    Viewer("folder-member", "biz", (share_folder,), "principal"),
    Viewer("sub-folder-member", "retail-prod", (share_folder,), "principal"),
    Viewer("directory-wide", "sandbox", (share_rd,), "principal"),
    Viewer("external-pending", "partner", (invite_partner,), "none"),
    Viewer("external-accepted", "partner", (invite_partner, accept), "principal"),
    Viewer("external-rejected", "partner", (invite_partner, reject), "none"),
    Viewer("external-expired", "partner", (invite_partner, seven_days_pass), "none"),
]
VIEWERS = [
    *BASE,
    *(Viewer(f"{v.name}-share-deleted", v.account, (*v.steps, delete_share),
             "owner" if v.situation == "owner" else "none") for v in BASE),
    Viewer("folder-principal-removed", "biz", (share_folder, remove_folder_principal), "none"),
    Viewer("external-principal-removed", "partner",
           (invite_partner, accept, remove_partner_principal), "none"),
    Viewer("moved-out-of-folder", "biz", (share_folder, move("biz", "Network")), "none"),
    Viewer("moved-into-folder", "sandbox", (share_folder, move("sandbox", "Business/Retail")),
           "principal"),
    Viewer("left-directory-folder", "retail-prod",
           (share_folder, leave_directory("retail-prod")), "none"),
    Viewer("left-directory-account", "biz", (share_account_biz, leave_directory("biz")),
           "none"),
    Viewer("accepted-then-days-pass", "partner",
           (invite_partner, accept, seven_days_pass, seven_days_pass), "principal"),
    Viewer("never-named-member", "mgmt", (share_folder,), "none"),
    Viewer("never-named-external", "vendor", (invite_partner,), "none"),
]


def expected_code(row: Row, situation: str, viewer: str, creator: str | None) -> str | None:
    """The refusal expected from the row's columns and the viewer's situation (None: allowed).

    ``creator`` is who created the allocation of the request, if it names one.
    """
    if situation == "none":
        return "ResourceNotFound.IpamPool"
    column = row.owner if situation == "owner" else row.principal
    if column in ("yes", "name_description"):
        return None
    if column == "own":
        return None if creator in (None, viewer) else "Forbidden"
    return "Forbidden"


def allocation_by(creator: str) -> Allocation:
    return Allocation(f"alloc-{creator}", "hz", Cidr.parse("10.0.1.0/24"), "Custom",
                      f"res-{creator}", creator, START, "cn-hangzhou")


@pytest.mark.parametrize("viewer", VIEWERS, ids=lambda v: v.name)
@pytest.mark.parametrize("row", MATRIX, ids=lambda r: r.action)
def test_every_row_for_every_viewer(row: Row, viewer: Viewer):
    w = make_world()
    for step in viewer.steps:
        step(w)
    other = "biz" if viewer.account == OWNER else OWNER
    creators = [None, viewer.account, other] if row.principal == "own" else [None]
    for creator in creators:
        allocation = allocation_by(creator) if creator is not None else None
        want = expected_code(row, viewer.situation, viewer.account, creator)
        decision = decide(w.org, w.shares, viewer.account, w.pool, row.action, allocation)
        assert (decision.allowed, decision.code) == (want is None, want), decision.reason
        assert decision.reason
        if want is None:
            w.access.check(viewer.account, w.pool, row.action, allocation=allocation)
        else:
            with pytest.raises(DomainError) as err:
                w.access.check(viewer.account, w.pool, row.action, allocation=allocation)
            assert err.value.code == want
            for word in (viewer.account, row.action, "hz", decision.reason):
                assert word in err.value.message
    assert w.access.can_see(viewer.account, w.pool) == (viewer.situation != "none")


# -- the matrix as data -------------------------------------------------------------------

def test_the_matrix_has_one_row_per_action_the_operations_ask_for():
    actions = [row.action for row in MATRIX]
    assert len(actions) == len(set(actions))
    assert tuple(actions) == ACTIONS
    asked = {a for op in OPERATIONS.values() for a in op.all_actions}
    assert asked == set(actions)


def test_the_matrix_says_what_domain_md_says():
    assert {row.action: row.principal for row in MATRIX} == DOMAIN_PRINCIPAL
    assert {row.owner for row in MATRIX} == {"yes"}
    assert {row.principal for row in MATRIX} <= set(PRINCIPAL_GRANTS)
    update_rows = [row.action for row in MATRIX if row.api == "UpdateIpamPool"]
    assert update_rows == ["update_ipam_pool", "update_ipam_pool_rules",
                           "update_ipam_pool_auto_import"]


def test_the_permission_grants_exactly_the_apis_principals_may_call():
    assert PERMISSION == "AliyunRSDefaultPermissionIpamPool"
    granted = {f"vpc:{row.api}" for row in MATRIX
               if row.principal != "no" and row.action != "get_ipam_pool_next_available_cidr"}
    assert set(PERMISSION_APIS) == granted
    assert len(PERMISSION_APIS) == len(set(PERMISSION_APIS)) == 8


def test_an_unknown_action_is_a_usage_error():
    w = make_world()
    with pytest.raises(UsageError, match="delete_everything"):
        decide(w.org, w.shares, OWNER, w.pool, "delete_everything")
    with pytest.raises(UsageError):
        audit(w.org, w.shares, [w.pool], [OWNER], ["delete_everything"])


# -- the policy inside the IPAM model ------------------------------------------------------

def test_a_principal_works_in_a_shared_pool_through_the_model():
    w = make_world()
    m = w.model
    share_folder(w)
    vpc = m.create_vpc("biz", "vpc-biz", "cn-hangzhou", pool="hz")
    assert (str(vpc.cidr), m.allocations[vpc.allocations[0]].created_by) == ("10.0.0.0/24", "biz")
    m.create_allocation(OWNER, "hz", mask=24, name="reserved")
    assert [p.id for p in m.list_pools("biz")] == ["hz"]
    assert m.list_pools("sandbox") == []
    m.update_pool("biz", "hz", name="shared hz")
    before = m.fingerprint()
    for call, args, kwargs in [
        (m.delete_pool, ("biz", "hz"), {}),
        (m.update_pool, ("biz", "hz"), {"min_mask": 20}),
        (m.add_pool_cidr, ("biz", "hz"), {"cidr": "10.1.0.0/16"}),
        (m.delete_allocation, ("biz", "reserved"), {}),
    ]:
        with pytest.raises(DomainError) as err:
            call(*args, **kwargs)
        assert err.value.code == "Forbidden"
    with pytest.raises(DomainError) as err:
        m.create_vpc("sandbox", "vpc-sb", "cn-hangzhou", pool="hz")
    assert err.value.code == "ResourceNotFound.IpamPool"
    with pytest.raises(DomainError) as err:
        m.delete_pool(OWNER, "hz")
    assert (err.value.code, "rs" in err.value.message) == ("DependencyViolation.ShareResource",
                                                           True)
    assert m.fingerprint() == before


def test_after_the_share_is_deleted_allocations_stay_and_the_owner_controls_them():
    w = make_world()
    m = w.model
    share_folder(w)
    vpc = m.create_vpc("biz", "vpc-biz", "cn-hangzhou", pool="hz", mask=24)
    delete_share(w)
    with pytest.raises(DomainError) as err:
        m.create_vpc("biz", "vpc-late", "cn-hangzhou", pool="hz", mask=24)
    assert err.value.code == "ResourceNotFound.IpamPool"
    held = [(a.cidr, a.created_by) for a in m.list_pool_allocations(OWNER, "hz")]
    assert held == [(vpc.cidr, "biz")]
    m.delete_allocation(OWNER, vpc.allocations[0])
    assert m.list_pool_allocations(OWNER, "hz") == []


@pytest.mark.parametrize("end", [delete_share, remove_folder_principal,
                                 move("biz", "Network"), leave_directory("biz")],
                         ids=["share-deleted", "principal-removed", "moved-out", "left-directory"])
def test_after_the_share_ends_a_principal_is_told_the_pool_is_gone_not_the_allocation(end):
    """A principal's own allocation outlives its access: releasing it names the pool.

    The allocation exists (the owner lists it), so the refusal must not say it
    does not exist; the principal no longer sees the pool, so it is refused as
    every request on that pool is, with ``ResourceNotFound.IpamPool``.
    """
    w = make_world()
    m = w.model
    share_folder(w)
    keep = m.create_allocation("biz", "hz", mask=24, name="app-keep")
    vpc = m.create_vpc("biz", "vpc-biz", "cn-hangzhou", pool="hz", mask=24)
    end(w)
    before = m.fingerprint()
    vpc_allocation = vpc.allocations[0]
    for name, what in [("app-keep", "app-keep"), ("10.0.0.0/24", "app-keep"),
                       (vpc_allocation, vpc_allocation), ("10.0.1.0/24", vpc_allocation)]:
        with pytest.raises(DomainError) as err:
            m.delete_allocation("biz", name)
        assert err.value.code == "ResourceNotFound.IpamPool", name
        assert err.value.details == {"pool": "hz", "actor": "biz", "allocation": what,
                                     "owner": OWNER}
        assert "does not exist" not in str(err.value)
        assert f"the allocation {what} that biz made is in the IPAM pool hz" in str(err.value)
        assert f"the pool's owner {OWNER} can release it" in str(err.value)
    assert "deleting the VPC vpc-biz releases it" in str(err.value)
    # an account that never had the pool learns nothing about it
    with pytest.raises(DomainError) as err:
        m.delete_allocation("sandbox", "app-keep")
    assert err.value.code == "ResourceNotFound.IpamPoolAllocation"
    assert m.fingerprint() == before
    assert [a.id for a in m.list_pool_allocations(OWNER, "hz")] == ["app-keep", vpc_allocation]
    assert m.delete_allocation(OWNER, "app-keep") == keep
    m.delete_vpc("biz", "vpc-biz")                      # deleting its VPC releases the rest
    assert m.list_pool_allocations(OWNER, "hz") == []


# -- audit -------------------------------------------------------------------------------

def test_audit_has_one_row_per_account_pool_and_action():
    w = make_world()
    invite_partner(w)
    w.shares.associate(OWNER, "rs", principals=["folder:Business"])
    accounts = [OWNER, "biz", "sandbox", "partner"]
    frame = audit(w.org, w.shares, [w.pool], accounts)
    assert tuple(frame.columns) == AUDIT_FIELDS
    assert len(frame) == len(accounts) * len(MATRIX)
    assert frame["allowed"].dtype == bool
    for rec in frame.itertuples(index=False):
        d = decide(w.org, w.shares, rec.account, w.pool, rec.action)
        assert (rec.allowed, rec.code, rec.reason) == (d.allowed, d.code, d.reason)
    allowed = frame.groupby("account")["allowed"].sum().to_dict()
    grants = sum(row.principal != "no" for row in MATRIX)
    assert allowed == {OWNER: len(MATRIX), "biz": grants, "sandbox": 0, "partner": 0}
    small = audit(w.org, w.shares, [w.pool], ["biz"], ["create_vpc", "delete_ipam_pool"])
    assert small[["action", "api", "allowed", "code"]].values.tolist() == [
        ["create_vpc", "CreateVpc", True, None],
        ["delete_ipam_pool", "DeleteIpamPool", False, "Forbidden"]]


def test_an_empty_audit_is_an_empty_frame_with_the_columns():
    w = make_world()
    frame = audit(w.org, w.shares, [], ["biz"])
    assert (len(frame), tuple(frame.columns)) == (0, AUDIT_FIELDS)
    assert frame["allowed"].dtype == bool
