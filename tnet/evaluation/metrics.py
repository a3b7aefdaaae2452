"""Scores shared by every evaluation: TVD, Spearman, rank percentile, capture, bootstrap intervals."""

from __future__ import annotations

from collections.abc import Callable, Sequence

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


def rank_percentiles(score: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Percentile rank of buckets `at` among all buckets of `score`: 1 = ranked top, 0 = bottom, 0.5 = random.

    Ties count half (mid-rank), so a flat map scores exactly 0.5 and no tie-break smuggles in skill.
    """
    score = np.asarray(score, dtype=np.float64)
    s = np.sort(score)
    vals = score[np.asarray(at, dtype=np.int64)]
    below = np.searchsorted(s, vals, side="left")
    equal = np.searchsorted(s, vals, side="right") - below
    n = len(score)
    if n <= 1:
        return np.full(len(vals), 0.5)
    return (below + 0.5 * (equal - 1)) / (n - 1)


def capture_top(score: np.ndarray, realised: np.ndarray, share: float = 0.10) -> float:
    """Realised USD inside the top `share` of buckets by score; ties at the cut-off count pro rata.

    Pro-rata ties give the expected capture under a random tie-break: a flat map captures exactly
    `share` of the USD, the uniform baseline.
    """
    score = np.asarray(score, dtype=np.float64)
    realised = np.asarray(realised, dtype=np.float64)
    n = len(score)
    if n == 0:
        return 0.0
    k = max(1, int(round(share * n)))
    order = np.argsort(-score, kind="mergesort")
    cut = score[order[k - 1]]
    above = score > cut
    tied = score == cut
    room = k - int(above.sum())
    captured = float(realised[above].sum())
    n_tied = int(tied.sum())
    if n_tied and room > 0:
        captured += float(realised[tied].sum()) * room / n_tied
    return captured


def bootstrap_ci(units: Sequence[object], statistic: Callable[[Sequence[object]], float | None],
                 n_boot: int = 1000, seed: int = 0, level: float = 0.95) -> tuple[float, float] | None:
    """Percentile interval of `statistic` over resamples (with replacement) of whole units (e.g. origins)."""
    if len(units) < 2:
        return None
    rng = np.random.default_rng(seed)
    n = len(units)
    vals = []
    for _ in range(n_boot):
        pick = rng.integers(0, n, n)
        v = statistic([units[i] for i in pick])
        if v is not None and np.isfinite(v):
            vals.append(v)
    if len(vals) < n_boot // 2:
        return None
    lo, hi = np.quantile(vals, [(1 - level) / 2, 1 - (1 - level) / 2])
    return float(lo), float(hi)
