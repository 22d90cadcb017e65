"""Signed-in websockets stay signed in only as long as their session does.

A sidebar or queue socket can stay open for hours. Each time the server is about to
push to one that was opened with a session cookie, the session and the user are
re-checked (at most every ``interval_s``): a sign-out, an expired session, a removed
or disabled user or a password reset closes the socket (1008) instead of delivering
more call data. The checks also count as activity, so an open sidebar keeps its
session from idling out (the absolute limit still applies).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.security.sessions import SESSION_COOKIE, read_cookie

log = logging.getLogger("heard.security")


class SessionWatchMiddleware:
    def __init__(self, app: ASGIApp, *, interval_s: float = 15.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.interval_s = interval_s
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket" or read_cookie(HTTPConnection(scope), SESSION_COOKIE) \
                is None:
            await self.app(scope, receive, send)
            return
        last = self.clock()
        closed = False

        async def watched(message: Message) -> None:
            nonlocal last, closed
            if closed:
                raise OSError("session ended")  # the app sees WebSocketDisconnect
            interval = getattr(scope["app"].state, "session_watch_interval_s", self.interval_s)
            if message["type"] == "websocket.send" and self.clock() - last >= interval:
                last = self.clock()
                auth = getattr(scope["app"].state, "session_auth", None)
                if auth is not None and not await auth.still_valid(HTTPConnection(scope)):
                    closed = True
                    log.info("websocket closed: session ended", extra={"path_len":
                                                                       len(scope["path"])})
                    await send({"type": "websocket.close", "code": 1008,
                                "reason": "session ended"})
                    raise OSError("session ended")
            await send(message)

        await self.app(scope, receive, watched)
