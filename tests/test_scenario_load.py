"""Loading scenario files: valid files give frozen specs, broken ones a located ScenarioError."""

from __future__ import annotations

import contextlib
import json
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simkit.scenario import (
    DEFAULT_START,
    MAX_BYTES,
    Expect,
    PoolRules,
    Scenario,
    json_schema,
    load,
    loads,
    parse_duration,
    parse_rate,
    parse_time,
    write_schema,
)
from simkit.values.addresses import Cidr
from simkit.values.errors import ScenarioError

DATA = Path(__file__).parent / "data"
MALFORMED = DATA / "malformed"
EXAMPLE = DATA / "valid" / "example.yaml"
SCHEMA_FILE = Path(__file__).parent.parent / "simkit" / "scenario.schema.json"

#: file -> (line of the problem, regex the reason must match)
EXPECTED: dict[str, tuple[int, str]] = {
    "yaml_syntax_error.yaml": (4, r"^YAML syntax error"),
    "tab_indentation.yaml": (5, r"YAML syntax error.*tab"),
    "duplicate_key.yaml": (12, r"^duplicate key 'cidrs' \(first at line 11\)"),
    "version_missing.yaml": (2, r"^missing required key 'version'"),
    "version_2.yaml": (2, r"^version must be 1, not 2"),
    "name_missing.yaml": (1, r"^missing required key 'name'"),
    "unknown_top_level_key.yaml": (5, r"^unknown key 'accounts' at the top level; "
                                      r"allowed keys: version, name, "),
    "unknown_op.yaml": (5, r"^step 1: unknown op 'create_vpcs' \(did you mean 'create_vpc'\?\)"),
    "op_missing_as.yaml": (6, r"^step 2 \(list_ipam_pools\): missing required key 'as'"),
    "undeclared_as.yaml": (12, r"^step 2 \(create_vpc\): as: account 'retail-qa' is not "
                               r"declared in org"),
    "undeclared_principal.yaml": (15, r"principals item 2: account 'parnter' is not declared"),
    "undeclared_owner.yaml": (6, r"^ipam 'ipam-main': owner: account 'net-admin' is not "
                                 r"declared in org"),
    "unknown_folder_principal.yaml": (12, r"folder 'Busines' does not exist in org "
                                          r"\(folders: Business\)"),
    "ambiguous_folder.yaml": (16, r"folder name 'Retail' is ambiguous: it names "
                                  r"China/Retail, Europe/Retail"),
    "move_account_unknown_folder.yaml": (10, r"^step 1 \(move_account\): folder: "
                                             r"folder 'Marketing' does not exist"),
    "remove_undeclared_account.yaml": (7, r"account: account 'retail-qa' is not declared"),
    "step_two_kinds.yaml": (7, r"^step 1 has both op and advance"),
    "step_no_kind.yaml": (5, r"^step 1 has none of op, advance, at, check"),
    "advance_3_days.yaml": (6, r"^step 2: advance must be a duration such as 30m, 12h or 8d.*"
                               r"not '3 days'"),
    "at_backwards.yaml": (6, r"^step 2: at 2026-01-05T00:00:00Z moves the clock back from "
                             r"2026-01-09T00:00:00Z \(after step 1\)"),
    "bad_start_time.yaml": (3, r"^start: 'next monday' is not an ISO 8601 time"),
    "start_february_30.yaml": (3, r"^start: '2026-02-30T00:00:00Z' is not a valid time"),
    "check_unknown_figure.yaml": (8, r"^unknown figure 'used_ips' in check of step 1\b.*; "
                                     r"allowed figures: pool, utilisation"),
    "check_without_figure.yaml": (6, r"^check of step 2: give at least one of utilisation, "
                                     r"provisioned_ips"),
    "expect_two_keys.yaml": (10, r"^expect of step 1 \(create_vpc\): give error or cidr, "
                                 r"not both"),
    "expect_unknown_error_code.yaml": (8, r"'Forbiden' is not an error code simkit knows "
                                          r"\(did you mean 'Forbidden'\?\)"),
    "expect_wrong_kind.yaml": (10, r"^unknown key 'pools' in expect of step 1 \(create_vpc\); "
                                   r"allowed keys: error, cidr"),
    "op_unknown_argument.yaml": (9, r"^unknown key 'size' in step 1 \(create_vpc\)"),
    "op_missing_argument.yaml": (5, r"^step 1 \(create_vpc\): missing required key 'vpc'"),
    "op_mask_and_cidr.yaml": (9, r"^step 1 \(create_ipam_pool_allocation\): give mask or cidr, "
                                 r"not both"),
    "op_wrong_type.yaml": (9, r"^step 1 \(create_vpc\): mask must be an integer mask, "
                              r"not '/20'"),
    "ipam_cidr_host_bits.yaml": (12, r"^pool 'corp': cidrs item 2: '10.1.0.1/24' is not a valid "
                                     r"CIDR: host bits are set \(did you mean 10.1.0.0/24\?\)"),
    "pool_mask_33.yaml": (13, r"^pool 'hz': masks item 1: the mask 33 is outside 0..32"),
    "pool_unknown_source.yaml": (12, r"^pool 'hz': source 'cor' is not a pool declared before "
                                     r"it in ipam 'ipam-main'"),
    "scope_undeclared.yaml": (11, r"^pool 'lab-top': scope 'labs' is not a custom scope"),
    "rules_min_above_max.yaml": (13, r"^rules of pool 'corp': min_mask 28 is larger than "
                                     r"max_mask 16"),
    "unknown_strategy.yaml": (11, r"^pool 'corp': strategy must be one of first, best, last, "
                                  r"random, not 'fastest'"),
    "unknown_pool_key.yaml": (11, r"^unknown key 'pool_id' in pool 2; allowed keys: id, source"),
    "duplicate_pool_id.yaml": (14, r"^pool id 'corp' is declared twice \(first at line 9\)"),
    "duplicate_account.yaml": (8, r"^account 'netadmin' is declared twice in org "
                                  r"\(first at line 5\)"),
    "duplicate_folder.yaml": (8, r"^folder 'Business' is declared twice \(first at line 6\)"),
    "numeric_account_id.yaml": (7, r"^org: accounts item 2 must be an account id written as a "
                                   r"string: quote it \('1000000000000003'\)"),
    "vpc_bad_cidr.yaml": (6, r"^vpc 'vpc-old': cidr: '10.2.0.0' is not a valid CIDR: "
                             r"it has no prefix length"),
    "reserved_bad_cidr.yaml": (6, r"^reserved range 'idc-beijing': cidr: '10.8.0.0/33' is "
                                  r"not a valid CIDR: the prefix length 33 is over 32 for IPv4"),
    "demand_weights.yaml": (12, r"^demand 1: masks weights must sum to 1, not 0.9$"),
    "demand_every_and_rate.yaml": (15, r"^demand 1: give exactly one of every, rate, "
                                       r"not every and rate"),
    "demand_count_many.yaml": (13, r"^demand 1: count must be an integer >= 1, not 'many'"),
    "demand_bad_rate.yaml": (14, r"^demand 1: rate must be a rate such as 3/d"),
    "demand_unknown_pool.yaml": (6, r"^demand 1: pool 'hz' is neither declared in ipams nor "
                                    r"created by a step"),
    "quotas_unknown_key.yaml": (4, r"^unknown quota 'rd_member' in quotas "
                                   r"\(did you mean 'rd_members'\?\)"),
    "quota_negative.yaml": (3, r"^quotas: rd_members must be an integer >= 0, not -5"),
    "alias_bomb.yaml": (12, r"YAML aliases up to here expand to more than [0-9,]+ values"),
    "recursive_alias.yaml": (7, r"alias here refers to a value that contains it"),
    "multiple_documents.yaml": (4, r"^a second YAML document starts here"),
    "binary_garbage.yaml": (1, r"^the file is not UTF-8 text"),
    "empty.yaml": (1, r"^the file is empty"),
    "top_level_list.yaml": (2, r"^the top level must be a mapping .*not a list"),
}


