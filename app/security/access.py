"""Audit of access to call data: every request that touches a call by id is logged
with who, what, when, from where and the answer (2xx ok, 4xx refused).

Done as middleware so no route can forget it: the routes of the API, the agent and
supervisor screens, the library, reports and exports all name the call in the path.

Recordings are the exception to "every request": an audio player fetches a WAV in
many byte ranges (each seek, each buffer refill). Opening a recording (no ``Range``,
or ``Range: bytes=0-``) is always logged; a further range of the same call by the same
person within :data:`RECORDING_WINDOW_S` of a logged access is the same listening and
is not logged again. Refusals are always logged. The log stays append-only: fewer
lines are written, none is changed.
"""

from __future__ import annotations

import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.security.roles import Principal

log = logging.getLogger("heard.audit")

_CALL = re.compile(r"/calls/(?P<id>[^/]+)(?P<rest>/.*)?$")
_ACTIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"/transcript|/replay"), "view_transcript"),
    (re.compile(r"/audio|/recording|\.wav$"), "view_recording"),
    (re.compile(r"/report|/debrief|/rubric"), "view_report"),
    (re.compile(r"/export|\.csv$"), "export"),
    (re.compile(r"/feedback$"), "feedback"),
    (re.compile(r"/cues$"), "view_cues"),
)


def classify(path: str, websocket: bool, method: str = "GET") -> tuple[str, str] | None:
    """(action, call id) for a path that touches call data, else None."""
    if path.startswith("/ingest/") or path.startswith("/static/"):
        return None
    m = _CALL.search(path)
    if m is None:
        if path.startswith("/library") or path.startswith("/trainer"):
            export = "export" in path or path.endswith(".csv")
            return ("export" if export else "view_library", "")
        return None
    rest = m.group("rest") or ""
    if method == "POST" and not rest.endswith("/feedback"):
        return "annotate", m.group("id")[:200]  # notes, overrides, debrief requests
    if not rest and (path.startswith("/trainer/") or path.startswith("/library/")):
        return "view_transcript", m.group("id")[:200]  # the replay page shows it
    for rx, action in _ACTIONS:
        if rx.search(rest):
            return action, m.group("id")[:200]
    if websocket:
        return "watch_live_call", m.group("id")[:200]
    if path.startswith("/api/"):
        return "view_call", m.group("id")[:200]
    if path.startswith("/library") or path.startswith("/trainer"):
        return "view_library", m.group("id")[:200]
    return "open_live_call", m.group("id")[:200]


#: A recording's later byte ranges within this many seconds of a logged access by the
#: same person are the same listening (not logged again).
RECORDING_WINDOW_S = 300.0


def _range_header(scope: Scope) -> str | None:
    for name, value in scope.get("headers") or ():
        if name == b"range":
            return value.decode("latin-1").strip()
    return None


def opens_recording(range_header: str | None) -> bool:
    """A request that starts listening: no range, or the range from the first byte."""
    if range_header is None:
        return True
    return range_header.replace(" ", "").lower() in ("bytes=0-", "")


class RecordingAccesses:
    """When each (person, call) recording access was last logged; bounded memory."""

    def __init__(
        self,
        window_s: float = RECORDING_WINDOW_S,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window_s = window_s
        self.max_entries = max_entries
        self.clock = clock
        self._last: OrderedDict[tuple[str, str], float] = OrderedDict()

    def should_log(self, actor: str, call_id: str, range_header: str | None) -> bool:
        """Whether this successful access is a new listening (and note it if so)."""
        key = (actor, call_id)
        now = self.clock()
        last = self._last.get(key)
        if (
            last is not None
            and now - last < self.window_s
            and not opens_recording(range_header)
        ):
            return False
        self._last[key] = now
        self._last.move_to_end(key)
        while len(self._last) > self.max_entries:
            self._last.popitem(last=False)
        return True


class AccessAuditMiddleware:
    def __init__(self, app: ASGIApp, recordings: RecordingAccesses | None = None) -> None:
        self.app = app
        self.recordings = recordings or RecordingAccesses()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        found = classify(scope["path"], scope["type"] == "websocket", scope.get("method", "GET"))
        if scope["type"] == "http" and scope["method"] in ("HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        if found is None:
            if scope["type"] != "http":
                await self.app(scope, receive, send)
                return
            # Not call data: only a refusal of a signed-in person is worth a line
            # (someone trying a door their role does not open).
            action, call_id, only_forbidden = "request_refused", "", True
        else:
            action, call_id = found
            only_forbidden = False
        done = False

        async def write(outcome: str, status: int) -> None:
            nonlocal done
            if done:
                return
            done = True
            auditor = getattr(scope["app"].state, "audit_log", None)
            if auditor is None:
                return
            p = scope.get("heard.principal")
            actor = p.username if isinstance(p, Principal) else "-"
            if (
                action == "view_recording"
                and outcome == "ok"
                and scope["type"] == "http"
                and not self.recordings.should_log(actor, call_id, _range_header(scope))
            ):
                return  # a further byte range of a listening already logged
            client = scope.get("client") or ("", 0)
            try:
                detail: dict[str, object] = {"status": status,
                                             "method": scope.get("method", "WS")}
                if only_forbidden:
                    detail["path"] = scope["path"][:100]
                await auditor.arecord(actor, action, outcome=outcome, target_type="call",
                                      target_id=call_id, ip=client[0], detail=detail)
            except Exception:
                log.exception("audit write failed")

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                status = int(message["status"])
                if not only_forbidden or status == 403:
                    await write("ok" if status < 400 else "refused", status)
            elif message["type"] == "websocket.accept":
                await write("ok", 101)
            elif message["type"] == "websocket.close" and not done:
                await write("refused", int(message.get("code", 1000)))
            elif message["type"] == "websocket.http.response.start":
                await write("refused", int(message["status"]))
            await send(message)

        await self.app(scope, receive, watch)
