"""Login throttling: a sliding window of failures per username and per client address.

Pure and in memory; the clock is injected so tests control time. A success for a
username clears that username's failures (not the address's: one address trying
many accounts stays throttled).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class ThrottleDecision:
    allowed: bool
    retry_after_s: float = 0.0


@dataclass
class _Window:
    hits: deque[float] = field(default_factory=deque)


class LoginThrottle:
    """Refuse a login attempt once a key has ``limit`` failures within ``window_s``."""

    def __init__(
        self,
        *,
        per_user: int = 5,
        per_ip: int = 20,
        window_s: float = 15 * 60,
        clock: Clock = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self.per_user = per_user
        self.per_ip = per_ip
        self.window_s = window_s
        self.clock = clock
        self.max_keys = max_keys
        self._users: dict[str, _Window] = {}
        self._ips: dict[str, _Window] = {}

    def _prune(self, table: dict[str, _Window], key: str, now: float) -> deque[float]:
        w = table.get(key)
        if w is None:
            return deque()
        while w.hits and w.hits[0] <= now - self.window_s:
            w.hits.popleft()
        if not w.hits:
            del table[key]
            return deque()
        return w.hits

    def check(self, username: str, ip: str) -> ThrottleDecision:
        now = self.clock()
        retry = 0.0
        for table, key, limit in (
            (self._users, username.casefold(), self.per_user),
            (self._ips, ip, self.per_ip),
        ):
            hits = self._prune(table, key, now)
            if len(hits) >= limit:
                retry = max(retry, hits[0] + self.window_s - now)
        return ThrottleDecision(retry == 0.0, retry)

    def failure(self, username: str, ip: str) -> None:
        now = self.clock()
        for table, key in ((self._users, username.casefold()), (self._ips, ip)):
            if key not in table and len(table) >= self.max_keys:
                # Bound memory under a spray of random usernames: forget the oldest key.
                table.pop(next(iter(table)))
            table.setdefault(key, _Window()).hits.append(now)

    def success(self, username: str) -> None:
        self._users.pop(username.casefold(), None)
