"""Scenario files: reading, validating, and the JSON Schema of the format.

A scenario is one YAML document in the format of ``SCENARIO.md`` (version 1).
:func:`load` and :func:`loads` turn it into a frozen :class:`Scenario` or
raise :class:`~simkit.errors.ScenarioError` naming the file, the line and
what is wrong.  Nothing else escapes them, whatever the input.

The format is described once, as data, in this module (:data:`FORMAT` and
:data:`OPS`): the validator and :func:`json_schema` both read that
description, so they cannot drift apart.  What the description cannot say
(accounts and folders declared in ``org``, unique ids, a clock that never
goes back, demand weights summing to 1) is checked by the loader after the
structure, still with the line of the offending value.

Values the cloud itself judges inside an ``op`` step (a malformed CIDR, a mask
of 33, a pool that does not exist) are kept as given: the step fails at run
time with the cloud's code.  The declarative sections are checked for
well-formed CIDRs and masks here; their domain rules (overlaps, regions,
quotas) are the engine's, which reports them with the lines kept on every
spec object.

Examples
--------
>>> s = loads('''
... version: 1
... name: docs
... org: {management_account: mgmt, accounts: [net]}
... ipams:
...   - id: ipam-1
...     owner: net
...     region: cn-hangzhou
...     pools: [{id: corp, cidrs: [10.0.0.0/8]}]
... steps:
...   - op: create_vpc
...     as: net
...     vpc: vpc-a
...     pool: corp
...     mask: 16
...     expect: {cidr: 10.0.0.0/16}
...   - advance: 8d
... ''')
>>> s.name, [str(c) for c in s.ipams[0].pools[0].cidrs], s.ipams[0].pools[0].line
('docs', ['10.0.0.0/8'], 9)
>>> step = s.steps[0]
>>> step.label, step.actor, step.args
('step 1 (create_vpc)', 'net', {'vpc': 'vpc-a', 'pool': 'corp', 'mask': 16})
>>> step.expect, s.steps[1].duration
(Expect(kind='cidr', value='10.0.0.0/16'), datetime.timedelta(days=8))
>>> loads("version: 1\\nname: x\\norg: {management_account: m}\\nsteps: [{advance: 3 days}]\\n")
... # doctest: +ELLIPSIS
Traceback (most recent call last):
...
simkit.errors.ScenarioError: <string>:4: step 1: advance must be a duration such as 30m, ...
"""

from __future__ import annotations

import difflib
import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import yaml

from .addresses import Cidr, check_mask, parse_cidr
from .allocator import STRATEGIES
from .errors import ERROR_CODES, DomainError, ScenarioError, UsageError
from .quotas import QUOTAS

__all__ = [
    "DEFAULT_START",
    "FORMAT",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_NODES",
    "OPS",
    "Demand",
    "DemandSpec",
    "Expect",
    "FolderSpec",
    "IpamSpec",
    "OpSpec",
    "OrgSpec",
    "PoolRules",
    "PoolSpec",
    "ReservedSpec",
    "Scenario",
    "Step",
    "VpcSpec",
    "json_schema",
    "load",
    "loads",
    "parse_duration",
    "parse_rate",
    "parse_time",
    "write_schema",
]

#: Largest scenario file accepted, in bytes.
MAX_BYTES = 64 * 1024 * 1024
#: Most values (mappings, lists, scalars) a document may hold once its YAML
#: aliases are expanded: an "alias bomb" is refused before it is expanded.
MAX_NODES = 4_000_000
#: Deepest nesting of mappings and lists accepted.
MAX_DEPTH = 64
#: The clock start when a scenario gives none.
DEFAULT_START = datetime(2026, 1, 1, tzinfo=UTC)
#: The format version this module reads.
VERSION = 1

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION_RE = re.compile(r"^([0-9]+(?:\.[0-9]+)?)([smhd])$")
_RATE_RE = re.compile(r"^([0-9]+(?:\.[0-9]+)?)/([smhd])$")
_TIME_RE = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[Tt ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?:[Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)?)?$"
)
_CIDR_RE = re.compile(r"^[0-9A-Fa-f:.]+/[0-9]{1,3}$")
_MASK_KEY_RE = re.compile(r"^(?:3[0-2]|[12]?[0-9])$")
_ROOT = "Root"


# ---------------------------------------------------------------------------------------------
# Public helpers: durations, rates, times
# ---------------------------------------------------------------------------------------------

def parse_duration(text: str) -> timedelta:
    """Parse a duration such as ``30m``, ``12h``, ``8d`` or ``45s``.

    A duration is a number (decimals allowed) followed by one unit: ``s``,
    ``m``, ``h`` or ``d``.  Anything else raises :class:`~simkit.errors.UsageError`.

    Examples
    --------
    >>> parse_duration("12h"), parse_duration("1.5d")
    (datetime.timedelta(seconds=43200), datetime.timedelta(days=1, seconds=43200))
    >>> parse_duration("3 days")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    simkit.errors.UsageError: '3 days' is not a duration: write a number and one of the units ...
    """
    match = _DURATION_RE.match(text) if isinstance(text, str) else None
    if match is None:
        raise UsageError(f"{text!r} is not a duration: write a number and one of the units "
                         "s, m, h, d, such as 30m, 12h or 8d")
    number = float(match[1]) if "." in match[1] else int(match[1])
    try:
        return timedelta(**{_UNITS[match[2]]: number})
    except OverflowError:
        raise UsageError(f"the duration {text!r} is too long") from None


def parse_rate(text: str) -> float:
    """Parse a rate such as ``3/d`` or ``0.5/h`` into arrivals per second.

    Examples
    --------
    >>> parse_rate("3/d") * 86400, parse_rate("0.5/h") * 3600
    (3.0, 0.5)
    """
    match = _RATE_RE.match(text) if isinstance(text, str) else None
    if match is None:
        raise UsageError(f"{text!r} is not a rate: write a count per unit, such as 3/d or 0.5/h "
                         "(units s, m, h, d)")
    return float(match[1]) / _UNIT_SECONDS[match[2]]


def parse_time(text: str | datetime | date) -> datetime:
    """Parse an ISO 8601 time into a timezone-aware UTC :class:`~datetime.datetime`.

    A time without an offset, and a bare date (midnight), are taken as UTC.
    YAML timestamps (``datetime`` or ``date`` objects) are accepted as well.

    Examples
    --------
    >>> parse_time("2026-01-01T08:00:00+08:00")
    datetime.datetime(2026, 1, 1, 0, 0, tzinfo=datetime.timezone.utc)
    >>> parse_time("2026-02-01")
    datetime.datetime(2026, 2, 1, 0, 0, tzinfo=datetime.timezone.utc)
    """
    if isinstance(text, datetime):
        value = text
    elif isinstance(text, date):
        value = datetime(text.year, text.month, text.day)
    elif isinstance(text, str) and _TIME_RE.match(text.strip()):
        try:
            value = datetime.fromisoformat(text.strip().upper())
        except ValueError as err:
            raise UsageError(f"{text!r} is not a valid time: {err}") from None
    else:
        raise UsageError(f"{text!r} is not an ISO 8601 time such as 2026-01-01T00:00:00Z "
                         "or 2026-02-01")
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise UsageError(f"the time {text!r} is out of range") from None


