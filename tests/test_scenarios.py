"""Every scenario in scenarios/ runs and meets all its expectations."""

from __future__ import annotations

from pathlib import Path

import pytest

import simkit
from simkit import run

SCENARIOS = sorted((Path(__file__).parent.parent / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.name for p in SCENARIOS])
def test_scenario_meets_its_expectations(path):
    result = run(path)
    unmet = [(e.step, e.op, e.expected, e.outcome, e.error_code, e.cidr, e.message)
             for e in result.failures]
    assert unmet == []
    assert result.ok


def test_the_scenarios_directory_is_not_empty():
    assert {p.name for p in SCENARIOS} >= {"quickstart.yaml", "share_ipam_pool.yaml"}


def test_share_walkthrough_leaves_what_the_guide_says():
    result = simkit.run(SCENARIOS[[p.name for p in SCENARIOS].index("share_ipam_pool.yaml")])
    events = result.events
    # the principals' VPCs outlive the share; the owner released the rest
    assert set(result.simulation.model.vpcs) == {"vpc-shop"}
    util = result.utilisation().set_index("pool")
    assert util.loc["hz", "allocated_ips"] == 65536
    assert util.loc["hz", "utilisation"] == 65536 / 2**20
    refused = events[(events.outcome == "error")]
    assert sorted(set(refused.error_code)) == [
        "DependencyViolation.ShareResource", "Forbidden", "ResourceNotFound.IpamPool"]
