"""Who may do what with a pool: the permission matrix of docs/rules.md section 4, as data.

:data:`MATRIX` has one :class:`Row` per action string the IPAM model names
(docs/architecture.md): what the pool's owner may do, and what a principal
that sees the pool through an active resource share may do.  One function,
:func:`decide`, reads it; :class:`SharingAccess` is the access policy
``IpamModel`` consults, and :func:`audit` tabulates every decision.

A caller that neither owns a pool nor sees it through an active share gets
``ResourceNotFound.IpamPool``, exactly as for a pool that does not exist; a
principal that sees the pool but asks for an action the matrix does not
grant gets ``Forbidden``.

Examples
--------
>>> from types import SimpleNamespace
>>> from simkit.model.org import Organisation
>>> from simkit.model.sharing import Shares
>>> org = Organisation("mgmt")
>>> org.add_account("dev")
>>> org.add_account("other")
>>> pool = SimpleNamespace(id="corp", owner="mgmt")
>>> shares = Shares(org, {"corp": "mgmt"}.get)
>>> _ = shares.create("mgmt", "rs-1", ["corp"], ["dev"])
>>> decide(org, shares, "dev", pool, "create_vpc").allowed
True
>>> decide(org, shares, "dev", pool, "delete_ipam_pool").code
'Forbidden'
>>> decide(org, shares, "other", pool, "list_ipam_pools").code
'ResourceNotFound.IpamPool'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from ..values.errors import DomainError, UsageError

if TYPE_CHECKING:
    import pandas as pd

    from .org import Organisation
    from .sharing import Shares

__all__ = [
    "ACTIONS",
    "AUDIT_FIELDS",
    "MATRIX",
    "PERMISSION",
    "PERMISSION_APIS",
    "PRINCIPAL_GRANTS",
    "Decision",
    "Row",
    "SharingAccess",
    "audit",
    "audit_pairs",
    "decide",
    "row_of",
]

#: The resource-sharing permission that covers IPAM pools.
PERMISSION = "AliyunRSDefaultPermissionIpamPool"

#: The APIs :data:`PERMISSION` grants a principal (UpdateIpamPool: name and description only).
PERMISSION_APIS: tuple[str, ...] = (
    "vpc:CreateVpc",
    "vpc:AssociateVpcCidrBlock",
    "vpc:ListIpamPools",
    "vpc:ListIpamPoolCidrs",
    "vpc:CreateIpamPoolAllocation",
    "vpc:DeleteIpamPoolAllocation",
    "vpc:ListIpamPoolAllocations",
    "vpc:UpdateIpamPool",
)

#: The values of :attr:`Row.principal`: ``yes``, ``no``, ``own`` (only
#: allocations the principal created) and ``name_description`` (only the
#: pool's name and description).
PRINCIPAL_GRANTS = ("yes", "no", "own", "name_description")


class Row(NamedTuple):
    """One action of the matrix.

    ``owner`` and ``principal`` say what the pool's owner and a principal
    with an active association may do (``principal`` is one of
    :data:`PRINCIPAL_GRANTS`); ``condition`` states any limit in words.
    """

    action: str
    api: str
    owner: str
    principal: str
    condition: str


#: The permission matrix (docs/rules.md section 4), one row per action of the IPAM model.
MATRIX: tuple[Row, ...] = (
    Row("create_vpc", "CreateVpc", "yes", "yes", ""),
    Row("associate_vpc_cidr_block", "AssociateVpcCidrBlock", "yes", "yes", ""),
    Row("delete_ipam_pool", "DeleteIpamPool", "yes", "no", ""),
    Row("update_ipam_pool", "UpdateIpamPool", "yes", "name_description",
        "a principal changes the name and description only"),
    Row("update_ipam_pool_rules", "UpdateIpamPool", "yes", "no", "the allocation rules"),
    Row("update_ipam_pool_auto_import", "UpdateIpamPool", "yes", "no", "the auto import flag"),
    Row("list_ipam_pools", "ListIpamPools", "yes", "yes", ""),
    Row("list_ipam_pool_cidrs", "ListIpamPoolCidrs", "yes", "yes", ""),
    Row("add_ipam_pool_cidr", "AddIpamPoolCidr", "yes", "no", ""),
    Row("delete_ipam_pool_cidr", "DeleteIpamPoolCidr", "yes", "no", ""),
    Row("create_ipam_pool_allocation", "CreateIpamPoolAllocation", "yes", "yes", ""),
    Row("delete_ipam_pool_allocation", "DeleteIpamPoolAllocation", "yes", "own",
        "the owner releases any allocation, a principal only those it created"),
    Row("list_ipam_pool_allocations", "ListIpamPoolAllocations", "yes", "yes", ""),
    Row("list_ipam_resource_cidrs", "ListIpamResourceCidrs", "yes", "no", ""),
    Row("get_ipam_pool_next_available_cidr", "GetIpamPoolNextAvailableCidr", "yes", "yes",
        "a query, granted as list_ipam_pool_allocations"),
    Row("create_ipam_pool", "CreateIpamPool", "yes", "no", "this pool as the source pool"),
)

_ROWS: dict[str, Row] = {row.action: row for row in MATRIX}

#: Every action string, in matrix order.
ACTIONS: tuple[str, ...] = tuple(_ROWS)

#: The actions the matrix grants a pool's owner (most requests are an owner's): :func:`decide`
#: answers those first, and :meth:`SharingAccess.check` without calling it.
_OWNER_GRANTED: frozenset[str] = frozenset(row.action for row in MATRIX if row.owner == "yes")


def row_of(action: str) -> Row:
    """The matrix row of ``action``; UsageError for an unknown action."""
    try:
        return _ROWS[action]
    except KeyError:
        raise UsageError(f"{action!r} is not an action of the permission matrix; "
                         f"the actions are {', '.join(ACTIONS)}") from None


@dataclass(frozen=True)
class Decision:
    """The answer to "may ``actor`` do ``action`` on this pool?".

    ``code`` is None when allowed, else the error code of the refusal.
    """

    allowed: bool
    reason: str
    code: str | None = None


_OWNER_ALLOWED = Decision(True, "the pool's owner")


def decide(org: Organisation, shares: Shares, actor: str, pool: Any, action: str,
           allocation: Any | None = None, *, sees: bool | None = None) -> Decision:
    """Decide one request by reading :data:`MATRIX`.

    Parameters
    ----------
    org : the resource directory (kept for policies that need it; the
        association rules live in ``shares``).
    shares : answers whether ``actor`` sees the pool through an active share.
    actor : the calling account.
    pool : an object with ``id`` and ``owner``.
    action : one of :data:`ACTIONS`.
    allocation : for ``delete_ipam_pool_allocation``, the allocation (with
        ``created_by``); without it, the decision is about the action in general.
    sees : whether ``actor`` sees the pool through an active share, when the
        caller already asked ``shares`` (one question for many actions).

    Returns
    -------
    Decision
        The owner is always allowed; a principal with an active association
        is allowed or refused (``Forbidden``) by the row; anyone else gets
        ``ResourceNotFound.IpamPool``.
    """
    if actor == pool.owner and action in _OWNER_GRANTED:
        return _OWNER_ALLOWED           # one shared record: every owner request asks this
    row = row_of(action)
    if actor == pool.owner:
        return Decision(False, f"{row.api} is not granted to the pool's owner", "Forbidden")
    if not (shares.sees(actor, pool.id) if sees is None else sees):
        return Decision(False, f"the IPAM pool does not exist or is not visible to {actor}",
                        "ResourceNotFound.IpamPool")
    grant = row.principal
    if grant == "yes":
        return Decision(True, f"a principal of a share of the pool, granted by {PERMISSION}")
    if grant == "name_description":
        return Decision(True, "a principal of a share of the pool: name and description only")
    if grant == "own":
        if allocation is None:
            return Decision(True, "a principal of a share of the pool: it may release the "
                                  "allocations it created")
        if allocation.created_by == actor:
            return Decision(True, "a principal of a share of the pool, releasing an "
                                  "allocation it created")
        return Decision(False, f"a principal releases only the allocations it created, and "
                               f"{allocation.id} was created by {allocation.created_by}",
                        "Forbidden")
    return Decision(False, f"{row.api} is for the pool's owner only: {PERMISSION} does not "
                           f"grant it to principals", "Forbidden")


class SharingAccess:
    """The access policy of ``IpamModel`` that adds what resource shares grant.

    Parameters
    ----------
    org : the resource directory.
    shares : the resource shares.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from simkit.model.org import Organisation
    >>> from simkit.model.sharing import Shares
    >>> org = Organisation("mgmt")
    >>> org.add_account("dev")
    >>> access = SharingAccess(org, Shares(org, {"corp": "mgmt"}.get))
    >>> pool = SimpleNamespace(id="corp", owner="mgmt")
    >>> access.can_see("dev", pool)
    False
    >>> access.check("dev", pool, "create_vpc")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    simkit.DomainError: ResourceNotFound.IpamPool: dev cannot create_vpc on pool corp: ...
    """

    def __init__(self, org: Organisation, shares: Shares) -> None:
        self.org = org
        self.shares = shares

    def __repr__(self) -> str:
        return f"SharingAccess({self.org!r}, {self.shares!r})"

    def check(self, actor: str, pool: Any, action: str, *,
              allocation: Any | None = None) -> None:
        """Raise the refusal of :func:`decide` as a DomainError; return None if allowed."""
        if actor == pool.owner and action in _OWNER_GRANTED:
            return                          # decide's first answer, without the call
        decision = decide(self.org, self.shares, actor, pool, action, allocation)
        if decision.allowed:
            return
        assert decision.code is not None
        details: dict[str, Any] = {"actor": actor, "action": action, "pool": pool.id,
                                   "reason": decision.reason}
        if allocation is not None:
            details["allocation"] = allocation.id
        message = f"{actor} cannot {action} on pool {pool.id}: {decision.reason}"
        raise DomainError(decision.code, message, **details)

    def can_see(self, actor: str, pool: Any) -> bool:
        """True for the pool's owner and for principals with an active association."""
        return actor == pool.owner or self.shares.sees(actor, pool.id)

    def shares_of(self, pool: Any) -> list[str]:
        """Ids of the active resource shares that hold ``pool``."""
        return self.shares.active_shares_of(pool.id)


