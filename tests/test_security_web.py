"""Sign-in, sessions, CSRF, headers and bad input, through the real app."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.security.sessions import CSRF_COOKIE, SESSION_COOKIE
from tests.security_support import accounts, login, make_app, signed_in


@pytest.fixture
def app(tmp_path: Path):  # type: ignore[no-untyped-def]
    return make_app(tmp_path)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    with TestClient(app) as c:
        yield c


@pytest.fixture
def creds(app, client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return accounts(app)


def _audit(app, **kw):  # type: ignore[no-untyped-def]
    return app.state.audit_log.query(**kw)


def test_login_sets_hardened_cookies_and_lands_on_role_home(app, client, creds) -> None:  # type: ignore[no-untyped-def]
    r = login(client, "supervisor", creds["supervisor"])
    assert r.status_code == 303 and r.headers["location"] == "/supervisor"
    cookies = {c.split("=")[0]: c for c in r.headers.get_list("set-cookie")}
    session = cookies[SESSION_COOKIE].lower()
    assert "httponly" in session and "samesite=strict" in session
    assert "httponly" not in cookies[CSRF_COOKIE].lower()  # the page script reads it
    assert client.get("/supervisor").status_code == 200
    assert _audit(app, actor="supervisor", action="login")


def test_cookie_is_secure_off_localhost(app, creds) -> None:  # type: ignore[no-untyped-def]
    c = TestClient(app, base_url="https://heard.example.org")
    r = login(c, "admin", creds["admin"])
    session = next(x for x in r.headers.get_list("set-cookie") if x.startswith(SESSION_COOKIE))
    assert "secure" in session.lower()
    # Plain http on a real host name: cookies are Secure all the same, so the browser
    # never returns them and sign-in cannot happen without TLS.
    plain = TestClient(app, base_url="http://heard.example.org")
    assert login(plain, "admin", creds["admin"]).status_code == 403


def test_wrong_password_and_unknown_user_look_the_same(app, client, creds) -> None:  # type: ignore[no-untyped-def]
    a = login(client, "agent", "not-the-password")
    b = login(client, "nobody", "not-the-password")
    assert a.status_code == b.status_code == 401
    assert "Wrong username or password" in a.text and "Wrong username or password" in b.text
    assert SESSION_COOKIE not in client.cookies
    refused = _audit(app, action="login_refused")
    assert {e.actor for e in refused} >= {"agent", "nobody"}
    assert all("not-the-password" not in str(e.detail) for e in refused)


def test_login_is_throttled(app, client, creds) -> None:  # type: ignore[no-untyped-def]
    for _ in range(5):
        assert login(client, "agent", "wrong-wrong-wrong").status_code == 401
    r = login(client, "agent", creds["agent"])  # even the right password waits now
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0


def test_login_form_needs_its_csrf_token(client, creds) -> None:  # type: ignore[no-untyped-def]
    client.get("/login")
    r = client.post("/login", data={"username": "admin", "password": creds["admin"],
                                    "csrf_token": "0" * 64}, follow_redirects=False)
    assert r.status_code == 403 and SESSION_COOKIE not in client.cookies


def test_session_rotates_at_login_and_dies_at_logout(app, client, creds) -> None:  # type: ignore[no-untyped-def]
    login(client, "admin", creds["admin"])
    first = client.cookies[SESSION_COOKIE]
    login(client, "admin", creds["admin"])
    second = client.cookies[SESSION_COOKIE]
    assert first != second
    stale = TestClient(app, cookies={SESSION_COOKIE: first})
    assert stale.get("/admin").status_code == 401  # the pre-login token is dead
    r = client.post("/logout", data={"csrf_token": client.cookies[CSRF_COOKIE]},
                    follow_redirects=False)
    assert r.status_code == 303
    replay = TestClient(app, cookies={SESSION_COOKIE: second})
    assert replay.get("/admin").status_code == 401


def test_sessions_expire_idle_and_absolute(app, client, creds) -> None:  # type: ignore[no-untyped-def]
    now = [1_000_000.0]
    app.state.sessions.clock = lambda: now[0]
    login(client, "admin", creds["admin"])
    now[0] += 29 * 60
    assert client.get("/admin").status_code == 200
    now[0] += 31 * 60  # idle 31 minutes
    assert client.get("/admin").status_code == 401
    login(client, "admin", creds["admin"])
    for _ in range(30):  # active every 25 minutes, but 12 hours is the limit
        now[0] += 25 * 60
        client.get("/admin")
    assert client.get("/admin").status_code == 401


def test_removed_or_reset_user_is_signed_out_at_once(app, creds) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app) as _:
        agent = signed_in(app, "agent", creds["agent"])
        trainer = signed_in(app, "trainer", creds["trainer"])
        assert agent.get("/agent").status_code == 200
        # As the CLI does it, from outside the server: straight to the users table.
        app.state.user_store.remove("agent")
        assert agent.get("/agent").status_code == 401
        app.state.user_store.reset("trainer", "a-brand-new-password")
        assert trainer.get("/trainer").status_code == 401


def test_unauthenticated_page_redirects_to_login_and_back(app, client, creds) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/supervisor", headers={"accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fsupervisor"
    r = login(client, "admin", creds["admin"], next_path="//evil.example/x")
    assert r.headers["location"] == "/admin"  # open redirect refused
    assert client.get("/api/calls/x", headers={"accept": "application/json"}).status_code != 303


def test_csrf_required_for_state_changes_with_a_session(app, client, creds) -> None:  # type: ignore[no-untyped-def]
    login(client, "admin", creds["admin"])
    form = {"username": "newbie", "role": ["agent"]}
    assert client.post("/admin/users", data=form).status_code == 403
    assert client.post("/admin/users", data=form,
                       headers={"x-csrf-token": "f" * 64}).status_code == 403
    ok = client.post("/admin/users", data=form,
                     headers={"x-csrf-token": client.cookies[CSRF_COOKIE]})
    assert ok.status_code == 200 and "newbie" in ok.text
    form2 = {"username": "newbie2", "role": ["agent"], "csrf_token": client.cookies[CSRF_COOKIE]}
    assert client.post("/admin/users", data=form2).status_code == 200  # plain form field
    cross = client.post("/admin/users", data={**form2, "username": "newbie3"},
                        headers={"origin": "https://evil.example"})
    assert cross.status_code == 403
    assert _audit(app, action="csrf_refused")


def test_cross_site_websocket_refused(app, client, creds) -> None:  # type: ignore[no-untyped-def]
    from starlette.websockets import WebSocketDisconnect

    login(client, "supervisor", creds["supervisor"])
    with pytest.raises(WebSocketDisconnect), client.websocket_connect(
        "/ws/supervisor", headers={"origin": "https://evil.example"}
    ):
        pass


def test_security_headers(client, creds) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/login")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp and r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"
    assert r.headers["cache-control"] == "no-store"
    assert "strict-transport-security" not in r.headers  # plain http here
    https = TestClient(client.app, base_url="https://localhost").get("/healthz")
    assert "max-age" in https.headers["strict-transport-security"]


def test_frame_ancestors_configurable(tmp_path: Path) -> None:
    from app.security.config import SecuritySettings

    app = make_app(tmp_path, security=SecuritySettings(
        frame_ancestors=["https://apps.mypurecloud.com"]))
    with TestClient(app) as c:
        r = c.get("/login")
        assert "frame-ancestors https://apps.mypurecloud.com" in r.headers[
            "content-security-policy"]
        assert "x-frame-options" not in r.headers


def test_oversized_and_malformed_cookies_and_headers(app, client, creds) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/healthz", headers={"cookie": "a=" + "x" * 5000})
    assert r.status_code == 431 and "x" * 50 not in r.text
    r = client.get("/healthz", headers={"x-junk": "y" * 9000})
    assert r.status_code == 431
    for bad in ['heard_session="unterminated', "heard_session=../../etc/passwd",
                "heard_session=" + "A" * 43 + "; =;;==", "\x7f\x00=1"]:
        r = TestClient(app).get("/admin", headers={"cookie": bad})
        assert r.status_code == 401  # anonymous, never a 500


def test_audit_log_is_append_only_in_the_database(app, client, creds) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text
    from sqlalchemy.exc import DatabaseError

    login(client, "admin", creds["admin"])
    engine = app.state.store.engine
    for stmt in ("UPDATE audit_log SET actor = 'someone-else'", "DELETE FROM audit_log"):
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(text(stmt))
    assert app.state.audit_log.verify_chain() is None
    # Tampering that bypasses the triggers (dropping them first) breaks the chain.
    with engine.begin() as conn:
        conn.execute(text("DROP TRIGGER audit_log_no_update"))
        conn.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE id = 1"))
    assert app.state.audit_log.verify_chain() == 1


def test_admin_audit_view_filters_and_exports(app, client, creds) -> None:  # type: ignore[no-untyped-def]
    login(client, "agent", "wrong-password-x")
    login(client, "admin", creds["admin"])
    page = client.get("/admin/audit", params={"action": "login_refused"})
    assert page.status_code == 200 and "login_refused" in page.text
    csv_ = client.get("/admin/audit/export", params={"format": "csv"})
    assert csv_.headers["content-type"].startswith("text/csv")
    assert csv_.text.splitlines()[0].startswith("id,at,actor,action")
    jl = client.get("/admin/audit/export", params={"format": "jsonl", "actor": "admin"})
    import json

    rows = [json.loads(x) for x in jl.text.splitlines()]
    assert rows and all(r["actor"] == "admin" for r in rows)
    assert client.get("/admin/audit", params={"action": "drop table"}).status_code == 400


def test_access_to_call_data_is_audited(app, client, creds) -> None:  # type: ignore[no-untyped-def]
    app.state.store.open_call("call-77", "agent", "pcm")
    login(client, "supervisor", creds["supervisor"])
    assert client.get("/api/calls/call-77/transcript").status_code == 200
    entries = _audit(app, action="view_transcript", target_id="call-77")
    assert entries and entries[0].actor == "supervisor" and entries[0].outcome == "ok"
    assert entries[0].ip


def test_admin_user_management_round_trip(app, client, creds) -> None:  # type: ignore[no-untyped-def]
    login(client, "admin", creds["admin"])
    h = {"x-csrf-token": client.cookies[CSRF_COOKIE]}
    r = client.post("/admin/users", data={"username": "dana", "role": ["trainer"]}, headers=h)
    import re

    password = re.search(r'<code class="secret">([^<]+)</code>', r.text).group(1)  # type: ignore[union-attr]
    dana = signed_in(app, "dana", password)
    assert dana.get("/trainer").status_code == 200
    assert client.post("/admin/users/dana/roles", data={"role": ["agent"]},
                       headers=h, follow_redirects=False).status_code == 303
    assert dana.get("/trainer").status_code == 403  # roles re-read on every request
    assert client.post("/admin/users/dana/remove", headers=h,
                       follow_redirects=False).status_code == 303
    assert dana.get("/agent").status_code == 401
    assert client.post("/admin/users/admin/remove", headers=h).status_code == 400


def test_retention_settings_page_and_hold(app, client, creds) -> None:  # type: ignore[no-untyped-def]
    store = app.state.store
    store.open_call("old-call", "agent", "pcm")
    login(client, "admin", creds["admin"])
    h = {"x-csrf-token": client.cookies[CSRF_COOKIE]}
    r = client.post("/admin/holds", data={"call_id": "old-call", "hold": "1"}, headers=h,
                    follow_redirects=False)
    assert r.status_code == 303
    page = client.get("/admin/retention")
    assert "old-call" in page.text and "30 days" in page.text
    assert client.post("/admin/holds", data={"call_id": "nope"}, headers=h).status_code == 404


def test_timestamps_are_utc(app, client, creds) -> None:  # type: ignore[no-untyped-def]
    login(client, "admin", creds["admin"])
    (entry, *_) = _audit(app, action="login")
    assert abs(entry.at - datetime.now(UTC)) < timedelta(minutes=1)
    assert asyncio.iscoroutinefunction(app.state.audit_log.arecord)


def test_call_data_masked_per_role(app, client, creds) -> None:  # type: ignore[no-untyped-def]
    from app.store.models import UtteranceRow

    store = app.state.store
    store.open_call("call-phi", "agent", "pcm")
    text = "sure my date of birth is march third nineteen eighty five"
    words = [[w, 0.0, 0.1, 0.9] for w in text.split()]
    with store.session() as s:
        s.add(UtteranceRow(call_id="call-phi", speaker="caller", seq=0, text=text, start=0.0,
                           end=3.0, confidence=0.9, words=words,
                           created_at=datetime.now(UTC)))

    def transcript(who: str) -> dict:  # type: ignore[type-arg]
        c = signed_in(app, who, creds[who])
        body = c.get("/api/calls/call-phi/transcript").json()
        c.close()
        return body["utterances"][0]  # type: ignore[no-any-return]

    trainer = transcript("trainer")
    assert trainer["text"] == "sure my date of birth is [DOB]"
    assert "march" not in str(trainer["words"]).lower() and "[DOB]" in str(trainer["words"])
    assert transcript("agent")["text"] == text  # live agent on their own call
    assert transcript("supervisor")["text"] == text
    assert transcript("admin")["text"].endswith("[DOB]")


def test_path_tricks_in_recording_names_are_refused(app, client, creds) -> None:  # type: ignore[no-untyped-def]
    app.state.store.open_call("call-rec", "agent", "pcm")
    secret = app.state.store.data_dir.parent / "secret.txt"
    secret.write_text("outside the data dir")
    login(client, "admin", creds["admin"])
    for path in ("/api/calls/call-rec/audio/..%2F..%2Fsecret.txt.wav",
                 "/api/calls/call-rec/audio/..%2Fcaller.wav",
                 "/api/calls/..%2F..%2Fsecret/audio/caller.wav",
                 "/api/calls/call-rec/audio/caller.wav%00.txt",
                 "/api/calls/call-rec/audio/%2e%2e/%2e%2e/secret.txt"):
        r = client.get(path)
        assert r.status_code in (404, 422), (path, r.status_code)
        assert "outside the data dir" not in r.text


def test_retention_runs_in_the_app_lifespan(app, client) -> None:  # type: ignore[no-untyped-def]
    async def names() -> set[str]:
        return {t.get_name() for t in asyncio.all_tasks()}

    running = client.portal.call(names)  # type: ignore[union-attr]
    assert "heard-retention" in running
    import time

    deadline = time.monotonic() + 10
    while not (runs := app.state.audit_log.query(action="retention_run")):
        assert time.monotonic() < deadline, "the first retention run never happened"
        time.sleep(0.05)
    assert runs[0].actor == "retention"


def test_open_websocket_closes_when_the_user_is_removed(app, client, creds) -> None:  # type: ignore[no-untyped-def]
    from starlette.websockets import WebSocketDisconnect

    from app.events import CallStarted

    app.state.session_watch_interval_s = 0.0
    sup = signed_in(app, "supervisor", creds["supervisor"])

    def push(call_id: str) -> None:
        client.portal.call(app.state.bus.publish,  # type: ignore[union-attr]
                           CallStarted(call_id, "agent", "pcm", started_at=1_700_000_000.0))

    with sup.websocket_connect("/ws/supervisor") as ws:
        ws.receive_text()  # the snapshot
        push("call-a")
        assert "call-a" in ws.receive_text()  # still signed in: pushes arrive
        app.state.user_store.remove("supervisor")  # from the CLI, say
        push("call-b")
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                assert "call-b" not in ws.receive_text()  # no call data after removal
        assert closed.value.code == 1008
    sup.close()
