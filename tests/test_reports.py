"""Reports: every frame on small scenarios whose figures are worked out by hand below.

Each scenario is short enough to follow on paper; the comments next to each
expected row show the arithmetic.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import simkit
from simkit.analysis import reports
from simkit.engine import Simulation
from simkit.model.discovery import overlapping_pairs
from simkit.scenario import json_schema, loads
from simkit.values.addresses import Cidr
from simkit.values.errors import DomainError, ScenarioError

T0 = datetime(2026, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)


def run_text(text: str) -> simkit.Run:
    result = simkit.run(loads(text))
    assert result.ok, [(e.step, e.op, e.expected, e.error_code, e.message)
                       for e in result.failures]
    return result


def rows(frame: pd.DataFrame, columns: list[str] | None = None) -> list[list]:
    frame = frame if columns is None else frame[columns]
    return [[None if v is pd.NA or (isinstance(v, float) and v != v) else v for v in row]
            for row in frame.astype(object).values.tolist()]


# -- a company with a shared pool ----------------------------------------------------------
COMPANY = """
version: 1
name: figures
org:
  management_account: mgmt
  folders:
    - name: Network
      accounts: [net]
    - name: Business
      accounts: [shop]
      folders:
        - name: Retail
          accounts: [till]
  external_accounts: [partner]
ipams:
  - id: i
    owner: net
    region: r1
    pools:
      - id: corp
        cidrs: [10.0.0.0/16]
      - id: hz
        source: corp
        region: r1
        cidrs: [10.0.0.0/20]
steps:
  - op: create_resource_share
    as: net
    share: rs
    resources: [hz]
    principals: [folder:Business]
  - {op: create_vpc, as: net, vpc: vpc-net, pool: hz, mask: 24, expect: {cidr: 10.0.0.0/24}}
  - op: create_ipam_pool_allocation
    as: net
    pool: hz
    allocation: lab
    mask: 26
    expect: {cidr: 10.0.1.0/26}
  # 10.0.0.0/22 holds allocations, so the first free /22 is the next one
  - {op: create_vpc, as: shop, vpc: vpc-shop, pool: hz, mask: 22, expect: {cidr: 10.0.4.0/22}}
  # 10.0.0.0/25 is inside vpc-net, 10.0.1.0/25 holds lab: the next /25 is 10.0.1.128/25
  - {op: create_vpc, as: till, vpc: vpc-till, pool: hz, mask: 25,
     expect: {cidr: 10.0.1.128/25}}
