"""The real stream path (audio edge, Silero endpointing, shared decoder) with a scripted engine."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import numpy as np
import pytest

from tests.speech import say, silence
from transcription.audio import AudioEdge, AudioFormat, encode_mulaw, float_to_pcm16
from transcription.config import TranscriptionConfig
from transcription.engine import DecodeRequest, DecodeResult, StreamKey
from transcription.errors import AudioFormatError, RecognizerError
from transcription.recognizer import Recognizer
from transcription.service import TranscriptionService
from transcription.types import AudioChunk, Utterance, Word


class EchoEngine:
    """Names what it was given: "<call> <speaker> <seconds>s"; one word spanning the audio."""

    name = "echo"
    max_batch = 4
    backlog = 0

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.requests: list[DecodeRequest] = []

    def decode(self, requests: Sequence[DecodeRequest]) -> list[DecodeResult]:
        time.sleep(self.delay)
        self.requests += requests
        return [
            DecodeResult(
                f"{r.key[0]} {r.key[1]} {r.duration:.1f}s",
                (Word("x", r.offset, r.offset + r.duration, 0.8),),
            )
            for r in requests
        ]

    def release(self, key: StreamKey) -> None:
        pass


def stereo_call() -> bytes:
    """Caller speaks, then agent speaks, as 8 kHz µ-law stereo."""
    a = say("I would like to book an appointment for next week.", 8000)
    b = say("Sure, what day works best for you?", 8000)
    n = len(a) + len(b) + 8000 * 3
    left, right = np.zeros(n, np.float32), np.zeros(n, np.float32)
    left[4000 : 4000 + len(a)] = a
    start_b = 4000 + len(a) + 8000
    right[start_b : start_b + len(b)] = b
    inter = np.stack([float_to_pcm16(left), float_to_pcm16(right)], axis=1).reshape(-1)
    return encode_mulaw(inter)


async def collect(rec: Recognizer, out: list[Utterance]) -> None:
    async for u in rec:
        out.append(u)


async def test_stereo_call_gives_each_speaker_ordered_finals() -> None:
    engine = EchoEngine(delay=0.05)
    config = TranscriptionConfig(partial_interval_s=0.5)
    async with TranscriptionService(config, engine=engine) as svc:
        edge = AudioEdge("c1", AudioFormat("mulaw", 8000, 2, ("caller", "agent")))
        recs = {s: svc.open_stream("c1", s) for s in ("caller", "agent")}
        outs: dict[str, list[Utterance]] = {"caller": [], "agent": []}
        readers = [asyncio.create_task(collect(recs[s], outs[s])) for s in recs]
        wire = stereo_call()
        for i in range(0, len(wire), 320):  # 20 ms stereo frames
            for chunk in edge.decode(wire[i : i + 320]):
                recs[chunk.speaker].push(chunk)
            await asyncio.sleep(0)
        for chunk in edge.flush():
            recs[chunk.speaker].push(chunk)
        for rec in recs.values():
            await rec.aclose()
        await asyncio.gather(*readers)
        stats = svc.stats()
    for speaker, out in outs.items():
        finals = [u for u in out if u.final]
        assert len(finals) == 1, out
        assert finals[0].text.startswith(f"c1 {speaker}")
        assert finals[0].seq == 0
        for p in out:
            if not p.final:
                assert p.seq == 0 and out.index(p) < out.index(finals[0])
    assert outs["caller"][-1].start < 1.0 < outs["agent"][-1].start
    assert stats.finals == 2 and stats.dropped_chunks == 0 and stats.errors == 0
    assert stats.audio_seconds_in == pytest.approx(2 * len(wire) / 2 / 8000, rel=0.01)


async def test_silent_streams_cost_no_decodes_and_close_cleanly() -> None:
    engine = EchoEngine()
    async with TranscriptionService(TranscriptionConfig(), engine=engine) as svc:
        recs = [svc.open_stream(f"idle-{i}", "caller") for i in range(5)]
        for k in range(250):  # 5 s of 20 ms frames of digital silence
            for i, rec in enumerate(recs):
                rec.push(AudioChunk(f"idle-{i}", "caller", silence(0.02), k * 0.02))
        await asyncio.sleep(0.1)
        for rec in recs:
            await rec.aclose()
        assert svc.stats().streams_open == 0
    assert engine.requests == []


async def test_stream_errors_are_typed_and_isolated() -> None:
    engine = EchoEngine()
    async with TranscriptionService(TranscriptionConfig(), engine=engine) as svc:
        good = svc.open_stream("ok", "caller")
        other = svc.open_stream("bad", "caller")
        with pytest.raises(RecognizerError, match="already open"):
            svc.open_stream("ok", "caller")
        with pytest.raises(RecognizerError, match="pushed to"):
            other.push(AudioChunk("ok", "caller", silence(0.02), 0.0))
        edge = AudioEdge("bad", AudioFormat("pcm16", 16000, 1))
        with pytest.raises(AudioFormatError):
            edge.require_format(AudioFormat("mulaw", 8000, 1))
        out: list[Utterance] = []
        reader = asyncio.create_task(collect(good, out))
        speech = np.concatenate([silence(0.3), say("Hello there, how are you?"), silence(1.0)])
        for i in range(0, len(speech), 320):
            good.push(AudioChunk("ok", "caller", speech[i : i + 320], i / 16000))
        await other.aclose()
        with pytest.raises(RecognizerError, match="closed"):
            other.push(AudioChunk("bad", "caller", silence(0.02), 0.0))
        await good.aclose()
        await reader
    assert [u.text.split()[0] for u in out if u.final] == ["ok"]
