"""One attempt to deliver: the request, pinned to an address checked just before, and what came back."""

import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx

from api.webhooks import addresses
from api.webhooks.models import ERROR_LENGTH, RESPONSE_EXCERPT_LENGTH

USER_AGENT = "coplab-webhooks/1"


@dataclass(frozen=True)
class Outcome:
    http_status: int | None
    response_excerpt: str | None
    duration_ms: int
    error: str | None

    @property
    def succeeded(self) -> bool:
        return self.http_status is not None and 200 <= self.http_status < 300


def _pinned(url: str, address: addresses.IPAddress) -> tuple[str, str]:
    """`url` with its host replaced by `address`, and the Host header naming the original host."""
    parts = urlsplit(url)
    host = f"[{address}]" if address.version == 6 else str(address)
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, "")), parts.netloc


async def _excerpt(response: httpx.Response) -> str:
    """The start of the answer's body, never more than the excerpt's length read."""
    read = b""
    async for chunk in response.aiter_bytes():
        read += chunk
        if len(read) >= RESPONSE_EXCERPT_LENGTH:
            break
    return read[:RESPONSE_EXCERPT_LENGTH].decode("utf-8", errors="replace")[:RESPONSE_EXCERPT_LENGTH]


async def post(
    client: httpx.AsyncClient, url: str, *, headers: dict[str, str], body: str, production: bool
) -> Outcome:
    """POST `body` to `url` once. No redirect is followed (a 3xx is a failure); the client's timeouts apply."""
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        found = await addresses.addresses_to_use(url, production=production)
        pinned, host = _pinned(url, found[0])
        request = client.build_request(
            "POST",
            pinned,
            content=body.encode(),
            headers={**headers, "host": host, "content-type": "application/json", "user-agent": USER_AGENT},
            extensions={"sni_hostname": urlsplit(url).hostname} if url.startswith("https:") else {},
        )
        response = await client.send(request, stream=True, follow_redirects=False)
        try:
            excerpt = await _excerpt(response)
        finally:
            await response.aclose()
        return Outcome(response.status_code, excerpt or None, elapsed(), None)
    except addresses.UnsafeAddress as unsafe:
        return Outcome(None, None, elapsed(), str(unsafe)[:ERROR_LENGTH])
    except httpx.HTTPError as error:
        message = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        return Outcome(None, None, elapsed(), message[:ERROR_LENGTH])
