"""Resource shares: which accounts see which IPAM pools of another account.

A :class:`ResourceShare` holds pools of its owner (the resources) and
principals (targets): the whole resource directory, a folder (with its
sub-folders), a member account or, when the share allows it, an external
account.  Principals inside the resource directory are associated at once;
an external account gets an :class:`Invitation` that it accepts or rejects
within 7 days.  :class:`Shares` is the registry of every share and
invitation, and answers the one question the permission layer asks:
does an account see a pool through an active association *now*?

Folder and directory-wide principals are evaluated at the time of each
question, so an account moved into a folder gains access at once and one
moved out (or removed from the directory) loses it.  A member account named
directly is covered only while it is a member, unless it accepted an
invitation as an external account.

Examples
--------
>>> from datetime import UTC, datetime, timedelta
>>> from simkit.model.org import Organisation
>>> org = Organisation("mgmt")
>>> org.add_folder("Business")
'Business'
>>> org.add_account("shop", folder="Business")
>>> org.add_external("partner")
>>> now = [datetime(2026, 1, 1, tzinfo=UTC)]
>>> shares = Shares(org, {"hz": "mgmt"}.get, clock=lambda: now[0])
>>> _ = shares.create("mgmt", "rs-1", ["hz"], ["folder:Business", "partner"],
...                   allow_external=True)
>>> shares.sees("shop", "hz"), shares.sees("partner", "hz")
(True, False)
>>> [inv.status for inv in shares.invitations("partner")]
['Pending']
>>> now[0] += timedelta(days=7)
>>> try:
...     shares.accept("partner", "rs-1")
... except DomainError as err:
...     print(err.code, err.details["expired_at"])
ResourceNotFound.Invitation 2026-01-08 00:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..values.clock import DEFAULT_START, Clock
from ..values.errors import DomainError, UsageError
from ..values.quotas import Quotas
from ..values.state import Reader, check_attributes, encode_fields

if TYPE_CHECKING:
    from .org import Organisation, Principal

__all__ = ["INVITATION_VALIDITY", "Invitation", "ResourceShare", "Shares"]

#: How long an invitation to an external account stays open (docs/rules.md section 4).
INVITATION_VALIDITY = timedelta(days=7)

@dataclass
class ResourceShare:
    """One resource share.

    ``resources`` are pool ids of ``owner``; ``principals`` the targets, in
    the order they were associated.  A deleted share stays listed with
    ``status == "Deleted"``.
    """

    id: str
    owner: str
    resources: list[str] = field(default_factory=list)
    principals: list[Principal] = field(default_factory=list)
    allow_external: bool = False
    status: str = "Active"
    created_at: datetime = DEFAULT_START

    @property
    def active(self) -> bool:
        return self.status == "Active"


@dataclass(frozen=True)
class Invitation:
    """An invitation of an external account to a resource share.

    ``status`` is ``Pending``, ``Accepted``, ``Rejected`` or ``Expired``; a
    stored invitation is never ``Expired``: :meth:`Shares.invitations`
    applies the expiry against the clock when it is read.
    """

    share: str
    account: str
    sent_at: datetime
    status: str = "Pending"

    @property
    def expires_at(self) -> datetime:
        return self.sent_at + INVITATION_VALIDITY

    def at(self, now: datetime) -> Invitation:
        """This invitation as seen at ``now``: a Pending one is Expired from ``expires_at`` on."""
        if self.status == "Pending" and now >= self.expires_at:
            return replace(self, status="Expired")
        return self


_Invitations = dict[tuple[str, str], Invitation]


class Shares:
    """The registry of resource shares and invitations.

    Parameters
    ----------
    org : the resource directory; principals are parsed and evaluated by it.
    pool_owner : ``pool id -> owning account`` (None for an unknown pool).
    quotas : the quotas in force (``shares_per_pool``,
        ``pools_shared_per_account``, ``resources_per_request``,
        ``principals_per_request``).
    clock : the simulation clock; invitations expire against it.

    Notes
    -----
    Every operation checks, in this order, and raises the first failure
    before changing anything: the share is visible to the caller
    (``ResourceNotFound.ResourceShare``: the owner, the accounts it reaches
    and invited accounts see it), the named pools and principals
    (``ResourceNotFound.IpamPool`` for a pool the caller neither owns nor
    sees, ``.Account``, ``.Folder``), the caller owns the share and every
    named pool (``Forbidden``; a principal naming only itself in
    :meth:`disassociate` asks to leave: ``OperationDenied.ExitNotSupported``),
    the associations removed exist (``.ResourceShareAssociation``), the
    share id (``OperationDenied.ResourceExist``), external principals
    (``OperationDenied.ExternalNotAllowed``), then the quotas
    (``QuotaExceeded.*``).

    Examples
    --------
    >>> from simkit.model.org import Organisation
    >>> org = Organisation("mgmt")
    >>> org.add_account("dev")
    >>> shares = Shares(org, {"corp": "mgmt"}.get)
    >>> shares.create("mgmt", "rs-all", ["corp"], ["rd"]).principals
    [Principal(kind='rd', value='')]
    >>> shares.pools_shared_with("dev"), shares.active_shares_of("corp")
    (['corp'], ['rs-all'])
    >>> shares.delete("mgmt", "rs-all")
    >>> shares.sees("dev", "corp"), shares.get("rs-all").status
    (False, 'Deleted')
    """

    def __init__(self, org: Organisation, pool_owner: Callable[[str], str | None],
                 quotas: Quotas | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.org = org
        self.pool_owner = pool_owner
        self.quotas = quotas if quotas is not None else Quotas()
        self.clock = clock if clock is not None else Clock()
        self._shares: dict[str, ResourceShare] = {}
        self._invitations: _Invitations = {}
        # derived from _shares (None: to rebuild): the Active shares holding each pool
        self._by_pool: dict[str, list[ResourceShare]] | None = None

    # -- queries -------------------------------------------------------------------
    def __contains__(self, share: object) -> bool:
        return share in self._shares

    def __len__(self) -> int:
        return len(self._shares)

    def __repr__(self) -> str:
        active = sum(s.active for s in self._shares.values())
        return (f"<Shares: {len(self._shares)} shares ({active} active), "
                f"{len(self._invitations)} invitations>")

    def get(self, share: str) -> ResourceShare:
        """The share ``share`` (any status); KeyError when unknown."""
        return self._shares[share]

    def all(self, owner: str | None = None) -> list[ResourceShare]:
        """Every share (deleted ones included) in creation order, optionally of one owner."""
        return [s for s in self._shares.values() if owner is None or s.owner == owner]

    def sees(self, account: str, pool_id: str) -> bool:
        """Whether ``account`` has an active association with ``pool_id`` now.

        The share must be Active and hold the pool, and ``account`` must be a
        member covered now by one of its principals, or an external account
        principal whose invitation it accepted.  Ownership is not considered
        here: the permission layer handles the owner.
        """
        return bool(self.granting(account, pool_id))

    def granting(self, account: str, pool_id: str) -> list[str]:
        """Ids of the Active shares through which ``account`` sees ``pool_id`` now."""
        return [s.id for s in self._holding(pool_id)
                if self._holds(account, s, self._invitations)]

    def active_shares_of(self, pool_id: str) -> list[str]:
        """Ids of the Active shares that hold ``pool_id``, in creation order."""
        return [s.id for s in self._holding(pool_id)]

    def accounts_seeing(self, pool_id: str) -> set[str]:
        """The accounts that :meth:`sees` is true for with ``pool_id``, found from its shares.

        The cost grows with the shares of the pool and the accounts they
        reach, not with every account of the organisation.
        """
        out: set[str] = set()
        for s in self._holding(pool_id):
            out |= self.accounts_reached(s)
        return out

    def accounts_reached(self, share: ResourceShare) -> set[str]:
        """The accounts the principals of ``share`` reach now (its status aside).

        Those of a folder or the whole directory, the members named, and the
        external accounts named that accepted their invitation: the accounts
        ``a`` for which the share counts in :meth:`sees` ``(a, pool)``.
        """
        return self._reached(share, self._invitations)

    def _reached(self, share: ResourceShare, invitations: _Invitations) -> set[str]:
        """The accounts ``a`` for which ``_holds(a, share, invitations)``, found from the
        principals."""
        org, out = self.org, set()
        for p in share.principals:
            if p.kind != "account":
                out |= org.covered(p)
            elif org.is_member(p.value):
                out.add(p.value)
            else:
                invitation = invitations.get((share.id, p.value))
                if invitation is not None and invitation.status == "Accepted":
                    out.add(p.value)
        return out

    def _holding(self, pool_id: str) -> list[ResourceShare]:
        """The Active shares that hold ``pool_id``, in creation order (indexed)."""
        if self._by_pool is None:
            index: dict[str, list[ResourceShare]] = {}
            for s in self._shares.values():
                if s.active:
                    for pool in dict.fromkeys(s.resources):
                        index.setdefault(pool, []).append(s)
            self._by_pool = index
        return self._by_pool.get(pool_id, [])

    def pools_shared_with(self, account: str) -> list[str]:
        """The pools ``account`` sees through shares now (not its own pools), sorted."""
        return sorted(self._pools_seen(account, self._shares, self._invitations))

    def reaching(self, account: str) -> list[ResourceShare]:
        """The Active shares of other owners whose principals reach ``account`` now."""
        return [s for s in self._shares.values()
                if s.active and s.owner != account
                and self._holds(account, s, self._invitations)]

    def invitations(self, account: str | None = None) -> list[Invitation]:
        """The invitations (of ``account``, or all) in sending order, expiry applied now."""
        now = self.clock()
        return [inv.at(now) for inv in self._invitations.values()
                if account is None or inv.account == account]

    # -- operations ----------------------------------------------------------------
    def create(self, actor: str, share: str, resources: Iterable[str],
               principals: Iterable[str | Principal],
               allow_external: bool = False) -> ResourceShare:
        """Create the share ``share`` owned by ``actor`` (CreateResourceShare).

        Every pool named must be one ``actor`` owns: a pool it only sees
        through another share is ``Forbidden``, one it does not see
        ``ResourceNotFound.IpamPool``.  The id of a Deleted share is free again:
        the new share replaces the deleted one's record and its invitations.
        """
        pools = self._seen_pools(actor, resources)
        targets = self._parse_principals(principals)
        self._check_owns_pools(actor, pools, "create_resource_share")
        if share in self._shares and self._shares[share].status != "Deleted":
            raise DomainError("OperationDenied.ResourceExist", kind="resource share", id=share)
        new = ResourceShare(share, actor, [], [], bool(allow_external), "Active", self.clock())
        if share not in self._shares:
            return self._associate(new, pools, targets)
        kept = self._invitations
        self._invitations = {key: inv for key, inv in kept.items() if key[0] != share}
        try:
            return self._associate(new, pools, targets)
        except DomainError:
            self._invitations = kept
            raise

    def associate(self, actor: str, share: str, resources: Iterable[str] = (),
                  principals: Iterable[str | Principal] = ()) -> ResourceShare:
        """Add pools and principals to a share of ``actor`` (AssociateResourceShare).

        Only the owner adds: a principal of the share gets ``Forbidden``, an
        account the share does not reach ``ResourceNotFound.ResourceShare``.
        Naming what is already associated is harmless, except that an external
        account whose invitation was rejected or expired is invited again.
        """
        current = self._visible_share(actor, share)
        pools = self._seen_pools(actor, resources)
        targets = self._parse_principals(principals)
        self._check_owner(actor, current, "associate_resource_share",
                          "adds resources and principals")
        self._check_owns_pools(actor, pools, "associate_resource_share")
        return self._associate(current, pools, targets)

    def disassociate(self, actor: str, share: str, resources: Iterable[str] = (),
                     principals: Iterable[str | Principal] = ()) -> ResourceShare:
        """Remove pools and principals from a share of ``actor`` (DisassociateResourceShare).

        A removed principal loses access at once; the invitation of a removed
        external account is withdrawn.  A principal that names only itself
        asks to leave the share (``ResourceOwner=OtherAccounts`` in the API),
        which an IPAM-pool share never allows (:meth:`leave`); a principal
        that names anything else gets ``Forbidden``.
        """
        current = self._visible_share(actor, share)
        pools = self._seen_pools(actor, resources)
        targets = self._parse_principals(principals)
        if (current.owner != actor and not pools and len(targets) == 1
                and (targets[0].kind, targets[0].value) == ("account", actor)):
            self._refuse_exit(actor, current)
        self._check_owner(actor, current, "disassociate_resource_share",
                          "removes resources and principals")
        self._check_owns_pools(actor, pools, "disassociate_resource_share")
        for item in [*pools, *targets]:
            held = current.resources if isinstance(item, str) else current.principals
            if item not in held:
                raise DomainError("ResourceNotFound.ResourceShareAssociation",
                                  item=str(item), share=share)
        self._check_request_size(share, pools, targets)
        new = replace(current, resources=[r for r in current.resources if r not in pools],
                      principals=[p for p in current.principals if p not in targets])
        self._shares[share] = new
        self._by_pool = None
        for p in targets:
            if p.kind == "account":
                self._invitations.pop((share, p.value), None)
        return new

    def delete(self, actor: str, share: str) -> None:
        """Delete a share of ``actor`` (DeleteResourceShare): it stays listed as Deleted.

        Only the owner deletes: a principal gets ``Forbidden``.  Allocations
        that principals made stay in the pools.
        """
        current = self._visible_share(actor, share)
        self._check_owner(actor, current, "delete_resource_share", "deletes it")
        self._shares[share] = replace(current, status="Deleted")
        self._by_pool = None

    def accept(self, actor: str, share: str) -> Invitation:
        """Accept the invitation of ``actor`` to ``share``."""
        invitation = self._pending_invitation(actor, share)
        current = self._shares[share]
        invitations = dict(self._invitations)
        invitations[share, actor] = replace(invitation, status="Accepted")
        self._check_pools_seen({share: current}, invitations, [actor])
        self._invitations = invitations
        return invitations[share, actor]

    def reject(self, actor: str, share: str) -> Invitation:
        """Reject the invitation of ``actor`` to ``share``."""
        invitation = self._pending_invitation(actor, share)
        rejected = replace(invitation, status="Rejected")
        self._invitations[share, actor] = rejected
        return rejected

    def leave(self, actor: str, share: str) -> None:
        """Leave a share: never possible for an IPAM-pool share.

        This is :meth:`disassociate` by a principal naming only itself.
        Raises ``ResourceNotFound.ResourceShare`` when ``actor`` cannot see the
        share, else ``OperationDenied.ExitNotSupported`` (the owner too: it
        owns the share rather than being reached by it).
        """
        self._refuse_exit(actor, self._visible_share(actor, share))

    # -- state ---------------------------------------------------------------------
    def copy(self, *, org: Organisation | None = None,
             pool_owner: Callable[[str], str | None] | None = None,
             clock: Callable[[], datetime] | None = None) -> Shares:
        """An independent copy of the shares and invitations.

        The collaborators (organisation, pool owner lookup, clock) are kept
        unless new ones are given, as a simulation copying itself does.
        """
        new = Shares(org if org is not None else self.org,
                     pool_owner if pool_owner is not None else self.pool_owner,
                     self.quotas, clock if clock is not None else self.clock)
        new._shares = {k: replace(s, resources=list(s.resources), principals=list(s.principals))
                       for k, s in self._shares.items()}
        new._invitations = dict(self._invitations)
        return new

    def fingerprint(self) -> tuple:
        """A hashable value, equal for two registries exactly when their states are equal."""
        shares = tuple(sorted(
            (s.id, s.owner, tuple(s.resources), tuple(str(p) for p in s.principals),
             s.allow_external, s.status, s.created_at)
            for s in self._shares.values()))
        invitations = tuple(sorted(
            (i.share, i.account, i.sent_at, i.status) for i in self._invitations.values()))
        return shares, invitations

    # -- checks --------------------------------------------------------------------
    def _visible_share(self, actor: str, share: str) -> ResourceShare:
        """The Active share ``share`` if ``actor`` owns it, is invited to it or is covered.

        Anyone else gets ``ResourceNotFound.ResourceShare``, as for a share
        that does not exist.
        """
        return self._active_share(
            actor, share, lambda s: (s.owner == actor or (share, actor) in self._invitations
                                     or self._holds(actor, s, self._invitations)))

    @staticmethod
    def _check_owner(actor: str, current: ResourceShare, action: str, what: str) -> None:
        """``Forbidden`` unless ``actor`` owns ``current`` (it sees it: it is a principal)."""
        if current.owner != actor:
            raise DomainError(
                "Forbidden", share=current.id, actor=actor, action=action,
                reason=f"{actor} is a principal of the resource share {current.id}; only its "
                       f"owner {current.owner} {what}")

    @staticmethod
    def _refuse_exit(actor: str, current: ResourceShare) -> None:
        raise DomainError(
            "OperationDenied.ExitNotSupported",
            f"{actor} cannot leave the resource share {current.id}: a principal cannot leave "
            f"an IPAM-pool share; its owner {current.owner} can remove {actor} from it",
            share=current.id, actor=actor, owner=current.owner)

    def _active_share(self, actor: str, share: str,
                      sees: Callable[[ResourceShare], bool]) -> ResourceShare:
        current = self._shares.get(share)
        if current is None or not sees(current):
            raise DomainError("ResourceNotFound.ResourceShare", share=share, actor=actor)
        if not current.active:
            raise DomainError("ResourceNotFound.ResourceShare",
                              f"the resource share {share} was deleted", share=share,
                              actor=actor)
        return current

    def _pending_invitation(self, actor: str, share: str) -> Invitation:
        self._visible_share(actor, share)
        stored = self._invitations.get((share, actor))
        if stored is None:
            raise DomainError("ResourceNotFound.Invitation", actor=actor, share=share)
        invitation = stored.at(self.clock())
        if invitation.status == "Expired":
            raise DomainError(
                "ResourceNotFound.Invitation",
                f"the invitation of {actor} to the resource share {share} expired on "
                f"{invitation.expires_at.isoformat()}",
                actor=actor, share=share, expired_at=invitation.expires_at)
        if invitation.status != "Pending":
            raise DomainError(
                "ResourceNotFound.Invitation",
                f"{actor} has no pending invitation to the resource share {share}: it was "
                f"already {invitation.status.lower()}",
                actor=actor, share=share, status=invitation.status)
        return invitation

    def _seen_pools(self, actor: str, resources: Iterable[str]) -> list[str]:
        """``resources`` without repeats; each must be a pool ``actor`` owns or sees.

        A pool that does not exist, or that ``actor`` neither owns nor sees
        through an active share, is ``ResourceNotFound.IpamPool``.
        """
        _check_list(resources, "resources")
        pools = list(dict.fromkeys(resources))
        for pool in pools:
            owner = self.pool_owner(pool)
            if owner is None or (owner != actor and not self.sees(actor, pool)):
                raise DomainError("ResourceNotFound.IpamPool", pool=pool, actor=actor)
        return pools

    def _check_owns_pools(self, actor: str, pools: list[str], action: str) -> None:
        """``Forbidden`` for a pool of ``pools`` that ``actor`` sees but does not own."""
        for pool in pools:
            owner = self.pool_owner(pool)
            if owner != actor:
                raise DomainError(
                    "Forbidden", pool=pool, actor=actor, action=action,
                    reason=f"the pool {pool} is owned by {owner} and shared with {actor}: "
                           f"only its owner shares it")

    def _parse_principals(self, principals: Iterable[str | Principal]) -> list[Principal]:
        _check_list(principals, "principals")
        return list(dict.fromkeys(self.org.parse_principal(str(p)) for p in principals))

    def _check_request_size(self, share: str, pools: list[str],
                            targets: list[Principal]) -> None:
        subject = f"the request on resource share {share}"
        self.quotas.check("resources_per_request", 0, adding=len(pools), subject=subject)
        self.quotas.check("principals_per_request", 0, adding=len(targets), subject=subject)

    def _check_pools_seen(self, changed: dict[str, ResourceShare], invitations: _Invitations,
                          accounts: Iterable[str]) -> None:
        """Raise QuotaExceeded.PoolsSharedPerAccount if an account would see too many pools."""
        accounts = list(accounts)
        before = self._seen_by(accounts, self._shares, self._invitations)
        now = self._seen_by(accounts, {**self._shares, **changed}, invitations)
        for account in accounts:
            if len(now[account]) > len(before[account]):
                self.quotas.check("pools_shared_per_account", len(before[account]),
                                  adding=len(now[account]) - len(before[account]),
                                  subject=f"account {account}")

    def _seen_by(self, accounts: list[str], shares: dict[str, ResourceShare],
                 invitations: _Invitations) -> dict[str, set[str]]:
        """The pools (not its own) each of ``accounts`` sees through ``shares``.

        The cost grows with the accounts the active shares reach, not with
        the accounts times the shares.
        """
        seen: dict[str, set[str]] = {account: set() for account in accounts}
        for s in shares.values():
            if not s.active:
                continue
            for account in self._reached(s, invitations) & seen.keys():
                seen[account].update(pool for pool in s.resources
                                     if self.pool_owner(pool) != account)
        return seen

    # -- the association rules -----------------------------------------------------
    def _associate(self, current: ResourceShare, pools: list[str],
                   targets: list[Principal]) -> ResourceShare:
        """Validate adding ``pools`` and ``targets`` to ``current``, then commit it."""
        org, share = self.org, current.id
        for p in targets:
            if p.kind == "account" and not org.is_member(p.value) and not current.allow_external:
                raise DomainError("OperationDenied.ExternalNotAllowed", share=share,
                                  principal=str(p))
        self._check_request_size(share, pools, targets)
        new_pools = [r for r in pools if r not in current.resources]
        for pool in new_pools:
            others = [s for s in self.active_shares_of(pool) if s != share]
            self.quotas.check("shares_per_pool", len(others), subject=f"pool {pool}")
        new = replace(current, resources=[*current.resources, *new_pools],
                      principals=[*current.principals,
                                  *(p for p in targets if p not in current.principals)])
        now = self.clock()
        invitations = dict(self._invitations)
        for p in targets:
            if p.kind != "account" or org.is_member(p.value):
                continue
            old = invitations.get((share, p.value))
            if old is None or old.at(now).status in ("Rejected", "Expired"):
                invitations.pop((share, p.value), None)
                invitations[share, p.value] = Invitation(share, p.value, now)
        # the accounts the share reaches, members then external accounts, each sorted
        candidates = sorted((a for a in self._reached(new, invitations) if org.knows(a)),
                            key=lambda a: (not org.is_member(a), a))
        self._check_pools_seen({share: new}, invitations, candidates)
        # every check passed: commit
        self._shares[share] = new
        self._by_pool = None
        self._invitations = invitations
        return new

    def _holds(self, account: str, share: ResourceShare, invitations: _Invitations) -> bool:
        """Whether ``account`` is a principal of ``share`` now (the share's status aside)."""
        member = self.org.is_member(account)
        for p in share.principals:
            if p.kind == "account" and p.value == account:
                invitation = invitations.get((share.id, account))
                if invitation is not None and invitation.status == "Accepted":
                    return True
            if member and self.org.covers(p, account):
                return True
        return False

    def _pools_seen(self, account: str, shares: dict[str, ResourceShare],
                    invitations: _Invitations) -> set[str]:
        return {pool for s in shares.values()
                if s.active and self._holds(account, s, invitations)
                for pool in s.resources if self.pool_owner(pool) != account}

    # -- saved state ---------------------------------------------------------------
    #: The attributes :meth:`to_state` writes or :meth:`from_state` is given.
    _STATE = frozenset({"org", "pool_owner", "quotas", "clock", "_shares", "_invitations",
                        "_by_pool"})

    def to_state(self) -> dict[str, Any]:
        """The shares and invitations as plain data (see :mod:`simkit.values.state`).

        Both in creation order, field by field; a principal as its text
        (``rd``, ``folder:PATH``, ``account:ID``).  The collaborators are not
        part of it.

        Examples
        --------
        >>> from simkit.model.org import Organisation
        >>> org = Organisation("mgmt")
        >>> shares = Shares(org, {"corp": "mgmt"}.get)
        >>> _ = shares.create("mgmt", "rs-all", ["corp"], ["rd"])
        >>> shares.to_state()["shares"][0]["principals"]
        ['rd']
        >>> back = Shares.from_state(shares.to_state(), org, {"corp": "mgmt"}.get)
        >>> back.fingerprint() == shares.fingerprint()
        True
        """
        check_attributes(self, self._STATE)
        return {
            "shares": [{**encode_fields(s, skip=("principals",)),
                        "principals": [str(p) for p in s.principals]}
                       for s in self._shares.values()],
            "invitations": [encode_fields(i) for i in self._invitations.values()],
        }

    @classmethod
    def from_state(cls, state: Any, org: Organisation,
                   pool_owner: Callable[[str], str | None], quotas: Quotas | None = None,
                   clock: Callable[[], datetime] | None = None) -> Shares:
        """The registry :meth:`to_state` wrote, wired as the constructor wires it.

        ``state`` is the plain data or a :class:`~simkit.values.state.Reader` of it.
        A share of an unknown status, an invitation to no share or of an unknown
        status, two invitations of one account to one share, or a malformed
        principal are refused with :class:`~simkit.values.errors.StateError`.
        """
        from .org import Principal

        at = Reader.of(state, "shares")
        new = cls(org, pool_owner, quotas, clock)
        for item in at["shares"].items():
            principals = []
            for text in item["principals"].items():
                kind, _, value = text.str().partition(":")
                try:
                    principals.append(Principal(kind, value))
                except UsageError:
                    raise text.fail("a principal: rd, folder:PATH or account:ID") from None
            share = item.build(ResourceShare, principals=principals)
            if share.id in new._shares:
                raise item["id"].fail("an id not used before")
            if share.status not in ("Active", "Deleted"):
                raise item["status"].fail('"Active" or "Deleted"')
            new._shares[share.id] = share
        for item in at["invitations"].items():
            invitation = item.build(Invitation)
            if invitation.share not in new._shares:
                raise item["share"].fail("a share of the state")
            if invitation.status not in ("Pending", "Accepted", "Rejected"):
                raise item["status"].fail('"Pending", "Accepted" or "Rejected"')
            key = invitation.share, invitation.account
            if key in new._invitations:
                raise item.fail("the one invitation of its account to its share")
            new._invitations[key] = invitation
        at.done()
        return new


def _check_list(names: object, what: str) -> None:
    if isinstance(names, str):
        raise UsageError(f"{what} is a list of names, not the string {names!r}; "
                         f"write [{names!r}]")
