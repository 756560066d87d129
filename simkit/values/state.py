"""Saved state: the plain data that ``to_state`` methods write and ``from_state`` methods read.

Each stateful object of a simulation (the :class:`~simkit.values.allocator.AddressSpace`
of a pool, the organisation, the IPAM model, the resource shares, the simulation itself)
writes its own state with ``to_state()`` as JSON data (None, booleans, integers, finite
floats, strings, lists, objects with string keys) and reads it back with the classmethod
``from_state(state, ...)``, given what it is wired to (quotas, generator, clock...).
Derived indexes are not written: ``from_state`` rebuilds them.  This module holds what
those methods share:

* :func:`encode` writes one value of a record field, :func:`encode_fields` a record
  (a dataclass or a NamedTuple) field by field.  Values JSON has no type for are tagged
  objects of one key: ``{"$time": ISO 8601}``, ``{"$delta": microseconds}``,
  ``{"$cidr": text}``, ``{"$tuple": [...]}``.  Where a state's layout fixes the type of a
  value (a list of CIDRs, the time of the clock), it is written plainly (``"10.0.0.0/24"``).
* :class:`Reader` reads a state back.  Each step down (``at["pools"]``, ``.items()``)
  remembers where it is and each read checks what it finds, so a state that
  ``to_state`` would not write raises :class:`~simkit.values.errors.StateError`
  naming the place and the rule.
* :func:`check_attributes` keeps ``to_state`` complete: an object holding an attribute
  its ``to_state`` does not know cannot be saved (rather than be restored without it).

Examples
--------
>>> from datetime import UTC, datetime
>>> from simkit.values.addresses import parse_cidr
>>> encode((datetime(2026, 1, 1, tzinfo=UTC), parse_cidr("10.0.0.0/24")))
{'$tuple': [{'$time': '2026-01-01T00:00:00+00:00'}, {'$cidr': '10.0.0.0/24'}]}
>>> at = Reader({"pools": [{"id": "corp", "mask": "24"}]}, "model")
>>> at["pools"].items()[0]["mask"].int()
Traceback (most recent call last):
...
simkit.values.errors.StateError: model.pools[0].mask must be an integer, not "24"
"""

from __future__ import annotations

import functools
import json
import sys
import types
import typing
from collections.abc import Callable, Iterable
from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any

from .addresses import Cidr, parse_cidr
from .errors import DomainError, StateError

__all__ = ["Reader", "check_attributes", "encode", "encode_fields"]


# -- writing -----------------------------------------------------------------------------
def encode(value: Any) -> Any:
    """``value`` as JSON data; times, durations, CIDRs and tuples are tagged.

    Raises
    ------
    TypeError
        For a value of any other type (a dict, a set, an object...).
    """
    if value is None or isinstance(value, bool | int | float | str):
        return value            # a float that is not finite is refused when the file is written
    if isinstance(value, datetime):
        return {"$time": value.isoformat()}
    if isinstance(value, timedelta):
        return {"$delta": value // timedelta(microseconds=1)}
    if isinstance(value, Cidr):
        return {"$cidr": str(value)}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, tuple):
        return {"$tuple": [encode(v) for v in value]}
    raise TypeError(f"a value of type {type(value).__name__} ({value!r:.60}) cannot be saved")


def encode_fields(record: Any, skip: Iterable[str] = ()) -> dict[str, Any]:
    """The fields of the record ``record`` (a dataclass or a NamedTuple) by name (but
    ``skip``), each :func:`encode`-d."""
    skipped = set(skip)
    names = record._fields if isinstance(record, tuple) else [f.name for f in fields(record)]
    return {name: encode(getattr(record, name)) for name in names if name not in skipped}


def check_attributes(obj: Any, known: frozenset[str]) -> None:
    """Raise TypeError when ``obj`` has an attribute outside ``known``.

    ``known`` lists what the object's ``to_state`` writes and its ``from_state``
    rebuilds (derived indexes, collaborators); any other attribute would be lost.
    """
    for name in vars(obj):
        if name not in known:
            raise TypeError(f"attribute {name} of the {type(obj).__name__} is not part of "
                            f"its saved state (its to_state does not write it)")


