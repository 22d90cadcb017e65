"""The supervisor's screens: the live queue, its websocket, and listening in on a call.

Routes (supervisors and admins only):

- ``GET /supervisor``: every live call (agent, ticking duration, caller's state,
  inherited difficulty with its factors, alerts, cue count) and each agent's
  load today (calls, heavy calls, time since the last reset).
- ``WS /ws/supervisor``: one snapshot on connect, then per event only the rows
  that changed (``<tr id="call-…">``, ``<tr id="agent-…">``); a new
  ``urgent_risk``/``abuse`` alert is pushed as a banner on top the moment its
  event reaches this socket's queue (no polling, no batching delay).
- ``GET /supervisor/calls/{call_id}``: the call's sidebar, read-only (live
  transcript and cards over ``/ws/calls/{call_id}?view=listen``).

Data: :class:`app.supervisor_board.SupervisorBoard`, folded from the bus's
supervisor topic by a task this router's lifespan starts (so the board is
current with no supervisor connected) and by each socket (``apply`` is
idempotent, so the socket renders from an up-to-date board whichever ran first).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from datetime import time as dtime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, WebSocket
from fastapi.responses import HTMLResponse
from sqlalchemy.exc import SQLAlchemyError

from app import render
from app.bus import SUPERVISOR, Bus, SubscriberLagged, Subscription
from app.events import Alert, CallEnded, CallStarted, CallUpdated, Event, ResetTaken
from app.routers.agent import MAX_BATCH, send, serve_stream, sidebar
from app.routers.trainer import REVIEWER_ROLES
from app.security.roles import Principal, require
from app.supervisor_board import SupervisorBoard, default_difficulty, get_board

log = logging.getLogger("heard.ui")

Supervisor = Annotated[Principal, Depends(require("supervisor", "admin"))]


async def feed_board(bus: Bus, board: SupervisorBoard) -> None:
    """Fold the supervisor topic into ``board`` for the app's life (resubscribe on lag)."""
    while True:
        sub = bus.subscribe(SUPERVISOR)
        try:
            async for event in sub:
                board.apply(event)
            return  # the bus closed
        except SubscriberLagged:
            log.warning("supervisor board lagged; resubscribing")
        finally:
            sub.close()


def _today_from_store(store: Any) -> tuple[list[tuple[str, str, bool]], dict[str, float | None]]:
    """Today's calls and each agent's last reset, from the store (runs in a thread)."""
    midnight = datetime.combine(date.today(), dtime.min).astimezone()
    records = store.list_calls(since=midnight.astimezone(UTC), limit=5000)
    calls = [(r.agent, r.id, bool(r.heavy)) for r in records]
    resets: dict[str, float | None] = {}
    for agent in {r.agent for r in records if r.agent}:
        last = store.last_reset(agent)
        resets[agent] = last.timestamp() if last is not None else None
    return calls, resets


async def seed_board(app: Any, board: SupervisorBoard) -> None:
    """What happened before this board existed: live sessions, and today from the store.

    Only after a restart does this matter (heavy calls today, last reset); a
    store that cannot answer leaves the board as the events make it.
    """
    registry = getattr(app.state, "calls", None)
    if registry is not None and hasattr(registry, "live"):
        board.seed_live(registry.live())
    store = getattr(app.state, "store", None)
    if store is None:
        return
    try:
        calls, resets = await asyncio.to_thread(_today_from_store, store)
    except (SQLAlchemyError, OSError):  # the queue opens anyway, filled by events from now
        log.exception("could not read today's calls from the store for the supervisor board")
        return
    board.seed_day(calls, resets)


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    board = getattr(app.state, "supervisor_board", None)
    if board is None:
        board = SupervisorBoard(difficulty=default_difficulty())
        app.state.supervisor_board = board
    bus: Bus | None = getattr(app.state, "bus", None)
    # Subscribe first, then seed: an event in between is in both, and apply is idempotent.
    task = asyncio.create_task(feed_board(bus, board)) if bus is not None else None
    await asyncio.sleep(0)  # let the feeder subscribe
    await seed_board(app, board)
    if task is None:
        log.warning("no app.state.bus at start-up: the supervisor board will stay empty")
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


router = APIRouter(tags=["supervisor"], lifespan=lifespan)


def may_replay(principal: Principal) -> bool:
    """Whether the queue links this viewer to a call's replay (the trainer's policy)."""
    return principal.has_any(REVIEWER_ROLES)