def example_text() -> str:
    return EXAMPLE.read_text(encoding="utf-8")


def test_every_malformed_file_has_an_expectation() -> None:
    files = sorted(p.name for p in MALFORMED.glob("*.yaml"))
    assert files == sorted(EXPECTED)
    assert len(files) >= 30


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_malformed_file_is_refused_at_its_line(name: str) -> None:
    line, pattern = EXPECTED[name]
    path = str(MALFORMED / name)
    with pytest.raises(ScenarioError) as info:
        load(path)
    err = info.value
    assert str(err).startswith(f"{path}:{line}: "), str(err)
    assert (err.file, err.line) == (path, line)
    assert re.search(pattern, err.reason), err.reason


def test_the_scenario_md_example_loads_field_by_field() -> None:
    s = load(EXAMPLE)
    assert (s.file, s.name, s.seed) == (str(EXAMPLE), "share-a-regional-pool", 7)
    assert s.description.startswith("The network team shares its Hangzhou pool")
    assert s.start == datetime(2026, 1, 1, tzinfo=UTC) and s.start.tzinfo is not None
    assert s.quotas == {"rd_members": 200}

    org = s.org        # the model's Organisation, built as the file was read
    assert (org.management_account, org.externals()) == ("mgmt", ["partner"])
    assert org.folders() == ["Root", "Business", "Business/Retail", "Network"]
    assert [(a, org.folder_of(a)) for a in org.members()] == [
        ("mgmt", "Root"), ("netadmin", "Network"), ("retail-dev", "Business/Retail"),
        ("retail-prod", "Business/Retail"), ("sandbox", "Root")]
    assert [org.knows(a) for a in ("mgmt", "retail-dev", "partner", "nobody")] == [
        True, True, True, False]
    assert str(org.parse_principal("folder:Retail")) == "folder:Business/Retail"
    assert str(org.parse_principal("account:partner")) == "account:partner"
    assert str(org.parse_principal("rd")) == "rd"

    (ipam,) = s.ipams
    assert (ipam.id, ipam.line, ipam.owner, ipam.region) == (
        "ipam-main", 21, "netadmin", "cn-hangzhou")
    assert ipam.operating_regions == ("cn-hangzhou", "cn-shanghai")
    assert ipam.scopes == ("lab",)
    corp, hz, sh, lab = ipam.pools
    assert (corp.id, corp.line, corp.source, corp.scope, corp.cidrs) == (
        "corp", 27, None, None, (Cidr.parse("10.0.0.0/8"),))
    assert (hz.source, hz.region, hz.cidrs, hz.rules, hz.strategy, hz.auto_import) == (
        "corp", "cn-hangzhou", (Cidr.parse("10.0.0.0/12"),), PoolRules(16, 28, 24), "first",
        False)
    assert (sh.line, sh.masks, sh.mask_lines, sh.cidrs, sh.region) == (
        34, (12,), (37,), (), "cn-shanghai")
    assert (lab.scope, lab.cidrs, lab.ipam) == ("lab", (Cidr.parse("10.0.0.0/16"),), "ipam-main")
    assert list(s.pools) == ["corp", "hz", "sh", "lab-top"]

    (vpc,) = s.vpcs
    assert (vpc.id, vpc.line, vpc.owner, vpc.region, str(vpc.cidr)) == (
        "vpc-legacy", 43, "netadmin", "cn-hangzhou", "10.1.0.0/16")
    (reserved,) = s.reserved
    assert (reserved.name, reserved.line, str(reserved.cidr)) == ("idc-beijing", 45,
                                                                   "10.8.0.0/14")

    assert [(st.index, st.line, st.kind, st.op, st.actor) for st in s.steps] == [
        (1, 48, "op", "create_resource_share", "netadmin"),
        (2, 54, "op", "accept_resource_share_invitation", "partner"),
        (3, 57, "op", "create_vpc", "retail-prod"),
        (4, 63, "op", "delete_ipam_pool", "retail-prod"),
        (5, 67, "check", None, None),
        (6, 68, "advance", None, None),
        (7, 69, "op", "delete_resource_share", "netadmin"),
        (8, 72, "op", "create_vpc", "partner"),
    ]
    share, accept, shop, delete, check, advance, unshare, late = s.steps
    assert share.args == {"share": "rs-business", "resources": ["hz"],
                          "principals": ["folder:Business", "partner"], "allow_external": True}
    assert share.expect == Expect("success") and share.region is None
    assert shop.args == {"vpc": "vpc-shop", "pool": "hz", "mask": 20}
    assert shop.expect == Expect("cidr", "10.0.0.0/20")
    assert delete.expect == Expect("error", "Forbidden")
    assert late.expect == Expect("error", "ResourceNotFound.IpamPool")
    assert (check.check, check.expect) == ({"pool": "hz", "allocated_ips": 4096}, None)
    assert advance.duration == timedelta(days=8)
    assert shop.label == "step 3 (create_vpc)"

    (demand,) = s.demand
    assert (demand.index, demand.line, demand.actor, demand.pool, demand.count) == (
        1, 80, "netadmin", "hz", 50)
    assert demand.masks == ((24, 0.8), (22, 0.2))
    assert (demand.every, demand.rate, demand.lifetime) == (
        timedelta(days=1), None, timedelta(days=90))
    assert demand.begin == datetime(2026, 2, 1, tzinfo=UTC)
    assert s.steps[5].duration == timedelta(days=8)


