"""The loaded scenario: the records that :func:`simkit.scenario.load` returns.

A :class:`Scenario` holds the organisation (:class:`OrgSpec`), the IPAMs and
their pools (:class:`IpamSpec`, :class:`PoolSpec`), the networks and ranges
that exist before step 1 (:class:`VpcSpec`, :class:`ReservedSpec`), the steps
(:class:`Step`, with its :class:`Expect`) and the generated demand
(:class:`DemandSpec`). Every record is frozen and carries the YAML line it
came from, so later checks can name the place in the file.

Examples
--------
>>> from simkit.scenario import loads
>>> s = loads("version: 1\\nname: n\\norg: {management_account: m, accounts: [a]}\\n")
>>> s.org.management_account, s.org.members, s.steps
('m', ('a',), ())
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..values.addresses import Cidr
from ..values.clock import DEFAULT_START
from ..values.errors import UsageError

__all__ = ["Demand", "DemandSpec", "Expect", "FolderSpec", "IpamSpec", "OrgSpec", "PoolRules",
           "PoolSpec", "ReservedSpec", "Step", "VpcSpec"]

_ROOT = "Root"

# ---------------------------------------------------------------------------------------------
# The loaded scenario
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FolderSpec:
    """A folder of the resource directory, as declared in ``org``.

    Attributes
    ----------
    name : the folder's own name (``Retail``).
    path : its path below Root (``Business/Retail``), unique in the org.
    line : the line of its declaration.
    accounts : member accounts directly in this folder, in file order.
    folders : its sub-folders, in file order.
    """

    name: str
    path: str
    line: int
    accounts: tuple[str, ...] = ()
    folders: tuple[FolderSpec, ...] = ()


@dataclass(frozen=True)
class OrgSpec:
    """The organisation: the resource directory and the external accounts.

    Attributes
    ----------
    line : the line of the ``org`` mapping.
    management_account : the account that owns the resource directory.
    accounts : member accounts directly under Root.
    folders : the top-level folders (each a :class:`FolderSpec` tree).
    external_accounts : accounts outside the resource directory.
    account_lines : line where each account is declared, keyed by account id.

    Folder paths are written below Root (``Business/Retail``); the root folder
    itself is ``Root`` (as in :mod:`simkit.model.org`).  Account ids are strings.

    Examples
    --------
    >>> from simkit.scenario import loads
    >>> org = loads("version: 1\\nname: o\\norg:\\n  management_account: m\\n"
    ...             "  folders: [{name: B, folders: [{name: R, accounts: [r1]}]}]\\n").org
    >>> org.kind("r1"), org.folder_of("r1"), org.resolve_folder("R"), org.principal("folder:R")
    ('member', 'B/R', 'B/R', ('folder', 'B/R'))
    """

    line: int
    management_account: str
    accounts: tuple[str, ...] = ()
    folders: tuple[FolderSpec, ...] = ()
    external_accounts: tuple[str, ...] = ()
    account_lines: dict[str, int] = field(default_factory=dict, compare=False)

    def walk(self) -> list[FolderSpec]:
        """Every folder, parents before children, in file order."""
        out: list[FolderSpec] = []
        todo = list(reversed(self.folders))
        while todo:
            folder = todo.pop()
            out.append(folder)
            todo.extend(reversed(folder.folders))
        return out

    @property
    def members(self) -> tuple[str, ...]:
        """Every member account (Root's first, then folder by folder)."""
        return self.accounts + tuple(a for f in self.walk() for a in f.accounts)

    def kind(self, account: str) -> str | None:
        """``"management"``, ``"member"``, ``"external"``, or None for an unknown account."""
        if account == self.management_account:
            return "management"
        if account in self.external_accounts:
            return "external"
        if account in self.account_lines or account in self.members:
            return "member"
        return None

    def folder_of(self, account: str) -> str | None:
        """Path of the folder holding a member account (``Root`` for Root), else None."""
        if account in self.accounts:
            return _ROOT
        for folder in self.walk():
            if account in folder.accounts:
                return folder.path
        return None

    def resolve_folder(self, text: str) -> str:
        """The path a folder reference names: a path, a unique bare name, or ``Root``.

        Raises :class:`~simkit.values.errors.UsageError` for an unknown or ambiguous name.
        """
        if text == _ROOT:
            return _ROOT
        paths = [f.path for f in self.walk()]
        if text in paths:
            return text
        named = [f.path for f in self.walk() if f.name == text]
        if len(named) == 1:
            return named[0]
        if named:
            raise UsageError(f"folder name {text!r} is ambiguous ({', '.join(named)}): "
                             "write its path")
        known = ", ".join(paths) or "none"
        raise UsageError(f"folder {text!r} does not exist in org (folders: {known})")

    def principal(self, text: str) -> tuple[str, str]:
        """Resolve a principal to ``("rd", "")``, ``("folder", PATH)`` or ``("account", ID)``.

        Raises :class:`~simkit.values.errors.UsageError` when it names nothing declared.
        """
        if text == "rd":
            return ("rd", "")
        if text.startswith("folder:"):
            return ("folder", self.resolve_folder(text[len("folder:"):]))
        account = text[len("account:"):] if text.startswith("account:") else text
        if self.kind(account) is None:
            raise UsageError(f"account {account!r} is not declared in org")
        return ("account", account)


@dataclass(frozen=True)
class PoolRules:
    """Allocation rules of a pool; None where the scenario gives no value."""

    min_mask: int | None = None
    max_mask: int | None = None
    default_mask: int | None = None


@dataclass(frozen=True)
class PoolSpec:
    """A pool declared under an IPAM in ``ipams``.

    Attributes
    ----------
    id : unique among all pools of the scenario (steps' ``create_ipam_pool`` included).
    line : the line of the pool's mapping.
    ipam : the id of the IPAM it belongs to.
    source : id of its source pool (declared earlier in the same IPAM), None for a
        top-level pool.
    scope : a custom scope of its IPAM, or None for the default private scope.
    region : the pool's region as given (None: none given; a child inherits).
    cidrs : CIDRs provisioned explicitly, in file order (well formed, checked).
    masks : masks provisioned from the source's first free blocks, in file order.
    cidr_lines, mask_lines : the line of each entry of ``cidrs`` and ``masks``.
    rules : allocation rules, or None when not given.
    auto_import : the auto import flag (default False).
    strategy : how blocks are chosen: ``first`` (the cloud's rule, default),
        ``best``, ``last`` or ``random`` (a simkit extension).
    name, description : display fields, or None.
    """

    id: str
    line: int
    ipam: str
    source: str | None = None
    scope: str | None = None
    region: str | None = None
    cidrs: tuple[Cidr, ...] = ()
    masks: tuple[int, ...] = ()
    cidr_lines: tuple[int, ...] = ()
    mask_lines: tuple[int, ...] = ()
    rules: PoolRules | None = None
    auto_import: bool = False
    strategy: str = "first"
    name: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class IpamSpec:
    """An IPAM declared in ``ipams``.

    Attributes
    ----------
    id, line : its unique id and the line of its mapping.
    owner : the declared account that owns it.
    region : its managed (home) region.
    operating_regions : the operating regions in file order, the home region
        first when the file leaves it out (it is always one of them).
    scopes : custom scope ids (unique in the scenario); the two default scopes
        are not listed.
    scope_lines : the line of each custom scope.
    pools : its pools, in file order (a source always before its children).
    """

    id: str
    line: int
    owner: str
    region: str
    operating_regions: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    scope_lines: tuple[int, ...] = ()
    pools: tuple[PoolSpec, ...] = ()


@dataclass(frozen=True)
class VpcSpec:
    """A network that exists before step 1 (Unmanaged): ``vpcs`` entries."""

    id: str
    line: int
    owner: str
    region: str
    cidr: Cidr


@dataclass(frozen=True)
class ReservedSpec:
    """Space used outside the cloud (``reserved`` entries); overlaps are conflicts."""

    name: str
    line: int
    cidr: Cidr


@dataclass(frozen=True)
class DemandSpec:
    """A stream of generated ``create_vpc`` requests (``demand`` entries).

    Attributes
    ----------
    index, line : 1-based position in ``demand`` and the line of its mapping.
    actor : the declared account that makes the requests (``as``).
    pool : the pool drawn from (declared in ``ipams`` or created by a step).
    masks : ``((mask, weight), ...)`` in file order, weights summing to 1;
        ``mask: 24`` gives ``((24, 1.0),)``.
    count : how many requests.
    every : a fixed interval between requests, or None.
    rate : Poisson arrivals per second, or None (exactly one of every/rate is set).
    begin : time of the first request (or of the process start), UTC; default
        the scenario's start.
    lifetime : the VPC is deleted this long after it is created; None: kept.
    region : request region, or None for the pool's default.
    """

    index: int
    line: int
    actor: str
    pool: str
    masks: tuple[tuple[int, float], ...]
    count: int
    every: timedelta | None
    rate: float | None
    begin: datetime
    lifetime: timedelta | None = None
    region: str | None = None

    @classmethod
    def of(cls, actor: str, pool: str, masks: int | Mapping[int, float], count: int, *,
           every: timedelta | None = None, rate: float | None = None,
           begin: datetime = DEFAULT_START, lifetime: timedelta | None = None,
           region: str | None = None) -> DemandSpec:
        """A demand entry written in Python (``masks``: one mask, or mask -> weight).

        >>> from datetime import timedelta
        >>> DemandSpec.of("net", "hz", {24: 0.5, 26: 0.5}, 10, every=timedelta(days=1)).masks
        ((24, 0.5), (26, 0.5))
        """
        if (every is None) == (rate is None):
            raise UsageError("a demand entry takes exactly one of every and rate")
        pairs = ((masks, 1.0),) if isinstance(masks, int) else tuple(masks.items())
        return cls(0, 0, actor, pool, pairs, count, every, rate, begin, lifetime, region)


#: Alias: the scenario's ``demand`` entries.
Demand = DemandSpec


@dataclass(frozen=True)
class Expect:
    """What an op step must give.

    ``kind`` is ``"success"`` (no ``expect``: it must succeed, ``value`` None),
    ``"any"`` (judge nothing, ``value`` None), ``"error"`` (``value`` is the
    code), ``"cidr"`` (``value`` is the CIDR text as written), or ``"pools"``,
    ``"cidrs"``, ``"allocations"`` (``value`` is a tuple of strings, order
    ignored when judged).
    """

    kind: str
    value: Any = None


@dataclass(frozen=True)
class Step:
    """One step of a scenario.

    Attributes
    ----------
    index : 1-based position in ``steps``; messages say ``step 3 (create_vpc)``.
    line : the line of the step's mapping.
    kind : ``"op"``, ``"advance"``, ``"at"`` or ``"check"``.
    op : the operation name (``kind == "op"``), else None.
    actor : the declared account of ``as`` (op steps), else None.
    args : the op's arguments as given, without ``op``, ``as``, ``region``,
        ``expect`` (plain lists and dicts; CIDRs, masks and ids are not judged
        here).  For ``create_ipam_pool``, ``region`` is the new pool's region
        and stays in ``args``; its ``Step.region`` is None.  Account ids are
        strings.
    region : the request region given, or None (the pool's region, or its
        IPAM's home region).
    expect : an :class:`Expect` for op steps (``kind="success"`` when not
        given), None for other steps.
    duration : for ``advance`` steps, a positive timedelta.
    time : for ``at`` steps, a UTC datetime never earlier than the clock there.
    check : for ``check`` steps, the mapping as given: ``pool`` with figures,
        or ``account`` with ``visible_pools``.
    """

    index: int
    line: int
    kind: str
    op: str | None = None
    actor: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    region: str | None = None
    expect: Expect | None = None
    duration: timedelta | None = None
    time: datetime | None = None
    check: dict[str, Any] | None = None

    @property
    def label(self) -> str:
        """``step 3 (create_vpc)``, or ``step 4`` for a step that is not an op."""
        return f"step {self.index} ({self.op})" if self.op else f"step {self.index}"
