"""Pure rule evaluation: views, health, liquidations and the time in; alerts out (no asyncio, no clock)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tnet.alerts.rules import Rule
from tnet.engine.tape import tape_clusters
from tnet.engine.views import SymbolView, Zone
from tnet.events import Event, Liquidation
from tnet.jsonnum import cents

SCHEMA = "tnet.alert/1"
MAX_PRINTS = 200_000  # per symbol: bounded memory even under a burst
CLUSTER_MATCH_PCT = 0.2  # a cluster within 0.2 % of one already alerted is the same cluster


@dataclass(frozen=True, slots=True)
class Alert:
    """One firing of a rule. `key` names what fired (a zone, a side, a venue) for duplicate suppression."""

    ts_ms: int
    rule: str
    kind: str
    symbol: str | None
    key: str
    message: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The `tnet.alert/1` JSON object (README)."""
        return {"schema": SCHEMA, "ts_ms": self.ts_ms, "rule": self.rule, "kind": self.kind,
                "symbol": self.symbol, "key": self.key, "message": self.message, "data": self.data}


@dataclass(slots=True)
class _Arm:
    armed: bool = True
    last_fired_ms: int | None = None


def usd_text(usd: float) -> str:
    """$1.42M, $350k, $900."""
    for unit, scale in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(usd) >= scale:
            return f"${usd / scale:.3g}{unit}"
    return f"${usd:.0f}"


def price_text(price: float) -> str:
    """Enough digits for any symbol's price."""
    return f"{price:,.2f}" if price >= 100 else f"{price:.6g}"


def print_time(ev: Liquidation) -> int:
    """When a print counts: its exchange time, but never later than it was received.

    A backfilled print (OKX history) has an old exchange time and falls outside every window; a
    scaled-time simulator stamps exchange times ahead of the local clock, which the receive time caps.
    """
    return ev.ts_ms if ev.ts_ms < ev.recv_ms else ev.recv_ms


