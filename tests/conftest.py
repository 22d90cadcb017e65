"""Shared test settings.

Tests are grouped by what they need: unit (pure), pipeline (scripted fakes), web
(app + websockets), model (real speech models, marker ``model``) and browser
(real Chromium, marker ``browser``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is not beside the checkout")
    return SHARED


@pytest.fixture
def as_admin():
    """Install on an app a principal loader that signs every request in as an admin.

    Usage: ``as_admin(app)`` (optionally ``as_admin(app, "ann", "agent")``). For
    tests of the server core before/without real logins; the security tests use
    real sessions instead.
    """
    from app.security.roles import Principal

    def install(app, username: str = "admin", *roles: str):
        principal = Principal(username, frozenset(roles or ("admin",)))  # type: ignore[arg-type]

        async def loader(conn):
            return principal

        app.state.principal_loader = loader
        return app

    return install


@pytest.fixture
def signed_in_as():
    """Real sign-in through ``/login`` (sessions, CSRF, roles as in production).

    Usage: ``client = signed_in_as(app, "supervisor")`` on a running app (inside
    ``with TestClient(app)``); the demo accounts (agent, supervisor, trainer, admin) are
    created on first use. Prefer this over ``as_admin`` wherever access control matters.
    """
    from tests.security_support import FAST, accounts, signed_in

    made: list = []
    creds: dict = {}

    def sign_in(app, username: str):
        app.state.user_store.hasher = FAST
        if not creds:
            creds.update(accounts(app))
        client = signed_in(app, username, creds[username])
        made.append(client)
        return client

    yield sign_in
    for c in made:
        c.close()
