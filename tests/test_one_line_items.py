"""Runs of one-line list items are read without the parser's events, to the same tree.

Machine-written steps are one flow mapping per line (``  - {op: x, as: y}``).
:func:`~simkit.scenario.yamltree._compose` reads such runs itself and hands the
rest of the text to the parser; every test here compares it with the parser
reading the whole text (values, types, every line, and every error).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from simkit.scenario import loads, yamltree
from simkit.scenario.yamltree import _compose, _Invalid, _YList, _YMap
from simkit.values.errors import ScenarioError


def _by_the_parser(text: str) -> Any:
    """The tree as the parser's events alone give it (no run cut out)."""
    loader = yamltree._Loader(text)
    try:
        return yamltree._Composer(loader).document(loader)
    except yaml.YAMLError as err:
        raise yamltree._yaml_invalid(err, text) from None
    finally:
        loader.dispose()


def _shape(value: Any) -> Any:
    """Values with their types and every line a :class:`_YMap` or :class:`_YList` keeps."""
    if isinstance(value, _YMap):
        return ("map", value.line, [(_shape(k), value.key_lines[k], value.value_lines[k],
                                     _shape(v)) for k, v in value.items()])
    if isinstance(value, _YList):
        return ("list", value.line, value.lines, [_shape(v) for v in value])
    return (type(value).__name__, value)


def _outcome(read: Any, text: str) -> Any:
    try:
        return _shape(read(text))
    except _Invalid as err:
        return ("error", err.reason, err.line)


def _same(text: str) -> Any:
    ours, theirs = _outcome(_compose, text), _outcome(_by_the_parser, text)
    if theirs == ("NoneType", None):            # no document: load says the file is empty
        assert ours[0] == "error" and "the file is empty" in ours[1]
    else:
        assert ours == theirs
    return ours


def test_a_run_is_cut_from_the_text_and_read_to_the_same_tree() -> None:
    text = ("steps:\n  - {op: create_vpc, as: net, vpc: v1, mask: 24}\n"
            "  - {op: delete_vpc, as: net, vpc: v1}\n  - advance: 1d\nseed: 3\n")
    composer = yamltree._Composer(yamltree._Loader(""))
    cut, runs = composer.cut_runs(text)
    assert cut.splitlines() == ["steps:", f"  - {yamltree._RUN_TAG} ''", "", "  - advance: 1d",
                                "seed: 3"]
    assert list(runs) == [1] and len(runs[1][1]) == 2
    _same(text)
    tree = _compose(text)
    assert tree["steps"].lines == [2, 3, 4] and tree["steps"][1].line == 3
    assert tree["steps"][0] == {"op": "create_vpc", "as": "net", "vpc": "v1", "mask": 24}


@pytest.mark.parametrize("word", ["24", "012", "0x1F", "1_000", "3.5", "yes", "No", "on",
                                  "null", "true", "2026-01-01", "2026-13-45", "10.0.0.0/8",
                                  "a-b.c/d", "_x", "0", "1e3", "9" * 40])
def test_words_read_as_the_parser_reads_them(word: str) -> None:
    _same(f"- {{k: {word}, {word}: v}}\n- {{k: {word}}}\n")


@pytest.mark.parametrize("text", [
    # inside a literal block, a folded block and a quoted value: text, not items
    "a: |\n  - {op: x, as: y}\n  - {op: z, as: y}\nb: 1\n",
    "a: >\n  - {op: x, as: y}\nb: 1\n",
    'a: "first\n  - {op: x, as: y}\n  last"\n',
    "a: plain\n  - {op: x, as: y}\n",
    # a repeated key, a key repeated once read (012 and 10 are both 10), too many pairs
    "- {a: 1, a: 2}\n",
    "- {012: x, 10: y}\n",
    "- {" + ", ".join(f"k{i}: {i}" for i in range(9)) + "}\n",
    # items at two indents, a run broken by a comment, nested lists, compact lists
    "a:\n- {x: 1}\n- {x: 2}\nb:\n  - {x: 3}\n  # note\n  - {x: 4}\n  -\n    - {x: 5}\n",
    "- - {x: 1}\n  - {x: 2}\n- {x: 3}\n",
    # anchors and aliases around runs; a run as a mapping's value (not a list)
    "a: &s\n  - {x: 1}\n  - {x: 2}\nb: *s\n",
    "a: [1]\nb:\n  {x: 1}\n",
    # a tag directive, a user's own placeholder tag, a flow list around items
    "%TAG ! tag:example.com,2000:\n---\n- {x: 1}\n",
    f"- {yamltree._RUN_TAG}\n- {{x: 1}}\n",
    "a: [\n  - {x: 1}\n]\n",
    # a syntax error after a run, a bad value in a run, tabs, other line breaks
    "- {x: 1}\n- {x: 2}\nb: [\n",
    "- {x: 1}\n- {x: !!int nope}\n",
    "- {x: 1}\n\t- {x: 2}\n",
    "- {x: 1}\r\n- {x: 2}\r\n",
    "- {x: 1}\u2028- {x: 2}\n",
    "a: 1\n- {x: 1}\n",
    "- {x: 1}\n- {x: 1}\n   text\n", "- {x: 1}\n   a: b\n", "- {x: 1}\n   - 1\n",
    "- {x: 1}\n---\n- {x: 2}\n",
])
def test_what_is_not_a_run_is_read_by_the_parser(text: str) -> None:
    _same(text)


