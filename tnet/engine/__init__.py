"""Per-symbol liquidation-prediction engine: pure numpy, no I/O, time passed in."""

from __future__ import annotations

from typing import Any

__all__ = ["SymbolEngine"]


def __getattr__(name: str) -> Any:
    # lazy so `import tnet.engine.views` stays light
    if name == "SymbolEngine":
        from tnet.engine.engine import SymbolEngine

        return SymbolEngine
    raise AttributeError(name)