MINIMAL = """\
version: 1
name: minimal
org: {management_account: mgmt, accounts: [netadmin]}
"""


def with_steps(steps: str) -> str:
    return MINIMAL + "steps:\n" + steps


def test_defaults_of_a_minimal_scenario() -> None:
    s = loads(MINIMAL)
    assert (s.file, s.seed, s.start, s.description, s.quotas) == (
        "<string>", 0, DEFAULT_START, None, {})
    assert (s.ipams, s.vpcs, s.reserved, s.steps, s.demand) == ((), (), (), (), ())


def test_values_the_cloud_judges_load_as_given() -> None:
    s = loads(with_steps("""\
  - {op: create_vpc, as: netadmin, vpc: v1, pool: nowhere, cidr: 10.0.0.1/24}
  - {op: create_vpc, as: netadmin, vpc: v2, pool: nowhere, mask: 33}
  - {op: create_ipam_pool, as: netadmin, ipam: ghost, pool: p, masks: [40],
     rules: {min_mask: 40}, region: cn-beijing}
  - {op: delete_ipam_pool_allocation, as: netadmin, allocation: 10.0.0.0/24,
     expect: {error: ResourceNotFound.IpamPoolAllocation}}
"""))
    first, second, pool, release = s.steps
    assert first.args == {"vpc": "v1", "pool": "nowhere", "cidr": "10.0.0.1/24"}
    assert second.args["mask"] == 33
    assert pool.args["region"] == "cn-beijing" and pool.region is None
    assert pool.args["rules"] == {"min_mask": 40}
    assert release.expect == Expect("error", "ResourceNotFound.IpamPoolAllocation")


