"""Roles and the one dependency every door uses.

Every page, fragment, websocket and API route declares the roles it admits with
``Depends(require("supervisor", "admin"))`` (or ``Annotated[Principal,
Depends(require(...))]``). The dependency takes an ``HTTPConnection`` so the same
check guards HTTP routes and websockets. ``require`` records its roles on the
returned callable (``.roles``) so ``heard routes --json`` can list them.

How a principal is found (local session cookie today, OIDC later) lives in
:mod:`app.security.sessions`; roles do not change with the sign-in method.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from fastapi import HTTPException, status
from starlette.requests import HTTPConnection

Role = Literal["agent", "supervisor", "trainer", "admin"]
ROLES: tuple[Role, ...] = ("agent", "supervisor", "trainer", "admin")


@dataclass(frozen=True, slots=True)
class Principal:
    """The signed-in person (or integration) behind a request."""

    username: str
    roles: frozenset[Role]
    display_name: str = ""

    def has_any(self, roles: frozenset[Role]) -> bool:
        return bool(self.roles & roles)


PrincipalLoader = Callable[[HTTPConnection], Awaitable[Principal | None]]


async def _no_sessions(conn: HTTPConnection) -> Principal | None:
    # Replaced at app start-up by the session store (app.security.sessions).
    loader: PrincipalLoader | None = getattr(conn.app.state, "principal_loader", None)
    if loader is None:
        return None
    return await loader(conn)


def require(*roles: Role) -> Callable[[HTTPConnection], Awaitable[Principal]]:
    """A dependency admitting a signed-in principal holding any of ``roles``."""
    allowed = frozenset(roles)
    if not allowed or not allowed <= set(ROLES):
        raise ValueError(f"require() needs roles from {ROLES}, got {roles!r}")

    async def dependency(conn: HTTPConnection) -> Principal:
        principal = await _no_sessions(conn)
        if principal is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "sign in required")
        if not principal.has_any(allowed):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "not allowed for your role")
        conn.state.principal = principal
        return principal

    dependency.roles = allowed  # type: ignore[attr-defined]
    return dependency
