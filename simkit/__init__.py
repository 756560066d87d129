"""simkit: plan and policy-test cloud IP address management before rolling it out.

The public API is listed in ``__all__``; everything else is internal.  The
analysis modules are reached as attributes too, imported when first used
(``simkit.reports``, ``simkit.plots``, ``simkit.whatif``, ``simkit.htmlreport``),
so ``import simkit`` does not import pandas or matplotlib.
"""

from importlib import import_module
from typing import Any

from .analysis.runs import Run, run
from .analysis.whatif import (
    compare,
    compare_strategies,
    exhaustion,
    forecast,
    fork,
    summary,
    sweep,
    with_strategy,
)
from .engine.simulation import Simulation
from .interop.dump import dump
from .scenario.loader import Scenario, load
from .server import serve
from .values.addresses import Cidr, parse_cidr
from .values.allocator import STRATEGIES, AddressSpace
from .values.errors import DomainError, ScenarioError, SimkitError, StateFileError, UsageError
from .values.quotas import QUOTAS, Quotas
from .values.version import __version__ as __version__

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
    "dump",
    "exhaustion",
    "forecast",
    "fork",
    "load",
    "parse_cidr",
    "run",
    "serve",
    "summary",
    "sweep",
    "with_strategy",
]


#: Modules reachable as ``simkit.NAME`` (imported on first use).
_MODULES = {"reports": "analysis.reports", "plots": "analysis.plots",
            "whatif": "analysis.whatif", "htmlreport": "analysis.htmlreport",
            "interop": "interop"}


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        return import_module(f"{__name__}.{_MODULES[name]}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
