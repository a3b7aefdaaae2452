"""Scores shared by every evaluation: TVD, Spearman, rank percentile, capture, bootstrap intervals."""

from __future__ import annotations

import numpy as np

SCHEMA = "tnet.backtest/1"


def tvd(learned: np.ndarray, truth: np.ndarray) -> float:
    """Total variation distance between two tier distributions."""
    return 0.5 * float(np.abs(np.asarray(learned) - np.asarray(truth)).sum())


def spearman(x: np.ndarray, y: np.ndarray) -> float | None:
    """Spearman rank correlation (average ranks for ties); None when undefined."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) < 3:
        return None
    rx, ry = _rank(x), _rank(y)
    if rx.std() == 0 or ry.std() == 0:
        return None
    return float(np.corrcoef(rx, ry)[0, 1])


def _rank(a: np.ndarray) -> np.ndarray:
    order = np.argsort(a, kind="mergesort")
    ranks = np.empty(len(a))
    sa = a[order]
    i = 0
    while i < len(a):
        j = i
        while j + 1 < len(a) and sa[j + 1] == sa[i]:
            j += 1
        ranks[order[i : j + 1]] = 0.5 * (i + j)
        i = j + 1
    return ranks
