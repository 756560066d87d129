"""Resource shares, associations and invitations (DOMAIN.md 4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from conftest import org_from_spec

from simkit.model.org import Organisation, Principal
from simkit.model.sharing import INVITATION_VALIDITY, Invitation, ResourceShare, Shares
from simkit.values.errors import DomainError, UsageError
from simkit.values.quotas import QUOTAS, Quotas

START = datetime(2026, 1, 1, tzinfo=UTC)

ORG = {
    "management_account": "mgmt",
    "accounts": ["sandbox"],
    "folders": [
        {"name": "Network", "accounts": ["netadmin"]},
        {"name": "Business", "accounts": ["biz"],
         "folders": [{"name": "Retail", "accounts": ["retail-prod", "retail-dev"]}]},
    ],
    "external_accounts": ["partner", "vendor"],
}

#: pool -> owner, as the IPAM model would answer.
POOLS = {"hz": "netadmin", "sh": "netadmin", "lab": "sandbox"}

#: Codes the tests of this module observed; checked at the end.
SEEN: set[str] = set()


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def org() -> Organisation:
    return org_from_spec(ORG)


@pytest.fixture
def shares(org: Organisation, clock: Clock) -> Shares:
    return Shares(org, POOLS.get, clock=clock)


def refused(shares: Shares, code: str, call, *args, match: str | None = None, **kwargs):
    """Run a call that must fail with ``code`` and change neither shares nor org."""
    before = (shares.fingerprint(), shares.org.fingerprint())
    with pytest.raises(DomainError, match=match) as err:
        call(*args, **kwargs)
    assert err.value.code == code
    assert (shares.fingerprint(), shares.org.fingerprint()) == before
    SEEN.add(code)
    return err.value


def seers(shares: Shares, pool: str) -> list[str]:
    """Every declared account that sees ``pool`` through a share, sorted."""
    org = shares.org
    return sorted(a for a in [*org.members(), *org.externals()] if shares.sees(a, pool))


# -- creating and associating ------------------------------------------------------------

def test_principals_inside_the_directory_are_associated_at_once(shares, clock):
    share = shares.create("netadmin", "rs-biz", ["hz"], ["folder:Business", "sandbox"])
    assert isinstance(share, ResourceShare)
    assert (share.id, share.owner, share.resources, share.status, share.created_at,
            share.allow_external) == ("rs-biz", "netadmin", ["hz"], "Active", START, False)
    assert share.principals == [Principal("folder", "Business"), Principal("account", "sandbox")]
    assert seers(shares, "hz") == ["biz", "retail-dev", "retail-prod", "sandbox"]
    assert seers(shares, "sh") == []
    assert shares.invitations() == []


def test_a_sub_folder_and_the_whole_directory_as_principals(shares):
    shares.create("netadmin", "rs-retail", ["hz"], ["folder:Retail"])
    shares.create("netadmin", "rs-all", ["sh"], ["rd"])
    assert seers(shares, "hz") == ["retail-dev", "retail-prod"]
    # rd covers every member, the owner included (ownership is the permission layer's business)
    assert seers(shares, "sh") == ["biz", "mgmt", "netadmin", "retail-dev", "retail-prod",
                                   "sandbox"]
    assert "partner" not in seers(shares, "sh")


def test_an_external_account_sees_the_pool_only_after_accepting(shares, clock):
    shares.create("netadmin", "rs-p", ["hz"], ["partner", "biz"], allow_external=True)
    assert shares.invitations() == [Invitation("rs-p", "partner", START, "Pending")]
    assert seers(shares, "hz") == ["biz"]
    clock.advance(days=2)
    accepted = shares.accept("partner", "rs-p")
    assert accepted == Invitation("rs-p", "partner", START, "Accepted")
    assert seers(shares, "hz") == ["biz", "partner"]
    assert shares.invitations("partner") == [accepted]
    assert shares.invitations("biz") == []


def test_a_rejected_invitation_gives_no_access_and_cannot_be_accepted(shares):
    shares.create("netadmin", "rs-p", ["hz"], ["partner"], allow_external=True)
    assert shares.reject("partner", "rs-p").status == "Rejected"
    assert not shares.sees("partner", "hz")
    refused(shares, "ResourceNotFound.Invitation", shares.accept, "partner", "rs-p",
            match="already rejected")
    refused(shares, "ResourceNotFound.Invitation", shares.reject, "partner", "rs-p",
            match="already rejected")


def test_an_accepted_invitation_cannot_be_accepted_or_rejected_again(shares):
    shares.create("netadmin", "rs-p", ["hz"], ["partner"], allow_external=True)
    shares.accept("partner", "rs-p")
    refused(shares, "ResourceNotFound.Invitation", shares.accept, "partner", "rs-p",
            match="already accepted")
    refused(shares, "ResourceNotFound.Invitation", shares.reject, "partner", "rs-p")
    assert shares.sees("partner", "hz")


def test_an_invitation_is_still_open_one_second_before_seven_days(shares, clock):
    shares.create("netadmin", "rs-p", ["hz"], ["partner"], allow_external=True)
    clock.now = START + timedelta(days=7) - timedelta(seconds=1)
    assert [i.status for i in shares.invitations()] == ["Pending"]
    shares.accept("partner", "rs-p")
    assert shares.sees("partner", "hz")


def test_an_invitation_expires_exactly_seven_days_after_it_was_sent(shares, clock):
    assert timedelta(days=7) == INVITATION_VALIDITY
    clock.advance(hours=5)
    shares.create("netadmin", "rs-p", ["hz"], ["partner"], allow_external=True)
    clock.now = START + timedelta(days=7, hours=5)
    assert shares.invitations() == [
        Invitation("rs-p", "partner", START + timedelta(hours=5), "Expired")]
    err = refused(shares, "ResourceNotFound.Invitation", shares.accept, "partner", "rs-p",
                  match="expired on 2026-01-08T05:00:00")
    assert err.details["expired_at"] == START + timedelta(days=7, hours=5)
    refused(shares, "ResourceNotFound.Invitation", shares.reject, "partner", "rs-p",
            match="expired")
    assert not shares.sees("partner", "hz")


def test_an_expired_or_rejected_external_is_invited_again_by_associating_it(shares, clock):
    shares.create("netadmin", "rs-p", ["hz"], ["partner", "vendor"], allow_external=True)
    shares.reject("vendor", "rs-p")
    clock.advance(days=8)
    shares.associate("netadmin", "rs-p", principals=["partner", "vendor"])
    assert shares.invitations() == [Invitation("rs-p", "partner", clock.now, "Pending"),
                                    Invitation("rs-p", "vendor", clock.now, "Pending")]
    shares.accept("vendor", "rs-p")
    assert seers(shares, "hz") == ["vendor"]


def test_associating_what_is_already_associated_changes_nothing(shares):
    shares.create("netadmin", "rs-p", ["hz"], ["partner", "biz"], allow_external=True)
    before = shares.fingerprint()
    shares.associate("netadmin", "rs-p", resources=["hz"], principals=["partner", "account:biz"])
    assert shares.fingerprint() == before


def test_associate_adds_resources_and_principals(shares):
    shares.create("netadmin", "rs", [], [])
    assert seers(shares, "hz") == []
    shares.associate("netadmin", "rs", resources=["hz", "sh"], principals=["folder:Retail"])
    shares.associate("netadmin", "rs", principals=["sandbox"])
    assert shares.get("rs").resources == ["hz", "sh"]
    assert seers(shares, "sh") == ["retail-dev", "retail-prod", "sandbox"]
    assert shares.pools_shared_with("retail-dev") == ["hz", "sh"]
    assert shares.active_shares_of("hz") == ["rs"]


def test_names_are_given_as_lists(shares):
    with pytest.raises(UsageError, match=r"\['rd'\]"):
        shares.create("netadmin", "rs", ["hz"], "rd")
    with pytest.raises(UsageError, match="resources"):
        shares.create("netadmin", "rs", "hz", [])
    assert len(shares) == 0


def test_repeated_names_in_a_request_count_once(shares):
    share = shares.create("netadmin", "rs", ["hz", "hz"], ["biz", "account:biz"])
    assert (share.resources, share.principals) == (["hz"], [Principal("account", "biz")])


# -- refusals ---------------------------------------------------------------------------

def test_only_pools_of_the_caller_can_be_shared(shares):
    refused(shares, "ResourceNotFound.IpamPool", shares.create, "netadmin", "rs", ["lab"], [])
    refused(shares, "ResourceNotFound.IpamPool", shares.create, "netadmin", "rs", ["nope"], [])
    shares.create("netadmin", "rs", ["hz"], [])
    refused(shares, "ResourceNotFound.IpamPool", shares.associate, "netadmin", "rs",
            resources=["lab"])
    assert "rs" in shares


def test_a_live_share_id_is_taken_and_a_deleted_one_is_free_again(shares):
    shares.create("netadmin", "rs", ["hz"], ["partner"], allow_external=True)
    shares.accept("partner", "rs")
    refused(shares, "OperationDenied.ResourceExist", shares.create, "sandbox", "rs", ["lab"], [])
    shares.delete("netadmin", "rs")
    again = shares.create("sandbox", "rs", ["lab"], ["partner"], allow_external=True)
    assert (again.owner, again.resources, again.status) == ("sandbox", ["lab"], "Active")
    # the deleted share's accepted invitation does not carry over to the new share
    assert [(i.share, i.account, i.status) for i in shares.invitations()] == [
        ("rs", "partner", "Pending")]
    assert not shares.sees("partner", "lab") and not shares.sees("partner", "hz")


OWNER_ONLY = [("associate", {"principals": ["sandbox"]}),
              ("associate", {"resources": ["hz"]}),
              ("disassociate", {"principals": ["folder:Retail"]}),
              ("disassociate", {"resources": ["hz"]}),
              ("disassociate", {"principals": ["biz", "folder:Retail"]}),  # itself and others
              ("disassociate", {"resources": ["hz"], "principals": ["biz"]}),
              ("disassociate", {}),
              ("delete", {})]


@pytest.mark.parametrize(("op", "kwargs"), OWNER_ONLY)
def test_only_the_owner_manages_a_share_a_principal_is_forbidden(shares, op, kwargs):
    shares.create("netadmin", "rs", ["hz"], ["biz", "folder:Retail", "partner"],
                  allow_external=True)
    call = getattr(shares, op)
    err = refused(shares, "Forbidden", call, "biz", "rs", **kwargs)
    assert err.details["action"] == f"{op}_resource_share"
    assert "only its owner netadmin" in str(err)
    refused(shares, "Forbidden", call, "retail-dev", "rs", **kwargs)    # through the folder
    # invited, pending: it sees the share but not yet the pool
    refused(shares, "ResourceNotFound.IpamPool" if "resources" in kwargs else "Forbidden",
            call, "partner", "rs", **kwargs)
    shares.accept("partner", "rs")
    refused(shares, "Forbidden", call, "partner", "rs", **kwargs)       # accepted


@pytest.mark.parametrize(("op", "kwargs"), OWNER_ONLY)
def test_an_account_the_share_does_not_reach_does_not_see_it(shares, org, op, kwargs):
    shares.create("netadmin", "rs", ["hz"], ["biz", "folder:Retail"])
    call = getattr(shares, op)
    for account in ("sandbox", "vendor", "mgmt"):
        err = refused(shares, "ResourceNotFound.ResourceShare", call, account, "rs", **kwargs)
        assert "does not exist" in str(err)
    refused(shares, "ResourceNotFound.ResourceShare", call, "netadmin", "rs-none", **kwargs)
    org.move_account("mgmt", "retail-dev", "Network")        # out of the folder: not reached
    refused(shares, "ResourceNotFound.ResourceShare", call, "retail-dev", "rs", **kwargs)
    assert seers(shares, "hz") == ["biz", "retail-prod"]


def test_unknown_principals_are_refused(shares):
    refused(shares, "ResourceNotFound.Account", shares.create, "netadmin", "rs", ["hz"],
            ["biz", "ghost"])
    refused(shares, "ResourceNotFound.Account", shares.create, "netadmin", "rs", ["hz"],
            ["account:ghost"])
    refused(shares, "ResourceNotFound.Folder", shares.create, "netadmin", "rs", ["hz"],
            ["folder:Nowhere"])
    shares.create("netadmin", "rs", ["hz"], [])
    refused(shares, "ResourceNotFound.Folder", shares.associate, "netadmin", "rs",
            principals=["folder:Business/Nowhere"])


def test_external_principals_need_allow_external(shares):
    refused(shares, "OperationDenied.ExternalNotAllowed", shares.create, "netadmin", "rs",
            ["hz"], ["biz", "partner"], match="partner")
    shares.create("netadmin", "rs", ["hz"], ["biz"])
    refused(shares, "OperationDenied.ExternalNotAllowed", shares.associate, "netadmin", "rs",
            principals=["account:vendor"])
    assert shares.invitations() == []


def test_accept_and_reject_are_for_the_invited_account_only(shares):
    shares.create("netadmin", "rs", ["hz"], ["partner", "biz"], allow_external=True)
    for call in (shares.accept, shares.reject):
        refused(shares, "ResourceNotFound.Invitation", call, "biz", "rs")       # a principal
        refused(shares, "ResourceNotFound.Invitation", call, "netadmin", "rs")  # the owner
        refused(shares, "ResourceNotFound.ResourceShare", call, "vendor", "rs")  # a stranger
        refused(shares, "ResourceNotFound.ResourceShare", call, "partner", "rs-none")
    assert [i.status for i in shares.invitations()] == ["Pending"]


def test_a_principal_cannot_leave_an_ipam_pool_share(shares):
    shares.create("netadmin", "rs", ["hz"], ["folder:Business", "partner", "sandbox"],
                  allow_external=True)
    for account in ("biz", "retail-prod", "partner", "sandbox"):
        for me in (account, f"account:{account}"):
            err = refused(shares, "OperationDenied.ExitNotSupported", shares.disassociate,
                          account, "rs", principals=[me])
            assert f"netadmin can remove {account}" in str(err)
        refused(shares, "OperationDenied.ExitNotSupported", shares.leave, account, "rs")
    shares.accept("partner", "rs")
    refused(shares, "OperationDenied.ExitNotSupported", shares.disassociate, "partner", "rs",
            principals=["partner"])
    # the share must exist and be visible first
    refused(shares, "ResourceNotFound.ResourceShare", shares.disassociate, "mgmt", "rs",
            principals=["mgmt"])
    refused(shares, "ResourceNotFound.ResourceShare", shares.leave, "mgmt", "rs")
    refused(shares, "ResourceNotFound.ResourceShare", shares.disassociate, "biz", "rs-none",
            principals=["biz"])
    shares.delete("netadmin", "rs")
    refused(shares, "ResourceNotFound.ResourceShare", shares.disassociate, "biz", "rs",
            principals=["biz"], match="deleted")
    refused(shares, "ResourceNotFound.ResourceShare", shares.leave, "biz", "rs")


def test_the_owner_naming_itself_is_an_ordinary_disassociation(shares):
    shares.create("netadmin", "rs", ["hz"], ["rd"])
    assert shares.sees("netadmin", "hz")              # rd covers the owner too
    refused(shares, "ResourceNotFound.ResourceShareAssociation", shares.disassociate,
            "netadmin", "rs", principals=["netadmin"])
    shares.associate("netadmin", "rs", principals=["netadmin"])
    shares.disassociate("netadmin", "rs", principals=["netadmin"])
    assert shares.get("rs").principals == [Principal("rd", "")]


def test_sharing_a_pool_seen_through_a_share_is_forbidden(shares):
    shares.create("netadmin", "rs", ["hz"], ["folder:Business"])
    shares.create("biz", "rs-biz", [], ["sandbox"])
    err = refused(shares, "Forbidden", shares.create, "biz", "rs-x", ["hz"], ["sandbox"])
    assert err.details["pool"] == "hz" and "owned by netadmin" in str(err)
    refused(shares, "Forbidden", shares.associate, "biz", "rs-biz", resources=["hz"])
    refused(shares, "Forbidden", shares.disassociate, "biz", "rs-biz", resources=["hz"])
    # a pool it cannot see is not found, even beside one it sees, and before Forbidden
    for pool in ("sh", "lab", "nope"):
        refused(shares, "ResourceNotFound.IpamPool", shares.create, "biz", "rs-x",
                ["hz", pool], [])
        refused(shares, "ResourceNotFound.IpamPool", shares.associate, "biz", "rs-biz",
                resources=["hz", pool])
    # an unknown principal is not found before the pool is forbidden
    refused(shares, "ResourceNotFound.Account", shares.create, "biz", "rs-x", ["hz"],
            ["ghost"])
    # once the share no longer reaches biz, hz is a pool it cannot see
    shares.disassociate("netadmin", "rs", principals=["folder:Business"])
    refused(shares, "ResourceNotFound.IpamPool", shares.create, "biz", "rs-x", ["hz"], [])
    assert [s.id for s in shares.all()] == ["rs", "rs-biz"]


def test_disassociating_what_is_not_associated_is_refused(shares):
    shares.create("netadmin", "rs", ["hz"], ["biz"])
    refused(shares, "ResourceNotFound.ResourceShareAssociation", shares.disassociate,
            "netadmin", "rs", resources=["sh"])
    refused(shares, "ResourceNotFound.ResourceShareAssociation", shares.disassociate,
            "netadmin", "rs", resources=["hz"], principals=["sandbox"], match="sandbox")
    refused(shares, "ResourceNotFound.IpamPool", shares.disassociate, "netadmin", "rs",
            resources=["lab"])


# -- what changes access -----------------------------------------------------------------

def test_disassociating_a_principal_or_a_resource_removes_access_at_once(shares):
    shares.create("netadmin", "rs", ["hz", "sh"], ["folder:Business", "sandbox", "partner"],
                  allow_external=True)
    shares.accept("partner", "rs")
    shares.disassociate("netadmin", "rs", principals=["folder:Business", "partner"])
    assert seers(shares, "hz") == ["sandbox"]
    assert shares.invitations() == []            # the external's invitation is withdrawn
    refused(shares, "ResourceNotFound.ResourceShare", shares.accept, "partner", "rs")
    shares.disassociate("netadmin", "rs", resources=["hz"])
    assert seers(shares, "hz") == [] and seers(shares, "sh") == ["sandbox"]
    assert shares.active_shares_of("hz") == []


def test_folder_principals_follow_moves_and_removals(shares, org):
    shares.create("netadmin", "rs", ["hz"], ["folder:Business"])
    org.move_account("mgmt", "sandbox", "Business/Retail")
    org.move_account("mgmt", "biz", "Network")
    assert seers(shares, "hz") == ["retail-dev", "retail-prod", "sandbox"]
    org.remove_account("mgmt", "retail-dev")
    assert seers(shares, "hz") == ["retail-prod", "sandbox"]


def test_a_member_account_principal_loses_access_when_it_leaves_the_directory(shares, org):
    shares.create("netadmin", "rs", ["hz"], ["biz"], allow_external=True)
    org.move_account("mgmt", "biz", "Network")     # an account principal follows no folder
    assert shares.sees("biz", "hz")
    org.remove_account("mgmt", "biz")
    assert not shares.sees("biz", "hz")
    assert shares.invitations() == []
    # named again now that it is external: it gets an invitation
    shares.associate("netadmin", "rs", principals=["biz"])
    assert [(i.account, i.status) for i in shares.invitations()] == [("biz", "Pending")]
    shares.accept("biz", "rs")
    assert shares.sees("biz", "hz")


def test_an_external_that_accepted_keeps_access_whatever_the_directory_does(shares, org):
    shares.create("netadmin", "rs", ["hz"], ["partner"], allow_external=True)
    shares.accept("partner", "rs")
    org.add_folder("Partners")
    assert shares.sees("partner", "hz")


def test_a_deleted_share_stays_listed_and_grants_nothing(shares):
    shares.create("netadmin", "rs", ["hz"], ["rd", "partner"], allow_external=True)
    shares.create("netadmin", "rs-2", ["sh"], ["biz"])
    shares.accept("partner", "rs")
    before_invitations = shares.invitations()
    shares.delete("netadmin", "rs")
    assert [(s.id, s.status) for s in shares.all()] == [("rs", "Deleted"), ("rs-2", "Active")]
    assert shares.get("rs").resources == ["hz"]       # nothing else changes
    assert shares.invitations() == before_invitations
    assert seers(shares, "hz") == [] and seers(shares, "sh") == ["biz"]
    assert shares.active_shares_of("hz") == []
    for call, kwargs in [(shares.associate, {"principals": ["sandbox"]}),
                         (shares.disassociate, {"principals": ["rd"]}),
                         (shares.delete, {})]:
        refused(shares, "ResourceNotFound.ResourceShare", call, "netadmin", "rs",
                match="deleted", **kwargs)


def test_an_invitation_to_a_deleted_share_cannot_be_accepted(shares):
    shares.create("netadmin", "rs", ["hz"], ["partner"], allow_external=True)
    shares.delete("netadmin", "rs")
    refused(shares, "ResourceNotFound.ResourceShare", shares.accept, "partner", "rs")


def test_pools_shared_with_an_account_leave_out_its_own_pools(shares):
    shares.create("netadmin", "rs", ["hz", "sh"], ["rd"])
    shares.create("sandbox", "rs-lab", ["lab"], ["rd"])
    assert shares.pools_shared_with("biz") == ["hz", "lab", "sh"]
    assert shares.pools_shared_with("netadmin") == ["lab"]
    assert shares.pools_shared_with("partner") == []


# -- quotas --------------------------------------------------------------------------------

def many_pools(n: int, owner: str = "netadmin") -> dict[str, str]:
    return {f"p{i:03d}": owner for i in range(n)}


def chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


@pytest.mark.parametrize("key, code", [("resources_per_request", "ResourcesPerRequest"),
                                       ("principals_per_request", "PrincipalsPerRequest")])
def test_a_request_names_at_most_the_quota_of_resources_and_principals(org, clock, key, code):
    pools = many_pools(7)
    limit = QUOTAS[key].default
    assert limit == 5
    accounts = ["mgmt", "sandbox", "biz", "retail-prod", "retail-dev", "netadmin"]
    names = {"resources_per_request": (list(pools)[:limit + 1], ["biz"]),
             "principals_per_request": (["p000"], accounts[:limit + 1])}[key]
    shares = Shares(org, pools.get, clock=clock)
    refused(shares, f"QuotaExceeded.{code}", shares.create, "netadmin", "rs", *names,
            match=f"{key} = {limit}")
    shares.create("netadmin", "rs", [], [])
    refused(shares, f"QuotaExceeded.{code}", shares.associate, "netadmin", "rs", *names)
    fitting = (names[0][:limit], names[1][:limit])
    shares.associate("netadmin", "rs", *fitting)
    shares.disassociate("netadmin", "rs", *fitting)
    raised = Shares(org, pools.get, Quotas({key: limit + 1}), clock=clock)
    raised.create("netadmin", "rs", *names)
    assert len(raised.get("rs").resources) + len(raised.get("rs").principals) == limit + 2


def test_disassociate_requests_obey_the_request_quotas_too(org, clock):
    pools = many_pools(6)
    shares = Shares(org, pools.get, Quotas({"resources_per_request": 6}), clock=clock)
    shares.create("netadmin", "rs", list(pools), [])
    strict = shares.copy()
    strict.quotas = Quotas()
    refused(strict, "QuotaExceeded.ResourcesPerRequest", strict.disassociate, "netadmin", "rs",
            resources=list(pools))


def test_a_pool_is_in_at_most_100_shares(org, clock):
    limit = QUOTAS["shares_per_pool"].default
    assert limit == 100
    shares = Shares(org, POOLS.get, clock=clock)
    for i in range(limit):
        shares.create("netadmin", f"rs-{i}", ["hz"], [])
    refused(shares, "QuotaExceeded.SharesPerPool", shares.create, "netadmin", "rs-x", ["hz"], [],
            match="pool hz")
    shares.create("netadmin", "rs-x", [], [])
    refused(shares, "QuotaExceeded.SharesPerPool", shares.associate, "netadmin", "rs-x",
            resources=["sh", "hz"])
    shares.delete("netadmin", "rs-0")             # a deleted share no longer counts
    shares.associate("netadmin", "rs-x", resources=["sh", "hz"])
    assert len(shares.active_shares_of("hz")) == limit


def test_the_shares_per_pool_quota_can_be_raised_or_lowered(org, clock):
    shares = Shares(org, POOLS.get, Quotas({"shares_per_pool": 2}), clock=clock)
    shares.create("netadmin", "a", ["hz"], [])
    shares.create("netadmin", "b", ["hz"], [])
    refused(shares, "QuotaExceeded.SharesPerPool", shares.create, "netadmin", "c", ["hz"], [])
    raised = Shares(org, POOLS.get, Quotas({"shares_per_pool": 101}), clock=clock)
    for i in range(101):
        raised.create("netadmin", f"rs-{i}", ["hz"], [])
    assert len(raised.active_shares_of("hz")) == 101


def test_an_account_holds_at_most_100_shared_pools(org, clock):
    limit = QUOTAS["pools_shared_per_account"].default
    assert limit == 100
    pools = many_pools(limit + 1)
    shares = Shares(org, pools.get, clock=clock)
    batches = chunks(list(pools)[:limit], 5)
    for i, batch in enumerate(batches):
        shares.create("netadmin", f"rs-{i}", batch, ["folder:Retail"])
    assert len(shares.pools_shared_with("retail-dev")) == limit
    refused(shares, "QuotaExceeded.PoolsSharedPerAccount", shares.create, "netadmin", "rs-x",
            ["p100"], ["rd"], match="account retail-dev")
    # an account that does not reach the quota is still fine
    shares.create("netadmin", "rs-x", ["p100"], ["sandbox"])
    refused(shares, "QuotaExceeded.PoolsSharedPerAccount", shares.associate, "netadmin", "rs-x",
            principals=["retail-prod"])
    # a pool already seen through another share does not count twice
    shares.associate("netadmin", "rs-x", resources=["p000"], principals=["biz"])
    raised = Shares(org, pools.get, Quotas({"pools_shared_per_account": limit + 1}),
                    clock=clock)
    raised.create("netadmin", "all", list(pools)[:5], ["rd"])
    for i, batch in enumerate(chunks(list(pools)[5:], 5)):
        raised.create("netadmin", f"rs-{i}", batch, ["retail-dev"])
    assert len(raised.pools_shared_with("retail-dev")) == limit + 1


def test_accepting_an_invitation_obeys_the_shared_pools_quota(org, clock):
    pools = many_pools(3)
    shares = Shares(org, pools.get, Quotas({"pools_shared_per_account": 2}), clock=clock)
    shares.create("netadmin", "a", ["p000", "p001"], ["partner"], allow_external=True)
    shares.create("netadmin", "b", ["p002"], ["partner"], allow_external=True)
    shares.accept("partner", "a")
    refused(shares, "QuotaExceeded.PoolsSharedPerAccount", shares.accept, "partner", "b")
    assert shares.pools_shared_with("partner") == ["p000", "p001"]


# -- state ----------------------------------------------------------------------------------

def test_copy_is_independent_and_fingerprints_compare_states(shares, org, clock):
    shares.create("netadmin", "rs", ["hz"], ["partner", "biz"], allow_external=True)
    twin = shares.copy()
    assert twin.fingerprint() == shares.fingerprint()
    twin.accept("partner", "rs")
    twin.disassociate("netadmin", "rs", principals=["biz"])
    assert twin.fingerprint() != shares.fingerprint()
    assert shares.get("rs").principals == [Principal("account", "partner"),
                                           Principal("account", "biz")]
    assert [i.status for i in shares.invitations()] == ["Pending"]
    other_org = org.copy()
    moved = shares.copy(org=other_org)
    other_org.remove_account("mgmt", "biz")
    assert shares.sees("biz", "hz") and not moved.sees("biz", "hz")
    hash(shares.fingerprint())


def test_every_sharing_code_was_reached():
    expected = {
        "Forbidden", "ResourceNotFound.IpamPool", "ResourceNotFound.ResourceShare",
        "ResourceNotFound.Invitation", "ResourceNotFound.Account", "ResourceNotFound.Folder",
        "ResourceNotFound.ResourceShareAssociation", "OperationDenied.ResourceExist",
        "OperationDenied.ExternalNotAllowed", "OperationDenied.ExitNotSupported",
        "QuotaExceeded.SharesPerPool", "QuotaExceeded.PoolsSharedPerAccount",
        "QuotaExceeded.ResourcesPerRequest", "QuotaExceeded.PrincipalsPerRequest",
    }
    assert expected <= SEEN, sorted(expected - SEEN)
