"""The scripted fake honours the recognizer contract (partials share their final's seq)."""

from __future__ import annotations

import numpy as np
import pytest

from transcription.errors import RecognizerError
from transcription.fake import FakeTranscriptionService, ScriptedUtterance
from transcription.recognizer import Recognizer
from transcription.types import AudioChunk, Utterance


def chunk(call: str, speaker: str, start: float, seconds: float) -> AudioChunk:
    return AudioChunk(call, speaker, np.zeros(int(seconds * 16000), np.float32), start)  # type: ignore[arg-type]


async def drain(rec: Recognizer) -> list[Utterance]:
    await rec.aclose()
    return [u async for u in rec]


async def test_fake_plays_script_on_the_call_clock() -> None:
    script = [
        ScriptedUtterance("caller", "I need a refill please", 0.5, 2.0),
        ScriptedUtterance("agent", "sure", 2.5, 3.0),
        ScriptedUtterance("caller", "thanks a lot", 3.2, 4.5, call_id="other"),
        ScriptedUtterance("caller", "bye now", 4.0, 6.0),
    ]
    async with FakeTranscriptionService(script) as svc:
        rec = svc.open_stream("c1", "caller")
        assert isinstance(rec, Recognizer)
        rec.push(chunk("c1", "caller", 0.0, 1.0))
        rec.push(chunk("c1", "caller", 1.0, 1.0))  # reaches 2.0: first line
        rec.push(chunk("c1", "caller", 2.0, 2.5))  # 4.5: "bye now" has begun, not ended
        await rec.flush()  # end of call closes it
        out = await drain(rec)
        stats = svc.stats()
    assert [(u.seq, u.final, u.text) for u in out] == [
        (0, False, "I need"),
        (0, True, "I need a refill please"),
        (1, False, "bye"),
        (1, True, "bye now"),
    ]
    assert out[1].words[0].start == 0.5 and out[1].words[-1].end == 2.0
    assert stats.finals == 2 and stats.audio_seconds_in == pytest.approx(4.5)


async def test_fake_emit_and_errors() -> None:
    svc = FakeTranscriptionService()
    with pytest.raises(RecognizerError, match="not started"):
        svc.open_stream("c", "agent")
    await svc.start()
    rec = svc.open_stream("c", "agent")
    with pytest.raises(RecognizerError, match="already open"):
        svc.open_stream("c", "agent")
    with pytest.raises(RecognizerError, match="pushed to"):
        rec.push(chunk("c", "caller", 0, 0.1))
    svc.streams[("c", "agent")].emit("hello", final=False)
    svc.streams[("c", "agent")].emit("hello there")
    await svc.aclose()
    out = [u async for u in rec]
    assert [(u.seq, u.final) for u in out] == [(0, False), (0, True)]
    with pytest.raises(RecognizerError, match="closed"):
        rec.push(chunk("c", "agent", 0, 0.1))
