"""Password hashing with argon2id (argon2-cffi), rehashed on login when parameters change.

The hash string carries its own parameters, so raising the cost in
:data:`DEFAULT_HASHER` upgrades each account the next time its owner signs in.
"""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

#: RFC 9106's second recommended option (64 MiB, t=3, p=4) is too heavy for a 2-core box
#: serving live audio; argon2-cffi's defaults (t=3, 64 MiB, p=4) are used, which is
#: OWASP-compliant. Tests pass a cheap hasher.
DEFAULT_HASHER = PasswordHasher()

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # bounds the work an attacker can ask of the hasher


class WeakPasswordError(ValueError):
    """The new password does not meet the length rules."""


@dataclass(frozen=True, slots=True)
class VerifyResult:
    ok: bool
    #: A new hash to store when the stored one used outdated parameters.
    new_hash: str | None = None


def check_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPasswordError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPasswordError(f"password must be at most {MAX_PASSWORD_LENGTH} characters")


def hash_password(password: str, hasher: PasswordHasher = DEFAULT_HASHER) -> str:
    check_strength(password)
    return hasher.hash(password)


def verify_password(
    stored_hash: str, password: str, hasher: PasswordHasher = DEFAULT_HASHER
) -> VerifyResult:
    """Check ``password``; on success say whether the hash needs upgrading."""
    if len(password) > MAX_PASSWORD_LENGTH:
        return VerifyResult(False)
    try:
        hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return VerifyResult(False)
    if hasher.check_needs_rehash(stored_hash):
        return VerifyResult(True, hasher.hash(password))
    return VerifyResult(True)


_DUMMY_HASH: str | None = None


def burn_time(password: str, hasher: PasswordHasher = DEFAULT_HASHER) -> None:
    """Spend one verification on a dummy hash, so an unknown user costs what a known one does."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hasher.hash("dummy password for timing")
    verify_password(_DUMMY_HASH, password[:MAX_PASSWORD_LENGTH], hasher)
