"""What every connector shares: the connection loop, typed protocol errors, flood guard.

A connector (one module per wire protocol) implements :class:`Connector`:
``on_text``/``on_bytes`` per websocket message and ``on_error`` to tell the peer
in its own protocol before the socket closes. :func:`serve` runs the loop:
accepting, size limits, turning every :class:`ProtocolError` into a close code
for this connection only, and detaching from the call at the end (a clean
stop ends the call; a drop leaves it open for a reconnect). The call's data is
never discarded on a protocol error.

Close codes (RFC 6455): 1000 normal, 1002 protocol error, 1003 unsupported data
(media format), 1007 invalid payload (bad base64/JSON), 1008 policy (auth,
flood), 1009 message too big, 1011 internal error, 1013 try again later (at capacity).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from app.calls import CallError, CallRegistry, CallSession, CapacityError
from app.metrics import Metrics
from app.settings import Settings
from transcription.audio import AudioEdge
from transcription.errors import AudioFormatError
from transcription.types import AudioChunk

log = logging.getLogger("heard.ingest")

CLOSE_NORMAL = 1000
CLOSE_PROTOCOL = 1002
CLOSE_UNSUPPORTED = 1003
CLOSE_INVALID = 1007
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_INTERNAL = 1011
CLOSE_TRY_LATER = 1013


class ProtocolError(Exception):
    """The peer broke its protocol; ``code`` is the websocket close code to send."""

    def __init__(self, reason: str, code: int = CLOSE_PROTOCOL) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


@dataclass(frozen=True, slots=True)
class IntegrationPrincipal:
    """The phone system (or agent browser) an ingest connection was authenticated as."""

    name: str
    connector: str
    authenticated: bool = True


#: Installed by the security module on ``app.state.ingest_authenticator``:
#: ``await auth(connector_name, websocket) -> IntegrationPrincipal | None`` (None: refuse).
IngestAuthenticator = Callable[[str, WebSocket], Awaitable[IntegrationPrincipal | None]]


async def authenticate_with_app(
    connector: str, websocket: WebSocket
) -> IntegrationPrincipal | None:
    """Default body of each connector's ``authenticate`` hook.

    Uses ``app.state.ingest_authenticator`` when the security module installed one;
    otherwise admits the connection only if ``allow_unauthenticated_ingest`` is on.
    """
    auth: IngestAuthenticator | None = getattr(websocket.app.state, "ingest_authenticator", None)
    if auth is not None:
        return await auth(connector, websocket)
    settings: Settings = websocket.app.state.settings
    if settings.allow_unauthenticated_ingest:
        return IntegrationPrincipal("unauthenticated", connector, authenticated=False)
    return None


class FloodGuard:
    """Refuses audio arriving much faster than real time (a token bucket of seconds).

    ``rate`` audio seconds per wall second may arrive, with ``burst`` seconds of
    slack (jitter buffers release bursts after a network hiccup).
    """

    def __init__(
        self, rate: float, burst: float = 30.0, clock: Callable[[], float] = time.monotonic
    ):
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.tokens = burst
        self.last = clock()

    def take(self, seconds: float) -> None:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        self.tokens -= seconds
        if self.tokens < 0:
            raise ProtocolError("audio arriving faster than real time allows", CLOSE_POLICY)


def parse_json(data: str) -> dict[str, Any]:
    try:
        msg = json.loads(data)
    except json.JSONDecodeError as e:
        raise ProtocolError(f"message is not valid JSON (at char {e.pos})", CLOSE_INVALID) from e
    if not isinstance(msg, dict):
        raise ProtocolError("message must be a JSON object", CLOSE_INVALID)
    return msg


class Connector:
    """One ingest connection's protocol state. Subclasses implement the wire format."""

    name = "base"

    def __init__(self, websocket: WebSocket, principal: IntegrationPrincipal) -> None:
        self.ws = websocket
        self.principal = principal
        self.settings: Settings = websocket.app.state.settings
        self.calls: CallRegistry = websocket.app.state.calls
        self.metrics: Metrics = websocket.app.state.metrics
        self.session: CallSession | None = None
        #: the protocol ended cleanly (stop/close): the call ends when we detach
        self.done = False
        self.guard = FloodGuard(self.settings.max_audio_seconds_per_second)

    async def on_text(self, data: str) -> None:
        raise ProtocolError("text messages are not part of this protocol", CLOSE_UNSUPPORTED)

    async def on_bytes(self, data: bytes) -> None:
        raise ProtocolError("binary messages are not part of this protocol", CLOSE_UNSUPPORTED)

    async def on_error(self, error: ProtocolError) -> None:
        """Tell the peer in its protocol before the socket closes (default: nothing)."""

    async def open_call(self, call_id: str, agent: str) -> CallSession:
        if not call_id or len(call_id) > 128 or not call_id.isprintable():
            raise ProtocolError("call id missing, too long or not printable", CLOSE_INVALID)
        if len(agent) > 128 or not agent.isprintable():
            raise ProtocolError("agent name too long or not printable", CLOSE_INVALID)
        # Shielded: a connection cancelled mid-open (server stopping, a test client
        # leaving) must not leave a half-made call; the made call is detached instead.
        opening = asyncio.get_running_loop().create_task(self.calls.open(call_id, agent, self.name))
        try:
            self.session = await asyncio.shield(opening)
        except asyncio.CancelledError:
            opening.add_done_callback(_detach_orphan)
            raise
        except CapacityError as e:
            raise ProtocolError(str(e), CLOSE_TRY_LATER) from e
        except CallError as e:
            raise ProtocolError(str(e), CLOSE_INTERNAL) from e
        return self.session

    def feed(self, edge: AudioEdge, payload: bytes) -> None:
        """Decode one payload through ``edge`` into the session (flood-guarded)."""
        assert self.session is not None
        try:
            chunks = edge.decode(payload)
        except AudioFormatError as e:
            raise ProtocolError(f"bad audio: {e}", CLOSE_INVALID) from e
        self.push(chunks)

    def push(self, chunks: list[AudioChunk]) -> None:
        assert self.session is not None
        if chunks:
            self.guard.take(max(c.duration for c in chunks))
        for chunk in chunks:
            self.session.push(chunk)

    async def finish(self) -> None:
        """The connection is over (either way): drain edges; subclasses extend."""