_words = st.one_of(st.sampled_from(["24", "yes", "null", "012", "2026-01-01", "a.b", "x-1"]),
                   st.text("abz09_", min_size=1, max_size=4))
_items = st.lists(st.tuples(_words, _words), min_size=1, max_size=9).map(
    lambda pairs: "- {" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}")
_lines = st.one_of(_items, _items, _items, st.sampled_from([
    "- advance: 1d", "  - {x: 1}", "# a note", "", "key: |", "  - {x: 2}", "other:",
    "- &a {x: 1}", "- *a", "- {x: 'q'}", "- {x: {y: 1}}", "-  {x: 1}", "- {x: 1} ", '- "t',
    "k: >-", "   text", "- [1, 2]"]))


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(_lines, min_size=1, max_size=12),
       head=st.sampled_from(["", "steps:\n", "a: 1\nsteps:\n", "x:\n  y:\n"]))
def test_any_mix_of_lines_reads_as_the_parser_reads_it(lines: list[str], head: str) -> None:
    _same(head + "\n".join(lines) + "\n")


@pytest.mark.parametrize("levels", [yamltree.MAX_DEPTH - 2, yamltree.MAX_DEPTH - 1])
def test_items_nested_to_the_depth_limit_are_judged_as_the_parser_judges_them(
        levels: int) -> None:
    text = "".join(f"{'  ' * i}-\n" for i in range(levels)) + "  " * levels + "- {x: 1}\n"
    outcome = _same(text)
    assert (outcome[0] == "error") == (levels == yamltree.MAX_DEPTH - 1)   # lists + the item


@pytest.mark.parametrize("limit", [31, 32])
def test_a_run_counts_its_values_as_the_parser_does_when_aliases_expand(
        monkeypatch: pytest.MonkeyPatch, limit: int) -> None:
    # three items of two pairs: 16 values in the list; two aliases to it add 32
    monkeypatch.setattr(yamltree, "MAX_NODES", limit)
    text = "a: &s\n  - {x: 1, y: 2}\n  - {x: 3, y: 4}\n  - {x: 5, y: 6}\nb: *s\nc: *s\n"
    outcome = _same(text)
    assert (outcome[0] == "error") == (limit < 32)


def test_a_scenario_of_one_line_steps_keeps_its_lines_and_errors() -> None:
    head = "version: 1\nname: t\norg: {management_account: m, accounts: [net]}\nsteps:\n"
    steps = "".join(f"  - {{op: create_ipam_pool_allocation, as: net, pool: corp, "
                    f"allocation: a{i}, mask: 24}}\n" for i in range(5))
    loaded = loads(head + steps)
    assert [s.line for s in loaded.steps] == [5, 6, 7, 8, 9]
    with pytest.raises(ScenarioError, match=r"<string>:10: step 6 .*account 'ghost'"):
        loads(head + steps + "  - {op: delete_vpc, as: ghost, vpc: v}\n")
    with pytest.raises(ScenarioError, match=r"<string>:6: duplicate key 'as'"):
        loads(head + "  - {op: delete_vpc, as: net, vpc: v}\n"
              "  - {op: delete_vpc, as: net, as: m}\n")


_ROOT = Path(__file__).parent.parent
_FILES = sorted([*(_ROOT / "scenarios").glob("*.yaml"), *(_ROOT / "tests" / "data").rglob("*.yaml"),
                 *(_ROOT / "benchmarks").rglob("*.yaml")])


@pytest.mark.parametrize("path", _FILES, ids=lambda p: str(p.relative_to(_ROOT)))
def test_every_shipped_file_reads_as_the_parser_reads_it(path: Path) -> None:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        pytest.skip("not UTF-8 text: refused before it is read")
    _same(text)