"""


@pytest.fixture(scope="module")
def company() -> Simulation:
    return run_text(COMPANY).simulation


def test_utilisation_per_pool(company):
    frame = reports.utilisation(company)
    assert list(frame.columns) == list(reports.UTILISATION_COLUMNS)
    assert rows(frame) == [
        # corp: 10.0.0.0/16 = 65536 IPs, hz's /20 (4096) is its only allocation.
        # Free: /20 + /19 + /18 + /17 = 4096 + 8192 + 16384 + 32768 = 61440 in 4 blocks;
        # fragmentation 1 - 32768 / 61440 = 28672 / 61440.
        ["corp", "i", "i-private", "net", None, None, 1, 65536, 4096, 0, 0, 4096, 61440,
         4096 / 65536, 17, 4, 1 - 32768 / 61440],
        # hz: /20 = 4096 IPs; VPCs 256 + 1024 + 128 = 1408, lab 64: 1472 allocated.
        # Free: 10.0.1.64/26 (64), 10.0.2.0/23 (512), 10.0.8.0/21 (2048) = 2624 in 3
        # blocks; fragmentation 1 - 2048 / 2624 = 576 / 2624.
        ["hz", "i", "i-private", "net", "r1", "corp", 2, 4096, 1472, 1408, 64, 0, 2624,
         1472 / 4096, 21, 3, 1 - 2048 / 2624],
    ]


def test_utilisation_per_scope(company):
    frame = reports.scope_utilisation(company)
    assert list(frame.columns) == list(reports.SCOPE_COLUMNS)
    assert rows(frame) == [
        # only corp is top level: 65536 provisioned, 4096 allocated; VPC and Custom IPs
        # come from every pool: 1408 and 64
        ["i-private", "i", "private", 2, 65536, 4096, 1408, 64, 61440, 0.0625],
        ["i-public", "i", "public", 0, 0, 0, 0, 0, 0, 0.0],
    ]


def test_utilisation_per_account_through_shares(company):
    frame = reports.account_utilisation(company)
    assert list(frame.columns) == list(reports.ACCOUNT_COLUMNS)
    assert rows(frame) == [
        # net owns both pools: hz's /20 in corp (4096 / 65536), vpc-net and lab in hz
        ["net", "Network", "corp", "net", "owner", 1, 0, 0, 4096, 4096, 0.0625],
        ["net", "Network", "hz", "net", "owner", 2, 256, 64, 0, 320, 320 / 4096],
        # shop and till see hz through rs (Retail is inside Business): 1024 and 128 IPs
        ["shop", "Business", "hz", "net", "principal", 1, 1024, 0, 0, 1024, 0.25],
        ["till", "Business/Retail", "hz", "net", "principal", 1, 128, 0, 0, 128, 128 / 4096],
    ]
    ended = company.copy()
    ended.do("net", "delete_resource_share", share="rs")
    # the share is gone, the VPCs stay: shop and till still hold space, with no relation
    assert rows(reports.account_utilisation(ended), ["account", "pool", "relation",
                                                     "allocated_ips"]) == [
        ["net", "corp", "owner", 4096], ["net", "hz", "owner", 320],
        ["shop", "hz", "none", 1024], ["till", "hz", "none", 128]]


def test_utilisation_per_folder_counts_sub_folders(company):
    frame = reports.folder_utilisation(company)
    assert list(frame.columns) == list(reports.FOLDER_COLUMNS)
    assert rows(frame) == [
        # Root holds everything: corp's /20 for hz; in hz 256 + 1024 + 128 VPC IPs and lab
        ["Root", 0, "corp", "net", 1, 1, 0, 0, 4096, 4096, 0.0625],
        ["Root", 0, "hz", "net", 3, 4, 1408, 64, 0, 1472, 1472 / 4096],
        # Business: shop (1024) and till in Business/Retail (128) = 1152
        ["Business", 1, "hz", "net", 2, 2, 1152, 0, 0, 1152, 1152 / 4096],
        ["Business/Retail", 2, "hz", "net", 1, 1, 128, 0, 0, 128, 128 / 4096],
        ["Network", 1, "corp", "net", 1, 1, 0, 0, 4096, 4096, 0.0625],
        ["Network", 1, "hz", "net", 1, 2, 256, 64, 0, 320, 320 / 4096],
    ]


def test_allocations(company):
    frame = reports.allocations(company)
    assert list(frame.columns) == list(reports.ALLOCATION_COLUMNS)
    assert str(frame["created_at"].dtype) == "datetime64[us, UTC]"
    assert rows(frame.drop(columns="created_at")) == [
        ["corp", "10.0.0.0/20", "IpamPool", "hz", "net", "net"],
        ["hz", "10.0.0.0/24", "VPC", "vpc-net", "net", "net"],
        ["hz", "10.0.1.0/26", "Custom", "lab", "net", "net"],
        ["hz", "10.0.4.0/22", "VPC", "vpc-shop", "shop", "net"],
        ["hz", "10.0.1.128/25", "VPC", "vpc-till", "till", "net"],
    ]
    assert set(frame["created_at"]) == {pd.Timestamp(T0)}


# -- the time series -------------------------------------------------------------------------
SERIES = COMPANY.split("steps:")[0] + """
steps:
  - {op: create_vpc, as: net, vpc: a, pool: hz, mask: 24}
  - advance: 1d
  - {op: create_vpc, as: net, vpc: b, pool: hz, mask: 23, expect: {cidr: 10.0.2.0/23}}
  - {op: create_vpc, as: net, vpc: c, pool: hz, mask: 8,
     expect: {error: OperationDenied.AvailableCidrInsufficient}}
  - {op: delete_vpc, as: net, vpc: a}
  - check: {pool: hz, allocated_ips: 512}
  - advance: 12h
  - {op: add_ipam_pool_cidr, as: net, pool: hz, cidr: 10.0.16.0/20}