class AlertEngine:
    """Evaluates rules; each (rule, key) fires once, re-arms when its condition clears, and waits out its cooldown."""

    def __init__(self, rules: list[Rule]) -> None:
        self.rules = rules
        self.prints: dict[str, deque[Liquidation]] = {}
        self.oi_samples: dict[str, deque[tuple[int, dict[str, float]]]] = {}
        self.not_live_since: dict[str, tuple[int, str, str]] = {}  # venue -> (since_ms, state, reason)
        self.arms: dict[tuple[str, str], _Arm] = {}
        self.suppressed = 0  # conditions true but inside their rule's cooldown (counted per evaluation)
        windows = [r.window_s for r in rules if r.kind in ("burst", "cluster")]
        self._print_horizon_ms = int(max(windows, default=0) * 1000)
        oi_windows = [r.window_s for r in rules if r.kind == "oi"]
        self._oi_horizon_ms = int(max(oi_windows, default=0) * 1000)

    # ----------------------------------------------------------------- inputs
    def observe(self, events: Iterable[Event]) -> None:
        """Remember liquidation prints (the burst and cluster rules count them)."""
        if not self._print_horizon_ms:
            return
        prints = self.prints
        for ev in events:
            if ev.type == "liquidation":
                ring = prints.get(ev.symbol)
                if ring is None:
                    ring = prints[ev.symbol] = deque(maxlen=MAX_PRINTS)
                ring.append(ev)  # type: ignore[arg-type]

    def evaluate(self, now_ms: int, views: Mapping[str, SymbolView], health: Mapping[str, Any]) -> list[Alert]:
        """Every rule against the current views and health at `now_ms`; returns the alerts that fire now."""
        self._forget_old(now_ms, views)
        fired: list[Alert] = []
        for rule in self.rules:
            hits: list[tuple[str | None, str, str, dict[str, Any]]] = []
            if rule.kind == "venue":
                hits = self._venue(rule, now_ms, health)
            else:
                for symbol, view in views.items():
                    if rule.applies_to(symbol):
                        hits.extend((symbol, k, m, d) for k, m, d in self._symbol_hits(rule, symbol, view, now_ms))
            fired.extend(self._arm_and_fire(rule, now_ms, hits))
        return fired

    # ----------------------------------------------------------------- arming
    def _arm_and_fire(self, rule: Rule, now_ms: int, hits: list[tuple[str | None, str, str, dict[str, Any]]]) -> list[Alert]:
        """Fire each hit whose (rule, key) is armed and out of cooldown; re-arm keys whose condition cleared."""
        out: list[Alert] = []
        true_keys = set()
        cooldown_ms = int(rule.cooldown_s * 1000)
        for symbol, key, message, data in hits:
            full_key = f"{symbol}:{key}" if symbol else key
            true_keys.add(full_key)
            arm = self.arms.setdefault((rule.name, full_key), _Arm())
            if not arm.armed:
                continue  # still the same episode: a duplicate
            if arm.last_fired_ms is not None and now_ms - arm.last_fired_ms < cooldown_ms:
                self.suppressed += 1
                continue
            arm.armed, arm.last_fired_ms = False, now_ms
            out.append(Alert(now_ms, rule.name, rule.kind, symbol, full_key, message, data))
        for (name, full_key), arm in list(self.arms.items()):
            if name != rule.name or full_key in true_keys:
                continue
            arm.armed = True
            if arm.last_fired_ms is None or now_ms - arm.last_fired_ms >= cooldown_ms:
                del self.arms[(name, full_key)]  # nothing left to remember: bounded state
        return out

    def _forget_old(self, now_ms: int, views: Mapping[str, SymbolView]) -> None:
        cut = now_ms - self._print_horizon_ms
        for ring in self.prints.values():
            while ring and print_time(ring[0]) <= cut:
                ring.popleft()
        if self._oi_horizon_ms:
            for symbol, view in views.items():
                samples = self.oi_samples.setdefault(symbol, deque())
                known = {v: usd for v, usd in view.oi.items() if v != "total_usd" and usd > 0}
                if known:
                    samples.append((now_ms, known))
                while samples and samples[0][0] < now_ms - self._oi_horizon_ms:
                    samples.popleft()

    # ----------------------------------------------------------------- per kind
    def _symbol_hits(self, rule: Rule, symbol: str, view: SymbolView, now_ms: int) -> list[tuple[str, str, dict[str, Any]]]:
        if rule.kind == "zone":
            return self._zone(rule, symbol, view)
        if rule.kind == "burst":
            return self._burst(rule, symbol, now_ms)
        if rule.kind == "cluster":
            return self._cluster(rule, symbol, view, now_ms)
        return self._oi(rule, symbol, now_ms)

    def _zone(self, rule: Rule, symbol: str, view: SymbolView) -> list[tuple[str, str, dict[str, Any]]]:
        price = view.price
        if not price > 0 or not view.bucket_usd > 0:
            return []
        known = [k.split(":", 2)[2] for (name, k), _ in self.arms.items()
                 if name == rule.name and k.startswith(f"{symbol}:zone:")]
        out = []
        for z in view.zones:
            if rule.side != "any" and z.side != rule.side:
                continue
            value = float(z.hazard_usd) if rule.by == "hazard" else z.usd  # type: ignore[attr-defined]
            if value < rule.min_usd:
                continue
            gap = _edge_gap(z, price)
            gap_pct, gap_buckets = gap / price * 100.0, gap / view.bucket_usd
            near = gap_pct <= rule.within_pct if rule.within_pct is not None else gap_buckets <= (rule.within_buckets or 0)
            if not near:
                continue
            hazard_text = f" (hazard {usd_text(value)})" if rule.by == "hazard" else ""
            where = "above" if z.price_low > price else "below" if z.price_high < price else "at"
            message = (f"{symbol} {price_text(price)}: {z.side} liquidation zone {price_text(z.price_low)}–"
                       f"{price_text(z.price_high)} holding {usd_text(z.usd)}{hazard_text}"
                       f" is {gap_pct:.2f}% {where} price")
            data = {"price": price, "zone": {"id": z.id, "side": z.side, "price_low": z.price_low,
                                             "price_high": z.price_high, "usd": cents(z.usd),
                                             "hazard_usd": cents(z.hazard_usd), "state": z.state},
                    "by": rule.by, "value_usd": cents(value), "gap_pct": round(gap_pct, 4), "gap_buckets": round(gap_buckets, 2)}
            # Zones end and re-form around the same prices: one overlapping an alerted zone is that zone.
            key = next((k for k in known if _overlaps(k, z)), f"{z.side}:{z.price_low:.10g}:{z.price_high:.10g}")
            out.append((f"zone:{key}", message, data))
        return out

    def _window_prints(self, symbol: str, now_ms: int, window_s: float, side: str, venue: str = "all") -> list[Liquidation]:
        cut = now_ms - int(window_s * 1000)
        return [ev for ev in self.prints.get(symbol, ())
                if cut < print_time(ev) <= now_ms and (side == "any" or ev.side == side)
                and (venue == "all" or ev.venue == venue)]

    def _burst(self, rule: Rule, symbol: str, now_ms: int) -> list[tuple[str, str, dict[str, Any]]]:
        out = []
        for side in ("long", "short") if rule.side == "any" else (rule.side,):
            prints = self._window_prints(symbol, now_ms, rule.window_s, side, rule.venue)
            usd = sum(ev.usd for ev in prints)
            if not prints or usd < rule.min_usd:
                continue
            venues = "all venues" if rule.venue == "all" else rule.venue
            message = (f"{symbol}: {usd_text(usd)} of {side}s liquidated in {rule.window_s:g}s "
                       f"({len(prints)} prints, {venues})")
            data = {"side": side, "venue": rule.venue, "usd": cents(usd), "count": len(prints), "window_s": rule.window_s,
                    "largest_usd": cents(max(ev.usd for ev in prints)),
                    # where they fired, as the tape and its clusters place them (not a reported bankruptcy price)
                    "price_low": min(ev.fire for ev in prints), "price_high": max(ev.fire for ev in prints)}
            out.append((f"burst:{side}:{rule.venue}", message, data))
        return out

    def _cluster(self, rule: Rule, symbol: str, view: SymbolView, now_ms: int) -> list[tuple[str, str, dict[str, Any]]]:
        prints = self._window_prints(symbol, now_ms, rule.window_s, rule.side)
        ref = view.price if view.price > 0 else (prints[-1].fire if prints else 0.0)
        known = [float(k.rsplit(":", 1)[1]) for (name, k), _ in self.arms.items()
                 if name == rule.name and k.startswith(f"{symbol}:cluster:")]
        out = []
        for c in tape_clusters(prints, ref):
            if c.usd < rule.min_usd or c.count < rule.min_count:
                continue
            # The same cluster drifts as prints add to it: key it by the price first alerted.
            anchor = next((p for p in known if abs(c.price - p) <= p * CLUSTER_MATCH_PCT / 100), c.price)
            what = {"long": "long ", "short": "short "}.get(rule.side, "")
            message = (f"{symbol}: {what}liquidation cluster at {price_text(c.price)}: {usd_text(c.usd)} in "
                       f"{c.count} prints ({c.share:.0%} of the last {rule.window_s:g}s)")
            data = {"price": c.price, "usd": cents(c.usd), "count": c.count, "share": round(c.share, 4),
                    "window_s": rule.window_s, "side": rule.side}
            out.append((f"cluster:{anchor:.10g}", message, data))
        return out

    def _oi(self, rule: Rule, symbol: str, now_ms: int) -> list[tuple[str, str, dict[str, Any]]]:
        samples = self.oi_samples.get(symbol)
        if not samples or len(samples) < 2:
            return []
        t_now, now_oi = samples[-1]
        cut = now_ms - int(rule.window_s * 1000)
        best: tuple[float, int, float, float] | None = None
        for t, then_oi in samples:
            if t < cut or t >= t_now:
                continue
            # Only venues known at both times: a venue's first report is not a change in open interest.
            venues = [v for v in now_oi if v in then_oi and (rule.venue == "all" or v == rule.venue)]
            if not venues:
                continue
            a, b = sum(then_oi[v] for v in venues), sum(now_oi[v] for v in venues)
            change = (b - a) / a * 100.0
            if rule.direction == "up" and change < 0 or rule.direction == "down" and change > 0:
                continue
            if best is None or abs(change) >= abs(best[0]):  # ties: the latest sample, the shortest time
                best = (change, t, a, b)
        if best is None or abs(best[0]) < rule.change_pct:
            return []
        change, t, a, b = best
        word = "up" if change > 0 else "down"
        venues = "all venues" if rule.venue == "all" else rule.venue
        message = (f"{symbol}: open interest {word} {abs(change):.2f}% in {(t_now - t) / 1000:.0f}s "
                   f"({usd_text(a)} → {usd_text(b)}, {venues})")
        data = {"change_pct": round(change, 4), "from_usd": cents(a), "to_usd": cents(b), "over_s": (t_now - t) / 1000,
                "window_s": rule.window_s, "venue": rule.venue}
        return [(f"oi:{word}:{rule.venue}", message, data)]

    def _venue(self, rule: Rule, now_ms: int, health: Mapping[str, Any]) -> list[tuple[str | None, str, str, dict[str, Any]]]:
        venues = health.get("venues") or {}
        for name, report in venues.items():  # track how long each venue has been down or stale
            state = str(report.get("state", ""))
            if state in ("down", "stale"):
                since = self.not_live_since.get(name)
                self.not_live_since[name] = (since[0] if since else now_ms, state, str(report.get("reason") or ""))
            elif state == "live":
                self.not_live_since.pop(name, None)
        out: list[tuple[str | None, str, str, dict[str, Any]]] = []
        for name, (since, state, reason) in self.not_live_since.items():
            if rule.venue not in ("all", name) or state not in rule.states:
                continue
            lasted = (now_ms - since) / 1000.0
            if lasted < rule.for_s:
                continue
            message = f"{name} {state} for {lasted:.0f}s" + (f" ({reason})" if reason else "")
            out.append((None, f"venue:{name}", message,
                        {"venue": name, "state": state, "reason": reason, "for_s": lasted, "since_ms": since}))
        return out


def _edge_gap(z: Zone, price: float) -> float:
    """Price distance from `price` to the zone's nearer edge (0 inside the zone)."""
    if price < z.price_low:
        return z.price_low - price
    if price > z.price_high:
        return price - z.price_high
    return 0.0


def _overlaps(key: str, z: Zone) -> bool:
    """True when the zone key `side:low:high` is on z's side and overlaps its price range."""
    side, low, high = key.split(":")
    return side == z.side and float(low) <= z.price_high and z.price_low <= float(high)
