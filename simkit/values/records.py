"""Fixed-field records built on every step.

``new_record(Kind, values)`` builds the named tuple ``Kind`` from ``values``
written out in field order, as ``Kind._make(values)`` does, without its
Python frame and length check: a run builds several such records a step
(an allocation, an operation's result, an event), so the frame counts.
A record of the wrong length is not refused here:
``tests/test_engine_cost.py`` checks that the allocations, results and
events of the shipped scenarios' runs have all their fields.

Examples
--------
>>> from simkit.values.addresses import Cidr
>>> new_record(Cidr, (4, 167772160, 8))
Cidr.parse('10.0.0.0/8')
"""

from __future__ import annotations

__all__ = ["new_record"]

new_record = tuple.__new__
