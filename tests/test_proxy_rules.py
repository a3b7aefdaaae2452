"""Proxy rules: loopback is decided by exact name or address (not a "127." prefix), and NO_PROXY is honoured."""

from __future__ import annotations

import pytest

from tnet.connectors.base import Endpoints
from tnet.connectors.health import VenueHealth
from tnet.connectors.proxy import is_loopback, no_proxy_match, proxy_for
from tnet.connectors.supervisor import VenueConnection
from tnet.connectors.venues import get_spec
from tnet.symbols import resolve

PROXY = "http://proxy.example:3128"


def test_loopback_by_address_or_exact_name_only() -> None:
    for url in ("ws://127.0.0.1:9", "ws://127.4.5.6", "ws://[::1]:5", "http://localhost:1", "http://LOCALHOST."):
        assert is_loopback(url), url
    for url in ("wss://127.attacker.example", "wss://127.0.0.1.attacker.example", "ws://localhost.attacker.example",
                "wss://fstream.binance.com", "ws://10.0.0.1", "ws://[::ffff:8.8.8.8]"):
        assert not is_loopback(url), url


@pytest.mark.parametrize(("no_proxy", "url", "bypass"), [
    ("*", "wss://fstream.binance.com", True),
    ("fstream.binance.com", "wss://fstream.binance.com/market/stream", True),
    ("binance.com", "wss://fstream.binance.com", True),  # a domain covers its subdomains
    (".binance.com", "wss://fstream.binance.com", True),
    ("binance.com", "wss://notbinance.com", False),  # ... but not a longer name ending the same
    ("bybit.com, okx.com", "wss://ws.okx.com:8443/ws/v5/public", True),
    ("okx.com:443", "wss://ws.okx.com:8443/ws/v5/public", False),  # the port must match when given
    ("okx.com:8443", "wss://ws.okx.com:8443/ws/v5/public", True),
    ("10.0.0.0/8", "ws://10.1.2.3:9000", True),
    ("10.0.0.0/8", "ws://11.1.2.3:9000", False),
    ("[2001:db8::1]:443", "wss://[2001:db8::1]", True),
    ("", "wss://fstream.binance.com", False),
])
def test_no_proxy_entries(no_proxy: str, url: str, bypass: bool) -> None:
    assert no_proxy_match(url, no_proxy) is bypass


def test_connections_and_rest_calls_honour_no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.setenv("NO_PROXY", ".binance.com")
    spec = get_spec("binance")
    infos = [resolve("BTC")]

    def conn(ws: str) -> VenueConnection:
        return VenueConnection(spec, infos, Endpoints(ws=ws, rest="https://x"), spec.make_parser(infos),
                               VenueHealth("binance", 5.0), sink=lambda evs: None, proxy=PROXY)

    assert conn("wss://fstream.binance.com").proxy is None
    assert conn("wss://127.attacker.example").proxy == PROXY  # never skips the proxy by a name prefix
    assert proxy_for("https://fapi.binance.com", PROXY) is None
    assert proxy_for("https://api.bybit.com", PROXY) == PROXY
