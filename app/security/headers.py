"""Security headers on every response, and limits on what a request may carry.

- A strict Content-Security-Policy: scripts and styles from our own origin only (no
  inline script: the templates use none; htmx is served from /static), no plugins, no
  base-uri tricks, forms post only to us, framing only by configured origins.
- ``X-Frame-Options: DENY`` when no framing is allowed (older browsers); omitted when
  ``frame_ancestors`` lists the phone system that embeds the sidebar.
- ``nosniff``, ``Referrer-Policy: same-origin`` (not ``no-referrer``: with it browsers
  send ``Origin: null`` on form POSTs, which the CSRF check refuses; URLs carry call
  ids, never transcript text, and never leave the site), a Permissions-Policy that allows the
  microphone to us only (browser capture), COOP/CORP same-origin.
- HSTS when the request came over https.
- ``Cache-Control: no-store`` on everything but /static: pages and API answers carry PHI.
- Oversized headers or cookies: 431 before the app sees them; malformed cookies are
  ignored by the session loader (anonymous), never an error page.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("heard.security")

STATIC_PREFIX = "/static/"


def content_security_policy(frame_ancestors: list[str]) -> str:
    ancestors = " ".join(frame_ancestors) if frame_ancestors else "'none'"
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "media-src 'self' blob:",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        f"frame-ancestors {ancestors}",
    ])


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, frame_ancestors: list[str] | None = None,
                 max_header_bytes: int = 16384, max_cookie_bytes: int = 4096) -> None:
        self.app = app
        self.frame_ancestors = list(frame_ancestors or [])
        self.max_header_bytes = max_header_bytes
        self.max_cookie_bytes = max_cookie_bytes
        csp = content_security_policy(self.frame_ancestors).encode()
        self.common: list[tuple[bytes, bytes]] = [
            (b"content-security-policy", csp),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
            (b"permissions-policy", b"microphone=(self), camera=(), geolocation=(), payment=()"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"cross-origin-resource-policy", b"same-origin"),
        ]
        if not self.frame_ancestors:
            self.common.append((b"x-frame-options", b"DENY"))

    def _too_big(self, scope: Scope) -> str | None:
        total = 0
        for name, value in scope.get("headers", []):
            size = len(name) + len(value)
            total += size
            if name == b"cookie" and len(value) > self.max_cookie_bytes:
                return "cookie"
            if size > 8192:
                return "header"
        if total > self.max_header_bytes:
            return "headers"
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        problem = self._too_big(scope)
        if problem is not None:
            log.warning("request refused: oversized", extra={"what": problem,
                                                              "path_len": len(scope["path"])})
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            await send({"type": "http.response.start", "status": 431,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                    *self.common, (b"cache-control", b"no-store")]})
            await send({"type": "http.response.body", "body": b"request headers too large\n"})
            return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"
        static = scope["path"].startswith(STATIC_PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() not in (b"cache-control", b"pragma") or static]
                headers.extend(self.common)
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                    headers.append((b"pragma", b"no-cache"))
                if https:
                    headers.append((b"strict-transport-security",
                                    b"max-age=31536000; includeSubDomains"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
