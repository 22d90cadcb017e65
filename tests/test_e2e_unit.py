"""`heard eval e2e`, the pure parts: reading the sidebar's fragments (as the server
renders them), mapping cues to script turns, latency, and scoring through
`heard eval cues`' own functions."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from app import render
from app.e2e import (
    CallOutcome,
    CardSeen,
    parse_fragment,
    percentile,
    score,
    turn_of,
    ws_url,
)
from app.replay import ReplayClock
from cues import evaluate
from cues.scripts import parse_script
from cues.types import CallContext, Cue, Evidence
from transcription.synth import SynthResult, TurnTiming
from transcription.types import Utterance

SCRIPT = """\
id: e2e-unit
title: unit
turns:
  - agent: "Clinic, this is Tom."
  - caller: "I'm scared it's cancer, nobody called me back."
    cues: [subtext_fear]
  - agent: "Someone will call you back by five today."
    cues: [close_the_loop]
  - caller: "Okay, thanks."
call:
  arrival: anxious
  stakes: [care_access]
"""

TURNS = (
    TurnTiming(0, "agent", "Clinic, this is Tom.", 0.5, 2.0),
    TurnTiming(1, "caller", "I'm scared...", 2.6, 6.0, ("subtext_fear",)),
    TurnTiming(2, "agent", "Someone will call...", 6.5, 9.0, ("close_the_loop",)),
    TurnTiming(3, "caller", "Okay, thanks.", 9.8, 10.6),
)


def _cue(kind: str, end: float, speaker: str = "caller", refreshed: int = 0) -> Cue:
    return Cue(
        id=f"call-1:{kind}",
        call_id="call-1",
        kind=kind,  # type: ignore[arg-type]
        title="A <title> & more",
        line="Say this.",
        severity="info",
        evidence=Evidence("call-1:caller:0", speaker, 'scared it\'s "cancer"', end - 1.0, end),
        raised_at=end,
        turn=1,
        refreshed=refreshed,
    )


def test_parses_cards_as_the_server_pushes_them() -> None:
    stream = render.SidebarStream()
    first = stream.cue(_cue("subtext_fear", 5.873))
    refresh = stream.cue(_cue("subtext_fear", 7.5, refreshed=1))
    alert = stream.cue(_cue("urgent_risk", 4.2))
    line = stream.utterance(Utterance("call-1", "caller", 3, "I'm scared", 2.61, 5.9, final=True))
    cards, lines = parse_fragment(first + alert + line)
    assert [(c.kind, c.evidence_end, c.speaker) for c in cards] == [
        ("subtext_fear", 5.873, "caller"),
        ("urgent_risk", 4.2, "caller"),
    ]
    assert cards[0].cue_id == "call-1:subtext_fear" and cards[0].turn == 1
    assert lines == [lines[0]] and lines[0].final and lines[0].seq == 3
    assert lines[0].speaker == "caller" and lines[0].end == pytest.approx(5.9)
    (again,), _ = parse_fragment(refresh)  # updated in place: same card, new evidence
    assert again.kind == "subtext_fear" and again.evidence_end == 7.5


def test_parses_the_snapshot_page_fragment() -> None:
    state = render.SidebarState(
        header=render.CallHeader(call_id="call-1", agent="ann"),
        cues=(_cue("own_it", 3.0), _cue("close_the_loop", 8.9, speaker="agent")),
    )
    cards, _ = parse_fragment(render.SidebarStream().snapshot(state))
    assert {(c.kind, c.speaker) for c in cards} == {
        ("own_it", "caller"),
        ("close_the_loop", "agent"),
    }


def test_speaker_comes_from_the_attribute_not_the_visible_label() -> None:
    html = render.cue_card(_cue("close_the_loop", 8.9, speaker="agent"))
    assert 'data-evidence-speaker="agent"' in html and "Agent:" in html
    relabelled = html.replace("Agent:", "Staff member:")  # wording is free to change
    (card,), _ = parse_fragment(relabelled)
    assert card.speaker == "agent"
    (card,), _ = parse_fragment('<article data-cue-kind="orient" data-evidence-speaker="x">')
    assert card.speaker is None


def test_unparseable_attributes_do_not_crash() -> None:
    cards, lines = parse_fragment(
        '<article data-cue-kind="orient" data-evidence-end="soon" data-turn="x">'
        '<li id="utt-caller-x" data-final="1" data-start="a">'
    )
    assert cards[0].kind == "orient" and math.isnan(cards[0].evidence_end)
    assert cards[0].turn is None and lines == []


@pytest.mark.parametrize(
    ("end", "speaker", "turn"),
    [
        (5.9, None, 1),  # inside the caller's turn
        (6.05, None, 1),  # in the pause, nearer the turn that just ended
        (6.4, None, 2),  # in the pause, nearer the next turn
        (8.95, "agent", 2),
        (9.3, "agent", 2),  # drifted past the agent's turn; the caller's is no candidate
        (9.3, "caller", 3),
        (0.0, None, 0),
        (99.0, None, 3),
        (float("nan"), "agent", 2),
    ],
)
def test_turn_of(end: float, speaker: str | None, turn: int) -> None:
    assert turn_of(end, TURNS, speaker) == turn


def _synth() -> SynthResult:
    script = parse_script(SCRIPT, "e2e-unit.yaml", stem="e2e-unit")
    return SynthResult(
        script_id=script.id,
        title=script.title,
        audio=np.zeros((16000 * 11, 2), np.float32),
        sample_rate=16000,
        turns=TURNS,
        phone=True,
        seed=0,
        expected_cues=(("subtext_fear", 1), ("close_the_loop", 2)),
    )


def _outcome(first_seen: dict[str, tuple[float, CardSeen]]) -> CallOutcome:
    script = parse_script(SCRIPT, "e2e-unit.yaml", stem="e2e-unit")
    clock = ReplayClock(speed=1.0, t0=1000.0)
    return CallOutcome(
        script=script,
        synth=_synth(),
        call_id="call-1",
        first_seen=first_seen,
        clock=clock,
        context=CallContext(arrival="anxious", stakes=("care_access",)),
    )


def _card(kind: str, end: float, speaker: str | None) -> CardSeen:
    return CardSeen(kind, f"c:{kind}", end, 0, speaker)


def test_outcome_maps_turns_and_latency() -> None:
    o = _outcome(
        {
            "subtext_fear": (1006.4, _card("subtext_fear", 5.95, "caller")),
            "close_the_loop": (1009.9, _card("close_the_loop", 9.1, "agent")),
            # raised at the end of the call; its evidence is the moment that made it heavy
            "take_a_reset": (1011.5, _card("take_a_reset", 5.0, "caller")),
        }
    )
    assert o.raised_turns() == {"subtext_fear": 1, "close_the_loop": 2, "take_a_reset": 3}
    lat = o.latencies()
    assert lat["subtext_fear"] == pytest.approx(0.4)
    assert lat["close_the_loop"] == pytest.approx(0.9)
    assert lat["take_a_reset"] == pytest.approx(0.5)  # from the end of the call's audio (11 s)
    ev = o.evidence_latencies()
    assert ev["subtext_fear"] == pytest.approx(0.45)
    assert ev["close_the_loop"] == pytest.approx(0.8)
    assert ev["take_a_reset"] == pytest.approx(0.5)
    assert _outcome({}).latencies() == {}
    assert replace(o, clock=ReplayClock()).latencies() == {}  # never started


def test_score_is_heard_eval_cues_scoring_plus_latency() -> None:
    o = _outcome(
        {
            "subtext_fear": (1006.5, _card("subtext_fear", 5.9, "caller")),
            "abuse": (1007.0, _card("abuse", 5.0, "caller")),
        }
    )
    report = score([o])
    text_only = evaluate.score(
        [evaluate.CallRun(o.script, {"subtext_fear": 1, "abuse": 1}, o.context, 0.0)]
    ).as_json()
    for key in ("scripts", "precision", "recall", "placement", "routine_false", "per_kind",
                "context", "raised"):  # fmt: skip
        assert report[key] == text_only[key], key
    assert set(text_only) <= set(report)
    assert report["precision"] == 0.5 and report["recall"] == 0.5
    assert report["raised"] == {"e2e-unit": [{"kind": "abuse", "turn": 1},
                                             {"kind": "subtext_fear", "turn": 1}]}  # fmt: skip
    assert report["cue_latency_p50_s"] == pytest.approx(0.75)
    assert report["e2e"]["latency_samples"] == 2
    assert report["context"]["arrival"] == 1.0


def test_percentile() -> None:
    assert percentile([], 50) is None
    assert percentile([3.0], 95) == 3.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile(list(map(float, range(101))), 95) == pytest.approx(95.0)


def test_ws_url() -> None:
    assert ws_url("http://127.0.0.1:8000", "/ws/calls/x") == "ws://127.0.0.1:8000/ws/calls/x"
    assert ws_url("https://h.example/any", "/ws/calls/x") == "wss://h.example/ws/calls/x"
    assert ws_url("ws://h:1", "/ws/calls/x") == "ws://h:1/ws/calls/x"


async def test_listener_reconnects_after_a_lagged_close() -> None:
    """A sidebar socket closed with 1013 is reopened; the new snapshot's cards count."""
    import asyncio

    from websockets.asyncio.server import ServerConnection, serve

    from app.e2e import listen_sidebar

    stream = render.SidebarStream()
    connections: list[str] = []

    async def handler(ws: ServerConnection) -> None:
        assert ws.request is not None
        connections.append(ws.request.path)
        if len(connections) == 1:
            await ws.send("<div id='cues'></div>")  # snapshot
            await ws.send(stream.cue(_cue("own_it", 3.0)))
            await ws.close(1013, "lagged: reconnect")
            return
        state = render.SidebarState(
            header=render.CallHeader(call_id="call-1", agent="ann"),
            cues=(_cue("own_it", 3.0), _cue("subtext_fear", 5.9)),
        )
        await ws.send(render.SidebarStream().snapshot(state))
        await ws.wait_closed()

    server = await serve(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    outcome = _outcome({})
    ready, stop = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(listen_sidebar(f"http://127.0.0.1:{port}", outcome, {}, ready, stop))
    try:
        await asyncio.wait_for(ready.wait(), 5)
        for _ in range(100):
            if "subtext_fear" in outcome.first_seen:
                break
            await asyncio.sleep(0.02)
        stop.set()
        await asyncio.wait_for(task, 5)
    finally:
        server.close()
        await server.wait_closed()
    assert connections == ["/ws/calls/call-1", "/ws/calls/call-1"]
    assert set(outcome.first_seen) == {"own_it", "subtext_fear"}
    assert outcome.first_seen["own_it"][0] < outcome.first_seen["subtext_fear"][0]


async def test_settle_waits_for_a_quiet_sidebar_within_a_bound() -> None:
    import asyncio
    import time

    from app.e2e import settle

    o = _outcome({})

    async def chatter(until: float) -> None:
        while time.monotonic() < until:
            o.last_message = time.monotonic()
            await asyncio.sleep(0.05)

    t = time.monotonic()
    talk = asyncio.create_task(chatter(t + 0.6))
    await settle(o, quiet_s=0.3, max_s=10)
    waited = time.monotonic() - t
    await talk
    assert waited >= 0.6 + 0.3 - 0.05  # outlasted the chatter, then the quiet period
    t = time.monotonic()
    talk = asyncio.create_task(chatter(t + 5))
    await settle(o, quiet_s=0.3, max_s=0.5)
    assert time.monotonic() - t < 1.5  # bounded although messages kept coming
    talk.cancel()