@router.get("/supervisor", response_class=HTMLResponse)
async def queue(request: Request, principal: Supervisor) -> HTMLResponse:
    board = get_board(request.app)
    html = render.supervisor_page(
        board.rows(), board.loads(), principal_name=principal.display_name or principal.username,
        replay=may_replay(principal),
    )
    return HTMLResponse(html)


@router.get("/supervisor/calls/{call_id}", response_class=HTMLResponse)
async def listen_in(request: Request, call_id: str, principal: Supervisor) -> HTMLResponse:
    return await sidebar(request, call_id, principal, view="listen")


def affected(event: Event) -> tuple[str | None, tuple[str, ...]]:
    """The call row and agent rows an event can change (pure)."""
    if isinstance(event, ResetTaken):
        return None, (event.agent,)
    agents: tuple[str, ...] = ()
    if isinstance(event, CallStarted | CallEnded | Alert):
        agents = (event.agent,)
    elif isinstance(event, CallUpdated):
        agents = tuple(a for a in (event.agent, event.previous_agent) if a)
    return event.call_id, tuple(a for a in agents if a)


class SupervisorStream:
    """Per-websocket renderer: knows which rows and alerts this browser holds.

    The board may already hold an event's effect (another consumer applied it
    first), so what to push is worked out from the event and this browser's
    page, not from the board's change report.
    """

    def __init__(self, *, replay: bool = False) -> None:
        self.replay = replay  # rows link to the call's replay too
        self._calls: set[str] = set()
        self._agents: set[str] = set()
        self._alerts: set[tuple[str, str]] = set()

    def snapshot(self, board: SupervisorBoard) -> str:
        rows = board.rows()
        loads = board.loads()
        self._calls = {r.header.call_id for r in rows}
        self._agents = {lo.agent for lo in loads}
        self._alerts = {(r.header.call_id, a.kind) for r in rows for a in r.alerts}
        return render.supervisor_snapshot(rows, loads, replay=self.replay)

    def event(self, board: SupervisorBoard, event: Event) -> str:
        board.apply(event)
        call_id, agents = affected(event)
        parts: list[str] = []
        if call_id is not None:
            parts.append(self._call(board, call_id))
        for agent in agents:
            load = board.load(agent)
            if agent in self._agents:
                parts.append(render.agent_row(load, oob=True))
            else:
                self._agents.add(agent)
                parts.append(render.wrap_oob("beforeend:#agents", render.agent_row(load)))
        return "".join(parts)

    def _call(self, board: SupervisorBoard, call_id: str) -> str:
        row = board.row(call_id)
        parts: list[str] = []
        if row is None:
            if call_id in self._calls:
                self._calls.discard(call_id)
                parts.append(render.supervisor_remove(f"call-{render.dom_id(call_id)}"))
            for key in [k for k in self._alerts if k[0] == call_id]:
                self._alerts.discard(key)
                parts.append(render.supervisor_remove(f"alert-{render.dom_id(call_id)}-{key[1]}"))
            return "".join(parts)
        # Alerts first: they are what a supervisor must see within a second.
        for cue in row.alerts:
            if (call_id, cue.kind) not in self._alerts:
                self._alerts.add((call_id, cue.kind))
                parts.append(render.supervisor_alert(call_id, cue, row.header))
        if call_id in self._calls:
            parts.append(render.call_row(row, oob=True, replay=self.replay))
        else:
            self._calls.add(call_id)
            row_html = render.call_row(row, replay=self.replay)
            parts.append(render.wrap_oob("beforeend:#calls", row_html))
        return "".join(parts)


async def _pump(
    websocket: WebSocket, sub: Subscription, board: SupervisorBoard, stream: SupervisorStream
) -> None:
    while True:
        events: list[Event] = [await sub.get()]
        for _ in range(MAX_BATCH):
            nxt = sub.get_nowait()
            if nxt is None:
                break
            events.append(nxt)
        message = "".join(stream.event(board, e) for e in events)
        if message:
            await send(websocket, message, sub)


@router.websocket("/ws/supervisor")
async def supervisor_socket(websocket: WebSocket, principal: Supervisor) -> None:
    app = websocket.app
    bus: Bus = app.state.bus
    board = get_board(app)
    sub = bus.subscribe(SUPERVISOR)
    await websocket.accept()
    stream = SupervisorStream(replay=may_replay(principal))
    snapshot = stream.snapshot(board)

    async def pump() -> None:
        await _pump(websocket, sub, board, stream)

    await serve_stream(websocket, sub, snapshot, pump)


__all__ = ["SupervisorStream", "affected", "feed_board", "lifespan", "router"]
