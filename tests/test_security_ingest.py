"""Phone-system authentication on the real websocket upgrades of the app."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app.security.config import SecuritySettings
from app.security.signatures import hash_token
from tests.security_support import make_app

TOKEN = "twilio-auth-token-0123456789"
API_KEY = "YXVkaW9ob29rLWFwaS1rZXk="
SECRET_B64 = base64.b64encode(b"the-client-secret-of-this-integration").decode()
PCM_TOKEN = "pcm-integration-token-abcdefghijklmnop"


@pytest.fixture
def client(tmp_path: Path) -> Any:
    app = make_app(
        tmp_path, allow_unauthenticated_ingest=False, twilio_auth_token=TOKEN,
        public_url="https://heard.example.org", audiohook_api_key=API_KEY,
        audiohook_client_secret=SECRET_B64,
        integration_token_hashes={"pbx-east": hash_token(PCM_TOKEN)},
        security=SecuritySettings(ingest_failure_delay_s=0),
    )
    with TestClient(app) as c:
        yield c


def accepted(client: TestClient, path: str, headers: dict[str, str]) -> bool:
    try:
        with client.websocket_connect(path, headers=headers):
            return True
    except WebSocketDisconnect:
        return False


def twilio_sig(url: str) -> str:
    return base64.b64encode(hmac.new(TOKEN.encode(), url.encode(), hashlib.sha1).digest()).decode()


def test_twilio_upgrade_signature(client: TestClient) -> None:
    good = twilio_sig("wss://heard.example.org/ingest/twilio?site=north")
    assert accepted(client, "/ingest/twilio?site=north", {"x-twilio-signature": good})
    # The query string is signed: another one, or none, is refused.
    assert not accepted(client, "/ingest/twilio?site=south", {"x-twilio-signature": good})
    assert not accepted(client, "/ingest/twilio", {"x-twilio-signature": good})
    assert not accepted(client, "/ingest/twilio", {})
    log = client.app.state.audit_log  # type: ignore[attr-defined]
    assert log.query(action="ingest_connect", target_id="twilio")
    reasons = {e.detail["reason"] for e in log.query(action="ingest_refused")}
    assert reasons == {"mismatch", "missing"}


def audiohook_headers(
    created: int, nonce: str, target: str = "/ingest/audiohook"
) -> dict[str, str]:
    ids = {
        "audiohook-organization-id": "d7934305-0972-4844-938e-9060eef73d05",
        "audiohook-session-id": "e160e428-53e2-487c-977d-96989bf5c99d",
        "audiohook-correlation-id": "30b0e395-84d3-4570-ac13-9a62d8f514c0",
    }
    inner = ('("@request-target" "@authority" "audiohook-organization-id" "audiohook-session-id" '
             '"audiohook-correlation-id" "x-api-key")'
             f';keyid="{API_KEY}";nonce="{nonce}";alg="hmac-sha256";created={created};'
             f"expires={created + 60}")
    base = "\n".join([
        f'"@request-target": {target}',
        '"@authority": testserver',
        *(f'"{k}": {v}' for k, v in ids.items()),
        f'"x-api-key": {API_KEY}',
        f'"@signature-params": {inner}',
    ])
    mac = hmac.new(base64.b64decode(SECRET_B64), base.encode(), hashlib.sha256).digest()
    return {**ids, "x-api-key": API_KEY, "signature-input": f"sig1={inner}",
            "signature": f"sig1=:{base64.b64encode(mac).decode()}:"}


def test_audiohook_upgrade_signature_and_replay(client: TestClient) -> None:
    h = audiohook_headers(int(time.time()), secrets.token_urlsafe(24))
    assert accepted(client, "/ingest/audiohook", h)
    assert not accepted(client, "/ingest/audiohook", h)  # the same nonce again: replay
    stale = audiohook_headers(int(time.time()) - 3600, secrets.token_urlsafe(24))
    assert not accepted(client, "/ingest/audiohook", stale)
    forged = audiohook_headers(int(time.time()), secrets.token_urlsafe(24))
    forged["audiohook-session-id"] = "00000000-0000-0000-0000-000000000000"
    assert not accepted(client, "/ingest/audiohook", forged)
    log = client.app.state.audit_log  # type: ignore[attr-defined]
    reasons = {e.detail["reason"] for e in log.query(action="ingest_refused")}
    assert reasons == {"replayed", "expired", "mismatch"}


def test_pcm_bearer_token(client: TestClient) -> None:
    assert accepted(client, "/ingest/pcm", {"authorization": f"Bearer {PCM_TOKEN}"})
    assert not accepted(client, "/ingest/pcm", {"authorization": f"Bearer {PCM_TOKEN}x"})
    assert not accepted(client, "/ingest/pcm", {"authorization": "Basic Zm9vOmJhcg=="})
    log = client.app.state.audit_log  # type: ignore[attr-defined]
    assert log.query(action="ingest_connect", actor="pbx-east")
    # Secrets never reach the audit log.
    dump = str([e.as_json() for e in log.query(limit=None)])
    assert PCM_TOKEN not in dump and TOKEN not in dump


def test_unauthenticated_ingest_only_from_this_machine(tmp_path: Path) -> None:
    from app.security.ingest_auth import IngestAuthenticator

    app = make_app(tmp_path, allow_unauthenticated_ingest=True,
                   security=SecuritySettings(ingest_failure_delay_s=0))
    guard: IngestAuthenticator = app.state.ingest_authenticator

    class Peer:
        def __init__(self, host: str) -> None:
            self.client = type("C", (), {"host": host})()
            self.headers: dict[str, str] = {}

    import asyncio

    local = asyncio.run(guard("pcm", Peer("127.0.0.1")))  # type: ignore[arg-type]
    remote = asyncio.run(guard("pcm", Peer("203.0.113.7")))  # type: ignore[arg-type]
    assert local is not None and not local.authenticated
    assert remote is None


def test_ingest_needs_credentials_by_default(tmp_path: Path) -> None:
    """Out of the box no connector admits a caller without credentials, loopback or not."""
    from app.settings import Settings

    assert Settings().allow_unauthenticated_ingest is False
    app = make_app(tmp_path, security=SecuritySettings(ingest_failure_delay_s=0))
    with TestClient(app) as c:
        for path in ("/ingest/twilio", "/ingest/pcm", "/ingest/audiohook"):
            assert not accepted(c, path, {}), path
        refused = c.app.state.audit_log.query(action="ingest_refused")  # type: ignore[attr-defined]
        assert len(refused) >= 3
