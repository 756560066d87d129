"""The organisation: a resource directory as a graph, and who a principal names.

The resource directory (docs/rules.md section 1) is a tree held in a networkx
``DiGraph``: folder nodes ``"folder:Root"``, ``"folder:Business"``,
``"folder:Business/Retail"`` and member account nodes ``"account:ID"``, with
an edge from each folder to its sub-folders and to the accounts it holds.
External accounts are known to the organisation but are not in the tree.

A folder is named by its full path below Root (``"Business/Retail"``; Root
itself is ``"Root"``, and a leading ``"Root/"`` may be written or left out).
A folder name that occurs once may stand for its path.

Principals (docs/rules.md section 4) are resolved here: ``rd``, ``folder:PATH``,
``account:ID`` or a bare account id. A principal is evaluated when it is used
(:meth:`Organisation.covers`), so moving an account changes what it is
covered by at once.

Examples
--------
>>> org = Organisation("mgmt")
>>> org.add_folder("Business"), org.add_folder("Business/Retail")
('Business', 'Business/Retail')
>>> org.add_account("retail-prod", "Retail")
>>> org.add_external("partner")
>>> org.folders()
['Root', 'Business', 'Business/Retail']
>>> business = org.parse_principal("folder:Business")
>>> str(business), org.covers(business, "retail-prod")
('folder:Business', True)
>>> org.move_account("mgmt", "retail-prod", "Root")
>>> org.covers(business, "retail-prod")
False
>>> org.parse_principal("folder:Retail"), org.parse_principal("partner")
(Principal(kind='folder', value='Business/Retail'), Principal(kind='account', value='partner'))
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import networkx as nx

from ..values.errors import DomainError, StateError, UsageError
from ..values.quotas import Quotas
from ..values.state import Reader, check_attributes

__all__ = ["ROOT", "Organisation", "Principal"]

#: The path of the root folder.
ROOT = "Root"

_ROOT_NODE = f"folder:{ROOT}"
_PRINCIPAL_KINDS = ("rd", "folder", "account")


@dataclass(frozen=True)
class Principal:
    """A target of a resource share: the whole RD, a folder or one account.

    ``value`` is ``""`` for ``rd``, the full folder path for ``folder`` and
    the account id for ``account``.

    Examples
    --------
    >>> str(Principal("folder", "Business/Retail")), str(Principal("rd", ""))
    ('folder:Business/Retail', 'rd')
    """

    kind: str
    value: str

    def __post_init__(self) -> None:
        if self.kind not in _PRINCIPAL_KINDS:
            raise UsageError(f"principal kind {self.kind!r} is not one of {_PRINCIPAL_KINDS}")
        if (self.kind == "rd") != (self.value == ""):
            raise UsageError(f"principal {self.kind}:{self.value!r}: only rd has an empty value")

    def __str__(self) -> str:
        return self.kind if self.kind == "rd" else f"{self.kind}:{self.value}"


def _folder_node(path: str) -> str:
    return f"folder:{path}"


def _account_node(account: str) -> str:
    return f"account:{account}"


def _normalise(path: str) -> str:
    """``"Root/Business"`` and ``"Business"`` name the same folder."""
    return path[len(ROOT) + 1:] if path.startswith(f"{ROOT}/") else path


def _parent(path: str) -> str:
    return path.rpartition("/")[0] or ROOT


def _check_folder_path(path: object) -> str:
    """Return the normalised path, or raise UsageError for a malformed one."""
    if not isinstance(path, str):
        raise UsageError(f"a folder path is a string such as 'Business/Retail', not {path!r}")
    path = _normalise(path)
    for name in path.split("/"):
        if not name or ":" in name:
            raise UsageError(
                f"folder path {path!r} has the invalid folder name {name!r}: a folder name is "
                "non-empty and contains neither '/' nor ':'; rename the folder")
    return path


class Organisation:
    """A resource directory: folders, member accounts, and the external accounts.

    Parameters
    ----------
    management_account : the account that created the directory; it is a
        member placed in Root.
    quotas : the quotas in force (``rd_folders``, ``rd_members``,
        ``folder_depth``); the documented defaults when omitted.

    Attributes
    ----------
    graph : the tree, folders and member accounts (see the module docstring).
        Read it freely; change it only through the methods.

    Examples
    --------
    >>> org = Organisation("mgmt")
    >>> org.add_folder("Network")
    'Network'
    >>> org.add_account("netadmin", "Network")
    >>> org.add_external("partner")
    >>> org.members(), org.externals(), org.folder_of("netadmin"), org.folder_of("partner")
    (['mgmt', 'netadmin'], ['partner'], 'Network', None)
    """

    def __init__(self, management_account: str, quotas: Quotas | None = None) -> None:
        _check_account_id(management_account)
        self.management_account = management_account
        self.quotas = quotas if quotas is not None else Quotas()
        self.graph: nx.DiGraph = nx.DiGraph()
        self.graph.add_node(_ROOT_NODE, kind="folder", path=ROOT)
        self.graph.add_node(_account_node(management_account), kind="account")
        self.graph.add_edge(_ROOT_NODE, _account_node(management_account))
        self._externals: set[str] = set()
        # derived from the graph: how many members there are, so that adding one is O(1)
        self._member_count = 1
        # derived from the graph, dropped when it changes: the members under each folder
        # principal (and "" for rd) that covered() was asked about, and members() sorted
        self._covered: dict[str, frozenset[str]] = {}
        self._members: tuple[str, ...] | None = None

    # -- building ----------------------------------------------------------------------

    def add_folder(self, path: str) -> str:
        """Create the folder ``path``; its parent must exist. Return the full path.

        Raises
        ------
        UsageError : a malformed path (an empty name, or one with ``:``).
        DomainError
            ``ResourceNotFound.Folder`` (no parent), ``OperationDenied.ResourceExist``,
            ``QuotaExceeded.FolderDepth``, ``QuotaExceeded.RdFolders``.
        """
        path = _check_folder_path(path)
        parent = _parent(path)
        if not self._has_folder(parent):
            raise DomainError("ResourceNotFound.Folder", folder=parent)
        if self._has_folder(path):
            raise DomainError("OperationDenied.ResourceExist", kind="folder", id=path)
        self.quotas.check("folder_depth", self.depth(parent), subject=f"folder {path}")
        self.quotas.check("rd_folders", len(self._folder_nodes()) - 1,
                          subject="the resource directory")
        self.graph.add_node(_folder_node(path), kind="folder", path=path)
        self.graph.add_edge(_folder_node(parent), _folder_node(path))
        self._changed()
        return path

    def add_account(self, account: str, folder: str = ROOT) -> None:
        """Add ``account`` as a member in ``folder`` (a path, or a unique folder name).

        Raises ``ResourceNotFound.Folder``, ``OperationDenied.ResourceExist``
        (the account is already declared, as a member or an external) or
        ``QuotaExceeded.RdMembers``.
        """
        _check_account_id(account)
        path = self.resolve_folder(folder)
        self._check_new_account(account)
        self.quotas.check("rd_members", self._member_count, subject="the resource directory")
        self.graph.add_node(_account_node(account), kind="account")
        self.graph.add_edge(_folder_node(path), _account_node(account))
        self._member_count += 1
        self._changed()

    def add_external(self, account: str) -> None:
        """Declare ``account`` as an external account (outside the directory)."""
        _check_account_id(account)
        self._check_new_account(account)
        self._externals.add(account)

    # -- operations (the management account's API) -------------------------------------

    def move_account(self, actor: str, account: str, folder: str) -> None:
        """``MoveAccount``: put the member ``account`` in ``folder``.

        Only the management account may move accounts, itself included (the
        cloud documents no exception for it). Checked in this order:
        ``Forbidden`` (actor), ``ResourceNotFound.Account`` (not a member),
        ``ResourceNotFound.Folder``. Moving to the current folder is a no-op.

        Examples
        --------
        >>> org = Organisation("mgmt")
        >>> org.add_account("dev")
        >>> org.move_account("dev", "dev", "Root")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        simkit.DomainError: Forbidden: dev may not move accounts: only ... mgmt ...
        """
        self._check_management(actor, "move accounts")
        self._check_member(account)
        path = self.resolve_folder(folder)
        node = _account_node(account)
        self.graph.remove_edge(next(iter(self.graph.predecessors(node))), node)
        self.graph.add_edge(_folder_node(path), node)
        self._changed()

    def remove_account(self, actor: str, account: str) -> None:
        """Remove the member ``account`` from the directory; it becomes external.

        Checked in this order: ``Forbidden`` (actor is not the management
        account), ``ResourceNotFound.Account`` (not a member),
        ``OperationDenied.RemoveManagementAccount``.
        """
        self._check_management(actor, "remove accounts")
        self._check_member(account)
        if account == self.management_account:
            raise DomainError("OperationDenied.RemoveManagementAccount", account=account)
        self.graph.remove_node(_account_node(account))
        self._member_count -= 1
        self._externals.add(account)
        self._changed()

    # -- queries -----------------------------------------------------------------------

    def knows(self, account: str) -> bool:
        """True for a member or an external account."""
        return self.is_member(account) or self.is_external(account)

    def is_member(self, account: str) -> bool:
        return _account_node(account) in self.graph

    def is_external(self, account: str) -> bool:
        return account in self._externals

    def folder_of(self, account: str) -> str | None:
        """The folder path of a member (``"Root"`` at the top), None for an external.

        Raises ``ResourceNotFound.Account`` for an account the organisation
        does not know.
        """
        if self.is_external(account):
            return None
        self._check_member(account)
        (parent,) = self.graph.predecessors(_account_node(account))
        return self.graph.nodes[parent]["path"]

    def accounts_in(self, folder: str, recursive: bool = True) -> set[str]:
        """Members in ``folder``, and with ``recursive`` in its sub-folders too."""
        node = _folder_node(self.resolve_folder(folder))
        nodes = nx.descendants(self.graph, node) if recursive else self.graph.successors(node)
        return {n.partition(":")[2] for n in nodes if self.graph.nodes[n]["kind"] == "account"}

    def resolve_folder(self, name: str) -> str:
        """The full path of ``name``: a full path, or a folder name found once.

        A full path wins over a name (``"Retail"`` is the top-level folder
        Retail even when ``Business/Retail`` exists too).

        Raises
        ------
        DomainError : ``ResourceNotFound.Folder`` when nothing matches.
        UsageError : when the name belongs to several folders; the message lists them.
        """
        path = _check_folder_path(name)
        if self._has_folder(path):
            return path
        candidates = [] if "/" in path else [
            p for p in self.folders() if p.rpartition("/")[2] == path]
        if not candidates:
            raise DomainError("ResourceNotFound.Folder", folder=name)
        if len(candidates) > 1:
            raise UsageError(
                f"the folder name {name!r} is ambiguous: it names {', '.join(candidates)}; "
                "write the full path, e.g. folder:" + candidates[0])
        return candidates[0]

    def parse_principal(self, text: str) -> Principal:
        """Read a principal: ``rd``, ``folder:PATH``, ``account:ID`` or a bare account id.

        ``rd`` always means the whole directory (write ``account:rd`` for an
        account with that id). External accounts are valid principals.

        Raises
        ------
        DomainError : ``ResourceNotFound.Folder`` or ``ResourceNotFound.Account``.
        UsageError : an empty principal, or an ambiguous folder name.
        """
        if not isinstance(text, str) or not text:
            raise UsageError(f"a principal is rd, folder:PATH, account:ID or an account id, "
                             f"not {text!r}")
        if text == "rd":
            return Principal("rd", "")
        kind, sep, value = text.partition(":")
        if sep and kind == "folder":
            return Principal("folder", self.resolve_folder(value))
        account = value if sep and kind == "account" else text
        if not self.knows(account):
            raise DomainError(
                "ResourceNotFound.Account",
                f"the account {account} is not declared in the organisation "
                "(neither a member nor an external account)", account=account)
        return Principal("account", account)

    def covers(self, principal: Principal, account: str) -> bool:
        """True when ``principal`` includes ``account`` now.

        ``rd`` covers the current members; a folder the members in it or in
        its sub-folders; an account principal that account only.
        """
        if principal.kind == "account":
            return principal.value == account
        if not self.is_member(account):
            return False
        if principal.kind == "rd":
            return True
        # a folder's path names its ancestors, so the account's folder path says it all
        path = _normalise(principal.value)
        if not self._has_folder(path):
            return False
        if path == ROOT:
            return True
        (parent,) = self.graph.predecessors(_account_node(account))
        inside = self.graph.nodes[parent]["path"]
        return inside == path or inside.startswith(f"{path}/")

    def covered(self, principal: Principal) -> frozenset[str]:
        """The accounts :meth:`covers` is true for: every account ``principal`` includes now.

        A folder's (or the directory's) answer is kept until the organisation
        changes, so asking again costs nothing.

        Examples
        --------
        >>> org = Organisation("mgmt")
        >>> _ = org.add_folder("Business")
        >>> org.add_account("dev", "Business")
        >>> sorted(org.covered(Principal("folder", "Business")))
        ['dev']
        >>> len(org.covered(Principal("rd", "")))    # the members: mgmt and dev
        2
        """
        if principal.kind == "account":
            return frozenset((principal.value,))
        found = self._covered.get(principal.value)
        if found is None:
            found = self._covered[principal.value] = frozenset(self._members_under(principal))
        return found

    def _members_under(self, principal: Principal) -> Iterator[str]:
        if principal.kind == "rd":
            return (n.partition(":")[2] for n in self._nodes_of("account"))
        node = _folder_node(_normalise(principal.value))
        if node not in self.graph:
            return iter(())
        return (n.partition(":")[2] for n in nx.descendants(self.graph, node)
                if self.graph.nodes[n]["kind"] == "account")

    def members(self) -> list[str]:
        """Member account ids, sorted."""
        if self._members is None:
            self._members = tuple(sorted(n.partition(":")[2] for n in self._nodes_of("account")))
        return list(self._members)

    def externals(self) -> list[str]:
        """External account ids, sorted."""
        return sorted(self._externals)

    def folders(self) -> list[str]:
        """Folder paths: ``"Root"`` first, then the others sorted."""
        return [ROOT, *sorted(self.graph.nodes[n]["path"] for n in self._folder_nodes()
                              if n != _ROOT_NODE)]

    def depth(self, folder: str) -> int:
        """Levels below Root (Root is 0, ``Business/Retail`` is 2)."""
        node = _folder_node(self.resolve_folder(folder))
        return nx.shortest_path_length(self.graph, _ROOT_NODE, node)

    # -- state -------------------------------------------------------------------------

    def copy(self) -> Organisation:
        """An independent copy (the quotas, immutable, are shared)."""
        other = Organisation.__new__(Organisation)
        other.management_account = self.management_account
        other.quotas = self.quotas
        other.graph = self.graph.copy()
        other._externals = set(self._externals)
        other._member_count = self._member_count
        other._covered, other._members = {}, None
        return other

    def fingerprint(self) -> tuple:
        """A hashable value, equal exactly when two organisations have the same
        management account, folders, member placement and external accounts."""
        return (
            self.management_account,
            tuple(self.folders()),
            tuple((a, self.folder_of(a)) for a in self.members()),
            tuple(self.externals()),
        )

    def __repr__(self) -> str:
        return (f"<Organisation management_account={self.management_account!r} "
                f"folders={len(self.folders())} members={len(self.members())} "
                f"externals={len(self._externals)}>")

    #: The attributes :meth:`to_state` writes or :meth:`from_state` is given.
    _STATE = frozenset({"management_account", "quotas", "graph", "_externals",
                        "_member_count", "_covered", "_members"})

    def to_state(self) -> dict[str, Any]:
        """The organisation as plain data (see :mod:`simkit.values.state`).

        The graph's nodes as ``[node, kind, path]`` (``path`` is None for an
        account) and its edges as ``[parent, child]``, both in the graph's
        order; the external accounts sorted.  The quotas are the simulation's.

        Examples
        --------
        >>> org = Organisation("mgmt")
        >>> org.add_account("dev")
        >>> org.to_state()["edges"]
        [['folder:Root', 'account:mgmt'], ['folder:Root', 'account:dev']]
        >>> Organisation.from_state(org.to_state()).fingerprint() == org.fingerprint()
        True
        """
        check_attributes(self, self._STATE)
        return {
            "management_account": self.management_account,
            "nodes": [[node, data.get("kind"), data.get("path")]
                      for node, data in self.graph.nodes(data=True)],
            "edges": [[u, v] for u, v in self.graph.edges()],
            "externals": self.externals(),
        }

    @classmethod
    def from_state(cls, state: Any, quotas: Quotas | None = None) -> Organisation:
        """The organisation :meth:`to_state` wrote, with ``quotas`` in force.

        ``state`` is the plain data or a :class:`~simkit.values.state.Reader` of it.
        The folders and accounts must form one tree under Root that holds the
        management account, each folder below the folder its path names; an
        external account is not a member.  Anything else is refused with
        :class:`~simkit.values.errors.StateError`.
        """
        at = Reader.of(state, "org")
        management = at["management_account"]
        try:
            org = cls(management.str(), quotas)
        except UsageError as err:  # not an account id
            raise management.error(str(err)) from None
        graph = nx.DiGraph()
        for item in at["nodes"].items():
            node, kind, path = (x.value for x in item.fixed(3))
            if kind == "folder" and isinstance(path, str) and node == _folder_node(path):
                try:
                    if _check_folder_path(path) != path:
                        raise UsageError(f"{path!r} is not a full folder path")
                except UsageError as err:
                    raise item.error(str(err)) from None
                graph.add_node(node, kind="folder", path=path)
            elif kind == "account" and path is None and isinstance(node, str) \
                    and node.startswith("account:") and node != "account:":
                graph.add_node(node, kind="account")
            else:
                raise item.fail("a node [folder:PATH, \"folder\", PATH] or "
                                "[account:ID, \"account\", null]")
        for item in at["edges"].items():
            u, v = (x.str() for x in item.pair())
            if u not in graph or v not in graph or graph.nodes[u]["kind"] != "folder":
                raise item.fail("an edge from a folder to a folder or account of the state")
            if graph.nodes[v]["kind"] == "folder" and \
                    _parent(graph.nodes[v]["path"]) != graph.nodes[u]["path"]:
                raise item.fail("an edge from a folder to a folder of its path")
            graph.add_edge(u, v)
        if (_ROOT_NODE not in graph or not nx.is_arborescence(graph)
                or graph.in_degree(_ROOT_NODE) != 0
                or _account_node(org.management_account) not in graph):
            raise StateError(f"{at.where} is not a resource directory: its folders and "
                             "accounts must form one tree under folder:Root that holds the "
                             "management account")
        org.graph = graph
        org._changed()
        org._member_count = sum(1 for _, k in graph.nodes(data="kind") if k == "account")
        externals = at["externals"]
        org._externals = {a.str() for a in externals.items()}
        if any(not a or org.is_member(a) for a in org._externals):
            raise externals.fail("accounts that are not members")
        at.done()
        return org

    # -- helpers -----------------------------------------------------------------------

    def _changed(self) -> None:
        """Drop what was derived from the graph, which just changed."""
        self._covered.clear()
        self._members = None

    def _nodes_of(self, kind: str) -> Iterator[str]:
        return (n for n, k in self.graph.nodes(data="kind") if k == kind)

    def _folder_nodes(self) -> list[str]:
        return list(self._nodes_of("folder"))

    def _has_folder(self, path: str) -> bool:
        return _folder_node(path) in self.graph

    def _check_new_account(self, account: str) -> None:
        if self.knows(account):
            raise DomainError("OperationDenied.ResourceExist", kind="account", id=account)

    def _check_member(self, account: str) -> None:
        if not self.is_member(account):
            raise DomainError("ResourceNotFound.Account", account=account)

    def _check_management(self, actor: str, action: str) -> None:
        if actor != self.management_account:
            raise DomainError(
                "Forbidden", actor=actor, action=action,
                reason=f"only the management account {self.management_account} "
                       "manages the resource directory")


def _check_account_id(account: object, where: str = "") -> None:
    if not isinstance(account, str) or not account:
        hint = "; quote numeric ids in YAML ('1234')" if isinstance(account, int) else ""
        place = f" {where}" if where else ""
        raise UsageError(f"the account id {account!r}{place} is not valid: an account id is a "
                         f"non-empty string{hint}")
