"""Kill -9 mid-call and restart: nothing finalised is lost, the call is marked interrupted.

A real ``heard serve`` subprocess with the real (embedded tiny.en) recognizer and the
real cue engine; a synthesized call streamed over the Twilio endpoint at real-time
pace; the server is SIGKILLed while the call is live, after the first finals and a
cue are on disk; a second ``heard serve`` on the same data dir must find them and
mark the call interrupted. The database is read directly (sqlite3), as an operator
would after a crash.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

pytestmark = [pytest.mark.model, pytest.mark.slow]

CALL = "CA" + "7" * 32


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(data_dir: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HEARD_LOG_LEVEL": "INFO", "HEARD_ALLOW_UNAUTHENTICATED_INGEST": "true"}
    cmd = [
        sys.executable,
        "-m",
        "app.cli",
        "serve",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
    ]
    proc = subprocess.Popen(
        cmd,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        env=env,
        cwd=Path(__file__).parent.parent,
    )
    deadline = time.monotonic() + 120
    import httpx

    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise AssertionError("server did not come up")


def rows(db: Path, sql: str, *args: object) -> list[tuple[object, ...]]:
    con = sqlite3.connect(db, timeout=5)
    try:
        return list(con.execute(sql, args))
    finally:
        con.close()


def call_audio() -> tuple[np.ndarray, np.ndarray]:
    """Caller and agent tracks at 8 kHz: two caller lines, one agent line, then more talk."""
    from tests.speech import say, silence

    caller = np.concatenate(
        [
            silence(0.5, 8000),
            say("I am really scared about my test results, nobody has told me anything.", 8000),
            silence(1.2, 8000),
        ]
    )
    agent = np.concatenate(
        [silence(len(caller) / 8000, 8000), say("I understand, let me look at that for you.", 8000)]
    )
    tail = say("Can you tell me what happens next with the biopsy?", 8000)
    caller = np.concatenate(
        [caller, silence(len(agent) / 8000 - len(caller) / 8000 + 0.5, 8000), tail]
    )
    n = max(len(caller), len(agent)) + 8000 * 20  # and the call goes on (not ended)
    out = []
    for x in (caller, agent):
        out.append(np.concatenate([x, np.zeros(n - len(x), np.float32)]))
    return out[0], out[1]


def media(seq: int, track: str, payload: bytes, ts: int) -> str:
    return json.dumps(
        {
            "event": "media",
            "sequenceNumber": str(seq),
            "media": {
                "track": track,
                "chunk": str(seq),
                "timestamp": str(ts),
                "payload": base64.b64encode(payload).decode(),
            },
            "streamSid": "MZ" + "1" * 32,
        }
    )


@pytest.fixture
def server_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path


def test_kill_mid_call_then_restart_keeps_every_final(server_dir: Path) -> None:
    from websockets.sync.client import connect

    from transcription.audio import encode_mulaw, float_to_pcm16

    caller, agent = call_audio()
    wire = {
        "inbound": encode_mulaw(float_to_pcm16(caller)),
        "outbound": encode_mulaw(float_to_pcm16(agent)),
    }
    port = free_port()
    log = server_dir / "server.log"
    db = server_dir / "heard.db"
    proc = start_server(server_dir, port, log)
    killed = False
    stack = contextlib.ExitStack()
    try:
        ws = stack.enter_context(connect(f"ws://127.0.0.1:{port}/ingest/twilio", open_timeout=10))
        ws.send(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
        ws.send(
            json.dumps(
                {
                    "event": "start",
                    "sequenceNumber": "1",
                    "start": {
                        "accountSid": "AC" + "0" * 32,
                        "streamSid": "MZ" + "1" * 32,
                        "callSid": CALL,
                        "tracks": ["inbound", "outbound"],
                        "mediaFormat": {
                            "encoding": "audio/x-mulaw",
                            "sampleRate": 8000,
                            "channels": 1,
                        },
                        "customParameters": {"agent": "ann"},
                    },
                    "streamSid": "MZ" + "1" * 32,
                }
            )
        )
        seq, t0 = 1, time.monotonic()
        frame = 160  # 20 ms
        seen: tuple[int, int] = (0, 0)
        for i in range(0, len(wire["inbound"]), frame):
            for track in ("inbound", "outbound"):
                seq += 1
                ws.send(media(seq, track, wire[track][i : i + frame], i // 8))
            # real-time pace: a live call, not a file upload
            ahead = (i + frame) / 8000 - (time.monotonic() - t0)
            if ahead > 0:
                time.sleep(ahead)
            if i % 8000 == 0 and db.exists():
                finals = rows(db, "select count(*) from utterances where call_id = ?", CALL)[0][0]
                cues = rows(db, "select count(*) from cues where call_id = ?", CALL)[0][0]
                seen = (int(finals), int(cues))  # type: ignore[call-overload]
                if seen[0] >= 2 and seen[1] >= 1:
                    break
        assert seen[0] >= 2 and seen[1] >= 1, f"no finals/cues before the end of audio: {seen}"
        before_utts = rows(
            db, "select speaker, seq, text from utterances where call_id = ? order by id", CALL
        )
        before_cues = rows(db, "select cue_id, kind from cues where call_id = ? order by id", CALL)
        said_until = {
            str(who): float(str(end))
            for who, end in rows(
                db, 'select speaker, max("end") from utterances where call_id = ? group by speaker',
                CALL,
            )
        }  # fmt: skip
        assert rows(db, "select state from calls where id = ?", CALL) == [("live",)]
        os.kill(proc.pid, signal.SIGKILL)  # mid-call, no goodbye
        proc.wait(10)
        killed = True
    finally:
        with contextlib.suppress(Exception):
            stack.close()
        if not killed:
            proc.kill()
            proc.wait(10)

    # Still on disk right after the kill (WAL committed), before any restart.
    after_kill = rows(
        db, "select speaker, seq, text from utterances where call_id = ? order by id", CALL
    )
    assert after_kill[: len(before_utts)] == before_utts

    proc2 = start_server(server_dir, port, log)
    try:
        ((state, reason),) = rows(db, "select state, end_reason from calls where id = ?", CALL)
        assert (state, reason) == ("interrupted", "server_restart")
        utts = rows(
            db, "select speaker, seq, text from utterances where call_id = ? order by id", CALL
        )
        assert utts[: len(before_utts)] == before_utts and len(utts) >= 2
        assert any("scared" in str(t).lower() for _, _, t in utts)
        cues = rows(db, "select cue_id, kind from cues where call_id = ? order by id", CALL)
        assert cues[: len(before_cues)] == before_cues
        assert "orient" in [k for _, k in cues]
        # the recordings written before the kill are valid WAV files on the call clock
        for speaker in ("caller", "agent"):
            (rel,) = rows(
                db, "select path from audio_files where call_id = ? and speaker = ?", CALL, speaker
            )[0]
            with wave.open(str(server_dir / str(rel))) as w:
                assert w.getframerate() == 16000
                assert w.getnframes() / 16000 > 3.0
                # the audio of every final stored before the kill is on disk too
                assert w.getnframes() / 16000 >= said_until.get(speaker, 0.0)
    finally:
        proc2.send_signal(signal.SIGTERM)
        proc2.wait(30)
    assert "Traceback" not in log.read_text()