def _detach_orphan(task: asyncio.Task[CallSession]) -> None:
    if not task.cancelled() and task.exception() is None:
        task.result().detach(clean=False)


async def serve(websocket: WebSocket, connector: Connector) -> None:
    """Run one ingest connection to its end (the websocket must not be accepted yet)."""
    await websocket.accept()
    code, reason = CLOSE_NORMAL, ""
    max_bytes = connector.settings.max_message_bytes
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            text, data = message.get("text"), message.get("bytes")
            if text is not None:
                if len(text) > max_bytes:
                    raise ProtocolError("message too big", CLOSE_TOO_BIG)
                await connector.on_text(text)
            elif data is not None:
                if len(data) > max_bytes:
                    raise ProtocolError("message too big", CLOSE_TOO_BIG)
                await connector.on_bytes(data)
            if connector.done and websocket.client_state != WebSocketState.CONNECTED:
                break
    except WebSocketDisconnect:
        pass
    except ProtocolError as e:
        code, reason = e.code, e.reason
        connector.metrics.ingest_errors.labels(connector.name, str(code)).inc()
        log.warning(
            "ingest protocol error",
            extra={
                "connector": connector.name,
                "code": code,
                "reason": reason,
                "call_id": connector.session.call_id if connector.session else None,
            },
        )
        with contextlib.suppress(Exception):  # the peer may be gone already
            await connector.on_error(e)
    except Exception as e:
        code, reason = CLOSE_INTERNAL, "internal error"
        connector.metrics.ingest_errors.labels(connector.name, str(code)).inc()
        log.exception(
            "ingest connection failed",
            extra={"connector": connector.name, "error": e.__class__.__name__},
        )
    finally:
        try:
            try:
                await connector.finish()
            except Exception as e:
                log.error(
                    "ingest finish failed",
                    extra={"connector": connector.name, "error": type(e).__name__},
                )
            if websocket.client_state == WebSocketState.CONNECTED:
                with contextlib.suppress(Exception):
                    await websocket.close(code=code, reason=reason[:120])
        finally:
            # Close first, then detach: ending a call waits for its last finals. In a
            # finally of its own: a handler cancelled while draining (a client gone,
            # the server stopping) must still give its connection back, or the call
            # counts it forever and never ends.
            if connector.session is not None:
                connector.session.detach(clean=connector.done)
