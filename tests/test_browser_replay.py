"""The replay view in real Chromium: a 30-minute call opens fast, a cue marker seeks
the player and the transcript, a line click seeks, and a live call grows by polling."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from app.security.roles import Principal
from cues.types import CallContext
from tests.browser_support import chromium, live_server
from tests.serverkit import make_app
from tests.trainer_seed import seed_call, utterance

pytestmark = [pytest.mark.browser]

THIRTY_MIN = 30 * 60.0


def _app(tmp: Path, roles: tuple[str, ...] = ("trainer",)):
    app = make_app(tmp, [])
    principal = Principal("tina", frozenset(roles))  # type: ignore[arg-type]

    async def loader(conn):
        return principal

    app.state.principal_loader = loader
    return app


def _wait(page, expr: str, timeout_ms: int = 10_000) -> None:
    """Poll ``expr`` from here: the page's CSP (script-src 'self') forbids the string
    eval that ``page.wait_for_function`` relies on."""
    deadline = time.monotonic() + timeout_ms / 1000
    while not page.evaluate(f"() => Boolean({expr})"):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {expr}")
        time.sleep(0.05)


def test_replay_opens_a_30_minute_call_and_seeks_by_cue_marker(tmp_path: Path) -> None:
    app = _app(tmp_path)
    with live_server(app) as srv:
        store = app.state.store
        ctx = CallContext(arrival="distressed", departments=("billing",), stakes=("money",))
        utts = seed_call(
            store,
            "long-call",
            seconds=THIRTY_MIN,
            context=ctx,
            kinds=("own_it", "orient", "subtext_fear", "real_timeline", "close_the_loop"),
            turn_s=2.5,  # a busy call: 720 lines
        )
        assert len(utts) > 700
        with chromium() as browser:
            page = browser.new_page()
            page.goto(f"{srv.url}/trainer/calls/long-call")
            _wait(page, "document.getElementById('replay').dataset.ready === '1'")
            ready_at = page.evaluate("window.heardReplay.readyAt")
            script_ms = page.evaluate("window.heardReplay.openMs")
            nav = page.evaluate(
                "() => { const n = performance.getEntriesByType('navigation')[0];"
                " return [n.requestStart, n.responseStart, n.responseEnd, n.transferSize]; }"
            )
            print(
                f"\nreplay open, 30-min call, {len(utts)} lines: ready {ready_at:.0f} ms after "
                f"navigation start (server {nav[1] - nav[0]:.0f} ms to first byte, "
                f"{nav[3] / 1024:.0f} KiB, browser {ready_at - nav[2]:.0f} ms after the last "
                f"byte, {script_ms:.0f} ms of it in replay.js)"
            )
            assert page.locator("#rp-lines li").count() == len(utts)
            markers = page.locator(".tl-marker")
            assert markers.count() == 5
            # The player must know the media before a seek means anything.
            _wait(page, "document.getElementById('player').readyState >= 1")

            marker = page.locator('.tl-marker[data-cue-kind="subtext_fear"]')
            target = float(marker.get_attribute("data-seek") or "nan")
            assert target > 300  # well into the call: a real seek, not the start
            marker.click()
            _wait(
                page, f"Math.abs(document.getElementById('player').currentTime - {target}) < 0.05"
            )
            current = page.locator("#rp-lines li.current")
            assert current.count() == 1
            assert abs(float(current.get_attribute("data-start") or "nan") - target) < 0.01
            assert current.get_attribute("data-speaker") == "caller"
            # The highlighted line was scrolled into the transcript's view.
            box = page.locator("#rp-lines").bounding_box()
            line = current.bounding_box()
            assert box and line and box["y"] <= line["y"] <= box["y"] + box["height"]
            # The cue card's evidence line is the one highlighted.
            evidence = page.locator('.rp-cue[data-cue-kind="subtext_fear"]')
            assert evidence.count() == 1

            # A click on a transcript line seeks there too.
            far = page.locator("#rp-lines li").nth(40)
            far.scroll_into_view_if_needed()
            far_start = float(far.get_attribute("data-start") or "nan")
            far.click()
            _wait(
                page,
                f"Math.abs(document.getElementById('player').currentTime - {far_start}) < 0.05",
            )
            assert page.locator("#rp-lines li.current").get_attribute("id") == far.get_attribute(
                "id"
            )

            # Playing moves the highlight word by word (muted: no sound device needed).
            page.evaluate(
                "p => { p.muted = true; p.play(); }", page.locator("#player").element_handle()
            )
            _wait(page, "document.querySelector('#rp-lines li.current .rp-w.now') !== null")
            page.evaluate("document.getElementById('player').pause()")


def test_replay_of_a_live_call_grows_as_lines_are_stored(tmp_path: Path) -> None:
    app = _app(tmp_path, ("supervisor",))
    with live_server(app) as srv:
        store = app.state.store
        utts = seed_call(store, "live-call", seconds=60, state="live", kinds=("own_it",))
        with chromium() as browser:
            page = browser.new_page()
            page.goto(f"{srv.url}/trainer/calls/live-call")
            _wait(page, "document.getElementById('replay').dataset.ready === '1'")
            assert page.locator("#replay").get_attribute("data-live") == "1"
            before = page.locator("#rp-lines li").count()
            assert before == len(utts)
            late = utterance("live-call", "caller", 99, "this is a brand new line", 75.0)
            store.add_utterance(late)
            _wait(page, "document.getElementById('utt-caller-99') !== null", 10_000)
            assert page.locator("#rp-lines li").count() == before + 1
            store.set_state("live-call", "ended", reason="hangup", duration_s=80)
            _wait(page, "document.getElementById('replay').dataset.live === '0'", 10_000)
            assert "ended" in (page.locator("#call-state").text_content() or "")
