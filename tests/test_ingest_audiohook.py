"""Genesys AudioHook v2 monitor against the app, with the client's real message shapes.

Shapes follow the AudioHook protocol reference and its session walkthrough: every
message has version "2", id (session), type, seq, parameters; client messages carry
serverseq and position (ISO 8601 duration); the open offers several media and the
server answers opened with the one it takes; binary frames are stereo interleaved
PCMU (external = caller first, internal = agent second), 8 kHz.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app.ingest.audiohook import choose_media, parse_duration
from app.ingest.base import ProtocolError
from tests.serverkit import make_app, mulaw, tone
from transcription.audio import float_to_pcm16
from transcription.fake import ScriptedUtterance

SESSION = "e160e428-53e2-487c-977d-96989bf5c99d"
CONVERSATION = "090eaa2f-72fa-480a-83e0-8667ff89c0ec"
SCRIPT = [
    ScriptedUtterance("caller", "I am scared of what the biopsy will show", 0.3, 1.6),
    ScriptedUtterance("agent", "I understand let me explain the next steps", 1.7, 2.8),
]
OFFERED = [
    {"type": "audio", "format": "PCMU", "channels": ["external", "internal"], "rate": 8000},
    {"type": "audio", "format": "PCMU", "channels": ["external"], "rate": 8000},
    {"type": "audio", "format": "PCMU", "channels": ["internal"], "rate": 8000},
]


class Client:
    """The AudioHook client side: numbers its messages, tracks position and serverseq."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.seq = 0
        self.serverseq = 0
        self.position = 0.0

    def send(self, type_: str, parameters: dict[str, Any] | None = None, **over: Any) -> None:
        self.seq += 1
        msg = {
            "version": "2",
            "type": type_,
            "seq": self.seq,
            "serverseq": self.serverseq,
            "id": SESSION,
            "position": f"PT{self.position:.2f}S",
            "parameters": {} if parameters is None else parameters,
        }
        msg.update(over)
        self.ws.send_text(json.dumps(msg))

    def receive(self) -> dict[str, Any]:
        msg = json.loads(self.ws.receive_text())
        assert (
            msg["version"] == "2" and msg["id"] == SESSION and isinstance(msg["parameters"], dict)
        )
        assert msg["seq"] == self.serverseq + 1, "server seq must count up by one"
        assert msg["clientseq"] == self.seq, "server answers the last client message"
        self.serverseq = msg["seq"]
        return dict(msg)

    def open(self, media: list[dict[str, Any]] | None = None, **params: Any) -> dict[str, Any]:
        self.send(
            "open",
            {
                "organizationId": "d7934305-0972-4844-938e-9060eef73d05",
                "conversationId": CONVERSATION,
                "participant": {
                    "id": "883efee8-3d6c-4537-b500-6d7ca4b92fa0",
                    "ani": "+1-555-555-1234",
                    "aniName": "John Doe",
                    "dnis": "+1-800-555-6789",
                },
                "media": OFFERED if media is None else media,
                "language": "en-US",
                **params,
            },
        )
        return self.receive()

    def audio(self, seconds: float, frame_s: float = 0.2) -> None:
        caller, agent = mulaw(seconds, 220), mulaw(seconds, 330)
        stereo = np.stack(
            [np.frombuffer(caller, np.uint8), np.frombuffer(agent, np.uint8)], axis=1
        ).tobytes()
        step = int(8000 * frame_s) * 2
        for i in range(0, len(stereo), step):
            self.ws.send_bytes(stereo[i : i + step])
        self.position += seconds


@pytest.fixture
def client(tmp_path: Path, as_admin: Any) -> Any:
    with TestClient(as_admin(make_app(tmp_path, SCRIPT))) as c:
        yield c


def wait_state(client: TestClient, state: str, timeout: float = 10) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        r = client.get(f"/api/calls/{CONVERSATION}")
        if r.status_code == 200 and r.json()["state"] == state:
            return dict(r.json())
        assert time.monotonic() < deadline, f"never {state}: {r.text[:200]}"
        time.sleep(0.05)


