"""Replay a recorded call to a running server as a live call.

``heard replay FILE.wav --to URL [--speed 1] [--call-id ID] [--agent NAME]
[--protocol twilio|pcm]`` streams a stereo recording (caller left, agent right) at
real-time pace (times ``--speed``) through one of the server's ingest websockets,
shaped exactly as the phone system would send it:

- ``twilio`` (default): Twilio Media Streams with ``both_tracks``: ``connected``,
  ``start`` (streamSid, callSid, tracks, mediaFormat audio/x-mulaw 8000 Hz mono,
  customParameters ``call_id`` and ``agent``), then every 20 ms one ``media`` message
  per track (``inbound`` = caller, ``outbound`` = agent) with its chunk number,
  timestamp (ms since the stream began) and base64 µ-law payload, a ``mark`` at the
  end of each turn when the synth sidecar is beside the WAV, and ``stop``.
- ``pcm``: the plain PCM socket: a JSON start message, then binary frames of
  interleaved stereo PCM16 little-endian at 16 kHz, then a JSON stop.

Like a real phone line, a 20 ms frame is sent once its audio has happened: frame
``k`` (covering call time ``[k, k+1) * 20 ms``) leaves at ``t0 + (k+1) * 20 ms / speed``,
so call time ``t`` corresponds to wall time ``t0 + t / speed`` on
:class:`ReplayClock`. That is what the end-to-end evaluation measures latency from.

Library use (e2e, demo)::

    clock = ReplayClock()
    stats = await replay_audio(stereo, 16000, "ws://127.0.0.1:8000", call_id="c1",
                               clock=clock, turn_ends=[1.2, 3.4])
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import itertools
import json
import os
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import numpy.typing as npt
import soundfile as sf
import soxr
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from app.security.signatures import twilio_signature
from transcription.audio import encode_mulaw, float_to_pcm16
from transcription.types import SAMPLE_RATE

Protocol = Literal["twilio", "pcm"]
PROTOCOLS: tuple[Protocol, ...] = ("twilio", "pcm")
FRAME_S = 0.02
TWILIO_RATE = 8_000
TWILIO_FRAME_BYTES = int(TWILIO_RATE * FRAME_S)  # 160 µ-law bytes = 20 ms
PCM_RATE = SAMPLE_RATE

F32 = npt.NDArray[np.float32]


class ReplayError(Exception):
    """The replay could not be carried out (file, connection, or the server refused it)."""


@dataclass
class ReplayClock:
    """Maps the call's clock to the wall clock (``time.monotonic``) of this replay.

    ``t0`` is set when media starts flowing; call time ``t`` happens at ``wall(t)``.
    """

    speed: float = 1.0
    t0: float | None = None
    started: asyncio.Event = field(default_factory=asyncio.Event)

    def wall(self, call_time: float) -> float:
        if self.t0 is None:
            raise RuntimeError("replay has not started")
        return self.t0 + call_time / self.speed

    def call_time(self, wall: float) -> float:
        if self.t0 is None:
            raise RuntimeError("replay has not started")
        return (wall - self.t0) * self.speed


@dataclass(frozen=True, slots=True)
class ReplayStats:
    call_id: str
    protocol: Protocol
    frames: int  # 20 ms frames per track
    messages: int
    duration_s: float  # call audio streamed
    wall_s: float  # time taken
    max_lag_s: float  # worst lateness of a frame against its schedule


@dataclass(frozen=True, slots=True)
class TwilioIds:
    account_sid: str
    call_sid: str
    stream_sid: str

    @staticmethod
    def new() -> TwilioIds:
        return TwilioIds("AC" + uuid.uuid4().hex, "CA" + uuid.uuid4().hex, "MZ" + uuid.uuid4().hex)


# --- audio ---------------------------------------------------------------------------


def read_stereo(path: str | Path) -> tuple[F32, int]:
    """A WAV (or any libsndfile format) as float32 ``(n, 2)``: caller left, agent right.

    Mono files are taken as the caller alone (the agent channel silent).
    """
    try:
        audio, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (OSError, RuntimeError, sf.LibsndfileError) as exc:
        raise ReplayError(f"{path}: cannot read audio ({exc})") from exc
    if audio.shape[1] == 1:
        audio = np.concatenate([audio, np.zeros_like(audio)], axis=1)
    elif audio.shape[1] != 2:
        raise ReplayError(f"{path}: {audio.shape[1]} channels; expected stereo (caller, agent)")
    return np.ascontiguousarray(audio, dtype=np.float32), int(rate)


def _resample(x: F32, rate: int, to: int) -> F32:
    if rate == to:
        return x
    return np.asarray(soxr.resample(x, rate, to, quality="HQ"), dtype=np.float32)


def frames_of(pcm: npt.NDArray[Any], frame: int) -> list[npt.NDArray[Any]]:
    """Split into frames of ``frame`` samples, the last one padded with silence."""
    n = -(-len(pcm) // frame)
    padded = np.zeros(n * frame, dtype=pcm.dtype)
    padded[: len(pcm)] = pcm
    return [padded[i * frame : (i + 1) * frame] for i in range(n)]


def mulaw_tracks(stereo: F32, rate: int) -> tuple[list[bytes], list[bytes]]:
    """Caller and agent as 20 ms frames of 8 kHz µ-law (the audio edge's encoder)."""
    out: list[list[bytes]] = []
    for ch in (0, 1):
        narrow = _resample(np.ascontiguousarray(stereo[:, ch]), rate, TWILIO_RATE)
        ulaw = np.frombuffer(encode_mulaw(float_to_pcm16(narrow)), dtype=np.uint8)
        # µ-law silence is 0xFF, not 0x00: pad with it.
        n = -(-len(ulaw) // TWILIO_FRAME_BYTES)
        padded = np.full(n * TWILIO_FRAME_BYTES, 0xFF, dtype=np.uint8)
        padded[: len(ulaw)] = ulaw
        out.append(
            [
                padded[i * TWILIO_FRAME_BYTES : (i + 1) * TWILIO_FRAME_BYTES].tobytes()
                for i in range(n)
            ]
        )
    return out[0], out[1]


def pcm_frames(stereo: F32, rate: int) -> list[bytes]:
    """20 ms frames of interleaved stereo PCM16 LE at 16 kHz (caller first)."""
    left = _resample(np.ascontiguousarray(stereo[:, 0]), rate, PCM_RATE)
    right = _resample(np.ascontiguousarray(stereo[:, 1]), rate, PCM_RATE)
    n = min(len(left), len(right))
    inter = np.empty(2 * n, dtype=np.int16)
    inter[0::2] = float_to_pcm16(left[:n])
    inter[1::2] = float_to_pcm16(right[:n])
    per = int(PCM_RATE * FRAME_S) * 2
    return [f.astype("<i2").tobytes() for f in frames_of(inter, per)]


# --- Twilio messages (pure) ----------------------------------------------------------


class TwilioStream:
    """Builds the messages of one Twilio Media Stream, numbering them as Twilio does."""

    def __init__(self, ids: TwilioIds, *, call_id: str, agent: str, tracks: Sequence[str]) -> None:
        self.ids = ids
        self.call_id = call_id
        self.agent = agent
        self.tracks = list(tracks)
        self.seq = 0
        self.chunks: dict[str, int] = dict.fromkeys(self.tracks, 0)

    def _next(self) -> str:
        self.seq += 1
        return str(self.seq)

    @staticmethod
    def connected() -> dict[str, Any]:
        return {"event": "connected", "protocol": "Call", "version": "1.0.0"}

    def start(self) -> dict[str, Any]:
        return {
            "event": "start",
            "sequenceNumber": self._next(),
            "start": {
                "accountSid": self.ids.account_sid,
                "streamSid": self.ids.stream_sid,
                "callSid": self.ids.call_sid,
                "tracks": list(self.tracks),
                "customParameters": {"call_id": self.call_id, "agent": self.agent},
                "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": TWILIO_RATE,
                                "channels": 1},
            },
            "streamSid": self.ids.stream_sid,
        }  # fmt: skip

    def media(self, track: str, payload: bytes, timestamp_ms: int) -> dict[str, Any]:
        self.chunks[track] += 1
        return {
            "event": "media",
            "sequenceNumber": self._next(),
            "media": {
                "track": track,
                "chunk": str(self.chunks[track]),
                "timestamp": str(timestamp_ms),
                "payload": base64.b64encode(payload).decode("ascii"),
            },
            "streamSid": self.ids.stream_sid,
        }

    def mark(self, name: str) -> dict[str, Any]:
        return {
            "event": "mark",
            "sequenceNumber": self._next(),
            "streamSid": self.ids.stream_sid,
            "mark": {"name": name},
        }

    def stop(self) -> dict[str, Any]:
        return {
            "event": "stop",
            "sequenceNumber": self._next(),
            "streamSid": self.ids.stream_sid,
            "stop": {"accountSid": self.ids.account_sid, "callSid": self.ids.call_sid},
        }


def twilio_schedule(
    caller: Sequence[bytes],
    agent: Sequence[bytes],
    stream: TwilioStream,
    turn_ends: Sequence[float] = (),
) -> Iterator[tuple[int, dict[str, Any]]]:
    """The media phase: ``(frame index k, message)``; a message of frame ``k`` is due
    once call time ``(k+1) * 20 ms`` has passed. Marks follow the frame holding a
    turn's end (named ``turn-<i>``, no transcript text)."""
    n = max(len(caller), len(agent))
    marks = sorted((int(end / FRAME_S), i) for i, end in enumerate(turn_ends))
    m = 0
    silence = b"\xff" * TWILIO_FRAME_BYTES
    for k in range(n):
        ts = k * int(FRAME_S * 1000)
        if "inbound" in stream.tracks:
            yield k, stream.media("inbound", caller[k] if k < len(caller) else silence, ts)
        if "outbound" in stream.tracks:
            yield k, stream.media("outbound", agent[k] if k < len(agent) else silence, ts)
        # A mark follows the frame holding the turn's end (the last frame for a turn
        # that ends with the audio).
        while m < len(marks) and (marks[m][0] <= k or k == n - 1):
            yield k, stream.mark(f"turn-{marks[m][1]}")
            m += 1


# --- URLs ----------------------------------------------------------------------------


def ingest_url(base: str, protocol: Protocol) -> str:
    """``http://h:p`` or ``ws://h:p`` (no path) -> ``ws://h:p/ingest/<protocol>``; a URL
    with a path is used as is (scheme turned to ws/wss)."""
    parts = urlsplit(base)
    scheme = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}.get(parts.scheme)
    if scheme is None or not parts.netloc:
        raise ReplayError(f"--to must be an http(s):// or ws(s):// URL, got {base!r}")
    path = parts.path if parts.path not in ("", "/") else f"/ingest/{protocol}"
    return urlunsplit((scheme, parts.netloc, path, parts.query, ""))


