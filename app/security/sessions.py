"""Server-side sessions behind an identity provider.

A session is a random 256-bit token in the ``heard_session`` cookie (HttpOnly,
SameSite=Strict, Secure except for plain-http localhost development); the server
keeps only its SHA-256, with idle and absolute expiry. Sign-in rotates the token;
sign-out and user removal revoke it. Each request re-reads the user from the
identity provider, so a removed or disabled user, a password reset (epoch bump) or a
role change takes effect at once, even when done from the CLI in another process.

Who the user is comes from an :class:`IdentityProvider`. Local accounts
(:class:`LocalAccounts`) are the one provider today; an OIDC provider would create
the session after its callback and answer ``lookup`` from its claims, without any
change to roles or to ``require``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Protocol

from starlette.requests import HTTPConnection
from starlette.responses import Response

from app.security.roles import Principal, Role
from app.security.users import User, UserStore

log = logging.getLogger("heard.security")

SESSION_COOKIE = "heard_session"
CSRF_COOKIE = "heard_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]", "testserver"})

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class Identity:
    """A verified person, as an identity provider vouches for them."""

    username: str
    roles: frozenset[Role]
    display_name: str = ""
    epoch: int = 0
    provider: str = "local"


class IdentityProvider(Protocol):
    name: str

    def lookup(self, username: str) -> Identity | None:
        """The identity now (None if removed or disabled); called on every request."""


class LocalAccounts:
    """Username and password accounts in the ``users`` table."""

    name = "local"

    def __init__(self, users: UserStore) -> None:
        self.users = users

    @staticmethod
    def _identity(u: User) -> Identity:
        return Identity(u.username, u.roles, u.display_name, u.session_epoch, "local")

    def lookup(self, username: str) -> Identity | None:
        u = self.users.get(username)
        if u is None or u.disabled:
            return None
        return self._identity(u)

    def authenticate(self, username: str, password: str) -> Identity | None:
        u = self.users.verify(username, password)
        return self._identity(u) if u is not None else None


@dataclass(slots=True)
class SessionRecord:
    username: str
    epoch: int
    provider: str
    created: float
    last_seen: float


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionStore:
    """In-memory, server-side sessions keyed by the token's SHA-256.

    A restart signs everyone out (acceptable: nothing but the sign-in is lost).
    """

    def __init__(self, *, idle_s: float = 1800.0, absolute_s: float = 12 * 3600.0,
                 clock: Clock = time.time, max_sessions: int = 50_000) -> None:
        self.idle_s = idle_s
        self.absolute_s = absolute_s
        self.clock = clock
        self.max_sessions = max_sessions
        self._by_digest: dict[str, SessionRecord] = {}

    def __len__(self) -> int:
        return len(self._by_digest)

    def create(self, identity: Identity) -> str:
        now = self.clock()
        if len(self._by_digest) >= self.max_sessions:
            self.sweep()
            if len(self._by_digest) >= self.max_sessions:  # drop the oldest
                oldest = min(self._by_digest, key=lambda d: self._by_digest[d].created)
                del self._by_digest[oldest]
        token = secrets.token_urlsafe(32)
        self._by_digest[_digest(token)] = SessionRecord(
            identity.username, identity.epoch, identity.provider, now, now)
        return token

    def get(self, token: str) -> SessionRecord | None:
        if not TOKEN_RE.match(token):
            return None
        d = _digest(token)
        rec = self._by_digest.get(d)
        if rec is None:
            return None
        now = self.clock()
        if now - rec.last_seen > self.idle_s or now - rec.created > self.absolute_s:
            del self._by_digest[d]
            return None
        rec.last_seen = now
        return rec

    def revoke(self, token: str) -> None:
        self._by_digest.pop(_digest(token), None)

    def revoke_user(self, username: str) -> int:
        gone = [d for d, r in self._by_digest.items() if r.username == username]
        for d in gone:
            del self._by_digest[d]
        return len(gone)

    def sweep(self) -> None:
        now = self.clock()
        for d, r in list(self._by_digest.items()):
            if now - r.last_seen > self.idle_s or now - r.created > self.absolute_s:
                del self._by_digest[d]


def read_cookie(conn: HTTPConnection, name: str) -> str | None:
    """A cookie's value, or None when absent or malformed (never raises)."""
    raw = conn.headers.get("cookie")
    if not raw or len(raw) > 8192:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:  # http.cookies raises CookieError and others on odd input
        # Fall back to a plain split: one bad cookie must not sign anyone out.
        for part in raw.split(";"):
            k, _, v = part.strip().partition("=")
            if k == name:
                return v
        return None
    morsel = jar.get(name)
    return morsel.value if morsel is not None else None


