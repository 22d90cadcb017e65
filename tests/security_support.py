"""Helpers for the security tests: a real app on a temp data dir, real accounts, real logins."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from app.main import create_app
from app.security.users import ensure_demo_users
from app.settings import Settings, TranscriptionSettings

#: Cheap argon2 parameters: the tests exercise the flow, not the cost.
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
ROLE_USERS = ("agent", "supervisor", "trainer", "admin")


def make_app(tmp: Path, **settings: Any) -> Any:
    settings.setdefault("transcription", TranscriptionSettings(engine="fake"))
    app = create_app(Settings(data_dir=tmp, **settings))
    app.state.user_store.hasher = FAST
    return app


def accounts(app: Any) -> dict[str, str]:
    return ensure_demo_users(app.state.store, hasher=FAST)


def login(client: TestClient, username: str, password: str, next_path: str = "") -> Any:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text[:300]
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token.group(1), "next": next_path},
                       follow_redirects=False)


def signed_in(app: Any, username: str, password: str) -> TestClient:
    """A second client (own cookie jar) signed in as ``username``; caller closes it."""
    c = TestClient(app)
    r = login(c, username, password)
    assert r.status_code == 303, (username, r.status_code, r.text[:200])
    return c
