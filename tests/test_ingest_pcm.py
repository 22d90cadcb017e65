"""The plain PCM websocket against the app (fake recognizer, real store and recordings)."""

from __future__ import annotations

import json
import time
import wave
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from tests.serverkit import make_app, pcm16_stereo
from transcription.fake import ScriptedUtterance

SCRIPT = [
    ScriptedUtterance("caller", "I am so scared about my results", 0.2, 1.4),
    ScriptedUtterance("agent", "I can help you with that today", 1.5, 2.6),
]


def start(call_id: str = "pcm-1", **kw: Any) -> str:
    msg = {
        "event": "start",
        "call_id": call_id,
        "agent": "ann",
        "sample_rate": 8000,
        "encoding": "pcm16",
        "channels": 2,
        "speakers": ["caller", "agent"],
    }
    msg.update(kw)
    return json.dumps(msg)


def stream(ws: Any, seconds: float, frame_s: float = 0.02) -> None:
    audio = pcm16_stereo(seconds)
    step = int(8000 * frame_s) * 4
    for i in range(0, len(audio), step):
        ws.send_bytes(audio[i : i + step])


def wait_for(client: TestClient, call_id: str, state: str, timeout: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        r = client.get(f"/api/calls/{call_id}")
        if r.status_code == 200 and r.json()["state"] == state:
            return dict(r.json())
        if time.monotonic() > deadline:
            raise AssertionError(f"call {call_id} not {state}: {r.status_code} {r.text[:200]}")
        time.sleep(0.05)


@pytest.fixture
def client(tmp_path: Path, as_admin: Any) -> Any:
    app = as_admin(make_app(tmp_path, SCRIPT))
    with TestClient(app) as c:
        yield c


def test_a_call_streams_is_transcribed_cued_stored_and_recorded(client: TestClient) -> None:
    with client.websocket_connect("/ingest/pcm") as ws:
        ws.send_text(start())
        stream(ws, 3.0)
        ws.send_text(json.dumps({"event": "stop"}))
    call = wait_for(client, "pcm-1", "ended")
    assert call["agent"] == "ann" and call["source"] == "pcm" and call["end_reason"] == "stop"
    assert call["duration_s"] == pytest.approx(3.0, abs=0.05)
    transcript = client.get("/api/calls/pcm-1/transcript").json()["utterances"]
    assert [(u["speaker"], u["seq"], u["text"]) for u in transcript] == [
        ("caller", 0, "I am so scared about my results"),
        ("agent", 0, "I can help you with that today"),
    ]
    cues = client.get("/api/calls/pcm-1/cues").json()["cues"]
    assert "orient" in [c["kind"] for c in cues]
    orient = next(c for c in cues if c["kind"] == "orient")
    assert orient["evidence"]["utterance_id"] == "pcm-1:caller:0"
    assert orient["latency_s"] is not None and orient["latency_s"] >= 0
    for speaker in ("caller", "agent"):
        r = client.get(f"/api/calls/pcm-1/audio/{speaker}.wav")
        assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
        path = Path(client.app.state.settings.data_dir) / "rec.wav"  # type: ignore[attr-defined]
        path.write_bytes(r.content)
        with wave.open(str(path)) as w:
            assert w.getframerate() == 16000 and w.getnchannels() == 1
            assert w.getnframes() / 16000 == pytest.approx(3.0, abs=0.02)
    # feedback on the card is stored with who gave it
    r = client.post(f"/api/calls/pcm-1/cues/{orient['id']}/feedback", data={"verdict": "used"})
    assert r.status_code == 204
    cues = client.get("/api/calls/pcm-1/cues").json()["cues"]
    assert next(c for c in cues if c["kind"] == "orient")["feedback"] == {"admin": "used"}
    r = client.post(f"/api/calls/pcm-1/cues/{orient['id']}/feedback", data={"verdict": "maybe"})
    assert r.status_code == 422
    assert (
        client.post("/api/calls/pcm-1/cues/nope/feedback", data={"verdict": "used"}).status_code
        == 404
    )


def test_recording_off_keeps_transcript_and_cues(tmp_path: Path, as_admin: Any) -> None:
    app = as_admin(make_app(tmp_path, SCRIPT, record_audio=False))
    with TestClient(app) as client:
        with client.websocket_connect("/ingest/pcm") as ws:
            ws.send_text(start("norec"))
            stream(ws, 2.0)
            ws.send_text(json.dumps({"event": "stop"}))
        wait_for(client, "norec", "ended")
        assert len(client.get("/api/calls/norec/transcript").json()["utterances"]) == 2
        assert client.get("/api/calls/norec/audio/caller.wav").status_code == 404
    assert not (tmp_path / "recordings").exists()


def close_code(client: TestClient, *messages: str | bytes) -> int:
    with client.websocket_connect("/ingest/pcm") as ws:
        for m in messages:
            if isinstance(m, bytes):
                ws.send_bytes(m)
            else:
                ws.send_text(m)
        with pytest.raises(WebSocketDisconnect) as e:
            for _ in range(10):
                ws.receive_text()
    return e.value.code


@pytest.mark.parametrize(
    ("messages", "code"),
    [
        ((b"\x00\x01",), 1002),  # audio before start
        (("{not json",), 1007),
        (("[1, 2]",), 1007),
        ((start(sample_rate=22050),), 1003),
        ((start(encoding="mp3"),), 1003),
        ((start(channels=3),), 1003),
        ((start(call_id=""),), 1007),
        ((start(), json.dumps({"event": "dance"})), 1002),
        ((start(), start()), 1002),
        ((start(), json.dumps({"event": "stop"}), b"\x00\x00"), 1002),
    ],
)
def test_bad_input_gets_a_close_code_for_that_connection(
    client: TestClient, messages: tuple[str | bytes, ...], code: int
) -> None:
    assert close_code(client, *messages) == code
    assert client.get("/healthz").json()["status"] == "ok"


def test_oversized_message_and_flood_are_refused(client: TestClient) -> None:
    assert close_code(client, start("big"), b"\x00" * (2 << 20)) == 1009
    # 60 s of stereo audio in a burst of half-second frames: faster than real time allows
    frames = [pcm16_stereo(0.5)] * 120
    assert close_code(client, start("flood"), *frames) == 1008


def test_a_bad_connection_does_not_touch_another_call(client: TestClient) -> None:
    with client.websocket_connect("/ingest/pcm") as good:
        good.send_text(start("good"))
        stream(good, 1.0)
        assert close_code(client, start("bad"), b"\x00" * (2 << 20)) == 1009
        stream(good, 2.0)
        good.send_text(json.dumps({"event": "stop"}))
    wait_for(client, "good", "ended")
    assert len(client.get("/api/calls/good/transcript").json()["utterances"]) == 2
    # the bad call's data is kept (it was opened) and it is not lost
    assert client.get("/api/calls/bad").status_code == 200


def test_drop_then_reconnect_resumes_the_same_call(tmp_path: Path, as_admin: Any) -> None:
    with TestClient(as_admin(make_app(tmp_path, SCRIPT, reconnect_grace_s=30))) as client:
        _drop_then_reconnect(client)


def _drop_then_reconnect(client: TestClient) -> None:
    with client.websocket_connect("/ingest/pcm") as ws:
        ws.send_text(start("drop"))
        stream(ws, 1.0)  # the caller's first words end at 1.4: not yet said
    # dropped without stop: the call waits for a reconnect
    assert client.get("/api/calls/drop").json()["state"] == "live"
    with client.websocket_connect("/ingest/pcm") as ws:
        ws.send_text(start("drop"))
        stream(ws, 2.0)
        ws.send_text(json.dumps({"event": "stop"}))
    call = wait_for(client, "drop", "ended")
    assert call["end_reason"] == "stop"
    texts = [u["text"] for u in client.get("/api/calls/drop/transcript").json()["utterances"]]
    assert "I can help you with that today" in texts


def test_a_stop_ends_the_call_while_a_superseded_connection_lingers(
    tmp_path: Path, as_admin: Any
) -> None:
    """A reload or a reconnect can arrive before the server has seen the old
    connection close; the stop on the new one still ends the call at once, not after
    the reconnect grace (the race that once left a dropped call live in CI)."""
    app = as_admin(make_app(tmp_path, SCRIPT, reconnect_grace_s=30))
    with TestClient(app) as client, client.websocket_connect("/ingest/pcm") as old:
        old.send_text(start("stale"))
        stream(old, 1.0)
        wait_for(client, "stale", "live")
        with client.websocket_connect("/ingest/pcm") as new:
            new.send_text(start("stale"))
            stream(new, 2.0)
            new.send_text(json.dumps({"event": "stop"}))
        call = wait_for(client, "stale", "ended")  # the old connection still open
        assert call["end_reason"] == "stop"
        said = client.get("/api/calls/stale/transcript").json()["utterances"]
        assert "I can help you with that today" in [u["text"] for u in said]


def test_drop_without_reconnect_ends_after_the_grace(client: TestClient) -> None:
    with client.websocket_connect("/ingest/pcm") as ws:
        ws.send_text(start("gone"))
        stream(ws, 2.0)
    call = wait_for(client, "gone", "ended", timeout=5)
    assert call["end_reason"] == "disconnected"


def test_transfer_and_hold_keep_one_call(client: TestClient) -> None:
    with client.websocket_connect("/ingest/pcm") as ws:
        ws.send_text(start("xfer"))
        stream(ws, 1.0)
        ws.send_text(json.dumps({"event": "hold"}))
        assert wait_for(client, "xfer", "on_hold")["agent"] == "ann"
        ws.send_text(json.dumps({"event": "transfer", "agent": "bob"}))
        ws.send_text(json.dumps({"event": "resume"}))
        stream(ws, 2.0)
        ws.send_text(json.dumps({"event": "stop"}))
    call = wait_for(client, "xfer", "ended")
    assert call["agent"] == "bob"
    assert [(a["agent"], a["reason"]) for a in call["agents"]] == [
        ("ann", "start"),
        ("bob", "transfer"),
    ]
    assert len(client.get("/api/calls/xfer/transcript").json()["utterances"]) == 2


def test_calls_beyond_capacity_are_refused_try_later(tmp_path: Path, as_admin: Any) -> None:
    app = as_admin(make_app(tmp_path, SCRIPT, max_live_calls=1))
    with TestClient(app) as client, client.websocket_connect("/ingest/pcm") as first:
        first.send_text(start("one"))
        stream(first, 0.2)
        while client.get("/api/calls/one").status_code != 200:
            time.sleep(0.02)
        assert close_code(client, start("two")) == 1013
        stream(first, 0.2)  # the call already carried is untouched
        first.send_text(json.dumps({"event": "stop"}))
