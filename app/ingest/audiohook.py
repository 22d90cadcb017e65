"""Genesys AudioHook monitor, protocol version 2 (``/ingest/audiohook``).

The only place this wire format is known. Text frames are JSON messages; every
message has ``version`` ("2"), ``id`` (the session id), ``type``, ``seq`` and
``parameters`` (an object, even when empty). Client messages also carry
``serverseq`` (the last server seq seen) and ``position`` (ISO 8601 duration of
audio so far, e.g. ``"PT12.34S"``); server messages carry ``clientseq`` (the
client seq answered).

Transactions handled::

    open     -> opened   (at once; chooses the media: PCMU or L16 at 8 kHz,
                          stereo ["external", "internal"] preferred = caller, agent)
    ping     -> pong
    paused   /  resumed  (hold; ``pause``/``resume`` accepted too) -> call on hold / live
    discarded            (audio lost upstream: the clock skips it)
    update, dtmf, error  (no answer; error is logged by code)
    close    -> closed   (the call ends)

Binary frames carry audio in the negotiated format, stereo interleaved. Any
broken rule (seq not +1, wrong id or version, missing ``parameters``, audio
before ``opened``, no acceptable media) gets a ``disconnect`` message with
reason ``error`` and the socket is closed with a protocol close code.

Call id: ``parameters.conversationId``. Agent: ``customConfig.agent`` or
``inputVariables.agent`` when the integration passes one (AudioHook itself does
not name the agent), else empty until a transfer names one.
"""

from __future__ import annotations

import json
import re
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
from transcription.types import Speaker

VERSION = "2"
CHANNEL_SPEAKERS: dict[str, Speaker] = {"external": "caller", "internal": "agent"}
FORMATS = {"PCMU": "mulaw", "L16": "pcm16"}
_DURATION = re.compile(r"^PT(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?$")


async def authenticate(websocket: WebSocket) -> IntegrationPrincipal | None:
    """Authentication hook (X-API-KEY + HTTP message signature; see app.security)."""
    return await authenticate_with_app("audiohook", websocket)


def parse_duration(value: Any) -> float:
    """ISO 8601 duration as AudioHook sends it (``PT1.5S``, ``PT2M3S``) -> seconds."""
    if not isinstance(value, str):
        raise ProtocolError("position/duration must be an ISO 8601 duration string", CLOSE_INVALID)
    m = _DURATION.match(value)
    if m is None or value == "PT":
        raise ProtocolError(f"bad ISO 8601 duration {value[:32]!r}", CLOSE_INVALID)
    h, mnt, s = (float(x) if x else 0.0 for x in m.groups())
    return h * 3600 + mnt * 60 + s


def choose_media(offered: Any) -> dict[str, Any] | None:
    """The offered media entry we take: stereo before mono, PCMU before L16, 8 kHz only."""
    if not isinstance(offered, list):
        return None

    def rank(m: dict[str, Any]) -> tuple[int, int]:
        channels = m.get("channels", [])
        return (0 if len(channels) == 2 else 1, 0 if m.get("format") == "PCMU" else 1)

    usable = []
    for m in offered:
        if not isinstance(m, dict) or m.get("type", "audio") != "audio":
            continue
        channels = m.get("channels")
        if m.get("format") not in FORMATS or m.get("rate") != 8000:
            continue
        if (
            not isinstance(channels, list)
            or not 1 <= len(channels) <= 2
            or any(c not in CHANNEL_SPEAKERS for c in channels)
            or len(set(channels)) != len(channels)
        ):
            continue
        usable.append(m)
    return min(usable, key=rank) if usable else None


