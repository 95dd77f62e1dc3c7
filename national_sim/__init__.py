"""The national API v1 simulator: a Flask app that stores what provinces send, faults on demand."""

from national_sim.app import create_app, sim_state
from national_sim.auth import Client
from national_sim.context import SimConfig
from national_sim.faults import Faults

__all__ = ["Client", "Faults", "SimConfig", "create_app", "sim_state"]
