"""Types of single values in the scenario format, and durations, rates and times.

The format (:mod:`simkit.scenario.tables`) is built from *types*: objects that
check one value of a tree read by :mod:`simkit.scenario.yamltree`, convert it (``8d`` to
a ``timedelta``, a CIDR to a :class:`~simkit.values.addresses.Cidr`) and state it as
JSON Schema.  This module holds their base, :class:`_Type`, with :class:`_At`
(where a value sits, for messages), and the types of single values:
:class:`Text`, :class:`Integer`, :class:`Number`, :class:`Flag`, :class:`Const`,
:class:`AccountRef`, :class:`FolderRef`, :class:`CidrText`, :class:`Mask`,
:class:`Duration`, :class:`Rate`, :class:`Time` and :class:`ErrorCodeText`.
The public parsers those use, :func:`parse_duration`, :func:`parse_rate` and
:func:`parse_time`, are importable from :mod:`simkit.scenario` as well.

Examples
--------
>>> Duration().check("8d", _At("step 2", "advance", 12, _Context()))
datetime.timedelta(days=8)
>>> Mask().check(33, _At("pool 'hz'", "masks item 1", 7, _Context()))
Traceback (most recent call last):
...
simkit.scenario.yamltree._Invalid: pool 'hz': masks item 1: ...
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ..values.addresses import check_mask, parse_cidr
from ..values.errors import ERROR_CODES, DomainError, UsageError
from ..values.quotas import QUOTAS
from .yamltree import _Invalid

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION_RE = re.compile(r"^([0-9]+(?:\.[0-9]+)?)([smhd])$")
_RATE_RE = re.compile(r"^([0-9]+(?:\.[0-9]+)?)/([smhd])$")
_TIME_RE = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[Tt ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?:[Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)?)?$"
)
_CIDR_RE = re.compile(r"^[0-9A-Fa-f:.]+/[0-9]{1,3}$")


# ---------------------------------------------------------------------------------------------
# Public helpers: durations, rates, times
# ---------------------------------------------------------------------------------------------

def parse_duration(text: str) -> timedelta:
    """Parse a duration such as ``30m``, ``12h``, ``8d`` or ``45s``.

    A duration is a number (decimals allowed) followed by one unit: ``s``,
    ``m``, ``h`` or ``d``.  Anything else raises :class:`~simkit.values.errors.UsageError`.

    Examples
    --------
    >>> parse_duration("12h"), parse_duration("1.5d")
    (datetime.timedelta(seconds=43200), datetime.timedelta(days=1, seconds=43200))
    >>> parse_duration("3 days")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    simkit.UsageError: '3 days' is not a duration: write a number and one of the units ...
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


# ---------------------------------------------------------------------------------------------
# Types: the base, and the types of single values
# ---------------------------------------------------------------------------------------------

class _Context:
    """What reference checks need: the declared organisation (None while org itself is
    read), a :class:`simkit.model.org.Organisation`, and its accounts in file order.

    ``passed`` remembers the scalar values each type has accepted, and what it
    made of them, while ``org`` stays the same: a type's check is a function of
    the value and the organisation, so a value it accepted once it accepts again
    (:meth:`_Type.check_at` looks there before checking).
    """

    __slots__ = ("_org", "_accounts", "passed")

    def __init__(self, org: Any = None,
                 accounts: tuple[str, ...] | Callable[[], tuple[str, ...]] = ()) -> None:
        self._org = org
        self._accounts = accounts     # or a function giving them, asked only by a message
        self.passed: dict[tuple[Any, type, Any], Any] = {}

    @property
    def accounts(self) -> tuple[str, ...]:
        if callable(self._accounts):
            self._accounts = tuple(self._accounts())
        return self._accounts

    @accounts.setter
    def accounts(self, accounts: tuple[str, ...]) -> None:
        self._accounts = accounts

    @property
    def org(self) -> Any:
        return self._org

    @org.setter
    def org(self, org: Any) -> None:
        self._org = org
        self.passed = {}

    def __repr__(self) -> str:
        return f"_Context(org={self._org!r}, accounts={self.accounts!r})"