class AudioHookConnector(Connector):
    name = "audiohook"

    def __init__(self, websocket: WebSocket, principal: IntegrationPrincipal) -> None:
        super().__init__(websocket, principal)
        self.session_id: str | None = None
        self.client_seq = 0
        self.server_seq = 0
        self.edge: AudioEdge | None = None
        self.media: dict[str, Any] | None = None
        self.paused = False
        self.closed = False

    # -- sending ---------------------------------------------------------------------------

    async def send(self, type_: str, parameters: dict[str, Any] | None = None) -> None:
        self.server_seq += 1
        msg = {
            "version": VERSION,
            "type": type_,
            "seq": self.server_seq,
            "clientseq": self.client_seq,
            "id": self.session_id or "00000000-0000-0000-0000-000000000000",
            "parameters": parameters or {},
        }
        await self.ws.send_text(json.dumps(msg, separators=(",", ":")))

    async def on_error(self, error: ProtocolError) -> None:
        if not self.closed:
            await self.send("disconnect", {"reason": "error", "info": error.reason[:200]})

    # -- receiving -------------------------------------------------------------------------

    async def on_text(self, data: str) -> None:
        msg = parse_json(data)
        type_ = msg.get("type")
        self._check_envelope(msg)
        params: dict[str, Any] = msg["parameters"]
        if type_ == "open":
            await self._open(msg, params)
            return
        if self.session_id is None:
            raise ProtocolError(f"{str(type_)[:32]!r} before open")
        if self.closed:
            raise ProtocolError(f"{str(type_)[:32]!r} after close")
        if type_ == "ping":
            await self.send("pong", {})
        elif type_ in ("paused", "pause"):
            self.paused = True
            if self.session is not None:
                await self.session.hold("hold")
        elif type_ in ("resumed", "resume"):
            self.paused = False
            if self.session is not None:
                self.session.resume("resume")
            if "discarded" in params:
                self._skip(parse_duration(params["discarded"]))
        elif type_ == "discarded":
            self._skip(parse_duration(params.get("discarded")))
        elif type_ == "close":
            self.closed = True
            self.done = True
            await self.send("closed", {})
        elif type_ in ("update", "dtmf", "error", "playback_started", "playback_completed"):
            return
        else:
            raise ProtocolError(f"unknown message type {str(type_)[:32]!r}")

    def _check_envelope(self, msg: dict[str, Any]) -> None:
        if msg.get("version") != VERSION:
            raise ProtocolError(f"unsupported version {str(msg.get('version'))[:8]!r} (expected 2)")
        if not isinstance(msg.get("type"), str):
            raise ProtocolError("message without a type", CLOSE_INVALID)
        if not isinstance(msg.get("parameters"), dict):
            raise ProtocolError("message without parameters (an object, even empty)", CLOSE_INVALID)
        seq, serverseq = msg.get("seq"), msg.get("serverseq")
        if not isinstance(seq, int) or isinstance(seq, bool):
            raise ProtocolError("seq missing or not an integer", CLOSE_INVALID)
        if seq != self.client_seq + 1:
            raise ProtocolError(f"out-of-order message: seq {seq}, expected {self.client_seq + 1}")
        if (
            not isinstance(serverseq, int)
            or isinstance(serverseq, bool)
            or not 0 <= serverseq <= self.server_seq
        ):
            raise ProtocolError(
                f"serverseq {serverseq!r} names a message we never sent", CLOSE_INVALID
            )
        if self.session_id is not None and msg.get("id") != self.session_id:
            raise ProtocolError("message for another session id")
        if "position" in msg:
            parse_duration(msg["position"])
        self.client_seq = seq

    async def _open(self, msg: dict[str, Any], params: dict[str, Any]) -> None:
        if self.session_id is not None:
            raise ProtocolError("a second open on one session")
        session_id = msg.get("id")
        if not isinstance(session_id, str) or not session_id:
            raise ProtocolError("open without a session id", CLOSE_INVALID)
        self.session_id = session_id
        conversation = params.get("conversationId")
        if not isinstance(conversation, str) or not conversation:
            raise ProtocolError("open without parameters.conversationId", CLOSE_INVALID)
        media = choose_media(params.get("media"))
        if media is None:
            raise ProtocolError(
                "none of the offered media is supported (PCMU or L16, 8000 Hz, external/internal)",
                CLOSE_UNSUPPORTED,
            )
        agent = ""
        for key in ("customConfig", "inputVariables"):
            extra = params.get(key)
            if isinstance(extra, dict) and isinstance(extra.get("agent"), str):
                agent = extra["agent"]
                break
        speakers = tuple(CHANNEL_SPEAKERS[c] for c in media["channels"])
        fmt = AudioFormat(FORMATS[media["format"]], 8000, len(speakers), speakers)  # type: ignore[arg-type]
        self.media = media
        # Answer at once (the client times the open transaction); audio frames wait in the
        # socket until the call is ready, since this loop reads one message at a time.
        await self.send("opened", {"startPaused": False, "media": [media]})
        session = await self.open_call(conversation, agent)
        self.edge = AudioEdge(conversation, fmt, start=session.edge_start())

    async def on_bytes(self, data: bytes) -> None:
        if self.edge is None:
            raise ProtocolError("audio before opened")
        if self.closed:
            raise ProtocolError("audio after close")
        if self.paused:
            # Audio while paused is a client bug; its time is not call audio we keep.
            return
        self.feed(self.edge, data)

    def _skip(self, seconds: float) -> None:
        if self.edge is not None and seconds > 0:
            self.push(self.edge.advance(seconds))

    async def finish(self) -> None:
        if self.edge is not None and self.session is not None:
            self.push(self.edge.flush())
