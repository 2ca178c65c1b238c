"""Simulated runners with known truth, written as real FIT files.

The analysis is only as good as what it has been checked against. Real files
carry no ground truth (nobody knows a real runner's "true" cadence at 3 m/s),
so these simulations supply it: a runner is a handful of parameters (form at a
reference speed, how each metric moves with speed within that runner, how
heart rate follows effort), a run is a plan of paces and grades, and a history
is a schedule of runs. The per-second channels are written with Garmin's
official FIT SDK encoder, in a watch's units, so everything downstream (both
decoders, the analysis, the store, the CLI) is exercised exactly as for a real
file, and the result can be compared with the parameters that made it.

Used by the tests, by ``python -m bench validity`` and by the bundled demo
history; nothing in ``pose_sync`` imports it.
"""

from sim.fitfile import write_fit
from sim.history import PlannedRun, simulate_history
from sim.runner import Leg, Runner, SimulatedRun, simulate_run

__all__ = ["Leg", "PlannedRun", "Runner", "SimulatedRun", "simulate_history", "simulate_run", "write_fit"]
