"""The ingest authenticator installed on ``app.state.ingest_authenticator``.

Each connector's ``authenticate`` hook calls it before accepting the websocket:
Twilio's signature, AudioHook's API key and message signature, the PCM socket's
bearer token (app.security.signatures). When a connector has credentials configured
they are always checked; when none are configured the connection is admitted only if
``allow_unauthenticated_ingest`` is on (development) and the peer is this machine; that
is logged. Every
refusal is audited with a reason code and the peer address (no secrets, no PHI).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from starlette.websockets import WebSocket

from app.security.config import SecuritySettings
from app.security.signatures import (
    AudioHookCredential,
    NonceCache,
    SignatureCheck,
    verify_audiohook,
    verify_bearer,
    verify_twilio,
)

log = logging.getLogger("heard.security")

#: Peers that may use ``allow_unauthenticated_ingest`` (the demo's replay on this
#: machine; "testclient" is Starlette's in-process test client, never a network peer).
#: Anyone else must present the connector's credentials, whatever the setting says.
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost", "testclient"})


def _secret(v: Any) -> str | None:
    if v is None:
        return None
    return str(v.get_secret_value()) if hasattr(v, "get_secret_value") else str(v)


def twilio_candidate_urls(ws: WebSocket, public_url: str | None, extra: list[str]) -> list[str]:
    """The URLs Twilio may have signed: the configured public URL + our path and query,
    and the URL as this request arrived (wss/ws by how it came in)."""
    path = ws.scope.get("raw_path", ws.url.path.encode()).decode("latin-1")
    query = ws.url.query
    tail = path + ("?" + query if query else "")
    out: list[str] = []
    if public_url:
        base = public_url.rstrip("/")
        base = base.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
        out.append(base + tail)
    host = ws.headers.get("host", "")
    scheme = "wss" if ws.url.scheme in ("wss", "https") else "ws"
    if host:
        out.append(f"{scheme}://{host}{tail}")
        if scheme == "ws":
            out.append(f"wss://{host}{tail}")  # TLS terminated by a proxy in front of us
    out.extend(u + ("?" + query if query and "?" not in u else "") for u in extra)
    return out


class IngestAuthenticator:
    def __init__(self, settings: Any, security: SecuritySettings, audit: Any = None) -> None:
        self.settings = settings
        self.security = security
        self.audit = audit
        self.nonces = NonceCache(ttl_s=600.0)

    def check(self, connector: str, ws: WebSocket) -> tuple[SignatureCheck, bool]:
        """(result, configured). ``configured`` is False when the connector has no
        credentials at all."""
        s = self.settings
        if connector == "twilio":
            token = _secret(getattr(s, "twilio_auth_token", None))
            if not token:
                return SignatureCheck(False, "not_configured"), False
            urls = twilio_candidate_urls(ws, getattr(s, "public_url", None),
                                         self.security.twilio_urls)
            return verify_twilio([token], urls, ws.headers.get("x-twilio-signature")), True
        if connector == "audiohook":
            key = _secret(getattr(s, "audiohook_api_key", None))
            if not key:
                return SignatureCheck(False, "not_configured"), False
            secret = _secret(getattr(s, "audiohook_client_secret", None))
            cred = AudioHookCredential("audiohook", key, secret or None)
            headers = {k.lower(): v for k, v in ws.headers.items()}
            raw_path = ws.scope.get("raw_path", ws.url.path.encode()).decode("latin-1")
            target = raw_path + ("?" + ws.url.query if ws.url.query else "")
            return verify_audiohook(headers, request_target=target, authority=None,
                                    credentials=[cred], nonces=self.nonces), True
        if connector == "pcm":
            hashes = dict(getattr(s, "integration_token_hashes", {}) or {})
            if not hashes:
                return SignatureCheck(False, "not_configured"), False
            table = {k: (v if v.startswith("sha256:") else "sha256:" + v)
                     for k, v in hashes.items()}
            return verify_bearer(ws.headers.get("authorization"), table), True
        return SignatureCheck(False, "unknown_connector"), True

    async def __call__(self, connector: str, ws: WebSocket) -> Any:
        from app.ingest.base import IntegrationPrincipal

        result, configured = self.check(connector, ws)
        ip = ws.client.host if ws.client else ""
        if result.ok:
            await self._audit("-" if not result.integration else result.integration,
                              "ingest_connect", "ok", connector, ip, result.reason)
            return IntegrationPrincipal(result.integration or connector, connector)
        if (
            not configured
            and getattr(self.settings, "allow_unauthenticated_ingest", False)
            and ip in LOOPBACK
        ):
            log.warning("ingest admitted WITHOUT authentication (development setting)",
                        extra={"connector": connector})
            await self._audit("unauthenticated", "ingest_connect", "ok", connector, ip,
                              "unauthenticated")
            return IntegrationPrincipal("unauthenticated", connector, authenticated=False)
        log.warning("ingest refused", extra={"connector": connector, "reason": result.reason})
        await self._audit("-", "ingest_refused", "refused", connector, ip, result.reason)
        if self.security.ingest_failure_delay_s:
            await asyncio.sleep(self.security.ingest_failure_delay_s)
        return None

    async def _audit(self, actor: str, action: str, outcome: str, connector: str, ip: str,
                     reason: str) -> None:
        if self.audit is None:
            return
        try:
            await self.audit.arecord(actor, action, outcome=outcome, target_type="ingest",
                                     target_id=connector, ip=ip, detail={"reason": reason})
        except Exception:
            log.exception("audit write failed")
