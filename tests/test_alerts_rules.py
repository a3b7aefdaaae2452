"""Alert rules: the config's [[alerts]] tables and --rule strings mean the same; bad rules are one-line errors."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tnet.alerts.rules import Rule, RuleError, parse_duration, parse_rules, parse_usd
from tnet.config import ConfigError, build_settings

CONFIG = """
[[alerts]]
name = "btc-near-zone"
kind = "zone"
symbols = ["BTC"]
within_pct = 0.5
min_usd = "5M"
side = "short"
cooldown = "15m"

[[alerts]]
kind = "burst"
min_usd = 1_000_000
window = 60
venue = "bybit"

[[alerts]]
kind = "venue"
for = "30s"
states = ["down"]
"""


def test_config_and_command_line_give_the_same_rules() -> None:
    from_config = parse_rules(tomllib.loads(CONFIG)["alerts"])
    from_cli = parse_rules([], [
        "zone:name=btc-near-zone,symbols=BTC,within_pct=0.5%,min_usd=5M,side=short,cooldown=15m",
        "burst:name=burst-2,min_usd=1000000,window=1m,venue=bybit",
        "venue:name=venue-3,for=30,states=down",
    ])
    assert from_config == from_cli
    zone = from_config[0]
    assert zone == Rule(name="btc-near-zone", kind="zone", symbols=("BTC",), cooldown_s=900.0, min_usd=5e6,
                        within_pct=0.5, side="short")
    assert from_config[1].name == "burst-2" and from_config[1].window_s == 60.0
    assert from_config[2].states == ("down",) and from_config[2].for_s == 30.0


def test_units() -> None:
    assert parse_usd("2.5M", "x") == 2.5e6 and parse_usd("$500k", "x") == 5e5 and parse_usd(1_000, "x") == 1000.0
    assert parse_duration("90s", "x") == 90 and parse_duration("5m", "x") == 300 and parse_duration("1h", "x") == 3600
    assert parse_duration(45, "x") == 45


@pytest.mark.parametrize("text, needle", [
    ("", "expected KIND:key=value"),
    ("boom:min_usd=1", "kind: expected one of zone, burst, cluster, oi, venue"),
    ("burst:min_usd=1M", "missing 'window'"),
    ("burst:min_usd=lots,window=60", "min_usd: expected a number like"),
    ("burst:min_usd=1M,window=0", "window: must be > 0"),
    ("burst:min_usd=1M,window=60,colour=red", "unknown key 'colour'"),
    ("zone:min_usd=1M", "exactly one of 'within_pct' or 'within_buckets'"),
    ("zone:min_usd=1M,within_pct=1,within_buckets=3", "exactly one of"),
    ("zone:min_usd=1M,within_buckets=2.5", "whole number"),
    ("oi:change_pct=0,window=60", "change_pct: must be > 0"),
    ("venue:for=10,venue=kraken", "venue: expected one of all, binance, bybit, okx"),
    ("burst:min_usd=-5,window=60", "expected a number like"),
    ("burst:window", "is not key=value"),
])
def test_bad_rules_are_one_line_errors(text: str, needle: str) -> None:
    with pytest.raises(RuleError) as info:
        parse_rules([], [text])
    assert needle in str(info.value) and "\n" not in str(info.value)


def test_zone_by() -> None:
    assert parse_rules([], ["zone:within_pct=1,min_usd=1M,by=hazard"])[0].by == "hazard"
    with pytest.raises(RuleError, match="by: expected one of usd, hazard"):
        parse_rules([], ["zone:within_pct=1,min_usd=1M,by=vibes"])


def test_duplicate_names_are_refused() -> None:
    with pytest.raises(RuleError, match="used twice"):
        parse_rules([{"kind": "venue", "for": 5, "name": "a"}], ["venue:name=a,for=5"])


def test_a_bad_rule_in_the_config_fails_every_command_with_one_line(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[[alerts]]\nkind = "burst"\nmin_usd = "1M"\n')
    with pytest.raises(ConfigError, match=r"rule 'burst-1' \(config \[\[alerts\]\] #1\): missing 'window'"):
        build_settings(config=cfg)
    cfg.write_text("bell = true\n" + CONFIG)
    settings = build_settings(config=cfg)
    assert settings.bell is True and len(settings.alert_rules) == 3


def test_the_readme_example_rules_are_valid() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    section = readme[readme.index("## Alerts and streams"):]
    block = section[section.index("```toml\n") + 8:]
    rules = parse_rules(tomllib.loads(block[:block.index("```")])["alerts"])
    assert [(r.name, r.kind) for r in rules] == [("btc-near-zone", "zone"), ("long-flush", "burst"), ("feed-down", "venue")]
