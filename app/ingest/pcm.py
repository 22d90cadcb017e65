"""The plain PCM websocket (``/ingest/pcm``) for anything that is not Twilio or AudioHook.

Protocol: the first message is JSON text naming the call and the audio::

    {"event": "start", "call_id": "c-1", "agent": "ann", "sample_rate": 8000,
     "encoding": "pcm16", "channels": 2, "speakers": ["caller", "agent"]}

(``event`` optional; ``encoding`` ``pcm16`` (little-endian) | ``mulaw`` | ``alaw``;
``sample_rate`` 8000/16000/44100/48000 for pcm16, 8000 for G.711; ``channels`` 1 or
2, interleaved; ``speakers`` names each channel, default caller then agent.)
Then binary frames of audio in that format. Control messages (JSON text) any
time after start::

    {"event": "hold"} | {"event": "resume"} | {"event": "transfer", "agent": "bob"}
    {"event": "stop"}     (the call ends; closing without it leaves the call open
                           for a reconnect with the same call_id)
"""

from __future__ import annotations

from typing import Any

from starlette.websockets import WebSocket

from app.ingest.base import (
    CLOSE_INVALID,
    CLOSE_UNSUPPORTED,
    Connector,
    IntegrationPrincipal,
    ProtocolError,
    authenticate_with_app,
    parse_json,
)
from transcription.audio import AudioEdge, AudioFormat
from transcription.errors import AudioFormatError


async def authenticate(websocket: WebSocket) -> IntegrationPrincipal | None:
    """Authentication hook (per-integration bearer token; see app.security)."""
    return await authenticate_with_app("pcm", websocket)


def parse_format(
    msg: dict[str, Any], default_speakers: tuple[str, ...] = ("caller", "agent")
) -> AudioFormat:
    """The :class:`AudioFormat` a start message declares (ProtocolError 1003 if unsupported)."""
    channels = msg.get("channels", 1)
    speakers = msg.get(
        "speakers", list(default_speakers[: channels if isinstance(channels, int) else 1])
    )
    if not isinstance(speakers, list) or not all(isinstance(s, str) for s in speakers):
        raise ProtocolError("speakers must be a list of names", CLOSE_INVALID)
    try:
        return AudioFormat(
            msg.get("encoding", "pcm16"),
            msg.get("sample_rate", 16000),
            channels,
            tuple(speakers),
        )
    except (AudioFormatError, TypeError) as e:
        raise ProtocolError(f"unsupported audio format: {e}", CLOSE_UNSUPPORTED) from e


class PcmConnector(Connector):
    name = "pcm"

    def __init__(self, websocket: WebSocket, principal: IntegrationPrincipal) -> None:
        super().__init__(websocket, principal)
        self.edge: AudioEdge | None = None

    def call_identity(self, msg: dict[str, Any]) -> tuple[str, str]:
        call_id, agent = msg.get("call_id"), msg.get("agent", "")
        if not isinstance(call_id, str) or not isinstance(agent, str):
            raise ProtocolError("start needs call_id (and agent) as strings", CLOSE_INVALID)
        return call_id, agent

    async def on_text(self, data: str) -> None:
        msg = parse_json(data)
        event: Any = msg.get("event", "start" if self.edge is None else None)
        if self.edge is None:
            if event != "start":
                raise ProtocolError("the first message must be the start message")
            fmt = parse_format(msg)
            call_id, agent = self.call_identity(msg)
            session = await self.open_call(call_id, agent)
            self.edge = AudioEdge(session.call_id, fmt, start=session.edge_start())
            return
        if self.done:
            raise ProtocolError("message after stop")
        assert self.session is not None
        if event == "stop":
            self.done = True
        elif event == "hold":
            await self.session.hold("hold")
        elif event == "resume":
            self.session.resume("resume")
        elif event == "transfer":
            new_agent = msg.get("agent")
            if not isinstance(new_agent, str) or not new_agent or len(new_agent) > 128:
                raise ProtocolError("transfer needs the new agent's name", CLOSE_INVALID)
            self.session.transfer(new_agent)
        elif event == "start":
            raise ProtocolError("a second start on one connection")
        else:
            raise ProtocolError(f"unknown event {str(event)[:32]!r}")

    async def on_bytes(self, data: bytes) -> None:
        if self.edge is None:
            raise ProtocolError("audio before the start message")
        if self.done:
            raise ProtocolError("audio after stop")
        self.feed(self.edge, data)

    async def finish(self) -> None:
        if self.edge is not None and self.session is not None:
            self.push(self.edge.flush())
