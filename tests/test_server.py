"""simkit serve, driven only through the official Alibaba Cloud SDKs (and raw HTTP for
the requests no SDK would send)."""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import os
import socket
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
from alibabacloud_tea_util import models as util_models  # noqa: E402
from alibabacloud_vpc20160428 import models as vm  # noqa: E402
from alibabacloud_vpc20160428.client import Client as VpcClient  # noqa: E402
from alibabacloud_vpcipam20230228 import models as im  # noqa: E402
from alibabacloud_vpcipam20230228.client import Client as IpamClient  # noqa: E402

import simkit  # noqa: E402
from simkit.scenario.loader import load  # noqa: E402
from simkit.scenario.operations import OPERATIONS  # noqa: E402
from simkit.scenario.wire import invitation_id  # noqa: E402
from simkit.server import serve  # noqa: E402

DATA = Path(__file__).parent / "data"
SCENARIOS = Path(__file__).parent.parent / "scenarios"
HZ = "cn-hangzhou"


@pytest.fixture(scope="module")
def endpoint():
    with serve(SCENARIOS / "serve.yaml") as running:
        yield running


@pytest.fixture(autouse=True)
def fresh(request):
    if "endpoint" in request.fixturenames:
        request.getfixturevalue("endpoint").reset()


def config(endpoint, account, secret="unused", **kwargs):
    return open_api_models.Config(access_key_id=account, access_key_secret=secret,
                                  endpoint=endpoint.endpoint, protocol="http", **kwargs)


def ipam(endpoint, account, **kw):
    return IpamClient(config(endpoint, account, **kw))


def vpc(endpoint, account, **kw):
    return VpcClient(config(endpoint, account, **kw))


def sharing(endpoint, account, **kw):
    return SharingClient(config(endpoint, account, **kw))


def refused(fn, *args):
    with pytest.raises(ClientException) as info:
        fn(*args)
    return info.value.code


def share_hz(endpoint):
    """netadmin shares hz with the Business folder and partner; partner accepts."""
    made = sharing(endpoint, "netadmin").create_resource_share(rm.CreateResourceShareRequest(
        resource_share_name="business", targets=["fd-business", "partner"],
        resources=[rm.CreateResourceShareRequestResources(resource_id="hz",
                                                          resource_type="IpamPool")],
        allow_external_targets=True)).body.resource_share
    partner = sharing(endpoint, "partner")
    invitations = partner.list_resource_share_invitations(
        rm.ListResourceShareInvitationsRequest()).body.resource_share_invitations
    assert [(i.resource_share_id, i.status) for i in invitations] == [
        (made.resource_share_id, "Pending")]
    accepted = partner.accept_resource_share_invitation(
        rm.AcceptResourceShareInvitationRequest(
            resource_share_invitation_id=invitations[0].resource_share_invitation_id))
    assert accepted.body.resource_share_invitation.status == "Accepted"
    return made.resource_share_id


def new_vpc(endpoint, account, mask=None, pool="hz", **kw):
    return vpc(endpoint, account).create_vpc(vm.CreateVpcRequest(
        region_id=HZ, ipv_4ipam_pool_id=pool, ipv_4cidr_mask=mask, **kw)).body.vpc_id


def vpcs_of(endpoint, account):
    body = vpc(endpoint, account).describe_vpcs(vm.DescribeVpcsRequest(region_id=HZ)).body
    return {v.vpc_id: (v.cidr_block, v.secondary_cidr_blocks.secondary_cidr_block, v.status)
            for v in body.vpcs.vpc}


def allocations(endpoint, account="netadmin", pool="hz"):
    body = ipam(endpoint, account).list_ipam_pool_allocations(
        im.ListIpamPoolAllocationsRequest(region_id=HZ, ipam_pool_id=pool,
                                          max_results=100)).body
    return sorted((a.cidr, a.resource_type, a.resource_id, a.resource_owner_id)
                  for a in body.ipam_pool_allocations)