def test_a_monitored_conversation_from_open_to_closed(client: TestClient) -> None:
    with client.websocket_connect("/ingest/audiohook") as ws:
        ah = Client(ws)
        opened = ah.open(customConfig={"agent": "ann"})
        assert opened["type"] == "opened"
        assert opened["parameters"] == {"startPaused": False, "media": [OFFERED[0]]}
        ah.audio(1.0)
        ah.send("ping")
        assert ah.receive()["type"] == "pong"
        # hold: the client pauses; the call is on hold, not ended
        ah.send("paused")
        assert wait_state(client, "on_hold")["agent"] == "ann"
        ah.send("resumed", {"start": f"PT{ah.position}S", "discarded": "PT0S"})
        ah.audio(2.0)
        ah.send("close", {"reason": "end"})
        closed = ah.receive()
        assert closed["type"] == "closed" and closed["parameters"] == {}
    call = wait_state(client, "ended")
    assert (call["source"], call["agent"], call["end_reason"]) == ("audiohook", "ann", "stop")
    utts = client.get(f"/api/calls/{CONVERSATION}/transcript").json()["utterances"]
    assert [u["speaker"] for u in utts] == ["caller", "agent"]  # external=caller, internal=agent
    kinds = [c["kind"] for c in client.get(f"/api/calls/{CONVERSATION}/cues").json()["cues"]]
    assert "orient" in kinds


def test_l16_mono_external_when_that_is_all_offered(client: TestClient) -> None:
    media = [{"type": "audio", "format": "L16", "channels": ["external"], "rate": 8000}]
    with client.websocket_connect("/ingest/audiohook") as ws:
        ah = Client(ws)
        assert ah.open(media)["parameters"]["media"] == media
        pcm = float_to_pcm16(tone(2.0, 8000)).astype("<i2").tobytes()
        for i in range(0, len(pcm), 3200):
            ws.send_bytes(pcm[i : i + 3200])
        ah.send("close", {"reason": "end"})
        assert ah.receive()["type"] == "closed"
    wait_state(client, "ended")
    utts = client.get(f"/api/calls/{CONVERSATION}/transcript").json()["utterances"]
    assert [u["speaker"] for u in utts] == ["caller"]


def test_discarded_audio_advances_the_call_clock(client: TestClient) -> None:
    with client.websocket_connect("/ingest/audiohook") as ws:
        ah = Client(ws)
        ah.open()
        ah.audio(0.5)
        ah.send("discarded", {"start": "PT0.5S", "discarded": "PT2S"})
        ah.audio(0.5)
        ah.send("close", {"reason": "end"})
        ah.receive()
    assert wait_state(client, "ended")["duration_s"] == pytest.approx(3.0, abs=0.05)


def disconnect_of(client: TestClient, steps: list[Any]) -> tuple[dict[str, Any] | None, int]:
    """Run ``steps`` (callables on the client); return the server's disconnect and close code."""
    with client.websocket_connect("/ingest/audiohook") as ws:
        ah = Client(ws)
        for step in steps:
            step(ah)
        disconnect = None
        with pytest.raises(WebSocketDisconnect) as e:
            while True:
                msg = json.loads(ws.receive_text())
                if msg["type"] == "disconnect":
                    disconnect = msg
    return disconnect, e.value.code


def test_no_supported_media_is_refused_with_a_disconnect(client: TestClient) -> None:
    media = [{"type": "audio", "format": "OPUS", "channels": ["external"], "rate": 48000}]
    disconnect, code = disconnect_of(
        client, [lambda ah: ah.send("open", {"conversationId": "x", "media": media})]
    )
    assert code == 1003
    assert disconnect is not None and disconnect["parameters"]["reason"] == "error"
    assert "media" in disconnect["parameters"]["info"]


