"""simkit serve --record: sessions recorded through the official SDKs, replayed with simkit
run, carried on after SIGKILL, and refused when the file is not a recording of the scenario."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

for _name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY",
              "all_proxy"):
    os.environ.pop(_name, None)     # the SDK honours proxies; the server is on this machine
os.environ["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] = "true"

pytest.importorskip("alibabacloud_vpcipam20230228")

from alibabacloud_resourcesharing20200110 import models as rm  # noqa: E402
from alibabacloud_resourcesharing20200110.client import Client as SharingClient  # noqa: E402
from alibabacloud_tea_openapi import models as open_api_models  # noqa: E402
from alibabacloud_tea_openapi.exceptions import ClientException  # noqa: E402
from alibabacloud_vpc20160428 import models as vm  # noqa: E402
from alibabacloud_vpc20160428.client import Client as VpcClient  # noqa: E402
from alibabacloud_vpcipam20230228 import models as im  # noqa: E402
from alibabacloud_vpcipam20230228.client import Client as IpamClient  # noqa: E402

import simkit  # noqa: E402
from simkit.scenario.loader import load  # noqa: E402
from simkit.scenario.operations import OPERATIONS  # noqa: E402
from simkit.server import serve  # noqa: E402
from simkit.server.app import CloudApi  # noqa: E402
from simkit.server.record import MARKER, records  # noqa: E402
from simkit.values.addresses import parse_cidr  # noqa: E402
from simkit.values.errors import ScenarioError  # noqa: E402

SCENARIOS = Path(__file__).parent.parent / "scenarios"
START = SCENARIOS / "serve.yaml"
HZ = "cn-hangzhou"


class Client:
    """The three SDK clients of one account against one server."""

    def __init__(self, endpoint: str, account: str) -> None:
        config = open_api_models.Config(access_key_id=account, access_key_secret="unused",
                                        endpoint=endpoint, protocol="http",
                                        read_timeout=5000, connect_timeout=2000)
        self.ipam = IpamClient(config)
        self.vpc = VpcClient(config)
        self.sharing = SharingClient(config)

    def allocate(self, mask: int = 28, pool: str = "hz") -> tuple[str, str]:
        body = self.ipam.create_ipam_pool_allocation(im.CreateIpamPoolAllocationRequest(
            region_id=HZ, ipam_pool_id=pool, cidr_mask=mask)).body
        return body.ipam_pool_allocation_id, body.cidr

    def release(self, allocation: str) -> None:
        self.ipam.delete_ipam_pool_allocation(im.DeleteIpamPoolAllocationRequest(
            region_id=HZ, ipam_pool_allocation_id=allocation))

    def allocations(self, pool: str = "hz") -> dict[str, str]:
        found: dict[str, str] = {}
        token = None
        while True:
            body = self.ipam.list_ipam_pool_allocations(im.ListIpamPoolAllocationsRequest(
                region_id=HZ, ipam_pool_id=pool, max_results=100, next_token=token)).body
            found.update((a.ipam_pool_allocation_id, a.cidr) for a in body.ipam_pool_allocations)
            token = body.next_token
            if not token:
                return found

    def new_vpc(self, mask: int | None = None) -> str:
        return self.vpc.create_vpc(vm.CreateVpcRequest(
            region_id=HZ, ipv_4ipam_pool_id="hz", ipv_4cidr_mask=mask)).body.vpc_id


def refused(fn, *args) -> str:
    with pytest.raises(ClientException) as info:
        fn(*args)
    return info.value.code


def simkit_run(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simkit", "run", str(path)],
                          capture_output=True, text=True, timeout=120)


def steps_of(path: Path) -> list[str]:
    return path.read_text().split(MARKER + "\n", 1)[1].splitlines()


def a_session(endpoint: str) -> dict[str, str]:
    """One session of calls through the SDKs; what it made."""
    net, partner, prod = (Client(endpoint, a) for a in ("netadmin", "partner", "retail-prod"))
    share = net.sharing.create_resource_share(rm.CreateResourceShareRequest(
        resource_share_name="business", targets=["fd-business", "partner"],
        resources=[rm.CreateResourceShareRequestResources(resource_id="hz",
                                                          resource_type="IpamPool")],
        allow_external_targets=True)).body.resource_share.resource_share_id
    invitation = partner.sharing.list_resource_share_invitations(
        rm.ListResourceShareInvitationsRequest()).body.resource_share_invitations[0]
    partner.sharing.accept_resource_share_invitation(rm.AcceptResourceShareInvitationRequest(
        resource_share_invitation_id=invitation.resource_share_invitation_id))
    shop = prod.new_vpc(20)
    ext = partner.new_vpc()
    allocation, _ = net.allocate(24)
    assert refused(prod.ipam.delete_ipam_pool, im.DeleteIpamPoolRequest(
        region_id=HZ, ipam_pool_id="hz")) == "Forbidden"
    assert refused(prod.ipam.create_ipam_pool_allocation, im.CreateIpamPoolAllocationRequest(
        region_id=HZ, ipam_pool_id="hz", cidr_mask=24, dry_run=True)) == "DryRunOperation"
    assert refused(net.ipam.list_ipam_pool_cidrs, im.ListIpamPoolCidrsRequest(
        region_id=HZ, ipam_pool_id="nope")).startswith("ResourceNotFound")
    net.allocations()                       # a read that succeeds: not a step
    net.release(allocation)
    prod.vpc.delete_vpc(vm.DeleteVpcRequest(region_id=HZ, vpc_id=shop))
    return {"share": share, "shop": shop, "ext": ext, "allocation": allocation}


def test_an_sdk_session_is_a_scenario_that_replays(tmp_path):
    session = tmp_path / "session.yaml"
    with serve(START, record=session) as endpoint:
        made = a_session(endpoint.endpoint)
        state = endpoint.api.sim.fingerprint()
    text = session.read_text()
    assert text.startswith(START.read_text())
    lines = steps_of(session)
    # every change and every refusal; the DryRun as a comment; the successful reads not at all
    ops = [line.split(",")[0].removeprefix("  - {op: ") for line in lines
           if line.startswith("  - {op:")]
    assert ops == ["create_resource_share", "accept_resource_share_invitation", "create_vpc",
                   "create_vpc", "create_ipam_pool_allocation", "delete_ipam_pool",
                   "list_ipam_pool_cidrs", "delete_ipam_pool_allocation", "delete_vpc"]
    assert f"share: {made['share']}" in lines[1] and "expect" not in lines[2]
    assert f"vpc: {made['shop']}" in lines[3] and "expect: {cidr: 10.16.0.0/20}" in lines[3]
    assert "expect: {error: Forbidden}" in lines[6]
    assert lines[7].startswith("# DryRun {op: create_ipam_pool_allocation, as: retail-prod")
    assert lines[7].endswith("-> DryRunOperation; changed nothing")
    # simkit run replays it: every recorded outcome comes again, to the same state
    done = simkit_run(session)
    assert done.returncode == 0, done.stdout + done.stderr
    assert simkit.run(session).simulation.fingerprint() == state
    # the same calls give the same bytes
    again = tmp_path / "again.yaml"
    with serve(START, record=again) as endpoint:
        assert a_session(endpoint.endpoint) == made
    assert again.read_bytes() == session.read_bytes()


def test_reads_that_succeed_change_nothing():
    """The rule for what is recorded: a List/Describe/Get call leaves the state as it was."""
    api = CloudApi(load(START))
    before = api.sim.fingerprint()
    reads = [op for op in OPERATIONS.values() if op.wire and not records(op, refused=False)]
    assert {op.name for op in reads} >= {"list_ipam_pools", "describe_vpcs",
                                         "get_ipam_pool_next_available_cidr"}
    for op in reads:
        args = {name: {"pool": "hz", "mask": 24, "association_type": "Target"}.get(name)
                for name, spec in op.args.items() if spec.required}
        api.sim.do("netadmin", op.name, **args)
    assert api.sim.fingerprint() == before


def test_a_session_goes_on_after_its_server_is_gone(tmp_path):
    session = tmp_path / "s.yaml"
    with serve(START, record=session) as endpoint:
        first = Client(endpoint.endpoint, "netadmin").allocate(24)
        vpc = Client(endpoint.endpoint, "netadmin").new_vpc()
        gone, _ = Client(endpoint.endpoint, "netadmin").allocate(24)
        Client(endpoint.endpoint, "netadmin").release(gone)
    with serve(START, record=session) as endpoint:
        net = Client(endpoint.endpoint, "netadmin")
        assert net.allocations()[first[0]] == first[1]
        second = net.allocate(24)
        assert second[0] not in (first[0], gone) and second[1] != first[1]
        assert net.new_vpc() != vpc
    # without the starting file, the session file's own start serves
    with serve(None, record=session) as endpoint:
        assert set(Client(endpoint.endpoint, "netadmin").allocations()) >= {first[0],
                                                                           second[0]}
    assert simkit_run(session).returncode == 0


# -- SIGKILL in the middle of a burst ------------------------------------------------------
def start_server(session: Path, *extra: str) -> tuple[subprocess.Popen, str]:
    """``simkit serve`` as a process: (process, its endpoint)."""
    proc = subprocess.Popen([sys.executable, "-m", "simkit", "serve", str(START), "--record",
                             str(session), "--port", "0", "--clock", "frozen", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    banner = proc.stdout.readline()
    assert "serving" in banner, proc.stderr.read()
    return proc, banner.strip().rsplit("//", 1)[1]


def test_sigkill_in_a_burst_loses_no_acknowledged_allocation(tmp_path):
    session = tmp_path / "burst.yaml"
    rng = random.Random(15)
    acknowledged: dict[str, str] = {}
    for _ in range(4):
        proc, endpoint = start_server(session)
        net = Client(endpoint, "netadmin")
        listed = net.allocations()
        for allocation, cidr in acknowledged.items():      # every acknowledged one is there
            assert listed.get(allocation) == cidr
        stop = threading.Event()

        def burst(client=net, stop=stop) -> None:
            while not stop.is_set():
                try:
                    allocation, cidr = client.allocate(rng.choice((26, 27, 28)))
                except Exception:      # noqa: BLE001 - the server was killed under the call
                    return
                acknowledged[allocation] = cidr

        worker = threading.Thread(target=burst)
        worker.start()
        time.sleep(rng.uniform(0.05, 0.6))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        stop.set()
        worker.join()
        proc.stdout.close()
        proc.stderr.close()
    proc, endpoint = start_server(session)
    try:
        net = Client(endpoint, "netadmin")
        listed = net.allocations()
        assert len(acknowledged) > 4
        assert {a: listed.get(a) for a in acknowledged} == acknowledged
        fresh, cidr = net.allocate(28)
        assert fresh not in acknowledged
        assert not any(parse_cidr(cidr).overlaps(parse_cidr(c)) for c in listed.values())
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)
    assert simkit_run(session).returncode == 0


# -- damaged session files -----------------------------------------------------------------
def recorded(tmp_path: Path, calls: int = 3) -> tuple[Path, list[tuple[str, str]]]:
    session = tmp_path / "s.yaml"
    with serve(START, record=session) as endpoint:
        net = Client(endpoint.endpoint, "netadmin")
        made = [net.allocate(24) for _ in range(calls)]
    return session, made


def test_a_half_written_last_line_is_dropped_and_said(tmp_path):
    session, made = recorded(tmp_path)
    whole = session.read_bytes()
    session.write_bytes(whole + b"  - {op: create_ipam_pool_allocation, as: net")
    proc, endpoint = start_server(session)
    try:
        assert Client(endpoint, "netadmin").allocations() == dict(made)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
    assert "dropped a half-written last line (45 bytes)" in err
    assert session.read_bytes() == whole
    # a cut in the middle of an acknowledged step's line: that call is lost, the rest is kept
    session.write_bytes(whole[:-10])
    api, notes = CloudApi.recording(session, load(START))
    api.journal.close()
    assert len(notes) == 1
    assert {made[0][0], made[1][0]} <= set(api.sim.model.allocations)
    assert made[2][0] not in api.sim.model.allocations


@pytest.mark.parametrize("damage, says", [
    (lambda lines: lines[:-3] + ["  - {op: create_ipam_pool_allocation"] + lines[-2:],
     "is not a recorded step"),
    (lambda lines: [line.replace("10.16.1.0/24", "10.16.9.0/24") for line in lines],
     "does not replay: expected cidr: 10.16.9.0/24, got 10.16.1.0/24"),
    (lambda lines: [line.replace("as: netadmin", "as: nobody") for line in lines],
     "the session file is corrupt"),
])
def test_a_corrupt_session_file_is_refused_and_left_alone(tmp_path, damage, says):
    session, _ = recorded(tmp_path)
    lines = session.read_text().splitlines()
    session.write_text("\n".join(damage(lines)) + "\n")
    before = session.read_bytes()
    done = subprocess.run([sys.executable, "-m", "simkit", "serve", str(START), "--record",
                           str(session), "--port", "0"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2
    assert says in done.stderr and "Traceback" not in done.stderr
    assert session.read_bytes() == before


def test_a_session_of_another_file_is_refused(tmp_path):
    session, _ = recorded(tmp_path)
    before = session.read_bytes()
    with pytest.raises(ScenarioError, match="does not begin with the text of"):
        CloudApi.recording(session, load(SCENARIOS / "quickstart.yaml"))
    assert session.read_bytes() == before


def test_a_session_file_that_cannot_be_written_stops_the_server(tmp_path):
    api, _ = CloudApi.recording(tmp_path / "s.yaml", load(START))
    headers = {"x-acs-action": "CreateIpamPoolAllocation", "x-acs-version": "2023-02-28",
               "authorization": "ACS3-HMAC-SHA256 Credential=netadmin"}
    params = {"RegionId": HZ, "IpamPoolId": "hz", "CidrMask": "28"}
    assert api.handle("POST", "/", headers, params)[0] == 200
    api.journal.close()
    api.journal._fd = os.open(tmp_path / "s.yaml", os.O_RDONLY)   # writes now fail
    for _ in range(2):
        status, body = api.handle("POST", "/", headers, params)
        assert (status, body["Code"]) == (500, "InternalError")
        assert "cannot be written" in body["Message"]


# -- the clock -----------------------------------------------------------------------------
def post(url: str) -> tuple[int, dict]:
    request = urllib.request.Request(url, method="POST")
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)


def test_advance_expires_an_invitation_and_is_recorded(tmp_path):
    session = tmp_path / "clock.yaml"
    with serve(START, record=session) as endpoint:
        net, partner = Client(endpoint.endpoint, "netadmin"), Client(endpoint.endpoint,
                                                                     "partner")
        net.sharing.create_resource_share(rm.CreateResourceShareRequest(
            resource_share_name="late", targets=["partner"], allow_external_targets=True,
            resources=[rm.CreateResourceShareRequestResources(resource_id="hz",
                                                              resource_type="IpamPool")]))
        invitation = partner.sharing.list_resource_share_invitations(
            rm.ListResourceShareInvitationsRequest()).body.resource_share_invitations[0]
        assert post(endpoint.url + "/_simkit/advance?by=8d") == (
            200, {"now": "2026-01-09T00:00:00Z"})
        status = partner.sharing.list_resource_share_invitations(
            rm.ListResourceShareInvitationsRequest()).body.resource_share_invitations[0].status
        assert status == "Expired"
        code = refused(partner.sharing.accept_resource_share_invitation,
                       rm.AcceptResourceShareInvitationRequest(
                           resource_share_invitation_id=invitation.resource_share_invitation_id))
        assert post(endpoint.url + "/_simkit/advance?by=soon")[0] == 400
        assert post(endpoint.url + "/_simkit/reset")[0] == 409   # a recording cannot go back
    lines = steps_of(session)
    assert lines[-2] == "  - {advance: 8d}"
    assert lines[-1].startswith("  - {op: accept_resource_share_invitation, as: partner")
    assert lines[-1].endswith(f"expect: {{error: {code}}}}}")
    assert simkit_run(session).returncode == 0


def test_the_wall_clock_moves_in_whole_seconds_and_is_recorded(tmp_path, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr("simkit.server.app.time.monotonic", lambda: now[0])
    session = tmp_path / "wall.yaml"
    api, _ = CloudApi.recording(session, load(START), clock="wall")
    headers = {"x-acs-action": "CreateIpamPoolAllocation", "x-acs-version": "2023-02-28",
               "authorization": "ACS3-HMAC-SHA256 Credential=netadmin"}
    params = {"RegionId": HZ, "IpamPoolId": "hz", "CidrMask": "28"}
    for moved in (0.4, 0.7, 3600 * 24 * 8):
        now[0] += moved
        assert api.handle("POST", "/", headers, params)[0] == 200
    api.journal.close()
    lines = steps_of(session)
    assert [line for line in lines if "at:" in line] == [
        "  - {at: '2026-01-01T00:00:00Z'}", "  - {at: '2026-01-01T00:00:01Z'}",
        "  - {at: '2026-01-09T00:00:01Z'}"]
    assert simkit_run(session).returncode == 0


# -- load ----------------------------------------------------------------------------------
@pytest.mark.slow
def test_eight_clients_under_load_lose_nothing_and_replay(tmp_path):
    session = tmp_path / "load.yaml"
    threads, calls = 8, 200
    acknowledged: dict[str, str] = {}
    released: set[str] = set()
    lock = threading.Lock()
    with serve(START, record=session) as endpoint:
        def worker(seed: int) -> None:
            rng = random.Random(seed)
            client = Client(endpoint.endpoint, "netadmin")
            mine: list[str] = []
            for _ in range(calls):
                pick = rng.random()
                if pick < 0.45:
                    allocation, cidr = client.allocate(rng.choice((26, 27, 28)))
                    mine.append(allocation)
                    with lock:
                        acknowledged[allocation] = cidr
                elif pick < 0.6 and mine:
                    gone = mine.pop(rng.randrange(len(mine)))
                    client.release(gone)
                    with lock:
                        released.add(gone)
                elif pick < 0.75:
                    client.new_vpc(28)
                else:
                    client.allocations()

        pool = [threading.Thread(target=worker, args=(seed,)) for seed in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        listed = Client(endpoint.endpoint, "netadmin").allocations()
        state = endpoint.api.sim.fingerprint()
    kept = {a: c for a, c in acknowledged.items() if a not in released}
    assert {a: listed.get(a) for a in kept} == kept
    assert not set(listed) & released
    blocks = sorted(parse_cidr(c) for c in listed.values())
    assert all(not x.overlaps(y) for x, y in zip(blocks, blocks[1:], strict=False))
    assert simkit.run(session).simulation.fingerprint() == state