def test_the_walkthrough(endpoint):
    share = share_hz(endpoint)
    assert share.startswith("rs-")
    # principals in the folder and the outside account draw VPCs and a secondary CIDR
    shop = new_vpc(endpoint, "retail-prod", 20)
    ext = new_vpc(endpoint, "partner")                  # the pool's default mask, /24
    cidr = vpc(endpoint, "partner").associate_vpc_cidr_block(vm.AssociateVpcCidrBlockRequest(
        region_id=HZ, vpc_id=ext, ipam_pool_id="hz", secondary_cidr_mask=24)).body.cidr_block
    assert shop.startswith("vpc-") and cidr == "10.16.17.0/24"
    assert vpcs_of(endpoint, "retail-prod") == {shop: ("10.16.0.0/20", [], "Available")}
    assert vpcs_of(endpoint, "partner") == {ext: ("10.16.16.0/24", ["10.16.17.0/24"],
                                                  "Available")}
    # the owner sees the usage, not the principals' VPCs
    assert vpcs_of(endpoint, "netadmin") == {}
    assert allocations(endpoint) == [("10.16.0.0/20", "VPC", shop, "retail-prod"),
                                     ("10.16.16.0/24", "VPC", ext, "partner"),
                                     ("10.16.17.0/24", "VPC", ext, "partner")]
    # the principal cannot delete the pool; the owner cancels the share
    assert refused(ipam(endpoint, "retail-prod").delete_ipam_pool,
                   im.DeleteIpamPoolRequest(region_id=HZ, ipam_pool_id="hz")) == "Forbidden"
    sharing(endpoint, "netadmin").delete_resource_share(
        rm.DeleteResourceShareRequest(resource_share_id=share))
    assert refused(vpc(endpoint, "partner").create_vpc, vm.CreateVpcRequest(
        region_id=HZ, ipv_4ipam_pool_id="hz")) == "ResourceNotFound.IpamPool"
    # what principals made stays; deleting a VPC releases its allocations
    assert len(allocations(endpoint)) == 3
    vpc(endpoint, "partner").delete_vpc(vm.DeleteVpcRequest(region_id=HZ, vpc_id=ext))
    assert allocations(endpoint) == [("10.16.0.0/20", "VPC", shop, "retail-prod")]
    listed = sharing(endpoint, "netadmin").list_resource_shares(
        rm.ListResourceSharesRequest(resource_owner="Self")).body.resource_shares
    assert [(s.resource_share_id, s.resource_share_name, s.resource_share_status)
            for s in listed] == [(share, "business", "Deleted")]


def test_a_principal_cannot_leave(endpoint):
    share = share_hz(endpoint)
    leave = rm.DisassociateResourceShareRequest(resource_share_id=share,
                                                resource_owner="OtherAccounts")
    code = refused(sharing(endpoint, "retail-prod").disassociate_resource_share, leave)
    run = simkit.Simulation.from_scenario(load(SCENARIOS / "serve.yaml"))
    run.do("netadmin", "create_resource_share", share=share, resources=["hz"],
           principals=["folder:Business"])
    with pytest.raises(simkit.DomainError) as same:     # the step simkit run would make
        run.do("retail-prod", "disassociate_resource_share", share=share,
               principals=["account:retail-prod"])
    assert code == same.value.code
    assert "Associated" in {a.association_status for a in sharing(
        endpoint, "netadmin").list_resource_share_associations(
        rm.ListResourceShareAssociationsRequest(association_type="Target")).body
        .resource_share_associations}


def _matrix_calls(pool="hz"):
    """Each row of the owner/principal table as one SDK call, by client kind."""
    return {
        "create_vpc": ("vpc", "create_vpc", vm.CreateVpcRequest(
            region_id=HZ, ipv_4ipam_pool_id=pool, ipv_4cidr_mask=24)),
        "delete_ipam_pool": ("ipam", "delete_ipam_pool", im.DeleteIpamPoolRequest(
            region_id=HZ, ipam_pool_id=pool)),
        "update_ipam_pool": ("ipam", "update_ipam_pool", im.UpdateIpamPoolRequest(
            region_id=HZ, ipam_pool_id=pool, ipam_pool_name="renamed")),
        "update_ipam_pool_rules": ("ipam", "update_ipam_pool", im.UpdateIpamPoolRequest(
            region_id=HZ, ipam_pool_id=pool, allocation_max_cidr_mask=27)),
        "update_ipam_pool_auto_import": ("ipam", "update_ipam_pool", im.UpdateIpamPoolRequest(
            region_id=HZ, ipam_pool_id=pool, auto_import=True)),
        "list_ipam_pools": ("ipam", "list_ipam_pools", im.ListIpamPoolsRequest(
            region_id=HZ, ipam_pool_ids=[pool])),
        "list_ipam_pool_cidrs": ("ipam", "list_ipam_pool_cidrs", im.ListIpamPoolCidrsRequest(
            region_id=HZ, ipam_pool_id=pool)),
        "add_ipam_pool_cidr": ("ipam", "add_ipam_pool_cidr", im.AddIpamPoolCidrRequest(
            region_id=HZ, ipam_pool_id=pool, netmask_length=16)),
        "delete_ipam_pool_cidr": ("ipam", "delete_ipam_pool_cidr", im.DeleteIpamPoolCidrRequest(
            region_id=HZ, ipam_pool_id=pool, cidr="10.16.0.0/12")),
        "create_ipam_pool_allocation": ("ipam", "create_ipam_pool_allocation",
                                        im.CreateIpamPoolAllocationRequest(
                                            region_id=HZ, ipam_pool_id=pool, cidr_mask=26)),
        "list_ipam_pool_allocations": ("ipam", "list_ipam_pool_allocations",
                                       im.ListIpamPoolAllocationsRequest(
                                           region_id=HZ, ipam_pool_id=pool)),
        "list_ipam_resource_cidrs": ("ipam", "list_ipam_resource_cidrs",
                                     im.ListIpamResourceCidrsRequest(
                                         region_id=HZ, ipam_pool_id=pool)),
    }


