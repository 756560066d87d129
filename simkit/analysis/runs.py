"""A whole run of a scenario, and the frames a run answers with.

:func:`run` loads (or takes) a scenario, builds its initial state, applies
every step and the generated demand, and returns a :class:`Run`: the
scenario as run, the final :class:`~simkit.engine.simulation.Simulation`,
and the frames of the public contract (``events``, ``utilisation()``,
``conflicts()``).
"""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ..engine.events import Event
from ..engine.simulation import Simulation, check_seed
from ..scenario.loader import Scenario, load
from .history import ACCESS_OPS, access_now
from .reports import conflicts, utilisation

__all__ = ["Run", "run"]


@dataclass
class Run:
    """The outcome of running a scenario.

    ``access_log`` holds (time, step, access) each time who sees which pool
    through which share changed (see :mod:`simkit.analysis.history`).
    """

    scenario: Any
    simulation: Simulation
    access_log: list[tuple[Any, int | None, frozenset]] = field(default_factory=list)

    @property
    def log(self) -> list[Event]:
        return self.simulation.log

    @property
    def failures(self) -> list[Event]:
        """The step events whose expectation did not hold."""
        return [e for e in self.simulation.log if e.met is False]

    @property
    def ok(self) -> bool:
        """True when every expectation held."""
        return not self.failures

    @property
    def events(self) -> Any:
        return self.simulation.events

    def utilisation(self) -> Any:
        """One row per pool: provisioned, allocated and free IPs, utilisation..."""
        return utilisation(self.simulation)

    def conflicts(self) -> Any:
        """One row per conflict (overlapping CIDRs, reserved ranges...)."""
        return conflicts(self.simulation)


def run(scenario: Any, *, progress: Callable[[int, int], None] | None = None,
        seed: int | None = None, parameters: Mapping[str, Any] | None = None) -> Run:
    """Run a scenario (a path or a loaded :class:`~simkit.scenario.Scenario`).

    ``progress(done, total)`` is called after each step when given.  ``seed``
    replaces the scenario's seed and ``parameters`` sets some of its parameters,
    without editing the file; ``Run.scenario`` is the scenario as run.
    """
    if not isinstance(scenario, Scenario):
        scenario = load(scenario, parameters=parameters)
    elif parameters:
        scenario = scenario.with_parameters(parameters)
    if seed is not None:
        scenario = dataclasses.replace(scenario, seed=check_seed(seed))
    sim = Simulation.from_scenario(scenario)
    seen = access_now(sim)
    log = [(sim.now, None, seen)] if seen else []
    total = len(scenario.steps)
    apply = sim.apply
    with _collector_paused():
        for done, step in enumerate(scenario.steps, 1):
            apply(step)
            if step.op in ACCESS_OPS:
                now = access_now(sim)
                if now != seen:
                    log.append((sim.now, step.index, now))
                    seen = now
            if progress is not None:
                progress(done, total)
        sim.finish()
    return Run(scenario, sim, log)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused for the block (when it was on).

    Steps make long-lived records (events, allocations, series rows) and no
    reference cycles, so reference counting frees all a run discards.  Left
    on, the collector walks the scenario and the growing log again and again
    during the run, finding nothing (a fifth of the time of a 120,000-step
    run).  Paused, it would still walk them all in its first young collection
    after the block (an eighth of the run); instead they join the oldest
    generation at once (``gc.freeze`` and ``gc.unfreeze`` move the lists, they
    walk nothing), to be looked at in the collector's next full collection,
    as long-lived objects are.  Nothing is moved when some objects were
    frozen before: unfreezing would let them go too.
    ``tests/test_engine_cost.py`` checks that a run leaves no cyclic garbage.
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            if gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            gc.enable()
