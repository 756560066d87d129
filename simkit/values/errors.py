"""Exceptions and the registry of error codes.

Two kinds of failure exist in simkit:

* a **domain error** (:class:`DomainError`) is what the cloud would answer to
  a request it refuses: it carries one of the codes of :data:`ERROR_CODES`
  (``OperationDenied.AvailableCidrInsufficient``, ``Forbidden``...).  The
  engine records it as an event; scenarios can expect it.
* a **usage error** (:class:`ScenarioError` and friends) is a malformed input
  or a misuse of the Python API.

Every exception raised on purpose by simkit derives from :class:`SimkitError`.

Examples
--------
>>> err = DomainError("OperationDenied.AvailableCidrInsufficient", pool="corp", mask=24)
>>> err.code
'OperationDenied.AvailableCidrInsufficient'
>>> err.http_status
400
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "ERROR_CODES",
    "DomainError",
    "ErrorCode",
    "ScenarioError",
    "SimkitError",
    "StateError",
    "StateFileError",
    "UsageError",
    "error_code",
]


class SimkitError(Exception):
    """Root of every exception simkit raises on purpose."""


class UsageError(SimkitError, ValueError):
    """The Python API was called with values it cannot accept."""


class StateError(UsageError):
    """A saved state (the plain data a ``to_state`` method writes) is not one it would write.

    The message names the place in the state and the rule, e.g.
    ``state.model.pools[2].pool.owner must be of type str, not 5``.
    """


class StateFileError(UsageError):
    """A saved simulation state cannot be written, or read back (see :mod:`simkit.engine.persist`).

    Attributes
    ----------
    path : the state file.
    problem : what is wrong with it, stated for the user.
    """

    def __init__(self, path: str, problem: str):
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")


class ScenarioError(SimkitError):
    """A scenario file (or document) is not a valid scenario.

    Attributes
    ----------
    file, line : where the problem is (``line`` is 1-based, or None).
    reason : what is wrong, stated for the user.
    """

    def __init__(self, reason: str, *, file: str | None = None, line: int | None = None):
        self.reason = reason
        self.file = file
        self.line = line
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = self.file or "<scenario>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class ErrorCode:
    """One entry of the error-code registry.

    ``source`` is ``"cloud"`` for a code the cloud documents and ``"simkit"``
    for one simkit defines where the documentation is silent.
    """

    code: str
    http_status: int
    template: str
    source: str = "cloud"


def _codes(*entries: ErrorCode) -> dict[str, ErrorCode]:
    return {e.code: e for e in entries}


#: Every error code a domain operation can return, keyed by code.
ERROR_CODES: dict[str, ErrorCode] = _codes(
    # -- visibility and permission -----------------------------------------------------
    ErrorCode("Forbidden", 403, "{actor} may not {action}: {reason}"),
    ErrorCode("ResourceNotFound.IpamPool", 404,
              "the IPAM pool {pool} does not exist or is not visible to {actor}"),
    ErrorCode("ResourceNotFound.IpamPoolAllocation", 404,
              "the allocation {allocation} does not exist"),
    ErrorCode("ResourceNotFound.IpamPoolCidr", 404,
              "{cidr} is not a provisioned CIDR of pool {pool}"),
    ErrorCode("ResourceNotFound.IpamScope", 404, "the IPAM scope {scope} does not exist"),
    ErrorCode("ResourceNotFound.Ipam", 404, "the IPAM {ipam} does not exist"),
    ErrorCode("ResourceNotFound.Vpc", 404, "the VPC {vpc} does not exist", "simkit"),
    ErrorCode("ResourceNotFound.ResourceShare", 404,
              "the resource share {share} does not exist", "simkit"),
    ErrorCode("ResourceNotFound.ResourceShareAssociation", 404,
              "{item} is not associated with the resource share {share}", "simkit"),
    ErrorCode("ResourceNotFound.Invitation", 404,
              "{actor} has no pending invitation to the resource share {share}", "simkit"),
    ErrorCode("ResourceNotFound.Account", 404,
              "the account {account} is not a member of the resource directory", "simkit"),
    ErrorCode("ResourceNotFound.Folder", 404, "the folder {folder} does not exist", "simkit"),
    # -- parameters --------------------------------------------------------------------
    ErrorCode("MissingParam.CidrOrCidrMask", 400,
              "pool {pool} has no default mask: give a CIDR or a mask"),
    ErrorCode("MissingParam.Ipv4IpamPoolId", 400,
              "VPC {vpc}: a mask needs a pool to draw from; give the pool, or the VPC's CIDR",
              "simkit"),
    ErrorCode("MissingParam.Ipv6IpamPoolId", 400,
              "VPC {vpc}: an IPv6 mask or CIDR needs an IPv6 pool to draw from; give "
              "ipv6_pool", "simkit"),
    ErrorCode("MissingParam.PoolRegionId", 400,
              "pool {pool} is a public top-level IPv6 pool: give it a region (the cloud hands "
              "out IPv6 space per region and ISP line)", "simkit"),
    ErrorCode("IllegalParam.CidrMask", 400,
              "the mask {mask} is outside 0..{max_mask} for IPv{version}"),
    ErrorCode("InvalidParameter", 400, "{value!r} is not a valid CIDR: {reason}"),
    ErrorCode("Mismatch.IpVersionAndIpamPoolIpVersion", 400,
              "{cidr} is IPv{version} but pool {pool} is IPv{pool_version}"),
    # -- operation denied --------------------------------------------------------------
    ErrorCode("OperationDenied.MaskOfCidrIsNotAllowed", 400,
              "the mask /{mask} is outside the allocation rules of pool {pool} "
              "(/{min_mask} to /{max_mask})"),
    ErrorCode("OperationDenied.AvailableCidrInsufficient", 400,
              "pool {pool} has no free /{mask} block"),
    ErrorCode("OperationDenied.CidrUnavailableInPool", 400,
              "{cidr} is not free in pool {pool}: {reason}"),
    ErrorCode("OperationDenied.RequestRegionInvalid", 400,
              "the request region {region} differs from the region {pool_region} of pool {pool}"),
    ErrorCode("OperationDenied.IpamPoolNotInRegion", 400,
              "pool {pool} has no region, so VPCs cannot draw from it"),
    ErrorCode("OperationDenied.IpamPoolAllocationExist", 400,
              "{cidr} of pool {pool} still holds allocations"),
    ErrorCode("OperationDenied.ResourceTypeIsNotCustom", 400,
              "the allocation {allocation} is of type {type}: only VPC and Custom "
              "allocations are released this way"),
    ErrorCode("OperationDenied.DeleteDefaultScope", 400,
              "the default scope {scope} cannot be deleted"),
    ErrorCode("OperationDenied.CidrConflict", 400,
              "{cidr} overlaps {other} of pool {other_pool} in the same scope", "simkit"),
    ErrorCode("OperationDenied.ExitNotSupported", 400,
              "a principal cannot leave an IPAM-pool resource share", "simkit"),
    ErrorCode("OperationDenied.ExternalNotAllowed", 400,
              "the share {share} does not allow external principals such as {principal}",
              "simkit"),
    ErrorCode("OperationDenied.AutoImportNeedsRegion", 400,
              "pool {pool} has no region, so auto import cannot be turned on", "simkit"),
    ErrorCode("OperationDenied.RegionNotOperating", 400,
              "{region} is not an operating region of IPAM {ipam}", "simkit"),
    ErrorCode("OperationDenied.RegionMismatch", 400,
              "a child pool inherits the region {source_region} of its source, not {region}",
              "simkit"),
    ErrorCode("OperationDenied.ScopeMismatch", 400,
              "a child pool lives in the scope {source_scope} of its source {source}, "
              "not in {scope}", "simkit"),
    ErrorCode("OperationDenied.IpVersionNotInScope", 400,
              "scope {scope} holds IPv{scope_version} pools only, so pool {pool} cannot be "
              "IPv{version} (private scopes hold IPv4, the public scope IPv6)", "simkit"),
    ErrorCode("OperationDenied.PublicTopLevelPoolByCidr", 400,
              "pool {pool} is a public top-level IPv6 pool: the cloud hands out its block, so "
              "provision it by mask", "simkit"),
    ErrorCode("OperationDenied.TopLevelPoolByMask", 400,
              "pool {pool} is a top-level pool: it is provisioned by explicit CIDR only",
              "simkit"),
    ErrorCode("OperationDenied.VpcExist", 400, "the VPC {vpc} already exists", "simkit"),
    ErrorCode("OperationDenied.ResourceExist", 400, "{kind} {id} already exists", "simkit"),
    ErrorCode("OperationDenied.RemoveManagementAccount", 400,
              "{account} is the management account: it cannot leave its resource directory",
              "simkit"),
    ErrorCode("DependencyViolation.ShareResource", 400,
              "pool {pool} is still shared through {shares}"),
    ErrorCode("DependencyViolation.IpamPool", 400, "pool {pool} still has child pools"),
    ErrorCode("DependencyViolation.PoolCidr", 400, "pool {pool} still has provisioned CIDRs"),
    ErrorCode("DependencyViolation.CustomPoolAllocation", 400,
              "pool {pool} still has custom allocations"),
    ErrorCode("DependencyViolation.SubCidr", 400,
              "{cidr} of pool {pool} still holds the CIDR of a child pool"),
    # -- the wire (simkit serve): requests refused before any operation runs -----------
    ErrorCode("InvalidAction.NotFound", 404, "{action} is not an action of version {version}"),
    ErrorCode("MissingParameter", 400, "the request lacks the required parameter {name}"),
    ErrorCode("InvalidParameter.Value", 400, "{name}: {reason}", "simkit"),
    ErrorCode("InvalidAccessKeyId.NotFound", 404, "the access key {key} does not exist"),
    ErrorCode("SignatureDoesNotMatch", 400, "the signature of the request does not match"),
    ErrorCode("DryRunOperation", 400, "the request would have succeeded (DryRun)"),
    ErrorCode("InvalidRequest.Malformed", 400, "{reason}", "simkit"),
    ErrorCode("InvalidRequest.TooLarge", 413, "{reason}", "simkit"),
)


def error_code(code: str) -> ErrorCode:
    """Return the registry entry of ``code``.

    ``QuotaExceeded.<Name>`` codes are built from the quota table, so every
    quota has its code without a second list.
    """
    try:
        return ERROR_CODES[code]
    except KeyError:
        if code.startswith("QuotaExceeded."):
            return ErrorCode(code, 400, "{message}", "simkit")
        raise UsageError(f"{code!r} is not a registered error code") from None


class DomainError(SimkitError):
    """A request the modelled cloud refuses.

    Parameters
    ----------
    code : a code of :data:`ERROR_CODES` (or ``QuotaExceeded.<Name>``).
    message : the text; by default the registry's template filled with ``details``.
    **details : the offending values; kept as ``self.details``.
    """

    def __init__(self, code: str, message: str | None = None, **details: Any):
        entry = error_code(code)
        self.code = code
        self.http_status = entry.http_status
        self.details = details
        if message is None:
            try:
                message = entry.template.format(**details)
            except (KeyError, IndexError):
                message = entry.template
        self.message = message
        super().__init__(f"{code}: {message}")


# The exceptions are public as ``simkit.DomainError`` etc.: say so in tracebacks and pickles.
for _cls in (SimkitError, UsageError, StateFileError, ScenarioError, DomainError):
    _cls.__module__ = "simkit"
del _cls
