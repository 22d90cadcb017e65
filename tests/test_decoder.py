"""The shared decoder with scripted engines: priorities, stale partials, isolation, no blocking."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence

import numpy as np
import pytest

from transcription.config import TranscriptionConfig
from transcription.decoder import Decoder
from transcription.engine import DecodeRequest, DecodeResult, StreamKey
from transcription.errors import RecognizerError
from transcription.service import TranscriptionStats
from transcription.types import Word


class ScriptedEngine:
    """Echoes ``key:seq:final`` after ``delay`` seconds; fails on seq 666; logs batches."""

    name = "scripted"

    def __init__(self, delay: float = 0.0, max_batch: int = 4) -> None:
        self.delay = delay
        self.max_batch = max_batch
        self.backlog = 0
        self.batches: list[list[tuple[str, int, bool]]] = []
        self.threads: set[str] = set()
        self.released: list[StreamKey] = []
        self.gate = threading.Event()
        self.gate.set()

    def decode(self, requests: Sequence[DecodeRequest]) -> list[DecodeResult]:
        self.gate.wait()
        self.threads.add(threading.current_thread().name)
        self.batches.append([(r.key[0], r.seq, r.final) for r in requests])
        if any(r.seq == 666 for r in requests):
            raise RuntimeError("engine exploded")
        time.sleep(self.delay)
        return [
            DecodeResult(
                f"{r.key[0]}:{r.seq}:{int(r.final)}",
                (Word("w", r.offset, r.offset + r.duration, 0.9),),
            )
            for r in requests
        ]

    def release(self, key: StreamKey) -> None:
        self.released.append(key)


def req(call: str, seq: int, final: bool, seconds: float = 1.0) -> DecodeRequest:
    audio = np.zeros(int(seconds * 16000), np.float32)
    return DecodeRequest((call, "caller"), seq, audio, 0.0, final)


async def started(engine: ScriptedEngine) -> tuple[Decoder, TranscriptionStats]:
    stats = TranscriptionStats()
    dec = Decoder(engine, TranscriptionConfig(), stats)
    dec.start()
    return dec, stats


async def test_finals_go_before_partials_and_stale_partials_are_dropped() -> None:
    engine = ScriptedEngine()
    engine.gate.clear()  # hold the worker so a queue builds up
    dec, stats = await started(engine)
    p1 = dec.submit(req("a", 0, False))
    await asyncio.sleep(0.05)  # the worker has taken p1 and waits on the gate
    p2 = dec.submit(req("b", 0, False, 0.5))
    p3 = dec.submit(req("b", 0, False, 1.0))  # newer partial of b replaces p2
    f1 = dec.submit(req("c", 0, True))
    p4 = dec.submit(req("a", 1, False))
    f2 = dec.submit(req("a", 1, True))  # a's final cancels its queued partial p4
    assert dec.queue_depth() == 3
    engine.gate.set()
    assert (await p1) is not None
    assert (await p2) is None and (await p4) is None
    assert (await f1).text == "c:0:1" and (await f2).text == "a:1:1"  # type: ignore[union-attr]
    assert (await p3).text == "b:0:0"  # type: ignore[union-attr]
    # after the first (held) batch: both finals in one batch, then the partial
    assert engine.batches[1:] == [[("c", 0, True), ("a", 1, True)], [("b", 0, False)]]
    assert stats.partials_dropped == 2
    await dec.aclose()


async def test_decode_runs_off_the_event_loop() -> None:
    engine = ScriptedEngine()
    engine.gate.clear()  # the engine blocks inside decode() until the loop lets it go
    dec, _ = await started(engine)
    fut = dec.submit(req("a", 0, True))
    for _ in range(5):  # the loop keeps running while a decode is in progress
        await asyncio.sleep(0.01)
    assert not fut.done()
    engine.gate.set()
    res = await fut
    assert res is not None and res.text == "a:0:1"
    assert engine.threads == {"heard-decoder"}
    await dec.aclose()


async def test_a_failing_request_fails_alone() -> None:
    engine = ScriptedEngine()
    engine.gate.clear()
    dec, stats = await started(engine)
    first = dec.submit(req("x", 0, True))
    await asyncio.sleep(0.05)
    good = dec.submit(req("a", 0, True))
    bad = dec.submit(req("b", 666, True))
    other = dec.submit(req("c", 0, True))
    engine.gate.set()
    await first
    assert (await good).text == "a:0:1"  # type: ignore[union-attr]
    assert (await other).text == "c:0:1"  # type: ignore[union-attr]
    with pytest.raises(RecognizerError, match="exploded"):
        await bad
    assert stats.errors == 1
    await dec.aclose()


async def test_idle_decoder_sleeps_and_closes_cleanly() -> None:
    engine = ScriptedEngine()
    dec, _ = await started(engine)
    (thread,) = dec._threads
    await asyncio.sleep(0.3)
    assert engine.batches == []
    dec.release(("a", "caller"))
    await asyncio.sleep(0.05)
    assert engine.released == [("a", "caller")]
    pending = dec.submit(req("a", 0, False))
    await dec.aclose()
    assert (await pending) in (None,) or pending.result() is not None
    assert not thread.is_alive()
    with pytest.raises(RecognizerError, match="closed"):
        dec.submit(req("a", 1, True))


async def test_lanes_decode_two_calls_finals_side_by_side() -> None:
    # Each lane has its own engine; a burst is spread over the idle lanes, not batched on one.
    engines = [ScriptedEngine(), ScriptedEngine()]
    for e in engines:
        e.gate.clear()
    stats = TranscriptionStats()
    dec = Decoder(engines, TranscriptionConfig(), stats)
    dec.start()
    await asyncio.sleep(0.05)  # both lanes asleep, idle
    futs = [dec.submit(req(c, 0, True)) for c in "abc"]
    await asyncio.sleep(0.1)
    assert dec._lane_work == ["final", "final"]  # both lanes on finals at once
    for e in engines:
        e.gate.set()
    texts = sorted([(await f).text for f in futs])  # type: ignore[union-attr]
    assert texts == ["a:0:1", "b:0:1", "c:0:1"]
    sizes = sorted(len(b) for e in engines for b in e.batches)
    # 3 finals, 2 idle lanes: 2 on one and 1 on the other, or one by one if a lane woke
    # between two submissions; never all 3 on one lane while the other idles
    assert sizes in ([1, 2], [1, 1, 1])
    assert {t for e in engines for t in e.threads} == {"heard-decoder", "heard-decoder-1"}
    dec.release(("a", "caller"))
    await asyncio.sleep(0.05)
    assert all(e.released == [("a", "caller")] for e in engines)
    await dec.aclose()
    assert stats.decodes == len(sizes)


async def test_one_lane_stays_free_for_finals_while_partials_wait() -> None:
    engines = [ScriptedEngine(), ScriptedEngine()]
    for e in engines:
        e.gate.clear()
    dec = Decoder(engines, TranscriptionConfig(), TranscriptionStats())
    dec.start()
    await asyncio.sleep(0.05)
    p1 = dec.submit(req("a", 0, False))
    await asyncio.sleep(0.1)  # a lane has taken p1 (alone: not batched with p2)
    p2 = dec.submit(req("b", 0, False))
    await asyncio.sleep(0.1)
    assert dec.queue_depth() == 1  # the other lane leaves p2 queued
    f = dec.submit(req("c", 0, True))
    await asyncio.sleep(0.1)
    assert dec.queue_depth() == 1 and dec.live_depth() == 2  # the final went to the free lane
    for e in engines:
        e.gate.set()
    assert (await f).text == "c:0:1"  # type: ignore[union-attr]
    assert (await p1) is not None and (await p2) is not None
    await dec.aclose()


async def test_background_work_waits_for_finals_and_partials_then_runs_when_idle() -> None:
    engine = ScriptedEngine()
    engine.gate.clear()
    dec, _ = await started(engine)
    first = dec.submit(req("a", 0, True))
    await asyncio.sleep(0.05)  # the worker holds `first` at the gate
    bg = dec.submit(req("r", -1, True), background=True)
    fin = dec.submit(req("b", 0, True))
    part = dec.submit(req("c", 0, False))
    engine.gate.set()
    await asyncio.gather(first, fin, part)
    res = await asyncio.wait_for(bg, 5)
    assert res is not None and res.text == "r:-1:1"
    order = [b[0][0] for b in engine.batches]
    assert order.index("r") > max(order.index("b"), order.index("c"))
    await dec.aclose()


async def busy_decoder_with_a_revision() -> tuple[Decoder, asyncio.Future[DecodeResult | None]]:
    """A shared-worker decoder kept busy well over half of its window, then a revision."""
    dec, _ = await started(ScriptedEngine(delay=0.3, max_batch=1))
    for i in range(10):
        await dec.submit(req("busy", i, True))
    return dec, dec.submit(req("r", -1, True), background=True)


async def test_background_work_waits_while_busy_unless_expedited() -> None:
    dec, bg = await busy_decoder_with_a_revision()
    await asyncio.sleep(0.3)
    assert not bg.done()
    dec.expedite(("r", "caller"))
    res = await asyncio.wait_for(bg, 5)
    assert res is not None and res.text == "r:-1:1"
    await dec.aclose()


async def test_closing_resolves_queued_background_work_to_none() -> None:
    dec, bg = await busy_decoder_with_a_revision()
    await dec.aclose()
    assert (await asyncio.wait_for(bg, 5)) is None


async def test_a_busy_decoder_tells_the_engine_it_is_behind() -> None:
    class Recorder(ScriptedEngine):
        seen: list[int]

        def decode(self, requests: Sequence[DecodeRequest]) -> list[DecodeResult]:
            self.seen.append(self.backlog)
            return super().decode(requests)

    engine = Recorder(delay=0.3, max_batch=1)
    engine.seen = []
    dec = Decoder(engine, TranscriptionConfig(shed_busy=0.4), TranscriptionStats())
    dec.start()
    for i in range(12):  # one final at a time: nothing ever queues behind it
        await dec.submit(req("a", i, True))
    assert engine.seen[0] == 0  # idle at first: full quality
    assert engine.seen[-1] == 2  # busy ~100 % of late: shed as if two finals waited
    await dec.aclose()
    engine2 = Recorder(delay=0.3, max_batch=1)
    engine2.seen = []
    dec2 = Decoder(engine2, TranscriptionConfig(shed_busy=None), TranscriptionStats())
    dec2.start()
    for i in range(12):
        await dec2.submit(req("a", i, True))
    assert set(engine2.seen) == {0}
    await dec2.aclose()


async def test_a_background_engine_serves_revisions_beside_the_live_worker() -> None:
    live = ScriptedEngine(max_batch=1)
    live.gate.clear()  # the live worker is stuck in a decode...
    bg_engine = ScriptedEngine(max_batch=1)
    dec = Decoder(live, TranscriptionConfig(), TranscriptionStats(), bg_engine)
    dec.start()
    held = dec.submit(req("a", 0, True))
    await asyncio.sleep(0.05)
    revision = dec.submit(req("r", -1, True), background=True)
    res = await asyncio.wait_for(revision, 5)  # ... yet the revision is served
    assert res is not None and res.text == "r:-1:1"
    assert bg_engine.threads == {"heard-revise"} and not held.done()
    live.gate.set()
    assert (await held) is not None
    await dec.aclose()


async def test_with_a_background_worker_every_final_still_wakes_the_live_worker() -> None:
    # Both workers wait on one condition: a final must never wake only the revision
    # worker and sit in the queue (it did, once: finals waited for the next event).
    dec = Decoder(ScriptedEngine(max_batch=1), TranscriptionConfig(), TranscriptionStats(),
                  ScriptedEngine(max_batch=1))
    dec.start()
    for i in range(30):
        await asyncio.sleep(0.01)  # both workers are asleep again
        assert (await asyncio.wait_for(dec.submit(req("a", i, True)), 2)) is not None
    await dec.aclose()


async def test_partials_past_their_budget_wait_while_finals_go_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import transcription.decoder as decoder_module

    monkeypatch.setattr(decoder_module, "BUSY_WINDOW_S", 1.0)
    engine = ScriptedEngine(delay=0.1)
    # 0.15 of a core over 1 s: two 0.1 s partial decodes spend it (and the decoder stays
    # under the busy share at which queued partials are dropped outright)
    dec = Decoder(engine, TranscriptionConfig(partial_budget=0.15), TranscriptionStats())
    dec.start()
    assert (await dec.submit(req("a", 0, False))) is not None
    assert (await dec.submit(req("b", 0, False))) is not None
    held = dec.submit(req("c", 0, False))
    await asyncio.sleep(0.15)
    assert not held.done() and dec.queue_depth() == 1  # over budget: it waits
    final = dec.submit(req("d", 0, True))
    assert (await asyncio.wait_for(final, 1.0)).text == "d:0:1"  # type: ignore[union-attr]
    assert not held.done()  # still over budget (finals do not count against it)
    res = await asyncio.wait_for(held, 3.0)  # the budget frees with time: it runs
    assert res is not None and res.text == "c:0:0"
    await dec.aclose()


def test_partial_budget_is_validated() -> None:
    with pytest.raises(ValueError, match="partial_budget"):
        TranscriptionConfig(partial_budget=0.0)
