"""YAML text to a tree of values that remember their lines.

:func:`_compose` reads one YAML document from PyYAML's event stream (the C
parser when installed) into :class:`_YMap` and :class:`_YList` values, a
``dict`` and a ``list`` that also keep the line of every key, value and item,
so that any later message can name the line of the value it is about.  It
refuses a hostile document before it costs much: its YAML aliases may add at
most :data:`MAX_NODES` values when expanded, and it may nest at most
:data:`MAX_DEPTH` levels deep (the file's size bounds its plain values).
Every problem is an :class:`_Invalid` (a reason and a line), which
:func:`simkit.scenario.loads` turns into a
:class:`~simkit.values.errors.ScenarioError` naming the file.

This module knows nothing of the scenario format and imports nothing from
simkit.

Examples
--------
>>> tree = _compose("name: docs\\nsteps:\\n  - advance: 8d\\n")
>>> tree, tree.value_lines["name"], tree["steps"].lines
({'name': 'docs', 'steps': [{'advance': '8d'}]}, 1, [3])
"""

from __future__ import annotations

from typing import Any

import yaml

#: Most values (mappings, lists, scalars) a document's YAML aliases may add when
#: expanded: an "alias bomb" is refused before it is expanded.  Values written out
#: plainly do not count: the file's size limit bounds them.
MAX_NODES = 4_000_000
#: Deepest nesting of mappings and lists accepted.
MAX_DEPTH = 64


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
        expanded = 0            # values that aliases add (plain values are bounded by the size)
        for event in events:
            kind = type(event)
            if kind is yaml.ScalarEvent:
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
                expanded += size
                if len(stack) + depth > MAX_DEPTH:
                    raise _Invalid(f"values are nested more than {MAX_DEPTH} levels deep",
                                   line)
                self._place(stack, root, value, size, depth, line, None)
            elif kind is yaml.DocumentStartEvent and root:
                raise _Invalid("a second YAML document starts here: a scenario file holds "
                               "exactly one document", _line_of(event))
            if expanded > MAX_NODES:
                raise _Invalid(f"the YAML aliases up to here expand to more than "
                               f"{MAX_NODES:,} values (an alias bomb?); a scenario's aliases "
                               f"may add at most {MAX_NODES:,}", _line_of(event))
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


def _tree_of(value: Any, line: int = 0) -> Any:
    """Plain Python values (a call's keyword arguments) as a tree, every line ``line``.

    Mappings and lists become :class:`_YMap` and :class:`_YList`; a value with a
    text form that the format reads (a :class:`~simkit.values.addresses.Cidr`)
    becomes that text.  The format's types then check it as they check a file.
    """
    if isinstance(value, dict):
        out = _YMap(line)
        for key, item in value.items():
            out.put(key, _tree_of(item, line), line, line)
        return out
    if isinstance(value, list | tuple):
        seq = _YList(line)
        seq.extend(_tree_of(item, line) for item in value)
        seq.lines.extend([line] * len(value))
        return seq
    if type(value).__name__ == "Cidr":
        return str(value)
    return value