def _fmt_time(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if not value.microsecond else value.isoformat()


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
    itself is ``Root`` (as in :mod:`simkit.org`).  Account ids are strings.

    Examples
    --------
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

        Raises :class:`~simkit.errors.UsageError` for an unknown or ambiguous name.
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

        Raises :class:`~simkit.errors.UsageError` when it names nothing declared.
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


@dataclass(frozen=True)
class Scenario:
    """A validated scenario.

    Attributes
    ----------
    file : the file it was read from (``<string>`` for :func:`loads`).
    name, description : as given (description None when absent).
    seed : the seed of every random choice (default 0).
    start : the clock start, UTC (default :data:`DEFAULT_START`).
    quotas : raised quotas, ``{key: value}`` with keys of :data:`~simkit.quotas.QUOTAS`.
    org : the :class:`OrgSpec`.
    ipams, vpcs, reserved, steps, demand : tuples of the spec objects, in file order.
    raw : the document as plain Python data (what a YAML safe load gives), with
        every ``{param: NAME}`` replaced by the parameter's value.
    parameters : the value of each declared parameter for this scenario, in file order.
    source : the text it was read from (None when built by hand); see
        :meth:`with_parameters`.
    """

    file: str
    name: str
    description: str | None
    seed: int
    start: datetime
    quotas: dict[str, int]
    org: OrgSpec
    ipams: tuple[IpamSpec, ...]
    vpcs: tuple[VpcSpec, ...]
    reserved: tuple[ReservedSpec, ...]
    steps: tuple[Step, ...]
    demand: tuple[DemandSpec, ...]
    raw: dict[str, Any] = field(compare=False, repr=False)
    parameters: dict[str, Any] = field(default_factory=dict)
    source: str | None = field(default=None, compare=False, repr=False)

    @property
    def pools(self) -> dict[str, PoolSpec]:
        """Every declared pool by id, IPAM by IPAM in file order."""
        return {p.id: p for ipam in self.ipams for p in ipam.pools}

    def with_parameters(self, values: Mapping[str, Any]) -> Scenario:
        """The same file read again with some parameters set to other values.

        Values not given keep the ones in force here.  Raises
        :class:`~simkit.errors.ScenarioError` for an undeclared parameter, a value
        of another type than the default, or a value the format refuses where it is
        used.

        Examples
        --------
        >>> s = loads("version: 1\\nname: p\\nparameters: {base: 20}\\n"
        ...           "org: {management_account: m}\\nseed: {param: base}\\n")
        >>> s.seed, s.with_parameters({"base": 22}).seed, s.parameters
        (20, 22, {'base': 20})
        """
        if self.source is None:
            raise UsageError(f"scenario {self.name!r} was not read from text: load it with "
                             "simkit.load or simkit.loads to change its parameters")
        return loads(self.source, self.file, parameters={**self.parameters, **values})


# ---------------------------------------------------------------------------------------------
# YAML: text to a tree of values that remember their lines
# ---------------------------------------------------------------------------------------------

class _Invalid(Exception):
    """A problem found while loading; becomes a ScenarioError with the file name."""

    def __init__(self, reason: str, line: int | None):
        super().__init__(reason)
        self.reason = reason
        self.line = line


class _YMap(dict):
    """A YAML mapping that remembers its line and the lines of its keys and values."""

    __slots__ = ("line", "key_lines", "value_lines")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[Any, int] = {}
        self.value_lines: dict[Any, int] = {}

    def put(self, key: Any, value: Any, key_line: int, value_line: int) -> None:
        self[key] = value
        self.key_lines[key] = key_line
        self.value_lines[key] = value_line


class _YList(list):
    """A YAML sequence that remembers its line and the line of each item."""

    __slots__ = ("line", "lines")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.lines: list[int] = []


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MAP_TAG, _SEQ_TAG = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_MERGE_TAG, _TIME_TAG = "tag:yaml.org,2002:merge", "tag:yaml.org,2002:timestamp"


def _line_of(event: Any) -> int:
    return event.start_mark.line + 1


_SCALAR_CACHE_LIMIT = 100_000


class _Composer:
    """Build :class:`_YMap`/:class:`_YList` trees from PyYAML's event stream.

    One pass over the events of the C parser, no node graph: scalars are
    resolved and constructed once per distinct (value, style) and cached.
    Aliases share the anchored value, and every value carries its expanded
    size and depth, so an alias bomb is refused as soon as the document would
    hold more than :data:`MAX_NODES` values, before anything is expanded.
    """

    def __init__(self, loader: Any) -> None:
        self.loader = loader
        self.anchors: dict[str, tuple[Any, int, int]] = {}   # name -> (value, size, depth)
        self.open_anchors: set[str] = set()
        self.resolved: dict[tuple[str, tuple[bool, bool]], str] = {}
        self.constructed: dict[tuple[str, str], Any] = {}

    # -- scalars -------------------------------------------------------------------
    def scalar(self, event: Any) -> Any:
        tag = event.tag
        if tag is None or tag == "!":
            key = (event.value, event.implicit)
            tag = self.resolved.get(key)
            if tag is None:
                tag = self.loader.resolve(yaml.ScalarNode, event.value, event.implicit)
                if len(self.resolved) < _SCALAR_CACHE_LIMIT:
                    self.resolved[key] = tag
        if tag in (_STR_TAG, _MERGE_TAG):
            return event.value, tag
        key2 = (tag, event.value)
        try:
            return self.constructed[key2], tag
        except KeyError:
            pass
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            value = self.loader.construct_object(node, deep=True)
        except Exception as err:  # noqa: BLE001 - any constructor failure is the file's
            if tag == _TIME_TAG:  # looks like a date but is not one: the type says
                return event.value, _STR_TAG
            problem = getattr(err, "problem", None) or str(err)
            raise _Invalid(f"cannot read the value {event.value!r}: {problem}",
                           _line_of(event)) from None
        if len(self.constructed) < _SCALAR_CACHE_LIMIT and not isinstance(value, list | dict):
            self.constructed[key2] = value
        return value, tag

    # -- the document --------------------------------------------------------------
    def document(self, events: Any) -> Any:
        """The value of the one document of ``events`` (None for an empty stream)."""
        root: list[Any] = []
        # a frame: [container, line, anchor, size, depth, pending key, key line, merge,
        #           merged map]
        stack: list[list[Any]] = []
        total = 0
        for event in events:
            kind = type(event)
            if kind is yaml.ScalarEvent:
                total += 1
                value, tag = self.scalar(event)
                size, depth, line = 1, 0, _line_of(event)
                if event.anchor is not None:
                    self.anchors[event.anchor] = (value, 1, 0)
                self._place(stack, root, value, size, depth, line, tag)
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                line = _line_of(event)
                is_map = kind is yaml.MappingStartEvent
                if event.tag not in (None, "!", _MAP_TAG if is_map else _SEQ_TAG):
                    raise _Invalid(f"the YAML tag {event.tag} is not supported here", line)
                if stack and stack[-1][0].__class__ is _YMap and stack[-1][5] is _NO_KEY:
                    raise _Invalid("a mapping key must be a plain value, not a mapping or a "
                                   "list", line)
                if len(stack) >= MAX_DEPTH:
                    raise _Invalid(f"values are nested more than {MAX_DEPTH} levels deep",
                                   line)
                if event.anchor is not None:
                    self.open_anchors.add(event.anchor)
                total += 1
                container = _YMap(line) if is_map else _YList(line)
                stack.append([container, line, event.anchor, 1, 0, _NO_KEY, 0, False, None])
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                container, line, anchor, size, depth, _, _, _, merged = stack.pop()
                if merged:
                    for key, value in container.items():
                        merged.put(key, value, container.key_lines[key],
                                   container.value_lines[key])
                    container = merged
                if anchor is not None:
                    self.open_anchors.discard(anchor)
                    self.anchors[anchor] = (container, size, depth + 1)
                self._place(stack, root, container, size, depth + 1, line, None)
            elif kind is yaml.AliasEvent:
                line = _line_of(event)
                if event.anchor in self.open_anchors:
                    raise _Invalid("a YAML alias here refers to a value that contains it: "
                                   "recursive structures are not allowed", line)
                found = self.anchors.get(event.anchor)
                if found is None:
                    raise _Invalid(f"the alias *{event.anchor} names no anchor defined "
                                   "before it", line)
                value, size, depth = found
                total += size
                if len(stack) + depth > MAX_DEPTH:
                    raise _Invalid(f"values are nested more than {MAX_DEPTH} levels deep",
                                   line)
                self._place(stack, root, value, size, depth, line, None)
            elif kind is yaml.DocumentStartEvent and root:
                raise _Invalid("a second YAML document starts here: a scenario file holds "
                               "exactly one document", _line_of(event))
            if total > MAX_NODES:
                raise _Invalid(f"this value expands to more than {MAX_NODES:,} values "
                               "through YAML aliases (an alias bomb?); a scenario is "
                               f"limited to {MAX_NODES:,}", _line_of(event))
        return root[0] if root else None

    def _place(self, stack: list[list[Any]], root: list[Any], value: Any, size: int,
               depth: int, line: int, tag: str | None) -> None:
        """Put a finished value into the container being built (or make it the root)."""
        if not stack:
            root.append(value)
            return
        frame = stack[-1]
        frame[3] += size
        if depth > frame[4]:
            frame[4] = depth
        container = frame[0]
        if container.__class__ is _YList:
            container.append(value)
            container.lines.append(line)
            return
        key = frame[5]
        if key is _NO_KEY:                       # this value is a key
            if tag == _MERGE_TAG:
                if frame[7]:
                    raise _Invalid(f"duplicate key '<<' (first at line {frame[7]})", line)
                frame[5], frame[6], frame[7] = _MERGE, line, line
                return
            if isinstance(value, list | dict):
                raise _Invalid("a mapping key must be a plain value, not a mapping or a list",
                               line)
            try:
                seen = value in container
            except TypeError:
                raise _Invalid(f"the key {value!r} cannot be used as a mapping key",
                               line) from None
            if seen:
                raise _Invalid(f"duplicate key {value!r} (first at line "
                               f"{container.key_lines[value]}): each key may appear once "
                               "in a mapping", line)
            frame[5], frame[6] = value, line
            return
        frame[5] = _NO_KEY
        if key is _MERGE:
            if frame[8] is None:
                frame[8] = _YMap(container.line)
            self._merge(value, frame[8], line)
            return
        container.put(key, value, frame[6], line)

    @staticmethod
    def _merge(value: Any, into: _YMap, line: int) -> None:
        sources = value if isinstance(value, _YList) else [value]
        for i, source in enumerate(sources):
            if not isinstance(source, _YMap):
                at = sources.lines[i] if isinstance(sources, _YList) else line
                raise _Invalid("a merge key (<<) takes a mapping or a list of mappings", at)
            for key in source:
                if key not in into:
                    into.put(key, source[key], source.key_lines[key], source.value_lines[key])


_NO_KEY = object()
_MERGE = object()
_STR_TAG = "tag:yaml.org,2002:str"


def _yaml_invalid(err: yaml.YAMLError, text: str) -> _Invalid:
    """State a PyYAML error at its line."""
    if isinstance(err, yaml.reader.ReaderError):
        line = text.count("\n", 0, max(err.position, 0)) + 1
        char = err.character
        shown = f"#x{ord(char):04x}" if isinstance(char, str) else f"0x{char:02x}"
        return _Invalid(f"the character {shown} is not allowed in a YAML file "
                        "(is this a text file?)", line)
    if isinstance(err, yaml.MarkedYAMLError):
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else None
        if err.context == "expected a single document in the stream":
            return _Invalid("a second YAML document starts here: a scenario file holds "
                            "exactly one document", line)
        problem = (err.problem or "invalid YAML").strip()
        reason = f"YAML syntax error: {problem}"
        if err.context and err.context_mark is not None and mark is not None \
                and err.context_mark.line != mark.line:
            reason += f" ({err.context} at line {err.context_mark.line + 1})"
        lines = text.splitlines()
        if line is not None and 0 < line <= len(lines):
            source = lines[line - 1]
            if "\t" in source[: len(source) - len(source.lstrip())] or (
                    mark is not None and source[mark.column: mark.column + 1] == "\t"):
                reason += "; a tab character is used for indentation: indent with spaces"
        return _Invalid(reason, line)
    return _Invalid(f"YAML error: {err}", None)


def _events(loader: Any) -> Any:
    while loader.check_event():
        yield loader.get_event()


def _compose(text: str) -> Any:
    """Parse one YAML document into a tree of :class:`_YMap`, :class:`_YList` and scalars."""
    loader = _Loader(text)
    try:
        tree = _Composer(loader).document(_events(loader))
        if tree is None:
            raise _Invalid("the file is empty: a scenario is a YAML mapping that starts with "
                           "version: 1", 1)
        return tree
    except yaml.YAMLError as err:
        raise _yaml_invalid(err, text) from None
    finally:
        loader.dispose()


def _plain(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """The tree as plain dicts and lists (shared values stay shared)."""
    if not isinstance(value, list | dict):
        return value
    memo = {} if memo is None else memo
    if id(value) not in memo:
        if isinstance(value, dict):
            memo[id(value)] = {k: _plain(v, memo) for k, v in value.items()}
        else:
            memo[id(value)] = [_plain(v, memo) for v in value]
    return memo[id(value)]


# ---------------------------------------------------------------------------------------------
# The declarative description of the format: types, fields and records
# ---------------------------------------------------------------------------------------------

@dataclass
class _Context:
    """What reference checks need: the declared org (None while org itself is read)."""

    org: OrgSpec | None = None


@dataclass(frozen=True)
class _At:
    """Where a value sits: for messages ("pool 'hz': cidrs item 2 ...") and its line."""

    where: str
    key: str
    line: int
    ctx: _Context
    index: int | None = None

    @property
    def subject(self) -> str:
        return f"{self.where}: {self.key}" if self.where else self.key

    def fail(self, text: str) -> _Invalid:
        """``SUBJECT must be ...``"""
        return _Invalid(f"{self.subject} {text}", self.line)

    def note(self, text: str) -> _Invalid:
        """``SUBJECT: text`` (a message that names its own value)."""
        return _Invalid(f"{self.subject}: {text}", self.line)

    def wrong(self, kind: _Type, value: Any) -> _Invalid:
        return self.fail(f"must be {kind.describe()}, not {_show(value)}")


def _show(value: Any) -> str:
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _prefix(where: str) -> str:
    return f"{where}: " if where else ""


def _words(names: Any) -> str:
    return ", ".join(str(n) for n in names)


class _Type:
    """A kind of value: checks and converts it, and states it as JSON Schema."""

    doc = ""

    def describe(self) -> str:
        raise NotImplementedError

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` has this type's shape (used to pick among choices)."""
        return True

    def check(self, value: Any, at: _At) -> Any:
        raise NotImplementedError

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError


@dataclass(frozen=True, eq=False)
class Text(_Type):
    """A string, optionally from a fixed list or matching a pattern."""

    doc: str = ""
    enum: tuple[str, ...] = ()
    pattern: re.Pattern[str] | None = None
    hint: str = "a string"
    min_length: int = 1

    def describe(self) -> str:
        if self.enum:
            return "one of " + _words(self.enum) if len(self.enum) > 1 else repr(self.enum[0])
        return self.hint

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str)

    def check(self, value: Any, at: _At) -> Any:
        if not isinstance(value, str) or (self.enum and value not in self.enum):
            raise at.wrong(self, value)
        if len(value) < self.min_length:
            raise at.fail("must not be empty")
        if self.pattern is not None and not self.pattern.match(value):
            raise at.wrong(self, value)
        return value

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "string"}
        if self.enum:
            out["enum"] = list(self.enum)
        elif self.min_length:
            out["minLength"] = self.min_length
        if self.pattern is not None:
            out["pattern"] = self.pattern.pattern
        return out


@dataclass(frozen=True, eq=False)
class Integer(_Type):
    """An integer (never a boolean), optionally bounded."""

    doc: str = ""
    minimum: int | None = None
    maximum: int | None = None

    def describe(self) -> str:
        if self.minimum is not None and self.maximum is not None:
            return f"an integer from {self.minimum} to {self.maximum}"
        if self.minimum is not None:
            return f"an integer >= {self.minimum}"
        return "an integer"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    def check(self, value: Any, at: _At) -> Any:
        if not self.accepts(value):
            raise at.wrong(self, value)
        if (self.minimum is not None and value < self.minimum) or (
                self.maximum is not None and value > self.maximum):
            raise at.wrong(self, value)
        return value

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "integer"}
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        return out


@dataclass(frozen=True, eq=False)
class Number(_Type):
    """A finite number (integer or decimal), optionally bounded."""

    doc: str = ""
    minimum: float | None = None
    exclusive_minimum: float | None = None
    maximum: float | None = None

    def describe(self) -> str:
        if self.exclusive_minimum is not None:
            return f"a number > {self.exclusive_minimum:g}"
        if self.minimum is not None and self.maximum is not None:
            return f"a number from {self.minimum:g} to {self.maximum:g}"
        return "a number"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, int | float) and not isinstance(value, bool)

    def check(self, value: Any, at: _At) -> Any:
        if not self.accepts(value) or (isinstance(value, float) and not math.isfinite(value)):
            raise at.wrong(self, value)
        if ((self.minimum is not None and value < self.minimum)
                or (self.exclusive_minimum is not None and value <= self.exclusive_minimum)
                or (self.maximum is not None and value > self.maximum)):
            raise at.wrong(self, value)
        return value

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "number"}
        for key, bound in (("minimum", self.minimum), ("maximum", self.maximum),
                           ("exclusiveMinimum", self.exclusive_minimum)):
            if bound is not None:
                out[key] = bound
        return out


@dataclass(frozen=True, eq=False)
class Flag(_Type):
    """``true`` or ``false``."""

    doc: str = ""

    def describe(self) -> str:
        return "true or false"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, bool)

    def check(self, value: Any, at: _At) -> Any:
        if not isinstance(value, bool):
            raise at.wrong(self, value)
        return value

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {"type": "boolean"}


@dataclass(frozen=True, eq=False)
class Const(_Type):
    """Exactly one value (the format ``version``)."""

    value: Any
    doc: str = ""
    hint: str = ""

    def describe(self) -> str:
        return repr(self.value)

    def check(self, value: Any, at: _At) -> Any:
        if type(value) is not type(self.value) or value != self.value:
            raise at.fail(f"must be {self.value!r}, not {_show(value)}{self.hint}")
        return value

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {"const": self.value}


@dataclass(frozen=True, eq=False)
class AccountRef(_Type):
    """An account id (a string); once ``org`` is read it must be declared there.

    ``principal=True`` also allows ``rd``, ``folder:PATH`` and ``account:ID``.
    """

    doc: str = ""
    principal: bool = False

    def describe(self) -> str:
        return ("a principal (rd, folder:PATH, account:ID or an account id)" if self.principal
                else "an account id")

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str)

    def check(self, value: Any, at: _At) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            raise at.fail(f"must be {self.describe()} written as a string: quote it "
                          f"('{value}')")
        if not isinstance(value, str):
            raise at.wrong(self, value)
        if not value:
            raise at.fail("must not be empty")
        text = value
        org = at.ctx.org
        if org is None:
            return text
        if self.principal:
            try:
                org.principal(text)
            except UsageError as err:
                raise at.note(str(err)) from None
        elif org.kind(text) is None:
            raise at.note(f"account {text!r} is not declared in org "
                          f"(declared: {_words(_first(org.account_lines, 12))})")
        return text

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {"type": "string", "minLength": 1}


def _first(names: Any, count: int) -> list[str]:
    names = list(names)
    return names[:count] + (["..."] if len(names) > count else [])


@dataclass(frozen=True, eq=False)
class FolderRef(Text):
    """A folder path (``Business/Retail``), a unique folder name, or ``Root``."""

    hint: str = "a folder path"

    def check(self, value: Any, at: _At) -> Any:
        value = super().check(value, at)
        if at.ctx.org is not None:
            try:
                at.ctx.org.resolve_folder(value)
            except UsageError as err:
                raise at.note(str(err)) from None
        return value


@dataclass(frozen=True, eq=False)
class CidrText(_Type):
    """A CIDR.  ``strict``: parsed now (declarative sections); else kept as written."""

    doc: str = ""
    strict: bool = True

    def describe(self) -> str:
        return "a CIDR such as 10.0.0.0/8"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str)

    def check(self, value: Any, at: _At) -> Any:
        if not isinstance(value, str):
            raise at.wrong(self, value)
        if not self.strict:
            return value
        try:
            return parse_cidr(value)
        except DomainError as err:
            raise at.note(err.message) from None

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {"type": "string", "pattern": _CIDR_RE.pattern} if self.strict \
            else {"type": "string"}


@dataclass(frozen=True, eq=False)
class Mask(_Type):
    """A prefix length.  ``strict``: IPv4 0..32 now (declarative sections); else any int."""

    doc: str = ""
    strict: bool = True

    def describe(self) -> str:
        return "a mask from 0 to 32" if self.strict else "an integer mask"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    def check(self, value: Any, at: _At) -> Any:
        if not self.accepts(value):
            raise at.wrong(self, value)
        if self.strict:
            try:
                check_mask(value, 4)
            except DomainError as err:
                raise at.note(err.message) from None
        return value

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {"type": "integer", "minimum": 0, "maximum": 32} if self.strict \
            else {"type": "integer"}


@dataclass(frozen=True, eq=False)
class Duration(Text):
    """A positive duration: ``30m``, ``12h``, ``8d`` (units s, m, h, d)."""

    pattern: re.Pattern[str] | None = _DURATION_RE
    hint: str = ("a duration such as 30m, 12h or 8d (a number and one of the units "
                 "s, m, h, d)")

    def describe(self) -> str:
        return self.hint

    def check(self, value: Any, at: _At) -> Any:
        super().check(value, at)
        try:
            result = parse_duration(value)
        except UsageError as err:
            raise at.note(str(err)) from None
        if result <= timedelta(0):
            raise at.fail(f"must be a positive duration, not {value!r}")
        return result


@dataclass(frozen=True, eq=False)
class Rate(Text):
    """A positive rate of arrivals: ``3/d``, ``0.5/h``; converted to per second."""

    pattern: re.Pattern[str] | None = _RATE_RE
    hint: str = "a rate such as 3/d or 0.5/h (a count per unit s, m, h or d)"

    def describe(self) -> str:
        return self.hint

    def check(self, value: Any, at: _At) -> Any:
        super().check(value, at)
        result = parse_rate(value)
        if result <= 0:
            raise at.fail(f"must be a positive rate, not {value!r}")
        return result


@dataclass(frozen=True, eq=False)
class Time(_Type):
    """An ISO 8601 time (or date); converted to a UTC datetime."""

    doc: str = ""

    def describe(self) -> str:
        return "an ISO 8601 time such as 2026-01-01T00:00:00Z or a date such as 2026-02-01"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str | date)

    def check(self, value: Any, at: _At) -> Any:
        if not self.accepts(value):
            raise at.wrong(self, value)
        try:
            return parse_time(value)
        except UsageError as err:
            raise at.note(str(err)) from None

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {"type": "string", "pattern": _TIME_RE.pattern}


@dataclass(frozen=True, eq=False)
class ErrorCodeText(Text):
    """An error code of :data:`~simkit.errors.ERROR_CODES` or ``QuotaExceeded.<Name>``."""

    hint: str = "an error code"

    def check(self, value: Any, at: _At) -> Any:
        super().check(value, at)
        quota_codes = {q.code for q in QUOTAS.values()}
        if value not in ERROR_CODES and value not in quota_codes:
            close = difflib.get_close_matches(value, [*ERROR_CODES, *quota_codes], n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise at.note(f"{value!r} is not an error code simkit knows{hint}")
        return value


@dataclass(frozen=True, eq=False)
class Maybe(_Type):
    """A value of ``inner``, or null."""

    inner: _Type
    doc: str = ""

    def describe(self) -> str:
        return f"{self.inner.describe()} or null"

    def check(self, value: Any, at: _At) -> Any:
        return None if value is None else self.inner.check(value, at)

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {"anyOf": [_schema_of(self.inner, defs), {"type": "null"}]}


@dataclass(frozen=True, eq=False)
class ListOf(_Type):
    """A list of values of one type."""

    item: _Type
    doc: str = ""
    min_items: int = 0

    def describe(self) -> str:
        return f"a list (each {self.item.describe()})"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, _YList)

    def check(self, value: Any, at: _At) -> Any:
        if not isinstance(value, _YList):
            raise at.wrong(self, value)
        if len(value) < self.min_items:
            raise at.fail(f"needs at least {self.min_items} item(s)")
        out = _YList(value.line)
        for i, (item, line) in enumerate(zip(value, value.lines, strict=True), start=1):
            out.append(self.item.check(item, _At(at.where, f"{at.key} item {i}", line,
                                                 at.ctx, index=i)))
            out.lines.append(line)
        return out

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        out = {"type": "array", "items": _schema_of(self.item, defs)}
        if self.min_items:
            out["minItems"] = self.min_items
        return out


@dataclass(frozen=True, eq=False)
class MaskWeights(_Type):
    """A mapping of masks to positive weights summing to 1 (``{24: 0.8, 22: 0.2}``)."""

    doc: str = ""

    def describe(self) -> str:
        return "a mapping of masks to weights, such as {24: 0.8, 22: 0.2}"

    def check(self, value: Any, at: _At) -> Any:
        if not isinstance(value, _YMap) or not value:
            raise at.wrong(self, value)
        out: list[tuple[int, float]] = []
        for key, weight in value.items():
            mask = int(key) if isinstance(key, str) and _MASK_KEY_RE.match(key) else key
            Mask(strict=True).check(mask, _At(at.where, f"{at.key} key", value.key_lines[key],
                                              at.ctx))
            if mask in dict(out):
                raise _Invalid(f"{at.where}: {at.key}: mask {mask} is listed twice",
                               value.key_lines[key])
            Number(exclusive_minimum=0, maximum=1).check(
                weight, _At(at.where, f"{at.key} weight of /{mask}", value.value_lines[key],
                            at.ctx))
            out.append((mask, float(weight)))
        total = math.fsum(w for _, w in out)
        if abs(total - 1) > 1e-9:
            raise at.fail(f"weights must sum to 1, not {total:.12g}")
        return tuple(out)

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {"type": "object", "minProperties": 1,
                "propertyNames": {"pattern": _MASK_KEY_RE.pattern},
                "additionalProperties": _schema_of(Number(exclusive_minimum=0, maximum=1),
                                                   defs)}


@dataclass(frozen=True)
class Field:
    """One key of a :class:`Record`."""

    type: _Type
    required: bool = False
    default: Any = None
    doc: str = ""


@dataclass(frozen=True, eq=False)
class Record(_Type):
    """A mapping with known keys.

    ``label`` is the key whose value names an item in messages (``pool 'hz'``);
    ``tag`` is appended to indexed names (``step 3 (create_vpc)``).  Key groups:
    ``exclusive`` (at most one of), ``one_of`` (exactly one of), ``any_of``
    (at least one of).  ``name`` puts the record in the schema's ``$defs``.
    """

    title: str
    fields: dict[str, Field]
    doc: str = ""
    label: str | None = None
    tag: str = ""
    noun: str = "key"
    exclusive: tuple[tuple[str, ...], ...] = ()
    one_of: tuple[tuple[str, ...], ...] = ()
    any_of: tuple[tuple[str, ...], ...] = ()
    name: str | None = None

    def describe(self) -> str:
        return f"a mapping ({self.title})"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, _YMap)

    def where(self, value: _YMap, at: _At) -> str:
        label = value.get(self.label) if self.label else None
        if isinstance(label, str | int) and not isinstance(label, bool):
            return f"{self.title} {str(label)!r}"
        if at.index is not None:
            return f"{self.title} {at.index}{self.tag}"
        return f"{self.title} of {at.where}" if at.where else self.title

    def check(self, value: Any, at: _At) -> Any:
        if not isinstance(value, _YMap):
            raise at.wrong(self, value)
        where = self.where(value, at)
        out = _YMap(value.line)
        for key, item in value.items():
            spec = self.fields.get(key) if isinstance(key, str) else None
            if spec is None:
                raise _Invalid(self._unknown(key, where), value.key_lines[key])
            line = value.value_lines[key]
            out.put(key, spec.type.check(item, _At(where, str(key), line, at.ctx)),
                    value.key_lines[key], line)
        for key, spec in self.fields.items():
            if key in value:
                continue
            if spec.required:
                raise _Invalid(f"{_prefix(where)}missing required {self.noun} {key!r}"
                               + (f" ({spec.doc})" if spec.doc else ""), value.line)
            if spec.default is not None:
                out.put(key, spec.type.check(spec.default, _At(where, key, value.line, at.ctx)),
                        value.line, value.line)
        for group in self.exclusive:
            given = [k for k in group if k in value]
            if len(given) > 1:
                raise _Invalid(f"{where}: give {' or '.join(group)}, not both",
                               value.key_lines[given[1]])
        for group in self.one_of:
            given = [k for k in group if k in value]
            if len(given) > 1:
                raise _Invalid(f"{where}: give exactly one of {_words(group)}, not "
                               f"{' and '.join(given)}", value.key_lines[given[1]])
            if not given:
                raise _Invalid(f"{where}: give one of {_words(group)}", value.line)
        for group in self.any_of:
            if not any(k in value for k in group):
                raise _Invalid(f"{where}: give at least one of {_words(group)}", value.line)
        return out

    def _unknown(self, key: Any, where: str) -> str:
        place = f"in {where}" if where else "at the top level"
        allowed = [k for k in self.fields if k not in ("op",)]
        close = difflib.get_close_matches(str(key), allowed, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return (f"unknown {self.noun} {key!r} {place}{hint}; allowed {self.noun}s: "
                f"{_words(allowed)}")

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        if self.name is not None:
            if self.name not in defs:
                defs[self.name] = {}
                defs[self.name] = self._schema(defs)
            return {"$ref": f"#/$defs/{self.name}"}
        return self._schema(defs)

    def _schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        props: dict[str, Any] = {}
        for key, spec in self.fields.items():
            prop = dict(_schema_of(spec.type, defs))
            doc = spec.doc or spec.type.doc
            if doc:
                prop["description"] = doc
            if spec.default is not None:
                prop["default"] = spec.default
            props[key] = prop
        out: dict[str, Any] = {"type": "object"}
        if self.doc:
            out["description"] = self.doc
        out["properties"] = props
        required = [k for k, spec in self.fields.items() if spec.required]
        if required:
            out["required"] = required
        out["additionalProperties"] = False
        rules: list[dict[str, Any]] = []
        rules += [{"not": {"required": list(g)}} for g in self.exclusive]
        rules += [{"oneOf": [{"required": [k]} for k in g]} for g in self.one_of]
        rules += [{"anyOf": [{"required": [k]} for k in g]} for g in self.any_of]
        if len(rules) == 1:
            out.update(rules[0])
        elif rules:
            out["allOf"] = rules
        return out


@dataclass(frozen=True, eq=False)
class Ref(_Type):
    """A named record used before it is complete (recursive folders)."""

    name: str
    doc: str = ""

    def describe(self) -> str:
        return _NAMED[self.name].describe()

    def accepts(self, value: Any) -> bool:
        return _NAMED[self.name].accepts(value)

    def check(self, value: Any, at: _At) -> Any:
        return _NAMED[self.name].check(value, at)

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return _NAMED[self.name].schema(defs)


@dataclass(frozen=True, eq=False)
class Choice(_Type):
    """One of several types, picked by the shape of the value."""

    options: tuple[_Type, ...]
    doc: str = ""

    def describe(self) -> str:
        return " or ".join(o.describe() for o in self.options)

    def check(self, value: Any, at: _At) -> Any:
        for option in self.options:
            if option.accepts(value):
                return option.check(value, at)
        raise at.wrong(self, value)

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {"anyOf": [_schema_of(o, defs) for o in self.options]}


@dataclass(frozen=True, eq=False)
class Tagged(_Type):
    """A mapping of one of several kinds, told apart by which tag key it has."""

    title: str
    variants: dict[str, _Type]
    doc: str = ""
    name: str | None = None

    def describe(self) -> str:
        return f"a mapping with one of {_words(self.variants)}"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, _YMap)

    def check(self, value: Any, at: _At) -> Any:
        if not isinstance(value, _YMap):
            raise at.wrong(self, value)
        where = (f"{self.title} {at.index}" if at.index is not None
                 else f"{self.title} of {at.where}" if at.where else self.title)
        given = [k for k in self.variants if k in value]
        if not given:
            raise _Invalid(f"{where} has none of {_words(self.variants)}: a {self.title} is "
                           f"exactly one of them", value.line)
        if len(given) > 1:
            raise _Invalid(f"{where} has both {given[0]} and {given[1]}: a {self.title} is "
                           f"exactly one of {_words(self.variants)}", value.key_lines[given[1]])
        return self.variants[given[0]].check(value, at)

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        body = {"oneOf": [_schema_of(v, defs) for v in self.variants.values()]}
        if self.doc:
            body = {"description": self.doc, **body}
        if self.name is None:
            return body
        defs.setdefault(self.name, body)
        return {"$ref": f"#/$defs/{self.name}"}


@dataclass(frozen=True, eq=False)
class ByValue(_Type):
    """A mapping whose record depends on the value of one key (``op: NAME``)."""

    key: str
    variants: dict[str, Record]
    doc: str = ""

    def describe(self) -> str:
        return f"a mapping with {self.key}"

    def check(self, value: Any, at: _At) -> Any:
        where = f"step {at.index}" if at.index is not None else at.where
        name = value.get(self.key)
        if not isinstance(name, str) or name not in self.variants:
            close = difflib.get_close_matches(str(name), list(self.variants), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise _Invalid(f"{where}: unknown {self.key} {_show(name)}{hint}; known "
                           f"{self.key}s: {_words(self.variants)}", value.value_lines[self.key])
        return self.variants[name].check(value, at)

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "object"}
        if self.doc:
            out["description"] = self.doc
        out["required"] = [self.key]
        out["properties"] = {self.key: {"enum": list(self.variants)}}
        out["allOf"] = [{"if": {"properties": {self.key: {"const": name}}},
                         "then": _schema_of(record, defs)}
                        for name, record in self.variants.items()]
        return out


def _schema_of(kind: _Type, defs: dict[str, Any]) -> dict[str, Any]:
    if isinstance(kind, _SCALARS):             # a scalar may be a {param: NAME} reference
        defs.setdefault("parameter_ref", _PARAMETER_REF)
        return {"anyOf": [kind.schema(defs), {"$ref": "#/$defs/parameter_ref"}]}
    return kind.schema(defs)


# -- parameters: named values a file refers to with {param: NAME} -----------------------

_PARAM_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SCALARS = (Text, Integer, Number, Flag, AccountRef, CidrText, Mask, Time)
_PARAMETER_REF: dict[str, Any] = {
    "description": "the value of a parameter declared in parameters",
    "type": "object",
    "properties": {"param": {"type": "string", "pattern": _PARAM_NAME_RE.pattern}},
    "required": ["param"],
    "additionalProperties": False,
}


def _param_kind(value: Any) -> str | None:
    """What a parameter value is (a string, an integer...), None when it cannot be one."""
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number" if math.isfinite(value) else None
    return "a string" if isinstance(value, str) else None


@dataclass(frozen=True, eq=False)
class Parameters(_Type):
    """``parameters``: each name with its default, or ``{default: ..., description: ...}``.

    A default is a string, a number or true/false; its type is the parameter's type.
    """

    doc: str = ""

    def describe(self) -> str:
        return "a mapping of parameter names to default values"

    def check(self, value: Any, at: _At) -> Any:
        if not isinstance(value, _YMap):
            raise at.wrong(self, value)
        out: dict[str, Any] = {}
        for name, spec in value.items():
            line = value.value_lines[name]
            if not isinstance(name, str) or not _PARAM_NAME_RE.match(name):
                raise _Invalid(f"parameters: {_show(name)} is not a parameter name (letters, "
                               "digits and _, not starting with a digit)", value.key_lines[name])
            if isinstance(spec, _YMap):
                for key in spec:
                    if key not in ("default", "description"):
                        raise _Invalid(f"parameters: {name}: unknown key {_show(key)}; "
                                       "allowed keys: default, description",
                                       spec.key_lines[key])
                if "default" not in spec:
                    raise _Invalid(f"parameters: {name}: missing required key 'default'",
                                   spec.line)
                Text(min_length=0).check(spec.get("description", ""),
                                         _At(f"parameters: {name}", "description", line, at.ctx))
                spec, line = spec["default"], spec.value_lines["default"]
            if _param_kind(spec) is None:
                hint = " (quote a time: '2026-02-01')" if isinstance(spec, date) else ""
                raise _Invalid(f"parameters: {name}: the default must be a string, a number "
                               f"or true/false, not {_show(spec)}{hint}", line)
            out[name] = spec
        return out

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        scalar = {"type": ["string", "number", "boolean"]}
        return {"type": "object", "propertyNames": {"pattern": _PARAM_NAME_RE.pattern},
                "additionalProperties": {"anyOf": [scalar, {
                    "type": "object", "required": ["default"], "additionalProperties": False,
                    "properties": {"default": scalar, "description": {"type": "string"}}}]}}


# -- the format ---------------------------------------------------------------------------------

_ID = Text(hint="an id")
_REGION = Text(hint="a region id such as cn-hangzhou")
_LOOSE_RULES = Record("rules", {
    "min_mask": Field(Mask(strict=False), doc="smallest mask (largest block) allowed"),
    "max_mask": Field(Mask(strict=False), doc="largest mask (smallest block) allowed"),
    "default_mask": Field(Mask(strict=False), doc="mask used when a request gives none"),
}, doc="allocation rules (judged by the cloud when the step runs)", name="op_rules")
_RULES = Record("rules", {
    "min_mask": Field(Mask(), doc="smallest mask (largest block) allowed"),
    "max_mask": Field(Mask(), doc="largest mask (smallest block) allowed"),
    "default_mask": Field(Mask(), doc="mask used when a request gives none"),
}, doc="allocation rules of a pool", name="rules")

_NAMED: dict[str, Record] = {}
_NAMED["folder"] = Record("folder", {
    "name": Field(Text(hint="a folder name"), required=True, doc="the folder's name"),
    "accounts": Field(ListOf(AccountRef()), doc="member accounts in this folder"),
    "folders": Field(ListOf(Ref("folder")), doc="sub-folders"),
}, doc="a folder of the resource directory", label="name", name="folder")

_ORG = Record("org", {
    "management_account": Field(AccountRef(), required=True,
                                doc="the resource directory's management account"),
    "accounts": Field(ListOf(AccountRef()), doc="member accounts directly under Root"),
    "folders": Field(ListOf(Ref("folder")), doc="folders below Root"),
    "external_accounts": Field(ListOf(AccountRef()),
                               doc="accounts outside the resource directory"),
}, doc="the organisation: resource directory and external accounts", name="org")

_POOL = Record("pool", {
    "id": Field(_ID, required=True, doc="unique pool id"),
    "source": Field(_ID, doc="source pool (declared earlier in the same IPAM); none: top level"),
    "scope": Field(_ID, doc="a custom scope of the IPAM; none: the default private scope"),
    "region": Field(_REGION, doc="the pool's region (one of the IPAM's operating regions)"),
    "cidrs": Field(ListOf(CidrText()), doc="CIDRs provisioned explicitly"),
    "masks": Field(ListOf(Mask()), doc="blocks provisioned by mask from the source pool"),
    "rules": Field(_RULES),
    "auto_import": Field(Flag(), default=False, doc="adopt discovered unmanaged CIDRs"),
    "strategy": Field(Text(enum=STRATEGIES), default="first",
                      doc="how blocks are chosen (simkit extension; the cloud uses first)"),
    "name": Field(Text(min_length=0), doc="display name"),
    "description": Field(Text(min_length=0), doc="description"),
}, doc="an IPAM pool", label="id", name="pool")

_IPAM = Record("ipam", {
    "id": Field(_ID, required=True, doc="unique IPAM id"),
    "owner": Field(AccountRef(), required=True, doc="the account that owns the IPAM"),
    "region": Field(_REGION, required=True, doc="managed (home) region"),
    "operating_regions": Field(ListOf(_REGION),
                               doc="operating regions (the home region is always one)"),
    "scopes": Field(ListOf(_ID), doc="custom private scopes, besides the two defaults"),
    "pools": Field(ListOf(_POOL), doc="pools, each source before its children"),
}, doc="an IPAM", label="id", name="ipam")

_VPC = Record("vpc", {
    "id": Field(_ID, required=True, doc="unique VPC id"),
    "owner": Field(AccountRef(), required=True, doc="the account that owns the VPC"),
    "region": Field(_REGION, required=True, doc="the VPC's region"),
    "cidr": Field(CidrText(), required=True, doc="its CIDR"),
}, doc="a network that exists before step 1 (Unmanaged)", label="id", name="vpc")

_RESERVED = Record("reserved range", {
    "name": Field(_ID, required=True, doc="unique name"),
    "cidr": Field(CidrText(), required=True, doc="the CIDR in use outside the cloud"),
}, doc="space used outside the cloud", label="name", name="reserved")

_FIGURES: dict[str, Field] = {
    "utilisation": Field(Number(minimum=0, maximum=1),
                         doc="allocated / provisioned IPs, compared to 1e-9"),
    "provisioned_ips": Field(Integer(minimum=0), doc="IPs of the provisioned CIDRs"),
    "allocated_ips": Field(Integer(minimum=0), doc="IPs of all allocations"),
    "free_ips": Field(Integer(minimum=0), doc="provisioned IPs not allocated"),
    "largest_free_mask": Field(Maybe(Integer(minimum=0, maximum=128)),
                               doc="mask of the largest free block (null: none free)"),
}
_CHECK = Tagged("check", {
    "pool": Record("check", {"pool": Field(_ID, required=True, doc="the pool checked"),
                             **_FIGURES},
                   doc="figures of one pool", noun="figure", any_of=(tuple(_FIGURES),)),
    "account": Record("check", {
        "account": Field(AccountRef(), required=True, doc="the account checked"),
        "visible_pools": Field(ListOf(_ID), required=True,
                               doc="exactly the pools it owns or sees (order ignored)"),
    }, doc="what one account sees", noun="figure"),
}, doc="assert figures of the current state", name="check")


@dataclass(frozen=True)
class OpSpec:
    """One operation of the step table: its arguments and what it gives.

    ``gives`` names the ``expect`` key that fits the result (``cidr``,
    ``pools``, ``cidrs``, ``allocations``) or is None; ``exclusive`` lists
    argument pairs of which at most one may be given, ``one_of`` those of
    which exactly one must be.
    """

    name: str
    args: dict[str, Field]
    doc: str
    gives: str | None = None
    exclusive: tuple[tuple[str, ...], ...] = ()
    one_of: tuple[tuple[str, ...], ...] = ()


def _a(kind: _Type, doc: str = "", required: bool = False) -> Field:
    return Field(kind, required=required, doc=doc)


_POOL_ARG = _a(_ID, "the pool", required=True)
_SHARE_ARG = _a(_ID, "the resource share", required=True)
_VPC_ARG = _a(_ID, "the VPC", required=True)
_MASK_ARG = _a(Mask(strict=False), "prefix length of the block")
_CIDR_ARG = _a(CidrText(strict=False), "an explicit CIDR (judged by the cloud)")
_RESOURCES = ListOf(_ID, doc="pool ids")
_PRINCIPALS = ListOf(AccountRef(principal=True),
                     doc="rd, folder:PATH, account:ID or a bare account id")

#: The operations a step can run, keyed by name (SCENARIO.md "Steps").
OPS: dict[str, OpSpec] = {o.name: o for o in (
    OpSpec("create_ipam_pool", {
        "ipam": _a(_ID, "the IPAM", required=True), "pool": _a(_ID, "new pool id", True),
        "source": _a(_ID, "source pool"), "scope": _a(_ID, "scope"),
        "region": _a(_REGION, "the new pool's region"), "rules": _a(_LOOSE_RULES),
        "cidrs": _a(ListOf(CidrText(strict=False)), "CIDRs to provision"),
        "masks": _a(ListOf(Mask(strict=False)), "masks to provision from the source")},
        "CreateIpamPool"),
    OpSpec("update_ipam_pool", {
        "pool": _POOL_ARG, "name": _a(Text(min_length=0)),
        "description": _a(Text(min_length=0)), "rules": _a(_LOOSE_RULES),
        "auto_import": _a(Flag())}, "UpdateIpamPool"),
    OpSpec("delete_ipam_pool", {"pool": _POOL_ARG}, "DeleteIpamPool"),
    OpSpec("add_ipam_pool_cidr", {"pool": _POOL_ARG, "cidr": _CIDR_ARG, "mask": _MASK_ARG},
           "AddIpamPoolCidr", gives="cidr", one_of=(("cidr", "mask"),)),
    OpSpec("delete_ipam_pool_cidr", {"pool": _POOL_ARG, "cidr": _a(CidrText(strict=False),
                                                                   "the CIDR", True)},
           "DeleteIpamPoolCidr"),
    OpSpec("create_vpc", {"vpc": _a(_ID, "new VPC id", True), "pool": _POOL_ARG,
                          "mask": _MASK_ARG, "cidr": _CIDR_ARG},
           "CreateVpc from a pool (neither mask nor cidr: the pool's default mask)",
           gives="cidr", exclusive=(("mask", "cidr"),)),
    OpSpec("associate_vpc_cidr_block", {"vpc": _VPC_ARG, "pool": _POOL_ARG, "mask": _MASK_ARG,
                                        "cidr": _CIDR_ARG},
           "AssociateVpcCidrBlock from a pool", gives="cidr", exclusive=(("mask", "cidr"),)),
    OpSpec("delete_vpc", {"vpc": _VPC_ARG}, "DeleteVpc"),
    OpSpec("create_ipam_pool_allocation", {
        "pool": _POOL_ARG, "allocation": _a(_ID, "a name later steps can use"),
        "mask": _MASK_ARG, "cidr": _CIDR_ARG},
        "CreateIpamPoolAllocation", gives="cidr", exclusive=(("mask", "cidr"),)),
    OpSpec("delete_ipam_pool_allocation", {
        "allocation": _a(_ID, "a name, or the CIDR an earlier step got", True)},
        "DeleteIpamPoolAllocation"),
    OpSpec("get_ipam_pool_next_available_cidr", {
        "pool": _POOL_ARG, "mask": _a(Mask(strict=False), "prefix length", True)},
        "GetIpamPoolNextAvailableCidr (a preview: reserves nothing)", gives="cidr"),
    OpSpec("list_ipam_pools", {}, "ListIpamPools: pools the caller owns or sees",
           gives="pools"),
    OpSpec("list_ipam_pool_cidrs", {"pool": _POOL_ARG}, "ListIpamPoolCidrs", gives="cidrs"),
    OpSpec("list_ipam_pool_allocations", {"pool": _POOL_ARG}, "ListIpamPoolAllocations",
           gives="allocations"),
    OpSpec("list_ipam_resource_cidrs", {"pool": _POOL_ARG}, "ListIpamResourceCidrs",
           gives="cidrs"),
    OpSpec("create_resource_share", {
        "share": _a(_ID, "new share id", True), "resources": _a(_RESOURCES, required=True),
        "principals": _a(_PRINCIPALS, required=True),
        "allow_external": _a(Flag(), "allow accounts outside the resource directory")},
        "CreateResourceShare"),
    OpSpec("associate_resource_share", {"share": _SHARE_ARG, "resources": _a(_RESOURCES),
                                        "principals": _a(_PRINCIPALS)},
           "AssociateResourceShare"),
    OpSpec("disassociate_resource_share", {"share": _SHARE_ARG, "resources": _a(_RESOURCES),
                                           "principals": _a(_PRINCIPALS)},
           "DisassociateResourceShare"),
    OpSpec("delete_resource_share", {"share": _SHARE_ARG}, "DeleteResourceShare"),
    OpSpec("accept_resource_share_invitation", {"share": _SHARE_ARG},
           "AcceptResourceShareInvitation"),
    OpSpec("reject_resource_share_invitation", {"share": _SHARE_ARG},
           "RejectResourceShareInvitation"),
    OpSpec("move_account", {"account": _a(AccountRef(), "the member account", True),
                            "folder": _a(FolderRef(), "path of the target folder (or Root)",
                                         True)},
           "MoveAccount"),
    OpSpec("remove_account", {"account": _a(AccountRef(), "the member account", True)},
           "RemoveAccount: it leaves the resource directory"),
)}

_EXPECT_VALUES: dict[str, Field] = {
    "cidr": Field(CidrText(strict=False), doc="it must succeed and give this CIDR"),
    "pools": Field(ListOf(_ID), doc="exactly these pools (order ignored)"),
    "cidrs": Field(ListOf(CidrText(strict=False)), doc="exactly these CIDRs (order ignored)"),
    "allocations": Field(ListOf(CidrText(strict=False)),
                         doc="exactly these allocations, as CIDRs (order ignored)"),
}


def _op_record(spec: OpSpec) -> Record:
    outcome = {"error": Field(ErrorCodeText(), doc="it must fail with exactly this code")}
    if spec.gives:
        outcome[spec.gives] = _EXPECT_VALUES[spec.gives]
    expect = Choice((Text(enum=("any",)),
                     Record("expect", outcome, doc="what the step must give",
                            one_of=(tuple(outcome),), name=f"expect_{spec.gives or 'none'}")),
                    doc="absent: must succeed; any: judge nothing")
    fields = {
        "op": Field(Text(enum=(spec.name,)), required=True, doc=spec.doc),
        "as": Field(AccountRef(), required=True, doc="the account that makes the request"),
    }
    if "region" not in spec.args:
        fields["region"] = Field(_REGION, doc="request region (default: the pool's region)")
    fields.update(spec.args)
    fields["expect"] = Field(expect)
    return Record("step", fields, doc=spec.doc, tag=f" ({spec.name})", noun="key",
                  exclusive=spec.exclusive, one_of=spec.one_of, name=f"op_{spec.name}")


_STEP = Tagged("step", {
    "op": ByValue("op", {name: _op_record(spec) for name, spec in OPS.items()},
                  doc="run an operation as an account"),
    "advance": Record("step", {"advance": Field(Duration(), required=True,
                                                doc="move the clock forward by this much")},
                      doc="move the clock forward", name="advance_step"),
    "at": Record("step", {"at": Field(Time(), required=True,
                                      doc="move the clock to this time (never back)")},
                 doc="move the clock to a time", name="at_step"),
    "check": Record("step", {"check": Field(_CHECK, required=True)},
                    doc="assert a figure of the current state", name="check_step"),
}, doc="exactly one of op, advance, at, check", name="step")

_DEMAND = Record("demand", {
    "as": Field(AccountRef(), required=True, doc="the account making the requests"),
    "pool": Field(_ID, required=True, doc="the pool drawn from"),
    "mask": Field(Mask(), doc="mask of every request"),
    "masks": Field(MaskWeights(), doc="masks drawn with these weights (summing to 1)"),
    "count": Field(Integer(minimum=1), required=True, doc="number of requests"),
    "every": Field(Duration(), doc="a request at fixed intervals"),
    "rate": Field(Rate(), doc="Poisson arrivals at this rate"),
    "begin": Field(Time(), doc="first request time (default: the clock start)"),
    "lifetime": Field(Duration(), doc="delete each VPC this long after its creation"),
    "region": Field(_REGION, doc="request region (default: the pool's region)"),
}, doc="generated create_vpc requests, never judged", one_of=(("mask", "masks"),
                                                              ("every", "rate")),
    name="demand")

_QUOTAS = Record("quotas", {
    key: Field(Integer(minimum=0), doc=f"{q.what} (default {q.default})")
    for key, q in QUOTAS.items()
}, doc="raised quotas (DOMAIN.md 6)", noun="quota", name="quotas")

#: The whole format, version 1: the top-level record of a scenario.
FORMAT = Record("", {
    "version": Field(Const(VERSION, hint=": this simkit reads scenario format version 1"),
                     required=True, doc="format version: 1"),
    "name": Field(Text(hint="a name"), required=True, doc="the scenario's name"),
    "description": Field(Text(min_length=0), doc="what the scenario shows"),
    "seed": Field(Integer(minimum=0), default=0, doc="seed of every random choice"),
    "start": Field(Time(), default="2026-01-01T00:00:00Z", doc="clock start"),
    "parameters": Field(Parameters(), doc="named values that other values refer to with "
                                          "{param: NAME} (docs/format-extensions.md)"),
    "quotas": Field(_QUOTAS),
    "org": Field(_ORG, required=True),
    "ipams": Field(ListOf(_IPAM), doc="IPAMs and their pools"),
    "vpcs": Field(ListOf(_VPC), doc="networks that exist before step 1"),
    "reserved": Field(ListOf(_RESERVED), doc="space used outside the cloud"),
    "connected_scopes": Field(ListOf(ListOf(_ID, min_items=2)),
                              doc="groups of scopes routed together: overlaps between them "
                                  "are conflicts (simkit extension)"),
    "steps": Field(ListOf(_STEP), doc="the steps, in order"),
    "demand": Field(ListOf(_DEMAND), doc="generated requests for what-if runs"),
}, doc="a simkit scenario, format version 1 (SCENARIO.md)")


# ---------------------------------------------------------------------------------------------
# JSON Schema
# ---------------------------------------------------------------------------------------------

def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the scenario format, built from :data:`FORMAT`.

    It checks the structure; references between sections (declared accounts,
    unique ids, the clock) are checked by :func:`load` only.  Times are
    strings there, as YAML editors read them.

    Examples
    --------
    >>> schema = json_schema()
    >>> schema["$schema"], schema["required"]
    ('https://json-schema.org/draft/2020-12/schema', ['version', 'name', 'org'])
    """
    defs: dict[str, Any] = {}
    body = FORMAT.schema(defs)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "simkit scenario", **body, "$defs": defs}


def write_schema(path: str | os.PathLike[str]) -> None:
    """Write :func:`json_schema` to ``path`` as indented JSON (the shipped schema file)."""
    text = json.dumps(json_schema(), indent=2) + "\n"
    with open(path, "w", encoding="utf-8") as out:
        out.write(text)


# ---------------------------------------------------------------------------------------------
# Loading: structure first, then references, ids and the clock
# ---------------------------------------------------------------------------------------------

def load(path: str | os.PathLike[str], *,
         parameters: Mapping[str, Any] | None = None) -> Scenario:
    """Read and validate a scenario file.

    ``parameters`` gives values to some of the file's ``parameters`` (the
    others keep their defaults).  Raises :class:`~simkit.errors.ScenarioError`
    (``FILE:LINE: reason``) for a missing, unreadable, too large or invalid file.
    """
    try:
        file = os.fsdecode(path)
    except TypeError:
        raise ScenarioError(f"{path!r} is not a file path") from None
    try:
        with open(file, "rb") as stream:
            data = stream.read(MAX_BYTES + 1)
    except (OSError, ValueError) as err:  # ValueError: a NUL byte in the path
        reason = getattr(err, "strerror", None) or str(err)
        raise ScenarioError(f"cannot read the file: {reason}", file=file) from None
    return loads(data, file, parameters=parameters)


def loads(text: str | bytes, file: str = "<string>", *,
          parameters: Mapping[str, Any] | None = None) -> Scenario:
    """Validate the text of a scenario; ``file`` names it in messages.

    ``parameters`` gives values to some of the file's ``parameters``.  Raises
    :class:`~simkit.errors.ScenarioError` (``FILE:LINE: reason``) and nothing
    else (a ``parameters`` argument that is not a mapping is a UsageError).
    """
    if parameters is not None and not isinstance(parameters, Mapping):
        raise UsageError(f"parameters must be a mapping of names to values, not "
                         f"{type(parameters).__name__}")
    try:
        return _load_text(text, file, parameters)
    except _Invalid as err:
        raise ScenarioError(err.reason, file=file, line=err.line) from None
    except ScenarioError:
        raise
    except RecursionError:
        raise ScenarioError("the document is nested too deeply", file=file) from None
    except Exception as err:  # noqa: BLE001 - nothing but ScenarioError leaves load()
        raise ScenarioError(f"cannot read this scenario ({type(err).__name__}: {err})",
                            file=file) from err


def _load_text(text: str | bytes, file: str,
               parameters: Mapping[str, Any] | None = None) -> Scenario:
    if isinstance(text, bytes | bytearray):
        if len(text) > MAX_BYTES:
            raise _Invalid(f"the file is larger than {MAX_BYTES // 2**20} MiB", None)
        try:
            text = bytes(text).decode("utf-8-sig")
        except UnicodeDecodeError as err:
            line = text.count(b"\n", 0, err.start) + 1
            raise _Invalid(f"the file is not UTF-8 text (byte 0x{text[err.start]:02x} on this "
                           "line): a scenario is a YAML text file", line) from None
    if not isinstance(text, str):
        raise _Invalid(f"a scenario is text, not {type(text).__name__}", None)
    if len(text) > MAX_BYTES:
        raise _Invalid(f"the file is larger than {MAX_BYTES // 2**20} MiB", None)
    tree = _compose(text)
    if not isinstance(tree, _YMap):
        kind = "a list" if isinstance(tree, list) else f"the single value {_show(tree)}"
        raise _Invalid(f"the top level must be a mapping (version: 1, name: ..., org: ...), "
                       f"not {kind}", 1 if not isinstance(tree, _YList) else tree.line)
    values: dict[str, Any] = {}
    origins: dict[int, list[str]] = {}
    if parameters or "param" in text:      # a file without the word has no parameters
        tree, values, origins = _bind(tree, parameters or {})
    try:
        scenario = _Builder(file).build(tree)
    except _Invalid as err:
        if err.line not in origins:
            raise
        names = origins[err.line]
        named = ", ".join(f"{n} = {values[n]!r}" for n in names)
        which = "the parameter" if len(names) == 1 else "the parameters on this line:"
        raise _Invalid(f"{err.reason} (from {which} {named})", err.line) from None
    return replace(scenario, parameters=values, source=text)


def _bind(tree: _YMap, overrides: Mapping[str, Any]
          ) -> tuple[_YMap, dict[str, Any], dict[int, list[str]]]:
    """Substitute the parameters' values for every ``{param: NAME}`` of the tree.

    Returns the new tree (lines kept: a value stays on the line of its
    reference), the value of each parameter, and the names used on each line.
    """
    declared: dict[str, Any] = {}
    if "parameters" in tree:
        declared = Parameters().check(tree["parameters"], _At(
            "", "parameters", tree.value_lines["parameters"], _Context()))
    where = tree.key_lines.get("parameters")
    values = dict(declared)
    for name, value in overrides.items():
        if name not in declared:
            raise _Invalid(f"the parameter {name!r} given for this run is not declared in "
                           f"parameters (declared: {_words(declared) or 'none'})", where)
        want, got = _param_kind(declared[name]), _param_kind(value)
        if got != want and not (want == "a number" and got == "an integer"):
            raise _Invalid(f"parameter {name}: the value {_show(value)} given for this run is "
                           f"not {want} like its default {_show(declared[name])}",
                           tree["parameters"].key_lines[name])
        values[name] = value
    origins: dict[int, list[str]] = {}
    memo: dict[int, Any] = {}

    def resolve(ref: _YMap) -> Any:
        name = ref.get("param")
        if len(ref) != 1:
            raise _Invalid("a parameter reference is written {param: NAME}, with no other key",
                           ref.line)
        if not isinstance(name, str) or name not in values:
            close = difflib.get_close_matches(str(name), list(values), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise _Invalid(f"unknown parameter {_show(name)}{hint}; declared parameters: "
                           f"{_words(values) or 'none (declare them under parameters:)'}",
                           ref.line)
        origins.setdefault(ref.line, []).append(name)
        return values[name]

    def walk(node: Any, fixed: tuple[str, ...] = ("op",)) -> Any:
        if not isinstance(node, _YMap | _YList):
            return node
        if id(node) in memo:
            return memo[id(node)]
        out: Any = node
        if isinstance(node, _YMap):
            for key, value in node.items():
                if node is tree and key == "parameters":
                    continue
                if isinstance(value, _YMap) and "param" in value:
                    if key in fixed:
                        raise _Invalid(f"{key} cannot take its value from a parameter",
                                       value.line)
                    new = resolve(value)
                else:
                    new = value if key in fixed else walk(value)
                if new is not value:
                    if out is node:
                        out = _YMap(node.line)
                        for k in node:
                            out.put(k, node[k], node.key_lines[k], node.value_lines[k])
                    out[key] = new
        else:
            for i, value in enumerate(node):
                new = resolve(value) if isinstance(value, _YMap) and "param" in value \
                    else walk(value)
                if new is not value:
                    if out is node:
                        out = _YList(node.line)
                        out.extend(node)
                        out.lines.extend(node.lines)
                    out[i] = new
        memo[id(node)] = out
        return out

    return walk(tree, ("version", "op")), values, origins


class _Builder:
    """Checks what the format description cannot say, and builds the spec objects."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.ctx = _Context()

    def build(self, tree: _YMap) -> Scenario:
        if "version" not in tree:
            raise _Invalid("missing required key 'version': write version: 1 at the top of "
                           "the file", tree.line)
        FORMAT.fields["version"].type.check(
            tree["version"], _At("", "version", tree.value_lines["version"], self.ctx))
        if "org" not in tree:
            raise _Invalid("missing required key 'org' (the accounts and folders)", tree.line)
        org_tree = _ORG.check(tree["org"], _At("", "org", tree.value_lines["org"], self.ctx))
        self.ctx.org = self._org(org_tree)
        data = FORMAT.check(tree, _At("", "", tree.line, self.ctx))

        empty = _YList(tree.line)
        ipams = tuple(self._ipams(data.get("ipams", empty)))
        pools = {p.id: p.line for ipam in ipams for p in ipam.pools}
        vpcs = tuple(self._vpcs(data.get("vpcs", empty)))
        reserved = tuple(self._reserved(data.get("reserved", empty)))
        start = data["start"]
        steps = tuple(self._steps(data.get("steps", empty), start, pools,
                                  {v.id: v.line for v in vpcs}))
        demand = tuple(self._demand(data.get("demand", empty), start, pools))
        return Scenario(
            file=self.file, name=data["name"], description=data.get("description"),
            seed=data["seed"], start=start, quotas=_plain(data.get("quotas", {})),
            org=self.ctx.org, ipams=ipams, vpcs=vpcs, reserved=reserved, steps=steps,
            demand=demand, raw=_plain(tree))

    # -- org ---------------------------------------------------------------------------
    def _org(self, node: _YMap) -> OrgSpec:
        lines: dict[str, int] = {}

        def declare(account: str, line: int) -> None:
            if account in lines:
                raise _Invalid(f"account {account!r} is declared twice in org (first at line "
                               f"{lines[account]}): each account is named once", line)
            if account == "rd" or account.startswith(("folder:", "account:")):
                raise _Invalid(f"{account!r} cannot be an account id: principals use it for "
                               "something else", line)
            lines[account] = line

        def accounts(parent: _YMap) -> tuple[str, ...]:
            items = parent.get("accounts", _YList(parent.line))
            for account, line in zip(items, items.lines, strict=True):
                declare(account, line)
            return tuple(items)

        paths: dict[str, int] = {}

        def folders(parent: _YMap, prefix: str) -> tuple[FolderSpec, ...]:
            out = []
            for item in parent.get("folders", ()):
                name = item["name"]
                line = item.value_lines["name"]
                if "/" in name or (not prefix and name == _ROOT):
                    raise _Invalid(f"{name!r} cannot be a folder name: "
                                   + ("'/' separates folder paths" if "/" in name
                                      else "Root names the root folder"), line)
                path = f"{prefix}{name}"
                if path in paths:
                    raise _Invalid(f"folder {path!r} is declared twice (first at line "
                                   f"{paths[path]})", line)
                paths[path] = item.line
                out.append(FolderSpec(name=name, path=path, line=item.line,
                                      accounts=accounts(item), folders=folders(item, path + "/")))
            return tuple(out)

        declare(node["management_account"], node.value_lines["management_account"])
        root_accounts = accounts(node)
        tree = folders(node, "")
        externals = node.get("external_accounts", _YList(node.line))
        for account, line in zip(externals, externals.lines, strict=True):
            declare(account, line)
        return OrgSpec(line=node.line, management_account=node["management_account"],
                       accounts=root_accounts, folders=tree, external_accounts=tuple(externals),
                       account_lines=lines)

    # -- declarative sections ----------------------------------------------------------
    def _ipams(self, items: _YList) -> list[IpamSpec]:
        ids: dict[str, int] = {}
        scopes: dict[str, int] = {}
        pools: dict[str, int] = {}
        out = []
        for item in items:
            _unique("IPAM", item["id"], item.value_lines["id"], ids)
            where = f"ipam {item['id']!r}"
            regions = item.get("operating_regions", _YList(item.line))
            seen: dict[str, int] = {}
            for region, line in zip(regions, regions.lines, strict=True):
                if region in seen:
                    raise _Invalid(f"{where}: operating region {region!r} is listed twice",
                                   line)
                seen[region] = line
            operating = tuple(regions) if item["region"] in seen \
                else (item["region"], *regions)
            own_scopes = item.get("scopes", _YList(item.line))
            for scope, line in zip(own_scopes, own_scopes.lines, strict=True):
                _unique("scope", scope, line, scopes)
            ipam_pools: list[PoolSpec] = []
            for pool in item.get("pools", ()):
                ipam_pools.append(self._pool(pool, item["id"], tuple(own_scopes), ipam_pools,
                                             pools))
            out.append(IpamSpec(id=item["id"], line=item.line, owner=item["owner"],
                                region=item["region"], operating_regions=operating,
                                scopes=tuple(own_scopes), scope_lines=tuple(own_scopes.lines),
                                pools=tuple(ipam_pools)))
        return out

    def _pool(self, item: _YMap, ipam: str, scopes: tuple[str, ...], earlier: list[PoolSpec],
              ids: dict[str, int]) -> PoolSpec:
        pool_id = item["id"]
        _unique("pool", pool_id, item.value_lines["id"], ids)
        where = f"pool {pool_id!r}"
        source = item.get("source")
        if source is not None and source not in {p.id for p in earlier}:
            raise _Invalid(f"{where}: source {source!r} is not a pool declared before it in "
                           f"ipam {ipam!r} (declare the source pool first)",
                           item.value_lines["source"])
        scope = item.get("scope")
        if scope is not None and scope not in scopes:
            raise _Invalid(f"{where}: scope {scope!r} is not a custom scope of ipam {ipam!r} "
                           f"(its scopes: {_words(scopes) or 'none'}; leave scope out for the "
                           "default private scope)", item.value_lines["scope"])
        rules = None
        if "rules" in item:
            r = item["rules"]
            rules = PoolRules(r.get("min_mask"), r.get("max_mask"), r.get("default_mask"))
            _check_rules(rules, f"rules of {where}", item["rules"])
        cidrs = item.get("cidrs", _YList(item.line))
        masks = item.get("masks", _YList(item.line))
        return PoolSpec(id=pool_id, line=item.line, ipam=ipam, source=source, scope=scope,
                        region=item.get("region"), cidrs=tuple(cidrs), masks=tuple(masks),
                        cidr_lines=tuple(cidrs.lines), mask_lines=tuple(masks.lines),
                        rules=rules, auto_import=item["auto_import"], strategy=item["strategy"],
                        name=item.get("name"), description=item.get("description"))

    def _vpcs(self, items: _YList) -> list[VpcSpec]:
        ids: dict[str, int] = {}
        out = []
        for item in items:
            _unique("VPC", item["id"], item.value_lines["id"], ids)
            out.append(VpcSpec(id=item["id"], line=item.line, owner=item["owner"],
                               region=item["region"], cidr=item["cidr"]))
        return out

    def _reserved(self, items: _YList) -> list[ReservedSpec]:
        names: dict[str, int] = {}
        out = []
        for item in items:
            _unique("reserved range", item["name"], item.value_lines["name"], names)
            out.append(ReservedSpec(name=item["name"], line=item.line, cidr=item["cidr"]))
        return out

    # -- steps -------------------------------------------------------------------------
    def _steps(self, items: _YList, start: datetime, pools: dict[str, int],
               vpcs: dict[str, int]) -> list[Step]:
        created = {"pool": dict(pools), "vpc": dict(vpcs), "share": {}, "allocation": {}}
        makes = {"create_ipam_pool": "pool", "create_vpc": "vpc",
                 "create_resource_share": "share", "create_ipam_pool_allocation": "allocation"}
        clock, moved_by = start, None
        out = []
        for index, (item, line) in enumerate(zip(items, items.lines, strict=True), start=1):
            if "op" in item:
                op = item["op"]
                kind = makes.get(op)
                if kind is not None and kind in item:
                    name = item[kind]
                    if name in created[kind]:
                        raise _Invalid(f"step {index} ({op}): {kind} {name!r} already exists "
                                       f"(declared or created at line {created[kind][name]}); "
                                       f"each {kind} id is used once", item.value_lines[kind])
                    created[kind][name] = item.value_lines[kind]
                if op == "create_ipam_pool":
                    pools[item["pool"]] = item.value_lines["pool"]
                out.append(self._op_step(index, line, item))
            elif "advance" in item:
                try:
                    clock = clock + item["advance"]
                except OverflowError:
                    raise _Invalid(f"step {index}: the clock goes past the year 9999",
                                   line) from None
                moved_by = index
                out.append(Step(index=index, line=line, kind="advance",
                                duration=item["advance"]))
            elif "at" in item:
                if item["at"] < clock:
                    after = f"after step {moved_by}" if moved_by else "the clock start"
                    raise _Invalid(f"step {index}: at {_fmt_time(item['at'])} moves the clock "
                                   f"back from {_fmt_time(clock)} ({after}); the clock only "
                                   "moves forward", item.value_lines["at"])
                clock, moved_by = item["at"], index
                out.append(Step(index=index, line=line, kind="at", time=item["at"]))
            else:
                out.append(Step(index=index, line=line, kind="check",
                                check=_plain(item["check"])))
        return out

    def _op_step(self, index: int, line: int, item: _YMap) -> Step:
        op = item["op"]
        fixed = ("op", "as", "expect") if op == "create_ipam_pool" \
            else ("op", "as", "region", "expect")
        args = {k: _plain(v) for k, v in item.items() if k not in fixed}
        expect = item.get("expect")
        if expect is None:
            result = Expect("success")
        elif expect == "any":
            result = Expect("any")
        else:
            (kind, value), = expect.items()
            result = Expect(kind, tuple(value) if isinstance(value, list) else value)
        region = None if op == "create_ipam_pool" else item.get("region")
        return Step(index=index, line=line, kind="op", op=op, actor=item["as"], args=args,
                    region=region, expect=result)

    # -- demand ------------------------------------------------------------------------
    def _demand(self, items: _YList, start: datetime, pools: dict[str, int]) -> list[DemandSpec]:
        out = []
        for index, item in enumerate(items, start=1):
            where = f"demand {index}"
            if item["pool"] not in pools:
                raise _Invalid(f"{where}: pool {item['pool']!r} is neither declared in ipams "
                               "nor created by a step", item.value_lines["pool"])
            begin = item.get("begin", start)
            if begin < start:
                raise _Invalid(f"{where}: begin {_fmt_time(begin)} is before the clock start "
                               f"{_fmt_time(start)}", item.value_lines["begin"])
            masks = item["masks"] if "masks" in item else ((item["mask"], 1.0),)
            out.append(DemandSpec(index=index, line=item.line, actor=item["as"],
                                  pool=item["pool"], masks=masks, count=item["count"],
                                  every=item.get("every"), rate=item.get("rate"), begin=begin,
                                  lifetime=item.get("lifetime"), region=item.get("region")))
        return out


def _unique(kind: str, value: str, line: int, seen: dict[str, int]) -> None:
    if value in seen:
        raise _Invalid(f"{kind} id {value!r} is declared twice (first at line {seen[value]}): "
                       f"each {kind} id is unique", line)
    seen[value] = line


def _check_rules(rules: PoolRules, where: str, node: _YMap) -> None:
    low, high, default = rules.min_mask, rules.max_mask, rules.default_mask
    if low is not None and high is not None and low > high:
        raise _Invalid(f"{where}: min_mask {low} is larger than max_mask {high}",
                       node.value_lines["max_mask"])
    if default is not None and ((low is not None and default < low)
                                or (high is not None and default > high)):
        raise _Invalid(f"{where}: default_mask {default} is outside min_mask..max_mask "
                       f"({low if low is not None else 0}..{high if high is not None else 32})",
                       node.value_lines["default_mask"])