#: The columns of :func:`audit`, in order.
AUDIT_FIELDS = ("account", "pool", "action", "api", "allowed", "reason", "code")


def audit(org: Organisation, shares: Shares, pools: Iterable[Any], accounts: Iterable[str],
          actions: Iterable[str] | None = None) -> pd.DataFrame:
    """Every decision for ``accounts`` x ``pools`` x ``actions``, one row each.

    Parameters
    ----------
    pools : objects with ``id`` and ``owner`` (the IPAM model's pools).
    accounts : the accounts to audit.
    actions : the actions (default: every action of :data:`MATRIX`).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`AUDIT_FIELDS`; ``allowed`` is boolean, ``code`` is
        None for an allowed action.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from simkit.model.org import Organisation
    >>> from simkit.model.sharing import Shares
    >>> org = Organisation("mgmt")
    >>> org.add_account("dev")
    >>> shares = Shares(org, {"corp": "mgmt"}.get)
    >>> _ = shares.create("mgmt", "rs-1", ["corp"], ["rd"])
    >>> frame = audit(org, shares, [SimpleNamespace(id="corp", owner="mgmt")], ["mgmt", "dev"],
    ...               ["create_vpc", "delete_ipam_pool"])
    >>> frame[["account", "action", "allowed", "code"]].values.tolist()
    ... # doctest: +NORMALIZE_WHITESPACE
    [['mgmt', 'create_vpc', True, None], ['mgmt', 'delete_ipam_pool', True, None],
     ['dev', 'create_vpc', True, None], ['dev', 'delete_ipam_pool', False, 'Forbidden']]
    """
    pools = list(pools)
    return audit_pairs(org, shares, ((a, p) for a in accounts for p in pools), actions)


def audit_pairs(org: Organisation, shares: Shares, pairs: Iterable[tuple[str, Any]],
                actions: Iterable[str] | None = None) -> pd.DataFrame:
    """The decisions of :func:`audit` for the given (account, pool) pairs only, in their order.

    A report that shows only the pools each account sees passes those pairs,
    so that its cost grows with what is seen rather than accounts x pools.
    """
    import pandas as pd

    chosen = tuple(ACTIONS if actions is None else actions)
    for action in chosen:
        row_of(action)
    records = []
    seeing: dict[str, set[str]] = {}         # pool id -> the accounts that see it
    for account, pool in pairs:
        if pool.id not in seeing:
            seeing[pool.id] = shares.accounts_seeing(pool.id)
        sees = account != pool.owner and account in seeing[pool.id]
        for action in chosen:
            d = decide(org, shares, account, pool, action, sees=sees)
            records.append((account, pool.id, action, _ROWS[action].api, d.allowed,
                            d.reason, d.code))
    frame = pd.DataFrame(records, columns=list(AUDIT_FIELDS), dtype=object)
    return frame.astype({"allowed": bool})