@pytest.mark.parametrize(
    ("name", "steps", "code"),
    [
        ("audio before open", [lambda ah: ah.ws.send_bytes(b"\xff" * 320)], 1002),
        ("ping before open", [lambda ah: ah.send("ping")], 1002),
        ("version 1", [lambda ah: ah.send("open", {"conversationId": "c"}, version="1")], 1002),
        (
            "no parameters",
            [
                lambda ah: ah.ws.send_text(
                    json.dumps(
                        {
                            "version": "2",
                            "type": "open",
                            "seq": 1,
                            "serverseq": 0,
                            "id": SESSION,
                            "position": "PT0S",
                        }
                    )
                )
            ],
            1007,
        ),
        ("seq skips", [lambda ah: ah.open(), lambda ah: ah.send("ping", seq=5)], 1002),
        (
            "serverseq from the future",
            [lambda ah: ah.open(), lambda ah: ah.send("ping", serverseq=9)],
            1007,
        ),
        (
            "other session id",
            [lambda ah: ah.open(), lambda ah: ah.send("ping", id="someone-else")],
            1002,
        ),
        (
            "bad position",
            [lambda ah: ah.open(), lambda ah: ah.send("ping", position="12 seconds")],
            1007,
        ),
        ("unknown type", [lambda ah: ah.open(), lambda ah: ah.send("teleport")], 1002),
        (
            "second open",
            [lambda ah: ah.open(), lambda ah: ah.send("open", {"conversationId": "c"})],
            1002,
        ),
    ],
)
def test_protocol_errors_get_disconnect_then_close(
    client: TestClient, name: str, steps: list[Any], code: int
) -> None:
    disconnect, got = disconnect_of(client, steps)
    assert got == code
    assert disconnect is not None and disconnect["parameters"]["reason"] == "error"


def test_drop_mid_call_keeps_the_data_and_a_reconnect_resumes(
    tmp_path: Path, as_admin: Any
) -> None:
    with TestClient(as_admin(make_app(tmp_path, SCRIPT, reconnect_grace_s=30))) as client:
        _drop_and_resume(client)


def _drop_and_resume(client: TestClient) -> None:
    with client.websocket_connect("/ingest/audiohook") as ws:
        ah = Client(ws)
        ah.open(customConfig={"agent": "ann"})
        ah.audio(2.0)  # caller's line ends at 1.6 s: final before the drop
        while not client.get(f"/api/calls/{CONVERSATION}/transcript").json().get("utterances"):
            time.sleep(0.02)
    # dropped without close: kept, still live, waiting for a reconnect
    assert wait_state(client, "live")["agent"] == "ann"
    utts = client.get(f"/api/calls/{CONVERSATION}/transcript").json()["utterances"]
    assert [u["speaker"] for u in utts][:1] == ["caller"]
    with client.websocket_connect("/ingest/audiohook") as ws:
        ah = Client(ws)
        ah.open(customConfig={"agent": "ann"})
        ah.audio(1.0)
        ah.send("close", {"reason": "end"})
        ah.receive()
    call = wait_state(client, "ended")
    assert call["end_reason"] == "stop"


def test_pure_helpers() -> None:
    assert parse_duration("PT0S") == 0
    assert parse_duration("PT1.25S") == 1.25
    assert parse_duration("PT1H2M3.5S") == 3723.5
    for bad in ("", "PT", "1.5S", "PT-1S", 3):
        with pytest.raises(ProtocolError):
            parse_duration(bad)
    assert choose_media(OFFERED[1:] + OFFERED[:1]) == OFFERED[0]  # stereo first
    l16 = {"type": "audio", "format": "L16", "channels": ["external", "internal"], "rate": 8000}
    assert choose_media([l16, OFFERED[1]]) == l16
    assert (
        choose_media([{"type": "audio", "format": "PCMU", "channels": ["x"], "rate": 8000}]) is None
    )
    assert choose_media("nope") is None
