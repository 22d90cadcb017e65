"""`heard replay`: Twilio Media Streams messages as Twilio shapes them, paced streaming
to a real websocket server, and clear errors."""

from __future__ import annotations

import base64
import json
import socket
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from websockets.asyncio.server import ServerConnection, serve

from app import replay
from app.replay import (
    FRAME_S,
    ReplayClock,
    ReplayError,
    TwilioIds,
    TwilioStream,
    ingest_url,
    mulaw_tracks,
    pcm_frames,
    replay_audio,
    twilio_schedule,
)
from app.security.signatures import verify_twilio
from transcription.audio import decode_mulaw

RATE = 16_000


def _tone(freq: float, seconds: float, level: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (level * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def _stereo(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    return np.stack([left, right], axis=1).astype(np.float32)


def _dominant_hz(x: np.ndarray, rate: int) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[int(np.argmax(spec))])


# --- messages ------------------------------------------------------------------------


def test_start_message_has_twilio_shape() -> None:
    ids = TwilioIds.new()
    s = TwilioStream(ids, call_id="c-1", agent="ann", tracks=("inbound", "outbound"))
    assert s.connected() == {"event": "connected", "protocol": "Call", "version": "1.0.0"}
    start = s.start()
    assert start["event"] == "start" and start["sequenceNumber"] == "1"
    assert start["streamSid"] == ids.stream_sid
    body = start["start"]
    assert body["streamSid"].startswith("MZ") and len(body["streamSid"]) == 34
    assert body["callSid"].startswith("CA") and body["accountSid"].startswith("AC")
    assert body["tracks"] == ["inbound", "outbound"]
    assert body["mediaFormat"] == {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}
    assert body["customParameters"] == {"call_id": "c-1", "agent": "ann"}
    # Valid JSON with string sequence numbers, as Twilio sends.
    assert json.loads(json.dumps(start)) == start


def test_media_numbering_per_track_and_sequence_overall() -> None:
    s = TwilioStream(TwilioIds.new(), call_id="c", agent="", tracks=("inbound", "outbound"))
    s.start()
    caller = [bytes([i]) * 160 for i in range(3)]
    agent = [bytes([0x80 + i]) * 160 for i in range(3)]
    msgs = list(twilio_schedule(caller, agent, s, turn_ends=[0.03]))
    kinds = [(k, m["event"], m.get("media", {}).get("track")) for k, m in msgs]
    assert kinds == [
        (0, "media", "inbound"), (0, "media", "outbound"),
        (1, "media", "inbound"), (1, "media", "outbound"), (1, "mark", None),
        (2, "media", "inbound"), (2, "media", "outbound"),
    ]  # fmt: skip
    seqs = [int(m["sequenceNumber"]) for _, m in msgs]
    assert seqs == list(range(2, 2 + len(msgs)))
    inbound = [m["media"] for _, m in msgs if m.get("media", {}).get("track") == "inbound"]
    assert [m["chunk"] for m in inbound] == ["1", "2", "3"]
    assert [m["timestamp"] for m in inbound] == ["0", "20", "40"]
    assert base64.b64decode(inbound[1]["payload"]) == caller[1]
    mark = next(m for _, m in msgs if m["event"] == "mark")
    assert mark["mark"] == {"name": "turn-0"}
    assert s.stop()["stop"]["callSid"] == s.ids.call_sid


def test_mulaw_tracks_carry_each_channel_at_8khz() -> None:
    stereo = _stereo(_tone(440, 1.0), np.zeros(RATE, np.float32))
    caller, agent = mulaw_tracks(stereo, RATE)
    assert len(caller) == len(agent) == 50
    assert all(len(f) == 160 for f in caller + agent)
    left = decode_mulaw(b"".join(caller)).astype(np.float32) / 32768
    assert abs(_dominant_hz(left, 8000) - 440) < 5
    assert 0.15 < float(np.sqrt(np.mean(left**2))) < 0.26  # 0.3 peak sine: rms 0.21
    right = decode_mulaw(b"".join(agent))
    assert int(np.abs(right).max()) <= 8  # µ-law silence


def test_pcm_frames_interleave_caller_first() -> None:
    stereo = _stereo(np.full(RATE // 10, 0.5, np.float32), np.full(RATE // 10, -0.25, np.float32))
    frames = pcm_frames(stereo, RATE)
    assert len(frames) == 5 and all(len(f) == 320 * 2 * 2 for f in frames)
    samples = np.frombuffer(frames[2], dtype="<i2")
    assert abs(int(samples[0]) - 16384) < 200 and abs(int(samples[1]) + 8192) < 200


def test_ingest_url() -> None:
    assert ingest_url("http://127.0.0.1:8000", "twilio") == "ws://127.0.0.1:8000/ingest/twilio"
    assert ingest_url("https://h.example/", "pcm") == "wss://h.example/ingest/pcm"
    assert ingest_url("ws://h:1/custom/path?x=1", "twilio") == "ws://h:1/custom/path?x=1"
    with pytest.raises(ReplayError):
        ingest_url("ftp://h", "twilio")
    with pytest.raises(ReplayError):
        ingest_url("127.0.0.1:8000", "twilio")


def test_read_stereo_takes_mono_as_caller(tmp_path: Path) -> None:
    p = tmp_path / "mono.wav"
    sf.write(str(p), _tone(300, 0.2), RATE)
    audio, rate = replay.read_stereo(p)
    assert rate == RATE and audio.shape == (int(0.2 * RATE), 2)
    assert np.abs(audio[:, 1]).max() == 0
    q = tmp_path / "three.wav"
    sf.write(str(q), np.zeros((100, 3), np.float32), RATE)
    with pytest.raises(ReplayError, match="3 channels"):
        replay.read_stereo(q)
    with pytest.raises(ReplayError, match="cannot read"):
        replay.read_stereo(tmp_path / "missing.wav")


# --- streaming to a real websocket server --------------------------------------------


class Recorder:
    def __init__(self, close_after: int | None = None, close_code: int = 1003) -> None:
        self.messages: list[tuple[float, Any]] = []
        self.headers: dict[str, str] = {}
        self.path = ""
        self.close_after = close_after
        self.close_code = close_code

    async def handler(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        self.path = ws.request.path
        self.headers = dict(ws.request.headers)
        async for raw in ws:
            msg = json.loads(raw) if isinstance(raw, str) else raw
            self.messages.append((time.monotonic(), msg))
            if self.close_after is not None and len(self.messages) >= self.close_after:
                await ws.close(self.close_code, "unsupported media format")
                return


async def _serve(rec: Recorder):  # type: ignore[no-untyped-def]
    return await serve(rec.handler, "127.0.0.1", 0)


async def test_streams_a_call_at_its_pace_with_real_messages() -> None:
    rec = Recorder()
    server = await _serve(rec)
    port = server.sockets[0].getsockname()[1]
    speed = 4.0
    stereo = _stereo(
        np.concatenate([_tone(300, 0.5), np.zeros(RATE // 2, np.float32)]),
        np.concatenate([np.zeros(RATE // 2, np.float32), _tone(200, 0.5)]),
    )
    clock = ReplayClock()
    try:
        stats = await replay_audio(
            stereo, RATE, f"http://127.0.0.1:{port}", call_id="call-42", agent="ann",
            speed=speed, clock=clock, turn_ends=[0.5, 1.0],
        )  # fmt: skip
    finally:
        server.close()
        await server.wait_closed()
    assert rec.path == "/ingest/twilio"
    events = [m["event"] for _, m in rec.messages]
    assert events[:2] == ["connected", "start"] and events[-1] == "stop"
    assert events.count("media") == 2 * 50 and events.count("mark") == 2
    assert rec.messages[1][1]["start"]["customParameters"]["call_id"] == "call-42"
    assert stats.frames == 50 and stats.duration_s == pytest.approx(1.0)
    # No frame leaves before its audio has happened (call time (k+1)*20 ms).
    assert clock.t0 is not None
    media = [(t, m) for t, m in rec.messages if m["event"] == "media"]
    for t, m in media:
        k = int(m["media"]["timestamp"]) // 20
        assert t >= clock.wall((k + 1) * FRAME_S) - 0.002

    # The caller's track carries the first half, the agent's the second.
    def track(name: str) -> np.ndarray:
        payload = b"".join(
            base64.b64decode(m["media"]["payload"]) for _, m in media if m["media"]["track"] == name
        )
        return decode_mulaw(payload).astype(np.float32) / 32768

    caller, agent = track("inbound"), track("outbound")
    assert np.abs(caller[:3800]).max() > 0.2 and np.abs(caller[4200:]).max() < 0.01
    assert np.abs(agent[:3800]).max() < 0.01 and np.abs(agent[4200:]).max() > 0.2


async def test_signs_the_upgrade_when_given_a_twilio_token() -> None:
    rec = Recorder()
    server = await _serve(rec)
    port = server.sockets[0].getsockname()[1]
    url = f"ws://127.0.0.1:{port}/ingest/twilio"
    try:
        await replay_audio(
            _stereo(_tone(300, 0.06), _tone(200, 0.06)), RATE, url, call_id="c",
            speed=50, twilio_auth_token="secret-token", headers={"Authorization": "Bearer x"},
        )  # fmt: skip
    finally:
        server.close()
        await server.wait_closed()
    sig = rec.headers.get("x-twilio-signature") or rec.headers.get("X-Twilio-Signature")
    assert verify_twilio(["secret-token"], [url], sig).ok
    assert not verify_twilio(["other-token"], [url], sig).ok
    assert rec.headers.get("authorization", rec.headers.get("Authorization")) == "Bearer x"


async def test_server_closing_the_stream_is_a_clear_error() -> None:
    rec = Recorder(close_after=3, close_code=1003)
    server = await _serve(rec)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(ReplayError, match="1003"):
            await replay_audio(
                _stereo(_tone(300, 2.0), _tone(200, 2.0)), RATE, f"ws://127.0.0.1:{port}",
                call_id="c", speed=20,
            )  # fmt: skip
    finally:
        server.close()
        await server.wait_closed()


async def test_unreachable_server_is_a_clear_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ReplayError, match="cannot open"):
        await replay_audio(
            _stereo(_tone(300, 0.1), _tone(200, 0.1)), RATE, f"ws://127.0.0.1:{port}", call_id="c"
        )


async def test_pcm_protocol_sends_start_then_binary_frames() -> None:
    rec = Recorder()
    server = await _serve(rec)
    port = server.sockets[0].getsockname()[1]
    try:
        await replay_audio(
            _stereo(_tone(300, 0.1), _tone(200, 0.1)), RATE, f"ws://127.0.0.1:{port}",
            call_id="pcm-1", agent="bo", protocol="pcm", speed=10,
        )  # fmt: skip
    finally:
        server.close()
        await server.wait_closed()
    assert rec.path == "/ingest/pcm"
    first = rec.messages[0][1]
    assert first["call_id"] == "pcm-1" and first["sample_rate"] == 16000
    binary = [m for _, m in rec.messages if isinstance(m, bytes)]
    assert len(binary) == 5 and all(len(b) == 1280 for b in binary)
    assert rec.messages[-1][1] == {"event": "stop"}


def test_cli_rejects_bad_arguments(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    wav = tmp_path / "a.wav"
    sf.write(str(wav), np.zeros((160, 2), np.float32), RATE)
    assert replay.main([str(wav), "--to", "http://127.0.0.1:1", "--speed", "0"]) == 2
    assert replay.main([str(wav), "--to", "nonsense"]) == 2
    assert "--to must be" in capsys.readouterr().err


def test_clock_maps_call_time_to_wall_time() -> None:
    c = ReplayClock(speed=2.0)
    with pytest.raises(RuntimeError):
        c.wall(1.0)
    c.t0 = 100.0
    assert c.wall(3.0) == 101.5 and c.call_time(101.5) == 3.0


async def test_replay_file_uses_sidecar_for_marks(tmp_path: Path) -> None:
    wav = tmp_path / "call.wav"
    sf.write(str(wav), _stereo(_tone(300, 0.2), _tone(200, 0.2)), RATE)
    (tmp_path / "call.json").write_text(
        json.dumps(
            {"turns": [{"index": 0, "speaker": "caller", "text": "x", "start": 0.0, "end": 0.1}]}
        )
    )
    rec = Recorder()
    server = await _serve(rec)
    port = server.sockets[0].getsockname()[1]
    try:
        stats = await replay.replay_file(wav, f"ws://127.0.0.1:{port}", speed=20)
    finally:
        server.close()
        await server.wait_closed()
    assert stats.call_id.startswith("replay-")
    marks = [m for _, m in rec.messages if m.get("event") == "mark"]
    assert [m["mark"]["name"] for m in marks] == ["turn-0"]