# -- reading -----------------------------------------------------------------------------
class Reader:
    """A value of a saved state and where it is (``state.model.pools[2].id``).

    Parameters
    ----------
    value : the plain data.
    step : the name of the value (the root) or of the step down to it.
    parent : the reader of the enclosing value, if any.

    The place is spelled out only when a message needs it.  Every read that finds
    something else than it expects raises :class:`~simkit.values.errors.StateError`.
    """

    __slots__ = ("value", "_step", "_parent", "_read")

    def __init__(self, value: Any, step: str | int = "state",
                 parent: Reader | None = None) -> None:
        self.value = value
        self._step = step
        self._parent = parent
        self._read: set[str] | None = None      # the keys read so far, once one is

    @classmethod
    def of(cls, state: Any, name: str) -> Reader:
        """``state`` itself when it is a reader (a part of a larger state), else its reader."""
        return state if isinstance(state, Reader) else cls(state, name)

    @property
    def where(self) -> str:
        if self._parent is None:
            return str(self._step)
        if isinstance(self._step, int):
            return f"{self._parent.where}[{self._step}]"
        return f"{self._parent.where}.{self._step}"

    # -- refusals ----------------------------------------------------------------------
    def fail(self, expected: str) -> StateError:
        """The error "``<place>`` must be ``expected``, not ``<value>``"."""
        shown = _shown(self.value)
        return StateError(f"{self.where} must be {expected}, not {shown}")

    def error(self, problem: str) -> StateError:
        """The error "``<place>``: ``problem``"."""
        return StateError(f"{self.where}: {problem}")

    # -- structure ---------------------------------------------------------------------
    def __getitem__(self, key: str) -> Reader:
        if not isinstance(self.value, dict):
            raise self.fail("an object")
        if key not in self.value:
            raise StateError(f"{self.where} has no field {key!r}")
        self._note(key)
        return Reader(self.value[key], key, self)

    def _note(self, *keys: str) -> None:
        if self._read is None:
            self._read = set()
        self._read.update(keys)

    def done(self) -> None:
        """Refuse a field of this object that was never read: the state does not know it."""
        if not isinstance(self.value, dict):
            raise self.fail("an object")
        unknown = [k for k in self.value if k not in (self._read or ())]
        if unknown:
            raise StateError(f"{self.where} has the unknown field {unknown[0]!r}")

    def names(self) -> list[str]:
        """The keys of this object (all of them count as read)."""
        if not isinstance(self.value, dict):
            raise self.fail("an object")
        self._note(*self.value)
        return list(self.value)

    def items(self) -> list[Reader]:
        if not isinstance(self.value, list):
            raise self.fail("a list")
        return [Reader(v, i, self) for i, v in enumerate(self.value)]

    def fixed(self, size: int) -> list[Reader]:
        """The items of a list of exactly ``size`` values."""
        found = self.items()
        if len(found) != size:
            raise self.fail(f"a list of {size} values")
        return found

    def pair(self) -> tuple[Reader, Reader]:
        first, second = self.fixed(2)
        return first, second

    # -- plain values ------------------------------------------------------------------
    def str(self) -> str:
        if not isinstance(self.value, str):
            raise self.fail("a string")
        return self.value

    def int(self, minimum: int | None = None) -> int:
        value = self.value
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail("an integer")
        if minimum is not None and value < minimum:
            raise self.fail(f"an integer >= {minimum}")
        return value

    def optional(self, read: Callable[[Reader], Any]) -> Any:
        """None for null, else ``read(self)`` (``at.optional(Reader.int)``)."""
        return None if self.value is None else read(self)

    def cidr(self) -> Cidr:
        """A CIDR written as its text."""
        try:
            return parse_cidr(self.str())
        except (DomainError, ValueError):
            raise self.fail("a CIDR") from None

    def time(self) -> datetime:
        """A time written in ISO 8601 (``datetime.isoformat``)."""
        try:
            return datetime.fromisoformat(self.str())
        except ValueError:
            raise self.fail("an ISO 8601 time") from None

    # -- encoded values and records ------------------------------------------------------
    def decode(self) -> Any:
        """The value :func:`encode` wrote here."""
        value = self.value
        if isinstance(value, list):
            return [v.decode() for v in self.items()]
        if not isinstance(value, dict):
            return value
        if len(value) != 1 or not next(iter(value)).startswith("$"):
            raise self.fail("a value (a tagged object has one key, such as \"$time\")")
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
            return inner.cidr()
        if tag == "$tuple":
            return tuple(v.decode() for v in inner.items())
        raise StateError(f"{self.where} has the unknown tag {tag!r}")

    def build(self, cls: type, **given: Any) -> Any:
        """A ``cls`` record from the fields here (plus ``given``), each of its declared type.

        The fields are those :func:`encode_fields` wrote; one missing, unknown or of
        another type than the record declares is refused.  A field of ``given`` is
        either one the caller read from here itself or one that is not written here.
        """
        names, checks = _schema(cls)
        if not isinstance(self.value, dict):
            raise self.fail("an object")
        # a field given is one the caller read from here, or one not written here
        read = self._read or ()
        unknown = [k for k in self.value if k not in names or (k in given and k not in read)]
        if unknown:
            raise StateError(f"{self.where} has the unknown field {unknown[0]!r} "
                             f"(a {cls.__name__} has {', '.join(names)})")
        self._note(*self.value)
        values = {k: Reader(v, k, self).decode() if isinstance(v, dict | list) else v
                  for k, v in self.value.items() if k not in given}
        values.update(given)
        for name, value in values.items():
            check = checks.get(name)
            if check is not None and not check[0](value):
                raise self[name].fail(f"{check[1]} ({cls.__name__}.{name})")
        try:
            return cls(**values)
        except TypeError as err:  # a field without a default is missing
            missing = [n for n, init in names.items() if n not in values and init]
            raise StateError(f"{self.where} has no field {missing[0]!r}" if missing
                             else f"{self.where}: {err}") from None
        except (ValueError, DomainError) as err:  # the record's own checks
            raise self.error(str(err)) from None


