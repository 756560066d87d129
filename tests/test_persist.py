"""Saving and restoring a whole simulation: exact round trips, refused files, atomic writes."""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simkit import Simulation
from simkit.engine.persist import FORMAT, FORMAT_VERSION
from simkit.model.ipam import IpamModel
from simkit.model.org import Organisation
from simkit.model.sharing import Shares
from simkit.scenario import loads
from simkit.scenario.specs import DemandSpec
from simkit.values.allocator import AddressSpace
from simkit.values.errors import DomainError, StateError, StateFileError, UsageError

#: A company whose history uses every kind of state: folders, a member moved and one
#: removed, external accounts invited (one accepts, one rejects, one lets it expire), a
#: deleted share, child pools, a pool with the random strategy, named custom allocations,
#: secondary CIDRs, released allocations, Unmanaged VPCs, reserved ranges, and demand
#: with Poisson arrivals, mixed masks and lifetimes.
SCENARIO = """\
version: 1
name: every-kind-of-state
seed: 4242
quotas: {rd_members: 30}
org:
  management_account: mgmt
  accounts: [net, ops]
  folders:
    - name: Business
      accounts: [shop]
      folders:
        - {name: Retail, accounts: [dev]}
  external_accounts: [partner, guest, late]
ipams:
  - id: ipam-main
    owner: net
    region: r1
    operating_regions: [r1, r2]
    scopes: [lab]
    pools:
      - {id: corp, cidrs: [10.0.0.0/16]}
      - id: hz
        source: corp
        region: r1
        masks: [20, 22]
        rules: {min_mask: 20, max_mask: 28, default_mask: 24}
      - {id: lucky, source: corp, region: r1, masks: [21], strategy: random}
      - {id: lab-top, scope: lab, cidrs: [10.0.0.0/24]}
vpcs:
  - {id: vpc-legacy, owner: net, region: r1, cidr: 172.16.0.0/16}
reserved:
  - {name: idc, cidr: 10.9.0.0/16}
steps:
  - {op: create_resource_share, as: net, share: rs-biz, resources: [hz, lucky],
     principals: [folder:Business, partner, guest, late], allow_external: true}
  - {op: accept_resource_share_invitation, as: partner, share: rs-biz}
  - {op: reject_resource_share_invitation, as: guest, share: rs-biz}
  - {op: create_vpc, as: shop, vpc: vpc-shop, pool: hz, mask: 22}
  - {op: create_vpc, as: partner, vpc: vpc-partner, pool: lucky, mask: 26}
  - {op: create_ipam_pool_allocation, as: dev, pool: lucky, allocation: dev-lab, mask: 27}
  - {op: associate_vpc_cidr_block, as: shop, vpc: vpc-shop, pool: lucky, mask: 25}
  - {op: create_ipam_pool_allocation, as: net, pool: hz, allocation: spare, mask: 24}
  - advance: 2d
  - {op: delete_ipam_pool_allocation, as: net, allocation: spare}
  - {op: create_resource_share, as: net, share: rs-ops, resources: [corp], principals: [ops]}
  - {op: move_account, as: mgmt, account: dev, folder: Root}
  - {op: create_ipam_pool_allocation, as: dev, pool: lucky, mask: 27, expect: any}
  - {op: delete_resource_share, as: net, share: rs-ops}
  - advance: 8d
  - {op: accept_resource_share_invitation, as: late, share: rs-biz, expect: any}
  - {op: remove_account, as: mgmt, account: ops}
  - {op: create_vpc, as: partner, vpc: vpc-p2, pool: lucky, mask: 24}
  - {op: delete_vpc, as: partner, vpc: vpc-partner}
  - {op: update_ipam_pool, as: net, pool: hz, rules: {min_mask: 16, max_mask: 28}}
  - advance: 3d
  - {op: create_vpc, as: net, vpc: vpc-more, pool: lucky, mask: 25}
demand:
  - {as: net, pool: lucky, masks: {27: 0.5, 28: 0.3, 26: 0.2}, count: 40, rate: 6/d,
     lifetime: 3d}
  - {as: shop, pool: hz, mask: 26, count: 12, every: 1d, begin: 2026-01-02T06:00:00Z}
"""


def scenario():
    return loads(SCENARIO, "every-kind-of-state.yaml")


def simulation_after(steps: int) -> Simulation:
    s = scenario()
    sim = Simulation.from_scenario(s)
    for step in s.steps[:steps]:
        sim.apply(step)
    return sim


