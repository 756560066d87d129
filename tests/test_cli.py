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


# -- output paths: one line naming the path and the rule, exit 2, before anything runs ------
CAPACITY = ROOT / "scenarios" / "capacity_whatif.yaml"


def _one_line_error(capsys, *words: str) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err, captured.err
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


def test_report_into_an_existing_file_exits_2(tmp_path, capsys):
    target = tmp_path / "taken"
    target.write_text("keep me")
    assert main(["report", str(QUICKSTART), "--out", str(target)]) == 2
    _one_line_error(capsys, str(target), "is a file, not a directory")
    assert main(["run", "--report", str(target), str(QUICKSTART)]) == 2
    _one_line_error(capsys, str(target), "--report", "is a file, not a directory")
    assert target.read_text() == "keep me"


def test_report_where_no_directory_can_be_made_exits_2(capsys):
    assert main(["report", str(QUICKSTART), "--out", "/proc/simkit-report"]) == 2
    _one_line_error(capsys, "/proc/simkit-report", "cannot create this directory")
    assert main(["run", "--report", "/proc/simkit-report", str(QUICKSTART)]) == 2
    _one_line_error(capsys, "/proc/simkit-report", "cannot create this directory")


def test_sweep_into_a_directory_is_refused_before_any_run(tmp_path, capsys, monkeypatch):
    from simkit.analysis import whatif

    def no_runs(*args, **kwargs):
        raise AssertionError("the sweep ran although its output path is unusable")

    monkeypatch.setattr(whatif, "sweep", no_runs)
    folder = tmp_path / "runs.csv"
    folder.mkdir()
    assert main(["sweep", str(CAPACITY), "--out", str(folder)]) == 2
    _one_line_error(capsys, str(folder), "is a directory, not a file")
    assert main(["sweep", str(CAPACITY), "--out", "/proc/simkit-runs.csv"]) == 2
    _one_line_error(capsys, "/proc/simkit-runs.csv", "cannot write this file")
    assert not (tmp_path / "other.csv").exists()


def test_the_output_check_leaves_no_file_behind(tmp_path):
    from simkit.analysis.outputs import output_file

    target = tmp_path / "deeper" / "runs.csv"
    assert output_file(target, (".csv",)) == target
    assert not target.exists() and target.parent.is_dir()


# -- one run with other parameter values or another seed -----------------------------------
def test_run_and_report_take_param_and_seed_and_say_what_they_used(tmp_path, capsys):
    assert main(["run", "--param", "hz_mask=19", "--seed", "3", "--json", str(CAPACITY)]) in (0, 1)
    data = json.loads(capsys.readouterr().out)[0]
    assert data["seed"] == 3 and data["parameters"]["hz_mask"] == 19
    hz = next(row for row in data["utilisation"] if row["pool"] == "hz")
    assert hz["provisioned_ips"] == 8192          # a /19, not the file's /20
    assert main(["report", str(CAPACITY), "--out", str(tmp_path / "r"), "--param",
                 "hz_mask=19", "--seed", "3"]) in (0, 1)
    out = capsys.readouterr().out
    assert "seed 3; parameters hz_mask=19, sh_mask=21" in out
    page = (tmp_path / "r" / "index.html").read_text()
    assert "hz_mask=19" in page and "<dt>seed</dt><dd>3</dd>" in page


@pytest.mark.parametrize("option, words", [
    (["--param", "hz_mask=19,20"], ["one value per parameter"]),
    (["--param", "hz_mask=wide"], ["hz_mask", "not an integer"]),
    (["--param", "nope=1"], ["declares no parameter 'nope'"]),
    (["--seed", "-1"], ["a seed is an integer >= 0"]),
])
def test_bad_param_or_seed_exits_2_with_one_line(option, words, capsys):
    assert main(["run", *option, str(CAPACITY)]) == 2
    _one_line_error(capsys, *words)


# -- what-if commands -------------------------------------------------------------------------
def test_forecast_prints_days_and_writes_csv(tmp_path, capsys):
    import pandas as pd

    out = tmp_path / "forecast.csv"
    assert main(["forecast", str(CAPACITY), "--seeds", "3", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "p50_days" in text and "days from the clock start" in text
    frame = pd.read_csv(out)
    assert list(frame.columns) == ["pool", "runs", "exhausted", "p5_days", "p50_days",
                                   "p95_days"]
    assert frame.set_index("pool").loc["hz", "runs"] == 3


def test_compare_two_values_of_one_plan(tmp_path, capsys):
    import pandas as pd

    out = tmp_path / "diff.csv"
    assert main(["compare", str(CAPACITY), "--vs-param", "hz_mask=19", "--labels",
                 "now,wider", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "wider: " in text and "hz_mask=19" in text
    assert re.search(r"pool\s+hz\s+provisioned_ips\s+4,096\s+8,192\s+\+4,096", text), text
    frame = pd.read_csv(out)
    assert list(frame.columns) == ["level", "name", "figure", "now", "wider", "difference"]
    assert main(["compare", str(CAPACITY)]) == 2
    _one_line_error(capsys, "give a second FILE")


def test_compare_strategies_prints_one_row_per_strategy_and_pool(capsys):
    assert main(["compare-strategies", str(CAPACITY), "--strategies", "first,best"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[2:]]
    assert [(r[0], r[1]) for r in rows] == [(s, p) for s in ("first", "best")
                                            for p in ("corp", "hz", "sh")]
    assert main(["compare-strategies", str(CAPACITY), "--strategies", "fastest"]) == 2
    _one_line_error(capsys, "unknown allocation strategy 'fastest'")


@pytest.mark.parametrize("argv, words", [
    (["forecast", str(CAPACITY), "--seeds", "0"], ["--seeds takes a number >= 1"]),
    (["forecast", str(CAPACITY), "--percentiles", "5,x"], ["--percentiles 5,x"]),
    (["compare-strategies", str(CAPACITY), "--workers", "0"], ["--workers takes a number"]),
    (["forecast", str(CAPACITY), "--out", str(ROOT)], ["is a directory, not a file"]),
])
def test_what_if_commands_refuse_bad_options_on_one_line(argv, words, capsys):
    assert main(argv) == 2
    _one_line_error(capsys, *words)