def _shown(value: Any) -> str:
    try:
        shown = json.dumps(value, ensure_ascii=True)
    except (TypeError, ValueError, RecursionError):
        shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


_Check = tuple[Callable[[Any], bool], str]


@functools.cache
def _schema(cls: type) -> tuple[dict[str, Any], dict[str, _Check]]:
    """The fields of the record type ``cls`` (a dataclass or a NamedTuple), and a check of
    each field's declared type.

    Annotations are read in the namespace of the record's module; a field whose
    annotation does not resolve there goes unchecked.
    """
    namespace = vars(sys.modules[cls.__module__])
    declared = ([(f.name, f.type, f.init) for f in fields(cls)]
                if hasattr(cls, "__dataclass_fields__")
                else [(name, cls.__annotations__[name], True) for name in cls._fields])
    checks: dict[str, _Check] = {}
    for name, hint, _ in declared:
        if isinstance(hint, typing.ForwardRef):    # a NamedTuple keeps its annotations so
            hint = hint.__forward_arg__
        if isinstance(hint, str):
            try:
                hint = typing.get_type_hints(_Annotated(hint), namespace)["x"]
            except Exception:   # a name imported for type checking only
                continue
        checks[name] = (_checker(hint), _describe(hint))
    return {name: init for name, _, init in declared}, checks


class _Annotated:
    """An object whose one annotation is ``hint``, for ``typing.get_type_hints``."""

    def __init__(self, hint: str) -> None:
        self.__annotations__ = {"x": hint}


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
    if isinstance(hint, type):
        return lambda v: isinstance(v, hint)
    return lambda v: True


def _describe(hint: Any) -> str:
    text = getattr(hint, "__name__", None) if isinstance(hint, type) else None
    return f"of type {text or str(hint).replace('typing.', '')}"
