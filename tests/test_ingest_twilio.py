"""Twilio Media Streams against the app: message sequences shaped like Twilio's own.

Shapes follow Twilio's "Media Streams - WebSocket Messages" reference: string
sequence numbers, a ``start`` with ``tracks``/``mediaFormat``/``customParameters``,
``media`` with track, chunk, timestamp (ms) and base64 µ-law payload, 20 ms per
message per track (160 bytes).
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from tests.serverkit import make_app, mulaw
from transcription.fake import ScriptedUtterance

STREAM = "MZ18ad3ab5a668481ce02b83e7395059f0"
CALL = "CA5d8f6e3a7b9c1d2e4f6a8b0c2d4e6f8a"
SCRIPT = [
    ScriptedUtterance("caller", "I have chest pain right now", 0.3, 1.5),
    ScriptedUtterance("agent", "Okay stay with me", 1.6, 2.4),
]


class Twilio:
    """Builds the messages one Twilio stream sends, numbering them as Twilio does."""

    def __init__(self, call_sid: str = CALL, stream_sid: str = STREAM) -> None:
        self.call_sid = call_sid
        self.stream_sid = stream_sid
        self.seq = 0
        self.chunk = {"inbound": 0, "outbound": 0}

    def _next(self) -> str:
        self.seq += 1
        return str(self.seq)

    def connected(self) -> str:
        return json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"})

    def start(self, tracks: list[str] | None = None, **params: str) -> str:
        return json.dumps(
            {
                "event": "start",
                "sequenceNumber": self._next(),
                "start": {
                    "accountSid": "AC0123456789abcdef0123456789abcdef",
                    "streamSid": self.stream_sid,
                    "callSid": self.call_sid,
                    "tracks": tracks or ["inbound", "outbound"],
                    "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
                    "customParameters": params,
                },
                "streamSid": self.stream_sid,
            }
        )

    def media(self, track: str, payload: bytes, timestamp_ms: int) -> str:
        self.chunk[track] += 1
        return json.dumps(
            {
                "event": "media",
                "sequenceNumber": self._next(),
                "media": {
                    "track": track,
                    "chunk": str(self.chunk[track]),
                    "timestamp": str(timestamp_ms),
                    "payload": base64.b64encode(payload).decode(),
                },
                "streamSid": self.stream_sid,
            }
        )

    def audio(self, seconds: float, start_ms: int = 0) -> list[str]:
        """Both tracks, 20 ms messages, interleaved as Twilio sends them."""
        out = []
        caller, agent = mulaw(seconds, 220), mulaw(seconds, 330)
        for i in range(0, len(caller), 160):
            ts = start_ms + i // 8
            out.append(self.media("inbound", caller[i : i + 160], ts))
            out.append(self.media("outbound", agent[i : i + 160], ts))
        return out

    def mark(self) -> str:
        return json.dumps(
            {
                "event": "mark",
                "sequenceNumber": self._next(),
                "streamSid": self.stream_sid,
                "mark": {"name": "greeting-done"},
            }
        )

    def dtmf(self, digit: str = "1") -> str:
        return json.dumps(
            {
                "event": "dtmf",
                "streamSid": self.stream_sid,
                "sequenceNumber": self._next(),
                "dtmf": {"track": "inbound_track", "digit": digit},
            }
        )

    def stop(self) -> str:
        return json.dumps(
            {
                "event": "stop",
                "sequenceNumber": self._next(),
                "stop": {
                    "accountSid": "AC0123456789abcdef0123456789abcdef",
                    "callSid": self.call_sid,
                },
                "streamSid": self.stream_sid,
            }
        )


def wait_state(client: TestClient, call_id: str, state: str, timeout: float = 10) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        r = client.get(f"/api/calls/{call_id}")
        if r.status_code == 200 and r.json()["state"] == state:
            return dict(r.json())
        assert time.monotonic() < deadline, f"{call_id} never {state}: {r.text[:200]}"
        time.sleep(0.05)


@pytest.fixture
def client(tmp_path: Path, as_admin: Any) -> Any:
    with TestClient(as_admin(make_app(tmp_path, SCRIPT))) as c:
        yield c


def test_both_tracks_call_end_to_end(client: TestClient) -> None:
    tw = Twilio()
    with client.websocket_connect("/ingest/twilio") as ws:
        ws.send_text(tw.connected())
        ws.send_text(tw.start(agent="ann"))
        for m in tw.audio(1.0):
            ws.send_text(m)
        ws.send_text(tw.mark())
        ws.send_text(tw.dtmf("4"))
        for m in tw.audio(2.0, start_ms=1000):
            ws.send_text(m)
        ws.send_text(tw.stop())
    call = wait_state(client, CALL, "ended")
    assert (call["agent"], call["source"], call["end_reason"]) == ("ann", "twilio", "stop")
    assert call["duration_s"] == pytest.approx(3.0, abs=0.05)
    utts = client.get(f"/api/calls/{CALL}/transcript").json()["utterances"]
    assert [(u["speaker"], u["text"]) for u in utts] == [
        ("caller", "I have chest pain right now"),  # inbound is the caller
        ("agent", "Okay stay with me"),  # outbound is the agent
    ]
    kinds = {c["kind"]: c for c in client.get(f"/api/calls/{CALL}/cues").json()["cues"]}
    assert kinds["urgent_risk"]["alert"] is True
    assert "take_a_reset" in kinds  # a heavy call ended
    assert call["heavy"] is True
    # audio per speaker, on the call clock
    for speaker in ("caller", "agent"):
        assert client.get(f"/api/calls/{CALL}/audio/{speaker}.wav").status_code == 200


def test_custom_call_id_and_timestamp_gap_keeps_the_clock(client: TestClient) -> None:
    tw = Twilio(call_sid="CA00000000000000000000000000000001")
    with client.websocket_connect("/ingest/twilio") as ws:
        ws.send_text(tw.connected())
        ws.send_text(tw.start(agent="ann", call_id="ticket-42"))
        for m in tw.audio(0.5):
            ws.send_text(m)
        # 2 s of nothing (network or the PBX), then audio resumes at 2.5 s
        for m in tw.audio(0.5, start_ms=2500):
            ws.send_text(m)
        ws.send_text(tw.stop())
    call = wait_state(client, "ticket-42", "ended")
    assert call["duration_s"] == pytest.approx(3.0, abs=0.05)
    assert client.get("/api/calls/CA00000000000000000000000000000001").status_code == 404


def close_code(client: TestClient, messages: list[str]) -> int:
    with client.websocket_connect("/ingest/twilio") as ws:
        for m in messages:
            ws.send_text(m)
        with pytest.raises(WebSocketDisconnect) as e:
            ws.receive_text()
    return e.value.code


def _bad_cases() -> list[tuple[str, list[str], int]]:
    tw = Twilio()
    media_first = [tw.connected(), tw.media("inbound", b"\xff" * 160, 0)]
    tw2 = Twilio()
    pcm_format = tw2.start().replace("audio/x-mulaw", "audio/x-l16")
    tw3 = Twilio()
    start3 = tw3.start()
    bad_b64 = json.loads(tw3.media("inbound", b"\xff" * 160, 0))
    bad_b64["media"]["payload"] = "!!!not base64!!!"
    tw4 = Twilio()
    start4 = tw4.start(tracks=["inbound"])
    outbound = tw4.media("outbound", b"\xff" * 160, 0)
    tw5 = Twilio()
    start5 = tw5.start()
    m1, m2 = tw5.media("inbound", b"\xff" * 160, 0), tw5.media("inbound", b"\xff" * 160, 20)
    tw6 = Twilio()
    return [
        ("media before start", media_first, 1002),
        ("l16 media format", [tw2.connected(), pcm_format], 1003),
        ("bad base64", [start3, json.dumps(bad_b64)], 1007),
        ("track not announced", [start4, outbound], 1007),
        ("out of order", [start5, m2, m1], 1002),
        (
            "unknown event",
            [tw6.start(), json.dumps({"event": "clear", "sequenceNumber": "9"})],
            1002,
        ),
        ("garbage", ["\x00garbage"], 1007),
    ]


@pytest.mark.parametrize(
    ("name", "messages", "code"), _bad_cases(), ids=[c[0] for c in _bad_cases()]
)
def test_bad_messages_close_only_that_stream(
    client: TestClient, name: str, messages: list[str], code: int
) -> None:
    assert close_code(client, messages) == code
    assert client.get("/healthz").status_code == 200


def test_a_new_stream_for_the_call_with_another_agent_is_a_transfer(client: TestClient) -> None:
    first = Twilio(stream_sid="MZ" + "1" * 32)
    second = Twilio(stream_sid="MZ" + "2" * 32)
    with client.websocket_connect("/ingest/twilio") as ws1:
        ws1.send_text(first.connected())
        ws1.send_text(first.start(agent="ann"))
        for m in first.audio(1.0):
            ws1.send_text(m)
        # the PBX moves the call: a new stream for the same call names bob
        with client.websocket_connect("/ingest/twilio") as ws2:
            ws2.send_text(second.connected())
            ws2.send_text(second.start(agent="bob"))
            ws1.send_text(first.stop())
            for m in second.audio(2.0):
                ws2.send_text(m)
            ws2.send_text(second.stop())
    call = wait_state(client, CALL, "ended")
    assert call["agent"] == "bob"
    assert [a["agent"] for a in call["agents"]] == ["ann", "bob"]
    utts = client.get(f"/api/calls/{CALL}/transcript").json()["utterances"]
    assert [u["speaker"] for u in utts] == ["caller", "agent"]  # one history, no duplicates


def test_a_replayed_stream_sid_is_refused_and_audited(client: TestClient) -> None:
    """The signature covers only the URL: a captured stream replayed later is refused."""
    tw = Twilio()
    with client.websocket_connect("/ingest/twilio") as ws:
        ws.send_text(tw.connected())
        ws.send_text(tw.start(agent="ann"))
        for m in tw.audio(1.0):
            ws.send_text(m)
        ws.send_text(tw.stop())
    wait_state(client, CALL, "ended")
    again = Twilio()  # the same messages again: same streamSid
    assert close_code(client, [again.connected(), again.start(agent="mallory")]) == 1008
    call = client.get(f"/api/calls/{CALL}").json()
    assert (call["agent"], call["state"]) == ("ann", "ended")  # the real call untouched
    log = client.app.state.audit_log  # type: ignore[attr-defined]
    refused = log.query(action="ingest_refused", target_id="twilio", limit=None)
    assert [e.detail.get("reason") for e in refused] == ["stream_replayed"]
    # a new stream (Twilio's re-dial or transfer) is still welcome
    fresh = Twilio(stream_sid="MZ" + "9" * 32)
    with client.websocket_connect("/ingest/twilio") as ws:
        ws.send_text(fresh.connected())
        ws.send_text(fresh.start(agent="ann"))
        ws.send_text(fresh.stop())
    assert client.get("/healthz").status_code == 200


def test_seen_streams_are_bounded() -> None:
    from app.ingest.twilio import SeenStreams

    seen = SeenStreams(max_entries=2)
    assert seen.first_use("MZa") and seen.first_use("MZb")
    assert not seen.first_use("MZa")
    assert seen.first_use("MZc")  # MZa, the oldest, is forgotten
    assert seen.first_use("MZa")
