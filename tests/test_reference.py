"""docs/reference.md is the generated page, and the page lists every code and quota."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from simkit.reference import render
from simkit.values.errors import ERROR_CODES
from simkit.values.quotas import QUOTAS

PAGE = Path(__file__).parents[1] / "docs" / "reference.md"


def test_the_committed_page_is_up_to_date():
    assert PAGE.read_text() == render(), (
        "docs/reference.md is stale: run python -m simkit.reference > docs/reference.md")


def test_every_code_and_quota_has_one_row():
    rows = [line for line in render().splitlines() if line.startswith("| `")]
    codes = [row.split("`")[1] for row in rows]
    assert codes == [*ERROR_CODES, *QUOTAS]
    quota_row = next(row for row in rows if row.startswith("| `pool_depth`"))
    assert quota_row == ("| `pool_depth` | `QuotaExceeded.PoolDepth` | 10 | levels of pool "
                         "nesting | VPC IPAM limits (docs/rules.md section 2) | "
                         "`quotas: {pool_depth: N}` or `Quotas({'pool_depth': N})` |")
    code_row = next(row for row in rows if row.startswith("| `ResourceNotFound.Vpc`"))
    assert code_row == "| `ResourceNotFound.Vpc` | 404 | the VPC {vpc} does not exist | simkit |"


def test_table_cells_escape_pipes(monkeypatch):
    from simkit import reference
    from simkit.values.errors import ErrorCode

    monkeypatch.setitem(reference.ERROR_CODES, "Test.Pipe",
                        ErrorCode("Test.Pipe", 400, "a | b", "simkit"))
    assert "| `Test.Pipe` | 400 | a \\| b | simkit |" in reference.render().splitlines()


def test_the_module_writes_the_page():
    out = subprocess.run([sys.executable, "-m", "simkit.reference"], capture_output=True,
                         text=True, check=True).stdout
    assert out == render()
