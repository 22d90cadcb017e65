"""Render tests: fragments escape untrusted text, cards are keyed by id and updated
in place, a partial is replaced by its final, and the supervisor board folds events."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from app import render
from app.events import (
    Alert,
    CallEnded,
    CallStarted,
    CallUpdated,
    ContextEvent,
    CueEvent,
    ResetTaken,
)
from app.render import CallHeader, SidebarState, SidebarStream, difficulty_view
from app.routers.supervisor import SupervisorStream
from app.supervisor_board import SupervisorBoard
from cues.difficulty import inherited_difficulty
from cues.types import CallContext, CueRaised, CueRefreshed
from tests.ui_helpers import cue, parse, top_level, utt

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _state(**kw: object) -> SidebarState:
    return SidebarState(header=CallHeader("call-1", "alice", 1_700_000_000.0), **kw)  # type: ignore[arg-type]


# ------------------------------------------------------------------ escaping


def test_transcript_and_evidence_are_escaped_everywhere() -> None:
    u = utt(0, EVIL)
    c = cue(quote=EVIL)
    for html in (
        render.utterance_line(u),
        render.cue_card(c),
        render.sidebar_page(_state(cues=(c,), utterances=(u,))),
        SidebarStream().snapshot(_state(cues=(c,), utterances=(u,))),
    ):
        assert "<script>" not in html
        assert "<img" not in html
        assert "&lt;script&gt;" in html
    tree = parse(render.utterance_line(u))
    assert tree.find(id="utt-caller-0") is not None
    assert not [e for e in tree.walk() if e.tag in {"script", "img"}]


def test_ids_in_urls_are_path_segments() -> None:
    c = cue(call_id="a/b?c", kind="orient")
    html = render.cue_card(c)
    assert "/api/calls/a%2Fb%3Fc/cues/a%2Fb%3Fc%3Aorient/feedback" in html


# ------------------------------------------------------------------ contract attributes


def test_cue_card_carries_the_contract_attributes() -> None:
    c = cue("subtext_fear", turn=4, end=12.3456)
    card = top_level(render.cue_card(c))[0]
    assert card.tag == "article"
    assert card.attrs["id"] == "cue-subtext_fear"
    assert "cue" in card.attrs["class"].split()
    assert card.attrs["data-cue-kind"] == "subtext_fear"
    assert card.attrs["data-cue-id"] == c.id
    assert card.attrs["data-evidence-end"] == "12.346"
    assert card.attrs["data-turn"] == "4"
    text = card.all_text()
    assert c.title in text and c.line in text and c.evidence.quote in text


def test_transcript_line_carries_the_contract_attributes() -> None:
    line = top_level(render.utterance_line(utt(3, "hello", speaker="agent", final=False)))[0]
    assert line.tag == "li"
    assert line.attrs["id"] == "utt-agent-3"
    assert line.attrs["data-final"] == "0"
    assert line.attrs["data-speaker"] == "agent"
    assert line.attrs["data-start"] == "12.000"
    assert line.attrs["data-end"] == "15.000"
    final = top_level(render.utterance_line(utt(3, "hello", speaker="agent")))[0]
    assert final.attrs["data-final"] == "1"


# ------------------------------------------------------------------ the sidebar stream


def test_partial_then_final_replaces_the_line_by_id() -> None:
    s = SidebarStream()
    s.snapshot(_state())
    first = top_level(s.utterance(utt(0, "I had a", final=False)))
    # new line: appended into the transcript container
    assert first[0].attrs["hx-swap-oob"] == "beforeend:#transcript"
    assert first[0].children[0].attrs["id"] == "utt-caller-0"
    second = top_level(s.utterance(utt(0, "I had a scan", final=False)))
    assert second[0].attrs == {**second[0].attrs, "id": "utt-caller-0", "hx-swap-oob": "true"}
    final = top_level(s.utterance(utt(0, "I had a scan last week.")))
    assert final[0].attrs["id"] == "utt-caller-0"
    assert final[0].attrs["hx-swap-oob"] == "true"
    assert final[0].attrs["data-final"] == "1"
    # a partial that was queued before the final must not step the screen back
    assert s.utterance(utt(0, "I had a scan", final=False)) == ""
    # the recognizer's second pass re-heard the line: replaced in place, still final
    better = replace(utt(0, "I had a CT scan last week."), revision=1)
    revised = top_level(s.utterance(better))
    assert revised[0].attrs["id"] == "utt-caller-0"
    assert revised[0].attrs["hx-swap-oob"] == "true"
    assert revised[0].attrs["data-final"] == "1"
    assert revised[0].children[-1].text == "I had a CT scan last week."


def test_snapshot_prefers_the_final_and_resets_what_the_browser_holds() -> None:
    s = SidebarStream()
    snap = s.snapshot(
        _state(
            utterances=(
                utt(0, "part", final=False),
                utt(0, "the final"),
                utt(1, "next", final=False),
            )
        )
    )
    tree = parse(snap)
    transcript = tree.find(id="transcript")
    assert transcript is not None and transcript.attrs["hx-swap-oob"] == "true"
    lines = [e for e in transcript.children if e.tag == "li"]
    assert [e.attrs["id"] for e in lines] == ["utt-caller-0", "utt-caller-1"]
    assert lines[0].attrs["data-final"] == "1" and "the final" in lines[0].all_text()
    # the browser holds both lines now: updates go in place
    assert top_level(s.utterance(utt(1, "next line")))[0].attrs["hx-swap-oob"] == "true"
    assert s.utterance(utt(0, "stale", final=False)) == ""


def test_new_cue_goes_on_top_and_a_refresh_updates_it_in_place() -> None:
    s = SidebarStream()
    s.snapshot(_state())
    new = top_level(s.cue(cue("orient")))
    assert len(new) == 1
    assert new[0].attrs["hx-swap-oob"] == "afterbegin:#cues"
    assert new[0].children[0].attrs["id"] == "cue-orient"
    again = top_level(s.cue(cue("orient", refreshed=1, turn=5, end=30.0)))
    assert len(again) == 1
    assert again[0].attrs["id"] == "cue-orient" and again[0].attrs["hx-swap-oob"] == "true"
    assert again[0].attrs["data-turn"] == "5"
    # the same refresh again (CueEvent and Alert for one cue) or an older one: nothing
    assert s.cue(cue("orient", refreshed=1)) == ""
    assert s.cue(cue("orient", refreshed=0)) == ""


def test_alert_cue_raises_the_banner() -> None:
    s = SidebarStream()
    s.snapshot(_state())
    parts = top_level(s.cue(cue("urgent_risk", severity="urgent", alert=True)))
    ids = [p.attrs.get("id") for p in parts]
    assert "alert-banner" in ids
    card = parts[0].children[0]
    assert "cue--alert" in card.attrs["class"]


def test_cards_newest_first_on_the_page() -> None:
    cues = (cue("orient", end=5.0), cue("own_it", end=20.0), cue("real_timeline", end=12.0))
    tree = parse(render.sidebar_page(_state(cues=cues)))
    box = tree.find(id="cues")
    assert box is not None
    kinds = [e.attrs["data-cue-kind"] for e in box.children if e.tag == "article"]
    assert kinds == ["own_it", "real_timeline", "orient"]


def test_feedback_shows_on_the_card_and_survives_a_refresh() -> None:
    c = cue("orient")
    s = SidebarStream()
    s.snapshot(_state(cues=(c,)))
    box = top_level(s.feedback(c.id, "used"))[0]
    assert box.attrs["id"] == "fb-orient" and box.attrs["data-verdict"] == "used"
    refreshed = parse(s.cue(cue("orient", refreshed=1)))
    fb = refreshed.find(id="fb-orient")
    assert fb is not None and fb.attrs["data-verdict"] == "used"


def test_read_only_view_has_no_buttons() -> None:
    c = cue()
    html = SidebarStream(read_only=True).snapshot(_state(cues=(c,)))
    assert "feedback" not in html
    page = render.sidebar_page(_state(cues=(c,), read_only=True))
    assert "capture-btn" not in page and "/feedback" not in page
    assert 'ws-connect="/ws/calls/call-1?view=listen"' in page


def test_context_panel_shows_state_departments_stakes_repeat() -> None:
    ctx = CallContext(
        arrival="angry",
        departments=("billing", "pharmacy"),
        repeat_contact=True,
        stakes=("money",),
        resolvable=False,
        heavy=True,
    )
    panel = top_level(render.context_panel(ctx, oob=True))[0]
    assert panel.attrs["id"] == "call-context" and panel.attrs["hx-swap-oob"] == "true"
    text = " ".join(panel.all_text().split())
    for word in ("angry", "billing", "pharmacy", "Repeat contact", "money", "Heavy call"):
        assert word in text


# ------------------------------------------------------------------ difficulty


def test_difficulty_view_reads_the_difficulty_module() -> None:
    d = difficulty_view(
        inherited_difficulty(CallContext(arrival="angry", repeat_contact=True, stakes=("money",)))
    )
    assert d is not None
    assert 0 < d.score < 1
    assert d.factors[0] == "arrived angry"  # largest share first, zero factors left out
    assert "first contact" not in d.factors
    assert d.band
    assert difficulty_view(None) is None
    assert difficulty_view({"score": 80, "factors": ["x"]}) == render.DifficultyView(0.8, ("x",))


# ------------------------------------------------------------------ supervisor board


def _board() -> SupervisorBoard:
    return SupervisorBoard(difficulty=inherited_difficulty, today=lambda: date(2026, 1, 2))


def test_board_folds_a_call_and_is_idempotent() -> None:
    b = _board()
    started = CallStarted("c1", "alice", "twilio", started_at=100.0)
    assert b.apply(started)
    assert not b.apply(started)  # a second consumer applying the same event changes nothing
    ctx = ContextEvent("c1", CallContext(arrival="distressed"))
    assert b.apply(ctx) and not b.apply(ctx)
    alert_cue = cue("urgent_risk", call_id="c1", severity="urgent", alert=True)
    ch = b.apply(CueEvent(CueRaised(alert_cue)))
    assert ch.new_alerts == (("c1", alert_cue),)
    assert not b.apply(Alert("c1", "alice", alert_cue)).new_alerts
    row = b.row("c1")
    assert row is not None and [a.kind for a in row.alerts] == ["urgent_risk"]
    assert row.difficulty is not None and row.difficulty.score > 0
    b.apply(CueEvent(CueRefreshed(cue("orient", call_id="c1"))))
    assert b.row("c1").cue_count == 2  # type: ignore[union-attr]
    ended = CallEnded("c1", "alice", "ended")
    b.apply(ended)
    b.apply(ended)
    assert b.row("c1") is None
    load = b.load("alice")
    assert (load.calls_today, load.heavy_today, load.live_calls) == (1, 1, 0)  # alert: heavy


def test_board_transfer_hold_and_reset() -> None:
    b = _board()
    b.apply(CallStarted("c1", "alice", "audiohook", started_at=1.0))
    b.apply(CallUpdated("c1", "on_hold", "alice", "hold"))
    assert b.row("c1").header.status == "on_hold"  # type: ignore[union-attr]
    b.apply(CallUpdated("c1", "live", "bob", "transfer", previous_agent="alice"))
    assert b.row("c1").header.agent == "bob"  # type: ignore[union-attr]
    assert b.load("bob").live_calls == 1 and b.load("alice").live_calls == 0
    b.apply(ResetTaken("alice", at=50.0))
    b.apply(ResetTaken("alice", at=40.0))  # an older reset does not move the clock back
    assert b.load("alice").last_reset_at == 50.0
    assert [lo.agent for lo in b.loads()] == ["alice", "bob"]


def test_supervisor_stream_adds_updates_and_removes_rows() -> None:
    b = _board()
    s = SupervisorStream()
    snap = parse(s.snapshot(b))
    assert snap.find(id="calls") is not None and snap.find(id="alerts") is not None
    add = top_level(s.event(b, CallStarted("c1", "alice", "twilio", started_at=1.0)))
    targets = [e.attrs.get("hx-swap-oob") for e in add]
    assert targets == ["beforeend:#calls", "beforeend:#agents"]
    assert add[0].children[0].attrs["id"] == "call-c1"
    upd = top_level(s.event(b, ContextEvent("c1", CallContext(arrival="angry"))))
    assert upd[0].attrs["id"] == "call-c1" and upd[0].attrs["hx-swap-oob"] == "true"
    alert_cue = cue("abuse", call_id="c1", severity="urgent", alert=True, quote=EVIL)
    msg = s.event(b, Alert("c1", "alice", alert_cue))
    parts = top_level(msg)
    assert parts[0].attrs["hx-swap-oob"] == "afterbegin:#alerts"  # the banner comes first
    assert parts[0].children[0].attrs["id"] == "alert-c1-abuse"
    assert "<script>" not in msg
    row = next(p for p in parts if p.attrs.get("id") == "call-c1")
    assert "call-row--alert" in row.attrs["class"]
    # the CueEvent for the same cue reaching this socket later adds no second banner
    assert "afterbegin:#alerts" not in s.event(b, CueEvent(CueRaised(alert_cue)))
    gone = top_level(s.event(b, CallEnded("c1", "alice", "ended")))
    deletes = {p.attrs["id"] for p in gone if p.attrs.get("hx-swap-oob") == "delete"}
    assert deletes == {"call-c1", "alert-c1-abuse"}
    agent = next(p for p in gone if p.attrs.get("id") == "agent-alice")
    assert "1" in agent.find(class_="heavy-count heavy-count--some").all_text()  # type: ignore[union-attr]


def test_queue_rows_link_to_the_replay_only_for_roles_that_may_open_it() -> None:
    from app.routers.supervisor import may_replay
    from app.security.roles import Principal

    b = _board()
    b.apply(CallStarted("c/1", "alice", "twilio", started_at=1.0))
    row = b.row("c/1")
    assert row is not None
    assert 'href="/trainer/calls/c%2F1"' in render.call_row(row, replay=True)
    assert "/trainer/calls/" not in render.call_row(row)
    assert "/trainer/calls/" not in SupervisorStream().snapshot(b)
    assert 'href="/trainer/calls/c%2F1"' in SupervisorStream(replay=True).snapshot(b)
    assert may_replay(Principal("sam", frozenset({"supervisor"})))
    assert may_replay(Principal("root", frozenset({"admin"})))
    assert not may_replay(Principal("alice", frozenset({"agent"})))


def test_take_a_reset_card_offers_the_reset_button() -> None:
    card = parse(render.cue_card(cue("take_a_reset", call_id="c'1<x>")))
    btn = next(e for e in card.walk() if "reset-btn" in e.attrs.get("class", ""))
    assert btn.attrs["hx-post"] == "/agent/reset"
    import json

    assert json.loads(btn.attrs["hx-vals"]) == {"call_id": "c'1<x>"}
    assert "reset-btn" not in render.cue_card(cue("take_a_reset"), read_only=True)
    assert "reset-btn" not in render.cue_card(cue("orient"))


def test_capture_button_only_for_calls_not_fed_by_a_phone_system() -> None:
    for source, shown in (("", True), ("browser", True), ("twilio", False), ("audiohook", False)):
        page = render.sidebar_page(
            SidebarState(header=CallHeader("c1", "alice", 1.0, "live", source))
        )
        assert ('id="capture-btn"' in page) is shown, source
        assert ("/static/capture.js" in page) is shown, source


def test_only_this_persons_answers_show() -> None:
    c = cue("orient")
    s = SidebarStream(username="alice")
    s.snapshot(_state(cues=(c,)))
    assert s.feedback(c.id, "not_helpful", by="sam") == ""
    assert "data-verdict" in s.feedback(c.id, "used", by="alice")