"""


def test_utilisation_time_series():
    frame = reports.utilisation_series(run_text(SERIES).simulation)
    assert list(frame.columns) == list(reports.SERIES_COLUMNS)
    assert str(frame["time"].dtype) == "datetime64[us, UTC]"
    day1, day1h12 = pd.Timestamp(T0 + DAY), pd.Timestamp(T0 + DAY * 1.5)
    assert rows(frame) == [
        # the initial state: hz's /20 is allocated in corp, hz is empty
        [pd.Timestamp(T0), None, "corp", 65536, 4096, 61440, 0.0625],
        [pd.Timestamp(T0), None, "hz", 4096, 0, 4096, 0.0],
        [pd.Timestamp(T0), 1, "hz", 4096, 256, 3840, 0.0625],        # a: /24
        [day1, 3, "hz", 4096, 768, 3328, 0.1875],                     # b: + /23 = 512
        # step 4 failed, step 6 checked: no rows; step 5 deleted a: 768 - 256
        [day1, 5, "hz", 4096, 512, 3584, 0.125],
        # a second /20 for hz: corp gives 4096 more, hz has 8192
        [day1h12, 8, "corp", 65536, 8192, 57344, 0.125],
        [day1h12, 8, "hz", 8192, 512, 7680, 0.0625],
    ]


def test_the_series_always_ends_at_the_current_figures():
    for path in sorted(Path(__file__).parent.parent.glob("scenarios/*.yaml")):
        sim = simkit.run(path).simulation
        series = reports.utilisation_series(sim)
        util = reports.utilisation(sim).set_index("pool")
        last = series.groupby("pool").tail(1).set_index("pool").loc[util.index]
        for column in ("provisioned_ips", "allocated_ips"):
            assert last[column].to_dict() == util[column].to_dict(), (path, column)


# -- resource CIDRs and conflicts ------------------------------------------------------------
CONFLICTS = """
version: 1
name: conflicts
org:
  management_account: mgmt
  accounts: [net, net2]
  external_accounts: [partner]
ipams:
  - id: i
    owner: net
    region: r1
    pools:
      - id: p
        region: r1
        cidrs: [10.0.0.0/16]
        rules: {min_mask: 16, max_mask: 24}
  - id: j
    owner: net2
    region: r1
    pools:
      - {id: q, region: r1, cidrs: [10.0.16.0/20]}
vpcs:
  - {id: legacy, owner: net, region: r1, cidr: 10.0.0.0/20}       # discovered by i and j
  - {id: far, owner: partner, region: r1, cidr: 10.0.0.0/24}      # external: not discovered
  - {id: elsewhere, owner: net, region: r2, cidr: 10.5.0.0/16}    # r2: not discovered
reserved:
  - {name: idc, cidr: 10.0.16.0/22}
connected_scopes:
  - [i-private, j-private]
steps:
  # legacy is Unmanaged, not allocated: the first /24 of p is inside it
  - {op: create_vpc, as: net, vpc: vpc-a, pool: p, mask: 24, expect: {cidr: 10.0.0.0/24}}
  - {op: create_vpc, as: net, vpc: vpc-b, pool: p, mask: 20, expect: {cidr: 10.0.16.0/20}}
  - {op: update_ipam_pool, as: net, pool: p, rules: {min_mask: 21}}    # vpc-b's /20 breaks it
  - {op: create_vpc, as: net2, vpc: vpc-q, pool: q, mask: 24, expect: {cidr: 10.0.16.0/24}}
  - op: list_ipam_resource_cidrs
    as: net
    pool: p
    expect: {cidrs: [10.0.0.0/20, 10.0.0.0/24, 10.0.16.0/20]}
