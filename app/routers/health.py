"""``/healthz`` and ``/metrics`` (public: no patient data, counts only)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from app.metrics import CONTENT_TYPE_LATEST, Metrics

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz(request: Request) -> JSONResponse:
    state = request.app.state
    calls = getattr(state, "calls", None)
    ready = calls is not None
    body = {
        "status": "ok" if ready else "starting",
        "live_calls": len(calls.live()) if calls is not None else 0,
    }
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    m: Metrics = request.app.state.metrics
    return Response(m.render(), media_type=CONTENT_TYPE_LATEST)
