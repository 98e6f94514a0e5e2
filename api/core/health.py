"""Health probes (docs/operations.md, Health probes): /livez answers while the process is up;
/readyz runs the readiness checks in `app.state.readiness_checks` and answers 200 only when every
one passes, else 503, with each check's result in the body. /health is /livez under its old name."""

import asyncio
import logging
from collections import OrderedDict
from dataclasses import dataclass
from collections.abc import Awaitable, Callable

import sqlalchemy as sa
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response

from api.core.metrics import authorized

log = logging.getLogger("coplab.health")



@dataclass(frozen=True)
class Detail:
    """A check's reason in two forms: `public` for anyone, `operator` for those holding the metrics
    token. The search check's operator form names its index's position in the change log and the
    digest of its documents; both move with non-public records too, so the public must not see them
    (a digest would let someone test a guess at a hidden record's contents)."""

    public: str
    operator: str


# A readiness check: given the application, whether it is ready in that respect and a short reason
# (never a secret: the body is public), or a `Detail` with a fuller reason for operators.
ReadinessCheck = Callable[[FastAPI], Awaitable[tuple[bool, "str | Detail"]]]

router = APIRouter()


def readiness_checks(*checks: tuple[str, ReadinessCheck]) -> "OrderedDict[str, ReadinessCheck]":
    """The ordered registry `app.state.readiness_checks` starts as; add a check by name to it."""
    return OrderedDict(checks)


async def database_reachable(app: FastAPI) -> tuple[bool, str]:
    """The database answers `SELECT 1`."""
    async with app.state.engine.connect() as connection:
        await connection.execute(sa.text("SELECT 1"))
    return True, "answered SELECT 1"


async def not_shutting_down(app: FastAPI) -> tuple[bool, str]:
    """The process has not begun shutting down (the lifespan's shutdown sets the flag)."""
    if getattr(app.state, "shutting_down", False):
        return False, "shutting down"
    return True, "serving"


async def _run(
    app: FastAPI, name: str, check: ReadinessCheck, timeout: float, *, operator: bool
) -> dict[str, bool | str]:
    try:
        ok, detail = await asyncio.wait_for(check(app), timeout=timeout)
        if isinstance(detail, Detail):
            detail = detail.operator if operator else detail.public
    except TimeoutError:
        ok, detail = False, f"no answer within {timeout:g} s"
    except Exception as error:  # noqa: BLE001  (a failing check is a result, not an error of the probe)
        # The exception's text may name hosts or users; its kind is enough for the probe's body.
        log.warning("readiness check %s failed", name, exc_info=True)
        ok, detail = False, f"failed: {type(error).__name__}"
    return {"ok": bool(ok), "detail": detail}


async def readiness(app: FastAPI, *, operator: bool = False) -> tuple[bool, dict[str, dict[str, bool | str]]]:
    """Every registered check's result by name, in order (run one after another: a probe stays cheap);
    with `operator`, the operators' form of each reason."""
    timeout = app.state.settings.readiness_timeout_seconds
    checks = app.state.readiness_checks.items()
    results = {name: await _run(app, name, check, timeout, operator=operator) for name, check in checks}
    return all(result["ok"] for result in results.values()), results


@router.api_route("/livez", methods=["GET", "HEAD"], include_in_schema=False)
@router.api_route("/health", methods=["GET", "HEAD"], include_in_schema=False)
async def livez(request: Request) -> Response:
    """200 while the process serves requests; touches nothing else."""
    if request.method == "HEAD":
        return Response(status_code=200)
    return JSONResponse({"status": "ok"})


@router.api_route("/readyz", methods=["GET", "HEAD"], include_in_schema=False)
async def readyz(request: Request) -> Response:
    """200 when every readiness check passes, else 503; the body lists each check, in the operators'
    form to those the metrics endpoint would answer (docs/operations.md, Health probes)."""
    settings = request.app.state.settings
    ready, checks = await readiness(request.app, operator=bool(settings.metrics_enabled) and authorized(request, settings.metrics_token))
    status = 200 if ready else 503
    if request.method == "HEAD":
        return Response(status_code=status)
    return JSONResponse({"status": "ready" if ready else "not ready", "checks": checks}, status_code=status)