def http_base(url: str) -> str:
    """The server's http(s) origin for a ws/http URL."""
    parts = urlsplit(url)
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    return urlunsplit((scheme, parts.netloc, "", "", ""))


# --- streaming -----------------------------------------------------------------------


async def _connect(url: str, headers: dict[str, str] | None) -> ClientConnection:
    try:
        return await websockets.connect(
            url, additional_headers=headers or {}, max_size=1 << 20, open_timeout=10
        )
    except (OSError, InvalidHandshake, InvalidURI, TimeoutError) as exc:
        raise ReplayError(f"cannot open {url}: {exc}") from exc


async def _drain(ws: ClientConnection) -> None:
    """Read (and ignore) what the server sends, so its close is noticed."""
    with contextlib.suppress(ConnectionClosed):
        async for _ in ws:
            pass


def _closed_error(ws: ClientConnection, exc: ConnectionClosed | None = None) -> ReplayError:
    rcvd = exc.rcvd if exc is not None else None
    code = rcvd.code if rcvd is not None else ws.close_code
    reason = rcvd.reason if rcvd is not None else (ws.close_reason or "")
    if code is not None:
        return ReplayError(f"server closed the stream: {code} {reason}".strip())
    return ReplayError("connection lost")


async def replay_audio(
    stereo: F32,
    rate: int,
    url: str,
    *,
    call_id: str,
    agent: str = "",
    speed: float = 1.0,
    protocol: Protocol = "twilio",
    headers: dict[str, str] | None = None,
    clock: ReplayClock | None = None,
    turn_ends: Sequence[float] = (),
    twilio_auth_token: str | None = None,
) -> ReplayStats:
    """Stream ``stereo`` (caller, agent) to the server at ``url`` as one live call."""
    if speed <= 0:
        raise ReplayError("speed must be > 0")
    if protocol not in PROTOCOLS:
        raise ReplayError(f"unknown protocol {protocol!r} ({', '.join(PROTOCOLS)})")
    target = ingest_url(url, protocol)
    clock = clock or ReplayClock()
    clock.speed = speed
    hdrs = dict(headers or {})
    if protocol == "twilio" and twilio_auth_token:
        hdrs["X-Twilio-Signature"] = twilio_signature(twilio_auth_token, target)

    ws = await _connect(target, hdrs)
    drain = asyncio.create_task(_drain(ws))
    try:
        if protocol == "twilio":
            return await _stream_twilio(ws, stereo, rate, call_id, agent, clock, turn_ends)
        return await _stream_pcm(ws, stereo, rate, call_id, agent, clock)
    except ConnectionClosed as exc:
        raise _closed_error(ws, exc) from exc
    finally:
        with contextlib.suppress(ConnectionClosed, OSError):
            await ws.close()
        drain.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await drain