class _At:
    """Where a value sits: for messages ("pool 'hz': cidrs item 2 ...") and its line."""

    __slots__ = ("where", "_key", "line", "ctx", "index")

    def __init__(self, where: str, key: str, line: int, ctx: _Context,
                 index: int | None = None) -> None:
        self.where = where
        self._key = key         # an item's key is its list's: named when a message needs it
        self.line = line
        self.ctx = ctx
        self.index = index

    @property
    def key(self) -> str:
        """The key of the value (``cidrs item 2`` for an item of a list)."""
        return self._key if self.index is None else f"{self._key} item {self.index}"

    def __repr__(self) -> str:
        return (f"_At(where={self.where!r}, key={self.key!r}, line={self.line!r}, "
                f"index={self.index!r})")

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
    """A kind of value: checks and converts it, and states it as JSON Schema.

    ``remembers``: whether a scalar value's check depends on nothing but the value
    and the organisation (true of the types of single values), so that a record
    may reuse an earlier answer (:attr:`_Context.passed`).
    """

    doc = ""
    remembers = False

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

    remembers = True

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

    remembers = True

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

    remembers = True

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

    remembers = True

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

    remembers = True

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

    remembers = True

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
                org.parse_principal(text)
            except DomainError as err:
                if err.code == "ResourceNotFound.Folder":
                    raise at.note(_no_folder(org, text.partition(":")[2])) from None
                raise at.note(f"account {err.details['account']!r} is not declared in org "
                              f"(declared: {_words(_first(at.ctx.accounts, 12))})") from None
            except UsageError as err:
                raise at.note(str(err)) from None
        elif not org.knows(text):
            raise at.note(f"account {text!r} is not declared in org "
                          f"(declared: {_words(_first(at.ctx.accounts, 12))})")
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
            except DomainError:
                raise at.note(_no_folder(at.ctx.org, value)) from None
            except UsageError as err:
                raise at.note(str(err)) from None
        return value


def _no_folder(org: Any, name: str) -> str:
    folders = [f for f in org.folders() if f != "Root"]
    return f"folder {name!r} does not exist in org (folders: {_words(folders) or 'none'})"


@dataclass(frozen=True, eq=False)
class CidrText(_Type):
    """A CIDR.  ``strict``: parsed now (declarative sections); else kept as written."""

    remembers = True

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
    """A prefix length.  ``strict``: 0..``width`` now (declarative sections); else any int.

    ``width`` is 32 (IPv4) or 128 (a pool's masks and rules, which may be IPv6: the
    loader checks an IPv4 pool's against 32).
    """

    remembers = True

    doc: str = ""
    strict: bool = True
    width: int = 32

    def describe(self) -> str:
        return f"a mask from 0 to {self.width}" if self.strict else "an integer mask"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    def check(self, value: Any, at: _At) -> Any:
        if not self.accepts(value):
            raise at.wrong(self, value)
        if self.strict:
            try:
                check_mask(value, 4 if self.width == 32 else 6)
            except DomainError as err:
                raise at.note(err.message) from None
        return value

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {"type": "integer", "minimum": 0, "maximum": self.width} if self.strict \
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

    remembers = True

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
    """An error code of :data:`~simkit.values.errors.ERROR_CODES` or ``QuotaExceeded.<Name>``."""

    hint: str = "an error code"

    def check(self, value: Any, at: _At) -> Any:
        super().check(value, at)
        quota_codes = {q.code for q in QUOTAS.values()}
        if value not in ERROR_CODES and value not in quota_codes:
            close = difflib.get_close_matches(value, [*ERROR_CODES, *quota_codes], n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise at.note(f"{value!r} is not an error code simkit knows{hint}")
        return value

