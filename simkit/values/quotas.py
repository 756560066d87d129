"""The quota table: every numeric limit simkit enforces, in one place.

Each quota has a snake_case key (what a scenario's ``quotas:`` section and
the Python API use), the documented default, where the figure comes from,
and the ``QuotaExceeded.<Name>`` code its failure carries.

Examples
--------
>>> q = Quotas({"rd_members": 200})
>>> q["rd_members"], q["rd_folders"]
(200, 100)
>>> q.check("child_pools_per_pool", 50, subject="pool corp")
Traceback (most recent call last):
...
simkit.DomainError: QuotaExceeded.ChildPoolsPerPool: pool corp would have 51 child pools...
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from .errors import DomainError, UsageError

__all__ = ["QUOTAS", "Quota", "Quotas"]


@dataclass(frozen=True)
class Quota:
    """One documented limit."""

    key: str
    name: str          # the CamelCase part of QuotaExceeded.<Name>
    default: int
    what: str          # "child pools per pool"
    source: str        # where the default is documented

    @property
    def code(self) -> str:
        return f"QuotaExceeded.{self.name}"


_RD = "Resource Directory limits (docs/rules.md section 1)"
_IPAM = "VPC IPAM limits (docs/rules.md section 2)"
_RS = "Resource Sharing limits (docs/rules.md section 4)"
_IPV6 = "IPv6 limits of VPC IPAM (docs/rules.md section 9)"

#: Every quota, keyed by its snake_case key.
QUOTAS: dict[str, Quota] = {q.key: q for q in (
    Quota("rd_folders", "RdFolders", 100, "folders per resource directory", _RD),
    Quota("rd_members", "RdMembers", 20,
          "member accounts per resource directory, the management account included", _RD),
    Quota("folder_depth", "FolderDepth", 5, "folder levels below Root", _RD),
    Quota("ipams_per_region", "IpamsPerRegion", 1, "IPAMs per account per region", _IPAM),
    Quota("scopes_per_ipam", "ScopesPerIpam", 5, "scopes per IPAM, the two defaults included",
          _IPAM),
    Quota("pool_depth", "PoolDepth", 10, "levels of pool nesting", _IPAM),
    Quota("child_pools_per_pool", "ChildPoolsPerPool", 50, "child pools per pool", _IPAM),
    Quota("pools_per_scope", "PoolsPerScope", 500, "pools per scope", _IPAM),
    Quota("cidrs_per_pool", "CidrsPerPool", 50, "provisioned CIDRs per pool", _IPAM),
    Quota("secondary_cidrs_per_vpc", "SecondaryCidrsPerVpc", 5,
          "secondary IPv4 CIDRs per VPC", _IPAM),
    Quota("secondary_ipv6_cidrs_per_vpc", "SecondaryIpv6CidrsPerVpc", 5,
          "secondary IPv6 CIDRs per VPC", _IPV6),
    Quota("public_ipv6_top_pools_per_region_isp", "PublicIpv6TopPoolsPerRegionIsp", 1,
          "public top-level IPv6 pools per region and ISP line in one IPAM", _IPV6),
    Quota("cidrs_per_public_ipv6_top_pool", "CidrsPerPublicIpv6TopPool", 1,
          "provisioned CIDRs per public top-level IPv6 pool", _IPV6),
    Quota("shares_per_pool", "SharesPerPool", 100, "resource shares per pool", _RS),
    Quota("pools_shared_per_account", "PoolsSharedPerAccount", 100,
          "pools shared with one account", _RS),
    Quota("resources_per_request", "ResourcesPerRequest", 5,
          "resources named in one sharing request", _RS),
    Quota("principals_per_request", "PrincipalsPerRequest", 5,
          "principals named in one sharing request", _RS),
)}


class Quotas(Mapping[str, int]):
    """The quotas in force: the documented defaults, some of them raised.

    Parameters
    ----------
    overrides : ``{key: value}``; each key must be in :data:`QUOTAS` and each
        value a non-negative integer.
    """

    def __init__(self, overrides: Mapping[str, int] | None = None) -> None:
        self._values = {k: q.default for k, q in QUOTAS.items()}
        for key, value in (overrides or {}).items():
            if key not in QUOTAS:
                raise UsageError(f"unknown quota {key!r}; known quotas: {', '.join(QUOTAS)}")
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise UsageError(f"quota {key} must be a non-negative integer, not {value!r}")
            self._values[key] = value

    def __getitem__(self, key: str) -> int:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        raised = {k: v for k, v in self._values.items() if v != QUOTAS[k].default}
        return f"Quotas({raised!r})"

    def check(self, key: str, current: int, *, subject: str, adding: int = 1) -> None:
        """Raise ``QuotaExceeded.<Name>`` when ``current + adding`` exceeds the quota."""
        limit = self._values[key]
        if current + adding <= limit:
            return
        quota = QUOTAS[key]
        message = (f"{subject} would have {current + adding} {quota.what}, over the quota "
                   f"{key} = {limit}; raise it with quotas: {{{key}: N}} in the scenario or "
                   f"Quotas({{'{key}': N}})")
        raise DomainError(quota.code, message, quota=key, limit=limit, current=current,
                          subject=subject)