"""


@pytest.fixture(scope="module")
def clashing() -> Simulation:
    return run_text(CONFLICTS).simulation


def test_resource_cidrs_as_list_ipam_resource_cidrs_reports_them(clashing):
    frame = reports.resource_cidrs_frame(clashing)
    assert list(frame.columns) == list(reports.RESOURCE_COLUMNS)
    assert rows(frame.drop(columns=["resource_type", "region"])) == [
        ["legacy", "net", "i-private", "10.0.0.0/20", None, "Unmanaged", "Unmanaged",
         "Overlapping", "vpc-a"],
        ["legacy", "net", "j-private", "10.0.0.0/20", None, "Unmanaged", "Unmanaged",
         "Nonoverlapping", ""],
        ["vpc-a", "net", "i-private", "10.0.0.0/24", "p", "Managed", "Compliant",
         "Overlapping", "legacy"],
        ["vpc-b", "net", "i-private", "10.0.16.0/20", "p", "Managed", "Noncompliant",
         "Nonoverlapping", ""],
        ["vpc-q", "net2", "j-private", "10.0.16.0/24", "q", "Managed", "Compliant",
         "Nonoverlapping", ""],
    ]
    assert [r["resource"] for r in reports.resource_cidrs(clashing, pool="q")] == ["vpc-q"]


def test_every_kind_of_conflict_names_both_sides(clashing):
    frame = reports.conflicts(clashing)
    assert list(frame.columns) == list(reports.CONFLICT_COLUMNS)
    assert rows(frame.drop(columns="detail")) == [
        # legacy and vpc-a share 10.0.0.0/24 in i's scope (in j's, legacy is alone)
        ["overlap", "i-private", "legacy", "10.0.0.0/20", "vpc-a", "10.0.0.0/24",
         "10.0.0.0/24"],
        ["unmanaged_in_pool", "i-private", "legacy", "10.0.0.0/20", "p", "10.0.0.0/16",
         "10.0.0.0/20"],
        ["noncompliant", "i-private", "vpc-b", "10.0.16.0/20", "p", "10.0.0.0/16",
         "10.0.16.0/20"],
        # idc (10.0.16.0/22) lies in p, vpc-b, q and vpc-q (where vpc-q is the smaller)
        ["reserved", "i-private", "p", "10.0.0.0/16", "idc", "10.0.16.0/22", "10.0.16.0/22"],
        ["reserved", "i-private", "vpc-b", "10.0.16.0/20", "idc", "10.0.16.0/22",
         "10.0.16.0/22"],
        ["reserved", "j-private", "q", "10.0.16.0/20", "idc", "10.0.16.0/22", "10.0.16.0/22"],
        ["reserved", "j-private", "vpc-q", "10.0.16.0/24", "idc", "10.0.16.0/22",
         "10.0.16.0/24"],
        # across the connected scopes: the pools p and q, and the VPCs vpc-b and vpc-q
        # (legacy / vpc-a is already an overlap of i's scope, so it is not repeated)
        ["connected_scopes", "i-private+j-private", "p", "10.0.0.0/16", "q", "10.0.16.0/20",
         "10.0.16.0/20"],
        ["connected_scopes", "i-private+j-private", "vpc-b", "10.0.16.0/20", "vpc-q",
         "10.0.16.0/24", "10.0.16.0/24"],
    ]
    assert frame["detail"].str.len().min() > 10


def test_without_connected_scopes_the_scopes_stay_apart():
    text = CONFLICTS.replace("connected_scopes:\n  - [i-private, j-private]\n", "")
    kinds = reports.conflicts(run_text(text).simulation)["kind"].tolist()
    assert "connected_scopes" not in kinds and kinds.count("reserved") == 4


def test_connected_scopes_must_name_scopes(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(CONFLICTS.replace("[i-private, j-private]", "[i-private, k-private]"))
    with pytest.raises(ScenarioError, match=r"s\.yaml:\d+: connected_scopes: 'k-private' is "
                                            r"not a scope"):
        simkit.run(path)
    with pytest.raises(ScenarioError, match="at least 2"):
        loads(CONFLICTS.replace("[i-private, j-private]", "[i-private]"))
    assert json_schema()["properties"]["connected_scopes"]["items"]["minItems"] == 2


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(22, 30), st.integers(0, 1023),
                          st.integers(0, 2)), max_size=40),
       st.booleans())
def test_the_sweep_finds_exactly_the_overlapping_pairs(specs, across):
    """Against comparing every pair: same group, overlapping, and (with ``across``)
    of different classes; each pair once, the earlier-starting (or larger) first."""
    items = []
    for n, (group, prefix, offset, kind) in enumerate(specs):
        size = 1 << (32 - prefix)
        value = (10 << 24) + (offset * 1024 // size) * size
        items.append((group, Cidr(4, value, prefix), (n, kind)))
    found = overlapping_pairs(items, across=(lambda t: t[1]) if across else None)
    brute = [(a[2][0], b[2][0]) for i, a in enumerate(items) for b in items[i + 1:]
             if a[0] == b[0] and a[1].overlaps(b[1]) and (not across or a[2][1] != b[2][1])]
    assert sorted(tuple(sorted((a[2][0], b[2][0]))) for a, b in found) == sorted(
        tuple(sorted(pair)) for pair in brute)
    assert all((a[1].value, a[1].prefixlen) <= (b[1].value, b[1].prefixlen) for a, b in found)


# -- exhaustion diagnostics ----------------------------------------------------------------
EXHAUSTION = """
version: 1
name: exhaustion
org: {management_account: mgmt, accounts: [net]}
ipams:
  - id: i
    owner: net
    region: r1
    pools: [{id: p, region: r1, cidrs: [10.0.0.0/24]}]