def test_clock_steps_and_expectations() -> None:
    s = loads(with_steps("""\
  - at: 2026-01-01T00:00:00Z
  - advance: 90m
  - at: 2026-01-01T09:30:00+08:00
  - {op: list_ipam_pools, as: netadmin, expect: {pools: [hz, sh]}}
  - {op: list_ipam_pool_allocations, as: netadmin, pool: hz, expect: any}
  - check: {account: netadmin, visible_pools: []}
"""))
    at0, advance, at1, pools, allocs, check = s.steps
    assert at0.time == DEFAULT_START
    assert advance.duration == timedelta(minutes=90)
    assert at1.time == datetime(2026, 1, 1, 1, 30, tzinfo=UTC)
    assert pools.expect == Expect("pools", ("hz", "sh"))
    assert allocs.expect == Expect("any")
    assert check.check == {"account": "netadmin", "visible_pools": []}


def test_demand_by_single_mask_and_rate() -> None:
    s = loads(MINIMAL + """\
steps:
  - {op: create_ipam_pool, as: netadmin, ipam: ipam-main, pool: made-later}
demand:
  - {as: netadmin, pool: made-later, mask: 24, count: 3, rate: 3/d, region: cn-hangzhou}
""")
    (demand,) = s.demand
    assert demand.masks == ((24, 1.0),)
    assert demand.rate == pytest.approx(3 / 86400)
    assert (demand.every, demand.begin, demand.region) == (None, DEFAULT_START, "cn-hangzhou")


