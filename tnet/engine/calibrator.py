"""Per-venue leverage calibrator: learns tier weights from liquidation prints, sweeps and open interest.

Evidence per venue and tier (exponentially forgotten, so a shifted mix is re-learned):
- R[t]: print USD softly attributed to tier t by how close each tier's predicted inventory sits to
  the print (percent space, kernel width scaled by recent volatility), divided by the venue's
  estimated sampling rate (a venue may publish one print per second, or a subset: its record says);
- S[t]: the tier-conditional inventory the model itself swept (what tier t would have liquidated if
  every position were tier t: the model's hazard-weighted exposure).
R[t] / S[t] estimates the weight of tier t wherever S[t] is large enough to judge. Tiers whose
levels price never reached get the unexplained remainder of open interest, in proportion to their
current weights: prints cannot say anything about them, but they must hold what the others do not.
The sampling rate is the ratio of printed USD to the open-interest drop during sweeping minutes
(liquidations close positions, so OI falls by what really liquidated, whatever the venue printed).

Not all open interest is at risk: hedged, cross-margined and buffered positions rarely liquidate when
price crosses their ladder level. Each venue learns `at_risk`, the printed USD (corrected for
sampling) per USD of weighted inventory price crossed, or the realised USD per swept USD on bars
with liquidation totals. The map shows at_risk x inventory, so its USD means what a trader reads
into it. Because the level lives in `at_risk`, the tier update only reshapes the tiers price tested
relative to each other and keeps their total: evidence that near tiers hold less than predicted
lowers at_risk instead of pushing mass out to tiers no print can judge.
"""

from __future__ import annotations

import math

import numpy as np

from tnet.engine.ladder import N_TIERS, TIERS, prior_weights
from tnet.venues import quality

EVIDENCE_HALF_LIFE_MIN: float = 180.0  # forgetting: old evidence halves every 3 h
UPDATE_EVERY_MIN: int = 5
DAMPING: float = 0.35  # share of the way to the estimate per update
WEIGHT_FLOOR: float = 0.002
# Prior strength: a tier's current weight counts as this many prints' worth of evidence.
PRIOR_PRINTS: float = 6.0
HAZARD_HALF_CONFIDENCE: float = 0.4  # tested share of a tier's inventory at which its confidence halves
# Sampling rate prior: each venue's record (quality.coverage). It is known, not estimated, for a
# complete feed and for a one-print-per-second feed (prints are corrected per second there: one print
# stands for the second's expected count); the pseudo-count below (USD share of OI) weighs the prior.
MAX_PER_SECOND_FACTOR: float = 100.0
SAMPLING_PSEUDO_SHARE: float = 0.02
ATTRIBUTION_BASE_PCT: float = 0.0012  # soft-attribution width at normal volatility
ATTRIBUTION_VOL_REF: float = 0.0015  # 1-minute volatility that counts as normal
MAX_PRINT_DISTANCE: float = 0.15  # prints further than this from price are sanity-dropped
# Share of crossed inventory that really liquidates, before any evidence. Measured on the 30-minute
# Coinglass tuning file (regime_30m, BTC, 2026-05-21 -> 06-08): realised liquidation USD over the
# model's swept USD with at_risk = 1 was 0.082 (long 0.10, short 0.05). Learned per venue from then on.
AT_RISK_PRIOR: float = 0.08
AT_RISK_BOUNDS: tuple[float, float] = (1e-4, 1.0)
AT_RISK_PRIOR_PRINTS: float = 20.0  # the prior is worth this many average prints of evidence
# Prints are kept (bounded) with their tier densities and re-attributed with the current weights at
# every update: a true EM step, so early prints judged under the prior do not anchor the answer.
PRINT_MEMORY: int = 4096