async def _paced(
    ws: ClientConnection, items: Iterator[tuple[int, str | bytes]], clock: ReplayClock
) -> tuple[int, int, float]:
    """Send each item once its frame's audio has happened; return (frames, msgs, lag)."""
    clock.t0 = time.monotonic()
    clock.started.set()
    frames = messages = 0
    max_lag = 0.0
    last_k = -1
    for k, item in items:
        if k != last_k:
            due = clock.wall((k + 1) * FRAME_S)
            now = time.monotonic()
            if due > now:
                await asyncio.sleep(due - now)
            else:
                max_lag = max(max_lag, now - due)
            last_k = k
            frames += 1
        await ws.send(item)
        messages += 1
    return frames, messages, max_lag


async def _stream_twilio(
    ws: ClientConnection,
    stereo: F32,
    rate: int,
    call_id: str,
    agent: str,
    clock: ReplayClock,
    turn_ends: Sequence[float],
) -> ReplayStats:
    caller, agent_frames = mulaw_tracks(stereo, rate)
    stream = TwilioStream(
        TwilioIds.new(), call_id=call_id, agent=agent, tracks=("inbound", "outbound")
    )
    began = time.monotonic()
    await ws.send(json.dumps(stream.connected()))
    await ws.send(json.dumps(stream.start()))
    items = (
        (k, json.dumps(m)) for k, m in twilio_schedule(caller, agent_frames, stream, turn_ends)
    )
    frames, messages, lag = await _paced(ws, items, clock)
    await ws.send(json.dumps(stream.stop()))
    return ReplayStats(
        call_id=call_id,
        protocol="twilio",
        frames=frames,
        messages=messages + 3,
        duration_s=frames * FRAME_S,
        wall_s=time.monotonic() - began,
        max_lag_s=lag,
    )


