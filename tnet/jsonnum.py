"""Numbers as every JSON output prints them: unknown as null, USD to the cent."""

from __future__ import annotations

import math


def num(x: float) -> float | None:
    """JSON has no NaN/inf: unknown numbers become null."""
    x = float(x)
    return None if math.isnan(x) or math.isinf(x) else x


def cents(x: float) -> float | None:
    """USD to the cent: a far level's hazard (1e-59 USD) is 0.0, not float noise a reader must decode."""
    v = num(x)
    return None if v is None else round(v, 2)
