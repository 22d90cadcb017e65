"""The agent's screens: home (own live calls), the call sidebar, and its websocket.

Routes (all behind ``require``):

- ``GET /agent``: the signed-in agent's live calls; htmx polls the same URL
  (``HX-Request``) and gets the list fragment only.
- ``GET /agent/calls/{call_id}``: the sidebar page, complete at render time.
- ``WS /ws/calls/{call_id}`` (``?view=listen`` for a read-only listener): on
  connect one snapshot replacing every container (so a late or reconnected
  sidebar is whole), then htmx out-of-band fragments per event, rendered by
  :mod:`app.render` from the same templates as the page.
- ``POST /agent/reset``: "reset taken", published as :class:`app.events.ResetTaken`.

Where the data comes from: the live picture of a call is asked of
``app.state.sidebar_source`` (``async (app, call_id) -> SidebarState | None``;
the call registry provides it, tests inject a fake), then kept current from the
call's bus topic. The websocket reads its own bounded bus subscription; a
browser that stops reading only fills that queue (stale partials dropped), and
if it lags past the bus's hard limit the socket is closed with 1013 so the ws
extension reconnects and gets a fresh snapshot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, WebSocket, status
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.exc import SQLAlchemyError
from starlette.websockets import WebSocketDisconnect, WebSocketState

from app import render
from app.bus import Bus, SubscriberLagged, Subscription, call_topic
from app.events import (
    Alert,
    CallEnded,
    CallStarted,
    CallUpdated,
    ContextEvent,
    CueEvent,
    Event,
    FeedbackGiven,
    ResetTaken,
    UtteranceEvent,
)
from app.render import CallHeader, SidebarState, SidebarStream
from app.security.roles import Principal, require
from app.supervisor_board import SupervisorBoard, get_board

log = logging.getLogger("heard.ui")

router = APIRouter(tags=["agent"])

AnyStaff = Annotated[Principal, Depends(require("agent", "supervisor", "admin"))]

SidebarSource = Callable[[Any, str], Awaitable[SidebarState | None]]

#: Events folded into one websocket message when several are waiting.
MAX_BATCH = 64
#: Close code for "you fell behind, reconnect" (RFC 6455 1013: try again later).
CLOSE_LAGGED = 1013
#: Close code when the server shuts down (RFC 6455 1012: service restart).
CLOSE_RESTART = 1012
#: A send that cannot complete in this long (the browser stopped reading) ends the socket.
SEND_TIMEOUT_S = 20.0


async def load_sidebar_state(app: Any, call_id: str) -> SidebarState | None:
    """The call's live picture, from ``app.state.sidebar_source`` or the supervisor board."""
    source: SidebarSource | None = getattr(app.state, "sidebar_source", None)
    if source is not None:
        state = await source(app, call_id)
        if state is not None:
            return state
    board: SupervisorBoard = get_board(app)
    live = board.calls.get(call_id)
    if live is None:
        return None
    # The board knows the header, context and alerts but not the transcript.
    return SidebarState(header=live.header, context=live.context, cues=tuple(live.alerts.values()))


async def with_feedback(app: Any, state: SidebarState, username: str) -> SidebarState:
    """Mark the cards this person already answered (stored answers, e.g. before a reload)."""
    store = getattr(app.state, "store", None)
    if store is None or not state.cues or not hasattr(store, "cues"):
        return state
    try:
        stored = await asyncio.to_thread(store.cues, state.header.call_id)
    except (SQLAlchemyError, OSError):
        log.warning("could not read stored feedback", exc_info=True)
        return state
    mine = {
        sc.cue.id: sc.feedback[username] for sc in stored if username in getattr(sc, "feedback", {})
    }
    return replace(state, feedback={**state.feedback, **mine}) if mine else state


def _bus(app: Any) -> Bus:
    bus: Bus | None = getattr(app.state, "bus", None)
    if bus is None:
        raise RuntimeError("app.state.bus is not set (create_app builds it)")
    return bus


