"""The command line: exit codes, summaries, JSON and reports."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from simkit.cli import main

ROOT = Path(__file__).parent.parent
QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"

FAILING = """\
version: 1
name: one-wrong-expectation
org:
  management_account: mgmt
  accounts: [net]
ipams:
  - id: i
    owner: net
    region: r1
    pools:
      - {id: p, region: r1, cidrs: [198.51.100.0/24]}
steps:
  - {op: create_vpc, as: net, vpc: v1, pool: p, mask: 26, expect: {cidr: 198.51.100.64/26}}
  - {op: create_vpc, as: net, vpc: v2, pool: p, mask: 25}
  - {op: create_vpc, as: net, vpc: v3, pool: p, mask: 25}
  - check: {pool: p, allocated_ips: 256}
"""


def test_run_quickstart_exits_0_with_a_summary(capsys):
    assert main(["run", str(QUICKSTART)]) == 0
    out = capsys.readouterr().out
    assert "quickstart: ok" in out
    assert "final utilisation per pool" in out


def test_unmet_expectations_exit_1_and_say_which_step(tmp_path, capsys):
    path = tmp_path / "failing.yaml"
    path.write_text(FAILING)
    assert main(["run", str(path)]) == 1
    out = capsys.readouterr().out
    assert "3 expectation(s) not met" in out
    assert ("step 1 (create_vpc as net): expected cidr: 198.51.100.64/26, "
            "got ok 198.51.100.0/26") in out
    assert "step 3 (create_vpc as net): expected success, got error " \
           "OperationDenied.AvailableCidrInsufficient" in out
    assert "step 4 (check): expected allocated_ips=256, got allocated_ips=192" in out


def test_invalid_file_exits_2_with_one_line(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(FAILING.replace("accounts: [net]", "accounts: [netx]"))
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"{path}:")
    assert main(["validate", str(path), str(QUICKSTART)]) == 2
    assert main(["validate", str(QUICKSTART)]) == 0


def test_json_and_report(tmp_path, capsys):
    path = tmp_path / "failing.yaml"
    path.write_text(FAILING)
    assert main(["run", "--json", "--report", str(tmp_path / "r"), str(path)]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [f["step"] for f in data[0]["failures"]] == [1, 3, 4]
    assert data[0]["utilisation"][0]["allocated_ips"] == 192
    written = sorted(p.name for p in (tmp_path / "r").iterdir())
    assert written == ["allocations.csv", "conflicts.csv", "events.csv", "resource_cidrs.csv",
                       "utilisation.csv"]
    assert len((tmp_path / "r" / "events.csv").read_text().splitlines()) == 5


def test_schema_is_json(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "steps" in schema["properties"]


@pytest.mark.parametrize("seed", ["0", "12345"])
def test_same_file_same_bytes_across_hash_seeds(seed, tmp_path):
    outs = []
    for hashseed in (seed, "99"):
        report = tmp_path / f"r{hashseed}"
        done = subprocess.run([sys.executable, "-m", "simkit", "run", "--json", "--report",
                               str(report), str(QUICKSTART)],
                              capture_output=True, text=True, check=False,
                              env={"PYTHONHASHSEED": hashseed, "PATH": ""})
        assert done.returncode == 0, done.stderr
        outs.append((done.stdout, {p.name: p.read_bytes() for p in report.iterdir()}))
    assert outs[0] == outs[1]
    assert len(outs[0][1]["events.csv"].splitlines()) == 1 + 9 + 30


MALFORMED = sorted((ROOT / "tests" / "data" / "malformed").glob("*.yaml"))


def test_every_malformed_file_exits_2_with_one_located_line(capsys):
    assert len(MALFORMED) >= 25
    for path in MALFORMED:
        assert main(["run", str(path)]) == 2, path
        captured = capsys.readouterr()
        lines = captured.err.strip().splitlines()
        assert len(lines) == 1, (path, captured.err)
        assert re.match(rf"{re.escape(str(path))}:\d+: \S", lines[0]), lines[0]
        assert "Traceback" not in captured.err
        assert captured.out == ""
