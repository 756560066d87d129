"""Scenario files: reading and validating them into frozen spec objects.

A scenario is one YAML document in the format of docs/scenario-format.md (version 1).
:func:`load` and :func:`loads` turn it into a frozen :class:`Scenario` or
raise :class:`~simkit.values.errors.ScenarioError` naming the file, the line and
what is wrong.  Nothing else escapes them, whatever the input.

Two layers below do most of the reading.  :mod:`simkit.scenario.yamltree` turns the
text into a tree of values that remember their lines.  :mod:`simkit.format`
describes the format once, as data (:data:`FORMAT` and :data:`OPS`): the
validator and :func:`json_schema` both read that description, so they cannot
drift apart.  What the description cannot say (accounts and folders declared
in ``org``, unique ids, a clock that never goes back, demand weights summing
to 1) is checked here, by the loader, after the structure, still with the
line of the offending value.  This module also re-exports the public names of
those layers (:func:`parse_duration`, :data:`MAX_NODES`, :func:`json_schema`,
...), so ``from simkit.scenario import ...`` reaches all of them.

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
(Expect(kind='cidr', value='10.0.0.0/16', ipv6_cidr=None), datetime.timedelta(days=8))
>>> loads("version: 1\\nname: x\\norg: {management_account: m}\\nsteps: [{advance: 3 days}]\\n")
... # doctest: +ELLIPSIS
Traceback (most recent call last):
...
simkit.ScenarioError: <string>:4: step 1: advance must be a duration such as 30m, ...
"""

from __future__ import annotations

import difflib
import gc
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from ..model.org import ROOT, Organisation
from ..values.clock import DEFAULT_START
from ..values.errors import DomainError, ScenarioError, UsageError
from ..values.quotas import Quotas
from .operations import OPERATIONS, Operation
from .records import Parameters, _param_kind
from .scalars import (
    _At,
    _Context,
    _show,
    _words,
    parse_duration,
    parse_rate,
    parse_time,
)
from .specs import (
    AccessKey,
    Demand,
    DemandSpec,
    Expect,
    IpamSpec,
    PoolRules,
    PoolSpec,
    ReservedSpec,
    ScopeGroup,
    Step,
    VpcSpec,
)
from .tables import _ORG, FORMAT, json_schema, write_schema
from .tables import VERSION as VERSION  # kept importable from here
from .yamltree import MAX_DEPTH, MAX_NODES, _compose, _Invalid, _plain, _YList, _YMap

