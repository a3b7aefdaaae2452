"""Config file, source and option parsing: good input works, bad input is one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tnet.config import (
    ConfigError,
    build_settings,
    parse_exchanges,
    parse_source,
    parse_speed,
)
from tnet.symbols import UnknownSymbol, resolve, resolve_all


def test_sources_parse(tmp_path: Path) -> None:
    rec = tmp_path / "r.jsonl"
    rec.write_text("")
    assert parse_source("live").kind == "live"
    assert parse_source("sim").host is None
    remote = parse_source("sim@127.0.0.1:8765")
    assert (remote.kind, remote.host, remote.port) == ("sim", "127.0.0.1", 8765)
    assert parse_source(f"replay:{rec}").path == rec


@pytest.mark.parametrize("bad", ["nope", "sim@host", "sim@:1", "sim@h:99999", "replay:/no/such/file"])
def test_bad_sources_rejected(bad: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_source(bad)
    assert "\n" not in str(err.value) and bad in str(err.value)


def test_exchanges_keep_canonical_order_and_reject_unknown() -> None:
    assert parse_exchanges("okx, binance") == ("binance", "okx")
    with pytest.raises(ConfigError, match="kraken"):
        parse_exchanges("binance,kraken")


def test_speed() -> None:
    assert parse_speed("max") == 0.0
    assert parse_speed("10") == 10.0
    for bad in ("0", "-1", "fast", "nan"):
        with pytest.raises(ConfigError):
            parse_speed(bad)


def test_config_file_overrides(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        'exchanges = ["bybit"]\nproxy = "socks5://127.0.0.1:1080"\ntheme = "mono"\n'
        '[endpoints.binance]\nws = "wss://fstream.example.test/"\n[symbols]\nFOO = 10\n'
    )
    s = build_settings(config=cfg)
    assert s.exchanges == ("bybit",)
    assert s.proxy_url() == "socks5://127.0.0.1:1080"
    assert s.endpoints["binance"].ws == "wss://fstream.example.test"
    assert s.endpoints["binance"].rest == ""
    assert resolve("FOO", s.extra_symbols).contract_size("okx") == 10.0
    # Options win over the file.
    assert build_settings(config=cfg, exchanges="okx").exchanges == ("okx",)


@pytest.mark.parametrize(
    "text, needle",
    [
        ("exchanges = [", "not valid TOML"),
        ("colour = 1", "unknown key 'colour'"),
        ('[endpoints.kraken]\nws = "wss://x"', "endpoints.kraken"),
        ('[endpoints.okx]\nws = "http://x"', "ws://"),
        ("[symbols]\nFOO = -1", "positive"),
        ('proxy = "ftp://x"', "proxy"),
    ],
)
def test_bad_config_is_one_line(tmp_path: Path, text: str, needle: str) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(text)
    with pytest.raises(ConfigError) as err:
        build_settings(config=cfg)
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_missing_explicit_config_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        build_settings(config=tmp_path / "missing.toml")


def test_proxy_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALL_PROXY", "socks5://127.0.0.1:9050")
    assert build_settings().proxy_url() == "socks5://127.0.0.1:9050"


def test_symbol_registry() -> None:
    btc = resolve("btc")
    assert (btc.venue_symbol("binance"), btc.venue_symbol("bybit"), btc.venue_symbol("okx"), btc.contract_size("okx")) == ("BTCUSDT", "BTCUSDT", "BTC-USDT-SWAP", 0.01)
    assert resolve("ETH-USDT-SWAP").short == "ETH"
    assert resolve("SOLUSDT").short == "SOL"
    assert [i.short for i in resolve_all(["BTC", "btc", "ETH"])] == ["BTC", "ETH"]
    with pytest.raises(UnknownSymbol) as err:
        resolve("NOTACOIN")
    assert "NOTACOIN" in str(err.value) and "\n" not in str(err.value)
