"""Speculative finals: real Silero endpointing and the real decoder, a scripted engine.

The engine names exactly what it was given (``seq:samples``), so a final's text
proves which audio span was decoded; every run is compared with the same audio
streamed with speculation off.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from tests.speech import say, silence
from transcription.config import TranscriptionConfig
from transcription.decoder import Decoder
from transcription.engine import DecodeRequest, DecodeResult, StreamKey
from transcription.service import TranscriptionStats
from transcription.stream import StreamRecognizer
from transcription.types import SAMPLE_RATE, AudioChunk, Utterance, Word
from transcription.vad import SileroVad

F32 = npt.NDArray[np.float32]


class SpanEngine:
    """Echoes ``seq:samples``; ``gate`` holds a decode until opened; logs requests."""

    name = "span"
    max_batch = 2
    backlog = 0

    def __init__(self) -> None:
        self.requests: list[DecodeRequest] = []
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()

    def decode(self, requests: Sequence[DecodeRequest]) -> list[DecodeResult]:
        self.entered.set()
        self.gate.wait(10.0)
        self.requests += requests
        return [
            DecodeResult(
                f"{r.seq}:{len(r.audio)}", (Word("w", r.offset, r.offset + r.duration, 0.9),)
            )
            for r in requests
        ]

    def finals(self, key: StreamKey = ("c", "caller")) -> list[DecodeRequest]:
        return [r for r in self.requests if r.final and r.key == key]

    def release(self, key: StreamKey) -> None:
        pass


def trim(a: F32) -> F32:
    """Piper's leading/trailing silence off, so the gaps below are what the test says."""
    loud = np.flatnonzero(np.abs(a) > 0.01)
    return a[loud[0] : loud[-1] + 1]


class Harness:
    def __init__(self, vad: SileroVad, *, speculate: float | None = 0.2) -> None:
        self.engine = SpanEngine()
        self.stats = TranscriptionStats()
        config = TranscriptionConfig(partials=False, speculate_after_s=speculate)
        self.decoder = Decoder(self.engine, config, self.stats)
        self.decoder.start()
        self.rec = StreamRecognizer("c", "caller", vad, self.decoder, config, self.stats)
        self.out: list[Utterance] = []
        self.reader: asyncio.Task[None] | None = None
        self.clock = 0

    def push(self, audio: F32) -> None:
        if self.reader is None:
            self.reader = asyncio.create_task(self._read())
        for i in range(0, len(audio), 320):
            piece = audio[i : i + 320]
            self.rec.push(AudioChunk("c", "caller", piece, self.clock / SAMPLE_RATE))
            self.clock += len(piece)

    async def _read(self) -> None:
        async for u in self.rec:
            self.out.append(u)

    async def until(self, cond: object, timeout: float = 10.0) -> None:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while not cond():  # type: ignore[operator]
            assert loop.time() < end, "timed out"
            await asyncio.sleep(0.01)

    async def close(self) -> list[str]:
        await self.rec.aclose()
        assert self.reader is not None
        await self.reader
        await self.decoder.aclose()
        return [u.text for u in self.out if u.final]


async def reference(vad: SileroVad, *parts: F32) -> list[str]:
    """The finals of the same audio with speculation off."""
    h = Harness(vad, speculate=None)
    for p in parts:
        h.push(p)
    texts = await h.close()
    assert h.stats.speculative == 0
    return texts


async def test_speculative_result_is_the_final_without_a_second_decode() -> None:
    vad = SileroVad()
    speech = np.concatenate([silence(0.3), trim(say("I would like to book an appointment"))])
    h = Harness(vad)
    h.push(speech)
    h.push(silence(0.3))  # past speculate_after_s, short of end_silence_s (0.5)
    await h.until(lambda: len(h.engine.finals()) == 1)
    assert h.out == []  # decoded ahead, not emitted: the speaker may go on
    assert h.stats.speculative == 1
    h.push(silence(1.0))
    await h.until(lambda: any(u.final for u in h.out))
    texts = await h.close()
    assert len(h.engine.finals()) == 1  # the final reused the speculative decode
    assert h.stats.speculative_used == 1 and h.stats.speculative_discarded == 0
    assert h.stats.finals == 1
    assert texts == await reference(vad, speech, silence(1.3))


async def test_speculative_result_is_discarded_when_speech_resumes() -> None:
    vad = SileroVad()
    first = np.concatenate([silence(0.3), trim(say("I would like to book an appointment"))])
    rest = trim(say("for next week on Tuesday morning"))
    h = Harness(vad)
    h.push(first)
    h.push(silence(0.3))  # a pause inside the sentence: shorter than end_silence_s
    await h.until(lambda: len(h.engine.finals()) == 1)
    early = h.engine.finals()[0]
    h.push(rest)
    h.push(silence(1.0))
    texts = await h.close()
    ref = await reference(vad, first, silence(0.3), rest, silence(1.0))
    assert len(ref) == 1, ref  # one utterance: the pause did not end it
    assert texts == ref  # the whole sentence, not the speculative first half
    assert h.stats.speculative_discarded >= 1 and h.stats.finals == 1
    assert f"{early.seq}:{len(early.audio)}" not in [u.text for u in h.out]


async def test_no_speculation_while_the_decoder_is_busy() -> None:
    vad = SileroVad()
    speech = np.concatenate([silence(0.3), trim(say("Thank you very much for calling"))])
    h = Harness(vad)
    h.engine.gate.clear()
    h.engine.entered.clear()
    audio = np.zeros(SAMPLE_RATE, np.float32)
    other = h.decoder.submit(DecodeRequest(("other", "agent"), 0, audio, 0.0, True))
    await asyncio.to_thread(h.engine.entered.wait, 5.0)  # another call's final is decoding
    h.push(speech)
    h.push(silence(1.0))
    await h.until(lambda: h.stats.speculative_skipped >= 1)
    assert h.stats.speculative == 0
    h.engine.gate.set()
    assert (await other) is not None
    texts = await h.close()
    assert len(h.engine.finals()) == 1 and h.stats.speculative_used == 0
    assert texts == await reference(vad, speech, silence(1.0))


async def test_decoder_cancels_a_queued_speculative_final() -> None:
    engine = SpanEngine()
    stats = TranscriptionStats()
    dec = Decoder(engine, TranscriptionConfig(), stats)
    dec.start()
    engine.gate.clear()
    engine.entered.clear()
    audio = np.zeros(SAMPLE_RATE, np.float32)
    busy = dec.submit(DecodeRequest(("a", "caller"), 0, audio, 0.0, False))  # a partial
    await asyncio.to_thread(engine.entered.wait, 5.0)
    assert dec.can_speculate()  # a partial in flight is no reason not to
    spec = dec.submit(DecodeRequest(("b", "caller"), 3, audio, 0.0, True))
    assert not dec.can_speculate()  # a final is queued now
    assert dec.cancel(spec) and (await spec) is None
    engine.gate.set()
    assert (await busy) is not None
    await dec.aclose()
    assert [(r.key[0], r.seq) for r in engine.requests] == [("a", 0)]
    assert not dec.cancel(busy)  # done: nothing to withdraw
