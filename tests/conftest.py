"""Hypothesis profiles for the test suite.

``default`` (what ``make test`` runs): 200 examples per test, 50 steps per state machine
history, no deadline (the machine is shared); derandomized when ``CI`` is set.
``soak`` (what ``make soak`` runs): many more and longer histories.  Choose one with
the environment variable ``SIMKIT_HYPOTHESIS_PROFILE``; a test that sets its own
``max_examples`` keeps it.
"""

from __future__ import annotations

import os

import yaml
from hypothesis import HealthCheck, settings

from simkit.model.org import Organisation
from simkit.scenario import loads

#: The environment variable that selects the hypothesis profile.
PROFILE_VARIABLE = "SIMKIT_HYPOTHESIS_PROFILE"

# in CI (CI=true) the examples are derived from each test's name, so a submission's result
# does not depend on the draw; exploration with fresh draws happens locally and in make soak
settings.register_profile("default", max_examples=200, stateful_step_count=50, deadline=None,
                          derandomize=bool(os.environ.get("CI")))
settings.register_profile("soak", max_examples=2000, stateful_step_count=100, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow], print_blob=True)
settings.load_profile(os.environ.get(PROFILE_VARIABLE, "default"))


def org_from_spec(spec: dict, quotas: dict | None = None) -> Organisation:
    """The organisation that a scenario with this ``org:`` section declares (the loader
    builds it, with its rules checked, as it reads the file)."""
    doc = {"version": 1, "name": "org", "org": spec, **({"quotas": quotas} if quotas else {})}
    return loads(yaml.safe_dump(doc, sort_keys=False)).org