steps:
  - {op: create_ipam_pool_allocation, as: net, pool: p, allocation: a1, mask: 26}
  - {op: create_ipam_pool_allocation, as: net, pool: p, allocation: a2, mask: 26}
  - {op: create_ipam_pool_allocation, as: net, pool: p, allocation: a3, mask: 26}
  - {op: create_ipam_pool_allocation, as: net, pool: p, allocation: a4, mask: 26}
  - {op: delete_ipam_pool_allocation, as: net, allocation: a1}
  - {op: delete_ipam_pool_allocation, as: net, allocation: a3}
  - {op: create_vpc, as: net, vpc: v, pool: p, mask: 25,
     expect: {error: OperationDenied.AvailableCidrInsufficient}}
  - {op: create_vpc, as: net, vpc: w, pool: p, mask: 24, expect: any}
demand:
  - {as: net, pool: p, mask: 25, count: 1, every: 1d, begin: 2026-01-02}
"""


def test_exhaustion_messages_say_whether_fragmentation_is_the_cause():
    events = simkit.run(loads(EXHAUSTION)).events
    refused = events[events.error_code == "OperationDenied.AvailableCidrInsufficient"]
    # a1 and a3 freed two /26 that are not buddies: 128 free IPs, no aligned /25
    assert refused[["step", "source", "message"]].values.tolist() == [
        [7, "step", "pool p has no free /25 block (free: 128 of 256 IPs, largest free block "
                    "/26); fragmentation is the cause: 128 free addresses would hold a /25 "
                    "but no aligned /25 block is free"],
        # a /24 needs 256 addresses: too few are free, fragmentation is not the cause
        [8, "step", "pool p has no free /24 block (free: 128 of 256 IPs, largest free block "
                    "/26)"],
        [pd.NA, "demand", "pool p has no free /25 block (free: 128 of 256 IPs, largest free "
                          "block /26); fragmentation is the cause: 128 free addresses would "
                          "hold a /25 but no aligned /25 block is free"],
    ]


# -- discovery and auto import -------------------------------------------------------------
AUTO_IMPORT = """
version: 1
name: auto-import
org:
  management_account: mgmt
  accounts: [net, shop]
  external_accounts: [partner]
ipams:
  - id: i
    owner: net
    region: r1
    operating_regions: [r2]
    scopes: [lab]
    pools:
      - {id: corp, cidrs: [10.0.0.0/8]}
      - {id: lab-top, scope: lab, region: r1, cidrs: [10.0.0.0/16], auto_import: true}
      - id: hz
        source: corp
        region: r1
        cidrs: [10.0.0.0/16]
        rules: {min_mask: 22, max_mask: 28}
        auto_import: false
vpcs:
  - {id: big, owner: shop, region: r1, cidr: 10.0.0.0/20}         # a member's VPC
  - {id: small, owner: net, region: r1, cidr: 10.0.1.0/24}        # inside big
  - {id: twin-b, owner: net, region: r1, cidr: 10.0.32.0/24}
  - {id: twin-a, owner: shop, region: r1, cidr: 10.0.32.0/24}     # identical: lowest id
  - {id: ext, owner: partner, region: r1, cidr: 10.0.64.0/24}     # not discovered
  - {id: east, owner: net, region: r2, cidr: 10.0.96.0/24}        # not hz's region
  - {id: wide, owner: net, region: r1, cidr: 10.0.128.0/17}       # overlaps vpc-m
steps:
  - {op: create_vpc, as: net, vpc: vpc-m, pool: hz, cidr: 10.0.200.0/24}
  - check: {pool: hz, allocated_ips: 256}
  - {op: update_ipam_pool, as: net, pool: hz, auto_import: true}
  # big (4096) and twin-a (256) are adopted: 256 + 4096 + 256
  - check: {pool: hz, allocated_ips: 4608}