@pytest.mark.parametrize("row", sorted(_matrix_calls()))
def test_the_owner_principal_table(endpoint, row):
    from simkit.model.permissions import MATRIX

    share_hz(endpoint)
    kind, method, request = _matrix_calls()[row]
    client = {"ipam": ipam, "vpc": vpc}[kind](endpoint, "retail-prod")
    principal_may = {r.action: r for r in MATRIX}[row].principal != "no"
    if principal_may:
        getattr(client, method)(request)
    else:
        assert refused(getattr(client, method), request) == "Forbidden"
    owner = {"ipam": ipam, "vpc": vpc}[kind](endpoint, "netadmin")
    if row == "delete_ipam_pool":      # the owner may, but the pool is still shared
        assert refused(owner.delete_ipam_pool, request) == "DependencyViolation.ShareResource"
    else:
        getattr(owner, method)(request)


def test_resource_cidrs_without_a_pool_are_those_of_the_callers_ipams(endpoint):
    made = new_vpc(endpoint, "netadmin", 24)
    owner = ipam(endpoint, "netadmin")
    rows = owner.list_ipam_resource_cidrs(
        im.ListIpamResourceCidrsRequest(region_id=HZ)).body.ipam_resource_cidrs
    assert made in {r.resource_id for r in rows}
    in_pool = owner.list_ipam_resource_cidrs(im.ListIpamResourceCidrsRequest(
        region_id=HZ, ipam_pool_id="hz")).body.ipam_resource_cidrs
    assert {r.cidr for r in in_pool} <= {r.cidr for r in rows}
    scope = next(r.ipam_scope_id for r in rows if r.resource_id == made)
    scoped = owner.list_ipam_resource_cidrs(im.ListIpamResourceCidrsRequest(
        region_id=HZ, ipam_scope_id=scope)).body.ipam_resource_cidrs
    assert scoped and {r.ipam_scope_id for r in scoped} == {scope}
    ipams = owner.list_ipams(im.ListIpamsRequest(region_id=HZ)).body.ipams
    assert {r.ipam_id for r in scoped} <= {i.ipam_id for i in ipams}
    # an account that owns no IPAM sees no resource CIDR, and is not refused
    assert ipam(endpoint, "retail-prod").list_ipam_resource_cidrs(
        im.ListIpamResourceCidrsRequest(region_id=HZ)).body.ipam_resource_cidrs == []


def test_paging_over_more_than_one_page(endpoint):
    client = ipam(endpoint, "netadmin")
    made = [client.create_ipam_pool_allocation(im.CreateIpamPoolAllocationRequest(
        region_id=HZ, ipam_pool_id="hz", cidr_mask=24)).body.ipam_pool_allocation_id
        for _ in range(23)]
    assert len(set(made)) == 23 and all(a.startswith("ipam-pool-alloc-") for a in made)
    seen, token, pages = [], None, 0
    while True:
        body = client.list_ipam_pool_allocations(im.ListIpamPoolAllocationsRequest(
            region_id=HZ, ipam_pool_id="hz", max_results=10, next_token=token)).body
        pages += 1
        assert body.total_count == 23 and body.count == len(body.ipam_pool_allocations)
        seen += [a.ipam_pool_allocation_id for a in body.ipam_pool_allocations]
        token = body.next_token
        if not token:
            break
    assert pages == 3 and sorted(seen) == sorted(made)
    # a token belongs to its query
    first = client.list_ipam_pool_allocations(im.ListIpamPoolAllocationsRequest(
        region_id=HZ, ipam_pool_id="hz", max_results=10)).body.next_token
    assert refused(client.list_ipam_pools, im.ListIpamPoolsRequest(
        region_id=HZ, next_token=first)) == "InvalidParameter.Value"
    # DescribeVpcs pages by number
    for _ in range(3):
        new_vpc(endpoint, "netadmin", 24)
    pages = [vpc(endpoint, "netadmin").describe_vpcs(vm.DescribeVpcsRequest(
        region_id=HZ, page_size=2, page_number=n)).body for n in (1, 2)]
    assert [len(p.vpcs.vpc) for p in pages] == [2, 1]
    assert {p.total_count for p in pages} == {3}


