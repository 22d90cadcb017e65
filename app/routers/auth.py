"""Sign-in and sign-out pages: ``GET/POST /login`` (public), ``POST /logout``, ``GET /``.

The login form carries a pre-session CSRF token (bound to a random cookie), is
throttled per username and per address, answers the same for an unknown user and a
wrong password, rotates the session on success and audits every attempt.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.security.roles import ROLES, Principal, require
from app.security.sessions import TOKEN_RE, cookie_secure, read_cookie
from app.security.users import USERNAME_RE
from app.security.web import client_ip, home_for, render, safe_next

router = APIRouter(tags=["auth"])

PRE_COOKIE = "heard_login"
SignedIn = Annotated[Principal, Depends(require(*ROLES))]


def _login_page(request: Request, *, error: str = "", status: int = 200,
                next_path: str | None = None) -> HTMLResponse:
    auth = request.app.state.session_auth
    nonce = read_cookie(request, PRE_COOKIE)
    fresh = nonce is None or not TOKEN_RE.match(nonce)
    if fresh:
        nonce = secrets.token_urlsafe(32)
    assert nonce is not None
    html = render("auth/login.html", csrf_token=auth.csrf_for_login(nonce), error=error,
                  next_path=next_path or "")
    response = HTMLResponse(html, status_code=status)
    if fresh:
        response.set_cookie(PRE_COOKIE, nonce, max_age=1800, path="/login", httponly=True,
                            samesite="strict", secure=cookie_secure(request, auth.secure_cookies))
    return response


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    return _login_page(request, next_path=safe_next(next))


@router.post("/login")
async def login(
    request: Request,
    username: Annotated[str, Form(max_length=128)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    next: Annotated[str, Form(max_length=512)] = "",
) -> Response:
    state = request.app.state
    auth, throttle, audit = state.session_auth, state.login_throttle, state.audit_log
    ip = client_ip(request)
    name = username.strip().lower()[:64]
    # A password typed into the username box must not land in the audit log.
    who = name if USERNAME_RE.match(name) else "-"
    nonce = read_cookie(request, PRE_COOKIE)
    expected = auth.csrf_for_login(nonce) if nonce and TOKEN_RE.match(nonce) else None
    if expected is None or not secrets.compare_digest(expected, csrf_token):
        await audit.arecord(who, "login_refused", outcome="refused", ip=ip,
                            detail={"reason": "csrf"})
        return _login_page(request, error="The form expired. Please sign in again.", status=403)
    decision = throttle.check(name, ip)
    if not decision.allowed:
        await audit.arecord(who, "login_refused", outcome="refused", ip=ip,
                            detail={"reason": "throttled"})
        page = _login_page(request, status=429,
                           error="Too many attempts. Wait a few minutes and try again.")
        page.headers["Retry-After"] = str(int(decision.retry_after_s) + 1)
        return page
    identity = await asyncio.to_thread(state.identity_provider.authenticate, name, password)
    if identity is None:
        throttle.failure(name, ip)
        await audit.arecord(who, "login_refused", outcome="refused", ip=ip,
                            detail={"reason": "credentials"})
        return _login_page(request, error="Wrong username or password.", status=401,
                           next_path=safe_next(next))
    throttle.success(name)
    principal = Principal(identity.username, identity.roles, identity.display_name)
    target = safe_next(next) or home_for(principal)
    response = RedirectResponse(target, status_code=303)
    auth.start(request, response, identity)
    response.delete_cookie(PRE_COOKIE, path="/login")
    await audit.arecord(identity.username, "login", ip=ip)
    return response


@router.post("/logout")
async def logout(request: Request, principal: SignedIn) -> Response:
    response = RedirectResponse("/login", status_code=303)
    request.app.state.session_auth.end(request, response)
    await request.app.state.audit_log.arecord(principal.username, "logout",
                                              ip=client_ip(request))
    return response


@router.get("/")
async def root(request: Request) -> Response:
    """Public: sends a signed-in person to their home, anyone else to the sign-in page."""
    loader = getattr(request.app.state, "principal_loader", None)
    principal = await loader(request) if loader is not None else None
    return RedirectResponse(home_for(principal) if principal else "/login", status_code=303)