def pcm_start_message(call_id: str, agent: str) -> dict[str, Any]:
    """The plain PCM socket's start message (see ``app/ingest/pcm.py``)."""
    return {
        "event": "start",
        "call_id": call_id,
        "agent": agent,
        "sample_rate": PCM_RATE,
        "encoding": "pcm16",
        "channels": 2,
        "speakers": ["caller", "agent"],
    }


async def _stream_pcm(
    ws: ClientConnection, stereo: F32, rate: int, call_id: str, agent: str, clock: ReplayClock
) -> ReplayStats:
    frames_ = pcm_frames(stereo, rate)
    began = time.monotonic()
    await ws.send(json.dumps(pcm_start_message(call_id, agent)))
    items = ((k, f) for k, f in enumerate(frames_))
    frames, messages, lag = await _paced(ws, items, clock)
    await ws.send(json.dumps({"event": "stop"}))
    return ReplayStats(
        call_id=call_id,
        protocol="pcm",
        frames=frames,
        messages=messages + 2,
        duration_s=frames * FRAME_S,
        wall_s=time.monotonic() - began,
        max_lag_s=lag,
    )


async def replay_file(
    path: str | Path,
    url: str,
    *,
    call_id: str | None = None,
    agent: str = "",
    speed: float = 1.0,
    protocol: Protocol = "twilio",
    headers: dict[str, str] | None = None,
    clock: ReplayClock | None = None,
    twilio_auth_token: str | None = None,
) -> ReplayStats:
    """Replay a WAV; turn marks come from its synth sidecar (``call.json``) if present."""
    stereo, rate = read_stereo(path)
    turn_ends: list[float] = []
    side = Path(path).with_suffix(".json")
    if side.is_file():
        try:
            turn_ends = [float(t["end"]) for t in json.loads(side.read_text())["turns"]]
        except (ValueError, KeyError, TypeError):
            turn_ends = []  # not a synth sidecar: no marks
    return await replay_audio(
        stereo,
        rate,
        url,
        call_id=call_id or f"replay-{uuid.uuid4().hex[:12]}",
        agent=agent,
        speed=speed,
        protocol=protocol,
        headers=headers,
        clock=clock,
        turn_ends=turn_ends,
        twilio_auth_token=twilio_auth_token,
    )


