"""The command line."""

from __future__ import annotations

import subprocess
import sys

from simkit.cli import main


def test_demo_prints_the_allocation_example(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "request 1: /26 -> 198.51.100.0/26" in out
    assert "request 5: /26 -> OperationDenied.AvailableCidrInsufficient" in out


def test_python_dash_m_runs_the_cli():
    done = subprocess.run([sys.executable, "-m", "simkit", "demo"], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "utilisation 100.0%" in done.stdout
