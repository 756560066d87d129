"""The README's examples work as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import simkit
from simkit.scenario import loads

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()


def test_readme_opens_with_the_two_setup_commands():
    first_block = re.search(r"```sh\n(.*?)```", README, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in first_block.strip().splitlines()]
    assert commands == ["make demo", "make test"]


def test_readme_scenario_example_runs_and_meets_its_expectations():
    text = re.search(r"```yaml\n(.*?)```", README, re.S).group(1)
    result = simkit.run(loads(text, "README.md"))
    assert result.ok, [(e.step, e.expected, e.error_code, e.cidr) for e in result.failures]
    assert len(result.events) == 4


# -- the project's documents stand alone -----------------------------------------------------
#: Names of working documents that are not part of the repository (split so this file
#: does not name them itself).
_OUTSIDE = ("DOMAIN" + ".md", "SCENARIO" + ".md")


def test_no_shipped_file_points_at_a_document_outside_the_repository():
    root = ROOT
    files = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True,
                           check=True).stdout.split()
    found = []
    for name in files:
        path = root / name
        if not path.is_file() or path.suffix in (".png", ".parquet"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        found += [f"{name}: {doc}" for doc in _OUTSIDE if doc in text]
    assert found == []
    schema = subprocess.run([sys.executable, "-m", "simkit", "schema"], capture_output=True,
                            text=True, check=True).stdout
    assert not any(doc in schema for doc in _OUTSIDE)


def test_the_docs_link_only_to_files_that_exist():
    root = ROOT
    for page in [root / "README.md", *sorted((root / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text()):
            assert (page.parent / target).exists(), (page.name, target)


# -- every code block runs as written -------------------------------------------------------
def _blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", README, re.S)


@pytest.fixture
def in_a_copy(tmp_path, monkeypatch):
    """A working directory where README paths resolve: scenarios/ and tests/data/ as in the
    repository (the import example reads responses written by hand there)."""
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "data").symlink_to(ROOT / "tests" / "data")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_every_python_block_runs_in_order(in_a_copy):
    import matplotlib

    matplotlib.use("Agg")
    blocks = _blocks("python")
    assert len(blocks) >= 4
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)
    assert namespace["result"].ok
    assert str(namespace["vpc"].cidr) == "10.0.0.0/24"
    assert namespace["extra"].cidr is not None
    assert (in_a_copy / "reports" / "quickstart-py" / "index.html").exists()
    assert set(namespace["runs"]["hz_mask"]) == {19, 20, 21}


def _commands() -> list[str]:
    lines = [line.split("  #")[0].strip() for block in _blocks("sh")
             for line in block.splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


#: Commands of the README not run here: the test suite itself, and a server.
NOT_RUN = {"make test": "it is the suite running this test", "make lab": "it starts a server"}


def test_make_demo_is_the_report_command_of_the_readme():
    recipe = re.search(r"^demo:.*\n\t(.*)$", (ROOT / "Makefile").read_text(), re.M).group(1)
    assert recipe == "$(VENV)/bin/simkit report scenarios/quickstart.yaml --out reports/quickstart"
    assert "simkit report scenarios/quickstart.yaml --out reports/quickstart" in _commands()


def test_every_shell_command_runs_and_exits_0(in_a_copy):
    from concurrent.futures import ThreadPoolExecutor

    commands = _commands()
    assert "make demo" in commands and len(commands) >= 12
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}"
                                 f"{os.environ.get('PATH', '')}"}
    # make demo runs the report command below (test above), in the repository's .venv
    run = [c for c in commands if c not in NOT_RUN and c != "make demo"]

    def execute(command: str) -> tuple[str, subprocess.CompletedProcess]:
        return command, subprocess.run(command, shell=True, cwd=in_a_copy, env=env,
                                       capture_output=True, text=True, check=False,
                                       timeout=600)

    with ThreadPoolExecutor(2) as pool:
        for command, done in pool.map(execute, run):
            assert done.returncode == 0, (command, done.stderr[-2000:])
            assert "Traceback" not in done.stderr, command
    assert (in_a_copy / "reports" / "quickstart" / "index.html").exists()
    assert (in_a_copy / "reports" / "runs.csv").exists()


def test_the_analysis_modules_are_attributes_of_simkit():
    code = ("import sys, simkit; assert 'pandas' not in sys.modules; "
            "print(simkit.reports.__name__, simkit.plots.__name__, simkit.whatif.__name__, "
            "simkit.htmlreport.__name__, simkit.history.__name__)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.split() == ["simkit.analysis.reports", "simkit.analysis.plots",
                                   "simkit.analysis.whatif", "simkit.analysis.htmlreport",
                                   "simkit.analysis.history"]
