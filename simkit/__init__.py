"""simkit: plan and policy-test cloud IP address management before rolling it out.

The public API is listed in ``__all__``; everything else is internal.
"""

from .addresses import Cidr, parse_cidr
from .allocator import STRATEGIES, AddressSpace
from .engine import Run, Simulation, run
from .errors import DomainError, ScenarioError, SimkitError, StateFileError, UsageError
from .quotas import QUOTAS, Quotas
from .scenario import Scenario, load
from .whatif import (
    compare,
    compare_strategies,
    exhaustion,
    forecast,
    fork,
    summary,
    sweep,
    with_strategy,
)

__all__ = [
    "QUOTAS",
    "STRATEGIES",
    "AddressSpace",
    "Cidr",
    "DomainError",
    "Quotas",
    "Run",
    "Scenario",
    "ScenarioError",
    "SimkitError",
    "Simulation",
    "StateFileError",
    "UsageError",
    "compare",
    "compare_strategies",
    "exhaustion",
    "forecast",
    "fork",
    "load",
    "parse_cidr",
    "run",
    "summary",
    "sweep",
    "with_strategy",
]

__version__ = "0.1.0"
