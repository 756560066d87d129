"""Layer 4, the engine: the simulation that applies steps, its events, and saved state.

``from simkit.engine import Simulation`` reaches the simulation.
"""

from .simulation import DEFAULT_START, Clock, Result, Simulation

__all__ = ["DEFAULT_START", "Clock", "Result", "Simulation"]