class VenueCalibration:
    """Learned weights and forgetting evidence of one venue."""

    def __init__(self, venue: str, weights: np.ndarray | None = None) -> None:
        self.venue = venue
        self.weights = prior_weights() if weights is None else np.asarray(weights, dtype=np.float64).copy()
        self.attributed = np.zeros(N_TIERS)  # R (printed USD, not yet corrected for sampling)
        self.exposure = np.zeros(N_TIERS)  # S
        self.events = 0
        self.unexplained_usd = 0.0  # prints where the model had no inventory at all
        self.printed_sweep_usd = 0.0  # printed USD during sweeping minutes
        self.oi_drop_sweep_usd = 0.0  # OI drop beyond normal flow during sweeping minutes
        self.sampling = quality(venue).coverage
        self.mean_print_usd = 50_000.0  # EWMA of print size (sets how much exposure one print is worth)
        self.print_density = np.zeros((PRINT_MEMORY, N_TIERS))
        self.print_usd = np.zeros(PRINT_MEMORY)
        self.print_minute = np.zeros(PRINT_MEMORY)
        self.print_count = 0
        # evidence restored from a saved state (the print memory itself is not saved): forgotten like
        # the rest, so a restart resumes where it stopped instead of judging exposure without prints
        self.carried = np.zeros(N_TIERS)
        self.at_risk = AT_RISK_PRIOR
        self.risk_printed_usd = 0.0  # printed (or realised) USD behind the at-risk estimate, forgotten
        self.risk_swept_usd = 0.0  # weighted inventory USD price crossed over the same time, forgotten

    def to_dict(self) -> dict:
        """JSON-able state."""
        return {
            "weights": self.weights.tolist(), "attributed": self.attributed.tolist(),
            "exposure": self.exposure.tolist(), "events": self.events, "sampling": self.sampling, "mean_print_usd": self.mean_print_usd,
            "printed_sweep_usd": self.printed_sweep_usd, "oi_drop_sweep_usd": self.oi_drop_sweep_usd,
            "at_risk": self.at_risk, "risk_printed_usd": self.risk_printed_usd, "risk_swept_usd": self.risk_swept_usd,
        }

    @classmethod
    def from_dict(cls, venue: str, data: dict) -> "VenueCalibration":
        """Inverse of to_dict; raises ValueError on a malformed or mismatched state."""
        w = np.asarray(data["weights"], dtype=np.float64)
        if w.shape != (N_TIERS,) or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise ValueError(f"bad weights for {venue}")
        out = cls(venue, w / w.sum())
        for name in ("attributed", "exposure"):
            arr = np.asarray(data.get(name, np.zeros(N_TIERS)), dtype=np.float64)
            if arr.shape == (N_TIERS,) and np.all(np.isfinite(arr)):
                setattr(out, name, np.maximum(arr, 0.0))
        out.carried = out.attributed.copy()
        out.events = int(data.get("events", 0))
        out.mean_print_usd = max(float(data.get("mean_print_usd", out.mean_print_usd)), 1.0)
        out.sampling = float(min(max(data.get("sampling", out.sampling), 0.02), 1.5))
        out.printed_sweep_usd = max(float(data.get("printed_sweep_usd", 0.0)), 0.0)
        out.oi_drop_sweep_usd = max(float(data.get("oi_drop_sweep_usd", 0.0)), 0.0)
        lo, hi = AT_RISK_BOUNDS
        out.at_risk = float(min(max(float(data.get("at_risk", AT_RISK_PRIOR)), lo), hi))
        out.risk_printed_usd = max(float(data.get("risk_printed_usd", 0.0)), 0.0)
        out.risk_swept_usd = max(float(data.get("risk_swept_usd", 0.0)), 0.0)
        for name in ("at_risk", "risk_printed_usd", "risk_swept_usd", "oi_drop_sweep_usd", "printed_sweep_usd",
                     "mean_print_usd", "sampling"):
            if not math.isfinite(getattr(out, name)):
                raise ValueError(f"non-finite {name} for {venue}")
        return out


