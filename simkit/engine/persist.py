"""Saving and restoring a whole simulation: one versioned, checksummed JSON file.

:func:`save` writes everything a :class:`~simkit.engine.Simulation` holds: the
clock, the state of its random generator, the quotas, the organisation, the
IPAM model (IPAMs, scopes, pools with their address spaces, allocations,
VPCs), the resource shares and invitations, the demand and its queue of
pending requests, the event log and every other attribute of the
simulation.  :func:`restore` reads it back into a simulation whose
:meth:`~simkit.engine.Simulation.fingerprint` equals the original's and which
continues exactly as the original would: the same requests at the same
times, the same blocks, the same random draws.

The file is one JSON document::

    {"format": "simkit-state", "version": 1, "simkit": "0.1.0",
     "checksum": "sha256:...", "state": {...}}

``checksum`` is the SHA-256 of the canonical JSON text of ``state`` (sorted
keys, no spaces, ASCII).  Records are written field by field, by name; values
JSON has no type for are tagged (``{"$time": ...}``, ``{"$cidr": ...}``,
``{"$tuple": [...]}``...).  A file that is missing, empty, truncated, not JSON,
of another format version, whose checksum does not match, or whose state is
not what :func:`save` writes (a missing field, a value of the wrong type,
allocations that overlap...) is refused with
:class:`~simkit.values.errors.StateFileError`, naming the file and the problem.

Writes are atomic: the document is built in memory, written to a temporary
file in the target's directory, flushed to disk and renamed over the target,
so an interrupted save leaves the previous file (or none), never half a file.

Examples
--------
>>> from pathlib import Path
>>> from tempfile import TemporaryDirectory
>>> from simkit.engine import Simulation
>>> sim = Simulation(seed=7, management_account="mgmt")
>>> sim.org.add_account("net")
>>> _ = sim.do("net", "create_ipam", ipam="ipam-1", region="cn-hangzhou")
>>> _ = sim.do("net", "create_ipam_pool", ipam="ipam-1", pool="hz", region="cn-hangzhou",
...            cidrs=["10.0.0.0/16"], strategy="random")
>>> with TemporaryDirectory() as tmp:
...     save(sim, Path(tmp) / "sim.json")
...     back = restore(Path(tmp) / "sim.json")
>>> back.fingerprint() == sim.fingerprint()
True
>>> mine = back.do("net", "create_vpc", vpc="vpc-a", pool="hz", mask=24).cidr
>>> mine == sim.do("net", "create_vpc", vpc="vpc-a", pool="hz", mask=24).cidr
True
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import heapq
import json
import math
import os
import stat
import sys
import tempfile
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import fields, is_dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import networkx as nx

from ..model.ipam import ALLOCATION_TYPES, Allocation, Ipam, Pool, Scope
from ..model.org import Organisation, Principal
from ..model.sharing import Invitation, ResourceShare
from ..model.vpcs import Vpc
from ..scenario.loader import DemandSpec
from ..values.addresses import Cidr, parse_cidr
from ..values.allocator import STRATEGIES, AddressSpace
from ..values.errors import DomainError, StateFileError, UsageError
from ..values.quotas import Quotas
from .events import Event
from .simulation import Simulation, _Pending

__all__ = ["FORMAT", "FORMAT_VERSION", "restore", "save"]

#: The value of the ``format`` field of every state file.
FORMAT = "simkit-state"
#: The version of the state format this module writes and reads.
FORMAT_VERSION = 1

#: How every state file begins.
_HEAD = f'{{"format":"{FORMAT}"'.encode("ascii")
#: Permissions of a new state file (an existing file keeps its own).
_NEW_FILE_MODE = 0o644

#: Attributes saved part by part; every other attribute is saved as a value.
_SIMULATION_PARTS = frozenset({"seed", "rng", "clock", "start", "quotas", "org", "shares",
                               "access", "model", "demand", "_queue", "log"})
_MODEL_PARTS = frozenset({"quotas", "rng", "clock", "access", "ipams", "scopes", "pools",
                          "vpcs", "allocations", "_counter", "_index", "_typed_ips"})
_SHARES_PARTS = frozenset({"org", "pool_owner", "quotas", "clock", "_shares", "_invitations"})
_ORG_PARTS = frozenset({"management_account", "quotas", "graph", "_externals"})


# -- public API ----------------------------------------------------------------------------
def save(sim: Simulation, path: str | os.PathLike[str]) -> None:
    """Write the whole state of ``sim`` to ``path``, atomically.

    Parameters
    ----------
    sim : the simulation to save; it is not changed.
    path : the state file; it is replaced if it exists.

    Raises
    ------
    StateFileError
        When the file cannot be written (the previous file, if any, is left
        as it was) or the simulation holds a value that cannot be saved.
    """
    from ..values.version import __version__

    target = os.fspath(path)
    try:
        state = _encode_simulation(sim)
        document = {"format": FORMAT, "version": FORMAT_VERSION, "simkit": __version__,
                    "checksum": _checksum(state), "state": state}
        data = (_dumps(document) + "\n").encode("ascii")
    except (TypeError, ValueError) as err:
        raise StateFileError(target, f"the simulation cannot be saved: {err}") from err
    try:
        _write_atomically(target, data)
    except OSError as err:
        reason = err.strerror or str(err)
        raise StateFileError(target, f"cannot write the file: {reason}") from err


def restore(path: str | os.PathLike[str]) -> Simulation:
    """Read a simulation written by :func:`save`.

    Raises
    ------
    StateFileError
        For a file that cannot be read, is empty, truncated or not JSON, is
        not a simkit state file, has an unknown format version, fails its
        checksum, or holds a state that :func:`save` would not write.
    """
    file = os.fspath(path)
    state = _read_document(file)
    try:
        return _decode_simulation(_At(state, "state"))
    except _Malformed as err:
        raise StateFileError(file, f"the state is malformed: {err}") from None
    except Exception as err:  # any other failure while rebuilding is a malformed state too
        raise StateFileError(
            file, f"the state is malformed: {type(err).__name__}: {err}") from err


# -- the file ------------------------------------------------------------------------------
def _dumps(value: Any, *, canonical: bool = False) -> str:
    return json.dumps(value, ensure_ascii=True, allow_nan=False, separators=(",", ":"),
                      sort_keys=canonical)


def _checksum(state: Any) -> str:
    digest = hashlib.sha256(_dumps(state, canonical=True).encode("ascii")).hexdigest()
    return f"sha256:{digest}"


def _write_atomically(target: str, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``target``, sync it, rename it over ``target``."""
    directory = os.path.dirname(target) or "."
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        mode = _NEW_FILE_MODE
    fd, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".tmp",
                                     dir=directory)
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    with contextlib.suppress(OSError):  # make the rename durable where the platform can
        dir_fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _read_document(file: str) -> Any:
    """The ``state`` of the file, after every check of the envelope and the checksum."""
    from ..values.version import __version__

    try:
        data = Path(file).read_bytes()
    except (OSError, ValueError) as err:  # ValueError: a NUL byte in the path
        reason = getattr(err, "strerror", None) or str(err)
        raise StateFileError(file, f"cannot read the file: {reason}") from None
    if not data.strip():
        raise StateFileError(file, "the file is empty: it is not a saved simulation")
    # a file that starts as save() writes it is a damaged state file, anything else a foreign one
    what = "the file is damaged" if data.lstrip().startswith(_HEAD) else \
        "not a simkit state file"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise StateFileError(file, f"{what}: it is not text (byte 0x{data[err.start]:02x} at "
                                   f"offset {err.start})") from None
    try:
        document = json.loads(text, parse_float=_finite_float, parse_constant=_not_finite)
    except _NotFinite as err:
        raise StateFileError(file, f"{what}: it holds the number {err}, which is not "
                                   "finite") from None
    except json.JSONDecodeError as err:
        body = text.strip()
        if body.startswith("{") and (not body.endswith("}") or err.pos >= len(text.rstrip())):
            raise StateFileError(
                file, f"the file is truncated: its {len(data)} bytes end before the JSON "
                      "document does (an interrupted copy?)") from None
        raise StateFileError(file, f"{what}: it is not valid JSON ({err.msg} at line "
                                   f"{err.lineno}, column {err.colno})") from None
    except RecursionError:
        raise StateFileError(file, f"{what}: its JSON is nested too deeply") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise StateFileError(file, f"{what}: a state file is a JSON object with "
                                   f"\"format\": \"{FORMAT}\"")
    for key in ("version", "checksum", "state"):
        if key not in document:
            raise StateFileError(file, f"the file is damaged: it has no {key!r}")
    version = document.get("version")
    if type(version) is not int or version != FORMAT_VERSION:
        raise StateFileError(
            file, f"unsupported state format version {json.dumps(version)}: this simkit "
                  f"({__version__}) reads version {FORMAT_VERSION} only; restore the file "
                  f"with the simkit that saved it ({document.get('simkit', 'unknown')})")
    state = document["state"]
    try:
        expected = _checksum(state)
    except (ValueError, RecursionError):
        expected = None                     # not a state save() writes: it cannot match
    if document["checksum"] != expected:
        raise StateFileError(file, "checksum mismatch: the state was changed or corrupted "
                                   "after it was saved; restore an intact copy")
    return state


