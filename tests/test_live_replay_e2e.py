"""Replay, e2e and demo against the real server: real tiny.en, real cue engine, real
SQLite, real sign-in; the call is synthesized speech through the phone band and
streamed as Twilio Media Streams at real-time pace."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
import websockets

from app import replay
from app.e2e import (
    Credentials,
    free_port,
    login,
    parse_fragment,
    provision_account,
    run_call,
    score,
)
from cues.scripts import parse_script
from transcription.synth import synthesize_script

pytestmark = [pytest.mark.model, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """\
id: live-short
title: A short call with three cues
turns:
  - caller: "Hi. This is my third call about this. Billing keeps sending me back to scheduling."
    cues: [own_it]
  - agent: "I'm sorry about that. I'll put in a ticket and someone will call you back soon."
    cues: [close_the_loop, real_timeline]
  - caller: "Okay, thank you."
"""


@dataclass
class Live:
    url: str
    user: str
    password: str


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    from app.main import create_app
    from app.settings import load_settings

    data = tmp_path_factory.mktemp("live-data")
    user, password = provision_account(data)
    port = free_port()
    settings = load_settings(
        None, data_dir=data, port=port, secure_cookies=False, allow_unauthenticated_ingest=True
    )
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.1)
    try:
        yield Live(f"http://127.0.0.1:{port}", user, password)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="module")
def short_call():  # type: ignore[no-untyped-def]
    script = parse_script(SCRIPT, "live-short.yaml", stem="live-short")
    return script, synthesize_script(script, phone=True, seed=5)


async def test_streamed_call_shows_its_cards_on_the_sidebar(live: Live, short_call) -> None:  # type: ignore[no-untyped-def]
    script, synth = short_call
    creds = Credentials(sidebar_headers=login(live.url, live.user, live.password))
    outcome = await run_call(live.url, script, synth, creds, settle_s=3.0)
    assert outcome.error is None
    assert outcome.finals, "the sidebar showed no final transcript line"
    raised = outcome.raised_turns()
    assert raised.get("own_it") == 0, raised
    assert raised.get("close_the_loop") == 1, raised
    report = score([outcome])
    assert report["recall"] >= 2 / 3 and report["precision"] >= 2 / 3
    assert report["raised"]["live-short"]
    assert report["cue_latency_p95_s"] is not None
    # Latency is measured, not asserted (shared, noisy machine); it must be a sane number.
    for v in outcome.latencies().values():
        assert -10 < v < 30


async def test_replay_cli_streams_a_wav_the_server_stores(
    live: Live,
    short_call,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    _, synth = short_call
    wav = tmp_path / "call.wav"
    synth.write(wav)
    code = await asyncio.to_thread(
        replay.main,
        [str(wav), "--to", live.url, "--speed", "4", "--call-id", "cli-replay-1", "--agent", "ann"],
    )
    assert code == 0
    headers = login(live.url, live.user, live.password)
    async with httpx.AsyncClient(base_url=live.url, headers=headers) as c:
        for _ in range(100):
            r = await c.get("/api/calls/cli-replay-1")
            if r.status_code == 200 and r.json()["state"] != "live":
                break
            await asyncio.sleep(0.1)
        body = r.json()
        assert body["agent"] == "ann" and body["source"] == "twilio"
        assert 10 < body["duration_s"] < 40
        transcript = (await c.get("/api/calls/cli-replay-1/transcript")).json()
    speakers = {u["speaker"] for u in transcript["utterances"]}
    assert speakers == {"caller", "agent"}


async def test_replay_over_the_plain_pcm_socket(live: Live, short_call) -> None:  # type: ignore[no-untyped-def]
    _, synth = short_call
    stats = await replay.replay_audio(
        synth.audio, synth.sample_rate, live.url, call_id="pcm-replay-1", agent="bo",
        protocol="pcm", speed=4,
    )  # fmt: skip
    assert stats.protocol == "pcm" and stats.frames > 0
    headers = login(live.url, live.user, live.password)
    async with httpx.AsyncClient(base_url=live.url, headers=headers) as c:
        for _ in range(100):
            r = await c.get("/api/calls/pcm-replay-1")
            if r.status_code == 200 and r.json()["state"] != "live":
                break
            await asyncio.sleep(0.1)
        assert r.json()["source"] == "pcm" and r.json()["agent"] == "bo"
        transcript = (await c.get("/api/calls/pcm-replay-1/transcript")).json()
    assert {u["speaker"] for u in transcript["utterances"]} == {"caller", "agent"}


async def test_sidebar_requires_sign_in(live: Live) -> None:
    with pytest.raises(websockets.exceptions.InvalidStatus):
        async with websockets.connect(live.url.replace("http", "ws") + "/ws/calls/x"):
            pass


def test_demo_serves_a_replayed_call_until_interrupted(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "HEARD_DEMO_PASSWORD": "demo-password-for-tests"}
    cmd = [
        sys.executable, "-m", "app.cli", "demo", "--port", str(port),
        "--data-dir", str(tmp_path / "data"), "--script", str(ROOT / "app" / "demo_call.yaml"),
    ]  # fmt: skip
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=tmp_path, text=True
    )
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 180
        while not any("Ctrl-C stops" in ln for ln in lines):
            assert time.monotonic() < deadline and proc.poll() is None, "".join(lines)
            lines.append(proc.stdout.readline())
        out = "".join(lines)
        base = f"http://127.0.0.1:{port}"
        found = re.search(re.escape(base) + r"/agent/calls/(demo-\d+-1)\b", out)
        assert found is not None and f"{base}/supervisor" in out, out
        call_id = found.group(1)
        assert "demo-password-for-tests" in out
        headers = login(base, "demo", "demo-password-for-tests")

        async def first_card() -> str:
            url = f"ws://127.0.0.1:{port}/ws/calls/{call_id}"
            async with websockets.connect(url, additional_headers=headers) as ws:
                while True:
                    cards, _ = parse_fragment(str(await ws.recv()))
                    if cards:
                        return cards[0].kind

        assert asyncio.run(asyncio.wait_for(first_card(), timeout=90)) == "own_it"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_signed_twilio_replay_is_admitted_and_a_wrong_token_refused(tmp_path: Path) -> None:
    """Against a server that checks X-Twilio-Signature (speech engine faked: auth only)."""
    from app.main import create_app
    from app.settings import load_settings

    port = free_port()
    settings = load_settings(
        None, data_dir=tmp_path, port=port, transcription={"engine": "fake"},
        twilio_auth_token="tw-secret", allow_unauthenticated_ingest=False,
    )  # fmt: skip
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline
            time.sleep(0.05)
        import numpy as np

        audio = np.zeros((16000, 2), np.float32)
        url = f"http://127.0.0.1:{port}"
        stats = asyncio.run(
            replay.replay_audio(
                audio, 16000, url, call_id="signed-1", speed=10, twilio_auth_token="tw-secret"
            )
        )
        assert stats.frames == 50
        with pytest.raises(replay.ReplayError):
            asyncio.run(
                replay.replay_audio(
                    audio, 16000, url, call_id="signed-2", speed=10, twilio_auth_token="wrong"
                )
            )
        with pytest.raises(replay.ReplayError):
            asyncio.run(replay.replay_audio(audio, 16000, url, call_id="signed-3", speed=10))
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_eval_e2e_cli_on_its_own_server(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`heard eval e2e DIR --json`: starts `heard serve`, streams, scores like eval cues."""
    pytest.importorskip("app.server", reason="`heard serve` (app/server.py) has not landed")
    from app import e2e
    from cues import evaluate

    calls = tmp_path / "calls"
    calls.mkdir()
    (calls / "live-short.yaml").write_text(SCRIPT, encoding="utf-8")
    assert e2e.main([str(calls), "--json", "--settle", "3"]) == 0
    report = json.loads(capsys.readouterr().out)
    text_only = evaluate.evaluate_dir(calls).as_json()
    assert set(text_only) <= set(report)
    assert {"cue_latency_p50_s", "cue_latency_p95_s"} <= set(report)
    assert report["scripts"] == 1 and report["e2e"]["errors"] == {}
    assert report["recall"] >= 2 / 3
    assert {r["kind"] for r in report["raised"]["live-short"]} >= {"own_it", "close_the_loop"}
