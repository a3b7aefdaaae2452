"""Parsing of the sim's --faults and --leverage-mix options."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tnet.margin import LEVERAGE_TIERS
from tnet.sim.faults import Faults, load_leverage_mix, parse_faults


def test_parse_faults_reads_every_key() -> None:
    f = parse_faults("drop=30, stall=5,malformed=0.01,burst=10")
    assert f == Faults(drop_s=30.0, stall_s=5.0, stall_every_s=60.0, malformed=0.01, burst=10.0)
    assert parse_faults("") == Faults()
    assert parse_faults("stall=1,stall_every=3").stall_every_s == 3.0


@pytest.mark.parametrize("text,needle", [
    ("drop", "key=value"),
    ("explode=3", "key=value"),
    ("drop=abc", "not a number"),
    ("drop=-1", ">= 0"),
    ("drop=0", "> 0"),
    ("malformed=2", "fraction"),
    ("burst=nan", "finite"),
    ("stall=90", "shorter than stall_every"),
])
def test_parse_faults_rejects_bad_input_with_one_line(text: str, needle: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_faults(text)
    assert needle in str(info.value) and "\n" not in str(info.value)


def test_load_leverage_mix_from_text_and_file(tmp_path: Path) -> None:
    mix = load_leverage_mix('{"binance": {"10": 1, "25": 3}}')
    assert set(mix) == {"binance"}
    assert list(mix["binance"]) == list(LEVERAGE_TIERS)
    assert mix["binance"][10] == pytest.approx(0.25) and mix["binance"][25] == pytest.approx(0.75)
    path = tmp_path / "mix.json"
    path.write_text(json.dumps({"okx": {"5": 2, "125": 2}, "bybit": {"20": 1}}))
    from_file = load_leverage_mix(str(path))
    assert from_file["okx"][5] == pytest.approx(0.5) and from_file["bybit"][20] == 1.0


@pytest.mark.parametrize("text,needle", [
    ('{"kraken": {"10": 1}}', "unknown venue"),
    ('{"binance": {"ten": 1}}', "not numeric"),
    ('{"binance": {"7": 1}}', "tier 7"),
    ('{"binance": {"10": -0.5}}', ">= 0"),
    ('{"binance": [1, 2]}', "mapping"),
    ('{"binance": {"10": 1}', "not valid JSON"),
    ("[]", "neither JSON nor a readable file"),
    ("/no/such/file.json", "neither JSON nor a readable file"),
])
def test_load_leverage_mix_rejects_bad_input(text: str, needle: str) -> None:
    with pytest.raises(ValueError) as info:
        load_leverage_mix(text)
    assert needle in str(info.value) and "\n" not in str(info.value)
