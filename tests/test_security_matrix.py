"""The role-by-route matrix: every route and websocket of the real app, tried as each
role and as nobody, with real sign-ins. No door may open to a role the security
policy below does not let through it, and ``heard routes`` must say what the app does.

The policy is written here from the product's rules, not read from the code:
agent (own live calls only), supervisor (queue, any live call, debriefs), trainer
(the recorded-call library), admin (users, settings, retention). A new route that
the policy does not classify fails the test until someone decides who may use it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app.routes_cli import list_routes
from app.security.config import SecuritySettings
from app.security.sessions import CSRF_COOKIE
from app.security.signatures import hash_token
from tests.security_support import FAST, accounts, login, make_app, signed_in

PUBLIC = "public"
INTEGRATION = "integration"
EVERYONE = frozenset({"agent", "supervisor", "trainer", "admin"})
POLICY: list[tuple[str, frozenset[str] | str]] = [
    (r"^/$|^/login$|^/healthz$|^/metrics$|^/static/", PUBLIC),
    (r"^/logout$", EVERYONE),
    (r"^/admin(/|$)", frozenset({"admin"})),
    (r"^/supervisor(/|$)|^/ws/supervisor$", frozenset({"supervisor", "admin"})),
    (r"^/agent(/|$)|^/ws/calls/|^/ingest/browser/", frozenset({"agent", "supervisor", "admin"})),
    (r"^/api/calls/[^/]+/cues/.+/feedback$", frozenset({"agent", "supervisor", "admin"})),
    (r"^/api/calls/", EVERYONE),
    (r"^/(trainer|library)(/|$)", frozenset({"trainer", "supervisor", "admin"})),
    (r"^/ingest/(twilio|audiohook|pcm)$", INTEGRATION),
]
PARAMS = {"call_id": "call-own", "speaker": "caller", "cue_id": "cue-1", "username": "nobody",
          "agent": "agent", "debrief_id": "1", "path": "heard.css"}
IDENTITIES = ("anonymous", "agent", "supervisor", "trainer", "admin")


def policy_for(path: str) -> frozenset[str] | str:
    for pattern, allowed in POLICY:
        if re.search(pattern, path):
            return allowed
    raise AssertionError(f"route {path} is not in the security policy: decide who may use it")


def concrete(path: str) -> str:
    def fill(m: re.Match[str]) -> str:
        return PARAMS[m.group(1).split(":")[0]]

    return re.sub(r"\{([^}]+)\}", fill, path)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp: Path = tmp_path_factory.mktemp("matrix")
    app = make_app(
        tmp,
        allow_unauthenticated_ingest=False,
        twilio_auth_token="twilio-token-for-tests",
        public_url="https://heard.example.org",
        audiohook_api_key="YXVkaW9ob29rLWtleQ==",
        audiohook_client_secret="c2VjcmV0LXNlY3JldC1zZWNyZXQ=",
        integration_token_hashes={"pbx": hash_token("pbx-token-for-tests")},
        security=SecuritySettings(ingest_failure_delay_s=0),
    )
    with TestClient(app) as boot:
        creds = accounts(app)
        app.state.user_store.add("agent2", ["agent"], "agent2-password-long", "")
        app.state.store.open_call("call-own", "agent", "pcm")
        app.state.store.open_call("call-other", "agent2", "pcm")
        clients: dict[str, TestClient] = {"anonymous": TestClient(app)}
        for name in IDENTITIES[1:]:
            clients[name] = signed_in(app, name, creds[name])
        yield app, creds, clients, boot
        for c in clients.values():
            c.close()


def _http(client: TestClient, method: str, path: str) -> int:
    headers = {"accept": "application/json"}
    if CSRF_COOKIE in client.cookies:
        headers["x-csrf-token"] = client.cookies[CSRF_COOKIE]  # authz is under test, not CSRF
    r = client.request(method, path, headers=headers, follow_redirects=False)
    return r.status_code


def _ws(client: TestClient, path: str) -> bool:
    """True when the upgrade was accepted."""
    try:
        with client.websocket_connect(path):
            return True
    except WebSocketDisconnect:
        return False
    except Exception as e:  # a denial response (HTTP 403 at the upgrade)
        if type(e).__name__ == "WebSocketDenialResponse":
            return False
        raise


def test_every_route_is_in_the_policy_and_declared_within_it(world: Any) -> None:
    app, *_ = world
    routes = list_routes(app)
    assert len(routes) >= 20
    for r in routes:
        allowed = policy_for(r.path)
        if allowed == PUBLIC:
            assert r.auth == "public" and r.roles == [], r
        elif allowed == INTEGRATION:
            assert r.auth == "integration" and r.roles == [], r
        else:
            assert r.auth == "session", f"{r.path} has no require(): every door needs one"
            assert set(r.roles) <= allowed, f"{r.path} declares {r.roles}, policy {allowed}"


def test_matrix(world: Any) -> None:
    app, creds, clients, _ = world
    failures: list[str] = []
    rows: list[str] = []
    for r in list_routes(app):
        allowed = policy_for(r.path)
        path = concrete(r.path)
        for method in r.methods or ["WS"]:
            passed: set[str] = set()
            for who in IDENTITIES:
                client = clients[who]
                if r.kind == "websocket":
                    ok = _ws(client, path)
                else:
                    status = _http(client, method, path)
                    ok = status not in (401, 403)
                    if status >= 500:
                        failures.append(f"{method} {path} as {who}: {status}")
                if ok:
                    passed.add(who)
                if r.path == "/logout" and who != "anonymous" and ok:
                    clients[who] = signed_in(app, who, creds[who])  # sign back in
            rows.append(f"{method:<6} {r.path:<50} {','.join(sorted(passed)) or '-'}")
            if allowed == PUBLIC:
                continue
            if "anonymous" in passed:
                failures.append(f"{method} {r.path}: open to anonymous")
            if allowed == INTEGRATION:
                if passed:
                    failures.append(f"{method} {r.path}: a session opened an ingest socket")
                continue
            assert isinstance(allowed, frozenset)
            if passed - allowed:
                failures.append(f"{method} {r.path}: open to {sorted(passed - allowed)}")
            if passed != set(r.roles):
                failures.append(f"{method} {r.path}: passes {sorted(passed)}, "
                                f"heard routes says {r.roles}")
    print("\n".join(rows))
    assert not failures, "\n".join(failures)


def test_agents_see_only_their_own_calls(world: Any) -> None:
    app, _creds, _clients, _ = world
    other = signed_in(app, "agent2", "agent2-password-long")
    own = _http(other, "GET", "/api/calls/call-other/transcript")
    assert own == 200
    for path in ("/api/calls/call-own", "/api/calls/call-own/transcript",
                 "/api/calls/call-own/cues", "/agent/calls/call-own"):
        assert _http(other, "GET", path) in (403, 404), path
    assert not _ws(other, "/ws/calls/call-own")
    assert not _ws(other, "/ingest/browser/call-own")
    other.close()


def test_ingest_refuses_without_integration_credentials(world: Any) -> None:
    app, *_ = world
    anon = TestClient(app)
    for path in ("/ingest/twilio", "/ingest/audiohook", "/ingest/pcm"):
        assert not _ws(anon, path)
    assert not _ws(anon, "/ingest/pcm?token=pbx-token-for-tests")  # never from the URL
    refused = app.state.audit_log.query(action="ingest_refused")
    assert {e.target_id for e in refused} >= {"twilio", "audiohook", "pcm"}


def test_fast_hasher_is_only_for_tests() -> None:
    from app.security.passwords import DEFAULT_HASHER

    assert DEFAULT_HASHER.memory_cost > FAST.memory_cost
    assert login  # imported helper used by the fixtures
