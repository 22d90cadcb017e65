"""Local accounts: argon2id password hashes and roles in the ``users`` table.

Used by ``heard users`` (CLI) and by the local identity provider behind the login
page. A removed or disabled user, or one whose password was reset, loses every
session at the next request (the session loader re-reads the user each time).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.security.models import UserRow
from app.security.passwords import DEFAULT_HASHER, burn_time, hash_password, verify_password
from app.security.roles import ROLES, Role

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


class UserError(ValueError):
    """A user operation that cannot be done (the message says why, no secrets)."""


class SessionSource(Protocol):
    """What :class:`app.store.Store` offers: a session in a transaction."""

    def session(self) -> AbstractContextManager[Session]: ...


@dataclass(frozen=True, slots=True)
class User:
    username: str
    roles: frozenset[Role]
    display_name: str
    disabled: bool
    session_epoch: int
    created_at: datetime
    last_login_at: datetime | None


def _user(row: UserRow) -> User:
    roles = frozenset(r for r in row.roles if r in ROLES)
    return User(row.username, roles, row.display_name, row.disabled, row.session_epoch,
                row.created_at, row.last_login_at)


def check_username(username: str) -> str:
    if not USERNAME_RE.match(username):
        raise UserError("username: 2-64 characters of a-z 0-9 . _ - (starting a-z or 0-9)")
    return username


def check_roles(roles: Iterable[str]) -> list[Role]:
    out: list[Role] = []
    for r in roles:
        if r not in ROLES:
            raise UserError(f"unknown role {r!r}; roles are {', '.join(ROLES)}")
        if r not in out:
            out.append(r)
    if not out:
        raise UserError("a user needs at least one role")
    return out


def random_password() -> str:
    return secrets.token_urlsafe(15)  # 20 characters, ~120 bits


class UserStore:
    def __init__(self, store: SessionSource, hasher: PasswordHasher = DEFAULT_HASHER) -> None:
        self.store = store
        self.hasher = hasher

    def _row(self, s: Session, username: str) -> UserRow | None:
        return s.scalar(select(UserRow).where(UserRow.username == username))

    def _existing(self, s: Session, username: str) -> UserRow:
        """The user's row; UserError when there is no such user."""
        row = self._row(s, username)
        if row is None:
            raise UserError(f"no user {username!r}")
        return row

    def add(self, username: str, roles: Iterable[str], password: str,
            display_name: str = "") -> User:
        check_username(username)
        role_list = check_roles(roles)
        try:
            pw_hash = hash_password(password, self.hasher)
        except ValueError as e:
            raise UserError(str(e)) from e
        now = datetime.now(UTC)
        with self.store.session() as s:
            if self._row(s, username) is not None:
                raise UserError(f"user {username!r} exists")
            row = UserRow(username=username, display_name=display_name[:128],
                          password_hash=pw_hash, roles=list(role_list), disabled=False,
                          session_epoch=0, created_at=now, password_changed_at=now)
            s.add(row)
            s.flush()
            return _user(row)

    def remove(self, username: str) -> bool:
        with self.store.session() as s:
            row = self._row(s, username)
            if row is None:
                return False
            s.delete(row)
            return True

    def reset(self, username: str, password: str) -> None:
        """New password; every existing session of the user stops working."""
        try:
            pw_hash = hash_password(password, self.hasher)
        except ValueError as e:
            raise UserError(str(e)) from e
        with self.store.session() as s:
            row = self._existing(s, username)
            row.password_hash = pw_hash
            row.session_epoch += 1
            row.password_changed_at = datetime.now(UTC)

    def set_roles(self, username: str, roles: Iterable[str]) -> None:
        role_list = check_roles(roles)
        with self.store.session() as s:
            row = self._existing(s, username)
            row.roles = list(role_list)

    def set_disabled(self, username: str, disabled: bool) -> None:
        with self.store.session() as s:
            row = self._existing(s, username)
            row.disabled = disabled
            row.session_epoch += 1

    def get(self, username: str) -> User | None:
        with self.store.session() as s:
            row = self._row(s, username)
            return _user(row) if row is not None else None

    def list(self) -> list[User]:
        with self.store.session() as s:
            return [_user(r) for r in s.scalars(select(UserRow).order_by(UserRow.username))]

    def count(self) -> int:
        with self.store.session() as s:
            return int(s.scalar(select(func.count()).select_from(UserRow)) or 0)

    def verify(self, username: str, password: str) -> User | None:
        """The user if the password is right (and the account enabled); rehash if due."""
        with self.store.session() as s:
            row = self._row(s, username) if USERNAME_RE.match(username) else None
            if row is None:
                burn_time(password, self.hasher)  # unknown users cost the same time
                return None
            result = verify_password(row.password_hash, password, self.hasher)
            if not result.ok or row.disabled:
                return None
            if result.new_hash:
                row.password_hash = result.new_hash
            row.last_login_at = datetime.now(UTC)
            return _user(row)


#: The demo's accounts: one per role, the agent named as the demo's calls are.
DEMO_ROLES: dict[str, tuple[Role, ...]] = {
    "agent": ("agent",),
    "supervisor": ("supervisor",),
    "trainer": ("trainer",),
    "admin": ("admin",),
}


def ensure_demo_users(store: SessionSource, *, agent: str = "agent",
                      hasher: PasswordHasher = DEFAULT_HASHER) -> dict[str, str]:
    """Create (or reset) one account per role with a fresh random password.

    Returns ``{username: password}`` for the demo to print; passwords change every run
    and are stored only as argon2 hashes. ``agent`` names the agent account (it must
    match the agent id the demo's calls carry, since agents see only their own calls).
    """
    users = UserStore(store, hasher)
    out: dict[str, str] = {}
    for base, roles in DEMO_ROLES.items():
        username = agent if base == "agent" else base
        password = random_password()
        if users.get(username) is None:
            users.add(username, roles, password, display_name=f"Demo {base}")
        else:
            users.set_roles(username, roles)
            users.reset(username, password)
        out[username] = password
    return out