def run_on(sim: Simulation, steps: int) -> Simulation:
    """Apply the scenario's steps from ``steps`` on, then every queued request."""
    for step in scenario().steps[steps:]:
        sim.apply(step)
    sim.finish()
    return sim


def resign(path: Path, edit) -> None:
    """Change the state of a saved file with ``edit(state)``, then give it a valid checksum."""
    document = json.loads(path.read_text())
    edit(document["state"])
    canonical = json.dumps(document["state"], sort_keys=True, separators=(",", ":"),
                           ensure_ascii=True)
    document["checksum"] = "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
    path.write_text(json.dumps(document))


def refused(path: Path, pattern: str) -> StateFileError:
    with pytest.raises(StateFileError) as info:
        Simulation.restore(path)
    err = info.value
    assert isinstance(err, UsageError)
    assert err.path == str(path)
    assert str(err) == f"{path}: {err.problem}"
    assert re.search(pattern, err.problem), err.problem
    return err


# -- exact round trips ------------------------------------------------------------------------
STEPS = len(scenario().steps)


@pytest.mark.parametrize("split", [0, 1, 5, 9, 14, 17, STEPS])
def test_a_restored_simulation_continues_exactly_as_the_original(tmp_path, split):
    original = simulation_after(split)
    path = tmp_path / "mid-run.json"
    original.save(path)
    copy = Simulation.restore(path)
    assert copy.fingerprint() == original.fingerprint()
    assert copy.log == original.log
    run_on(original, split)
    run_on(copy, split)
    assert copy.fingerprint() == original.fingerprint()
    assert copy.events.equals(original.events)


def test_the_history_used_is_rich():
    sim = run_on(simulation_after(0), 0)
    kinds = {(e.source, e.op, e.outcome) for e in sim.log}
    assert {("demand", "create_vpc", "ok"), ("demand", "delete_vpc", "ok"),
            ("step", "accept_resource_share_invitation", "error")} <= kinds
    statuses = {i.status for i in sim.shares.invitations()}
    assert statuses == {"Accepted", "Rejected", "Expired"}
    assert sim.model.pools["lucky"].space._rand_lists is not None   # the random index is built


def test_every_part_of_the_state_round_trips(tmp_path):
    sim = simulation_after(STEPS)
    sim.advance(timedelta(days=1))
    sim.save(tmp_path / "s.json")
    back = Simulation.restore(tmp_path / "s.json")
    assert sorted(vars(back)) == sorted(vars(sim))
    assert (back.seed, back.start, back.now) == (sim.seed, sim.start, sim.now)
    assert back.rng.getstate() == sim.rng.getstate()
    assert dict(back.quotas) == dict(sim.quotas)
    assert back.org.fingerprint() == sim.org.fingerprint()
    assert list(back.org.graph.nodes(data=True)) == list(sim.org.graph.nodes(data=True))
    assert list(back.org.graph.edges) == list(sim.org.graph.edges)
    for table in ("ipams", "scopes", "vpcs", "allocations"):
        assert getattr(back.model, table) == getattr(sim.model, table), table
        assert list(getattr(back.model, table)) == list(getattr(sim.model, table)), table
    for pid, pool in sim.model.pools.items():
        mine = back.model.pools[pid]
        assert mine.space.fingerprint() == pool.space.fingerprint()
        assert mine.space._rand_lists == pool.space._rand_lists
        assert {k: getattr(mine, k) for k in vars(pool) if k != "space"} == \
            {k: getattr(pool, k) for k in vars(pool) if k != "space"}
    assert back.model._index == sim.model._index
    assert back.model._typed_ips == sim.model._typed_ips
    assert back.model._counter == sim.model._counter
    assert back.shares.all() == sim.shares.all()
    assert back.shares.invitations() == sim.shares.invitations()
    assert back.demand == sim.demand
    assert back._queue == sim._queue
    ignored = {"rng", "clock", "quotas", "org", "model", "shares", "access"}
    for name in set(vars(sim)) - ignored:
        assert getattr(back, name) == getattr(sim, name), name


def test_a_restored_simulation_is_wired_to_itself(tmp_path):
    sim = simulation_after(STEPS)
    sim.save(tmp_path / "s.json")
    back = Simulation.restore(tmp_path / "s.json")
    assert back.model.rng is back.rng
    assert all(p.space.rng is back.rng for p in back.model.pools.values())
    assert back.model.access is back.access
    assert back.access.shares is back.shares and back.shares.org is back.org
    back.advance(timedelta(hours=5))
    made = back.do("net", "create_ipam_pool_allocation", pool="corp", mask=24)
    assert back.model.allocations[made.resource].created_at == back.now
    assert sim.now != back.now and made.resource not in sim.model.allocations


