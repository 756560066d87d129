"""Types of the scenario format that hold other values, and ``parameters``.

Built on the types of single values (:mod:`simkit.scenario.scalars`):
:class:`Maybe`, :class:`ListOf`, :class:`MaskWeights`, :class:`Record` (a
mapping with known keys, each a :class:`Field`), :class:`Ref` (a named record
used before it is complete, looked up in ``_NAMED``), :class:`Choice`,
:class:`Tagged` (a mapping told apart by its tag key, such as a step) and
:class:`ByValue` (told apart by the value of a key, such as ``op``).
:class:`Parameters` reads the ``parameters`` section; in the JSON Schema any
scalar may also be a ``{param: NAME}`` reference (:func:`_schema_of`).

Examples
--------
>>> from simkit.scenario.scalars import _Context
>>> from simkit.scenario.yamltree import _compose
>>> pool = Record("pool", {"id": Field(Text(), required=True),
...                        "cidrs": Field(ListOf(CidrText()))}, label="id")
>>> tree = _compose("id: hz\\ncidr: [10.0.0.0/8]\\n")
>>> pool.check(tree, _At("", "", tree.line, _Context()))
Traceback (most recent call last):
...
simkit.scenario.yamltree._Invalid: unknown key 'cidr' in pool 'hz' (did you mean 'cidrs'?); ...
"""

from __future__ import annotations

import difflib
import functools
import math
import operator
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from .scalars import (
    AccountRef,
    CidrText,
    Flag,
    Integer,
    Mask,
    Number,
    Text,
    Time,
    _At,
    _prefix,
    _show,
    _Type,
    _words,
)
from .yamltree import _Invalid, _YList, _YMap

_MASK_KEY_RE = re.compile(r"^(?:3[0-2]|[12]?[0-9])$")
#: Classes of scalar values whose checks a record remembers, and for how many values.
_REMEMBERED = frozenset({str, int, bool})
_REMEMBER_LIMIT = 100_000
_UNSEEN = object()
_SAME = object()        # remembered: the check gave the value itself back


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
        kind, where, key, ctx = self.item, at.where, at.key, at.ctx
        checked = [kind.check(item, _At(where, key, line, ctx, index=i))
                   for i, (item, line) in enumerate(zip(value, value.lines, strict=True),
                                                    start=1)]
        if all(map(operator.is_, checked, value)):
            return value                    # nothing converted: the list itself
        out = _YList(value.line)
        out.extend(checked)
        out.lines.extend(value.lines)
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

    @functools.cached_property
    def _needed(self) -> tuple[tuple[str, Field], ...]:
        """The fields that are required or have a default, in order."""
        return tuple((key, spec) for key, spec in self.fields.items()
                     if spec.required or spec.default is not None)

    @functools.cached_property
    def _plan(self) -> dict[str, tuple[_Type, bool]]:
        """Each key's type, and whether that type's answers may be remembered."""
        return {key: (spec.type, spec.type.remembers) for key, spec in self.fields.items()}

    @functools.cached_property
    def _complete(self) -> set[tuple[Any, ...]]:
        """Key sets (in file order) already found to need no default and to break no
        group rule: those checks depend on nothing but the keys given."""
        return set()

    def check(self, value: Any, at: _At) -> Any:
        if not isinstance(value, _YMap):
            raise at.wrong(self, value)
        where = None                        # named when a message or a nested check needs it
        ctx = at.ctx
        passed = ctx.passed
        plan = self._plan
        checked = []
        for key, item in value.items():
            entry = plan.get(key)
            if entry is None:
                raise _Invalid(self._unknown(key, self.where(value, at)), value.key_lines[key])
            kind, remembers = entry
            if remembers and item.__class__ in _REMEMBERED:
                # a value this type accepted before under this organisation: same answer
                seen = (kind, item.__class__, item)
                result = passed.get(seen, _UNSEEN)
                if result is _SAME:
                    result = item           # accepted as it is (an equal value, this object)
                elif result is _UNSEEN:
                    if where is None:
                        where = self.where(value, at)
                    result = kind.check(item, _At(where, key, value.value_lines[key], ctx))
                    if len(passed) >= _REMEMBER_LIMIT:
                        passed.clear()      # bounded: the values in use come back
                    passed[seen] = _SAME if result is item else result
            else:
                if where is None:
                    where = self.where(value, at)
                result = kind.check(item, _At(where, key, value.value_lines[key], ctx))
            checked.append(result)
        keys = tuple(value)
        complete = self._complete
        defaults = []
        if keys not in complete:
            defaults = self._rest(value, at)
            if not defaults and len(complete) < _REMEMBER_LIMIT:
                complete.add(keys)
        if not defaults and all(map(operator.is_, checked, value.values())):
            return value                    # nothing converted or added: the mapping itself
        out = _YMap(value.line)
        for (key, _), result in zip(value.items(), checked, strict=True):
            out.put(key, result, value.key_lines[key], value.value_lines[key])
        for key, result in defaults:
            out.put(key, result, value.line, value.line)
        return out

    def _rest(self, value: _YMap, at: _At) -> list[tuple[str, Any]]:
        """The defaults of the keys not given, once the required ones and the key
        groups are checked."""
        where = self.where(value, at)
        defaults = []
        for key, spec in self._needed:
            if key in value:
                continue
            if spec.required:
                raise _Invalid(f"{_prefix(where)}missing required {self.noun} {key!r}"
                               + (f" ({spec.doc})" if spec.doc else ""), value.line)
            defaults.append((key, spec.type.check(spec.default,
                                                  _At(where, key, value.line, at.ctx))))
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
        return defaults

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


#: Records a :class:`Ref` can name, by name (filled in by :mod:`simkit.scenario.tables`).
_NAMED: dict[str, Record] = {}


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

    @functools.cached_property
    def _tags(self) -> frozenset[str]:
        return frozenset(self.variants)

    def check(self, value: Any, at: _At) -> Any:
        if not isinstance(value, _YMap):
            raise at.wrong(self, value)
        found = self._tags.intersection(value)
        if len(found) == 1:
            return self.variants[next(iter(found))].check(value, at)
        given = [k for k in self.variants if k in value]
        where = (f"{self.title} {at.index}" if at.index is not None
                 else f"{self.title} of {at.where}" if at.where else self.title)
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
        name = value.get(self.key)
        if not isinstance(name, str) or name not in self.variants:
            where = f"step {at.index}" if at.index is not None else at.where
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
