"""Server benchmark: official SDK calls per second against ``simkit serve``, and the cost
of the wire.

The workload is one operation pair repeated: a /28 custom allocation from a
/8 pool (CreateIpamPoolAllocation) and the list of the pool's CIDRs
(ListIpamPoolCidrs).  It runs through the VpcIpam SDK against a server in
this process (a background thread) from 1 and from 8 client threads, then
as the same operations through ``sim.do`` in-process; the ratio of the two
rates is what the wire (HTTP, signing, parsing, JSON) costs.  Every call
goes through the one lock around the simulation, so more client threads
overlap only the HTTP and SDK work.  Each SDK measurement runs again with
``--record`` (a session file in a temporary directory): every allocation is
then a line written and fsynced before it is answered, inside the lock, so
the difference is the cost of the journal on this machine's disk.

Run: ``python benchmarks/server.py`` (``--calls 400`` for a short run).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

for _name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
    os.environ.pop(_name, None)
os.environ["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] = "true"

from alibabacloud_tea_openapi import models as open_api_models  # noqa: E402
from alibabacloud_vpcipam20230228 import models as im  # noqa: E402
from alibabacloud_vpcipam20230228.client import Client as IpamClient  # noqa: E402

from simkit import Simulation, serve  # noqa: E402
from simkit.scenario.loader import loads  # noqa: E402

SCENARIO = """version: 1
name: server-bench
org: {management_account: mgmt, accounts: [net]}
ipams:
  - id: ipam-1
    owner: net
    region: cn-hangzhou
    pools:
      - {id: corp, region: cn-hangzhou, cidrs: [10.0.0.0/8]}
"""


def sdk_rate(calls: int, threads: int, record: bool = False) -> float:
    """SDK calls per second (half allocations, half CIDR lists) from ``threads`` clients,
    recording the session to a file when ``record``."""
    with tempfile.TemporaryDirectory() as tmp:
        session = Path(tmp) / "session.yaml" if record else None
        return _sdk_rate(calls, threads, session)


def _sdk_rate(calls: int, threads: int, session: Path | None) -> float:
    with serve(loads(SCENARIO, "<bench>"), record=session) as endpoint:
        def worker(n: int) -> None:
            client = IpamClient(open_api_models.Config(
                access_key_id="net", access_key_secret="x", endpoint=endpoint.endpoint,
                protocol="http"))
            for i in range(n):
                if i % 2 == 0:
                    client.create_ipam_pool_allocation(im.CreateIpamPoolAllocationRequest(
                        region_id="cn-hangzhou", ipam_pool_id="corp", cidr_mask=28))
                else:
                    client.list_ipam_pool_cidrs(im.ListIpamPoolCidrsRequest(
                        region_id="cn-hangzhou", ipam_pool_id="corp"))

        share = [calls // threads] * threads
        began = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(worker, share))
        return sum(share) / (time.perf_counter() - began)


def in_process_rate(calls: int) -> float:
    """The same operations through ``sim.do``."""
    sim = Simulation.from_scenario(loads(SCENARIO, "<bench>"))
    began = time.perf_counter()
    for i in range(calls):
        if i % 2 == 0:
            sim.do("net", "create_ipam_pool_allocation", pool="corp", mask=28)
        else:
            sim.do("net", "list_ipam_pool_cidrs", pool="corp")
    return calls / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls per measurement")
    calls = parser.parse_args().calls
    local = in_process_rate(calls)
    print(f"server benchmark: {calls} calls each (CreateIpamPoolAllocation /28 and "
          "ListIpamPoolCidrs, alternating)")
    print(f"  sim.do in-process        {local:10,.0f} calls/s")
    for threads in (1, 8):
        rate = sdk_rate(calls, threads)
        print(f"  SDK, {threads} client thread(s)  {rate:10,.0f} calls/s   "
              f"in-process / wire = {local / rate:,.1f}x")
        recorded = sdk_rate(calls, threads, record=True)
        print(f"    with --record          {recorded:10,.0f} calls/s   "
              f"{(1 / recorded - 1 / rate) * 2e3:,.2f} ms more per recorded allocation")


if __name__ == "__main__":
    main()