def test_yaml_merge_keys_are_followed() -> None:
    s = loads(with_steps("""\
  - &vpc {op: create_vpc, as: netadmin, vpc: v1, pool: hz, mask: 24}
  - <<: *vpc
    vpc: v2
"""))
    assert [st.args for st in s.steps] == [{"vpc": "v1", "pool": "hz", "mask": 24},
                                           {"vpc": "v2", "pool": "hz", "mask": 24}]


def test_alias_bomb_is_refused_fast() -> None:
    began = time.perf_counter()
    with pytest.raises(ScenarioError, match="alias"):
        load(MALFORMED / "alias_bomb.yaml")
    assert time.perf_counter() - began < 1.0


def test_missing_file_and_oversized_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ScenarioError, match=r"nope\.yaml: cannot read the file"):
        load(missing)
    big = tmp_path / "big.yaml"
    big.write_bytes(MINIMAL.encode() + b"#" * MAX_BYTES)
    with pytest.raises(ScenarioError, match=rf"larger than {MAX_BYTES // 2**20} MiB"):
        load(big)


def test_helpers_parse_durations_rates_and_times() -> None:
    assert [parse_duration(t) for t in ("45s", "30m", "12h", "8d", "0.5h")] == [
        timedelta(seconds=45), timedelta(minutes=30), timedelta(hours=12), timedelta(days=8),
        timedelta(minutes=30)]
    assert parse_rate("0.5/h") == pytest.approx(0.5 / 3600)
    assert parse_time("2026-03-01T12:00:00+02:00") == datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert parse_time("2026-03-01T12:00:00") == datetime(2026, 3, 1, 12, tzinfo=UTC)
    for bad in ("3 days", "2w", "", "d", "-1d"):
        with pytest.raises(ValueError):
            parse_duration(bad)
    with pytest.raises(ValueError):
        parse_time("March 1st")


def test_shipped_schema_is_the_generated_one(tmp_path: Path) -> None:
    assert json.loads(SCHEMA_FILE.read_text(encoding="utf-8")) == json_schema()
    out = tmp_path / "schema.json"
    write_schema(out)
    assert out.read_text(encoding="utf-8") == SCHEMA_FILE.read_text(encoding="utf-8")


def as_json(data: object) -> object:
    """The document as a YAML editor hands it to a JSON Schema validator."""
    return json.loads(json.dumps(data, default=lambda value: value.isoformat()))


def test_schema_accepts_the_example_and_refuses_structural_errors() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(json_schema())
    jsonschema.Draft202012Validator.check_schema(json_schema())
    doc = as_json(yaml.safe_load(example_text()))
    assert list(validator.iter_errors(doc)) == []
    for name in ("version_2.yaml", "step_two_kinds.yaml", "unknown_op.yaml",
                 "op_mask_and_cidr.yaml", "expect_two_keys.yaml", "demand_every_and_rate.yaml",
                 "check_unknown_figure.yaml", "quotas_unknown_key.yaml", "unknown_pool_key.yaml",
                 "advance_3_days.yaml", "demand_count_many.yaml", "expect_wrong_kind.yaml"):
        # (a pool's mask over 32 is the loader's to refuse: the schema reads up to 128,
        # as an IPv6 pool's masks go)
        bad = as_json(yaml.safe_load((MALFORMED / name).read_text(encoding="utf-8")))
        assert not validator.is_valid(bad), name


