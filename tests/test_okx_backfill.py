"""OKX's REST liquidation backfill pages back through the whole 24 h the venue serves, not one page of 100."""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson

from tnet.connectors.okx import OkxSpec
from tnet.runtime import Runtime
from tnet.sim.rest import OKX_LIQ_HISTORY_MS
from tnet.symbols import resolve_all
from tnet.venues.okx import CONTRACT_SIZES as OKX_CT_VAL

if TYPE_CHECKING:
    from conftest import SimSettings, StartSim


async def test_backfill_pages_through_the_24_hours_served(start_sim: StartSim, sim_settings: SimSettings) -> None:
    sim = await start_sim(["BTC"], seed=1)
    now = sim.market.now_ms
    # the simulator's truth: every published OKX print of the last 24 h (far more than one page)
    ct = OKX_CT_VAL["BTC"]
    # (time, side, size in contracts as the venue sends it)
    truth = sorted((r.ts_ms, r.side, f"{max(round(r.qty / ct, 2), 0.01):.2f}") for r in sim.market.liquidations_all(
        "BTC", "okx", start_ms=now - OKX_LIQ_HISTORY_MS + 1, end_ms=now) if r.published)
    assert len(truth) > 3 * 100
    rt = Runtime(resolve_all(["BTC"]), sim_settings(sim, exchanges=("okx",)), engines=False)
    seen: list[tuple[int, str, str]] = []
    rt.event_hooks.append(lambda evs: seen.extend((e.ts_ms, e.side, f"{e.qty / ct:.2f}") for e in evs
                                                  if e.type == "liquidation" and e.ts_ms <= now))
    await rt.start()
    try:
        # the venue's window moves on while the requests run: compare after its first minute
        since = now - OKX_LIQ_HISTORY_MS + 60_000
        backfill = sorted(t for t in seen if t[0] > since)
        truth = [t for t in truth if t[0] > since]
        # every row served, once: pages overlap by a millisecond and the repeats are dropped (here many
        # prints share a millisecond, so a page boundary inside such a group is exercised)
        assert len({t[0] for t in truth}) < len(truth)
        assert backfill == truth
        assert rt.health()["venues"]["okx"].get("warm_start") == "ok"
    finally:
        await rt.stop()


def test_next_page_follows_full_pages_only() -> None:
    spec = OkxSpec()
    [_, first] = spec.metadata_requests(resolve_all(["BTC"]))

    def page(times: list[int]) -> bytes:
        details = [{"bkPx": "80000", "posSide": "long", "side": "sell", "sz": "1", "ts": str(t)} for t in times]
        return orjson.dumps({"code": "0", "msg": "", "data": [{"details": details, "uly": "BTC-USDT"}]})

    full = [1_791_565_600_000 - i for i in range(100)]
    nxt = spec.next_page(first, page(full))
    assert nxt == first + "&after=1791565599902"  # 1 ms after the oldest row: its millisecond is asked again
    assert spec.next_page(nxt, page(full[:3])) is None  # a short page is the last
    assert spec.next_page(nxt, page(full)) == nxt  # `after` is replaced, never appended twice
    assert spec.next_page(first, page([5] * 100)) == first + "&after=5"  # one millisecond only: past it
    assert spec.next_page("/api/v5/public/instruments?instType=SWAP", page(full)) is None
    assert spec.next_page(first, b"junk") is None