def test_saving_is_deterministic_and_restoring_loses_nothing(tmp_path):
    sim = simulation_after(9)
    sim.save(tmp_path / "a.json")
    sim.save(tmp_path / "b.json")
    Simulation.restore(tmp_path / "a.json").save(tmp_path / "c.json")
    first = (tmp_path / "a.json").read_bytes()
    assert first == (tmp_path / "b.json").read_bytes() == (tmp_path / "c.json").read_bytes()
    document = json.loads(first)
    assert (document["format"], document["version"]) == (FORMAT, FORMAT_VERSION) == (
        "simkit-state", 2)
    assert document["checksum"].startswith("sha256:")


def test_each_part_reads_back_what_it_writes():
    sim = simulation_after(STEPS)
    parts = [(sim.org, lambda state: Organisation.from_state(state, sim.quotas)),
             (sim.model, lambda state: IpamModel.from_state(state, sim.quotas, rng=sim.rng)),
             (sim.shares, lambda state: Shares.from_state(state, sim.org, sim._pool_owner)),
             (sim, Simulation.from_state)]
    parts += [(p.space, AddressSpace.from_state) for p in sim.model.pools.values()]
    for part, from_state in parts:
        state = part.to_state()
        assert json.loads(json.dumps(state)) == state, type(part).__name__
        back = from_state(state)
        assert back.fingerprint() == part.fingerprint(), type(part).__name__
        assert back.to_state() == state, type(part).__name__


def test_a_part_refuses_a_state_it_would_not_write_with_a_state_error():
    space = AddressSpace(name="docs")
    space.add_cidr("198.51.100.0/24")
    state = {**space.to_state(), "allocated": ["198.51.100.0/25", "198.51.100.64/26"]}
    with pytest.raises(StateError, match=r"^space\.allocated\[1\]: OperationDenied\."
                                         r"CidrUnavailableInPool: .* overlaps an existing"):
        AddressSpace.from_state(state)
    with pytest.raises(StateError, match=r"^org has no field 'edges'$"):
        Organisation.from_state({"management_account": "mgmt", "nodes": []})
    assert issubclass(StateError, UsageError)


def test_simulation_save_and_restore_delegate(tmp_path):
    sim = simulation_after(5)
    sim.save(tmp_path / "s.json")
    back = Simulation.restore(tmp_path / "s.json")
    assert isinstance(back, Simulation) and back.fingerprint() == sim.fingerprint()


def test_demand_given_by_hand_round_trips_and_runs_on_alike(tmp_path):
    sim = Simulation(seed=5, management_account="mgmt")
    sim.org.add_account("net")
    sim.do("net", "create_ipam", ipam="i", region="r1")
    sim.do("net", "create_ipam_pool", ipam="i", pool="p", region="r1", cidrs=["10.0.0.0/20"],
           strategy="random")
    sim.add_demand(DemandSpec.of("net", "p", {24: 0.25, 26: 0.75}, count=30, rate=4 / 86400,
                              lifetime=timedelta(days=2)))
    sim.advance(timedelta(days=3))
    sim.save(tmp_path / "s.json")
    back = Simulation.restore(tmp_path / "s.json")
    assert back.demand[0].masks == ((24, 0.25), (26, 0.75))
    for s in (sim, back):
        s.finish()
    assert back.log == sim.log and len(sim.log) > 30
    assert back.fingerprint() == sim.fingerprint()


def test_a_simulation_built_by_hand_round_trips(tmp_path):
    sim = Simulation(management_account="root-account")
    sim.org.add_account("net")
    sim.do("net", "create_ipam", ipam="ipam-6", region="r1")
    sim.do("net", "create_ipam_pool", ipam="ipam-6", pool="v6", scope="ipam-6-public",
           region="r1", cidrs=["2001:db8::/48"])
    sim.do("net", "create_ipam_pool_allocation", pool="v6", mask=56, allocation="lab")
    sim.save(tmp_path / "s.json")
    back = Simulation.restore(tmp_path / "s.json")
    assert back.fingerprint() == sim.fingerprint()
    assert str(back.model.allocations["lab"].cidr) == "2001:db8::/56"


