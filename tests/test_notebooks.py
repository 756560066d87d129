"""The notebooks are stored the way nbval can check them.

nbval (``make test``) re-runs every notebook and compares each cell's
outputs with the stored ones; these checks keep the stored files fit for
that: each opens with the question it answers, was run top to bottom, has
no error outputs, and tags the cells whose output cannot be repeated
(figures) with ``nbval-ignore-output``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
IGNORE = "nbval-ignore-output"


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def text(value: str | list[str]) -> str:
    return value if isinstance(value, str) else "".join(value)


def test_the_notebooks_are_there_in_order():
    assert [p.name for p in NOTEBOOKS] == [
        "01_quickstart.ipynb", "02_sharing_a_pool.ipynb", "03_policy_testing.ipynb",
        "04_capacity_whatif.ipynb", "05_conflicts_and_adoption.ipynb", "06_scale_out.ipynb",
        "07_dual_stack.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_a_notebook_opens_with_the_question_it_answers(path):
    first = cells(path)[0]
    assert first["cell_type"] == "markdown"
    source = text(first["source"])
    assert source.startswith("# ")
    assert "**Question.**" in source and "?" in source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_a_notebook_is_stored_run_in_order_with_its_outputs(path):
    code = [c for c in cells(path) if c["cell_type"] == "code"]
    counts = [c["execution_count"] for c in code]
    assert counts == list(range(1, len(code) + 1))
    outputs = [o for c in code for o in c["outputs"]]
    assert [o for o in outputs if o["output_type"] == "error"] == []
    assert sum(1 for c in code if c["outputs"]) >= len(code) // 2


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_only_repeatable_outputs_are_compared(path):
    for cell in cells(path):
        if cell["cell_type"] != "code" or IGNORE in cell["metadata"].get("tags", []):
            continue
        for output in cell["outputs"]:
            data = output.get("data", {})
            assert "image/png" not in data, text(cell["source"])
            shown = text(output.get("text", "")) + text(data.get("text/plain", ""))
            assert not re.search(r"0x[0-9a-f]{6,}", shown), shown      # memory addresses
            assert "it/s]" not in shown and "run/s]" not in shown, shown  # progress bars
            assert output.get("name") != "stderr", shown


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_the_scenarios_a_notebook_reads_exist(path):
    sources = "\n".join(text(c["source"]) for c in cells(path) if c["cell_type"] == "code")
    for name in re.findall(r'"\.\./scenarios/([\w.-]+\.yaml)"', sources):
        assert (ROOT / "scenarios" / name).is_file(), name
