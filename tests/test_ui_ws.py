"""Websocket tests: the sidebar and supervisor sockets against the app, events
published on the real bus, fragments read as the htmx ws extension would."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app.bus import Bus
from app.events import (
    Alert,
    CallEnded,
    CallStarted,
    CallUpdated,
    ContextEvent,
    CueEvent,
    Event,
    FeedbackGiven,
    UtteranceEvent,
)
from app.render import CallHeader, SidebarState
from cues.types import CallContext, CueRaised, CueRefreshed
from tests.ui_helpers import cue, make_app, parse, top_level, utt


@pytest.fixture
def client() -> Iterator[TestClient]:
    state = SidebarState(
        header=CallHeader("call-1", "alice", 1_700_000_000.0),
        context=CallContext(arrival="anxious"),
        cues=(cue("orient", quote="I'm scared"),),
        utterances=(utt(0, "I had a CT scan last week"), utt(1, "and nobody", final=False)),
    )
    with TestClient(make_app({"call-1": state})) as c:
        yield c


def publish(client: TestClient, *events: Event) -> None:
    bus: Bus = client.app.state.bus  # type: ignore[attr-defined]
    for e in events:
        client.portal.call(bus.publish, e)  # type: ignore[union-attr]


AS = {"alice": {"x-user": "alice"}, "sam": {"x-user": "sam"}, "bob": {"x-user": "bob"}}


# ------------------------------------------------------------------ pages


def test_sidebar_page_is_complete_and_connects(client: TestClient) -> None:
    r = client.get("/agent/calls/call-1", headers=AS["alice"])
    assert r.status_code == 200
    tree = parse(r.text)
    main = tree.find(id=None) or tree
    assert 'ws-connect="/ws/calls/call-1"' in r.text and 'hx-ext="ws"' in r.text
    assert tree.find(id="cue-orient") is not None
    assert tree.find(id="utt-caller-0") is not None
    assert tree.find(id="capture-btn") is not None
    assert "/static/vendor/htmx.min.js" in r.text and "cdn" not in r.text.lower()
    assert main is not None


def test_every_door_needs_a_role(client: TestClient) -> None:
    assert client.get("/agent/calls/call-1").status_code == 401
    assert client.get("/supervisor", headers=AS["alice"]).status_code == 403
    assert client.get("/agent", headers={"x-user": "tina"}).status_code == 403
    assert client.get("/supervisor", headers=AS["sam"]).status_code == 200
    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/ws/calls/call-1"):
        pass
    with (
        pytest.raises(WebSocketDisconnect),
        client.websocket_connect("/ws/supervisor", headers=AS["alice"]),
    ):
        pass


def test_another_agents_call_is_refused(client: TestClient) -> None:
    assert client.get("/agent/calls/call-1", headers=AS["bob"]).status_code == 403
    with (
        pytest.raises(WebSocketDisconnect) as e,
        client.websocket_connect("/ws/calls/call-1", headers=AS["bob"]),
    ):
        pass
    assert e.value.code == 1008
    # a supervisor listens in, read-only
    r = client.get("/supervisor/calls/call-1", headers=AS["sam"])
    assert r.status_code == 200 and "/feedback" not in r.text and "view=listen" in r.text


def test_static_assets_are_served_locally(client: TestClient) -> None:
    for path in (
        "vendor/htmx.min.js",
        "vendor/htmx-ext-ws.js",
        "heard.css",
        "heard.js",
        "capture.js",
        "capture-worklet.js",
    ):
        assert client.get(f"/static/{path}").status_code == 200, path


# ------------------------------------------------------------------ the sidebar socket


def test_sidebar_socket_snapshot_then_live_fragments(client: TestClient) -> None:
    with client.websocket_connect("/ws/calls/call-1", headers=AS["alice"]) as ws:
        snap = parse(ws.receive_text())
        assert snap.find(id="cues").find(id="cue-orient") is not None  # type: ignore[union-attr]
        assert snap.find(id="utt-caller-1").attrs["data-final"] == "0"  # type: ignore[union-attr]

        publish(client, UtteranceEvent(utt(1, "and nobody has called me back.")))
        final = top_level(ws.receive_text())
        assert [(e.attrs["id"], e.attrs["data-final"]) for e in final] == [("utt-caller-1", "1")]

        publish(client, UtteranceEvent(utt(2, "yes", speaker="agent", final=False)))
        new = top_level(ws.receive_text())[0]
        assert new.attrs["hx-swap-oob"] == "beforeend:#transcript"

        publish(client, CueEvent(CueRaised(cue("own_it", turn=3, end=20.0))))
        card = top_level(ws.receive_text())[0]
        assert card.attrs["hx-swap-oob"] == "afterbegin:#cues"
        art = card.children[0]
        assert (art.attrs["id"], art.attrs["data-turn"], art.attrs["data-evidence-end"]) == (
            "cue-own_it",
            "3",
            "20.000",
        )

        publish(client, CueEvent(CueRefreshed(cue("orient", refreshed=1, turn=5, end=25.0))))
        upd = top_level(ws.receive_text())[0]
        assert (upd.attrs["id"], upd.attrs["hx-swap-oob"], upd.attrs["data-turn"]) == (
            "cue-orient",
            "true",
            "5",
        )

        publish(client, ContextEvent("call-1", CallContext(arrival="angry", repeat_contact=True)))
        ctx = top_level(ws.receive_text())[0]
        assert ctx.attrs["id"] == "call-context" and "angry" in ctx.all_text()

        publish(client, FeedbackGiven("call-1", "call-1:orient", "used", "alice"))
        fb = top_level(ws.receive_text())[0]
        assert (fb.attrs["id"], fb.attrs["data-verdict"]) == ("fb-orient", "used")

        publish(client, CallEnded("call-1", "alice", "ended"))
        status = top_level(ws.receive_text())[0]
        assert status.attrs["id"] == "call-status" and "Ended" in status.all_text()


def test_other_calls_do_not_leak_into_a_sidebar(client: TestClient) -> None:
    with client.websocket_connect("/ws/calls/call-1", headers=AS["alice"]) as ws:
        ws.receive_text()
        publish(client, UtteranceEvent(utt(0, "someone else's call", call_id="call-2")))
        publish(client, UtteranceEvent(utt(5, "mine")))
        msg = ws.receive_text()
        assert "someone else" not in msg and "utt-caller-5" in msg


def test_a_browser_that_stops_reading_is_cut_off_not_the_pipeline(client: TestClient) -> None:
    """Finals pile past the hard limit of a non-reading socket: the bus cuts that
    subscriber off (close 1013, the ws extension reconnects) and publishing never blocks."""
    with client.websocket_connect("/ws/calls/call-1", headers=AS["alice"]) as ws:
        ws.receive_text()
        bus: Bus = client.app.state.bus  # type: ignore[attr-defined]

        def flood() -> int:
            # all published in one loop turn: the socket's pump cannot drain in between
            for i in range(2, 2 + 32 * 8 + 5):
                bus.publish(UtteranceEvent(utt(i, f"final {i}")))
            return bus.subscriber_count("call:call-1")

        assert client.portal.call(flood) == 0  # type: ignore[union-attr]
        with pytest.raises(WebSocketDisconnect) as e:
            while True:
                ws.receive_text()
        assert e.value.code == 1013


def test_partials_are_coalesced_for_a_slow_reader(client: TestClient) -> None:
    with client.websocket_connect("/ws/calls/call-1", headers=AS["alice"]) as ws:
        ws.receive_text()
        bus: Bus = client.app.state.bus  # type: ignore[attr-defined]

        def burst() -> None:
            for n in range(50):
                bus.publish(UtteranceEvent(utt(7, "word " * n, final=False)))
            bus.publish(UtteranceEvent(utt(7, "the final words")))

        client.portal.call(burst)  # type: ignore[union-attr]
        seen = ""
        while 'data-final="1"' not in seen:
            seen += ws.receive_text()
        # the queued partials were replaced by the final before this socket read them
        assert seen.count("utt-caller-7") == 1 and "the final words" in seen


# ------------------------------------------------------------------ the supervisor socket


def test_supervisor_sees_calls_and_an_alert_at_once(client: TestClient) -> None:
    with client.websocket_connect("/ws/supervisor", headers=AS["sam"]) as ws:
        snap = parse(ws.receive_text())
        assert snap.find(id="calls") is not None
        publish(client, CallStarted("call-9", "alice", "twilio", started_at=1_700_000_000.0))
        first = ws.receive_text()
        assert 'id="call-call-9"' in first and 'id="agent-alice"' in first
        alert_cue = cue(
            "urgent_risk",
            call_id="call-9",
            severity="urgent",
            alert=True,
            quote="I have chest pain",
        )
        publish(client, Alert("call-9", "alice", alert_cue), CueEvent(CueRaised(alert_cue)))
        msg = ws.receive_text()
        parts = top_level(msg)
        assert parts[0].attrs["hx-swap-oob"] == "afterbegin:#alerts"
        assert parts[0].children[0].attrs["id"] == "alert-call-9-urgent_risk"
        assert "chest pain" in msg and "call-row--alert" in msg
        assert msg.count("alert-call-9-urgent_risk") == 1

    assert 'href="/trainer/calls/call-9"' in first  # supervisors may open the replay

    # a supervisor who opens the queue later gets the same picture from the board
    r = client.get("/supervisor", headers=AS["sam"])
    tree = parse(r.text)
    row = tree.find(id="call-call-9")
    links = [e.attrs.get("href") for e in row.walk() if e.tag == "a"]  # type: ignore[union-attr]
    assert links == ["/supervisor/calls/call-9", "/trainer/calls/call-9"]
    assert tree.find(id="alert-call-9-urgent_risk") is not None
    assert "call-row--alert" in tree.find(id="call-call-9").attrs["class"]  # type: ignore[union-attr]


def test_board_is_fed_without_any_supervisor_connected(client: TestClient) -> None:
    publish(client, CallStarted("call-7", "bob", "audiohook", started_at=1_700_000_000.0))
    # let the lifespan's feeding task run
    client.portal.call(_yield_loop)  # type: ignore[union-attr]
    r = client.get("/agent", headers=AS["bob"])
    assert "/agent/calls/call-7" in r.text
    # htmx polls the same URL and gets the list only
    frag = client.get("/agent", headers={**AS["bob"], "HX-Request": "true"})
    assert frag.text.lstrip().startswith('<ul id="my-calls"')


async def _yield_loop() -> None:
    import asyncio

    for _ in range(5):
        await asyncio.sleep(0)


def test_reset_taken_reaches_the_supervisor(client: TestClient) -> None:
    with client.websocket_connect("/ws/supervisor", headers=AS["sam"]) as ws:
        ws.receive_text()
        r = client.post("/agent/reset", data={"call_id": "call-1"}, headers=AS["alice"])
        assert r.status_code == 204
        row = top_level(ws.receive_text())
        assert any(
            "agent-alice" in (e.attrs.get("id") or e.children[0].attrs.get("id", "")) for e in row
        )
        assert "just now" in "".join(e.all_text() for e in row)


def test_queue_after_a_restart_reads_today_from_the_store(tmp_path: Any) -> None:
    """Heavy calls today and the last reset survive a restart (the real store, SQLite)."""
    import time as _time

    from app.store import Store

    store = Store(f"sqlite:///{tmp_path / 'heard.db'}", tmp_path)
    store.migrate()
    now = _time.time()
    for cid, heavy in (("old-1", True), ("old-2", False), ("old-3", True)):
        store.open_call(cid, "alice", "twilio", started_at=now - 600)
        store.set_rubric(cid, None, heavy=heavy)
    store.open_call("yesterday", "alice", "twilio", started_at=now - 2 * 86400)
    store.set_rubric("yesterday", None, heavy=True)
    store.add_reset("alice", "old-1", at=now - 300)

    app = make_app()
    app.state.store = store
    with TestClient(app) as c:
        page = parse(c.get("/supervisor", headers=AS["sam"]).text)
        row = page.find(id="agent-alice")
        assert row is not None
        cells = {e.attrs["class"]: " ".join(e.all_text().split()) for e in row.children}
        assert cells["a-heavy"] == "2" and cells["a-calls"] == "3"
        assert cells["a-reset"] == "5 min ago"
        # a seeded call that ends live is not counted twice
        publish(c, CallEnded("old-1", "alice", "ended", heavy=True))
        c.portal.call(_yield_loop)  # type: ignore[union-attr]
        again = parse(c.get("/supervisor", headers=AS["sam"]).text).find(id="agent-alice")
        assert (
            again is not None
            and "2" in again.find(class_="heavy-count heavy-count--some").all_text()
        )  # type: ignore[union-attr]
    store.close()


def test_a_call_opened_early_that_starts_as_someone_elses_is_cut_off(client: TestClient) -> None:
    with client.websocket_connect("/ws/calls/not-yet", headers=AS["bob"]) as ws:
        ws.receive_text()  # an empty sidebar, waiting for the call
        publish(
            client,
            CallStarted("not-yet", "alice", "twilio"),
            UtteranceEvent(utt(0, "private words", call_id="not-yet")),
        )
        with pytest.raises(WebSocketDisconnect) as e:
            while True:
                assert "private words" not in ws.receive_text()
        assert e.value.code == 1008
    # the call's own agent, opened early too, gets it
    with client.websocket_connect("/ws/calls/early-2", headers=AS["alice"]) as ws:
        ws.receive_text()
        publish(
            client,
            CallStarted("early-2", "alice", "twilio"),
            UtteranceEvent(utt(0, "hello", call_id="early-2")),
        )
        got = ws.receive_text()
        got += "" if "hello" in got else ws.receive_text()
        assert "hello" in got
        publish(
            client,
            CallUpdated("early-2", "live", "bob", "transfer", previous_agent="alice"),
            UtteranceEvent(utt(1, "after the transfer", call_id="early-2")),
        )
        got = ws.receive_text()
        got += "" if "after the transfer" in got else ws.receive_text()
        assert "after the transfer" in got


def test_server_shutdown_closes_sidebars_with_restart_so_they_reconnect(client: TestClient) -> None:
    with client.websocket_connect("/ws/calls/call-1", headers=AS["alice"]) as ws:
        ws.receive_text()
        bus: Bus = client.app.state.bus  # type: ignore[attr-defined]
        client.portal.call(bus.close)  # type: ignore[union-attr]
        with pytest.raises(WebSocketDisconnect) as e:
            ws.receive_text()
        assert e.value.code == 1012  # the htmx ws extension reconnects on 1012, not on 1000


async def test_a_send_the_browser_never_reads_ends_as_lagging(monkeypatch: Any) -> None:
    """TCP full (the browser stopped reading): the send times out instead of hanging."""
    import asyncio

    from app.bus import SubscriberLagged
    from app.routers import agent as agent_router

    class StuckSocket:  # send_text never completes, like a peer whose window is closed
        async def send_text(self, message: str) -> None:
            await asyncio.Event().wait()

    monkeypatch.setattr(agent_router, "SEND_TIMEOUT_S", 0.05)
    sub = Bus().subscribe("call:x")
    with pytest.raises(SubscriberLagged):
        await agent_router.send(StuckSocket(), "<p>x</p>", sub)  # type: ignore[arg-type]
