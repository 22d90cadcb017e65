from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from app.security.passwords import WeakPasswordError, hash_password, verify_password
from app.security.throttle import LoginThrottle

FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def test_hash_and_verify_argon2id() -> None:
    h = hash_password("correct horse battery", FAST)
    assert h.startswith("$argon2id$")
    assert verify_password(h, "correct horse battery", FAST).ok
    assert not verify_password(h, "correct horse batterY", FAST).ok
    assert not verify_password("not-a-hash", "whatever", FAST).ok


def test_rehash_when_parameters_change() -> None:
    old = hash_password("correct horse battery", FAST)
    stronger = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    result = verify_password(old, "correct horse battery", stronger)
    assert result.ok and result.new_hash and "t=2" in result.new_hash
    assert verify_password(result.new_hash, "correct horse battery", stronger).new_hash is None


def test_weak_passwords_refused() -> None:
    with pytest.raises(WeakPasswordError):
        hash_password("short", FAST)
    assert not verify_password(hash_password("x" * 20, FAST), "x" * 5000, FAST).ok


def test_throttle_sliding_window_per_user_and_ip() -> None:
    now = [1000.0]
    t = LoginThrottle(per_user=3, per_ip=5, window_s=60, clock=lambda: now[0])
    for _ in range(3):
        assert t.check("Alice", "10.0.0.1").allowed
        t.failure("Alice", "10.0.0.1")
    d = t.check("alice", "10.0.0.2")  # username is case-insensitive; other IP too
    assert not d.allowed and 59 <= d.retry_after_s <= 60
    now[0] += 61  # the window slides
    assert t.check("alice", "10.0.0.1").allowed
    # One address spraying many usernames is stopped by the per-IP limit.
    for i in range(5):
        t.failure(f"user{i}", "10.9.9.9")
    assert not t.check("someone-new", "10.9.9.9").allowed
    t.success("someone-new")
    assert not t.check("someone-new", "10.9.9.9").allowed
