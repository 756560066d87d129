"""simkit.dump from a running simkit serve, through the official SDKs: the server's answers
import to a scenario that rebuilds what the dumping account sees of the simulation."""

from __future__ import annotations

import builtins
import json
import os
import socket
from pathlib import Path
from typing import Any

import pytest

import simkit
from simkit.interop import dump, import_state, read_state, summary
from simkit.interop.dump import folder_ids

for _name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY",
              "all_proxy"):
    os.environ.pop(_name, None)     # the SDK honours proxies; the server is on this machine
os.environ["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] = "true"

SCENARIOS = Path(__file__).parent.parent / "scenarios"


def _sdk_installed() -> bool:
    try:
        import alibabacloud_resourcesharing20200110  # noqa: F401
        import alibabacloud_vpc20160428  # noqa: F401
        import alibabacloud_vpcipam20230228  # noqa: F401
    except ImportError:
        return False
    return True


sdk = pytest.mark.skipif(not _sdk_installed(), reason="the Alibaba Cloud SDKs (dev extra)")


def view(state: Any, account: str, folders: dict[str, str]) -> dict[str, set[tuple[Any, ...]]]:
    """What ``account`` sees of a state: the pools it owns, their CIDRs and allocations,
    the shares it owns and their associations; folder targets are named by their path
    (``folders``: folder id -> path), since the server and a dump number folders apart."""
    got = summary(state)
    pools = {p["IpamPoolId"] for p in state.items["ListIpamPools"] if p["OwnerId"] == account}
    shares = {s["ResourceShareId"] for s in state.items["ListResourceShares"]
              if s["ResourceShareOwner"] == account}
    return {"pools": {p for p in got["pools"] if p[0] in pools},
            "cidrs": {c for c in got["cidrs"] if c[0] in pools},
            "allocations": {a for a in got["allocations"] if a[0] in pools},
            "shares": {s for s in got["shares"] if s[0] in shares},
            # the server lists the associations of live shares only; a simulation's dump
            # also writes those of deleted shares, as Disassociated
            "associations": {(a[0], a[1], folders.get(a[2], a[2]), a[3])
                             for a in got["associations"]
                             if a[0] in shares and a[3] != "Disassociated"}}


def dumped_folders(sim: Any) -> dict[str, str]:
    return {fid: path for path, fid in folder_ids(sim).items()}


def differences(want: dict[str, set], got: dict[str, set]) -> dict[str, tuple[set, set]]:
    return {k: (want[k] - got[k], got[k] - want[k]) for k in want if want[k] != got[k]}


@sdk
@pytest.mark.parametrize(("name", "owner"), [("share_ipam_pool", "netadmin"),
                                             ("quickstart", "netadmin")])
def test_a_server_dumped_as_the_owner_imports_to_what_the_owner_sees(name, owner, tmp_path):
    path = SCENARIOS / f"{name}.yaml"
    with simkit.serve(path) as endpoint:
        files = dump(endpoint, tmp_path / "served", account=owner, max_results=1)
        served_folders = dict(endpoint.api.folder_ids)
    assert not [p for p in files if p.name.startswith(("GetResourceDirectory", "ListAccounts"))]
    served = read_state(tmp_path / "served")
    original = simkit.run(path)
    dump(original, tmp_path / "simulated")
    want = view(read_state(tmp_path / "simulated"), owner, dumped_folders(original.simulation))
    assert want["pools"] and want["allocations"]        # the comparison compares something
    # the server's answers, read through the SDKs, are the owner's part of the simulation
    assert differences(want, view(served, owner, served_folders)) == {}
    imported = import_state(served)
    (tmp_path / "imported.yaml").write_text(imported.text)
    again = simkit.run(tmp_path / "imported.yaml")
    assert again.ok, [(e.step, e.op, e.error_code) for e in again.failures]
    dump(again, tmp_path / "again")
    # without the directory's answers the import knows a folder by the server's id only,
    # and names it so
    rebuilt = {fid: served_folders.get(path, path)
               for fid, path in dumped_folders(again.simulation).items()}
    got = view(read_state(tmp_path / "again"), owner, rebuilt)
    # the owner's DescribeVpcs lists only its own VPCs: the principals' VPC allocations are
    # rebuilt as Custom allocations of the same CIDR, for the same account
    want["allocations"] = {(pool, cidr, "Custom" if kind == "VPC" and who != owner else kind,
                            who) for pool, cidr, kind, who in want["allocations"]}
    # a deleted share comes without its associations (the server lists those of live shares
    # only), so the import cannot rebuild it under its id
    for found in (want, got):
        found["shares"] = {s for s in found["shares"] if s[2] != "Deleted"}
    assert differences(want, got) == {}


@sdk
def test_pages_follow_next_token_and_page_number(tmp_path):
    with simkit.serve(SCENARIOS / "quickstart.yaml") as endpoint:
        dump(endpoint.url, tmp_path, account="netadmin", max_results=7)
    pools = [json.loads(p.read_text()) for p in sorted(tmp_path.glob("ListIpamPools.*.json"))]
    assert len(pools) == 1 and [p["IpamPoolId"] for p in pools[0]["IpamPools"]] == ["corp", "hz"]
    owned = simkit.run(SCENARIOS / "quickstart.yaml").simulation.model.vpcs
    owned = {v for v, vpc in owned.items() if vpc.owner == "netadmin"}
    vpcs = [json.loads((tmp_path / f"DescribeVpcs.{n}.json").read_text())
            for n in range(1, len(owned) // 7 + 2)]
    assert len(owned) > 7 and not (tmp_path / f"DescribeVpcs.{len(vpcs) + 1}.json").exists()
    assert [p["PageNumber"] for p in vpcs] == list(range(1, len(vpcs) + 1))
    assert {v["VpcId"] for p in vpcs for v in p["Vpcs"]["Vpc"]} == owned
    hz = [json.loads((tmp_path / f"ListIpamPoolAllocations.hz.{n}.json").read_text())
          for n in range(1, 6)]
    assert [bool(p["NextToken"]) for p in hz] == [True] * 4 + [False]
    assert sum(len(p["IpamPoolAllocations"]) for p in hz) == hz[0]["TotalCount"] > 28


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@sdk
def test_an_unreachable_server_is_one_usage_error(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(simkit.UsageError, match=(
            r"ListIpams: cannot reach the server \(\[Errno \d+\] Connection refused\); "
            r"is `simkit serve` running there\?")):
        dump(url, tmp_path / "d", account="netadmin")
    assert not (tmp_path / "d").exists()


@sdk
def test_an_unknown_key_or_a_missing_account_is_refused(tmp_path):
    with simkit.serve(SCENARIOS / "share_ipam_pool.yaml") as endpoint:
        with pytest.raises(simkit.UsageError,
                           match=r"ListIpams as nobody was refused: InvalidAccessKeyId"):
            dump(endpoint, tmp_path, account="nobody")
        with pytest.raises(simkit.UsageError, match=r"give the account to dump as"):
            dump(endpoint, tmp_path)
    with pytest.raises(simkit.UsageError, match="applies to a running server only"):
        dump(simkit.run(SCENARIOS / "quickstart.yaml"), tmp_path, account="netadmin")
    with pytest.raises(simkit.UsageError, match="not the URL of a server"):
        dump("http://127.0.0.1:1/path", tmp_path, account="netadmin")


@sdk
def test_declared_access_keys_are_given_with_their_secret(tmp_path):
    with simkit.serve(Path(__file__).parent / "data" / "serve_keys.yaml") as endpoint:
        dump(endpoint, tmp_path, account="netadmin", access_key_id="LTAI-netadmin",
             access_key_secret="s3cret")
        with pytest.raises(simkit.UsageError, match=r"refused: SignatureDoesNotMatch: the "):
            dump(endpoint, tmp_path / "b", account="netadmin", access_key_id="LTAI-netadmin",
                 access_key_secret="wrong")
    assert json.loads((tmp_path / "ListIpams.1.json").read_text())["Ipams"] == []


def test_without_the_sdks_the_error_names_the_packages(tmp_path, monkeypatch):
    real = builtins.__import__

    def no_sdk(name, *args, **kwargs):
        if name.startswith("alibabacloud_"):
            raise ImportError(f"No module named {name!r}", name=name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_sdk)
    with pytest.raises(simkit.UsageError, match=(
            r"needs the Alibaba Cloud SDKs .*install alibabacloud-vpcipam20230228, "
            r"alibabacloud-vpc20160428, alibabacloud-resourcesharing20200110")):
        dump("http://127.0.0.1:1", tmp_path, account="netadmin")
