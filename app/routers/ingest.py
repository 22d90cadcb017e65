"""The ingest websockets: ``/ingest/twilio``, ``/ingest/audiohook``, ``/ingest/pcm``,
``/ingest/browser/{call_id}``.

Phone systems authenticate through each connector's ``authenticate`` hook (a
refused upgrade gets close code 1008 before accept, i.e. HTTP 403); the browser
capture is the signed-in agent's own call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, WebSocket

from app.ingest import audiohook, pcm, twilio
from app.ingest.base import CLOSE_POLICY, Connector, IntegrationPrincipal, serve
from app.ingest.browser import BrowserConnector
from app.security.roles import Principal, require

router = APIRouter(tags=["ingest"])

Auth = Callable[[WebSocket], Awaitable[IntegrationPrincipal | None]]


async def _run(
    websocket: WebSocket, auth: Auth, make: Callable[[WebSocket, IntegrationPrincipal], Connector]
) -> None:
    principal = await auth(websocket)
    if principal is None:
        await websocket.close(code=CLOSE_POLICY, reason="not authenticated")
        return
    await serve(websocket, make(websocket, principal))


@router.websocket("/ingest/twilio")
async def ingest_twilio(websocket: WebSocket) -> None:
    await _run(websocket, twilio.authenticate, twilio.TwilioConnector)


@router.websocket("/ingest/audiohook")
async def ingest_audiohook(websocket: WebSocket) -> None:
    await _run(websocket, audiohook.authenticate, audiohook.AudioHookConnector)


@router.websocket("/ingest/pcm")
async def ingest_pcm(websocket: WebSocket) -> None:
    await _run(websocket, pcm.authenticate, pcm.PcmConnector)


@router.websocket("/ingest/browser/{call_id}")
async def ingest_browser(
    websocket: WebSocket,
    call_id: str,
    principal: Annotated[Principal, Depends(require("agent"))],
) -> None:
    calls = websocket.app.state.calls
    session = calls.get(call_id)
    owner = session.agent if session is not None else None
    if session is None:  # not live now: a stored call keeps its owner (security review)
        record = await asyncio.to_thread(websocket.app.state.store.get_call, call_id)
        owner = record.agent if record is not None else None
    if owner not in (None, "", principal.username):
        await websocket.close(code=CLOSE_POLICY, reason="not your call")
        return
    who = IntegrationPrincipal(principal.username, "browser")
    await serve(websocket, BrowserConnector(websocket, who, call_id))
