"""Wiring the security layer into the app (``create_app`` includes this module).

``router``: the sign-in pages and the admin pages. ``install(app)``:

- ``app.state.principal_loader``: session cookie -> :class:`Principal` (what ``require``
  uses), with ``session_auth``, ``sessions``, ``identity_provider``, ``user_store``,
  ``login_throttle`` and ``audit_log`` beside it;
- ``app.state.ingest_authenticator``: the phone-system checks the connectors call;
- middleware, outermost first: security headers and header limits, CSRF, the access
  audit of call data, the re-check of signed-in websockets (app.security.live);
- the retention task, started once the store is open (wrapping the app's lifespan).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.retention import policy_from, retention_loop
from app.routers import admin, auth
from app.security.access import AccessAuditMiddleware
from app.security.audit import AuditLog
from app.security.config import SecuritySettings
from app.security.csrf import CSRFMiddleware
from app.security.headers import SecurityHeadersMiddleware
from app.security.ingest_auth import IngestAuthenticator
from app.security.live import SessionWatchMiddleware
from app.security.sessions import LocalAccounts, SessionAuth, SessionStore
from app.security.throttle import LoginThrottle
from app.security.users import UserStore
from app.security.web import safe_next

log = logging.getLogger("heard.security")

router = APIRouter()
router.include_router(auth.router)
router.include_router(admin.router)


class AppStore:
    """The app's store, found when used (it is opened in the lifespan, after install)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def session(self) -> AbstractContextManager[Session]:
        ctx: AbstractContextManager[Session] = self.app.state.store.session()
        return ctx

    @property
    def data_dir(self) -> Path:
        path: Path = self.app.state.store.data_dir
        return path


async def _sign_in_redirect(request: Request, exc: Exception) -> Response:
    """A page asked for without a session goes to the sign-in page (and back after);
    API calls and fragments keep their plain 401."""
    assert isinstance(exc, StarletteHTTPException)
    if (
        request.scope["type"] == "http"
        and exc.status_code == 401
        and request.method == "GET"
        and "text/html" in request.headers.get("accept", "")
        and "hx-request" not in request.headers
    ):
        target = safe_next(request.url.path + ("?" + request.url.query if request.url.query
                                                else ""))
        query = "?" + urlencode({"next": target}) if target else ""
        return RedirectResponse("/login" + query, status_code=303)
    return await http_exception_handler(request, exc)


def security_settings(settings: Any) -> SecuritySettings:
    return getattr(settings, "security", None) or SecuritySettings()


def install(app: FastAPI) -> None:
    settings = app.state.settings
    sec = security_settings(settings)
    store = AppStore(app)
    audit = AuditLog(store)
    users = UserStore(store)
    provider = LocalAccounts(users)
    sessions = SessionStore(idle_s=sec.session_idle_minutes * 60,
                            absolute_s=sec.session_absolute_hours * 3600)
    session_auth = SessionAuth(sessions, provider,
                               secure_cookies=bool(getattr(settings, "secure_cookies", False)))
    app.state.audit_log = audit
    app.state.user_store = users
    app.state.identity_provider = provider
    app.state.sessions = sessions
    app.state.session_auth = session_auth
    app.state.principal_loader = session_auth
    app.state.login_throttle = LoginThrottle(
        per_user=sec.login_max_per_user, per_ip=sec.login_max_per_ip,
        window_s=sec.login_window_minutes * 60)
    app.state.ingest_authenticator = IngestAuthenticator(settings, sec, audit)

    # add_middleware puts each new one outside the previous: audit is innermost.
    app.add_middleware(SessionWatchMiddleware)
    app.add_middleware(AccessAuditMiddleware)
    app.add_middleware(CSRFMiddleware)
    app.add_middleware(SecurityHeadersMiddleware, frame_ancestors=sec.frame_ancestors,
                       max_header_bytes=sec.max_header_bytes,
                       max_cookie_bytes=sec.max_cookie_bytes)

    app.add_exception_handler(StarletteHTTPException, _sign_in_redirect)

    if getattr(settings, "allow_unauthenticated_ingest", False):
        log.warning("allow_unauthenticated_ingest is on: connectors without credentials "
                    "are admitted unauthenticated (development only)")

    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(a: Any) -> AsyncIterator[Any]:
        async with inner(a) as state:
            task = asyncio.create_task(
                retention_loop(store, policy_from(sec), sec.retention_interval_minutes * 60,
                               audit=audit),
                name="heard-retention")
            try:
                yield state
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app.router.lifespan_context = lifespan
