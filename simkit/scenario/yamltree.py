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

Machine-written steps are one flow mapping per line (``  - {op: x, as: y}``),
and a parser's events cost more than anything else in reading them.  Runs of
such lines, when each is a mapping of plain words, are therefore read here
without the parser (:meth:`_Composer.cut_runs`), to the same values with the
same lines; the parser reads the rest of the text around a placeholder for
each run, and reads the whole text itself whenever a placeholder is not where
a list item is, or anything is wrong.

This module knows nothing of the scenario format and imports nothing from
simkit.

Examples
--------
>>> tree = _compose("name: docs\\nsteps:\\n  - advance: 8d\\n")
>>> tree, tree.value_lines["name"], tree["steps"].lines
({'name': 'docs', 'steps': [{'advance': '8d'}]}, 1, [3])
"""

from __future__ import annotations

import re
from itertools import repeat
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
    """A YAML mapping that remembers its line and the lines of its keys and values.

    ``key_lines`` and ``value_lines`` may be one dict while every value sits on
    its key's line (a flow mapping such as ``{op: x, as: y}``); :meth:`put`
    parts them when a value moves to another line.
    """

    __slots__ = ("line", "key_lines", "value_lines")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[Any, int] = {}
        self.value_lines: dict[Any, int] = {}

    def put(self, key: Any, value: Any, key_line: int, value_line: int) -> None:
        self[key] = value
        self.key_lines[key] = key_line
        if value_line != key_line and self.value_lines is self.key_lines:
            self.value_lines = dict(self.key_lines)
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


#: Most distinct scalars each cache holds; a full cache starts again.
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
        self.plain: dict[str, tuple[Any, str]] = {}     # plain untagged scalar -> value, tag
        self.words: dict[str, Any] = {}     # the same, the value alone (for cut_runs)
        self.shapes: dict[tuple[str, ...], Any] = {}     # see cut_runs
        # the first characters of the values an implicit type may match (None: any)
        resolvers = getattr(loader, "yaml_implicit_resolvers", {None: ()})
        self.typed_starts = None if None in resolvers else resolvers

    # -- scalars -------------------------------------------------------------------------
    def scalar(self, event: Any) -> Any:
        """The value and tag of a scalar event."""
        return self._scalar(event.value, event.tag, event.implicit, event.style, event)

    def _scalar(self, text: str, tag: str | None, implicit: tuple[bool, bool],
                style: str | None, where: Any) -> Any:
        """The value and tag of a scalar; ``where`` is its event or its line (for messages)."""
        if tag is None and implicit[0] and self.typed_starts is not None \
                and text[:1] not in self.typed_starts:
            return text, _STR_TAG    # no implicit type starts with this character
        if tag is None or tag == "!":
            key = (text, implicit)
            tag = self.resolved.get(key)
            if tag is None:
                tag = self.loader.resolve(yaml.ScalarNode, text, implicit)
                if len(self.resolved) >= _SCALAR_CACHE_LIMIT:
                    self.resolved.clear()
                self.resolved[key] = tag
        if tag in (_STR_TAG, _MERGE_TAG):
            return text, tag
        key2 = (tag, text)
        try:
            return self.constructed[key2], tag
        except KeyError:
            pass
        node = yaml.ScalarNode(tag, text, None, None, style)
        try:
            value = self.loader.construct_object(node, deep=True)
        except Exception as err:  # noqa: BLE001 - any constructor failure is the file's
            if tag == _TIME_TAG:  # looks like a date but is not one: the type says
                return text, _STR_TAG
            problem = getattr(err, "problem", None) or str(err)
            line = where if isinstance(where, int) else _line_of(where)
            raise _Invalid(f"cannot read the value {text!r}: {problem}", line) from None
        if not isinstance(value, list | dict):
            if len(self.constructed) >= _SCALAR_CACHE_LIMIT:
                self.constructed.clear()
            self.constructed[key2] = value
        return value, tag

    def word(self, text: str, line: int) -> Any:
        """The value of a plain scalar with no tag (a word of a one-line item)."""
        hit = self.plain.get(text)
        if hit is None:
            hit = self._scalar(text, None, (True, False), None, line)
            if len(self.plain) >= _SCALAR_CACHE_LIMIT:
                self.plain.clear()
            self.plain[text] = hit
        return hit[0]

    # -- one-line items ------------------------------------------------------------------
    def cut_runs(self, text: str) -> tuple[str, dict[int, tuple[str, list[_YMap]]]] | None:
        """The text with its runs of one-line items cut out, and the items they hold.

        A one-line item is a list item written on one line as a flow mapping of at
        most :data:`_RUN_PAIRS` plain words, with no repeated key (``  - {op:
        create_vpc, as: net, vpc: v1, mask: 24}``): the shape of machine-written
        steps.  Consecutive such lines at one indent are a run.  The first line of
        a run becomes one placeholder item (:data:`_RUN_TAG`), the others empty
        lines (the placeholder is a complete value: no line below can continue it),
        so every other line keeps its number; the runs are returned by the
        index of their first line, each as (its indent, the items' :class:`_YMap`
        values).  :meth:`document` puts the items back
        where the placeholder is, and refuses (:class:`_NotARun`) a placeholder
        that is not a list item or a run it did not find: the caller then reads
        the text itself.  The words are resolved as PyYAML resolves a plain
        scalar, through the same caches as every other scalar.  None: the text
        has no such item, or line breaks other than ``\\n`` (which would number
        its lines otherwise).
        """
        if "- {" not in text or any(brk in text for brk in _OTHER_BREAKS):
            return None
        lines = text.split("\n")
        runs: dict[int, tuple[str, list[_YMap]]] = {}
        shapes, words = self.shapes, self.words
        run: tuple[str, list[_YMap]] | None = None
        last = -2
        for index, source in enumerate(lines):
            if source[-1:] != "}":
                continue
            pairs = source.count(", ")
            if pairs >= _RUN_PAIRS:
                continue
            match = _ONE_LINE[pairs](source)
            if match is None:
                continue
            groups = match.groups()
            keys = groups[1::2]
            shape = shapes.get(keys, _UNSEEN)
            if shape is _UNSEEN:
                if len(shapes) >= _SCALAR_CACHE_LIMIT:
                    shapes.clear()
                shape = shapes[keys] = self._shape(keys, index + 1)
            if shape is None:
                continue
            texts = groups[2::2]
            values = list(map(words.get, texts, repeat(_UNSEEN, pairs + 1)))
            if _UNSEEN in values:
                if len(words) >= _SCALAR_CACHE_LIMIT:
                    words.clear()           # bounded: the words in use come back
                try:
                    for i, v in enumerate(values):
                        if v is _UNSEEN:    # the object the parser's scalars also get
                            values[i] = words[texts[i]] = self.word(texts[i], index + 1)
                except _Invalid:
                    continue                # the parser's reading says why
            item = _new_map(_YMap)
            item.update(zip(shape, values, strict=False))    # of one length
            item.line = index + 1
            item.key_lines = item.value_lines = dict.fromkeys(shape, index + 1)
            if run is not None and index == last + 1 and groups[0] == run[0]:
                run[1].append(item)
                lines[index] = ""
            else:
                run = runs[index] = (groups[0], [item])
                lines[index] = f"{groups[0]}- {_RUN_TAG} ''"
            last = index
        return ("\n".join(lines), runs) if runs else None

    def _shape(self, keys: tuple[str, ...], line: int) -> tuple[Any, ...] | None:
        """The keys of a one-line item as values (None: it is not one)."""
        try:
            names = tuple(self.word(k, line) for k in keys)
        except _Invalid:
            return None
        if len(set(names)) != len(names):
            return None                         # a repeated key: the parser's reading says it
        return names

    # -- the document --------------------------------------------------------------
    def document(self, loader: Any,
                 runs: dict[int, tuple[str, list[_YMap]]] | None = None) -> Any:
        """The value of the one document ``loader`` reads (None for an empty stream).

        One loop over the events, the container being built kept in local
        variables (its parents' on ``stack``): a plain scalar costs a dict
        look-up and an append.  ``runs``: the one-line items cut from the text
        (:meth:`cut_runs`), put back where their placeholders are.
        """
        runs = {} if runs is None else runs
        plain = self.plain
        anchors = self.anchors
        limit = MAX_NODES
        root: list[Any] = []
        stack: list[tuple[Any, ...]] = []
        # the container being built: it, its line, whether a mapping, its lines (a
        # list's, or a mapping's key and value lines, one dict while they agree), its
        # pending key and that key's line, its size and depth so far, its anchor, the
        # line of its merge key and the mapping merged into it
        cur: Any = None
        cline = key_line = merge_line = size = depth = 0
        is_map = False
        lines: Any = None
        vlines: Any = None
        key: Any = _NO_KEY
        anchor: str | None = None
        merged: _YMap | None = None
        expanded = 0            # values that aliases add (plain values are bounded by the size)
        raw_line, line = -1, 0
        for event in iter(loader.get_event, None):
            cls = event.__class__
            if cls is _SCALAR:
                raw = event.start_mark.line
                if raw != raw_line:
                    raw_line, line = raw, raw + 1
                if event.implicit[0] and event.tag is None:
                    text = event.value
                    hit = plain.get(text)
                    if hit is None:
                        hit = self.scalar(event)
                        if len(plain) >= _SCALAR_CACHE_LIMIT:
                            plain.clear()       # bounded: the values in use come back
                        plain[text] = hit
                    value, tag = hit
                elif event.tag == _RUN_TAG and raw in runs:
                    indent, items = runs.pop(raw)
                    if is_map or cur is None or event.start_mark.column != len(indent) + 2 \
                            or event.value or event.anchor is not None \
                            or len(stack) >= MAX_DEPTH:    # the parser's reading refuses it
                        raise _NotARun
                    cur.extend(items)
                    lines.extend(range(line, line + len(items)))
                    size += len(items) + 2 * sum(map(len, items))   # a mapping, its keys, values
                    if depth < 1:
                        depth = 1
                    continue
                else:
                    value, tag = self.scalar(event)
                if event.anchor is not None:
                    anchors[event.anchor] = (value, 1, 0)
                vsize, vdepth, vline = 1, 0, line
            elif cls is _MAP_END or cls is _SEQ_END:
                value, vsize, vdepth, vline, tag = cur, size, depth + 1, cline, None
                if is_map:
                    value.value_lines = vlines
                    if merged:
                        for k, v in value.items():
                            merged.put(k, v, value.key_lines[k], vlines[k])
                        value = merged
                if anchor is not None:
                    self.open_anchors.discard(anchor)
                    anchors[anchor] = (value, vsize, vdepth)
                (cur, cline, is_map, lines, vlines, key, key_line, size, depth, anchor,
                 merge_line, merged) = stack.pop()
            elif cls is _MAP_START or cls is _SEQ_START:
                raw = event.start_mark.line
                if raw != raw_line:
                    raw_line, line = raw, raw + 1
                new_map = cls is _MAP_START
                if event.tag not in (None, "!", _MAP_TAG if new_map else _SEQ_TAG):
                    raise _Invalid(f"the YAML tag {event.tag} is not supported here", line)
                if is_map and key is _NO_KEY:
                    raise _Invalid("a mapping key must be a plain value, not a mapping or a "
                                   "list", line)
                if len(stack) >= MAX_DEPTH:
                    raise _Invalid(f"values are nested more than {MAX_DEPTH} levels deep",
                                   line)
                if event.anchor is not None:
                    self.open_anchors.add(event.anchor)
                stack.append((cur, cline, is_map, lines, vlines, key, key_line, size, depth,
                              anchor, merge_line, merged))
                if new_map:
                    cur = _new_map(_YMap)
                    cur.line = line
                    cur.key_lines = lines = vlines = {}
                else:
                    cur = _YList(line)
                    lines = cur.lines
                cline, is_map, key, key_line, size, depth = line, new_map, _NO_KEY, 0, 1, 0
                anchor, merge_line, merged = event.anchor, 0, None
                continue
            elif cls is _ALIAS:
                vline = _line_of(event)
                if event.anchor in self.open_anchors:
                    raise _Invalid("a YAML alias here refers to a value that contains it: "
                                   "recursive structures are not allowed", vline)
                found = anchors.get(event.anchor)
                if found is None:
                    raise _Invalid(f"the alias *{event.anchor} names no anchor defined "
                                   "before it", vline)
                value, vsize, vdepth = found
                tag = None
                expanded += vsize
                if expanded > limit:
                    raise _Invalid(f"the YAML aliases up to here expand to more than "
                                   f"{limit:,} values (an alias bomb?); a scenario's aliases "
                                   f"may add at most {limit:,}", vline)
                if len(stack) + vdepth > MAX_DEPTH:
                    raise _Invalid(f"values are nested more than {MAX_DEPTH} levels deep",
                                   vline)
            else:
                if cls is yaml.DocumentStartEvent and root:
                    raise _Invalid("a second YAML document starts here: a scenario file "
                                   "holds exactly one document", _line_of(event))
                continue
            # put the finished value into the container being built (or make it the root)
            if cur is None:
                root.append(value)
                continue
            size += vsize
            if vdepth > depth:
                depth = vdepth
            if not is_map:
                cur.append(value)
                lines.append(vline)
            elif key is _NO_KEY:                    # this value is a key
                if tag == _MERGE_TAG:
                    if merge_line:
                        raise _Invalid(f"duplicate key '<<' (first at line {merge_line})",
                                       vline)
                    key, key_line, merge_line = _MERGE, vline, vline
                    continue
                if value.__class__ is _YMap or value.__class__ is _YList:
                    raise _Invalid("a mapping key must be a plain value, not a mapping or a "
                                   "list", vline)
                try:
                    seen = value in cur
                except TypeError:
                    raise _Invalid(f"the key {value!r} cannot be used as a mapping key",
                                   vline) from None
                if seen:
                    raise _Invalid(f"duplicate key {value!r} (first at line "
                                   f"{lines[value]}): each key may appear once "
                                   "in a mapping", vline)
                key, key_line = value, vline
            elif key is _MERGE:
                key = _NO_KEY
                if merged is None:
                    merged = _YMap(cline)
                self._merge(value, merged, vline)
            else:
                cur[key] = value
                lines[key] = key_line
                if vlines is not lines:
                    vlines[key] = vline
                elif vline != key_line:         # the value moved: the tables part
                    vlines = dict(lines)
                    vlines[key] = vline
                key = _NO_KEY
        if runs:
            raise _NotARun          # a placeholder was read as text: the runs were not items
        return root[0] if root else None

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
_UNSEEN = object()


class _NotARun(Exception):
    """A placeholder of :meth:`_Composer.cut_runs` was not where a run of list items is."""


#: Most key: value pairs of a one-line item; a longer item is read by the parser.
_RUN_PAIRS = 8
_WORD = r"[A-Za-z0-9_][A-Za-z0-9_./-]{0,255}"
#: A one-line item of 1, 2, ... pairs: its indent, then each key and value.
_ONE_LINE = [re.compile(rf"( *)- \{{({_WORD}): ({_WORD})" + rf", ({_WORD}): ({_WORD})" * more
                        + r"\}").fullmatch for more in range(_RUN_PAIRS)]
#: The tag of the item that stands for a run of one-line items in the text the parser reads.
_RUN_TAG = "!simkit-run"
#: Characters YAML also reads as line breaks.
_OTHER_BREAKS = ("\r", "\x85", "\u2028", "\u2029")
_STR_TAG = "tag:yaml.org,2002:str"
_SCALAR, _ALIAS = yaml.ScalarEvent, yaml.AliasEvent
_MAP_START, _MAP_END = yaml.MappingStartEvent, yaml.MappingEndEvent
_SEQ_START, _SEQ_END = yaml.SequenceStartEvent, yaml.SequenceEndEvent
_new_map = dict.__new__


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


def _compose(text: str) -> Any:
    """Parse one YAML document into a tree of :class:`_YMap`, :class:`_YList` and scalars.

    Runs of one-line list items are read without the parser's events
    (:meth:`_Composer.cut_runs`); if the text, so cut, is not what that reading
    assumes, or has any problem at all, the whole text is read by the parser,
    which then gives the problem.
    """
    resolver = _Loader("")
    try:
        composer = _Composer(resolver)
        cut = composer.cut_runs(text)
        if cut is not None:
            loader = _Loader(cut[0])
            try:
                tree = composer.document(loader, cut[1])
            except (_NotARun, _Invalid, yaml.YAMLError):
                tree = None
            finally:
                loader.dispose()
            del cut
            if tree is not None:
                return tree
            composer = _Composer(resolver)
        loader = _Loader(text)
        try:
            tree = composer.document(loader)
        except yaml.YAMLError as err:
            raise _yaml_invalid(err, text) from None
        finally:
            loader.dispose()
        if tree is None:
            raise _Invalid("the file is empty: a scenario is a YAML mapping that starts with "
                           "version: 1", 1)
        return tree
    finally:
        resolver.dispose()


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
