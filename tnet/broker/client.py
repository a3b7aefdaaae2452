"""Connecting to Redis (TLS verified by default) and turning its failures into one-line reasons."""

from __future__ import annotations

import ssl
from typing import Any

from tnet.config import redact_url
from tnet.sources.base import SourceFailed

CONNECT_TIMEOUT_S = 3.0
COMMAND_TIMEOUT_S = 10.0


class BrokerDenied(SourceFailed):
    """Redis refused us for good (wrong password, ACL denial, bad TLS certificate): one line for the user."""


def connect(url: str) -> Any:
    """A `redis.asyncio` client for `url`; `rediss://` verifies the server's certificate and host name."""
    import redis.asyncio as aioredis

    kwargs: dict[str, Any] = {}
    if url.startswith("rediss://"):
        kwargs.update(ssl_cert_reqs="required", ssl_check_hostname=True)
    return aioredis.from_url(
        url, socket_connect_timeout=CONNECT_TIMEOUT_S, socket_timeout=COMMAND_TIMEOUT_S,
        decode_responses=False, **kwargs,
    )


async def check_access(url: str) -> None:
    """Connect once and read the heartbeat key: BrokerDenied (one line) if Redis refuses us for good.

    An unreachable server is not an error here: the reader shows it and keeps trying.
    """
    from tnet.broker.layout import HEARTBEAT_KEY

    redis = connect(url)
    try:
        await redis.get(HEARTBEAT_KEY)
    except Exception as exc:
        why = denial(exc, url)
        if why:
            raise BrokerDenied(why) from None
    finally:
        await redis.aclose()


def denial(exc: BaseException, url: str) -> str | None:
    """The one-line reason if `exc` means Redis will never accept us as configured, else None."""
    from redis.exceptions import (
        AuthenticationError,
        AuthorizationError,
        NoPermissionError,
        ResponseError,
    )

    where = redact_url(url)
    text = str(exc)
    if isinstance(exc, AuthenticationError) or "WRONGPASS" in text or "NOAUTH" in text or "invalid password" in text:
        return f"redis at {where} refused the credentials (wrong user or password)"
    if isinstance(exc, (NoPermissionError, AuthorizationError)) or (isinstance(exc, ResponseError) and "NOPERM" in text):
        return f"redis at {where} denied a command by ACL: {text.split(chr(10))[0]}"
    cause = exc.__cause__ or exc.__context__
    if isinstance(exc, ssl.SSLCertVerificationError) or isinstance(cause, ssl.SSLCertVerificationError):
        return f"redis at {where}: TLS certificate not trusted ({getattr(cause or exc, 'verify_message', '') or text})"
    return None


def reason(exc: BaseException) -> str:
    """A short reason for a transient failure (the URL is never part of it): `unreachable: connection refused`."""
    text = str(exc).split("\n")[0] or type(exc).__name__
    if "onnect" not in type(exc).__name__ and "Timeout" not in type(exc).__name__:
        return text
    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, OSError):  # refused, DNS, timeout...: said as the venues' health says it
        from tnet.connectors.supervisor import classify_error

        return f"unreachable: {classify_error(cause)}"
    return f"unreachable: {text}"