# --- CLI -----------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="heard replay",
        description="Stream a stereo recording (caller left, agent right) to a running "
        "server as a live call, at real-time pace.",
    )
    p.add_argument("file", type=Path, help="stereo WAV (caller left, agent right)")
    p.add_argument("--to", required=True, help="server URL, e.g. http://127.0.0.1:8000")
    p.add_argument("--speed", type=float, default=1.0, help="pace multiplier (2 = twice as fast)")
    p.add_argument("--call-id", default=None, help="call id (default: a new one)")
    p.add_argument("--agent", default="", help="agent user name the call belongs to")
    p.add_argument("--protocol", choices=PROTOCOLS, default="twilio")
    p.add_argument(
        "--token",
        default=os.environ.get("HEARD_INGEST_TOKEN"),
        help="bearer token for the ingest socket (env HEARD_INGEST_TOKEN)",
    )
    p.add_argument(
        "--twilio-auth-token",
        default=os.environ.get("HEARD_TWILIO_AUTH_TOKEN"),
        help="sign the upgrade with X-Twilio-Signature (env HEARD_TWILIO_AUTH_TOKEN)",
    )
    p.add_argument("--loop", action="store_true", help="replay again and again (new call ids)")
    return p


def main(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(list(argv))
    if args.speed <= 0:
        print("heard replay: --speed must be > 0", file=sys.stderr)
        return 2
    headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}
    try:
        base = http_base(ingest_url(args.to, args.protocol))
    except ReplayError as exc:
        print(f"heard replay: {exc}", file=sys.stderr)
        return 2
    try:
        for n in itertools.count():
            # A reused call id would resume the earlier call: each loop is a new call.
            call_id = (
                f"replay-{uuid.uuid4().hex[:12]}"
                if not args.call_id
                else (args.call_id if n == 0 else f"{args.call_id}-{n}")
            )
            print(f"call {call_id}: {base}/agent/calls/{call_id}", flush=True)
            stats = asyncio.run(
                replay_file(
                    args.file,
                    args.to,
                    call_id=call_id,
                    agent=args.agent,
                    speed=args.speed,
                    protocol=args.protocol,
                    headers=headers,
                    twilio_auth_token=args.twilio_auth_token,
                )
            )
            print(
                f"streamed {stats.duration_s:.1f} s of audio in {stats.wall_s:.1f} s "
                f"({stats.messages} messages, worst lag {stats.max_lag_s * 1000:.0f} ms)"
            )
            if not args.loop:
                return 0
        return 0
    except ReplayError as exc:
        print(f"heard replay: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
