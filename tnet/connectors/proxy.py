"""Which venue URLs go through the proxy: never loopback (by exact name or address), never a NO_PROXY match."""

from __future__ import annotations

import ipaddress
import os
from urllib.parse import urlsplit

_LOOPBACK_NAMES = frozenset({"localhost", "localhost."})
_DEFAULT_PORTS = {"ws": 80, "http": 80, "wss": 443, "https": 443}


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def is_loopback(url: str) -> bool:
    """True for a loopback address (127.0.0.0/8, ::1) or exactly `localhost`; a name that merely starts
    with "127." (`127.attacker.example`) is not."""
    host = (urlsplit(url).hostname or "").lower()
    addr = _address(host)
    return addr.is_loopback if addr is not None else host in _LOOPBACK_NAMES


def no_proxy_match(url: str, no_proxy: str | None = None) -> bool:
    """True when `url` matches NO_PROXY (`no_proxy`): `*`, a host or domain (`binance.com` and
    `.binance.com` match its subdomains), an address or CIDR block, each optionally with `:port`."""
    if no_proxy is None:
        no_proxy = os.environ.get("NO_PROXY", os.environ.get("no_proxy", ""))
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
    addr = _address(host)
    for raw in no_proxy.split(","):
        entry = raw.strip().lower()
        if not entry:
            continue
        if entry == "*":
            return True
        entry_port = None
        if entry.startswith("["):  # [v6]:port
            inner, _, rest = entry[1:].partition("]")
            entry, entry_port = inner, rest[1:] or None
        elif entry.count(":") == 1:
            entry, entry_port = entry.split(":")
        if entry_port is not None and entry_port != str(port):
            continue
        if addr is not None:
            try:
                if addr in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                pass
            continue
        name = entry.lstrip("*").lstrip(".").rstrip(".")
        if name and (host == name or host.endswith("." + name)):
            return True
    return False


def proxy_for(url: str, proxy: str | None) -> str | None:
    """The proxy to reach `url` through, or None (no proxy set, loopback, or NO_PROXY says so)."""
    if not proxy or is_loopback(url) or no_proxy_match(url):
        return None
    return proxy
