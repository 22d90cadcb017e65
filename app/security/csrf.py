"""CSRF protection for every state-changing request made with a session cookie.

Signed double submit: the token is an HMAC of the session token (so it cannot be
forged without the session, and needs no storage). htmx requests send it in the
``X-CSRF-Token`` header (static/heard.js copies it from the ``heard_csrf`` cookie);
plain forms send it as the ``csrf_token`` field. Requests without a session cookie
carry no ambient authority and are left to ``require`` (401). The sign-in form has
its own pre-session token (checked by the login route). A cross-origin ``Origin``
header is refused too, and a websocket upgrade carrying the session cookie must
come from our own origin (cross-site websocket hijacking).
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.security.sessions import CSRF_FIELD, CSRF_HEADER, SESSION_COOKIE, read_cookie

log = logging.getLogger("heard.security")

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
EXEMPT = frozenset({"/login"})
MAX_FORM_BYTES = 64 * 1024


def same_origin(conn: HTTPConnection) -> bool:
    """False only when an Origin header names another origin than the Host we serve."""
    origin = conn.headers.get("origin")
    if origin is None:
        return True
    if origin == "null":
        return False
    host = conn.headers.get("host", "")
    return urlsplit(origin).netloc.lower() == host.lower()


class CSRFMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def _refuse(self, scope: Scope, send: Send, reason: str) -> None:
        log.warning("request refused: csrf",
                    extra={"reason": reason, "method": scope.get("method")})
        auditor = getattr(scope["app"].state, "audit_log", None) if "app" in scope else None
        if auditor is not None:
            client = scope.get("client") or ("", 0)
            try:
                await auditor.arecord("-", "csrf_refused", outcome="refused", ip=client[0],
                                      detail={"reason": reason, "path": scope["path"][:100]})
            except Exception:  # the refusal stands even if the audit write fails
                log.exception("audit write failed")
        await send({"type": "http.response.start", "status": 403,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
        await send({"type": "http.response.body", "body": b"request refused (CSRF check)\n"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            conn = HTTPConnection(scope)
            if read_cookie(conn, SESSION_COOKIE) is not None and not same_origin(conn):
                log.warning("websocket refused: cross-origin",
                            extra={"path_len": len(scope["path"])})
                await send({"type": "websocket.close", "code": 1008})
                return
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http" or scope["method"] not in UNSAFE:
            await self.app(scope, receive, send)
            return
        conn = HTTPConnection(scope)
        if not same_origin(conn):
            await self._refuse(scope, send, "cross_origin")
            return
        if scope["path"] in EXEMPT or read_cookie(conn, SESSION_COOKIE) is None:
            await self.app(scope, receive, send)
            return
        auth = getattr(scope["app"].state, "session_auth", None)
        if auth is None:
            await self._refuse(scope, send, "no_session_auth")
            return
        presented = conn.headers.get(CSRF_HEADER)
        body_messages: list[Message] = []
        if presented is None and conn.headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"
        ):
            body = b""
            more = True
            while more:
                message = await receive()
                body_messages.append(message)
                if message["type"] != "http.request":
                    break
                body += message.get("body", b"")
                more = message.get("more_body", False)
                if len(body) > MAX_FORM_BYTES:
                    await self._refuse(scope, send, "form_too_large")
                    return
            values = parse_qs(body.decode("latin-1"), max_num_fields=200).get(CSRF_FIELD)
            presented = values[0] if values else None
        if not auth.check_csrf(conn, presented):
            await self._refuse(scope, send, "missing" if presented is None else "mismatch")
            return
        if not body_messages:
            await self.app(scope, receive, send)
            return
        pending = list(body_messages)

        async def replay() -> Message:
            if pending:
                return pending.pop(0)
            return await receive()

        await self.app(scope, replay, send)
