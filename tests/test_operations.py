"""The operation records: every face reads them, and sim.do checks calls as a file is checked."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest

from simkit import Simulation, UsageError
from simkit.analysis.whatif import SPACE_OPS
from simkit.model.permissions import ACTIONS
from simkit.scenario import loads
from simkit.scenario.operations import OPERATIONS, PRODUCTS, markdown_table
from simkit.scenario.tables import FORMAT, json_schema

ROOT = Path(__file__).parent.parent

PLAN = """\
version: 1
name: ops
org:
  management_account: mgmt
  folders:
    - {name: Network, accounts: [netadmin]}
    - {name: Business, accounts: [shop]}
  external_accounts: [partner]
ipams:
  - id: ipam-main
    owner: netadmin
    region: cn-hangzhou
    operating_regions: [cn-hangzhou, cn-shanghai]
    pools:
      - {id: corp, cidrs: [10.0.0.0/8]}
      - id: hz
        source: corp
        region: cn-hangzhou
        masks: [16]
        rules: {min_mask: 16, max_mask: 28, default_mask: 24}
"""


@pytest.fixture
def sim() -> Simulation:
    return Simulation.from_scenario(loads(PLAN))


# -- the record is what every face reads --------------------------------------------------

def test_the_step_table_has_one_record_per_operation_with_its_arguments():
    variants = FORMAT.fields["steps"].type.item.variants["op"].variants
    assert list(variants) == list(OPERATIONS)
    for name, op in OPERATIONS.items():
        record = variants[name]
        expected = {"op", "as", *op.args, "expect", *(() if op.own_region else ("region",))}
        assert set(record.fields) == expected, name
        assert [k for k, f in record.fields.items() if f.required] == [
            "op", "as", *(k for k, f in op.args.items() if f.required)], name
        assert (record.exclusive, record.one_of) == (op.exclusive, op.one_of), name


def test_the_json_schema_has_the_same_operations():
    schema = json_schema()
    ops = {k.removeprefix("op_"): d for k, d in schema["$defs"].items()
           if k.startswith("op_") and k != "op_rules"}
    assert list(ops) == list(OPERATIONS)
    for name, op in OPERATIONS.items():
        assert set(op.args) <= set(ops[name]["properties"]), name
    shipped = json.loads((ROOT / "simkit" / "scenario.schema.json").read_text())
    assert shipped == schema


def test_the_docs_operation_table_is_the_records_table():
    text = (ROOT / "docs" / "scenario-format.md").read_text()
    between = re.search(r"<!-- operations: begin -->\n(.*?)<!-- operations: end -->", text, re.S)
    assert between is not None, "docs/scenario-format.md lost its operation-table markers"
    assert between.group(1) == markdown_table()


def test_what_if_space_requests_and_the_apis_come_from_the_records():
    assert SPACE_OPS == ("create_vpc", "associate_vpc_cidr_block", "create_ipam_pool_allocation")
    assert {op.product for op in OPERATIONS.values()} == set(PRODUCTS)
    assert len({op.api for op in OPERATIONS.values()}) == len(OPERATIONS)
    assert {a for op in OPERATIONS.values() for a in op.all_actions} == set(ACTIONS)


class _Recording:
    """An access policy that records every action the model asks about."""

    def __init__(self, inner):
        self.inner, self.asked = inner, []

    def check(self, actor, pool, action, **kwargs):
        self.asked.append(action)
        return self.inner.check(actor, pool, action, **kwargs)

    def __getattr__(self, name):
        return getattr(self.inner, name)


#: A call of each pool operation that the pool's owner may make, and what it creates first.
CALLS = {
    "create_ipam_pool": dict(ipam="ipam-main", pool="child", source="hz", masks=[20]),
    "update_ipam_pool": dict(pool="hz", name="n", rules={"max_mask": 27}, auto_import=True),
    "delete_ipam_pool": dict(pool="spare"),
    "add_ipam_pool_cidr": dict(pool="spare", mask=20),
    "delete_ipam_pool_cidr": dict(pool="spare", cidr="10.1.0.0/20"),
    "create_vpc": dict(vpc="v9", pool="hz", mask=24),
    "associate_vpc_cidr_block": dict(vpc="v1", pool="hz", mask=24),
    "create_ipam_pool_allocation": dict(pool="hz", allocation="a9", mask=24),
    "delete_ipam_pool_allocation": dict(allocation="a1"),
    "get_ipam_pool_next_available_cidr": dict(pool="hz", mask=24),
    "list_ipam_pools": {},
    "list_ipam_pool_cidrs": dict(pool="hz"),
    "list_ipam_pool_allocations": dict(pool="hz"),
    "list_ipam_resource_cidrs": dict(pool="hz"),
}


@pytest.mark.parametrize("name", [n for n, op in OPERATIONS.items() if op.actions])
def test_the_model_asks_exactly_the_actions_the_record_declares(sim, name):
    assert name in CALLS, f"add a call of {name} to CALLS"
    sim.do("netadmin", "create_vpc", vpc="v1", pool="hz", mask=24)
    sim.do("netadmin", "create_ipam_pool_allocation", pool="hz", allocation="a1", mask=24)
    sim.do("netadmin", "create_ipam_pool", ipam="ipam-main", pool="spare", source="corp",
           region="cn-hangzhou", masks=[20])
    if name == "delete_ipam_pool":
        sim.do("netadmin", "delete_ipam_pool_cidr", pool="spare", cidr="10.1.0.0/20")
    recorder = _Recording(sim.model.access)
    sim.model.access = recorder
    sim.do("netadmin", name, **CALLS[name])
    op = OPERATIONS[name]
    assert set(recorder.asked) <= set(op.all_actions), recorder.asked
    assert op.actions[0] in recorder.asked


# -- sim.do checks a call exactly as the file format checks a step -------------------------

@pytest.mark.parametrize(("call", "message"), [
    pytest.param(dict(vpc="v1", pool="hz", msk=20),
                 r"create_vpc: unknown argument 'msk' in create_vpc \(did you mean 'mask'\?\); "
                 r"allowed arguments: vpc, pool, mask, cidr, ipv6_pool, ipv6_mask, ipv6_cidr, "
                 r"region", id="typo"),
    pytest.param(dict(vpc="v1", pool="hz", mask="24"),
                 r"create_vpc: mask must be an integer mask, not '24'", id="mask-as-text"),
    pytest.param(dict(vpc="v1", pool="hz", colour="red"),
                 r"unknown argument 'colour' in create_vpc", id="unknown-argument"),
    pytest.param(dict(pool="hz", mask=24),
                 r"create_vpc: missing required argument 'vpc' \(new VPC id\)", id="missing"),
    pytest.param(dict(vpc="v1", pool="hz", mask=20, cidr="10.0.0.0/20"),
                 r"create_vpc: give mask or cidr, not both", id="both"),
    pytest.param(dict(vpc=7, pool="hz"), r"create_vpc: vpc must be an id, not 7", id="id-type"),
])
def test_a_wrong_call_is_one_usage_error_and_changes_nothing(sim, call, message):
    before = sim.fingerprint()
    with pytest.raises(UsageError, match=message):
        sim.do("netadmin", "create_vpc", **call)
    assert sim.fingerprint() == before and sim.log == []


def test_accounts_operations_and_durations_are_checked_too(sim):
    before = sim.fingerprint()
    with pytest.raises(UsageError, match=r"create_vpc: actor: account 'stranger' is not "
                                         r"declared in org \(declared: "):
        sim.do("stranger", "create_vpc", vpc="v1", pool="hz")
    with pytest.raises(UsageError, match=r"principals item 1: account 'nobody' is not declared"):
        sim.do("netadmin", "create_resource_share", share="rs", resources=["hz"],
               principals=["nobody"])
    with pytest.raises(UsageError, match=r"folder 'Nope' does not exist in org \(folders: "
                                         r"Business, Network\)"):
        sim.do("mgmt", "move_account", account="shop", folder="Nope")
    with pytest.raises(UsageError, match=r"unknown operation 'create_vcp' \(did you mean "
                                         r"'create_vpc'\?\)"):
        sim.do("netadmin", "create_vcp", vpc="v1", pool="hz")
    with pytest.raises(UsageError, match=r"'8 days' is not a duration"):
        sim.advance("8 days")
    with pytest.raises(UsageError, match=r"advance takes a timedelta or a duration"):
        sim.advance(8)
    assert sim.fingerprint() == before
    sim.advance("8d")
    assert sim.now - sim.start == timedelta(days=8)
    sim.at("2026-02-01")
    assert sim.now.isoformat() == "2026-02-01T00:00:00+00:00"


def test_a_valid_call_keeps_working_and_none_means_not_given(sim):
    result = sim.do("netadmin", "create_vpc", vpc="v1", pool="hz", mask=None, region=None)
    assert (result.resource, str(result.cidr)) == ("v1", "10.0.0.0/24")    # the default mask
