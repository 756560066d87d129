"""The quota table and the error-code registry."""

from __future__ import annotations

import pytest

from simkit.values.errors import ERROR_CODES, DomainError, UsageError, error_code
from simkit.values.quotas import QUOTAS, Quotas


def test_defaults_are_the_documented_figures():
    q = Quotas()
    assert {k: q[k] for k in ("rd_folders", "rd_members", "pool_depth", "child_pools_per_pool",
                              "pools_per_scope", "cidrs_per_pool", "secondary_cidrs_per_vpc",
                              "shares_per_pool", "pools_shared_per_account",
                              "resources_per_request", "principals_per_request",
                              "scopes_per_ipam", "folder_depth")} == {
        "rd_folders": 100, "rd_members": 20, "pool_depth": 10, "child_pools_per_pool": 50,
        "pools_per_scope": 500, "cidrs_per_pool": 50, "secondary_cidrs_per_vpc": 5,
        "shares_per_pool": 100, "pools_shared_per_account": 100, "resources_per_request": 5,
        "principals_per_request": 5, "scopes_per_ipam": 5, "folder_depth": 5}


def test_raised_quota_and_its_error():
    q = Quotas({"rd_members": 200})
    q.check("rd_members", 199, subject="the resource directory")
    with pytest.raises(DomainError, match=r"quota rd_members = 200; raise it with") as err:
        q.check("rd_members", 200, subject="the resource directory")
    assert err.value.code == "QuotaExceeded.RdMembers"
    assert err.value.details["limit"] == 200


@pytest.mark.parametrize("bad", [{"no_such": 1}, {"rd_members": -1}, {"rd_members": "many"},
                                 {"rd_members": True}])
def test_bad_quota_overrides_are_refused(bad):
    with pytest.raises(UsageError):
        Quotas(bad)


def test_registry_codes_follow_family_detail():
    for code, entry in ERROR_CODES.items():
        assert entry.code == code
        # the cloud's own codes without a family (the last three: the wire's, simkit serve)
        assert code in ("Forbidden", "InvalidParameter", "MissingParameter",
                        "SignatureDoesNotMatch", "DryRunOperation") or "." in code
        assert entry.source in ("cloud", "simkit")
    for quota in QUOTAS.values():
        assert error_code(quota.code).code == quota.code
    with pytest.raises(UsageError):
        DomainError("NoSuch.Code")