def test_dry_run_changes_nothing(endpoint):
    request = vm.CreateVpcRequest(region_id=HZ, ipv_4ipam_pool_id="hz", ipv_4cidr_mask=20,
                                  dry_run=True)
    assert refused(vpc(endpoint, "netadmin").create_vpc, request) == "DryRunOperation"
    assert vpcs_of(endpoint, "netadmin") == {}
    request.ipv_4cidr_mask = 8
    assert refused(vpc(endpoint, "netadmin").create_vpc,
                   request) == "OperationDenied.MaskOfCidrIsNotAllowed"
    # the next real create gets the first block: nothing was taken
    assert allocations(endpoint) == []
    new_vpc(endpoint, "netadmin", 20)
    assert [a[0] for a in allocations(endpoint)] == ["10.16.0.0/20"]


def test_ids_are_deterministic(endpoint):
    first = [new_vpc(endpoint, "netadmin", 24) for _ in range(2)]
    endpoint.reset()
    assert [new_vpc(endpoint, "netadmin", 24) for _ in range(2)] == first


@pytest.fixture(scope="module")
def keyed():
    with serve(DATA / "serve_keys.yaml") as running:
        yield running


@pytest.mark.parametrize("algorithm", [None, "v2"])
def test_signatures_with_declared_keys(keyed, algorithm):
    kw = {"signature_algorithm": algorithm} if algorithm else {}

    def call(key, secret):
        client = IpamClient(config(keyed, key, secret, **kw))
        return client.list_ipams(im.ListIpamsRequest(region_id=HZ)).body.ipams

    assert call("LTAI-netadmin", "s3cret") == []
    with pytest.raises(ClientException) as bad:
        call("LTAI-netadmin", "wrong")
    assert bad.value.code == "SignatureDoesNotMatch" and bad.value.status_code == 400
    with pytest.raises(ClientException) as unknown:
        call("netadmin", "s3cret")        # an account name is no key once keys are declared
    assert unknown.value.code == "InvalidAccessKeyId.NotFound"


def test_an_unknown_account_is_an_unknown_key(endpoint):
    assert refused(ipam(endpoint, "nobody").list_ipams,
                   im.ListIpamsRequest(region_id=HZ)) == "InvalidAccessKeyId.NotFound"


# -- bad requests -------------------------------------------------------------------------
def raw(endpoint, method, path, headers=None, body=b""):
    conn = http.client.HTTPConnection(endpoint.host, endpoint.port, timeout=10)
    conn.request(method, path, body=body, headers=headers or {})
    answer = conn.getresponse()
    data = answer.read()
    conn.close()
    import json

    return answer.status, json.loads(data)


ACS = {"authorization": "ACS3-HMAC-SHA256 Credential=netadmin,SignedHeaders=host,Signature=0"}


def still_serving(endpoint):
    assert ipam(endpoint, "netadmin").list_ipams(im.ListIpamsRequest(region_id=HZ)).body


@pytest.mark.parametrize("case", ["unknown action", "unknown version", "missing parameter",
                                  "wrong type", "v2 style", "oversized url", "oversized body"])
