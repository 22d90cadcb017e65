"""Twilio Media Streams (``/ingest/twilio``): the only place their wire format is known.

Messages (JSON text frames; Twilio docs "Media Streams - WebSocket Messages")::

    {"event": "connected", "protocol": "Call", "version": "1.0.0"}
    {"event": "start", "sequenceNumber": "1", "streamSid": "MZ...",
     "start": {"accountSid": "AC...", "streamSid": "MZ...", "callSid": "CA...",
               "tracks": ["inbound", "outbound"],
               "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
               "customParameters": {"agent": "ann", "call_id": "..."}}}
    {"event": "media", "sequenceNumber": "3", "streamSid": "MZ...",
     "media": {"track": "inbound", "chunk": "1", "timestamp": "5", "payload": "<base64 µ-law>"}}
    {"event": "mark", "sequenceNumber": "4", "streamSid": "MZ...", "mark": {"name": "..."}}
    {"event": "dtmf", "sequenceNumber": "5", "streamSid": "MZ...",
     "dtmf": {"track": "inbound_track", "digit": "1"}}
    {"event": "stop", "sequenceNumber": "6", "streamSid": "MZ...",
     "stop": {"accountSid": "AC...", "callSid": "CA..."}}

Replays: the signature covers only the upgrade URL, so a captured signed upgrade can be
replayed. Twilio makes a new ``streamSid`` for every stream (a re-dial, a transfer or a
reconnect is a new stream), so a ``start`` naming a streamSid this server has already
seen is refused (close 1008, audited); the set of seen ids is bounded.

``both_tracks``: ``inbound`` is the caller, ``outbound`` the agent. The call id
is ``customParameters.call_id`` when given (so a re-dialled stream or a replay
names its call), else the ``callSid``; the agent is ``customParameters.agent``.
``media.timestamp`` (ms since the stream began, per track) places the audio on
the call clock, so a gap in a track is a gap on the clock. DTMF digits are not
logged or stored (they can be account numbers).
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections import OrderedDict
from typing import Any

from starlette.websockets import WebSocket

from app.ingest.base import (
    CLOSE_INVALID,
    CLOSE_POLICY,
    CLOSE_UNSUPPORTED,
    Connector,
    IntegrationPrincipal,
    ProtocolError,
    authenticate_with_app,
    parse_json,
)
from transcription.audio import AudioEdge, AudioFormat
from transcription.types import Speaker

log = logging.getLogger("heard.ingest")

TRACKS: dict[str, Speaker] = {"inbound": "caller", "outbound": "agent"}
#: streamSids remembered for replay refusal (~100 bytes each: ~10 MB at most).
MAX_SEEN_STREAMS = 100_000
#: A timestamp this far past a track's clock is a real gap (not jitter).
GAP_TOLERANCE_S = 0.2


async def authenticate(websocket: WebSocket) -> IntegrationPrincipal | None:
    """Authentication hook (X-Twilio-Signature on the upgrade; see app.security)."""
    return await authenticate_with_app("twilio", websocket)


def _str(d: dict[str, Any], key: str, where: str) -> str:
    v = d.get(key)
    if not isinstance(v, str) or not v:
        raise ProtocolError(f"{where}: {key} missing or not a string", CLOSE_INVALID)
    return v


def _obj(d: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    v = d.get(key)
    if not isinstance(v, dict):
        raise ProtocolError(f"{where}: {key} missing or not an object", CLOSE_INVALID)
    return v


class SeenStreams:
    """The streamSids this server has started, oldest forgotten past ``max_entries``."""

    def __init__(self, max_entries: int = MAX_SEEN_STREAMS) -> None:
        self.max_entries = max_entries
        self._seen: OrderedDict[str, None] = OrderedDict()

    def first_use(self, stream_sid: str) -> bool:
        """True (and remembered) the first time; False for a streamSid seen before."""
        if stream_sid in self._seen:
            return False
        self._seen[stream_sid] = None
        while len(self._seen) > self.max_entries:
            self._seen.popitem(last=False)
        return True


def seen_streams(app: Any) -> SeenStreams:
    """The app's set of seen streamSids (made on first use)."""
    seen: SeenStreams | None = getattr(app.state, "twilio_streams", None)
    if seen is None:
        seen = app.state.twilio_streams = SeenStreams()
    return seen


