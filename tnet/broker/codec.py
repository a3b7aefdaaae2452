"""SymbolViews and heatmap columns to Redis fields and back (JSON for views, zlib'd float32 for columns)."""

from __future__ import annotations

import dataclasses
import math
import zlib
from typing import Any

import numpy as np
import orjson

from tnet.engine.views import (
    BookLevel,
    BookView,
    CalibrationView,
    Level,
    SymbolView,
    TapeCluster,
    TapeView,
    Zone,
)

Columns = tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _f(x: Any) -> float:
    """JSON null (orjson's NaN) back to NaN."""
    return math.nan if x is None else float(x)


def dumps(obj: Any) -> bytes:
    """Compact JSON; NaN and inf become null."""
    return orjson.dumps(obj, option=orjson.OPT_SERIALIZE_NUMPY)


def view_to_dict(view: SymbolView) -> dict[str, Any]:
    """A SymbolView without its heatmap as plain data (dataclasses serialise field by field)."""
    out = orjson.loads(orjson.dumps(view, option=orjson.OPT_SERIALIZE_NUMPY))
    out.pop("heatmap", None)
    return out


def _make(cls: Any, d: dict[str, Any]) -> Any:
    """A flat view dataclass from its dict: fields by name (new fields with defaults carry through), null -> NaN."""
    kw = {}
    for f in dataclasses.fields(cls):
        if f.name in d:
            v = d[f.name]
            kw[f.name] = math.nan if v is None and f.type == "float" else v
    return cls(**kw)


def view_from_dict(d: dict[str, Any]) -> SymbolView:
    """Inverse of `view_to_dict` (the heatmap is attached by the reader)."""
    t = dict(d["tape"])
    t["clusters"] = [_make(TapeCluster, c) for c in t["clusters"]]
    t["rates"] = [(int(a), _f(b), _f(c)) for a, b, c in t.get("rates", [])]
    t["gaps"] = [(int(a), int(b)) for a, b in t.get("gaps", [])]
    top = {k: v for k, v in d.items() if k not in ("levels", "zones", "tape", "calibration", "heatmap", "book")}
    top.update(
        levels=[_make(Level, lv) for lv in d["levels"]],
        zones=[_make(Zone, z) for z in d["zones"]],
        tape=_make(TapeView, t),
        calibration={v: _make(CalibrationView, c) for v, c in d["calibration"].items()},
        heatmap=None,
        book=_book_from_dict(d.get("book")),
    )
    return _make(SymbolView, top)


def _book_from_dict(d: dict[str, Any] | None) -> BookView | None:
    """A BookView from its dict (None stays None: no book data)."""
    if d is None:
        return None
    b = dict(d)
    b["levels"] = [_make(BookLevel, lv) for lv in d["levels"]]
    b["bids"] = np.asarray(d["bids"], dtype=np.float64)
    b["asks"] = np.asarray(d["asks"], dtype=np.float64)
    return _make(BookView, b)


def columns_to_bytes(cols: Columns) -> tuple[dict[str, int], bytes]:
    """(header {first, n, rows}, compressed body) of heatmap columns from `HeatmapHistory.columns_since`."""
    first, start, origin, price, long, short = cols
    n = len(start)
    rows = int(long.shape[1]) if long.ndim == 2 else 0
    body = b"".join((
        start.astype("<i8").tobytes(), origin.astype("<i8").tobytes(), price.astype("<f8").tobytes(),
        long.astype("<f4").tobytes(), short.astype("<f4").tobytes(),
    ))
    return {"first": int(first), "n": n, "rows": rows}, zlib.compress(body, 1)


def columns_from_bytes(head: dict[str, Any], blob: bytes) -> Columns:
    """Inverse of `columns_to_bytes`; raises ValueError on a body that does not match its header."""
    n, rows = int(head["n"]), int(head["rows"])
    raw = zlib.decompress(blob)
    if len(raw) != n * (24 + 8 * rows):
        raise ValueError(f"heatmap columns: {len(raw)} bytes for {n} x {rows}")
    a, b, c, d = 8 * n, 16 * n, 24 * n, 24 * n + 4 * n * rows
    return (
        int(head["first"]),
        np.frombuffer(raw[:a], "<i8").copy(), np.frombuffer(raw[a:b], "<i8").copy(),
        np.frombuffer(raw[b:c], "<f8").copy(),
        np.frombuffer(raw[c:d], "<f4").reshape(n, rows).copy(),
        np.frombuffer(raw[d:], "<f4").reshape(n, rows).copy(),
    )
