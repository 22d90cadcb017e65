"""Helpers for the UI tests: sample events and a tiny reader of htmx fragments."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from fastapi import FastAPI

from app.bus import Bus
from app.render import STATIC_DIR, SidebarState
from app.security.roles import Principal
from cues.types import Cue, Evidence
from transcription.types import Utterance

VOID = {"meta", "link", "br", "img", "input", "hr", "source", "wbr", "area", "col", "base"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element] = field(default_factory=list)
    text: str = ""

    def find(self, **attrs: str) -> Element | None:
        for child in self.walk():
            if all(child.attrs.get(k.rstrip("_").replace("_", "-")) == v for k, v in attrs.items()):
                return child
        return None

    def walk(self) -> list[Element]:
        out: list[Element] = []
        for c in self.children:
            out.append(c)
            out.extend(c.walk())
        return out

    def all_text(self) -> str:
        return self.text + "".join(c.all_text() for c in self.children)


class _Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        el = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(el)
        if tag not in VOID:
            self.stack.append(el)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].text += data


def parse(html: str) -> Element:
    p = _Tree()
    p.feed(html)
    p.close()
    return p.root


def top_level(html: str) -> list[Element]:
    """The top-level elements of a websocket message (what the ws extension swaps)."""
    return parse(html).children


def utt(
    seq: int,
    text: str,
    *,
    speaker: str = "caller",
    final: bool = True,
    start: float | None = None,
    call_id: str = "call-1",
) -> Utterance:
    s = float(seq * 4) if start is None else start
    return Utterance(call_id, speaker, seq, text, s, s + 3.0, final)  # type: ignore[arg-type]


def cue(
    kind: str = "orient",
    *,
    call_id: str = "call-1",
    quote: str = "I'm scared",
    turn: int = 1,
    end: float = 7.25,
    refreshed: int = 0,
    severity: str = "warn",
    alert: bool = False,
) -> Cue:
    ev = Evidence(f"{call_id}:caller:{turn}", "caller", quote, end - 2.0, end)
    return Cue(
        id=f"{call_id}:{kind}",
        call_id=call_id,
        kind=kind,  # type: ignore[arg-type]
        title=f"Title of {kind}",
        line=f"The line for {kind}.",
        severity=severity,  # type: ignore[arg-type]
        evidence=ev,
        raised_at=end,
        turn=turn,
        refreshed=refreshed,
        alert=alert,
    )


PEOPLE = {
    "alice": Principal("alice", frozenset({"agent"}), "Alice Park"),
    "bob": Principal("bob", frozenset({"agent"}), "Bob"),
    "sam": Principal("sam", frozenset({"supervisor"}), "Sam"),
    "tina": Principal("tina", frozenset({"trainer"}), "Tina"),
}


def make_app(states: dict[str, SidebarState] | None = None) -> FastAPI:
    """The UI routers on the real bus, with sign-in replaced by a ``u`` cookie or an
    ``X-User`` header (the security module's loader sits above what is tested here)."""
    from fastapi.staticfiles import StaticFiles

    from app.routers import agent, supervisor

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.loop = asyncio.get_running_loop()
        yield

    app = FastAPI(lifespan=lifespan)
    app.state.bus = Bus(maxsize=32)
    store = dict(states or {})

    async def principal_loader(conn: Any) -> Principal | None:
        name = conn.cookies.get("u") or conn.headers.get("x-user", "")
        return PEOPLE.get(name)

    async def sidebar_source(_app: Any, call_id: str) -> SidebarState | None:
        return store.get(call_id)

    app.state.principal_loader = principal_loader
    app.state.sidebar_source = sidebar_source
    app.state.states = store
    app.include_router(agent.router)
    app.include_router(supervisor.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
