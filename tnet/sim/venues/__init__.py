"""The simulator's side of each venue: its market parameters (one module per venue, one line below)."""

from __future__ import annotations

from tnet.sim.venues import binance, bybit, okx
from tnet.sim.venues.params import SimParams
from tnet.venues import NAMES

SIM: dict[str, SimParams] = {m.__name__.rpartition(".")[2]: m.SIM for m in (binance, bybit, okx)}
assert tuple(SIM) == NAMES, "every venue record needs its simulator module (and in the same order)"
