"""What the benchmarks that run the real app share about its server: waiting until it is ready."""

from __future__ import annotations

import time

import httpx


def wait_until_ready(base_url: str, timeout: float) -> float:
    """Seconds until /readyz answers 200: the embedded engine builds its index in the background, and
    measuring before it is done would time the build's work too (at 100,000 initiatives it takes
    about 100 s of the same CPU)."""
    begun = time.monotonic()
    while time.monotonic() - begun < timeout:
        try:
            if httpx.get(f"{base_url}/readyz", timeout=5).status_code == 200:
                return time.monotonic() - begun
        except httpx.TransportError:
            pass
        time.sleep(1)
    raise SystemExit(f"/readyz did not answer 200 within {timeout:.0f} s")