"""


def test_auto_import_adopts_the_eligible_cidrs_when_turned_on():
    result = run_text(AUTO_IMPORT)
    sim = result.simulation
    step3 = result.events[result.events.step == 3].iloc[0]
    assert step3.message == ("auto import: big 10.0.0.0/20 into pool hz, twin-a 10.0.32.0/24 "
                             "into pool hz")
    adopted = reports.allocations(sim).query("pool == 'hz'")
    assert rows(adopted, ["cidr", "type", "resource", "created_by"]) == [
        ["10.0.200.0/24", "VPC", "vpc-m", "net"],
        ["10.0.0.0/20", "VPC", "big", "net"],           # created by the pool's owner
        ["10.0.32.0/24", "VPC", "twin-a", "net"],
    ]
    assert sim.model.vpcs["big"].managed and not sim.model.vpcs["twin-b"].managed
    # the lab scope is not the default private scope: its pool adopted nothing
    assert reports.utilisation(sim).set_index("pool").loc["lab-top", "allocated_ips"] == 0
    # adopted whatever the rules say: big's /20 is below hz's /22 minimum
    statuses = {(r["resource"], r["cidr"]): (r["management_status"], r["compliance_status"])
                for r in reports.resource_cidrs(sim)}
    assert statuses[("big", "10.0.0.0/20")] == ("Managed", "Noncompliant")
    assert statuses[("small", "10.0.1.0/24")] == ("Unmanaged", "Unmanaged")
    assert ("ext", "10.0.64.0/24") not in statuses


def test_auto_import_adopts_new_cidrs_as_they_appear():
    sim = run_text(AUTO_IMPORT).simulation
    # a VPC created with a literal CIDR inside hz is adopted at once
    sim.do("net", "create_vpc", vpc="new", region="r1", cidr="10.0.36.0/22")
    assert [(a.resource, str(a.cidr)) for a in sim.last_imports] == [("new", "10.0.36.0/22")]
    # deleting big frees its /20: small, inside it, is adopted now
    sim.do("shop", "delete_vpc", vpc="big")
    assert [(a.resource, str(a.cidr)) for a in sim.last_imports] == [("small", "10.0.1.0/24")]
    # releasing twin-a's allocation makes both twins Unmanaged: twin-a is adopted again
    sim.do("net", "delete_ipam_pool_allocation", allocation="10.0.32.0/24")
    assert [a.resource for a in sim.last_imports] == ["twin-a"]
    # deleting vpc-m frees the last allocation inside wide (/17): wide is adopted
    sim.do("net", "delete_vpc", vpc="vpc-m")
    assert [(a.resource, str(a.cidr)) for a in sim.last_imports] == [("wide", "10.0.128.0/17")]
    # turning the flag off stops it
    sim.do("net", "update_ipam_pool", pool="hz", auto_import=False)
    sim.do("net", "create_vpc", vpc="later", region="r1", cidr="10.0.44.0/22")
    assert sim.last_imports == [] and not sim.model.vpcs["later"].managed


def test_pools_declared_with_auto_import_adopt_at_load():
    text = AUTO_IMPORT.replace("auto_import: false", "auto_import: true").split("steps:")[0]
    sim = run_text(text).simulation
    assert sorted(a.resource for a in sim.model.allocations.values() if a.pool == "hz") == [
        "big", "twin-a", "wide"]     # no vpc-m yet: wide's /17 is free and adopted


def test_an_import_that_cannot_happen_changes_nothing():
    sim = run_text(AUTO_IMPORT).simulation
    before = sim.model.fingerprint()
    with pytest.raises(DomainError, match="CidrUnavailableInPool"):
        sim.model.adopt_vpc_cidr("hz", "small", "10.0.1.0/24")   # inside big's allocation
    assert sim.model.fingerprint() == before


# -- empty frames and the whole set ----------------------------------------------------------
def test_empty_results_are_empty_frames_with_their_columns_and_dtypes():
    empty = reports.frames(Simulation())
    full = reports.frames(run_text(COMPANY).simulation)
    assert list(empty) == list(full)
    del empty["events"], full["events"]    # the event log's frame is simkit.engine.events'
    for name, frame in empty.items():
        assert frame.empty, name
        assert list(frame.columns) == list(full[name].columns), name
        numeric = [c for c in frame.columns if str(full[name][c].dtype) != "object"]
        assert [str(frame[c].dtype) for c in numeric] == [
            str(full[name][c].dtype) for c in numeric], name


def test_run_methods_and_the_list_operation_use_these_frames(clashing):
    assert len(reports.conflicts(clashing)) == 9
    events = clashing.events
    assert events.iloc[-1].message == "10.0.0.0/20, 10.0.0.0/24, 10.0.16.0/20"


def test_importing_simkit_does_not_import_matplotlib():
    code = ("import sys, simkit, simkit.analysis.reports, simkit.analysis.plots\n"
            "import simkit.analysis.htmlreport\n"
            "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
