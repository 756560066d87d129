"""The README's examples work as written."""

from __future__ import annotations

import re
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