class _NotFinite(ValueError):
    """A number of the file is NaN or infinite: save() never writes one."""


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotFinite(text)
    return value


def _not_finite(text: str) -> float:
    raise _NotFinite(text)


# -- values: JSON as is, other types tagged ------------------------------------------------
#: The records a value may hold, by class name.
_RECORDS: dict[str, type] = {cls.__name__: cls for cls in (
    Allocation, DemandSpec, Event, Invitation, Ipam, Principal, ResourceShare, Scope, Vpc)}


def _value(value: Any) -> Any:
    """``value`` as JSON data; tuples, times, durations, CIDRs and records are tagged."""
    if value is None or isinstance(value, bool | int | float | str):
        return value            # a float that is not finite is refused when the file is written
    if isinstance(value, datetime):
        return {"$time": value.isoformat()}
    if isinstance(value, timedelta):
        return {"$delta": value // timedelta(microseconds=1)}
    if isinstance(value, Cidr):
        return {"$cidr": str(value)}
    if isinstance(value, list):
        return [_value(v) for v in value]
    if isinstance(value, tuple):
        return {"$tuple": [_value(v) for v in value]}
    if isinstance(value, set | frozenset):
        return {"$set": sorted((_value(v) for v in value), key=_dumps)}
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("$") for k in value):
            return {k: _value(v) for k, v in value.items()}
        return {"$dict": [[_value(k), _value(v)] for k, v in value.items()]}
    name = type(value).__name__
    if is_dataclass(value) and _RECORDS.get(name) is type(value):
        return {"$record": [name, _fields(value)]}
    raise TypeError(f"a value of type {name} ({value!r:.60}) cannot be saved")


