"""The bus: routing by topic, bounded queues that drop stale partials and never finals."""

from __future__ import annotations

import asyncio

import pytest

from app.bus import SUPERVISOR, Bus, SubscriberLagged, call_topic, topics_for
from app.events import (
    Alert,
    CallEnded,
    CallStarted,
    CallUpdated,
    ContextEvent,
    CueEvent,
    ResetTaken,
    UtteranceEvent,
)
from cues.types import CallContext, Cue, CueRaised, Evidence
from transcription.types import Utterance


def utt(
    seq: int, text: str, final: bool, call: str = "c1", speaker: str = "caller"
) -> UtteranceEvent:
    u = Utterance(call, speaker, seq, text, seq * 1.0, seq + 0.9, final)  # type: ignore[arg-type]
    return UtteranceEvent(u)


def cue(call: str = "c1", kind: str = "orient") -> Cue:
    ev = Evidence(f"{call}:caller:0", "caller", "I'm scared", 0.0, 1.0)
    return Cue(f"{call}:{kind}", call, kind, "T", "line", "info", ev, 1.0, 0)  # type: ignore[arg-type]


def test_routing_by_type() -> None:
    assert topics_for(utt(0, "hi", True)) == (call_topic("c1"),)
    assert topics_for(CallStarted("c1", "ann", "twilio")) == (call_topic("c1"), SUPERVISOR)
    assert topics_for(Alert("c1", "ann", cue())) == (call_topic("c1"), SUPERVISOR)
    assert topics_for(ResetTaken("ann")) == (SUPERVISOR,)
    assert SUPERVISOR in topics_for(ContextEvent("c1", CallContext(arrival="anxious")))


async def test_delivers_in_order_to_each_subscriber_of_the_topic() -> None:
    bus = Bus()
    a = bus.subscribe(call_topic("c1"))
    b = bus.subscribe(call_topic("c1"))
    other = bus.subscribe(call_topic("c2"))
    sup = bus.subscribe(SUPERVISOR)
    events = [CallStarted("c1", "ann", "pcm"), utt(0, "hello", True), utt(1, "again", True)]
    for e in events:
        bus.publish(e)
    assert [await a.get() for _ in events] == events
    assert [await b.get() for _ in events] == events
    assert other.pending == 0
    assert await sup.get() == events[0] and sup.pending == 0


async def test_partial_replaced_in_place_and_final_supersedes_it() -> None:
    bus = Bus()
    sub = bus.subscribe(call_topic("c1"))
    bus.publish(utt(0, "I", False))
    bus.publish(utt(0, "I am", False))
    assert sub.pending == 1
    assert (await sub.get()) == utt(0, "I am", False)
    bus.publish(utt(1, "so", False))
    bus.publish(utt(1, "so scared", True))
    assert sub.pending == 1
    got = await sub.get()
    assert isinstance(got, UtteranceEvent) and got.final


async def test_full_queue_drops_partials_never_finals_or_cues() -> None:
    bus = Bus(maxsize=4, hard_factor=100)
    sub = bus.subscribe(call_topic("c1"))
    for seq in range(10):
        bus.publish(utt(seq, f"p{seq}", False, speaker="agent"))
        bus.publish(utt(seq, f"caller {seq}", True))
    bus.publish(CueEvent(CueRaised(cue())))
    bus.publish(CallUpdated("c1", "on_hold", "ann", "hold"))
    got = [sub.get_nowait() for _ in range(sub.pending)]
    finals = [e for e in got if isinstance(e, UtteranceEvent) and e.final]
    assert [e.utterance.seq for e in finals] == list(range(10))  # every final, in order
    assert isinstance(got[-2], CueEvent) and isinstance(got[-1], CallUpdated)
    assert sub.stats.dropped_partials > 0
    assert all(not isinstance(e, UtteranceEvent) or e.final for e in got[:-4])


async def test_hopelessly_slow_subscriber_is_cut_off_not_silently_lossy() -> None:
    bus = Bus(maxsize=2, hard_factor=2)
    slow = bus.subscribe(call_topic("c1"))
    fast = bus.subscribe(call_topic("c1"))
    for seq in range(6):
        bus.publish(utt(seq, "x", True))
        assert fast.get_nowait() is not None
    assert slow.lagged
    with pytest.raises(SubscriberLagged):
        await slow.get()
    assert bus.subscriber_count(call_topic("c1")) == 1


async def test_publish_never_blocks_and_wakes_a_waiting_reader() -> None:
    bus = Bus()
    sub = bus.subscribe(call_topic("c1"))
    reader = asyncio.create_task(sub.get())
    await asyncio.sleep(0)
    end = CallEnded("c1", "ann", "ended", "stop")
    bus.publish(end)
    assert await asyncio.wait_for(reader, 1) == end


async def test_close_ends_iteration_and_unsubscribes() -> None:
    bus = Bus()
    async with bus.subscribe(call_topic("c1")) as sub:
        bus.publish(utt(0, "a", True))
        sub.close()
        seen = [e async for e in sub]
    assert len(seen) == 1
    assert bus.subscriber_count() == 0