def _may_view(principal: Principal, state: SidebarState | None) -> bool:
    """Agents see their own calls; supervisors and admins see every call."""
    if principal.roles & {"supervisor", "admin"}:
        return True
    return state is None or not state.header.agent or state.header.agent == principal.username


def _read_only(principal: Principal, state: SidebarState, view: str) -> bool:
    """Someone else's call (a supervisor listening in) shows no feedback or capture."""
    return view == "listen" or state.read_only or state.header.agent not in ("", principal.username)


# --------------------------------------------------------------------------- pages


@router.get("/agent", response_class=HTMLResponse)
async def agent_home(request: Request, principal: AnyStaff) -> HTMLResponse:
    board = get_board(request.app)
    mine = [c.header for c in board.calls.values() if c.header.agent == principal.username]
    mine.sort(key=lambda h: h.started_at, reverse=True)
    if request.headers.get("HX-Request"):
        return HTMLResponse(render.agent_calls(mine))
    html = render.render(
        "agent/home.html", calls=mine, principal_name=principal.display_name or principal.username
    )
    return HTMLResponse(html)


@router.get("/agent/calls/{call_id}", response_class=HTMLResponse)
async def sidebar(
    request: Request, call_id: str, principal: AnyStaff, view: str = ""
) -> HTMLResponse:
    state = await load_sidebar_state(request.app, call_id)
    if not _may_view(principal, state):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this call belongs to another agent")
    if state is None:
        # Opened before the call connects (or a call id typed by hand): an empty
        # sidebar that fills in as soon as the call's events arrive.
        state = SidebarState(header=CallHeader(call_id=call_id, agent=principal.username))
    if _read_only(principal, state, view):
        state = replace(state, read_only=True)
    else:
        state = await with_feedback(request.app, state, principal.username)
    name = principal.display_name or principal.username
    return HTMLResponse(render.sidebar_page(state, principal_name=name))


@router.post("/agent/reset", status_code=status.HTTP_204_NO_CONTENT)
async def reset_taken(request: Request, principal: AnyStaff) -> Response:
    """The agent says they took a reset (after a heavy call): the supervisor sees it."""
    form = await request.form()
    raw = form.get("call_id")
    call_id = raw if isinstance(raw, str) and raw else None
    event = ResetTaken(agent=principal.username, call_id=call_id)
    store = getattr(request.app.state, "store", None)
    if store is not None:
        await asyncio.to_thread(store.add_reset, event.agent, event.call_id, event.at)
    _bus(request.app).publish(event)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --------------------------------------------------------------------------- websocket


def render_event(stream: SidebarStream, header: CallHeader, event: Event) -> tuple[str, CallHeader]:
    """One bus event as the fragment this browser needs ("" when nothing changes)."""
    if isinstance(event, UtteranceEvent):
        return stream.utterance(event.utterance), header
    if isinstance(event, CueEvent):
        return stream.cue(event.cue), header
    if isinstance(event, Alert):
        return stream.cue(event.cue), header
    if isinstance(event, ContextEvent):
        return stream.context(event.context), header
    if isinstance(event, FeedbackGiven):
        return stream.feedback(event.cue_id, event.verdict, by=event.username), header
    if isinstance(event, CallStarted):
        header = CallHeader(event.call_id, event.agent, event.started_at, "live", event.source)
        return stream.status(header), header
    if isinstance(event, CallUpdated | CallEnded):
        header = CallHeader(
            header.call_id,
            event.agent or header.agent,
            header.started_at,
            event.state,
            header.source,
        )
        return stream.status(header), header
    return "", header


class NotYourCall(Exception):
    """A call a plain agent opened before it existed turned out to be someone else's."""


async def _pump(
    websocket: WebSocket,
    sub: Subscription,
    stream: SidebarStream,
    header: CallHeader,
    guard: Callable[[Event], None],
) -> None:
    while True:
        batch = [await sub.get()]
        # Fold what is already waiting into the same message (one DOM pass in the browser).
        for _ in range(MAX_BATCH):
            nxt = sub.get_nowait()
            if nxt is None:
                break
            batch.append(nxt)
        parts: list[str] = []
        for event in batch:
            guard(event)
            html, header = render_event(stream, header, event)
            parts.append(html)
        message = "".join(parts)
        if message:
            await send(websocket, message, sub)