__all__ = [
    "DEFAULT_START",
    "FORMAT",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_NODES",
    "OPERATIONS",
    "Demand",
    "DemandSpec",
    "Expect",
    "IpamSpec",
    "Operation",
    "PoolRules",
    "PoolSpec",
    "ReservedSpec",
    "Scenario",
    "ScopeGroup",
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

#: Largest scenario file accepted, in bytes (of text given as a string: characters).  It
#: bounds what reading one file may cost: one-line steps take about ten times their
#: text's size in memory while they load, so 128 MiB (1.7 million such steps) stays
#: under 1.3 GiB.
MAX_BYTES = 128 * 1024 * 1024


@dataclass(frozen=True)
class Scenario:
    """A validated scenario.

    Attributes
    ----------
    file : the file it was read from (``<string>`` for :func:`loads`).
    name, description : as given (description None when absent).
    seed : the seed of every random choice (default 0).
    start : the clock start, UTC (default :data:`DEFAULT_START`).
    quotas : raised quotas, ``{key: value}`` with keys of :data:`~simkit.values.quotas.QUOTAS`.
    org : the :class:`~simkit.model.org.Organisation` the file declares, built
        (and its rules checked) as the file was read.  It is the initial state:
        a simulation starts from a copy of it, never from this object itself.
    ipams, vpcs, reserved, steps, demand : tuples of the spec objects, in file order.
    connected_scopes : the ``connected_scopes`` groups, each a :class:`ScopeGroup`.
    org_line : the line of the ``org`` mapping.
    access_keys : the keys ``simkit serve`` accepts (empty: unchecked, the key id
        is the account).
    folder_ids : folder id -> folder path (declared ``id``, else ``fd-`` and a
        digest of the path); rd_id : the resource directory's id (``org.rd_id``,
        else ``rd-`` and a digest of the management account).  Both name share
        targets on the wire.
    parameters : the value of each declared parameter for this scenario, in file order.
    parameter_descriptions : the ``description`` of each declared parameter ("" if none).
    source : the text it was read from (None when built by hand); see
        :meth:`with_parameters`.
    """

    file: str
    name: str
    description: str | None
    seed: int
    start: datetime
    quotas: dict[str, int]
    org: Organisation = field(compare=False)
    ipams: tuple[IpamSpec, ...]
    vpcs: tuple[VpcSpec, ...]
    reserved: tuple[ReservedSpec, ...]
    steps: tuple[Step, ...]
    demand: tuple[DemandSpec, ...]
    connected_scopes: tuple[ScopeGroup, ...] = ()
    org_line: int | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    parameter_descriptions: dict[str, str] = field(default_factory=dict, compare=False)
    source: str | None = field(default=None, compare=False, repr=False)
    access_keys: tuple[AccessKey, ...] = ()
    folder_ids: dict[str, str] = field(default_factory=dict)
    rd_id: str = ""

    @property
    def pools(self) -> dict[str, PoolSpec]:
        """Every declared pool by id, IPAM by IPAM in file order."""
        return {p.id: p for ipam in self.ipams for p in ipam.pools}

    def with_parameters(self, values: Mapping[str, Any]) -> Scenario:
        """The same file read again with some parameters set to other values.

        Values not given keep the ones in force here.  Raises
        :class:`~simkit.values.errors.ScenarioError` for an undeclared parameter, a value
        of another type than the default, or a value the format refuses where it is
        used.

        Examples
        --------
        >>> from simkit.scenario import loads
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
# Loading: structure first, then references, ids and the clock
# ---------------------------------------------------------------------------------------------

def load(path: str | os.PathLike[str], *,
         parameters: Mapping[str, Any] | None = None) -> Scenario:
    """Read and validate a scenario file.

    ``parameters`` gives values to some of the file's ``parameters`` (the
    others keep their defaults).  Raises :class:`~simkit.values.errors.ScenarioError`
    (``FILE:LINE: reason``) for a missing, unreadable, too large or invalid file.
    """
    try:
        file = os.fsdecode(path)
    except TypeError:
        raise ScenarioError(f"{path!r} is not a file path") from None
    try:
        with open(file, "rb") as stream:
            # read no more than the file holds, and never more than the limit + 1 byte
            # (a pipe or a device reports size 0: read up to the limit)
            size = os.fstat(stream.fileno()).st_size or MAX_BYTES
            data = stream.read(min(size, MAX_BYTES) + 1)
    except (OSError, ValueError) as err:  # ValueError: a NUL byte in the path
        reason = getattr(err, "strerror", None) or str(err)
        raise ScenarioError(f"cannot read the file: {reason}", file=file) from None
    try:
        text = _text_of(data)
    except _Invalid as err:
        raise ScenarioError(err.reason, file=file, line=err.line) from None
    del data        # the bytes need not stay beside their text while it loads
    return loads(text, file, parameters=parameters)


def loads(text: str | bytes, file: str = "<string>", *,
          parameters: Mapping[str, Any] | None = None) -> Scenario:
    """Validate the text of a scenario; ``file`` names it in messages.

    ``parameters`` gives values to some of the file's ``parameters``.  Raises
    :class:`~simkit.values.errors.ScenarioError` (``FILE:LINE: reason``) and nothing
    else (a ``parameters`` argument that is not a mapping is a UsageError).
    """
    if parameters is not None and not isinstance(parameters, Mapping):
        raise UsageError(f"parameters must be a mapping of names to values, not "
                         f"{type(parameters).__name__}")
    collecting = gc.isenabled()
    gc.disable()      # what a load builds holds no cycles: the collector would only re-walk it
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
    finally:
        if collecting:
            gc.enable()


def _text_of(text: str | bytes) -> str:
    """The text of a scenario given as text or as UTF-8 bytes, within :data:`MAX_BYTES`."""
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
    return text


def _load_text(text: str | bytes, file: str,
               parameters: Mapping[str, Any] | None = None) -> Scenario:
    text = _text_of(text)
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
    declared = tree.get("parameters")
    described = {name: (node.get("description") or "") if isinstance(node, _YMap) else ""
                 for name, node in declared.items()} if isinstance(declared, _YMap) else {}
    return replace(scenario, parameters=values, parameter_descriptions=described, source=text)


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
        self._folder_ids: dict[str, str] = {}

    def build(self, tree: _YMap) -> Scenario:
        if "version" not in tree:
            raise _Invalid("missing required key 'version': write version: 1 at the top of "
                           "the file", tree.line)
        FORMAT.fields["version"].type.check(
            tree["version"], _At("", "version", tree.value_lines["version"], self.ctx))
        if "org" not in tree:
            raise _Invalid("missing required key 'org' (the accounts and folders)", tree.line)
        raised: dict[str, int] = {}
        if "quotas" in tree:
            raised = _plain(FORMAT.fields["quotas"].type.check(
                tree["quotas"], _At("", "quotas", tree.value_lines["quotas"], self.ctx)))
        org_tree = _ORG.check(tree["org"], _At("", "org", tree.value_lines["org"], self.ctx))
        self.ctx.org = self._org(org_tree, Quotas(raised))
        data = FORMAT.check(tree, _At("", "", tree.line, self.ctx))
        if data is not tree:        # the steps are read from data, and let go as read
            tree.pop("steps", None)

        empty = _YList(tree.line)
        ipams = tuple(self._ipams(data.get("ipams", empty)))
        pools = {p.id: p.line for ipam in ipams for p in ipam.pools}
        vpcs = tuple(self._vpcs(data.get("vpcs", empty)))
        reserved = tuple(self._reserved(data.get("reserved", empty), pools))
        start = data["start"]
        steps = tuple(self._steps(data.get("steps", empty), start, pools))
        demand = tuple(self._demand(data.get("demand", empty), start, pools))
        groups = data.get("connected_scopes", empty)
        connected = tuple(ScopeGroup(tuple(g), line, tuple(g.lines))
                          for g, line in zip(groups, groups.lines, strict=True))
        keys = data.get("access_keys", empty)
        access = tuple(AccessKey(k["id"], k["secret"], k["account"], line)
                       for k, line in zip(keys, keys.lines, strict=True))
        seen: dict[str, int] = {}
        for key in access:
            _unique("access key", key.id, key.line, seen)
        org = self.ctx.org
        rd_id = org_tree.get("rd_id") or _digest_id("rd", org.management_account)
        return Scenario(
            file=self.file, name=data["name"], description=data.get("description"),
            seed=data["seed"], start=start, quotas=raised, org=org, ipams=ipams,
            vpcs=vpcs, reserved=reserved, steps=steps, demand=demand,
            connected_scopes=connected, org_line=tree.value_lines["org"],
            access_keys=access, folder_ids=self._folder_ids, rd_id=rd_id)

    # -- org ---------------------------------------------------------------------------
    def _org(self, node: _YMap, quotas: Quotas) -> Organisation:
        """Build the organisation as the file declares it; its rules are its own."""
        lines: dict[str, int] = {}

        def declare(account: str, line: int, add: Any) -> None:
            if account in lines:
                raise _Invalid(f"account {account!r} is declared twice in org (first at line "
                               f"{lines[account]}): each account is named once", line)
            if account == "rd" or account.startswith(("folder:", "account:")):
                raise _Invalid(f"{account!r} cannot be an account id: principals use it for "
                               "something else", line)
            _apply(add, line, account)
            lines[account] = line

        def accounts(parent: _YMap, folder: str) -> None:
            items = parent.get("accounts", _YList(parent.line))
            for account, line in zip(items, items.lines, strict=True):
                declare(account, line, lambda a: org.add_account(a, folder))

        paths: dict[str, int] = {}

        def folders(parent: _YMap, prefix: str) -> None:
            for item in parent.get("folders", ()):
                name = item["name"]
                line = item.value_lines["name"]
                if "/" in name or (not prefix and name == ROOT):
                    raise _Invalid(f"{name!r} cannot be a folder name: "
                                   + ("'/' separates folder paths" if "/" in name
                                      else "Root names the root folder"), line)
                path = f"{prefix}{name}"
                if path in paths:
                    raise _Invalid(f"folder {path!r} is declared twice (first at line "
                                   f"{paths[path]})", line)
                paths[path] = item.line
                _apply(org.add_folder, line, path)
                fid = item.get("id") or _digest_id("fd", path)
                if fid in self._folder_ids:
                    raise _Invalid(f"folder id {fid!r} is declared twice", line)
                self._folder_ids[fid] = path
                accounts(item, path)
                folders(item, path + "/")

        management = node["management_account"]
        declare(management, node.value_lines["management_account"], lambda a: None)
        org = Organisation(management, quotas)
        accounts(node, ROOT)
        folders(node, "")
        externals = node.get("external_accounts", _YList(node.line))
        for account, line in zip(externals, externals.lines, strict=True):
            declare(account, line, org.add_external)
        self.ctx.accounts = tuple(lines)
        return org

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
            ranges = tuple((r["region"], r["isp"], r["cidr"])
                           for r in item.get("ipv6_ranges", ()))
            out.append(IpamSpec(id=item["id"], line=item.line, owner=item["owner"],
                                region=item["region"], operating_regions=operating,
                                scopes=tuple(own_scopes), scope_lines=tuple(own_scopes.lines),
                                pools=tuple(ipam_pools), ipv6_ranges=ranges))
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
        if scope is not None and scope not in scopes and scope != "public":
            raise _Invalid(f"{where}: scope {scope!r} is not a custom scope of ipam {ipam!r} "
                           f"(its scopes: {_words(scopes) or 'none'}; leave scope out for the "
                           "default private scope, or write public for the IPv6 scope)",
                           item.value_lines["scope"])
        parent = next((p for p in earlier if p.id == source), None)
        version = parent.version if parent is not None else (
            6 if scope == "public" or (scope is None and item.get("ip_version") == "IPv6")
            else 4)
        rules = None
        if "rules" in item:
            r = item["rules"]
            rules = PoolRules(r.get("min_mask"), r.get("max_mask"), r.get("default_mask"))
            _check_rules(rules, f"rules of {where}", item["rules"])
        cidrs = item.get("cidrs", _YList(item.line))
        masks = item.get("masks", _YList(item.line))
        if version == 4:          # masks and rules read up to 128: an IPv4 pool's stop at 32
            too_long = [(f"masks item {i}", m, line) for i, (m, line)
                        in enumerate(zip(masks, masks.lines, strict=True), start=1) if m > 32]
            if rules is not None:
                too_long += [(f"rules: {key}", getattr(rules, key),
                              item["rules"].value_lines[key])
                             for key in ("min_mask", "max_mask", "default_mask")
                             if (getattr(rules, key) or 0) > 32]
            if too_long:
                what, mask, line = too_long[0]
                raise _Invalid(f"{where}: {what}: the mask {mask} is outside 0..32 for IPv4",
                               line)
        return PoolSpec(id=pool_id, line=item.line, ipam=ipam, source=source, scope=scope,
                        region=item.get("region"), cidrs=tuple(cidrs), masks=tuple(masks),
                        cidr_lines=tuple(cidrs.lines), mask_lines=tuple(masks.lines),
                        rules=rules, auto_import=item["auto_import"], strategy=item["strategy"],
                        name=item.get("name"), description=item.get("description"),
                        ip_version=item.get("ip_version"), isp=item.get("isp"),
                        version=version)

    def _vpcs(self, items: _YList) -> list[VpcSpec]:
        ids: dict[str, int] = {}
        out = []
        for item in items:
            _unique("VPC", item["id"], item.value_lines["id"], ids)
            out.append(VpcSpec(id=item["id"], line=item.line, owner=item["owner"],
                               region=item["region"], cidr=item["cidr"]))
        return out

    def _reserved(self, items: _YList, pools: dict[str, int]) -> list[ReservedSpec]:
        names: dict[str, int] = {}
        out = []
        for item in items:
            _unique("reserved range", item["name"], item.value_lines["name"], names)
            hold = item.get("hold_in")
            if hold is not None and hold not in pools:
                raise _Invalid(f"reserved range {item['name']!r}: hold_in {hold!r} is not a "
                               f"pool declared in ipams (pools: {_words(pools) or 'none'})",
                               item.value_lines["hold_in"])
            out.append(ReservedSpec(name=item["name"], line=item.line, cidr=item["cidr"],
                                    hold_in=hold))
        return out

    # -- steps -------------------------------------------------------------------------
    def _steps(self, items: _YList, start: datetime, pools: dict[str, int]) -> list[Step]:
        """The steps, in order.  Names are bound when a step runs (a failed create binds
        nothing, a delete frees the name), so a name may be created again; pools that a
        step may create are added to ``pools`` for the demand entries that draw on them."""
        clock, moved_by = start, None
        out = []
        for index, line in enumerate(items.lines, start=1):
            item = items[index - 1]
            items[index - 1] = None        # a step's tree goes once its spec is built
            if "op" in item:
                if OPERATIONS[item["op"]].makes == "pool":
                    pools.setdefault(item["pool"], item.value_lines["pool"])
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
        op = OPERATIONS[item["op"]]
        fixed = _OWN_REGION_KEYS if op.own_region else _REQUEST_KEYS
        args = dict(item)
        for key in fixed.intersection(item):
            del args[key]
        if not _CONTAINERS.isdisjoint(map(type, args.values())):
            args = {k: _plain(v) if isinstance(v, list | dict) else v for k, v in args.items()}
        expect = item.get("expect")
        if expect is None:
            result = _SUCCESS
        elif expect == "any":
            result = _ANY
        else:
            given = dict(expect.items())
            ipv6 = given.pop("ipv6_cidr", None) if len(given) > 1 else None
            (kind, value), = given.items()
            result = Expect(kind, tuple(value) if isinstance(value, list) else value, ipv6)
        region = None if op.own_region else item.get("region")
        # index, line, kind, op, actor, args, region, expect (by position: a third of the
        # cost of naming them, once per step)
        return Step(index, line, "op", op.name, item["as"], args, region, result)

    # -- demand ------------------------------------------------------------------------
    def _demand(self, items: _YList, start: datetime, pools: dict[str, int]) -> list[DemandSpec]:
        out = []
        for index, item in enumerate(items, start=1):
            where = f"demand {index}"
            for key in ("pool", "ipv6_pool"):
                if key in item and item[key] not in pools:
                    raise _Invalid(f"{where}: {key} {item[key]!r} is neither declared in ipams "
                                   "nor created by a step", item.value_lines[key])
            if "ipv6_mask" in item and "ipv6_pool" not in item:
                raise _Invalid(f"{where}: ipv6_mask is the mask of the IPv6 blocks: give "
                               "ipv6_pool too", item.value_lines["ipv6_mask"])
            begin = item.get("begin", start)
            if begin < start:
                raise _Invalid(f"{where}: begin {_fmt_time(begin)} is before the clock start "
                               f"{_fmt_time(start)}", item.value_lines["begin"])
            masks = item["masks"] if "masks" in item else ((item["mask"], 1.0),)
            out.append(DemandSpec(index=index, line=item.line, actor=item["as"],
                                  pool=item["pool"], masks=masks, count=item["count"],
                                  every=item.get("every"), rate=item.get("rate"), begin=begin,
                                  lifetime=item.get("lifetime"), region=item.get("region"),
                                  ipv6_pool=item.get("ipv6_pool"),
                                  ipv6_mask=item.get("ipv6_mask")))
        return out


#: The keys of an op step that are not the operation's arguments.
_REQUEST_KEYS = frozenset({"op", "as", "region", "expect"})
_OWN_REGION_KEYS = frozenset({"op", "as", "expect"})      # its region is an argument
_SUCCESS, _ANY = Expect("success"), Expect("any")
_CONTAINERS = frozenset({_YMap, _YList, list, dict})      # the lists and mappings a step holds


def _apply(fn: Any, line: int, value: str) -> None:
    """``fn(value)``, an organisation's refusal becoming the file's error on ``line``."""
    try:
        fn(value)
    except (DomainError, UsageError) as err:
        raise _Invalid(f"org: {err.message if isinstance(err, DomainError) else err}",
                       line) from None


def _digest_id(prefix: str, text: str) -> str:
    """A default cloud-shaped id: ``prefix-`` and a digest of ``text`` (stable)."""
    import hashlib

    return f"{prefix}-{hashlib.sha256(text.encode()).hexdigest()[:14]}"


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


def _fmt_time(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if not value.microsecond else value.isoformat()
