"""The sidebar and the supervisor queue in real Chromium, against a real server.

Events are published on the server's bus (the pipeline above the bus is faked
here: see test_browser_e2e.py for the same through speech-to-text). The browser
runs the vendored htmx + ws extension, so these tests check what an agent sees:
a cue card arriving and updated in place, a partial replaced by its final, the
feedback buttons, the alert banner, and the capture button's PCM16 stream.

``HEARD_SCREENSHOTS=DIR pytest -m browser tests/test_browser_sidebar.py`` also
writes DIR/sidebar-scripted.png and DIR/supervisor-scripted.png (events published on
the bus). docs/sidebar.png and docs/supervisor.png are taken from ``heard demo``
(the real pipeline: Twilio replay, whisper tiny.en, cue engine), see the report.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi import FastAPI, Form, Request, Response, WebSocket
from starlette.websockets import WebSocketDisconnect

from app.events import (
    Alert,
    CallEnded,
    CallStarted,
    ContextEvent,
    CueEvent,
    Event,
    FeedbackGiven,
    ResetTaken,
    UtteranceEvent,
)
from app.render import CallHeader, SidebarState
from cues.types import CallContext, Cue, CueRaised, CueRefreshed, Evidence
from tests.browser_support import LiveServer, chromium, live_server
from tests.ui_helpers import make_app, utt

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
PLAYBOOK = yaml.safe_load((ROOT / "cues" / "playbook.yaml").read_text())["kinds"]


def real_cue(
    kind: str,
    call_id: str,
    quote: str,
    *,
    speaker: str = "caller",
    turn: int,
    end: float,
    refreshed: int = 0,
) -> Cue:
    spec = PLAYBOOK[kind]
    return Cue(
        id=f"{call_id}:{kind}",
        call_id=call_id,
        kind=kind,
        title=spec["title"],  # type: ignore[arg-type]
        line=spec["line"],
        severity=spec["severity"],
        evidence=Evidence(f"{call_id}:{speaker}:{turn}", speaker, quote, end - 2.5, end),
        raised_at=end,
        turn=turn,
        refreshed=refreshed,
        alert=kind in {"urgent_risk", "abuse"},
    )


def add_fake_api(app: FastAPI) -> None:
    """What sits above the sidebar on the server: the feedback API and browser ingest."""
    app.state.feedback = []
    app.state.csrf_seen = []
    app.state.ingest = []

    @app.post("/api/calls/{call_id}/cues/{cue_id:path}/feedback", status_code=204)
    async def feedback(
        request: Request, call_id: str, cue_id: str, verdict: str = Form()
    ) -> Response:
        request.app.state.feedback.append((call_id, cue_id, verdict))
        request.app.state.csrf_seen.append(request.headers.get("x-csrf-token"))
        request.app.state.bus.publish(FeedbackGiven(call_id, cue_id, verdict, "alice"))  # type: ignore[arg-type]
        return Response(status_code=204)

    @app.websocket("/ingest/browser/{call_id}")
    async def ingest(ws: WebSocket, call_id: str) -> None:
        await ws.accept()
        got: list[Any] = app.state.ingest
        try:
            while True:
                m = await ws.receive()
                if m["type"] == "websocket.disconnect":
                    return
                got.append(m.get("text") if m.get("text") is not None else m.get("bytes"))
        except WebSocketDisconnect:
            return


def publish(srv: LiveServer, *events: Event) -> None:
    for e in events:
        srv.call(srv.app.state.bus.publish, e)


def initial_state(call_id: str, started: float) -> SidebarState:
    return SidebarState(
        header=CallHeader(call_id, "alice", started, "live", "browser"),
        context=CallContext(arrival="anxious", departments=("radiology",), stakes=("care_access",)),
        cues=(
            real_cue(
                "orient", call_id, "I'm just sitting here thinking the worst", turn=1, end=19.4
            ),
        ),
        utterances=(
            utt(
                0,
                "Westbrook Medical Center radiology, this is Carla.",
                speaker="agent",
                start=0.4,
                call_id=call_id,
            ),
            utt(
                0,
                "Hi, I had a CT scan of my chest last Tuesday, and I haven't heard a single "
                "thing. I'm just sitting here thinking the worst.",
                start=4.0,
                call_id=call_id,
            ),
        ),
    )


@pytest.fixture
def server() -> Any:
    app = make_app({"call-1": initial_state("call-1", time.time() - 95)})
    add_fake_api(app)
    with live_server(app) as srv:
        yield srv


def open_page(
    browser: Any, srv: LiveServer, user: str, path: str, viewport: tuple[int, int] = (380, 900)
) -> Any:
    ctx = browser.new_context(
        viewport={"width": viewport[0], "height": viewport[1]},
        device_scale_factor=2 if os.environ.get("HEARD_SCREENSHOTS") else 1,
    )
    ctx.add_cookies(
        [
            {"name": "u", "value": user, "url": srv.url},
            {"name": "heard_csrf", "value": f"csrf-of-{user}", "url": srv.url},
        ]
    )
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(srv.url + path)
    page.wait_for_selector("#ws-state.conn--open", timeout=10_000)
    page.errors = errors  # type: ignore[attr-defined]
    return page


def shots_dir() -> Path | None:
    target = os.environ.get("HEARD_SCREENSHOTS")
    if not target:
        return None
    d = (ROOT / target) if not Path(target).is_absolute() else Path(target)
    d.mkdir(parents=True, exist_ok=True)
    return d


def test_sidebar_live_cards_transcript_feedback_alert(server: LiveServer) -> None:
    with chromium() as browser:
        page = open_page(browser, server, "alice", "/agent/calls/call-1")
        assert page.locator("#cue-orient").count() == 1  # the page was complete at load

        # a partial, shown provisionally, then replaced by its final (same id)
        publish(
            server,
            UtteranceEvent(
                utt(
                    1,
                    "Okay, sorry you've been",
                    speaker="agent",
                    final=False,
                    start=24.0,
                    call_id="call-1",
                )
            ),
        )
        line = page.locator("#utt-agent-1")
        line.wait_for()
        assert line.get_attribute("data-final") == "0"
        assert "utt--partial" in (line.get_attribute("class") or "")
        publish(
            server,
            UtteranceEvent(
                utt(
                    1,
                    "Okay, sorry you've been waiting. Can I get your name?",
                    speaker="agent",
                    start=24.0,
                    call_id="call-1",
                )
            ),
        )
        page.wait_for_selector('#utt-agent-1[data-final="1"]')
        assert page.locator("#utt-agent-1").count() == 1
        assert "Can I get your name?" in page.locator("#utt-agent-1").inner_text()

        # a new cue arrives on top
        own = real_cue(
            "close_the_loop",
            "call-1",
            "I'll send a message over",
            speaker="agent",
            turn=4,
            end=41.0,
        )
        t0 = time.monotonic()
        publish(server, CueEvent(CueRaised(own)))
        page.wait_for_selector("#cue-close_the_loop")
        print(f"card on screen {(time.monotonic() - t0) * 1000:.0f} ms after publish")
        first = page.locator("#cues > article").first
        assert first.get_attribute("id") == "cue-close_the_loop"
        assert first.get_attribute("data-evidence-end") == "41.000"
        assert PLAYBOOK["close_the_loop"]["title"] in first.inner_text()

        # the agent answers on the card; the server's API stores it
        first.get_by_role("button", name="Used it").click()
        page.wait_for_selector('#fb-close_the_loop[data-verdict="used"]')
        assert server.app.state.feedback == [("call-1", "call-1:close_the_loop", "used")]
        assert server.app.state.csrf_seen == ["csrf-of-alice"]  # heard.js echoes the cookie

        # the older card is refreshed in place, not duplicated, and keeps its position
        publish(
            server,
            CueEvent(
                CueRefreshed(
                    real_cue("orient", "call-1", "is that bad", turn=5, end=52.0, refreshed=1)
                )
            ),
        )
        page.wait_for_selector('#cue-orient[data-turn="5"]')
        assert page.locator("#cue-orient").count() == 1
        assert page.locator("#cues > article").count() == 2
        # refreshing the answered card keeps the verdict on it
        publish(
            server,
            CueEvent(
                CueRefreshed(
                    real_cue(
                        "close_the_loop",
                        "call-1",
                        "shortly",
                        speaker="agent",
                        turn=6,
                        end=58.0,
                        refreshed=1,
                    )
                )
            ),
        )
        page.wait_for_selector('#cue-close_the_loop[data-turn="6"]')
        assert page.locator('#fb-close_the_loop[data-verdict="used"]').count() == 1

        # an urgent alert is prominent: banner + alert card on top
        risk = real_cue(
            "urgent_risk", "call-1", "my chest feels tight and I can't breathe", turn=7, end=66.0
        )
        publish(server, Alert("call-1", "alice", risk), CueEvent(CueRaised(risk)))
        page.wait_for_selector("#alert-banner:not([hidden])")
        assert page.locator("#cues > article").first.get_attribute("id") == "cue-urgent_risk"
        assert page.locator("#cue-urgent_risk").count() == 1
        assert "cue--alert" in (page.locator("#cue-urgent_risk").get_attribute("class") or "")

        # untrusted transcript text stays text
        publish(
            server,
            UtteranceEvent(
                utt(3, '<img src=x onerror="window.pwned=1">hello', start=70.0, call_id="call-1")
            ),
        )
        page.wait_for_selector("#utt-caller-3")
        assert page.evaluate("window.pwned === undefined")
        assert "<img" in page.locator("#utt-caller-3 .utt-text").inner_text()
        assert not page.errors, page.errors  # type: ignore[attr-defined]


def test_capture_streams_pcm16_to_the_ingest_socket(server: LiveServer) -> None:
    with chromium() as browser:
        page = open_page(browser, server, "alice", "/agent/calls/call-1")
        page.click("#capture-btn")
        page.wait_for_selector('#capture-btn[aria-pressed="true"]', timeout=10_000)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(server.app.state.ingest) < 20:
            time.sleep(0.1)
        page.click("#capture-btn")  # stop: sends {"event": "stop"} and closes
        page.wait_for_selector('#capture-btn[aria-pressed="false"]')
        time.sleep(0.3)
        got = list(server.app.state.ingest)
        start = json.loads(got[0])
        assert start["event"] == "start" and start["encoding"] == "pcm16"
        assert start["sample_rate"] == 48000 and start["channels"] in (1, 2)
        frames = [g for g in got[1:] if isinstance(g, bytes)]
        assert len(frames) >= 10
        frame_bytes = 2 * start["channels"]
        assert all(len(f) % frame_bytes == 0 for f in frames)
        assert len(frames[0]) == 1920 * frame_bytes  # 40 ms at 48 kHz
        import numpy as np

        pcm = np.frombuffer(b"".join(frames), dtype="<i2").reshape(-1, start["channels"])
        assert np.abs(pcm[:, 0]).max() > 1000  # the fake microphone's beep reached channel 0
        assert json.loads(got[-1]) == {"event": "stop"}


def test_supervisor_sees_the_alert_and_opens_the_call(server: LiveServer) -> None:
    from cues.difficulty import inherited_difficulty  # noqa: F401  (the board shows it)

    now = time.time()
    with chromium() as browser:
        page = open_page(browser, server, "sam", "/supervisor", viewport=(1180, 640))
        publish(
            server,
            CallStarted("call-1", "alice", "twilio", started_at=now - 95),
            ContextEvent(
                "call-1",
                CallContext(arrival="anxious", departments=("radiology",), stakes=("care_access",)),
            ),
            CallStarted("call-2", "bob", "audiohook", started_at=now - 340),
            ContextEvent(
                "call-2",
                CallContext(
                    arrival="angry",
                    departments=("billing", "insurance"),
                    repeat_contact=True,
                    stakes=("money",),
                ),
            ),
        )
        page.wait_for_selector("#call-call-2")
        risk = real_cue(
            "urgent_risk", "call-1", "my chest feels tight and I can't breathe", turn=7, end=66.0
        )
        t0 = time.monotonic()
        publish(server, Alert("call-1", "alice", risk), CueEvent(CueRaised(risk)))
        page.wait_for_selector("#alert-call-1-urgent_risk", timeout=5_000)
        shown_after = time.monotonic() - t0
        print(f"alert shown {shown_after * 1000:.0f} ms after publish")
        row = page.locator("#call-call-1")
        assert "call-row--alert" in (row.get_attribute("class") or "")
        assert page.locator("#agent-alice").count() == 1 and page.locator("#agent-bob").count() == 1
        assert page.locator("#call-call-2 .diff-meter").count() == 1
        assert "arrived angry" in page.locator("#call-call-2 .diff-factors").inner_text()
        # durations tick
        d1 = page.locator("#call-call-2 .c-dur time").inner_text()
        page.wait_for_function(
            "d => document.querySelector('#call-call-2 .c-dur time').textContent !== d", arg=d1
        )
        publish(server, ResetTaken("bob", at=now - 600))
        page.wait_for_selector("#agent-bob .a-reset time")
        # a click on the row opens the call's live transcript, read-only
        page.locator("#call-call-1").click(position={"x": 300, "y": 10})
        page.wait_for_url("**/supervisor/calls/call-1")
        page.wait_for_selector("#ws-state.conn--open")
        assert page.locator("#utt-caller-0").count() == 1
        assert page.locator(".cue-feedback").count() == 0
        assert not page.errors, page.errors  # type: ignore[attr-defined]


def test_screenshots() -> None:
    """Mid-call pictures for the README (written only with HEARD_SCREENSHOTS=dir)."""
    out = shots_dir()
    if out is None:
        pytest.skip("set HEARD_SCREENSHOTS=docs to write the screenshots")
    now = time.time()
    cid1 = "CA5e0d1c7a2f4b9e81"
    app = make_app({cid1: initial_state(cid1, now - 95)})
    add_fake_api(app)
    with live_server(app) as server, chromium() as browser:
        page = open_page(browser, server, "alice", f"/agent/calls/{cid1}")
        for ev in screenshot_call(cid1):
            publish(server, ev)
        page.wait_for_selector("#cue-real_timeline")
        page.wait_for_selector("#utt-caller-2")
        page.wait_for_timeout(1200)  # let the arrival animations finish
        page.screenshot(path=str(out / "sidebar-scripted.png"))

        sup = open_page(browser, server, "sam", "/supervisor", viewport=(1180, 560))
        for cid, agent in (("done-1", "bob"), ("done-2", "dev"), ("done-3", "dev")):
            publish(
                server,
                CallStarted(cid, agent, "twilio", started_at=now - 7200),
                CallEnded(cid, agent, "ended", heavy=True),
            )
        calls = [
            (
                cid1,
                "alice",
                now - 95,
                CallContext(
                    arrival="anxious",
                    departments=("radiology", "pulmonary"),
                    stakes=("care_access",),
                ),
            ),
            (
                "call-2",
                "bob",
                now - 342,
                CallContext(
                    arrival="angry",
                    departments=("billing", "insurance", "scheduling"),
                    repeat_contact=True,
                    stakes=("money",),
                    resolvable=False,
                ),
            ),
            (
                "call-3",
                "carmen",
                now - 61,
                CallContext(arrival="calm", departments=("scheduling",)),
            ),
            (
                "call-4",
                "dev",
                now - 1210,
                CallContext(arrival="grieving", departments=("records",), stakes=("legal_rights",)),
            ),
        ]
        for cid, agent, started, ctx in calls:
            publish(
                server,
                CallStarted(cid, agent, "twilio", started_at=started),
                ContextEvent(cid, ctx),
            )
        publish(
            server, ResetTaken("dev", at=now - 3 * 3600 - 420), ResetTaken("carmen", at=now - 1500)
        )
        risk = real_cue(
            "urgent_risk",
            cid1,
            "my chest feels tight and I can't catch my breath",
            turn=9,
            end=80.0,
        )
        publish(server, Alert(cid1, "alice", risk), CueEvent(CueRaised(risk)))
        for cid, kind, q in (
            ("call-2", "validate_first", "this is ridiculous"),
            ("call-2", "own_it", "third time I've called"),
            ("call-4", "orient", "what does that mean"),
        ):
            publish(server, CueEvent(CueRaised(real_cue(kind, cid, q, turn=2, end=30.0))))
        sup.wait_for_selector(f"#alert-{cid1}-urgent_risk")
        sup.wait_for_timeout(3500)  # past the flash animation
        sup.screenshot(path=str(out / "supervisor-scripted.png"), full_page=True)


def screenshot_call(call_id: str) -> list[Event]:
    """The middle of chest-ct-results-waiting (../shared/calls), as the pipeline emits it."""
    u = lambda seq, text, sp, start, final=True: UtteranceEvent(  # noqa: E731
        utt(seq, text, speaker=sp, start=start, final=final, call_id=call_id)
    )
    return [
        u(
            1,
            "Okay, sorry you've been waiting. Can I get your name and date of birth?",
            "agent",
            24.0,
        ),
        u(1, "Patricia Holloway, December 1st, 1958.", "caller", 29.5),
        u(
            2,
            "Thanks. So I see the CT was read by the radiologist on Thursday, so the report's "
            "done. It went to Dr. Nguyen, your pulmonologist.",
            "agent",
            33.0,
        ),
        ContextEvent(
            call_id,
            CallContext(
                arrival="anxious",
                departments=("radiology", "pulmonary"),
                stakes=("care_access",),
                resolvable=False,
            ),
        ),
        u(
            2,
            "So it's been sitting there since Thursday? And nobody called me? What does that "
            "mean, is that bad?",
            "caller",
            44.0,
        ),
        u(
            3,
            "It doesn't necessarily mean anything. I'll send a message over to Dr. Nguyen's "
            "office and have them give you a call. They should reach out shortly.",
            "agent",
            52.0,
        ),
        CueEvent(
            CueRaised(
                real_cue(
                    "close_the_loop",
                    call_id,
                    "I'll send a message over to Dr. Nguyen's office and have them give you a call",
                    speaker="agent",
                    turn=6,
                    end=60.5,
                )
            )
        ),
        CueEvent(
            CueRaised(
                real_cue(
                    "real_timeline",
                    call_id,
                    "They should reach out shortly",
                    speaker="agent",
                    turn=6,
                    end=62.0,
                )
            )
        ),
        u(3, "Shortly. Like today? Because I honestly haven't", "caller", 63.0, False),
    ]


def test_agent_home_lists_own_live_calls_as_they_come(server: LiveServer) -> None:
    with chromium() as browser:
        ctx = browser.new_context(viewport={"width": 380, "height": 600})
        ctx.add_cookies([{"name": "u", "value": "alice", "url": server.url}])
        page = ctx.new_page()
        page.goto(server.url + "/agent")
        page.wait_for_selector(".my-call--none")
        publish(
            server,
            CallStarted("CAhome01", "alice", "twilio", started_at=time.time() - 30),
            CallStarted("CAhome02", "bob", "twilio", started_at=time.time()),
        )
        page.wait_for_selector('a[href="/agent/calls/CAhome01"]', timeout=8_000)  # polled
        assert page.locator('a[href="/agent/calls/CAhome02"]').count() == 0  # not bob's
        page.click('a[href="/agent/calls/CAhome01"]')
        page.wait_for_selector("#ws-state.conn--open")
        publish(server, CallEnded("CAhome01", "alice", "ended"))
        page.wait_for_selector("#call-status.status--ended")


def test_a_lagging_sidebar_reconnects_and_is_made_whole(server: LiveServer) -> None:
    """The bus cuts off a subscriber that fell too far behind (close 1013); the ws
    extension reconnects and the new socket's snapshot carries what was missed."""
    from dataclasses import replace

    with chromium() as browser:
        page = open_page(browser, server, "alice", "/agent/calls/call-1")
        states = server.app.state.states
        missed = utt(9, "a final this browser never got pushed", start=90.0, call_id="call-1")
        states["call-1"] = replace(
            states["call-1"], utterances=(*states["call-1"].utterances, missed)
        )
        bus = server.app.state.bus

        def flood() -> None:  # finals pile past the subscriber's hard limit in one loop turn
            for i in range(100, 100 + 32 * 8 + 5):
                bus.publish(UtteranceEvent(utt(i, "x", start=100.0 + i, call_id="call-1")))

        server.call(flood)
        page.wait_for_selector("#utt-caller-9", timeout=15_000)
        page.wait_for_selector("#ws-state.conn--open")
        assert page.locator("#cue-orient").count() == 1
        assert page.locator("#utt-caller-100").count() == 0  # the snapshot replaced the transcript