def test_loaded_scenario_is_frozen() -> None:
    s = load(EXAMPLE)
    assert isinstance(s, Scenario)
    with pytest.raises(AttributeError):
        s.name = "other"  # type: ignore[misc]


#: The prefix of the catch-all message: a located, stated problem never uses it.
INTERNAL = "cannot read this scenario ("


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_no_other_exception_escapes(data: st.DataObject) -> None:
    text = example_text()
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, min(len(text), start + 40)))
    junk = data.draw(st.text(alphabet=st.sampled_from(list("ab1: -[]{}&*!?'\"\n\t#%|>,.")),
                             max_size=12))
    try:
        loads(text[:start] + junk + text[end:])
    except ScenarioError as err:
        assert str(err).startswith("<string>:"), str(err)  # always located
        assert INTERNAL not in err.reason, err.reason


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_escape(blob: bytes) -> None:
    with contextlib.suppress(ScenarioError):
        loads(blob)


def test_the_alias_limit_counts_alias_expansion_only(monkeypatch):
    from simkit.scenario import yamltree

    monkeypatch.setattr(yamltree, "MAX_NODES", 50)
    plain = "version: 1\nname: big\norg: {management_account: m}\nsteps:\n" + \
        "".join(f"  - advance: {i + 1}m\n" for i in range(200))   # 600 plain values
    assert len(loads(plain).steps) == 200
    bomb = plain.replace("  - advance: 1m\n", "  - &a {advance: 1m}\n", 1) + \
        "".join("  - *a\n" for _ in range(30))                       # 30 x 2 values: over 50
    with pytest.raises(ScenarioError, match=r"aliases up to here expand to more than 50"):
        loads(bomb)


_DUAL_STACK_DEMAND = """\
version: 1
name: d
org: {management_account: m, accounts: [net]}
ipams:
  - id: i
    owner: net
    region: r1
    pools:
      - {id: v4, region: r1, cidrs: [10.0.0.0/16]}
      - {id: v6, scope: public, region: r1, masks: [48]}
demand:
  - as: net
    pool: v4
    mask: 24
    count: 2
    every: 1d
"""


@pytest.mark.parametrize(("extra", "line", "message"), [
    ("    ipv6_pool: v7\n", 17, r"^demand 1: ipv6_pool 'v7' is neither declared in ipams nor "
                               r"created by a step$"),
    ("    ipv6_mask: 56\n", 17, r"^demand 1: ipv6_mask is the mask of the IPv6 blocks: give "
                               r"ipv6_pool too$"),
    ("    ipv6_pool: v6\n    ipv6_mask: 129\n", 18,
     r"^demand 1: ipv6_mask: the mask 129 is outside 0\.\.128 for IPv6$"),
])
def test_dual_stack_demand_entries_are_checked_with_their_lines(extra, line, message):
    with pytest.raises(ScenarioError) as info:
        loads(_DUAL_STACK_DEMAND + extra)
    assert info.value.line == line
    assert re.search(message, info.value.reason), info.value.reason


def test_a_dual_stack_demand_entry_is_read():
    (demand,) = loads(_DUAL_STACK_DEMAND + "    ipv6_pool: v6\n    ipv6_mask: 56\n").demand
    assert (demand.pool, demand.ipv6_pool, demand.ipv6_mask) == ("v4", "v6", 56)
    (plain,) = loads(_DUAL_STACK_DEMAND).demand
    assert (plain.ipv6_pool, plain.ipv6_mask) == (None, None)
