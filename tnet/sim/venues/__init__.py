"""The simulator's side of each venue: its market parameters and, where moved here, its wire protocol.

One module per venue, one line below. A module's `WIRE` (a SimVenue) serves the venue's WebSocket
and REST protocol; venues without one are still served by tnet/sim/server.py and tnet/sim/wire.py.
"""

from __future__ import annotations

from tnet.sim.venues import binance, bitget, bybit, gate, hyperliquid, okx
from tnet.sim.venues.base import SimVenue
from tnet.sim.venues.params import SimParams
from tnet.venues import NAMES

_MODULES = (binance, bybit, okx, gate, hyperliquid, bitget)
SIM: dict[str, SimParams] = {m.__name__.rpartition(".")[2]: m.SIM for m in _MODULES}
WIRES: dict[str, type[SimVenue]] = {m.__name__.rpartition(".")[2]: m.WIRE for m in _MODULES if hasattr(m, "WIRE")}
assert tuple(SIM) == NAMES, "every venue record needs its simulator module (and in the same order)"


def base_path(venue: str) -> str:
    """Prefix of `venue`'s paths on the simulator's one port ("" unless its real path is another's)."""
    wire = WIRES.get(venue)
    return wire.base_path if wire is not None else ""