def _fields(record: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    return {f.name: _value(getattr(record, f.name)) for f in fields(record) if f.name not in skip}


class _Malformed(Exception):
    """The state is not what save() writes; the message names the place."""


class _At:
    """A value of the state document and where it is (``state.model.pools[2].id``).

    The place is spelled out only when a message needs it.
    """

    __slots__ = ("value", "_parent", "_step")

    def __init__(self, value: Any, step: str | int, parent: _At | None = None) -> None:
        self.value = value
        self._step = step
        self._parent = parent

    @property
    def where(self) -> str:
        if self._parent is None:
            return str(self._step)
        if isinstance(self._step, int):
            return f"{self._parent.where}[{self._step}]"
        return f"{self._parent.where}.{self._step}"

    def fail(self, expected: str) -> _Malformed:
        shown = _dumps(self.value)
        return _Malformed(f"{self.where} must be {expected}, not "
                          f"{shown if len(shown) <= 60 else shown[:57] + '...'}")

    def __getitem__(self, key: str) -> _At:
        if not isinstance(self.value, dict):
            raise self.fail("an object")
        if key not in self.value:
            raise _Malformed(f"{self.where} has no field {key!r}")
        return _At(self.value[key], key, self)

    def names(self) -> list[str]:
        if not isinstance(self.value, dict):
            raise self.fail("an object")
        return list(self.value)

    def items(self) -> list[_At]:
        if not isinstance(self.value, list):
            raise self.fail("a list")
        return [_At(v, i, self) for i, v in enumerate(self.value)]

    def fixed(self, size: int) -> list[_At]:
        found = self.items()
        if len(found) != size:
            raise self.fail(f"a list of {size} values")
        return found

    def pair(self) -> tuple[_At, _At]:
        first, second = self.fixed(2)
        return first, second

    def str(self) -> str:
        if not isinstance(self.value, str):
            raise self.fail("a string")
        return self.value

    def int(self) -> int:
        if not isinstance(self.value, int) or isinstance(self.value, bool):
            raise self.fail("an integer")
        return self.value

    def decode(self) -> Any:
        """The value :func:`_value` encoded here."""
        value = self.value
        if isinstance(value, list):
            return [v.decode() for v in self.items()]
        if not isinstance(value, dict):
            return value
        if len(value) != 1 or not next(iter(value)).startswith("$"):
            return {k: self[k].decode() for k in value}
        (tag,) = value
        inner = self[tag]
        if tag == "$time":
            try:
                return datetime.fromisoformat(inner.str())
            except ValueError:
                raise inner.fail("an ISO 8601 time") from None
        if tag == "$delta":
            try:
                return timedelta(microseconds=inner.int())
            except OverflowError:
                raise inner.fail("a duration in microseconds") from None
        if tag == "$cidr":
            text = inner.str()
            try:
                return parse_cidr(text)
            except (DomainError, ValueError):
                raise inner.fail("a CIDR") from None
        if tag == "$tuple":
            return tuple(v.decode() for v in inner.items())
        if tag == "$set":
            return {v.decode() for v in inner.items()}
        if tag == "$dict":
            return {k.decode(): v.decode() for k, v in (x.pair() for x in inner.items())}
        if tag == "$record":
            name, record = inner.pair()
            cls = _RECORDS.get(name.str())
            if cls is None:
                raise name.fail(f"a record type ({', '.join(_RECORDS)})")
            return record.build(cls)
        raise _Malformed(f"{self.where} has the unknown tag {tag!r}")

    def build(self, cls: type, **given: Any) -> Any:
        """A ``cls`` record from the fields here (plus ``given``), each of its declared type."""
        names, checks = _schema(cls)
        if not isinstance(self.value, dict):
            raise self.fail("an object")
        unknown = [k for k in self.value if k not in names or k in given]
        if unknown:
            raise _Malformed(f"{self.where} has the unknown field {unknown[0]!r} "
                             f"(a {cls.__name__} has {', '.join(names)})")
        values = {k: _At(v, k, self).decode() for k, v in self.value.items()}
        values.update(given)
        for name, value in values.items():
            check = checks.get(name)
            if check is not None and not check[0](value):
                raise self[name].fail(f"{check[1]} ({cls.__name__}.{name})")
        try:
            return cls(**values)
        except TypeError as err:  # a field without a default is missing
            missing = [n for n, f in names.items() if n not in values and f.init]
            raise _Malformed(f"{self.where} has no field {missing[0]!r}" if missing
                             else f"{self.where}: {err}") from None


_Check = tuple[Callable[[Any], bool], str]


@functools.cache
def _schema(cls: type) -> tuple[dict[str, Any], dict[str, _Check]]:
    """The fields of the record type ``cls``, and a check of each field's declared type.

    A field whose annotation does not resolve goes unchecked.
    """
    known = {c.__name__: c for c in (AddressSpace, Allocation, Cidr, Pool, Principal)}
    try:
        hints = typing.get_type_hints(cls, vars(sys.modules[cls.__module__]) | known)
    except Exception:
        hints = {}
    return ({f.name: f for f in fields(cls)},
            {name: (_checker(hint), _describe(hint)) for name, hint in hints.items()})


def _checker(hint: Any) -> Callable[[Any], bool]:
    """A test of whether a value is of the declared type ``hint`` (unknown forms pass)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any or hint is object:
        return lambda v: True
    if hint is type(None):
        return lambda v: v is None
    if origin is typing.Union or origin is types.UnionType:
        options = [_checker(a) for a in args]
        return lambda v: any(check(v) for check in options)
    if hint is int:
        return lambda v: isinstance(v, int) and not isinstance(v, bool)
    if hint is float:
        return lambda v: isinstance(v, int | float) and not isinstance(v, bool)
    if origin is list:
        item = _checker(args[0])
        return lambda v: isinstance(v, list) and all(map(item, v))
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        item = _checker(args[0])
        return lambda v: isinstance(v, tuple) and all(map(item, v))
    if origin is tuple:
        items = [_checker(a) for a in args]
        return lambda v: (isinstance(v, tuple) and len(v) == len(items)
                          and all(check(x) for check, x in zip(items, v, strict=True)))
    if origin is dict:
        key, value = _checker(args[0]), _checker(args[1])
        return lambda v: isinstance(v, dict) and all(key(k) and value(x) for k, x in v.items())
    if isinstance(hint, type):
        return lambda v: isinstance(v, hint)
    return lambda v: True


def _describe(hint: Any) -> str:
    text = getattr(hint, "__name__", None) if isinstance(hint, type) else None
    return f"of type {text or str(hint).replace('typing.', '')}"


def _extras(obj: Any, parts: frozenset[str]) -> dict[str, Any]:
    """Every attribute of ``obj`` not saved part by part, as values."""
    out = {}
    for name, value in vars(obj).items():
        if name in parts:
            continue
        try:
            out[name] = _value(value)
        except TypeError as err:
            raise TypeError(f"attribute {name} of the {type(obj).__name__}: {err}") from None
    return out


def _restore_extras(at: _At, obj: Any) -> None:
    for name in at.names():
        if name not in vars(obj):
            raise _Malformed(f"{at.where} has the attribute {name!r}, which a "
                             f"{type(obj).__name__} of this simkit does not have")
        setattr(obj, name, at[name].decode())


def _time(at: _At) -> datetime:
    value = at.decode()
    if not isinstance(value, datetime):
        raise at.fail("a time")
    return value


# -- the simulation ------------------------------------------------------------------------
def _encode_simulation(sim: Simulation) -> dict[str, Any]:
    version, internal, gauss = sim.rng.getstate()
    return {
        "seed": sim.seed,
        "start": _value(sim.start),
        "now": _value(sim.clock.now),
        "rng": {"version": version, "state": list(internal), "gauss_next": gauss},
        "quotas": dict(sim.quotas),
        "org": _encode_org(sim.org),
        "model": _encode_model(sim.model),
        "shares": _encode_shares(sim.shares),
        "demand": [_fields(spec) for spec in sim.demand],
        "queue": [_fields(p) for p in sim._queue],
        "log": {"fields": list(_EVENT_FIELDS),
                "rows": [[_value(getattr(e, name)) for name in _EVENT_FIELDS] for e in sim.log]},
        "attributes": _extras(sim, _SIMULATION_PARTS),
    }


def _decode_simulation(at: _At) -> Simulation:
    raised = at["quotas"]
    try:
        quotas = Quotas({key: raised[key].int() for key in raised.names()})
    except UsageError as err:  # an unknown quota, or a negative one
        raise _Malformed(f"{raised.where}: {err}") from None
    org = _decode_org(at["org"], quotas)
    seed = at["seed"].int()
    sim = Simulation(seed=seed, start=_time(at["start"]), quotas=quotas, org=org)
    rng = at["rng"]
    gauss = rng["gauss_next"].value
    if gauss is not None and (not isinstance(gauss, int | float) or isinstance(gauss, bool)):
        raise rng["gauss_next"].fail("null or a number")
    try:
        sim.rng.setstate((rng["version"].int(), tuple(v.int() for v in rng["state"].items()),
                          gauss))
    except (TypeError, ValueError, OverflowError):
        raise rng.fail("the state of a random generator") from None
    sim.clock.now = _time(at["now"])
    _decode_model(at["model"], sim)
    _decode_shares(at["shares"], sim)
    sim.demand = [_decode_demand(d) for d in at["demand"].items()]
    queue = [item.build(_Pending) for item in at["queue"].items()]
    for item, pending in zip(at["queue"].items(), queue, strict=True):
        if pending.kind not in ("request", "expire"):
            raise item["kind"].fail('"request" or "expire"')
        if not 0 <= pending.demand < len(sim.demand):
            raise item["demand"].fail(f"the index of a demand entry (0 to {len(sim.demand) - 1})")
    heapq.heapify(queue)
    sim._queue = queue
    sim.log = _decode_log(at["log"])
    _restore_extras(at["attributes"], sim)
    return sim


# -- the organisation ----------------------------------------------------------------------
def _encode_org(org: Organisation) -> dict[str, Any]:
    return {
        "management_account": org.management_account,
        "nodes": [[node, data.get("kind"), data.get("path")]
                  for node, data in org.graph.nodes(data=True)],
        "edges": [[u, v] for u, v in org.graph.edges()],
        "externals": org.externals(),
        "attributes": _extras(org, _ORG_PARTS),
    }


def _decode_org(at: _At, quotas: Quotas) -> Organisation:
    management = at["management_account"]
    try:
        org = Organisation(management.str(), quotas)
    except UsageError as err:  # not an account id
        raise _Malformed(f"{management.where}: {err}") from None
    graph = nx.DiGraph()
    for item in at["nodes"].items():
        node, kind, path = (x.value for x in item.fixed(3))
        if kind == "folder" and isinstance(path, str) and node == f"folder:{path}":
            graph.add_node(node, kind="folder", path=path)
        elif kind == "account" and path is None and isinstance(node, str) \
                and node.startswith("account:"):
            graph.add_node(node, kind="account")
        else:
            raise item.fail("a node [folder:PATH, \"folder\", PATH] or "
                            "[account:ID, \"account\", null]")
    for item in at["edges"].items():
        u, v = (x.str() for x in item.pair())
        if u not in graph or v not in graph or graph.nodes[u]["kind"] != "folder":
            raise item.fail("an edge from a folder to a folder or account of the state")
        graph.add_edge(u, v)
    if ("folder:Root" not in graph or not nx.is_arborescence(graph)
            or graph.in_degree("folder:Root") != 0
            or f"account:{org.management_account}" not in graph):
        raise _Malformed(f"{at.where} is not a resource directory: its folders and accounts "
                         "must form one tree under folder:Root that holds the management "
                         "account")
    org.graph = graph
    externals = at["externals"]
    org._externals = {a.str() for a in externals.items()}
    if any(org.is_member(a) for a in org._externals):
        raise externals.fail("accounts that are not members")
    _restore_extras(at["attributes"], org)
    return org


# -- the IPAM model ------------------------------------------------------------------------
def _encode_model(model: Any) -> dict[str, Any]:
    return {
        "counter": model._counter,
        "ipams": [_fields(i) for i in model.ipams.values()],
        "scopes": [_fields(s) for s in model.scopes.values()],
        "pools": [{"pool": _fields(p, skip=("space",)), "space": _encode_space(p.space)}
                  for p in model.pools.values()],
        "allocations": [_fields(a) for a in model.allocations.values()],
        "vpcs": [_fields(v) for v in model.vpcs.values()],
        "attributes": _extras(model, _MODEL_PARTS),
    }


def _encode_space(space: AddressSpace) -> dict[str, Any]:
    order = space._rand_lists
    return {
        "provisioned": [str(c) for c in space.provisioned()],
        # the order in which the random strategy indexes free blocks (None: not built yet)
        "random_order": None if order is None else [
            [prefix, list(starts)] for prefix, starts in enumerate(order) if starts],
    }


def _decode_model(at: _At, sim: Simulation) -> None:
    model = sim.model
    model._counter = at["counter"].int()
    for item in at["ipams"].items():
        ipam = item.build(Ipam)
        _unique(item["id"], ipam.id, model.ipams)
        model.ipams[ipam.id] = ipam
    for item in at["scopes"].items():
        scope = item.build(Scope)
        _unique(item["id"], scope.id, model.scopes)
        if scope.ipam not in model.ipams or scope.id not in model.ipams[scope.ipam].scopes:
            raise item.fail("a scope listed by its IPAM")
        model.scopes[scope.id] = scope
    for ipam_at, ipam in zip(at["ipams"].items(), model.ipams.values(), strict=True):
        if any(model.scopes.get(s) is None or model.scopes[s].ipam != ipam.id
               for s in ipam.scopes):
            raise ipam_at["scopes"].fail("the scopes of this IPAM")
    for item in at["pools"].items():
        pool = _decode_pool(item, sim)
        model.pools[pool.id] = pool
        model._index[pool.id] = {}
        model._typed_ips[pool.id] = dict.fromkeys(ALLOCATION_TYPES, 0)
    for item in at["allocations"].items():
        a = item.build(Allocation)
        _unique(item["id"], a.id, model.allocations)
        if a.pool not in model.pools:
            raise item["pool"].fail("a pool of the state")
        if a.type not in ALLOCATION_TYPES:
            raise item["type"].fail(f"an allocation type ({', '.join(ALLOCATION_TYPES)})")
        try:
            model.pools[a.pool].space.claim(a.cidr)
        except DomainError as err:  # outside the pool's CIDRs, or not free
            raise _Malformed(f"{item.where}: {err}") from None
        model.allocations[a.id] = a
        model._index[a.pool][a.cidr] = a.id
        model._typed_ips[a.pool][a.type] += a.cidr.size
    for item in at["vpcs"].items():
        vpc = item.build(Vpc)
        _unique(item["id"], vpc.id, model.vpcs)
        for aid in vpc.allocations:
            a = model.allocations.get(aid)
            if a is None or a.type != "VPC" or a.resource != vpc.id:
                raise item["allocations"].fail(f"ids of the VPC allocations of {vpc.id}")
        model.vpcs[vpc.id] = vpc
    _check_pool_tree(at, model)
    for item, pool in zip(at["pools"].items(), model.pools.values(), strict=True):
        _restore_random_order(item["space"]["random_order"], pool.space)
    _restore_extras(at["attributes"], model)


def _unique(at: _At, key: str, table: Mapping[str, Any]) -> None:
    if key in table:
        raise at.fail("an id not used before")


def _decode_pool(at: _At, sim: Simulation) -> Pool:
    model = sim.model
    record = at["pool"]
    version = record["version"].int()
    if version not in (4, 6):
        raise record["version"].fail("4 or 6")
    space = AddressSpace(version, name=record["id"].str(), rng=sim.rng)
    for c in at["space"]["provisioned"].items():
        cidr = _At({"$cidr": c.value}, c.where).decode()
        try:
            space.add_cidr(cidr)
        except DomainError as err:  # overlapping, or of the wrong version
            raise _Malformed(f"{c.where}: {err}") from None
    pool = record.build(Pool, space=space)
    _unique(record["id"], pool.id, model.pools)
    scope = model.scopes.get(pool.scope)
    if pool.ipam not in model.ipams or scope is None or scope.ipam != pool.ipam:
        raise record.fail("a pool in an IPAM and scope of the state")
    if pool.strategy not in STRATEGIES:
        raise record["strategy"].fail(f"an allocation strategy ({', '.join(STRATEGIES)})")
    return pool


def _check_pool_tree(at: _At, model: Any) -> None:
    """Sources, children and the ``IpamPool`` allocations of child CIDRs must agree."""
    for p in model.pools.values():
        where = f"{at.where}.pools: pool {p.id}"
        if p.source is not None:
            src = model.pools.get(p.source)
            if src is None or p.id not in src.children or p.depth != src.depth + 1:
                raise _Malformed(f"{where} and its source {p.source} disagree")
            held = {a.cidr for a in model.allocations.values()
                    if a.pool == src.id and a.type == "IpamPool" and a.resource == p.id}
            if held != set(p.space.provisioned()):
                raise _Malformed(f"{where}: its CIDRs are not the IpamPool allocations of its "
                                 f"source {src.id}")
        elif p.depth != 1:
            raise _Malformed(f"{where} is a top-level pool of depth {p.depth}")
        if sorted(p.children) != sorted(q.id for q in model.pools.values() if q.source == p.id):
            raise _Malformed(f"{where}: its children are not the pools whose source it is")


def _restore_random_order(at: _At, space: AddressSpace) -> None:
    if at.value is None:
        return
    lists: list[list[int]] = [[] for _ in range(space.width + 1)]
    for item in at.items():
        prefix, starts = item.pair()
        if not 0 <= prefix.int() <= space.width:
            raise prefix.fail(f"a prefix length of 0 to {space.width}")
        lists[prefix.value] = [s.int() for s in starts.items()]
    if sorted((s, p) for p, starts in enumerate(lists) for s in starts) != sorted(
            space._free.items()):
        raise at.fail("an ordering of the free blocks of the pool")
    space._rand_lists = lists
    space._rand_pos = [{s: i for i, s in enumerate(starts)} for starts in lists]


# -- resource shares -----------------------------------------------------------------------
def _encode_shares(shares: Any) -> dict[str, Any]:
    return {
        "shares": [_fields(s) for s in shares._shares.values()],
        "invitations": [_fields(i) for i in shares._invitations.values()],
        "attributes": _extras(shares, _SHARES_PARTS),
    }


def _decode_shares(at: _At, sim: Simulation) -> None:
    shares = sim.shares
    for item in at["shares"].items():
        share = item.build(ResourceShare)
        _unique(item["id"], share.id, shares._shares)
        if share.status not in ("Active", "Deleted"):
            raise item["status"].fail('"Active" or "Deleted"')
        shares._shares[share.id] = share
    for item in at["invitations"].items():
        invitation = item.build(Invitation)
        if invitation.share not in shares._shares:
            raise item["share"].fail("a share of the state")
        if invitation.status not in ("Pending", "Accepted", "Rejected"):
            raise item["status"].fail('"Pending", "Accepted" or "Rejected"')
        shares._invitations[invitation.share, invitation.account] = invitation
    _restore_extras(at["attributes"], shares)


# -- demand and the event log --------------------------------------------------------------
def _decode_demand(at: _At) -> DemandSpec:
    spec = at.build(DemandSpec)
    if (spec.every is None) == (spec.rate is None):
        raise at.fail("a demand entry with exactly one of every and rate")
    return spec


_EVENT_FIELDS = {f.name: f for f in fields(Event)}


def _decode_log(at: _At) -> list[Event]:
    names = [n.str() for n in at["fields"].items()]
    if len(set(names)) != len(names):
        raise at["fields"].fail("distinct field names")
    events = []
    for row in at["rows"].items():
        values = row.items()
        if len(values) != len(names):
            raise row.fail(f"a list of {len(names)} values")
        record = _At({name: v.value for name, v in zip(names, values, strict=True)}, row.where)
        events.append(record.build(Event))
    return events
