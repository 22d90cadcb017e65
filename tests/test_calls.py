"""Call sessions in-process: the pipeline's events on the bus, the call's life, isolation.

Real store (SQLite on a temp dir), real bus, real cue engine (when it builds), the
scripted fake recognizer; audio goes in through the real audio edge.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from app.bus import SUPERVISOR, Bus, Subscription, call_topic
from app.calls import CallRegistry, CallServices
from app.events import (
    Alert,
    CallEnded,
    CallStarted,
    CallUpdated,
    ContextEvent,
    CueEvent,
    UtteranceEvent,
)
from app.metrics import Metrics
from app.store import Recorder, Store, Writer
from cues.types import CallContext, CueRaised, CueRefreshed
from tests.serverkit import StandInEngine, engine_factory, settings_for
from transcription.audio import AudioEdge, AudioFormat
from transcription.errors import RecognizerError
from transcription.fake import FakeTranscriptionService, ScriptedUtterance
from transcription.types import AudioChunk, Utterance

SCRIPT = [
    ScriptedUtterance("caller", "I am so scared about my results", 0.2, 1.4),
    ScriptedUtterance("agent", "Let me check that for you", 1.5, 2.4),
    ScriptedUtterance("caller", "I have chest pain right now", 2.6, 3.6),
]


class Harness:
    def __init__(self, tmp: Path, script: list[ScriptedUtterance], **settings: Any) -> None:
        self.settings = settings_for(tmp, **settings)
        self.store = Store(self.settings.db_url, tmp)
        self.store.migrate()
        self.writer = Writer()
        self.recorder = Recorder(self.store, self.writer, self.settings.recordings_dir)
        self.stt = FakeTranscriptionService(script)
        self.bus = Bus()
        self.metrics = Metrics()
        self.services = CallServices(
            self.settings,
            self.bus,
            self.store,
            self.writer,
            self.recorder,
            self.stt,
            self.metrics,
            engine_factory(),
        )
        self.calls = CallRegistry(self.services)

    async def __aenter__(self) -> Harness:
        self.writer.start()
        self.recorder.start()
        await self.stt.start()
        self.calls.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.calls.shutdown()
        await self.writer.flush()
        self.recorder.close()
        self.writer.close()
        self.store.close()


def audio(call_id: str, seconds: float, start: float = 0.0) -> list[AudioChunk]:
    """Stereo 8 kHz PCM through the real edge, in 20 ms frames."""
    from tests.serverkit import pcm16_stereo

    edge = AudioEdge(call_id, AudioFormat("pcm16", 8000, 2, ("caller", "agent")), start=start)
    raw = pcm16_stereo(seconds)
    chunks: list[AudioChunk] = []
    for i in range(0, len(raw), 640):
        chunks += edge.decode(raw[i : i + 640])
    return chunks + edge.flush()


def collect(sub: Subscription) -> tuple[list[Any], asyncio.Task[None]]:
    """Read ``sub`` as a browser would (promptly), into a list."""
    out: list[Any] = []

    async def run() -> None:
        async for e in sub:
            out.append(e)

    return out, asyncio.get_running_loop().create_task(run())


def drain(sub: Subscription) -> list[Any]:
    out = []
    while (e := sub.get_nowait()) is not None:
        out.append(e)
    return out


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    async with Harness(tmp_path, SCRIPT) as harness:
        yield harness


async def test_pipeline_events_in_order_and_stored(h: Harness) -> None:
    sup = h.bus.subscribe(SUPERVISOR)
    session = await h.calls.open("c1", "ann", "pcm")
    sub = h.bus.subscribe(call_topic("c1"), maxsize=10_000)
    events, reader = collect(sub)
    for chunk in audio("c1", 4.0):
        session.push(chunk)
        await asyncio.sleep(0)
    await asyncio.sleep(0.05)
    await session.end()
    await asyncio.sleep(0.01)
    sub.close()
    await reader
    utts = [e.utterance for e in events if isinstance(e, UtteranceEvent)]
    finals = [u for u in utts if u.final]
    assert [(u.speaker, u.seq) for u in finals] == [("caller", 0), ("agent", 0), ("caller", 1)]
    # the partials were published too; the fake emits each with its final at once, so a
    # reader sees it only if it ran in between: otherwise its queue replaced it in place
    partials = [u for u in utts if not u.final]
    assert partials or sub.stats.coalesced_partials >= 3
    assert all(any(f.id == p.id for f in finals) for p in partials)
    cue_events = [e for e in events if isinstance(e, CueEvent)]
    kinds = [e.cue.kind for e in cue_events if isinstance(e.event, CueRaised)]
    assert kinds[0] == "orient" and "urgent_risk" in kinds and kinds[-1] == "take_a_reset"
    # every cue is published after the final that raised it
    first_cue = events.index(cue_events[0])
    assert any(isinstance(e, UtteranceEvent) and e.final for e in events[:first_cue])
    assert any(isinstance(e, ContextEvent) and e.context.heavy for e in events)
    end = events[-1]
    assert isinstance(end, CallEnded) and end.state == "ended" and end.heavy and end.rubric
    # the supervisor saw the call and the alert, not the transcript
    sup_events = drain(sup)
    assert isinstance(sup_events[0], CallStarted) and sup_events[0].agent == "ann"
    alerts = [e for e in sup_events if isinstance(e, Alert)]
    assert [a.cue.kind for a in alerts] == ["urgent_risk"]
    assert not any(isinstance(e, UtteranceEvent) for e in sup_events)
    # and the store holds what was published
    await h.writer.flush()
    record = h.store.get_call("c1")
    assert record is not None and record.state == "ended" and record.heavy
    assert record.rubric is not None
    if h.services.engine_factory is not StandInEngine:  # the real engine scores all four
        assert len(record.rubric.scores) == 4
    assert [u.text for u in h.store.transcript("c1")] == [u.text for u in finals]
    stored = {c.cue.kind: c for c in h.store.cues("c1")}
    assert {"orient", "urgent_risk", "take_a_reset"} <= set(stored)
    assert stored["orient"].latency_s is not None and stored["orient"].latency_s < 1.0
    assert h.metrics.cue_latency._sum.get() > 0  # type: ignore[attr-defined]


async def test_silence_puts_the_call_on_hold_and_audio_brings_it_back(tmp_path: Path) -> None:
    async with Harness(tmp_path, SCRIPT, hold_after_silence_s=0.3) as h:
        session = await h.calls.open("quiet", "ann", "pcm")
        sub = h.bus.subscribe(call_topic("quiet"))
        chunks = audio("quiet", 1.0)
        for c in chunks[:10]:
            session.push(c)
        await asyncio.sleep(1.6)  # the watchdog looks once a second
        assert session.state == "on_hold"
        for c in chunks[10:]:
            session.push(c)
        assert session.state == "live"
        states = [(e.state, e.reason) for e in drain(sub) if isinstance(e, CallUpdated)]
        assert states == [("on_hold", "silence"), ("live", "resume")]
        assert h.calls.get("quiet") is session  # on hold is not ended


async def test_transfer_keeps_history_and_engine(h: Harness) -> None:
    session = await h.calls.open("t1", "ann", "twilio")
    for c in audio("t1", 1.5):
        session.push(c)
    again = await h.calls.open("t1", "bob", "twilio")  # a second stream names bob
    assert again is session and session.agent == "bob"
    for c in audio("t1", 2.5, start=1.5):
        session.push(c)
    session.detach(clean=True)
    session.detach(clean=True)
    await session.ended.wait()
    await h.writer.flush()
    record = h.store.get_call("t1")
    assert record is not None and [a.agent for a in record.agents] == ["ann", "bob"]
    assert [u.speaker for u in h.store.transcript("t1")] == ["caller", "agent", "caller"]


async def test_resume_after_restart_continues_seq_and_engine(tmp_path: Path) -> None:
    first = [ScriptedUtterance("caller", "I am so scared about my results", 0.2, 1.4)]
    async with Harness(tmp_path, first) as h:
        session = await h.calls.open("r1", "ann", "pcm")
        for c in audio("r1", 2.0):
            session.push(c)
        await asyncio.sleep(0.05)
    # the harness shut down as a dying server would: the call is interrupted, not ended
    store = Store(f"sqlite:///{tmp_path / 'heard.db'}", tmp_path)
    rec = store.get_call("r1")
    assert rec is not None and rec.state == "interrupted"
    store.close()
    # a new server; the same call reconnects and the caller says more of the same
    later = [ScriptedUtterance("caller", "I am still so scared about my results", 0.2, 1.4)]
    async with Harness(tmp_path, later) as h2:
        sub = h2.bus.subscribe(call_topic("r1"), maxsize=1000)
        session = await h2.calls.open("r1", "ann", "pcm")
        assert [u.seq for u in session.finals] == [0] and session.clock >= 2.0
        start = session.edge_start()
        fake = h2.stt.streams[("r1", "caller")]
        fake.clock = start  # the fake's script runs on the new edge's clock
        for c in audio("r1", 2.0, start=0.0):
            session.push(c)
        await asyncio.sleep(0.05)
        await session.end()
        events = drain(sub)
        finals = [e.utterance for e in events if isinstance(e, UtteranceEvent) and e.final]
        assert [(u.speaker, u.seq) for u in finals] == [("caller", 1)]  # seq continues
        orient = [e for e in events if isinstance(e, CueEvent) and e.cue.kind == "orient"]
        # the re-fed engine knows orient is on screen already: refreshed, not raised again
        assert orient and all(isinstance(e.event, CueRefreshed) for e in orient)
        await h2.writer.flush()
        assert [u.seq for u in h2.store.transcript("r1")] == [0, 1]
        assert h2.store.get_call("r1").state == "ended"  # type: ignore[union-attr]


class BrokenRecognizerService(FakeTranscriptionService):
    """Call "bad" gets a caller recognizer that fails mid-stream."""

    def open_stream(self, call_id: str, speaker: Any) -> Any:
        rec = super().open_stream(call_id, speaker)
        if call_id == "bad" and speaker == "caller":

            def explode(chunk: AudioChunk) -> None:
                raise RuntimeError("decoder fell over")

            rec.push = explode  # type: ignore[method-assign]
        return rec


async def test_one_calls_failure_does_not_touch_another(tmp_path: Path) -> None:
    async with Harness(tmp_path, SCRIPT) as h:
        h.stt = BrokenRecognizerService(SCRIPT)
        await h.stt.start()
        h.services.transcriber = h.stt
        good = await h.calls.open("good", "ann", "pcm")
        bad = await h.calls.open("bad", "bob", "pcm")
        for g, b in zip(audio("good", 4.0), audio("bad", 4.0), strict=True):
            good.push(g)
            try:
                bad.push(b)
            except RuntimeError:
                pytest.fail("a recognizer error escaped the session")
        await asyncio.sleep(0.05)
        await asyncio.gather(good.end(), bad.end())
        await h.writer.flush()
        assert len(h.store.transcript("good")) == 3
        assert [u.speaker for u in h.store.transcript("bad")] == ["agent"]  # its agent side kept
        assert bad.errors > 0 and good.errors == 0


async def test_a_subscriber_that_never_reads_does_not_slow_the_pipeline(h: Harness) -> None:
    session = await h.calls.open("busy", "ann", "pcm")
    stuck = h.bus.subscribe(call_topic("busy"), maxsize=8)  # never read
    fake = h.stt.streams[("busy", "caller")]
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    for i in range(300):
        fake.emit(f"partial {i}", final=False, start=i, end=i + 0.5)
        fake.emit(f"line {i}", final=True, start=i, end=i + 0.9)
    await asyncio.sleep(0.1)
    elapsed = loop.time() - t0
    assert len(session.finals) == 300  # the pipeline went through everything
    assert elapsed < 5.0
    assert stuck.lagged or stuck.stats.dropped_partials > 0
    await session.end()


async def test_engine_that_cannot_be_built_still_keeps_the_transcript(tmp_path: Path) -> None:
    async with Harness(tmp_path, SCRIPT) as h:

        def broken(call_id: str) -> Any:
            raise RuntimeError("playbook broken")

        h.services.engine_factory = broken
        session = await h.calls.open("noeng", "ann", "pcm")
        for c in audio("noeng", 4.0):
            session.push(c)
        await session.end()
        await h.writer.flush()
        assert len(h.store.transcript("noeng")) == 3 and h.store.cues("noeng") == []


def test_utterance_ids_are_stable_for_update_in_place() -> None:
    u = Utterance("c", "caller", 3, "x", 0, 1, False)
    assert u.id == "c:caller:3"


async def test_explicit_hold_lasts_until_resume_and_silent_frames_are_not_sound(
    tmp_path: Path,
) -> None:
    import numpy as np

    async with Harness(tmp_path, SCRIPT, hold_after_silence_s=0.3) as h:
        session = await h.calls.open("held", "ann", "audiohook")
        voiced = audio("held", 0.5)
        silent = [
            AudioChunk("held", c.speaker, np.zeros_like(c.pcm), c.start + 0.5) for c in voiced
        ]
        await session.hold("hold")  # the phone system put the call on hold
        for c in voiced:  # hold music: sound, but the hold was explicit
            session.push(c)
        assert (session.state, session.hold_reason) == ("on_hold", "hold")
        session.resume()
        assert session.state == "live"
        for _ in range(3):  # frames keep coming, but they are silent
            for c in silent:
                session.push(c)
            await asyncio.sleep(0.6)
        assert (session.state, session.hold_reason) == ("on_hold", "silence")
        session.push(voiced[0])  # someone speaks
        assert session.state == "live"
        assert h.calls.get("held") is session


async def test_pipeline_error_log_names_type_place_and_call_but_no_transcript(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    said = "my date of birth is the fourth of May"

    class Leaky:
        context = CallContext()

        def feed(self, utt: Utterance) -> Any:
            raise ValueError(f"could not handle {utt.text!r}")  # a message quoting PHI

        def end_call(self) -> Any:
            raise RecognizerError("stream leak/caller is closed")  # our own wording

        def rubric(self) -> Any:
            raise OSError(5, "Input/output error", "/data/recordings/leak.wav")

    async with Harness(tmp_path, [ScriptedUtterance("caller", said, 0.2, 1.4)]) as h:
        h.services.engine_factory = lambda call_id: Leaky()
        with caplog.at_level(logging.ERROR, logger="heard.calls"):
            session = await h.calls.open("leak", "ann", "pcm")
            for c in audio("leak", 2.0):
                session.push(c)
            await session.end()
    records = [r for r in caplog.records if r.getMessage().startswith("call pipeline error")]
    by_type = {r.error: r for r in records}  # type: ignore[attr-defined]
    assert set(by_type) >= {"ValueError", "RecognizerError", "OSError"}
    for r in records:
        assert r.call_id == "leak"  # type: ignore[attr-defined]
        assert "fourth of May" not in r.getMessage() and "fourth of May" not in str(r.__dict__)
        assert r.error_at.startswith("test_calls.py:")  # type: ignore[attr-defined]
    assert by_type["ValueError"].error_msg == ""  # type: ignore[attr-defined]
    assert by_type["RecognizerError"].error_msg == "stream leak/caller is closed"  # type: ignore[attr-defined]
    assert by_type["OSError"].error_msg == "Input/output error"  # type: ignore[attr-defined]
    assert "leak.wav" not in str(by_type["OSError"].__dict__)


async def test_a_revision_replaces_the_line_everywhere_but_is_not_cued_again(
    h: Harness,
) -> None:
    session = await h.calls.open("rv", "ann", "pcm")
    sub = h.bus.subscribe(call_topic("rv"), maxsize=1000)
    fake = h.stt.streams[("rv", "caller")]
    first = fake.emit("I need to move my appointment", start=1.0, end=2.5)
    await asyncio.sleep(0.05)
    cues_before = dict(session.cues)
    # the second pass heard it better; its words would raise urgent_risk if cued
    fake.revise(first.seq, "I have chest pain right now", start=1.0, end=2.5)
    await asyncio.sleep(0.05)
    await h.writer.flush()
    assert [u.text for u in session.finals] == ["I have chest pain right now"]
    assert session.cues == cues_before  # cues come from the live first pass only
    stored = h.store.transcript("rv")
    assert [(u.seq, u.text) for u in stored] == [(first.seq, "I have chest pain right now")]
    published = [e.utterance for e in drain(sub) if isinstance(e, UtteranceEvent)]
    assert [(u.seq, u.revision) for u in published if u.final] == [(first.seq, 0), (first.seq, 1)]
    assert h.metrics.revisions.labels("caller")._value.get() == 1
    await session.end()
