"""The sidebar and queue in Chromium on the real server: create_app, the Twilio
ingest socket, the call registry, the real cue engine and store, and the bus.

- ``test_sidebar_over_twilio_with_scripted_stt`` (browser): speech-to-text is the
  scripted fake (utterances emitted when the streamed audio reaches their end on
  the call clock), everything else is real. Fast: streamed at 4x.
- ``test_sidebar_replays_a_synthesized_call`` (browser + model): the real
  acceptance test. A script is synthesized with piper (``heard synth``), streamed
  at real-time pace through ``/ingest/twilio`` with ``heard replay``'s library, and
  transcribed by the real recognizer; the sidebar must show the expected card.
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.security.roles import Principal
from tests.browser_support import LiveServer, chromium, live_server
from tests.ui_helpers import PEOPLE

pytestmark = pytest.mark.browser

SCRIPT = "cardiology-reschedule-chest-pressure.yaml"


def _server_app(tmp: Path, transcriber: Any = None, engine: str = "fake") -> Any:
    from app.main import create_app
    from app.settings import Settings

    settings = Settings(
        data_dir=tmp,
        transcription={"engine": engine},  # type: ignore[arg-type]
        allow_unauthenticated_ingest=True,
    )
    app = create_app(settings, transcriber=transcriber)

    # Keep the loop for LiveServer.call (the app's own lifespan runs first).
    import contextlib

    outer = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(a: Any) -> Any:
        async with outer(a) as state:
            a.state.loop = asyncio.get_running_loop()
            yield state

    app.router.lifespan_context = lifespan
    return app


def _sign_in_by_cookie(app: Any) -> None:
    """Sign-in sits above what is tested here: a cookie names the person."""

    async def loader(conn: Any) -> Principal | None:
        return PEOPLE.get(conn.cookies.get("u", ""))

    app.state.principal_loader = loader


def _stream(
    srv: LiveServer, stereo: np.ndarray, call_id: str, speed: float, turn_ends: list[float]
) -> threading.Thread:
    from app.replay import replay_audio

    def run() -> None:
        asyncio.run(
            replay_audio(
                stereo,
                16000,
                srv.url.replace("http", "ws"),
                call_id=call_id,
                agent="alice",
                speed=speed,
                protocol="twilio",
                turn_ends=turn_ends,
            )
        )

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def _page(browser: Any, srv: LiveServer, user: str, path: str, size: tuple[int, int]) -> Any:
    ctx = browser.new_context(viewport={"width": size[0], "height": size[1]})
    ctx.add_cookies([{"name": "u", "value": user, "url": srv.url}])
    page = ctx.new_page()
    page.goto(srv.url + path)
    page.wait_for_selector("#ws-state.conn--open", timeout=15_000)
    return page


def test_sidebar_over_twilio_with_scripted_stt(tmp_path: Path, shared_dir: Path) -> None:
    from cues.scripts import load_script
    from transcription.fake import FakeTranscriptionService, ScriptedUtterance

    script = load_script(shared_dir / "calls" / SCRIPT)
    call_id = "CAe2e0chest"
    lines, t = [], 0.5
    for turn in script.turns:
        dur = 0.25 * len(turn.text.split())
        lines.append(ScriptedUtterance(turn.speaker, turn.text, t, t + dur, call_id))
        t += dur + 0.6
    total = t + 1.0
    app = _server_app(tmp_path, FakeTranscriptionService(lines))
    with live_server(app) as srv, chromium() as browser:
        _sign_in_by_cookie(app)
        # the agent opens the sidebar before the call connects; a supervisor watches
        side = _page(browser, srv, "alice", f"/agent/calls/{call_id}", (380, 900))
        sup = _page(browser, srv, "sam", "/supervisor", (1180, 700))
        silence = np.zeros((int(total * 16000), 2), dtype=np.float32)
        streamer = _stream(srv, silence, call_id, speed=4.0, turn_ends=[ln.end for ln in lines])

        side.wait_for_selector("#cue-urgent_risk", timeout=30_000)
        card = side.locator("#cue-urgent_risk")
        assert int(card.get_attribute("data-turn") or -1) in (3, 4)  # the chest-pressure turn
        assert side.locator("#alert-banner:not([hidden])").count() == 1
        sup.wait_for_selector(f"#alert-{call_id}-urgent_risk", timeout=10_000)
        assert "call-row--alert" in (sup.locator(f"#call-{call_id}").get_attribute("class") or "")

        streamer.join(timeout=60)
        side.wait_for_selector("#call-status.status--ended", timeout=30_000)
        side.wait_for_selector("#cue-take_a_reset", timeout=10_000)
        # every line arrived, each once, all final (partials were replaced in place)
        n = len(script.turns)
        assert side.locator("#transcript > li").count() == n
        assert side.locator('#transcript > li[data-final="0"]').count() == 0
        ids = side.eval_on_selector_all("#transcript > li", "els => els.map(e => e.id)")
        assert len(set(ids)) == n
        # the transcript overflows its box and stays pinned to the newest line
        assert side.evaluate(
            "(() => { const t = document.getElementById('transcript');"
            " return t.scrollHeight > t.clientHeight"
            " && t.scrollHeight - t.scrollTop - t.clientHeight < 30; })()"
        )
        # the call left the queue; the agent's heavy count went up
        sup.wait_for_selector(f"#call-{call_id}", state="detached", timeout=10_000)
        assert sup.locator("#agent-alice .heavy-count").inner_text().strip() == "1"
        # the agent logs the reset the card suggests; the supervisor sees it, the store keeps it
        side.get_by_role("button", name="I took my reset").click()
        side.wait_for_selector('.reset-btn[aria-pressed="true"]')
        sup.wait_for_selector("#agent-alice .a-reset time", timeout=10_000)
        assert app.state.store.last_reset("alice") is not None

        # a sidebar opened late (after the call) is complete: from the store
        late = _page(browser, srv, "alice", f"/agent/calls/{call_id}", (380, 900))
        assert late.locator("#transcript > li").count() == n
        assert late.locator("#cue-urgent_risk").count() == 1
        assert late.locator("#cue-take_a_reset").count() == 1


@pytest.mark.model
@pytest.mark.slow
def test_sidebar_replays_a_synthesized_call(tmp_path: Path, shared_dir: Path) -> None:
    from cues.scripts import load_script
    from transcription.synth import synthesize_script

    script = load_script(shared_dir / "calls" / SCRIPT)
    # the first four turns hold the urgent_risk turn: ~40 s of audio at real time
    short = type(script)(script.id, script.title, script.turns[:4], script.call, script.path)
    result = synthesize_script(short, phone=True, seed=1)
    call_id = "CAe2e0model"
    app = _server_app(tmp_path, engine="whisper")
    with live_server(app) as srv, chromium() as browser:
        _sign_in_by_cookie(app)
        side = _page(browser, srv, "alice", f"/agent/calls/{call_id}", (380, 900))
        # remember every line id that was ever shown as a partial
        side.evaluate(
            "window.__partials = new Set();"
            "new MutationObserver(() => document.querySelectorAll("
            "'#transcript li[data-final=\"0\"]').forEach(li => window.__partials.add(li.id)))"
            ".observe(document.body, {subtree: true, childList: true, attributes: true});"
        )
        streamer = _stream(
            srv, result.audio, call_id, speed=1.0, turn_ends=[tt.end for tt in result.turns]
        )
        began = time.monotonic()
        side.wait_for_selector("#cue-urgent_risk", timeout=120_000)
        turn_end = result.turns[3].end  # the chest-pressure turn
        print(
            f"urgent_risk card {time.monotonic() - began - turn_end:.2f} s after its turn's "
            "audio ended (includes the connection set-up)"
        )
        assert side.locator("#transcript > li").count() >= 2
        streamer.join(timeout=120)
        side.wait_for_selector('#transcript > li[data-final="1"]')
        # real partials were shown provisionally and then replaced in place by finals
        partial_ids = side.evaluate("[...window.__partials]")
        assert partial_ids, "no partial was ever shown"
        side.wait_for_function(
            "ids => ids.every(id => { const li = document.getElementById(id);"
            " return li && li.dataset.final === '1'; })",
            arg=partial_ids,
            timeout=30_000,
        )


def _sign_in(browser: Any, srv: LiveServer, username: str, password: str) -> Any:
    """A fresh browser context signed in through the real /login form."""
    ctx = browser.new_context(viewport={"width": 380, "height": 900})
    page = ctx.new_page()
    page.goto(srv.url + "/login")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', password)
    page.click('button[type="submit"]')
    page.wait_for_load_state()
    return page


def test_signed_in_agent_and_supervisor_on_the_real_app(tmp_path: Path, shared_dir: Path) -> None:
    """Real sign-in, CSRF, CSP and the feedback API: the sidebar works under all of them."""
    from argon2 import PasswordHasher

    from app.security.users import ensure_demo_users
    from cues.scripts import load_script
    from transcription.fake import FakeTranscriptionService, ScriptedUtterance

    script = load_script(shared_dir / "calls" / SCRIPT)
    call_id = "CAsignedin1"
    lines, t = [], 0.5
    for turn in script.turns[:5]:
        dur = 0.25 * len(turn.text.split())
        lines.append(ScriptedUtterance(turn.speaker, turn.text, t, t + dur, call_id))
        t += dur + 0.6
    app = _server_app(tmp_path, FakeTranscriptionService(lines))
    fast = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    if hasattr(app.state, "user_store"):
        app.state.user_store.hasher = fast
    with live_server(app) as srv, chromium() as browser:
        if getattr(app.state, "principal_loader", None) is None:
            pytest.skip("the security module is not installed in this build")
        accounts = ensure_demo_users(app.state.store, agent="alice", hasher=fast)
        side = _sign_in(browser, srv, "alice", accounts["alice"])
        errors: list[str] = []
        side.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        side.goto(f"{srv.url}/agent/calls/{call_id}")
        side.wait_for_selector("#ws-state.conn--open", timeout=15_000)
        sup = _sign_in(browser, srv, "supervisor", accounts["supervisor"])
        sup.goto(srv.url + "/supervisor")
        sup.wait_for_selector("#ws-state.conn--open", timeout=15_000)

        silence = np.zeros((int((t + 1.0) * 16000), 2), dtype=np.float32)
        streamer = _stream(srv, silence, call_id, speed=4.0, turn_ends=[ln.end for ln in lines])
        side.wait_for_selector("#cue-urgent_risk", timeout=30_000)
        sup.wait_for_selector(f"#alert-{call_id}-urgent_risk", timeout=10_000)

        side.locator("#cue-urgent_risk").get_by_role("button", name="Used it").click()
        side.wait_for_selector('#fb-urgent_risk[data-verdict="used"]', timeout=10_000)
        stored = {sc.cue.kind: sc.feedback for sc in app.state.store.cues(call_id)}
        assert stored["urgent_risk"] == {"alice": "used"}

        # a reload shows the answer already given (from the store)
        side.reload()
        side.wait_for_selector('#fb-urgent_risk[data-verdict="used"]', timeout=10_000)
        streamer.join(timeout=60)
        # nothing refused by the CSP, no failed request
        assert not [e for e in errors if "Content Security Policy" in e or "403" in e], errors


def test_browser_capture_feeds_the_real_pipeline(tmp_path: Path) -> None:
    """The capture button end to end: fake microphone -> AudioWorklet PCM16 ->
    /ingest/browser (the real connector, the agent's session as credential) ->
    audio edge -> call session -> (scripted) recognizer -> cue engine -> this sidebar."""
    from argon2 import PasswordHasher

    from app.security.users import ensure_demo_users
    from transcription.fake import FakeTranscriptionService, ScriptedUtterance

    call_id = "CAbrowsercap"
    said = "I'll escalate this and someone will get back to you soon."
    app = _server_app(
        tmp_path,
        FakeTranscriptionService([ScriptedUtterance("agent", said, 0.3, 1.6, call_id)]),
    )
    fast = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    if hasattr(app.state, "user_store"):
        app.state.user_store.hasher = fast
    with live_server(app) as srv, chromium() as browser:
        if getattr(app.state, "principal_loader", None) is None:
            pytest.skip("the security module is not installed in this build")
        accounts = ensure_demo_users(app.state.store, agent="alice", hasher=fast)
        side = _sign_in(browser, srv, "alice", accounts["alice"])
        side.goto(f"{srv.url}/agent/calls/{call_id}")
        side.wait_for_selector("#ws-state.conn--open", timeout=15_000)
        side.click("#capture-btn")
        side.wait_for_selector('#capture-btn[aria-pressed="true"]', timeout=10_000)
        # the agent's words, heard through the browser's microphone, raise the cards
        side.wait_for_selector("#cue-close_the_loop", timeout=20_000)
        side.wait_for_selector("#cue-real_timeline", timeout=5_000)
        assert side.locator('#utt-agent-0[data-final="1"]').count() == 1
        session = app.state.calls.get(call_id)
        assert session is not None and session.source == "browser" and session.agent == "alice"
        side.click("#capture-btn")  # stop: {"event": "stop"} ends the call
        side.wait_for_selector("#call-status.status--ended", timeout=20_000)
        assert not side.locator("#capture-state.is-error").count()