async def _drain_client(websocket: WebSocket) -> None:
    """Read (and ignore) what the browser sends until it goes away."""
    while True:
        msg = await websocket.receive()
        if msg["type"] == "websocket.disconnect":
            return


async def serve_stream(
    websocket: WebSocket,
    sub: Subscription,
    snapshot: str,
    pump: Callable[[], Coroutine[Any, Any, None]],
) -> None:
    """Send the snapshot, then run ``pump`` until the client leaves or lags."""
    try:
        await websocket.send_text(snapshot)
        pump_task = asyncio.create_task(pump())
        drain_task = asyncio.create_task(_drain_client(websocket))
        done, pending = await asyncio.wait(
            {pump_task, drain_task}, return_when=asyncio.FIRST_COMPLETED
        )
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect):
                await task
        for task in done:
            exc = task.exception()
            if isinstance(exc, NotYourCall):
                await _close(websocket, status.WS_1008_POLICY_VIOLATION, "not your call")
            elif isinstance(exc, SubscriberLagged):
                log.warning(
                    "sidebar subscriber lagged; closing for reconnect", extra={"topic": sub.topic}
                )
                await _close(websocket, CLOSE_LAGGED, "lagged: reconnect")
            elif isinstance(exc, StopAsyncIteration):
                # The bus closed: the server is shutting down. 1012 makes the ws
                # extension reconnect (it does not on 1000) and resnapshot.
                await _close(websocket, CLOSE_RESTART, "server restarting")
            elif exc is not None and not isinstance(exc, WebSocketDisconnect):
                raise exc
    except WebSocketDisconnect:
        pass
    finally:
        sub.close()
    await _close(websocket, 1000, "")


async def send(websocket: WebSocket, message: str, sub: Subscription) -> None:
    """Send, but a browser that stopped reading (TCP full) is treated as lagging."""
    try:
        await asyncio.wait_for(websocket.send_text(message), SEND_TIMEOUT_S)
    except TimeoutError:
        raise SubscriberLagged(sub.topic) from None


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    if websocket.client_state == WebSocketState.CONNECTED:
        with contextlib.suppress(RuntimeError, WebSocketDisconnect, TimeoutError):
            await asyncio.wait_for(websocket.close(code=code, reason=reason), SEND_TIMEOUT_S)


@router.websocket("/ws/calls/{call_id}")
async def call_socket(
    websocket: WebSocket, call_id: str, principal: AnyStaff, view: str = ""
) -> None:
    # Subscribe before reading the state: an event published in between is then
    # both in the snapshot and in the queue, and re-applying it is harmless.
    sub = _bus(websocket.app).subscribe(call_topic(call_id))
    try:
        state = await load_sidebar_state(websocket.app, call_id)
    except BaseException:
        sub.close()
        raise
    if not _may_view(principal, state):
        sub.close()
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION, reason="not your call")
        return
    await websocket.accept()
    unclaimed = state is None
    if state is None:
        state = SidebarState(header=CallHeader(call_id=call_id, agent=principal.username))
    read_only = _read_only(principal, state, view)
    if not read_only:
        state = await with_feedback(websocket.app, state, principal.username)
    stream = SidebarStream(read_only=read_only, username=principal.username)
    snapshot = stream.snapshot(state)
    header = state.header
    staff = bool(principal.roles & {"supervisor", "admin"})

    def guard(event: Event) -> None:
        # Opened before the call existed: when it starts, it must be this agent's.
        # Once it was, a transfer away later does not cut the agent off.
        nonlocal unclaimed
        if not unclaimed or staff or not isinstance(event, CallStarted | CallUpdated):
            return
        if event.agent and event.agent != principal.username:
            raise NotYourCall(call_id)
        if event.agent == principal.username:
            unclaimed = False

    async def pump() -> None:
        await _pump(websocket, sub, stream, header, guard)

    await serve_stream(websocket, sub, snapshot, pump)
