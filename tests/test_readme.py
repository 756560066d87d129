"""The README's examples work as written."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import simkit
from simkit.scenario import loads

README = (Path(__file__).parent.parent / "README.md").read_text()


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
    import subprocess

    root = Path(__file__).parent.parent
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
    root = Path(__file__).parent.parent
    for page in [root / "README.md", *sorted((root / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text()):
            assert (page.parent / target).exists(), (page.name, target)