# -- refused files --------------------------------------------------------------------------
@pytest.fixture
def saved(tmp_path) -> Path:
    path = tmp_path / "state.json"
    simulation_after(9).save(path)    # mid-run: requests are queued
    return path


def test_missing_empty_and_foreign_files_are_refused(tmp_path):
    refused(tmp_path / "nope.json", r"^cannot read the file: No such file")
    (tmp_path / "empty.json").write_bytes(b"  \n")
    refused(tmp_path / "empty.json", r"^the file is empty")
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    refused(tmp_path / "image.png", r"^not a simkit state file: it is not text \(byte 0x89")
    (tmp_path / "notes.txt").write_text("remember the milk\n")
    refused(tmp_path / "notes.txt", r"^not a simkit state file: it is not valid JSON")
    for text in ('{"a": 1}', "[1, 2]", '"simkit-state"', '{"format": "simkit-states"}'):
        (tmp_path / "other.json").write_text(text)
        refused(tmp_path / "other.json", r'^not a simkit state file: a state file is a JSON '
                                         r'object with "format": "simkit-state"')
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    refused(tmp_path / "deep.json", r"^not a simkit state file")


def test_a_truncated_file_is_refused_wherever_it_was_cut(saved):
    data = saved.read_bytes()
    cuts = sorted({*range(1, len(data) - 2, max(1, len(data) // 150)), len(data) - 2})
    for cut in cuts:
        saved.write_bytes(data[:cut])
        refused(saved, r"^the file is truncated: its \d+ bytes end before the JSON document")


@pytest.mark.parametrize("version", [1, 3, 0, "2", None, True, 2.5])
def test_an_unknown_format_version_is_refused(saved, version):
    document = json.loads(saved.read_text())
    document["version"] = version
    saved.write_text(json.dumps(document))
    refused(saved, rf"^unsupported state format version {re.escape(json.dumps(version))}: "
                   r"this simkit \(\S+\) reads version 2 only")


def test_a_changed_or_corrupted_state_fails_its_checksum(saved):
    text = saved.read_text()
    assert '"seed":4242' in text
    saved.write_text(text.replace('"seed":4242', '"seed":4243', 1))
    refused(saved, r"^checksum mismatch: the state was changed or corrupted")
    document = json.loads(text)
    document["checksum"] = "sha256:" + "0" * 64
    saved.write_text(json.dumps(document))
    refused(saved, r"^checksum mismatch")
    del document["checksum"]
    saved.write_text(json.dumps(document))
    refused(saved, r"^the file is damaged: it has no 'checksum'")


@pytest.mark.parametrize("number", ["1e999", "-1e999", "NaN", "Infinity", "-Infinity"])
def test_a_number_that_is_not_finite_is_refused(saved, number):
    saved.write_text(saved.read_text().replace('"seed":4242', f'"seed":{number}', 1))
    refused(saved, rf"^the file is damaged: it holds the number {number}, which is not "
                   r"finite")


def test_a_damaged_byte_is_refused_as_damage(saved):
    data = bytearray(saved.read_bytes())
    data[len(data) // 2] = ord("\x01")
    saved.write_bytes(bytes(data))
    refused(saved, r"^the file is damaged: it is not valid JSON \(.* at line 1, column \d+\)")
    data[len(data) // 2] = 0xFF
    saved.write_bytes(bytes(data))
    refused(saved, r"^the file is damaged: it is not text \(byte 0xff at offset \d+\)")


def _pool(state, pid):
    return next(p for p in state["model"]["pools"] if p["pool"]["id"] == pid)


def _space(state, pid):
    return _pool(state, pid)["space"]


MALFORMED = {
    "a missing field": (lambda s: _pool(s, "hz")["pool"].pop("owner"),
                        r"state\.model\.pools\[\d\]\.pool has no field 'owner'"),
    "a field of the wrong type": (lambda s: _pool(s, "hz")["pool"].update(owner=5),
                                  r"state\.model\.pools\[\d\]\.pool\.owner must be of type str"),
    "an unknown field": (lambda s: _pool(s, "hz")["pool"].update(colour="red"),
                         r"has the unknown field 'colour'"),
    "overlapping allocated blocks": (
        lambda s: _space(s, "lucky")["allocated"].append(_space(s, "lucky")["allocated"][0]),
        r"state\.model\.pools\[2\]\.space\.allocated\[\d+\]: "
        r"OperationDenied\.CidrUnavailableInPool: .* overlaps an existing allocation"),
    "a block outside every provisioned CIDR": (
        lambda s: _space(s, "lucky")["allocated"].append("192.0.2.0/24"),
        r"does not lie wholly inside one provisioned CIDR"),
    "two allocations of one block": (
        lambda s: s["model"]["allocations"].append(
            {**s["model"]["allocations"][-1], "id": "twin"}),
        r"state\.model\.allocations\[\d+\]\.cidr must be a block of the space of pool "
        r"\S+ that no other allocation holds"),
    "an allocation its pool's space does not hold": (
        lambda s: s["model"]["allocations"][-1].update(cidr={"$cidr": "192.0.2.0/24"}),
        r"allocations\[\d+\]\.cidr must be a block of the space of pool"),
    "a prefix length listed twice in a random order": (
        lambda s: _space(s, "lucky")["random_order"].append(_space(s, "lucky")["random_order"][0]),
        r"random_order\[\d+\]\[0\] must be a prefix length of 0 to 32, listed once"),
    "a block no allocation holds": (
        lambda s: s["model"]["allocations"].pop(),
        r"state\.model\.pools: the space of pool \S+ holds \d+ blocks, but \d+ allocations "
        r"are in it"),
    "a random order that is not of the free blocks": (
        lambda s: _space(s, "lucky")["random_order"].pop(),
        r"state\.model\.pools\[2\]\.space\.random_order must be an ordering of the free "
        r"blocks"),
    "overlapping provisioned CIDRs": (
        lambda s: _pool(s, "corp")["space"]["provisioned"].append("10.0.128.0/17"),
        r"provisioned\[1\]: OperationDenied\.CidrConflict"),
    "a bad CIDR": (lambda s: _pool(s, "corp")["space"]["provisioned"].append("10.0.0.1/8"),
                   r"provisioned\[1\] must be a CIDR"),
    "a bad time": (lambda s: s.update(now="yesterday"), r"state\.now must be an ISO 8601 time"),
    "a bad time in a record": (
        lambda s: s["shares"]["shares"][0].update(created_at={"$time": "yesterday"}),
        r"state\.shares\.shares\[0\]\.created_at\.\$time must be an ISO 8601 time"),
    "a generator state of the wrong size": (
        lambda s: s["rng"]["state"].pop(), r"state\.rng must be the state of a random generator"),
    "a generator with a text gauss_next": (lambda s: s["rng"].update(gauss_next="0.5"),
                                           r"state\.rng\.gauss_next must be null or a number"),
    "an unknown tag": (lambda s: s["log"]["rows"][0].__setitem__(0, {"$when": 1}),
                       r"state\.log\.rows\[0\]\.time has the unknown tag '\$when'"),
    "an unknown field of the state": (lambda s: s.update(rocket=1),
                                      r"state has the unknown field 'rocket'"),
    "an unknown field of a part": (lambda s: s["model"].update(rocket=1),
                                   r"state\.model has the unknown field 'rocket'"),
    "an unknown share status": (lambda s: s["shares"]["shares"][0].update(status="Gone"),
                                r"shares\[0\]\.status must be \"Active\" or \"Deleted\""),
    "a child pool its source does not list": (
        lambda s: _pool(s, "corp")["pool"].update(children=[]),
        r"pool corp: its children are not the pools whose source it is"),
    "a queue entry of no demand": (lambda s: s["queue"][0].update(demand=7),
                                   r"queue\[0\]\.demand must be the index of a demand entry"),
    "a folder under a folder its path does not name": (
        lambda s: s["org"]["edges"].append(["folder:Business/Retail", "folder:Business"]),
        r"state\.org\.edges\[\d+\] must be an edge from a folder to a folder of its path"),
    "an account in two folders": (
        lambda s: s["org"]["edges"].append(["folder:Business/Retail", "account:shop"]),
        r"state\.org is not a resource directory"),
    "a malformed principal": (
        lambda s: s["shares"]["shares"][0]["principals"].append("team:net"),
        r"state\.shares\.shares\[0\]\.principals\[\d\] must be a principal"),
    "two invitations of one account to one share": (
        lambda s: s["shares"]["invitations"].append(s["shares"]["invitations"][0]),
        r"state\.shares\.invitations\[\d\] must be the one invitation of its account"),
    "a queue entry the queue did not number": (
        lambda s: s["queue"][0].update(seq=s["seq"] + 1),
        r"state\.queue\[0\]\.seq must be a number the queue handed out"),
    "an expiry without its VPC": (
        lambda s: s["queue"][0].update(kind="expire"),
        r"state\.queue\[0\]\.vpc must be the VPC of an expiry"),
    "a series row of the wrong size": (lambda s: s["series"][0].pop(),
                                       r"state\.series\[0\] must be a list of 5 values"),
    "an unknown quota": (lambda s: s["quotas"].update(rockets=3),
                         r"state\.quotas: unknown quota 'rockets'"),
    "a VPC linked to another's allocation": (
        lambda s: next(v for v in s["model"]["vpcs"] if v["id"] == "vpc-shop")[
            "allocations"].append("dev-lab"),
        r"must be ids of the VPC allocations of vpc-shop"),
    "an event without a time": (lambda s: [row.__setitem__(0, None) for row in s["log"]["rows"]],
                                r"log\.rows\[0\]\.time must be of type datetime"),
    "an empty state": (lambda s: s.clear(), r"state has no field"),
}


@pytest.mark.parametrize("what", sorted(MALFORMED))
def test_a_state_save_would_not_write_is_refused_even_with_a_valid_checksum(saved, what):
    edit, pattern = MALFORMED[what]
    resign(saved, edit)
    refused(saved, r"^the state is malformed: .*" + pattern)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_damage_is_refused_or_harmless(tmp_path_factory, data):
    path = tmp_path_factory.getbasetemp() / "damaged.json"
    if not path.with_suffix(".orig").exists():
        simulation_after(9).save(path.with_suffix(".orig"))
    original = path.with_suffix(".orig").read_bytes()
    damaged = bytearray(original)
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(damaged) - 1))
        damaged[at] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        del damaged[data.draw(st.integers(0, len(damaged))):]
    path.write_bytes(bytes(damaged))
    try:
        back = Simulation.restore(path)
    except StateFileError as err:
        assert err.path == str(path) and err.problem
        return
    assert back.fingerprint() == Simulation.restore(path.with_suffix(".orig")).fingerprint()


# -- atomic writes ----------------------------------------------------------------------------
def listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_an_interrupted_save_leaves_the_previous_file_whole(tmp_path, monkeypatch):
    path = tmp_path / "state.json"
    simulation_after(3).save(path)
    before = path.read_bytes()
    later = simulation_after(STEPS)

    def power_cut(fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", power_cut)
    with pytest.raises(StateFileError, match=r"state\.json: cannot write the file: Input/output"):
        later.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert listing(tmp_path) == ["state.json"]
    assert Simulation.restore(path).fingerprint() == simulation_after(3).fingerprint()


def test_an_interrupt_during_the_write_leaves_no_half_file(tmp_path, monkeypatch):
    path = tmp_path / "state.json"
    real_replace = os.replace

    def interrupted(src, dst):
        assert Path(src).parent == tmp_path and Path(src).name.startswith(".state.json.")
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        simulation_after(3).save(path)
    monkeypatch.setattr(os, "replace", real_replace)
    assert listing(tmp_path) == []


def test_a_value_that_cannot_be_saved_writes_nothing(tmp_path):
    path = tmp_path / "state.json"
    simulation_after(3).save(path)
    before = path.read_bytes()
    sim = simulation_after(3)
    sim.hook = print
    with pytest.raises(StateFileError, match=r"cannot be saved: attribute hook of the "
                                             r"Simulation is not part of its saved state"):
        sim.save(path)
    sim = simulation_after(3)
    sim.add_demand(DemandSpec.of("net", "hz", 24, count=1, rate=math.nan))
    with pytest.raises(StateFileError, match=r"cannot be saved: it holds a number that is not "
                                             r"finite \(NaN or infinite\)"):
        sim.save(path)
    assert path.read_bytes() == before and listing(tmp_path) == ["state.json"]


def test_a_missing_directory_is_a_clear_error(tmp_path):
    with pytest.raises(StateFileError, match=r"cannot write the file: No such file"):
        simulation_after(0).save(tmp_path / "nowhere" / "state.json")


def test_a_saved_file_keeps_the_permissions_of_the_one_it_replaces(tmp_path):
    path = tmp_path / "state.json"
    simulation_after(0).save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    path.chmod(0o600)
    simulation_after(1).save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_refused_restore_is_a_usage_error_not_a_domain_error(saved):
    saved.write_text("{")
    with pytest.raises(UsageError):
        Simulation.restore(saved)
    assert not issubclass(StateFileError, DomainError)