class Calibrator:
    """Calibrations of every venue of one symbol."""

    def __init__(self, venues: tuple[str, ...], state: dict | None = None) -> None:
        self.venues = venues
        self.per_venue = [VenueCalibration(v) for v in venues]
        self._minutes = 0
        self.frozen = False  # True keeps the weights where they are (the static baseline)
        self._weights_key: tuple[int, ...] = ()
        self._weights_cache = np.zeros((len(venues), N_TIERS))
        self._scaled_key: tuple = ()
        self._scaled_cache = self._weights_cache
        self.vol_1m = ATTRIBUTION_VOL_REF
        if state:
            self.load(state)

    def weights(self) -> np.ndarray:
        """(V, T) current weights (cached until any venue's weight array is replaced)."""
        key = tuple(id(c.weights) for c in self.per_venue)
        if key != self._weights_key:
            self._weights_cache = np.stack([c.weights for c in self.per_venue])
            self._weights_key = key
        return self._weights_cache

    def scaled_weights(self) -> np.ndarray:
        """(V, T) weights times each venue's at-risk share: what the map shows per USD of inventory."""
        w = self.weights()
        key = (self._weights_key, tuple(c.at_risk for c in self.per_venue))
        if key != self._scaled_key:
            self._scaled_cache = w * np.array([c.at_risk for c in self.per_venue])[:, None]
            self._scaled_key = key
        return self._scaled_cache

    def at_risk(self) -> np.ndarray:
        """(V,) share of crossed inventory that really liquidates, per venue."""
        return np.array([c.at_risk for c in self.per_venue])

    def note_volatility(self, ret_1m: float) -> None:
        """EWMA of absolute 1-minute returns scales the attribution kernel."""
        self.vol_1m = 0.97 * self.vol_1m + 0.03 * abs(ret_1m) * math.sqrt(math.pi / 2.0)

    def attribute(self, venue_idx: int, usd: float, density: np.ndarray, print_usd: float | None = None) -> None:
        """Attribute `usd` (one print, possibly scaled for sampling) by tier densities near its price.

        The print also counts towards the venue's at-risk level.
        """
        cal = self.per_venue[venue_idx]
        cal.events += 1
        cal.risk_printed_usd += usd
        cal.mean_print_usd += 0.02 * ((usd if print_usd is None else print_usd) - cal.mean_print_usd)
        if not (cal.weights * density).sum() > 0:
            cal.unexplained_usd += usd
            return
        k = cal.print_count % PRINT_MEMORY
        cal.print_density[k] = density
        cal.print_usd[k] = usd
        cal.print_minute[k] = self._minutes
        cal.print_count += 1

    def attribution_width_pct(self) -> float:
        """Soft-attribution kernel width (fraction of price), scaled by recent volatility."""
        scale = min(max(self.vol_1m / ATTRIBUTION_VOL_REF, 0.7), 1.6)
        return ATTRIBUTION_BASE_PCT * scale

    def per_second_factor(self, venue_idx: int, expected_usd: float, proxy_count: float = 0.0) -> float:
        """How many liquidations one print of a <=1/s venue stands for: E[N | N >= 1] = lam / (1 - e^-lam).

        lam is the larger of the model's expected count and a complete venue's count in that second.
        """
        cal = self.per_venue[venue_idx]
        lam = max(expected_usd / max(cal.mean_print_usd, 1.0), proxy_count)
        if lam < 1e-3:
            return 1.0
        return min(lam / -math.expm1(-lam), MAX_PER_SECOND_FACTOR)

    def add_exposure(self, swept: np.ndarray) -> None:
        """Tier-conditional USD swept this tick, (V, T): tier evidence, and the at-risk denominator."""
        for vi, cal in enumerate(self.per_venue):
            cal.exposure += swept[vi]
            cal.risk_swept_usd += float(swept[vi] @ cal.weights)

    def note_printed(self, venue_idx: int, usd: float) -> None:
        """Printed USD that counts towards the at-risk level only (no tier attribution)."""
        if usd > 0 and math.isfinite(usd):
            self.per_venue[venue_idx].risk_printed_usd += usd

    def note_realised(self, venue_idx: int, realised_usd: float, swept: np.ndarray) -> None:
        """A period's realised liquidation USD (all of it, e.g. a bar's total) against the tier USD it swept."""
        cal = self.per_venue[venue_idx]
        if realised_usd >= 0 and math.isfinite(realised_usd):
            cal.risk_printed_usd += realised_usd
            cal.risk_swept_usd += float(swept @ cal.weights)

    def note_sampling(self, venue_idx: int, printed_usd: float, oi_drop_usd: float) -> None:
        """One sweeping minute's printed USD and open-interest drop (beyond normal flow)."""
        cal = self.per_venue[venue_idx]
        cal.printed_sweep_usd += printed_usd
        cal.oi_drop_sweep_usd += oi_drop_usd

    def minute(self, oi_usd: np.ndarray, tier_mass: np.ndarray | None = None) -> bool:
        """Per-minute forgetting; every UPDATE_EVERY_MIN minutes update weights. True when updated."""
        forget = 0.5 ** (1.0 / EVIDENCE_HALF_LIFE_MIN)
        for cal in self.per_venue:
            cal.exposure *= forget
            cal.carried *= forget
            cal.printed_sweep_usd *= forget
            cal.oi_drop_sweep_usd *= forget
            cal.risk_printed_usd *= forget
            cal.risk_swept_usd *= forget
        self._minutes += 1
        if self._minutes % UPDATE_EVERY_MIN or self.frozen:
            return False
        for vi, cal in enumerate(self.per_venue):
            self._update(cal, float(oi_usd[vi]), None if tier_mass is None else tier_mass[vi])
        return True

    def _update(self, cal: VenueCalibration, oi_usd: float, tier_mass: np.ndarray | None = None) -> None:
        if not oi_usd > 0:
            return
        traits = quality(cal.venue)
        if not traits.liquidations:
            return  # no public prints (Hyperliquid): no evidence, the prior weights and at-risk share stay
        pseudo = SAMPLING_PSEUDO_SHARE * oi_usd
        prior = traits.coverage
        if traits.sampling_known:
            cal.sampling = prior
        else:
            cal.sampling = min(max((cal.printed_sweep_usd + prior * pseudo) / (cal.oi_drop_sweep_usd + pseudo), 0.02), 1.5)
        cal.attributed = self._reattribute(cal)
        self._update_at_risk(cal)
        # Tier shape among the tiers price tested; their level is at_risk's job (see the module doc).
        # confidence: the tier's expected print count (at_risk x weight x exposure / print size) against the prior's
        conf = cal.exposure / (cal.exposure + PRIOR_PRINTS * cal.mean_print_usd / (np.maximum(cal.weights, WEIGHT_FLOOR) * cal.at_risk))
        if tier_mass is not None:
            # judge a tier only once price has tested a real share of its inventory: a tier reached
            # by one far move is measured on the tail of the entry distribution, where the map is weakest
            tested = cal.exposure / np.maximum(cal.exposure + tier_mass, 1e-12)
            conf = conf * tested / (tested + HAZARD_HALF_CONFIDENCE)
        printed = cal.attributed / cal.sampling
        expected = float(cal.exposure @ cal.weights)
        if not expected > 0 or not printed.sum() > 0:
            return
        level = float(printed.sum()) / expected  # printed USD per USD of weighted exposure, all tiers
        ratio = printed / np.maximum(cal.exposure, 1e-12) / level  # per tier, in weight units
        target = (1.0 - conf) * cal.weights + conf * np.minimum(ratio, 1.0)
        target *= cal.weights.sum() / max(float(target.sum()), 1e-12)
        new = cal.weights + DAMPING * (target - cal.weights)
        new = np.maximum(new, WEIGHT_FLOOR)
        cal.weights = new / new.sum()

    def _update_at_risk(self, cal: VenueCalibration) -> None:
        """at_risk = printed (sampling-corrected) / weighted swept USD, shrunk towards the prior."""
        pseudo_printed = AT_RISK_PRIOR_PRINTS * cal.mean_print_usd
        pseudo_swept = pseudo_printed / AT_RISK_PRIOR
        printed = cal.risk_printed_usd / cal.sampling
        lo, hi = AT_RISK_BOUNDS
        cal.at_risk = min(max((printed + pseudo_printed) / (cal.risk_swept_usd + pseudo_swept), lo), hi)

    def _reattribute(self, cal: VenueCalibration) -> np.ndarray:
        """R per tier: remembered prints re-attributed with the current weights, older ones forgotten."""
        n = min(cal.print_count, PRINT_MEMORY)
        if n == 0:
            return cal.carried.copy()
        dens = cal.print_density[:n]
        resp = dens * cal.weights
        total = resp.sum(axis=1, keepdims=True)
        ok = total[:, 0] > 0
        age = self._minutes - cal.print_minute[:n]
        usd = cal.print_usd[:n] * 0.5 ** (age / EVIDENCE_HALF_LIFE_MIN)
        return (resp[ok] / total[ok] * usd[ok, None]).sum(axis=0) + cal.carried

    def state(self) -> dict:
        """JSON-able state of every venue."""
        return {"tiers": [int(t) for t in TIERS], "venues": {c.venue: c.to_dict() for c in self.per_venue},
                "vol_1m": self.vol_1m}

    def load(self, state: dict) -> None:
        """Restore from `state()` output; venues missing or malformed keep the prior."""
        if [int(t) for t in state.get("tiers", [])] != [int(t) for t in TIERS]:
            return
        venues = state.get("venues", {})
        for vi, venue in enumerate(self.venues):
            if venue in venues:
                try:
                    self.per_venue[vi] = VenueCalibration.from_dict(venue, venues[venue])
                except (KeyError, TypeError, ValueError):
                    continue
        try:
            self.vol_1m = float(state.get("vol_1m", self.vol_1m))
        except (TypeError, ValueError):
            pass
