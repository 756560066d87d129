"""The line-aware tree and the load around it: lines agree with PyYAML's own nodes,
memory and the garbage collector are left as found, remembered checks stay exact."""

from __future__ import annotations

import contextlib
import gc
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from simkit.scenario import loads
from simkit.scenario.yamltree import _compose, _YList, _YMap
from simkit.values.errors import ScenarioError

HEAD = "version: 1\nname: t\norg: {management_account: m, accounts: [net]}\n"

_scalars = st.one_of(st.integers(-5, 300), st.booleans(), st.none(),
                     st.text("abz019 ./-", min_size=1, max_size=6))
_trees = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.text("abcxyz", min_size=1, max_size=3), inner, max_size=4)),
    max_leaves=25)


def _same_lines(value: Any, node: yaml.Node) -> None:
    """``value`` (from :func:`_compose`) sits where PyYAML's composer puts ``node``."""
    if isinstance(node, yaml.MappingNode):
        assert isinstance(value, _YMap) and value.line == node.start_mark.line + 1
        assert len(value) == len(node.value)
        for (key_node, value_node), key in zip(node.value, value, strict=True):
            assert value.key_lines[key] == key_node.start_mark.line + 1
            assert value.value_lines[key] == value_node.start_mark.line + 1
            _same_lines(value[key], value_node)
    elif isinstance(node, yaml.SequenceNode):
        assert isinstance(value, _YList) and value.line == node.start_mark.line + 1
        assert value.lines == [item.start_mark.line + 1 for item in node.value]
        for item, item_node in zip(value, node.value, strict=True):
            _same_lines(item, item_node)


@settings(max_examples=150, deadline=None)
@given(tree=_trees.filter(lambda t: isinstance(t, dict | list)),
       flow=st.sampled_from([None, True, False]), width=st.sampled_from([12, 80]))
def test_every_line_is_the_one_pyyaml_gives(tree: Any, flow: bool | None, width: int) -> None:
    text = yaml.safe_dump(tree, default_flow_style=flow, width=width)
    composed = _compose(text)
    assert composed == tree
    _same_lines(composed, yaml.compose(text, Loader=yaml.SafeLoader))


def test_a_flow_mapping_shares_one_line_table_until_a_value_moves() -> None:
    tree = _compose("a: {x: 1, y: 2}\nb:\n  x: 1\n  y:\n    2\n")
    assert tree["a"].key_lines == tree["a"].value_lines == {"x": 1, "y": 1}
    assert tree["b"].key_lines == {"x": 3, "y": 4}
    assert tree["b"].value_lines == {"x": 3, "y": 5}
    flow = tree["a"]
    flow.put("z", 3, 1, 7)                # a value on another line: the tables part
    assert flow.key_lines == {"x": 1, "y": 1, "z": 1}
    assert flow.value_lines == {"x": 1, "y": 1, "z": 7}


def test_repeated_plain_values_are_one_object() -> None:
    tree = _compose("- {pool: corp, as: net}\n- {pool: corp, as: net}\n")
    assert tree[0]["pool"] is tree[1]["pool"] and tree[0]["as"] is tree[1]["as"]


def test_a_step_list_with_every_default_given_keeps_its_steps() -> None:
    # seed and a YAML timestamp start leave nothing to convert at the top level
    text = HEAD.replace("name: t\n", "name: t\nseed: 3\nstart: 2026-01-01T00:00:00Z\n") + \
        "steps:\n  - {op: create_vpc, as: net, vpc: v, cidr: 10.0.0.0/16}\n" \
        "  - {op: delete_vpc, as: net, vpc: v}\n"
    steps = loads(text).steps
    assert [(s.op, s.line) for s in steps] == [("create_vpc", 7), ("delete_vpc", 8)]


@pytest.mark.parametrize("enabled", [True, False])
@pytest.mark.parametrize("text", [HEAD + "steps: [{advance: 1d}]\n",
                                  HEAD + "steps: [{advance: 1 day}]\n", "a: [\n"])
def test_the_collector_is_left_as_found(enabled: bool, text: str) -> None:
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        with contextlib.suppress(ScenarioError):
            loads(text)
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()


def test_a_value_one_field_accepts_is_still_judged_by_another() -> None:
    text = HEAD + ("steps:\n"
                   "  - {op: create_ipam_pool_allocation, as: net, pool: corp, allocation: ghost,"
                   " mask: 24}\n"
                   "  - {op: create_ipam_pool_allocation, as: ghost, pool: corp, mask: 24}\n")
    with pytest.raises(ScenarioError, match=r"<string>:6: .*account 'ghost' is not declared"):
        loads(text)


def test_an_account_accepted_while_org_is_read_is_judged_again_after() -> None:
    # 'ops' is a string the org reading accepts; as an actor it must be declared
    text = HEAD.replace("accounts: [net]", "accounts: [net], external_accounts: []") + \
        "steps:\n  - {op: delete_vpc, as: m, vpc: ops}\n  - {op: delete_vpc, as: ops, vpc: v}\n"
    with pytest.raises(ScenarioError, match=r"<string>:6: .*account 'ops' is not declared"):
        loads(text)


def test_what_a_context_remembers_goes_when_its_organisation_changes() -> None:
    from simkit.scenario.scalars import AccountRef, _Context

    ctx = _Context()
    ctx.passed[(AccountRef(), str, "ghost")] = "ghost"     # accepted while org was None
    ctx.org = object()
    assert ctx.passed == {}


def test_full_caches_start_again_without_changing_the_result(monkeypatch) -> None:
    from simkit.scenario import records, yamltree

    text = HEAD + "steps:\n" + "".join(
        f"  - {{op: create_ipam_pool_allocation, as: net, pool: p{i % 5}, allocation: a{i},"
        f" mask: {24 + i % 3}}}\n  - advance: {i + 1}m\n" for i in range(40))
    expected = loads(text).steps
    monkeypatch.setattr(yamltree, "_SCALAR_CACHE_LIMIT", 3)
    monkeypatch.setattr(records, "_REMEMBER_LIMIT", 3)
    assert loads(text).steps == expected
    with pytest.raises(ScenarioError, match=r"<string>:85: .*account 'ghost' is not declared"):
        loads(text + "  - {op: delete_vpc, as: ghost, vpc: v}\n")


def test_a_remembered_answer_keeps_the_value_checked_now() -> None:
    # equal values read at two places may be two objects (a scalar cache that started
    # again); a check answered from memory must not take the mapping for converted
    from simkit.scenario.records import Field, Record
    from simkit.scenario.scalars import Text, _At, _Context

    record, ctx = Record("r", {"a": Field(Text())}), _Context()
    first, second = _YMap(1), _YMap(2)
    first.put("a", "".join(["co", "rp"]), 1, 1)
    second.put("a", "".join(["co", "rp"]), 2, 2)
    assert first["a"] == second["a"] and first["a"] is not second["a"]
    assert record.check(first, _At("", "", 1, ctx)) is first
    assert record.check(second, _At("", "", 2, ctx)) is second