class TwilioConnector(Connector):
    name = "twilio"

    def __init__(self, websocket: WebSocket, principal: IntegrationPrincipal) -> None:
        super().__init__(websocket, principal)
        self.stream_sid: str | None = None
        self.edges: dict[Speaker, AudioEdge] = {}
        self.base = 0.0  # call time of the stream's timestamp 0
        #: per track, call time just after the last wire sample received (the edge's own
        #: clock lags it by the resampler's delay until flushed)
        self.wire_clock: dict[Speaker, float] = {}
        self.last_seq = 0
        self.marks = 0
        self.dtmf = 0

    async def on_text(self, data: str) -> None:
        msg = parse_json(data)
        event = msg.get("event")
        if event == "connected":
            if self.stream_sid is not None:
                raise ProtocolError("connected after start")
            return
        self._check_seq(msg)
        if event == "start":
            await self._start(msg)
        elif event == "media":
            self._media(msg)
        elif event == "stop":
            self._require_started("stop")
            self.done = True
        elif event == "mark":
            self._require_started("mark")
            self.marks += 1
        elif event == "dtmf":
            self._require_started("dtmf")
            self.dtmf += 1
        else:
            raise ProtocolError(f"unknown event {str(event)[:32]!r}")

    def _check_seq(self, msg: dict[str, Any]) -> None:
        raw = msg.get("sequenceNumber")
        if raw is None:
            return
        try:
            seq = int(raw)
        except (TypeError, ValueError) as e:
            raise ProtocolError("sequenceNumber is not a number", CLOSE_INVALID) from e
        if seq <= self.last_seq:
            raise ProtocolError(f"out-of-order message: sequenceNumber {seq} after {self.last_seq}")
        self.last_seq = seq

    def _require_started(self, what: str) -> None:
        if self.stream_sid is None or self.session is None:
            raise ProtocolError(f"{what} before start")
        if self.done:
            raise ProtocolError(f"{what} after stop")

    async def _start(self, msg: dict[str, Any]) -> None:
        if self.stream_sid is not None:
            raise ProtocolError("a second start on one stream")
        start = _obj(msg, "start", "start")
        stream_sid = _str(start, "streamSid", "start")
        call_sid = _str(start, "callSid", "start")
        fmt = _obj(start, "mediaFormat", "start")
        encoding, rate, channels = (
            fmt.get("encoding"),
            fmt.get("sampleRate"),
            fmt.get("channels", 1),
        )
        if encoding != "audio/x-mulaw" or rate != 8000 or channels != 1:
            raise ProtocolError(
                f"unsupported media format {encoding}/{rate}/{channels}: "
                "expected audio/x-mulaw 8000 Hz mono",
                CLOSE_UNSUPPORTED,
            )
        tracks = start.get("tracks", ["inbound"])
        if not isinstance(tracks, list) or not tracks or any(t not in TRACKS for t in tracks):
            raise ProtocolError(
                f"tracks must be inbound and/or outbound, got {tracks!r}", CLOSE_INVALID
            )
        params = start.get("customParameters") or {}
        if not isinstance(params, dict):
            raise ProtocolError("customParameters must be an object", CLOSE_INVALID)
        call_id = str(params.get("call_id") or params.get("callId") or call_sid)
        agent = str(params.get("agent") or "")
        # Checked and remembered with no await between: two replays at once cannot both pass.
        if not seen_streams(self.ws.app).first_use(stream_sid):
            await self._audit_replay()
            raise ProtocolError("streamSid already used: a replayed stream", CLOSE_POLICY)
        session = await self.open_call(call_id, agent)
        self.stream_sid = stream_sid
        self.base = session.edge_start()
        for track in tracks:
            speaker = TRACKS[track]
            self.edges[speaker] = AudioEdge(
                call_id, AudioFormat("mulaw", 8000, 1, (speaker,)), start=self.base
            )
            self.wire_clock[speaker] = self.base

    async def _audit_replay(self) -> None:
        auditor = getattr(self.ws.app.state, "audit_log", None)
        if auditor is None:
            return
        try:
            await auditor.arecord(
                self.principal.name, "ingest_refused", outcome="refused",
                target_type="ingest", target_id=self.name,
                ip=self.ws.client.host if self.ws.client else "",
                detail={"reason": "stream_replayed"},
            )  # fmt: skip
        except Exception:
            log.exception("audit write failed")

    def _media(self, msg: dict[str, Any]) -> None:
        self._require_started("media")
        media = _obj(msg, "media", "media")
        track = media.get("track", "inbound")
        speaker = TRACKS.get(track) if isinstance(track, str) else None
        if speaker is None:
            raise ProtocolError(f"unknown track {str(track)[:32]!r}", CLOSE_INVALID)
        edge = self.edges.get(speaker)
        if edge is None:
            raise ProtocolError(
                f"media on track {track} which start did not announce", CLOSE_INVALID
            )
        payload = media.get("payload")
        if not isinstance(payload, str):
            raise ProtocolError("media.payload missing", CLOSE_INVALID)
        try:
            audio = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError) as e:
            raise ProtocolError("media.payload is not valid base64", CLOSE_INVALID) from e
        self._place(edge, speaker, media.get("timestamp"))
        self.feed(edge, audio)
        self.wire_clock[speaker] += len(audio) / 8000.0

    def _place(self, edge: AudioEdge, speaker: Speaker, timestamp: Any) -> None:
        """Skip the clock over a gap the timestamps show (never backwards)."""
        if timestamp is None:
            return
        try:
            at = self.base + int(timestamp) / 1000.0
        except (TypeError, ValueError) as e:
            raise ProtocolError("media.timestamp is not a number", CLOSE_INVALID) from e
        gap = at - self.wire_clock[speaker]
        if gap > GAP_TOLERANCE_S:
            self.push(edge.advance(gap))
            self.wire_clock[speaker] = at

    async def finish(self) -> None:
        if self.session is None:
            return
        for edge in self.edges.values():
            self.push(edge.flush())
