"""simkit: plan and policy-test cloud IP address management before rolling it out.

The public API is listed in ``__all__``; everything else is internal.
"""

from .addresses import Cidr, parse_cidr
from .allocator import STRATEGIES, AddressSpace
from .errors import DomainError, ScenarioError, SimkitError, UsageError
from .quotas import QUOTAS, Quotas

__all__ = [
    "QUOTAS",
    "STRATEGIES",
    "AddressSpace",
    "Cidr",
    "DomainError",
    "Quotas",
    "ScenarioError",
    "SimkitError",
    "UsageError",
    "parse_cidr",
]

__version__ = "0.1.0"
