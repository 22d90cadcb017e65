"""Call data API roles, the browser capture socket, /metrics and logs without transcript text."""

from __future__ import annotations

import json
import logging
import re
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app.logs import JsonFormatter
from app.security.roles import Principal
from tests.serverkit import make_app, tone
from transcription.audio import float_to_pcm16
from transcription.fake import ScriptedUtterance

SECRET_WORDS = "my member number is four four two nine and I am scared"
SCRIPT = [
    ScriptedUtterance("caller", SECRET_WORDS, 0.2, 1.4),
    ScriptedUtterance("agent", "thank you I will look that up", 1.5, 2.4),
]


class Who:
    """A principal loader the test can switch between people."""

    def __init__(self) -> None:
        self.principal: Principal | None = None

    def be(self, username: str, *roles: str) -> None:
        self.principal = Principal(username, frozenset(roles))  # type: ignore[arg-type]

    async def __call__(self, conn: Any) -> Principal | None:
        return self.principal


@pytest.fixture
def who() -> Who:
    return Who()


@pytest.fixture
def client(tmp_path: Path, who: Who) -> Any:
    app = make_app(tmp_path, SCRIPT)
    app.state.principal_loader = who
    with TestClient(app) as c:
        yield c


def browser_frames(seconds: float, rate: int = 48000) -> list[bytes]:
    """Interleaved mic (agent) and tab (caller) PCM16 as the AudioWorklet posts it."""
    mic = float_to_pcm16(tone(seconds, rate, 330))
    tab = float_to_pcm16(tone(seconds, rate, 220))
    raw = np.stack([mic, tab], axis=1).astype("<i2").tobytes()
    step = rate // 50 * 4  # 20 ms
    return [raw[i : i + step] for i in range(0, len(raw), step)]


def browser_call(client: TestClient, call_id: str, seconds: float = 3.0) -> None:
    with client.websocket_connect(f"/ingest/browser/{call_id}") as ws:
        ws.send_text(json.dumps({"event": "start", "sample_rate": 48000, "channels": 2}))
        for f in browser_frames(seconds):
            ws.send_bytes(f)
        ws.send_text(json.dumps({"event": "stop"}))


def wait_ended(client: TestClient, call_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while True:
        r = client.get(f"/api/calls/{call_id}")
        if r.status_code == 200 and r.json()["state"] == "ended":
            return dict(r.json())
        assert time.monotonic() < deadline, r.text
        time.sleep(0.05)


def test_browser_capture_mic_is_agent_tab_is_caller(client: TestClient, who: Who) -> None:
    who.be("ann", "agent")
    browser_call(client, "web-1")
    call = wait_ended(client, "web-1")
    assert (call["agent"], call["source"]) == ("ann", "browser")
    assert call["duration_s"] == pytest.approx(3.0, abs=0.05)
    utts = client.get("/api/calls/web-1/transcript").json()["utterances"]
    assert [u["speaker"] for u in utts] == ["caller", "agent"]


def test_browser_capture_refuses_bad_rates_and_other_agents_calls(
    client: TestClient, who: Who
) -> None:
    who.be("ann", "agent")
    with client.websocket_connect("/ingest/browser/web-2") as ws:
        ws.send_text(json.dumps({"event": "start", "sample_rate": 22050, "channels": 2}))
        with pytest.raises(WebSocketDisconnect) as e:
            ws.receive_text()
    assert e.value.code == 1003
    # ann's live call: bob's browser may not stream into it
    with client.websocket_connect("/ingest/browser/web-3") as ws:
        ws.send_text(json.dumps({"event": "start", "sample_rate": 16000, "channels": 1}))
        while client.get("/api/calls/web-3").status_code != 200:
            time.sleep(0.02)
        who.be("bob", "agent")
        with (
            pytest.raises(WebSocketDisconnect) as e,
            client.websocket_connect("/ingest/browser/web-3") as ws2,
        ):
            ws2.send_text(json.dumps({"event": "start", "sample_rate": 16000, "channels": 1}))
            ws2.receive_text()
        assert e.value.code == 1008
        who.be("ann", "agent")
        ws.send_text(json.dumps({"event": "stop"}))
    # a supervisor is not an agent: no capture
    who.be("sue", "supervisor")
    with (
        pytest.raises(WebSocketDisconnect),
        client.websocket_connect("/ingest/browser/web-4") as ws,
    ):
        ws.receive_text()


def test_who_may_read_a_call(client: TestClient, who: Who) -> None:
    who.be("ann", "agent")
    browser_call(client, "mine")
    wait_ended(client, "mine")
    who.principal = None
    assert client.get("/api/calls/mine").status_code == 401
    for role in ("supervisor", "trainer", "admin"):
        who.be("someone", role)
        for path in ("", "/transcript", "/cues", "/audio/caller.wav"):
            assert client.get(f"/api/calls/mine{path}").status_code == 200, (role, path)
    who.be("bob", "agent")  # another agent: not their call, not even confirmed to exist
    for path in ("", "/transcript", "/cues", "/audio/agent.wav"):
        assert client.get(f"/api/calls/mine{path}").status_code == 404
    who.be("ann", "agent")
    assert client.get("/api/calls/mine/cues").status_code == 200
    assert client.get("/api/calls/mine/audio/nobody.wav").status_code == 422
    assert client.get("/api/calls/..%2F..%2Fetc/audio/caller.wav").status_code == 404
    cue_id = client.get("/api/calls/mine/cues").json()["cues"][0]["id"]
    assert (
        client.post(f"/api/calls/mine/cues/{cue_id}/feedback", data={"verdict": "used"}).status_code
        == 204
    )
    who.be("tom", "trainer")  # trainers read, they do not answer for the agent
    assert (
        client.post(f"/api/calls/mine/cues/{cue_id}/feedback", data={"verdict": "used"}).status_code
        == 403
    )


def test_metrics_and_logs_carry_counts_not_words(
    client: TestClient, who: Who, caplog: pytest.LogCaptureFixture
) -> None:
    who.be("ann", "agent")
    caplog.set_level(logging.DEBUG)
    browser_call(client, "m1")
    wait_ended(client, "m1")
    text = client.get("/metrics").text
    seconds = re.search(r'heard_audio_seconds_in_total\{speaker="caller"\} ([0-9.]+)', text)
    assert seconds is not None and float(seconds.group(1)) == pytest.approx(3.0, abs=0.05)
    assert "heard_live_calls 0.0" in text
    count = re.search(r"heard_cue_latency_seconds_count ([0-9.]+)", text)
    assert count is not None and float(count.group(1)) >= 1  # orient on "scared"
    assert "heard_decode_queue_depth" in text
    formatter = JsonFormatter()
    lines = [formatter.format(r) for r in caplog.records]
    assert any('"call_id":"m1"' in line for line in lines)
    for word in ("member", "scared", "look that up"):
        assert not any(word in line for line in lines), word