def cookie_secure(conn: HTTPConnection, secure_setting: bool) -> bool:
    """Secure cookies always, except plain-http development on localhost."""
    if secure_setting or conn.url.scheme in ("https", "wss"):
        return True
    return (conn.url.hostname or "") not in LOCAL_HOSTS


class SessionAuth:
    """Turns a session cookie into a :class:`Principal`; signs people in and out.

    Installed as ``app.state.principal_loader`` (the loader ``require`` uses).
    """

    def __init__(self, sessions: SessionStore, provider: IdentityProvider, *,
                 secure_cookies: bool = False, secret: bytes | None = None) -> None:
        self.sessions = sessions
        self.provider = provider
        self.secure_cookies = secure_cookies
        self.secret = secret or secrets.token_bytes(32)

    # -- the loader ----------------------------------------------------------------------
    async def __call__(self, conn: HTTPConnection) -> Principal | None:
        cached = conn.scope.get("heard.principal")
        if cached is not None:
            return cached if isinstance(cached, Principal) else None
        principal = await self._load(conn)
        conn.scope["heard.principal"] = principal if principal is not None else False
        return principal

    async def _load(self, conn: HTTPConnection) -> Principal | None:
        token = read_cookie(conn, SESSION_COOKIE)
        if token is None:
            return None
        if not TOKEN_RE.match(token):
            log.warning("malformed session cookie ignored", extra={"length": len(token)})
            return None
        rec = self.sessions.get(token)
        if rec is None:
            return None
        identity = await asyncio.to_thread(self.provider.lookup, rec.username)
        if identity is None or identity.epoch != rec.epoch:
            self.sessions.revoke(token)  # removed, disabled or password reset since
            return None
        return Principal(identity.username, identity.roles, identity.display_name)

    async def still_valid(self, conn: HTTPConnection) -> bool:
        """Re-check a long-lived connection's session and user now (no cache)."""
        cached = conn.scope.get("heard.principal")
        fresh = await self._load(conn)
        if fresh is None:
            return False
        # Roles changed: the socket was admitted under the old ones.
        return not (isinstance(cached, Principal) and fresh.roles != cached.roles)

    # -- CSRF ----------------------------------------------------------------------------
    def csrf_for(self, session_token: str) -> str:
        """The CSRF token bound to a session (signed double submit: the cookie
        ``heard_csrf`` carries it for the page's script; the server recomputes)."""
        mac = hmac.new(self.secret, b"csrf:" + session_token.encode(), hashlib.sha256)
        return mac.hexdigest()

    def csrf_for_login(self, nonce: str) -> str:
        return hmac.new(self.secret, b"login:" + nonce.encode(), hashlib.sha256).hexdigest()

    def check_csrf(self, conn: HTTPConnection, presented: str | None) -> bool:
        token = read_cookie(conn, SESSION_COOKIE)
        if not token or not presented or not TOKEN_RE.match(token):
            return False
        return hmac.compare_digest(self.csrf_for(token).encode(), presented.encode()[:128])

    # -- sign in / out -------------------------------------------------------------------
    def start(self, conn: HTTPConnection, response: Response, identity: Identity) -> str:
        old = read_cookie(conn, SESSION_COOKIE)
        if old:
            self.sessions.revoke(old)  # rotation: a token known before sign-in is useless
        token = self.sessions.create(identity)
        secure = cookie_secure(conn, self.secure_cookies)
        max_age = int(self.sessions.absolute_s)
        response.set_cookie(SESSION_COOKIE, token, max_age=max_age, path="/",
                            secure=secure, httponly=True, samesite="strict")
        # Readable by the page's script, which echoes it in the X-CSRF-Token header.
        response.set_cookie(CSRF_COOKIE, self.csrf_for(token), max_age=max_age, path="/",
                            secure=secure, httponly=False, samesite="strict")
        return token

    def end(self, conn: HTTPConnection, response: Response) -> None:
        token = read_cookie(conn, SESSION_COOKIE)
        if token:
            self.sessions.revoke(token)
        secure = cookie_secure(conn, self.secure_cookies)
        for name in (SESSION_COOKIE, CSRF_COOKIE):
            response.delete_cookie(name, path="/", secure=secure, httponly=name == SESSION_COOKIE,
                                   samesite="strict")
