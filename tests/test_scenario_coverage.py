"""The scenarios in scenarios/ together exercise every operation and every error code.

Every ``scenarios/*.yaml`` is run once.  The scenario operations (SCENARIO.md)
and the error codes of DOMAIN.md section 5 are written out below, literally:
they are the contract, so they are not derived from the code.  Every code of
the registry (``simkit.values.errors.ERROR_CODES`` and the ``QuotaExceeded.*`` codes
of ``simkit.values.quotas.QUOTAS``) is either reached by a scenario step whose
expectation is met, or listed in :data:`UNREACHABLE` with the reason.  A new
code therefore fails this test until a scenario covers it or it is explained.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import simkit
from simkit.scenario.operations import OPERATIONS
from simkit.values.errors import ERROR_CODES
from simkit.values.quotas import QUOTAS

SCENARIOS = sorted((Path(__file__).parent.parent / "scenarios").glob("*.yaml"))

#: The operations table of the format's first release ("Steps").
OPS = (
    "create_ipam_pool",
    "update_ipam_pool",
    "delete_ipam_pool",
    "add_ipam_pool_cidr",
    "delete_ipam_pool_cidr",
    "create_vpc",
    "associate_vpc_cidr_block",
    "delete_vpc",
    "create_ipam_pool_allocation",
    "delete_ipam_pool_allocation",
    "get_ipam_pool_next_available_cidr",
    "list_ipam_pools",
    "list_ipam_pool_cidrs",
    "list_ipam_pool_allocations",
    "list_ipam_resource_cidrs",
    "create_resource_share",
    "associate_resource_share",
    "disassociate_resource_share",
    "delete_resource_share",
    "accept_resource_share_invitation",
    "reject_resource_share_invitation",
    "move_account",
    "remove_account",
)

#: The documented error codes of DOMAIN.md section 5.
DOMAIN_CODES = (
    "Forbidden",
    "ResourceNotFound.IpamPool",
    "ResourceNotFound.IpamPoolAllocation",
    "ResourceNotFound.IpamPoolCidr",
    "ResourceNotFound.IpamScope",
    "ResourceNotFound.Ipam",
    "MissingParam.CidrOrCidrMask",
    "IllegalParam.CidrMask",
    "InvalidParameter",
    "OperationDenied.MaskOfCidrIsNotAllowed",
    "OperationDenied.AvailableCidrInsufficient",
    "OperationDenied.CidrUnavailableInPool",
    "OperationDenied.RequestRegionInvalid",
    "OperationDenied.IpamPoolNotInRegion",
    "OperationDenied.IpamPoolAllocationExist",
    "OperationDenied.ResourceTypeIsNotCustom",
    "OperationDenied.DeleteDefaultScope",
    "DependencyViolation.ShareResource",
    "DependencyViolation.IpamPool",
    "DependencyViolation.PoolCidr",
    "DependencyViolation.CustomPoolAllocation",
    "DependencyViolation.SubCidr",
    "Mismatch.IpVersionAndIpamPoolIpVersion",
)

#: simkit's own codes (the documentation is silent) that a step reaches.
SIMKIT_CODES = (
    "ResourceNotFound.Vpc",
    "ResourceNotFound.ResourceShare",
    "ResourceNotFound.ResourceShareAssociation",
    "ResourceNotFound.Invitation",
    "ResourceNotFound.Account",
    "OperationDenied.CidrConflict",
    "OperationDenied.ExitNotSupported",
    "OperationDenied.ExternalNotAllowed",
    "OperationDenied.AutoImportNeedsRegion",
    "OperationDenied.ScopeMismatch",
    "OperationDenied.TopLevelPoolByMask",
    "OperationDenied.VpcExist",
    "OperationDenied.ResourceExist",
    "OperationDenied.RemoveManagementAccount",
    "MissingParam.Ipv4IpamPoolId",
)

#: The quotas a step can exceed (with the quota lowered in the scenario).
QUOTA_CODES = (
    "QuotaExceeded.PoolDepth",
    "QuotaExceeded.ChildPoolsPerPool",
    "QuotaExceeded.PoolsPerScope",
    "QuotaExceeded.CidrsPerPool",
    "QuotaExceeded.SecondaryCidrsPerVpc",
    "QuotaExceeded.SharesPerPool",
    "QuotaExceeded.PoolsSharedPerAccount",
    "QuotaExceeded.ResourcesPerRequest",
    "QuotaExceeded.PrincipalsPerRequest",
    "QuotaExceeded.IpamsPerRegion",
    "QuotaExceeded.ScopesPerIpam",
)

#: Codes of the registry that no scenario step reaches, and why.
UNREACHABLE = {
    # No scenario operation deletes a scope.
    "OperationDenied.DeleteDefaultScope",
    # A custom allocation lies inside a provisioned CIDR: DeleteIpamPool fails on
    # DependencyViolation.PoolCidr first, and that CIDR cannot be deprovisioned while
    # the allocation is in it (OperationDenied.IpamPoolAllocationExist).
    "DependencyViolation.CustomPoolAllocation",
    # Folders are fixed by the org section, and the loader refuses a step naming a
    # folder that does not exist (an invalid file, not a step failure).
    "ResourceNotFound.Folder",
    # No operation adds folders or member accounts, and move_account does not create
    # levels: an org section over these quotas is an invalid file.
    "QuotaExceeded.RdFolders",
    "QuotaExceeded.RdMembers",
    "QuotaExceeded.FolderDepth",
    # Refusals of the wire itself (simkit serve), before any operation runs: a step
    # names its operation and arguments in the format, so it never meets them.
    "InvalidAction.NotFound", "MissingParameter", "InvalidParameter.Value",
    "InvalidAccessKeyId.NotFound", "SignatureDoesNotMatch", "DryRunOperation",
    "InvalidRequest.Malformed", "InvalidRequest.TooLarge",
}

#: The DOMAIN.md codes among UNREACHABLE.
DOMAIN_UNREACHABLE = {"OperationDenied.DeleteDefaultScope",
                      "DependencyViolation.CustomPoolAllocation"}


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    """The step events of every scenario, with the file each comes from."""
    frames = []
    for path in SCENARIOS:
        frame = simkit.run(path).events
        frames.append(frame[frame.source == "step"].assign(file=path.name))
    return pd.concat(frames, ignore_index=True)


def _met(frame: pd.DataFrame) -> pd.Series:
    """True where the expectation was met (False where unmet or not judged)."""
    return frame.met.astype("boolean").fillna(False).astype(bool)


def _reached(events: pd.DataFrame) -> set[str]:
    """Codes of error events whose expectation (that very error) was met."""
    hits = events[(events.outcome == "error") & _met(events)
                  & events.expected.fillna("").str.startswith("error: ")]
    return {code for code, expected in zip(hits.error_code, hits.expected, strict=True)
            if expected == f"error: {code}"}


def _registry() -> set[str]:
    return set(ERROR_CODES) | {q.code for q in QUOTAS.values()}


def test_the_contract_lists_are_spelled_as_the_registry():
    assert len(set(OPS)) == len(OPS) == 23
    assert len(set(DOMAIN_CODES)) == len(DOMAIN_CODES) == 23
    assert set(DOMAIN_CODES) <= set(ERROR_CODES)
    assert set(SIMKIT_CODES) <= set(ERROR_CODES) - set(DOMAIN_CODES)
    assert set(QUOTA_CODES) <= {q.code for q in QUOTAS.values()}
    assert UNREACHABLE.issubset(_registry())
    assert DOMAIN_UNREACHABLE <= UNREACHABLE


def test_every_operation_succeeds_in_some_scenario(events):
    assert set(OPS) <= set(OPERATIONS)          # the contract's table, and what grew since
    ok = events[(events.outcome == "ok") & _met(events)]
    missing = sorted(set(OPERATIONS) - set(ok.op))
    assert missing == []


def test_every_reachable_code_is_an_expected_error_in_some_scenario(events):
    wanted = (set(DOMAIN_CODES) - DOMAIN_UNREACHABLE) | set(SIMKIT_CODES) | set(QUOTA_CODES)
    missing = sorted(wanted - _reached(events))
    assert missing == []


def test_the_codes_no_scenario_reaches_are_the_known_unreachable_ones(events):
    not_reached = _registry() - _reached(events)
    assert sorted(not_reached) == sorted(UNREACHABLE)
