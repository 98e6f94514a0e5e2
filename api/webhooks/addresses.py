"""Where webhooks may be sent. Outside development and test: https only, and only to hosts whose every
address is public (not private, loopback, link-local, shared, multicast or reserved), checked when an
endpoint is registered and again before every attempt, since DNS answers change. An attempt then connects
to the address it checked, so a second lookup cannot send it elsewhere."""

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from urllib.parse import urlsplit

from api.core import validation
from api.core.errors import ErrorCode, Problems

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeAddress(Exception):
    """The URL may not be sent to; the message says why (it is shown on the attempt)."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


async def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to (itself if it is an address)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        answers = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:  # socket.gaierror included
        raise UnsafeAddress(ErrorCode.INVALID_URL, f"The host {host} does not resolve ({error}).") from error
    found: list[IPAddress] = []
    for *_, sockaddr in answers:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    return found


async def addresses_to_use(url: str, *, production: bool) -> list[IPAddress]:
    """The addresses an attempt to `url` may connect to; UnsafeAddress when there are none."""
    parts = urlsplit(url)
    if production and parts.scheme != "https":
        raise UnsafeAddress(ErrorCode.INSECURE_URL, "Webhook URLs must use https.")
    host = parts.hostname or ""
    found = await resolve(host, parts.port or (443 if parts.scheme == "https" else 80))
    if production:
        refused = [a for a in found if not is_public(a)]
        if refused:
            raise UnsafeAddress(
                ErrorCode.PRIVATE_ADDRESS,
                f"The host {host} resolves to {refused[0]}, a private, loopback, link-local or reserved address.",
            )
    if not found:
        raise UnsafeAddress(ErrorCode.INVALID_URL, f"The host {host} does not resolve.")
    return found


async def checked_url(problems: Problems, field: Sequence[str], value: str | None, *, production: bool) -> str | None:
    """A URL an endpoint may be registered with, or a problem (INVALID_URL, INSECURE_URL, PRIVATE_ADDRESS)."""
    if value is None or not value.strip():
        validation.text(problems, field, value, required=True)  # REQUIRED or BLANK
        return None
    url = validation.url(problems, field, value)
    if url is None:
        return None
    if not production:
        return url
    try:
        await addresses_to_use(url, production=True)
    except UnsafeAddress as unsafe:
        problems.add(field, unsafe.code, str(unsafe))
        return None
    return url