def test_bad_requests_get_json_errors(endpoint, case):
    head = {**ACS, "x-acs-action": "CreateVpc", "x-acs-version": "2016-04-28"}
    path, want = "/?RegionId=cn-hangzhou&Ipv4IpamPoolId=hz&Ipv4CidrMask=24", None
    body = b""
    if case == "unknown action":
        head["x-acs-action"], want = "CreateVcp", (404, "InvalidAction.NotFound")
    elif case == "unknown version":
        head["x-acs-version"], want = "2099-01-01", (404, "InvalidAction.NotFound")
    elif case == "missing parameter":
        path, want = "/?Ipv4IpamPoolId=hz", (400, "MissingParameter")
    elif case == "wrong type":
        path, want = "/?RegionId=cn-hangzhou&Ipv4IpamPoolId=hz&Ipv4CidrMask=big", (
            400, "InvalidParameter.Value")
    elif case == "v2 style":
        head = {}
        path = ("/?Action=DescribeVpcs&Version=2016-04-28&AccessKeyId=netadmin"
                "&RegionId=cn-hangzhou&Format=JSON")
        want = (200, None)
    elif case == "oversized url":
        path, want = "/?x=" + "a" * 20000, (414, "InvalidRequest.TooLarge")
    else:
        head["Content-Length"] = str(2 * 1024 * 1024)     # refused before it is read
        want = (413, "InvalidRequest.TooLarge")
    status, answer = raw(endpoint, "POST", path, head, body)
    assert "RequestId" in answer
    assert (status, answer.get("Code")) == want
    still_serving(endpoint)


def test_malformed_http_and_disconnects_do_not_hurt(endpoint):
    for data in (b"\x00\xffNOT HTTP\r\n\r\n", b"POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\n"
                 b"only a part", b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n"):
        with socket.create_connection((endpoint.host, endpoint.port), timeout=5) as s:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            with contextlib.suppress(OSError):
                s.recv(4096)
    still_serving(endpoint)


def test_the_control_endpoint(endpoint):
    new_vpc(endpoint, "netadmin", 20)
    status, state = raw(endpoint, "GET", "/_simkit/state")
    assert status == 200
    hz = [row for row in state["utilisation"] if row["pool"] == "hz"][0]
    assert hz["allocated_ips"] == 4096
    status, events = raw(endpoint, "GET", "/_simkit/events")
    assert [(e["source"], e["op"], e["outcome"], e["cidr"]) for e in events] == [
        ("wire", "create_vpc", "ok", "10.16.0.0/20")]
    assert raw(endpoint, "POST", "/_simkit/reset")[0] == 200
    assert raw(endpoint, "GET", "/_simkit/events") == (200, [])


def test_concurrent_clients_never_overlap(endpoint):
    from concurrent.futures import ThreadPoolExecutor

    def draw(_):
        return ipam(endpoint, "netadmin").create_ipam_pool_allocation(
            im.CreateIpamPoolAllocationRequest(region_id=HZ, ipam_pool_id="hz",
                                               cidr_mask=24)).body.cidr

    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(draw, range(40)))
    assert len(set(got)) == 40
    assert sorted(a[0] for a in allocations(endpoint)) == sorted(got)


def test_serve_without_a_file_has_one_account():
    with serve() as running:
        assert IpamClient(config(running, "admin")).list_ipams(
            im.ListIpamsRequest(region_id=HZ)).body.ipams == []


# -- the generated table: the wire's code is simkit run's code, for every operation -------
def _refused_steps():
    """For each operation with a wire: the first refused step of the shipped scenarios."""
    found = {}
    for path in sorted(SCENARIOS.glob("*.yaml")):
        scenario = load(path)
        run = simkit.run(scenario)
        for position, step in enumerate(scenario.steps):
            if step.kind != "op" or OPERATIONS[step.op].wire is None or step.op in found:
                continue
            op = OPERATIONS[step.op]
            carried = {arg.partition(".")[0] for arg in op.wire.params.values()
                       if isinstance(arg, str)} | {op.makes, "ipam"}
            if step.op.endswith("_resource_share_invitation"):
                carried.add("share")                # named by its invitation on the wire
            if set(step.args) - carried:     # an argument the API has no parameter for
                continue
            event = next(e for e in run.log if e.source == "step" and e.step == step.index)
            if step.op == "create_ipam_pool" and ({"cidrs", "masks"} & set(step.args) or
                                                  event.error_code == "ResourceNotFound.Ipam"):
                continue      # CreateIpamPool names a scope, not an IPAM, and carries no CIDR
            if event.outcome == "error" and "Exist" not in event.error_code:
                found[step.op] = (path.name, position, event.error_code)
    return found


REFUSED = _refused_steps()


def _wire_params(sim, scenario, step):
    """A scenario step as request parameters, read backwards from the operation's Wire."""
    op = OPERATIONS[step.op]
    args = dict(step.args)
    params = {}
    folder_of = {path: fid for fid, path in scenario.folder_ids.items()}
    for name, arg in op.wire.params.items():
        if isinstance(arg, tuple) or (arg == "region" and not op.own_region):
            continue
        head, _, key = arg.partition(".")
        value = args.get(head)
        if key and isinstance(value, dict):
            value = value.get(key)
        if value is None or (name.startswith("ResourceArns") and arg == "resources"):
            continue
        if name.endswith(".N") or ".N." in name:
            for i, item in enumerate(value, 1):
                if arg == "principals":
                    p = sim.org.parse_principal(str(item))
                    item = scenario.rd_id if p.kind == "rd" else (
                        folder_of[p.value] if p.kind == "folder" else p.value)
                params[name.replace(".N", f".{i}", 1)] = str(item)
        else:
            params[name] = str(value).lower() if isinstance(value, bool) else str(value)
    if op.name == "create_ipam_pool" and params.get("IpamScopeId", "public") == "public":
        home = sim.model.ipams.get(args["ipam"])          # the wire names the scope: the
        public = args.get("scope") == "public" or args.get("ip_version") == "IPv6"
        params["IpamScopeId"] = (home.scopes[1 if public else 0] if home  # public one for
                                 else args["ipam"])                       # IPv6
    if op.name in ("accept_resource_share_invitation", "reject_resource_share_invitation"):
        params["ResourceShareInvitationId"] = invitation_id(args["share"], step.actor)
    if op.product == "VPC" or op.wire.required.count("RegionId"):
        pool = sim.model.pools.get(args.get("pool"))
        if op.product == "VPC":
            params["RegionId"] = step.region or sim.model.request_region(
                args.get("pool"), None, step.actor)
        else:
            params.setdefault("RegionId", sim.model.ipams[pool.ipam].region if pool else HZ)
    for name in op.wire.required:
        params.setdefault(name, {"ResourceShareName": "share"}.get(name, "x"))
    return params


@pytest.mark.parametrize("op", sorted(REFUSED))
def test_wire_codes_are_simkit_run_codes(op):
    file, position, code = REFUSED[op]
    scenario = load(SCENARIOS / file)
    before = dataclasses.replace(scenario, steps=scenario.steps[:position])
    step = scenario.steps[position]
    with serve(before) as running:
        params = _wire_params(running.api.sim, scenario, step)
        record = OPERATIONS[op]
        client = IpamClient(config(running, step.actor))
        api = open_api_models.Params(
            action=record.api, version=record.version, protocol="HTTP",
            method=record.wire.method, auth_type="AK", style="RPC", pathname="/",
            req_body_type="formData", body_type="json")
        with pytest.raises(ClientException) as info:
            client.call_api(api, open_api_models.OpenApiRequest(query=params),
                            util_models.RuntimeOptions())
    assert info.value.code == code, (file, step.index, params)


def test_the_table_leaves_out_only_the_queries_that_cannot_be_refused():
    wired = {name for name, o in OPERATIONS.items() if o.wire is not None}
    never_refused = {"list_ipams", "list_ipam_scopes", "list_ipam_pools", "describe_vpcs",
                     "list_resource_shares", "list_resource_share_associations",
                     "list_resource_share_invitations"}     # no argument names a resource
    assert wired - set(REFUSED) == never_refused


# -- the command --------------------------------------------------------------------------
def test_simkit_serve_prints_its_address_and_stops_on_sigterm():
    import re
    import signal
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "simkit", "serve",
                             str(SCENARIOS / "serve.yaml"), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().strip()
        found = re.fullmatch(r"serving Alibaba Cloud VPC, VpcIpam and ResourceSharing APIs on "
                             r"http://127\.0\.0\.1:(\d+)", line)
        assert found, line
        running = type("Running", (), {"endpoint": f"127.0.0.1:{found.group(1)}"})()
        assert [p.ipam_pool_id for p in ipam(running, "netadmin").list_ipam_pools(
            im.ListIpamPoolsRequest(region_id=HZ)).body.ipam_pools] == ["corp", "hz"]
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0


def test_simkit_serve_refuses_an_invalid_file(tmp_path):
    import subprocess
    import sys

    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nname: x\norg: {management_account: m}\naccess_keys: [{id: k}]\n")
    done = subprocess.run([sys.executable, "-m", "simkit", "serve", str(bad), "--port", "0"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "missing required key 'secret'" in done.stderr
